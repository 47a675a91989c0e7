"""The data service: the one process that holds the office file open (DESIGN.md, decision 1).

Clients (the apps' kernels, analysts' notebooks, the command line) reach it over Arrow
Flight on the loopback interface. Arrow Flight, because pyarrow is already here and
an exchange is a session with a lifetime: a transaction lives exactly as long as its
exchange, so a client that dies takes its transaction with it; gRPC does the framing,
deadlines and bearer headers; tables travel as Arrow. An exchange is

    open (read | write | action)  ->  call* | sql*  ->  commit | rollback

and every request carries a verified identity (kit.service.tokens): the user it
names is the only user the request acts as.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.flight as fl

from kit import access, config, db, door, schema
from kit.errors import Busy, DatabaseError, KitError, OutcomeUnknown, PermissionDenied
from kit.service import client, codec, faults, tokens
from kit.service.owner import EXPIRED, Held, WriteSession, acting

log = logging.getLogger(__name__)

# The modules whose public functions the service runs (tests/test_access.py lists the same).
SERVED = (
    "kit.access",
    "kit.appointments",
    "kit.analysis",
    "kit.assessments",
    "kit.backup",
    "kit.closings",
    "kit.corrections.common",
    "kit.corrections.feedback",
    "kit.corrections.findings",
    "kit.corrections.groups",
    "kit.corrections.history",
    "kit.corrections.items",
    "kit.corrections.outcomes",
    "kit.corrections.review",
    "kit.corrections.rounds",
    "kit.corrections.sheets",
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
    "kit.registry",
    "kit.schemes",
    "kit.audit",
    "kit.reports.assessment",
    "kit.reports.inspection",
)
EXIT_RESTART = 75  # the supervisor starts a fresh service
MAX_MESSAGE_BYTES = 96 * 1024 * 1024  # a 30 MB ledger's rows or a 20 MB evidence file, with room
_MAX_WAIT_S = 120.0
_REFUSALS_PER_MINUTE = 30


def write_idle_s() -> float:
    """How long a write session may sit silent holding the write turn before it is rolled back."""
    try:
        return max(0.5, float(os.environ.get("KIT_WRITE_IDLE_S", "") or 10.0))
    except ValueError:
        return 10.0


class _Gone(Exception):
    """The client's exchange ended (it closed it, or it died)."""


