"""The data service: the one process that holds the office file open (DESIGN.md, decision 1).

Clients (the apps' kernels, analysts' notebooks, the command line) reach it over Arrow
Flight on the loopback interface. Arrow Flight, because pyarrow is already here and
an exchange is a session with a lifetime: a transaction lives exactly as long as its
exchange, so a client that dies takes its transaction with it; gRPC does the framing,
deadlines and bearer headers; tables travel as Arrow. An exchange is

    open (read | write | action)  ->  call* | sql*  ->  commit | rollback

and every request carries a verified identity (kit.service.tokens): the user it
names is the only user the request acts as.

This module is the Flight server (credentials, the small actions `ping` and `outcome`)
and the process that runs it; each exchange is one session of kit.service.sessions.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.flight as fl

from kit import config, schema
from kit.errors import KitError, PermissionDenied
from kit.service import client, codec, faults, tokens
from kit.service.owner import Held
from kit.service.sessions import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from kit.service.sessions import Exchange, Sessions
from kit.service.sessions import write_idle_s as write_idle_s

log = logging.getLogger(__name__)

# The modules whose public functions the service runs (tests/test_access.py lists the same).
SERVED = (
    "kit.access",
    "kit.appointments",
    "kit.analysis",
    "kit.assessments",
    "kit.backup",
    "kit.closings",
    "kit.corrections.clues",
    "kit.corrections.common",
    "kit.corrections.evaluations",
    "kit.corrections.feedback",
    "kit.corrections.findings",
    "kit.corrections.groups",
    "kit.corrections.history",
    "kit.corrections.items",
    "kit.corrections.outcomes",
    "kit.corrections.review",
    "kit.corrections.rounds",
    "kit.corrections.sheets",
    "kit.corrections.updates",
    "kit.excel.common",
    "kit.excel.exporting",
    "kit.excel.importing",
    "kit.excel.reading",
    "kit.excel.templates",
    "kit.extract",
    "kit.followups",
    "kit.inspections.categories",
    "kit.inspections.clues",
    "kit.inspections.common",
    "kit.inspections.feedback",
    "kit.inspections.findings",
    "kit.inspections.groups",
    "kit.inspections.rounds",
    "kit.inspections.stats",
    "kit.integrity",
    "kit.rankings",
    "kit.rectification.common",
    "kit.rectification.copies",
    "kit.rectification.deadlines",
    "kit.rectification.evaluation",
    "kit.rectification.handovers",
    "kit.rectification.items",
    "kit.rectification.ledger",
    "kit.rectification.paper",
    "kit.rectification.progress",
    "kit.registry.people",
    "kit.registry.tenures",
    "kit.registry.units",
    "kit.schemes",
    "kit.audit",
    "kit.reports.assessment",
    "kit.reports.inspection",
)
EXIT_RESTART = 75  # the supervisor starts a fresh service
_REFUSALS_PER_MINUTE = 30


class _Identity(fl.ServerMiddleware):  # type: ignore[misc]
    def __init__(self, user: str) -> None:
        self.user = user


class _Verify(fl.ServerMiddlewareFactory):  # type: ignore[misc]
    """Every call must carry a credential the service can verify; a refusal is traced."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def start_call(self, info: fl.CallInfo, headers: Mapping[str, list[Any]]) -> _Identity:
        values = headers.get("authorization") or []
        raw = values[0].decode() if values and isinstance(values[0], bytes) else (values[0] if values else "")
        token = raw[7:].strip() if raw.lower().startswith("bearer ") else ""
        try:
            return _Identity(self.service.verify(token))
        except PermissionDenied as e:
            self.service.refused_credential(e)
            raise fl.FlightUnauthenticatedError(e.message) from e


class Service(fl.FlightServerBase):  # type: ignore[misc]
    """The Flight server in front of the held file."""

    def __init__(self, held: Held, *, location: str, secret: bytes, hub_api_url: str = "") -> None:
        super().__init__(location, middleware={"kit": _Verify(self)})
        self.held = held
        self.secret = secret
        self.hub = tokens.HubUsers(hub_api_url)
        self._refusals: list[float] = []
        self._refusals_lock = threading.Lock()
        self.sessions = Sessions(held)
        self.started = time.time()

    # -- identity ------------------------------------------------------------------------
    def verify(self, token: str) -> str:
        """The user a credential proves (a token signed with our key, or a JupyterHub token)."""
        if not token:
            raise PermissionDenied("请求没有附带身份凭据，未执行。", action="身份凭据缺失")
        if token.startswith(client.HUB_TOKEN_PREFIX):
            return self.hub.user(token[len(client.HUB_TOKEN_PREFIX) :])
        return tokens.verify(self.secret, token)

    def refused_credential(self, refusal: PermissionDenied) -> None:
        """Trace a refused credential; past a burst, only count (a flood must not fill the trace)."""
        now = time.monotonic()
        with self._refusals_lock:
            self._refusals = [t for t in self._refusals if now - t < 60]
            if len(self._refusals) >= _REFUSALS_PER_MINUTE:
                log.warning("credential refused (not traced, too many this minute): %s", refusal.action)
                return
            self._refusals.append(now)
        self.held.record_refusal("（未经核实的请求）", refusal)

    # -- actions -------------------------------------------------------------------------
    def do_action(self, context: fl.ServerCallContext, action: fl.Action) -> Iterator[bytes]:
        user = context.get_middleware("kit").user
        if action.type == "ping":
            answer = {
                "file": self.held.path.name,
                "schema_version": schema.latest_version(),
                "pid": os.getpid(),
                "user": user,
                "uptime_s": time.time() - self.started,
                "wal_bytes": self.held.wal_bytes(),
                "waiting": self.held.turn.waiting(),
            }
        elif action.type == "outcome":
            request_id = str(json.loads(action.body.to_pybytes()).get("request_id", ""))
            answer = {"outcome": self.sessions.outcome(request_id)}
        else:
            raise fl.FlightServerError(f"未知的请求：{action.type}")
        yield json.dumps(answer).encode()

    # -- sessions ------------------------------------------------------------------------
    def do_exchange(
        self,
        context: fl.ServerCallContext,
        descriptor: fl.FlightDescriptor,
        reader: fl.MetadataRecordBatchReader,
        writer: fl.MetadataRecordBatchWriter,
    ) -> None:
        user = context.get_middleware("kit").user
        writer.begin(codec.BLOBS)
        self.sessions.run(Exchange(reader, writer), user)