class _Exchange:
    """The server's end of one exchange."""

    def __init__(self, reader: fl.MetadataRecordBatchReader, writer: fl.MetadataRecordBatchWriter) -> None:
        self.reader, self.writer = reader, writer

    def receive(self) -> tuple[dict[str, Any], list[pa.Buffer]]:
        try:
            chunk = self.reader.read_chunk()
        except (StopIteration, pa.ArrowException, OSError) as e:  # the client closed it, or died
            raise _Gone() from e
        size = (chunk.data.nbytes if chunk.data is not None else 0) + (
            chunk.app_metadata.size if chunk.app_metadata is not None else 0
        )
        if size > MAX_MESSAGE_BYTES:  # checked before anything of it is decoded
            raise codec.WireError(f"请求过大（超过 {MAX_MESSAGE_BYTES // (1024 * 1024)} MB），未执行。")
        return codec.unpack(chunk)

    def reply(self, doc: Mapping[str, Any], blobs: list[bytes | pa.Buffer] | None = None) -> None:
        batch, metadata = codec.pack(doc, blobs or [])
        try:
            if batch is None:
                self.writer.write_metadata(metadata)
            else:
                self.writer.write_with_metadata(batch, metadata)
        except (pa.ArrowException, OSError) as e:
            raise _Gone() from e

    def error(self, exc: BaseException) -> None:
        with contextlib.suppress(_Gone):
            self.reply({"error": codec.error_data(exc)})


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
        self._pending: set[str] = set()
        self._writers: set[WriteSession] = set()
        self._pending_lock = threading.Condition()
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
            answer = {"outcome": self._outcome(request_id)}
        else:
            raise fl.FlightServerError(f"未知的请求：{action.type}")
        yield json.dumps(answer).encode()

    def _outcome(self, request_id: str) -> str:
        with self._pending_lock:
            if request_id in self._pending:
                return "pending"
        return self.held.committed(request_id)

    @contextmanager
    def _in_flight(self, request_id: str) -> Iterator[None]:
        with self._pending_lock:
            self._pending.add(request_id)
        try:
            yield
        finally:
            with self._pending_lock:
                self._pending.discard(request_id)

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
        exchange = _Exchange(reader, writer)
        refusals: list[PermissionDenied] = []
        token = acting.set(user)
        owned = db.owned_by(self.held)
        owned.__enter__()
        try:
            opening, _ = exchange.receive()
            kind = opening.get("kind")
            wait = min(max(float(opening.get("wait_s") or 0.0), 0.0), _MAX_WAIT_S)
            action = str(opening.get("action") or "")[:200]
            if kind == "write":
                self._write_session(exchange, user, action, wait, str(opening.get("request_id") or ""), refusals)
            elif kind == "read":
                self._read_session(exchange, user, refusals)
            elif kind == "action":
                self._action_session(exchange, user)
            else:
                exchange.error(codec.WireError("未知的会话类型。"))
        except _Gone:
            pass
        except KitError as e:
            exchange.error(e)
        except Exception as e:
            log.exception("data service session failed")
            exchange.error(e)
        finally:
            for refusal in refusals:
                self.held.record_refusal(user, refusal)
            owned.__exit__(None, None, None)
            acting.reset(token)

    def _write_session(
        self,
        exchange: _Exchange,
        user: str,
        action: str,
        wait: float,
        request_id: str,
        refusals: list[PermissionDenied],
    ) -> None:
        """A write transaction that takes the write turn at its first call, not when it opens.

        A client that opens, then thinks, keeps no one waiting; the turn is held from the
        first call to the commit.
        """
        if not request_id:
            exchange.error(codec.WireError("写入请求缺少编号，未执行。"))
            return
        now = config.now()
        exchange.reply({"actor": user, "now": now.isoformat(), "writable": True})
        session: WriteSession | None = None
        with self._in_flight(request_id):
            try:
                while True:
                    doc, blobs = exchange.receive()
                    op = doc.get("op")
                    if op == "rollback" or (op == "commit" and session is None):
                        exchange.reply({"ok": True} if op == "rollback" else {"committed": True})
                        return  # nothing begun is rolled back below
                    if op == "commit":
                        break
                    if session is None:
                        try:
                            session = self.held.begin(user, action, wait, request_id, now=now)
                        except (Busy, DatabaseError) as e:
                            exchange.error(e)  # the client rolls back: nothing was begun
                            continue
                        self._writers.add(session)
                    with session.lock:
                        if session.expired:
                            exchange.error(DatabaseError(EXPIRED))
                            continue
                        self._answer(exchange, session.con, doc, blobs, refusals)
                        session.touched = time.monotonic()
                assert session is not None  # a commit ends the loop only once the transaction began
                with session.lock:
                    session.commit()
            except _Gone:
                return  # rolled back below: the client never asked to commit, or cannot hear the answer
            except (DatabaseError, OutcomeUnknown) as e:
                exchange.error(e)
                return
            finally:
                if session is not None:
                    self._writers.discard(session)
                    with session.lock:
                        session.rollback()
        exchange.reply({"committed": True})
        faults.reached("after-reply")

    def expire_silent_writers(self) -> None:
        """Roll back write sessions whose client went silent (it holds the write turn for everyone)."""
        for session in list(self._writers):
            if session.expire(write_idle_s()):
                log.warning("a write session was silent for %.0f s and was rolled back", write_idle_s())

    def _read_session(self, exchange: _Exchange, user: str, refusals: list[PermissionDenied]) -> None:
        with self.held.snapshot(user) as con:
            exchange.reply({"actor": user, "now": con.now.isoformat(), "writable": False})
            self._serve(exchange, con, refusals)
        exchange.reply({"ok": True})

    def _action_session(self, exchange: _Exchange, user: str) -> None:
        exchange.reply({"actor": user, "now": config.now().isoformat(), "writable": False})
        doc, blobs = exchange.receive()
        try:
            fn, is_action = door.find(str(doc.get("fn")))
            if not is_action:
                raise KeyError(doc.get("fn"))
            args, kwargs = _arguments(doc, blobs, exchange)
            kwargs[door.ACTIONS[str(doc.get("fn"))][1]] = self.held.path
            result = fn(*args, **kwargs)
        except KeyError:
            exchange.error(PermissionDenied("数据服务不提供这个操作。", action="未开放的操作"))
        except Exception as e:  # a refusal was traced by the action's own db.read/db.write
            if not isinstance(e, KitError):
                log.exception("action %s failed", doc.get("fn"))
            exchange.error(e)
        else:
            _reply_result(exchange, result, None)
        exchange.receive()  # the client's rollback: nothing of its own to undo
        exchange.reply({"ok": True})

    def _serve(self, exchange: _Exchange, con: db.Connection, refusals: list[PermissionDenied]) -> None:
        """Answer calls of a read session until the client ends it."""
        while True:
            doc, blobs = exchange.receive()
            if doc.get("op") in ("commit", "rollback"):
                return
            self._answer(exchange, con, doc, blobs, refusals)

    def _answer(
        self,
        exchange: _Exchange,
        con: db.Connection,
        doc: Mapping[str, Any],
        blobs: list[pa.Buffer],
        refusals: list[PermissionDenied],
    ) -> None:
        """One call of a public function, or one SELECT, in the session's transaction."""
        op = doc.get("op")
        try:
            if op == "call":
                fn, is_action = door.find(str(doc.get("fn")))
                if is_action:
                    raise KeyError(doc.get("fn"))
                args, kwargs = _arguments(doc, blobs, exchange)
                if doc.get("con") == "kw":
                    kwargs["con"] = con
                else:
                    args.insert(door.FUNCTIONS[str(doc.get("fn"))][1], con)
                _reply_result(exchange, fn(*args, **kwargs), con.trace_tail)
            elif op == "sql":
                _reply_result(exchange, _sql(con, doc), None)
            else:
                raise PermissionDenied("数据服务不提供这个操作。", action="未开放的操作")
        except KeyError:
            exchange.error(PermissionDenied("数据服务不提供这个函数。", action="未开放的操作"))
        except PermissionDenied as e:
            refusals.append(e)
            exchange.error(e)
        except _Gone:
            raise
        except Exception as e:
            if not isinstance(e, KitError):
                log.exception("call %s failed", doc.get("fn"))
            exchange.error(e)