# -- running it ----------------------------------------------------------------------------


def load_served() -> None:
    """Import every module whose functions the service runs, so the door knows them."""
    for name in SERVED:
        importlib.import_module(name)


def write_service_file(path: Path, address: str, supervisor: int | None) -> None:
    target = client.service_file(path)
    aside = target.with_name(target.name + f".{os.getpid()}.tmp")
    aside.write_text(
        json.dumps({"address": address, "pid": os.getpid(), "supervisor": supervisor, "file": path.name}),
        encoding="utf-8",
    )
    os.replace(aside, target)


class Running:
    """A service started in this process: its server, the held file and the checkpoint thread."""

    def __init__(
        self,
        path: Path,
        *,
        port: int = 0,
        on_fatal: Callable[[BaseException], None],
        supervisor: int | None = None,
        hub_api_url: str = "",
    ) -> None:
        load_served()
        self.path = path
        self.supervisor = supervisor
        self.held = Held(path, on_fatal=on_fatal)
        secret = tokens.load_or_create_secret(config.secret_path(path))
        self.server = Service(
            self.held, location=f"grpc+tcp://127.0.0.1:{port}", secret=secret, hub_api_url=hub_api_url
        )
        self.address = f"grpc+tcp://127.0.0.1:{self.server.port}"
        self._stop = threading.Event()
        self._checkpoints = threading.Thread(target=self._checkpoint_loop, daemon=True, name="kit-checkpoint")
        self._checkpoints.start()
        write_service_file(path, self.address, supervisor)

    def _checkpoint_loop(self) -> None:
        while not self._stop.wait(0.5):
            if self.supervisor is not None and os.getppid() != self.supervisor:
                # Whoever started it is gone (kit serve killed, say): stop cleanly rather than linger.
                log.warning("the supervising process is gone: stopping")
                os.kill(os.getpid(), signal.SIGTERM)
                return
            try:
                self.server.sessions.expire_silent_writers()
                self.held.checkpoint_if_due()
            except Exception:
                log.exception("checkpoint loop")

    def stop(self) -> None:
        """Stop answering, merge the log into the file, let go of it."""
        self._stop.set()
        self.server.shutdown()
        self._checkpoints.join(timeout=5)
        try:
            self.held.checkpoint_now()
        except Exception:
            log.warning("final checkpoint failed (the log is merged at the next start)", exc_info=True)
        self.held.close()
        with contextlib.suppress(FileNotFoundError):
            if json.loads(client.service_file(self.path).read_text(encoding="utf-8")).get("pid") == os.getpid():
                client.service_file(self.path).unlink()


def _warm_charts() -> None:
    try:
        from kit import charts

        charts.warm_up()
    except Exception:  # a chart that cannot be drawn says so when a report asks for it
        log.exception("图表绘制组件未能预先启动")


def main(argv: list[str] | None = None) -> int:
    """`python -m kit.service.server --db FILE [--port N]`: run the service until stopped."""
    parser = argparse.ArgumentParser(prog="kit-data", description="监督台数据服务")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--supervisor", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s 数据服务 %(levelname)s %(message)s")

    def die(_e: BaseException) -> None:
        # DuckDB refuses all further work: a new process replays the log and goes on.
        threading.Timer(0.2, lambda: os._exit(EXIT_RESTART)).start()

    faults.arm_from_env()
    # Many threads, one interpreter: a thread doing long Python work (checking a 100,000-row
    # import) must hand over the interpreter often, or each save's many short DuckDB calls wait
    # 5 ms apiece for it (measured: a writer's longest wait during an import 1.6 s → 0.8 s).
    sys.setswitchinterval(0.0005)
    try:
        running = Running(
            Path(args.db).resolve(),
            port=args.port,
            on_fatal=die,
            supervisor=args.supervisor,
            hub_api_url=os.environ.get("KIT_HUB_API_URL", ""),
        )
    except KitError as e:
        print(f"数据服务未能启动：{e.message}", file=sys.stderr, flush=True)
        return 1
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"数据服务已启动：{running.address}（{running.path.name}）", flush=True)
    # Reports' charts are drawn here, not in the apps' kernels: start the renderer (about 2 s)
    # beside the first requests rather than in the way of the first report.
    threading.Thread(target=_warm_charts, name="charts", daemon=True).start()
    try:
        stopping.wait()
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