def _arguments(doc: Mapping[str, Any], blobs: list[pa.Buffer], exchange: _Exchange) -> tuple[list[Any], dict[str, Any]]:
    """A call's arguments; a callback of the client becomes a message sent back to it."""

    def callback(index: int) -> Callable[..., None]:
        def send(*args: Any) -> None:
            encoder = codec.Encoder()
            exchange.reply({"cb": index, "args": encoder(list(args))}, encoder.blobs)

        return send

    decode = codec.Decoder(blobs, trusted=False, callback=callback)
    args = decode(doc.get("args") or [])
    kwargs = decode(doc.get("kwargs") or {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise codec.WireError("调用参数格式不正确。")
    return args, kwargs


def _reply_result(exchange: _Exchange, result: Any, tail: Any) -> None:
    encoder = codec.Encoder()
    exchange.reply({"result": encoder(result), "tail": list(tail) if tail else None}, encoder.blobs)


def _sql(con: db.Connection, doc: Mapping[str, Any]) -> Any:
    """One read-only SELECT, for users who see every unit (the rule of kit.analysis.query)."""
    access.require_all_units(con, access.READ, what="执行自由 SQL 查询")
    sql = str(doc.get("sql") or "")
    db.require_select(con, sql)
    params = codec.Decoder([], trusted=False)(doc.get("params"))
    return con.arrow(sql, params)  # rows or frames are made by the client: no Python objects here


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
                self.server.expire_silent_writers()
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
