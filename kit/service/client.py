"""The client side of the data service: find it, prove who is asking, run kit's functions there.

A session is one Arrow Flight exchange: it opens (a read snapshot, or the write turn
with a transaction), carries calls of kit's public functions, and ends with a commit
or a rollback. What the caller is told about a save is the truth:

- the service answered the commit: saved, or not saved (nothing was written);
- the exchange broke before the commit was sent: not saved (the service rolls back
  any transaction whose exchange ends without a commit);
- it broke after the commit was sent: the service is asked, once it is back, whether
  that request's commit is in the file (each write session leaves its request id in
  the same transaction); if it cannot be asked within the wait, "结果不明".
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.flight as fl

from kit import config, identity
from kit.errors import DatabaseError, KitError, NotFound, OutcomeUnknown, PermissionDenied, ServiceUnavailable
from kit.service import codec, tokens

log = logging.getLogger(__name__)

SESSION_TOKEN_ENVS = ("HTTP_X_KIT_SESSION", "KIT_SESSION_TOKEN")
HUB_TOKEN_PREFIX = "hub:"
# How long a token minted here for one session stays good: long enough for any import.
_LOCAL_TTL_S = 3600
_RETRY_S = (0.05, 0.1, 0.2, 0.4, 0.8)

UNAVAILABLE = "数据服务暂不可用，正在恢复。本次操作未执行，未写入任何数据；页面上填写的内容仍在，请稍后重试。"
NOT_SAVED_BROKEN = "未保存，未写入任何数据：与数据服务的连接在保存前中断。请稍后重试。"
NOT_SAVED_AFTER_CHECK = "未保存，未写入任何数据：数据服务在保存过程中中断，重新启动后核实本次保存未写入。请重新保存。"
UNKNOWN = (
    "结果不明，请刷新核对：数据服务在保存过程中中断，暂时无法确认本次保存是否已写入。"
    "请稍后刷新页面，核对后再决定是否重新录入。"
)


def service_file(db: Path) -> Path:
    """Where a running service writes its address, beside the file it owns."""
    return db.with_name(db.name + ".service")


@dataclass(frozen=True)
class Found:
    """A running (or restarting) service as its address file describes it."""

    address: str
    pid: int | None = None
    supervisor: int | None = None

    def alive(self) -> bool:
        return any(_alive(p) for p in (self.pid, self.supervisor) if p)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another system user's process: it exists
        return True
    return True


def found(db: Path) -> Found | None:
    """The service named by `KIT_SERVICE`, else by the address file beside `db`, if any."""
    named = config.service_address()
    if named:
        return Found(named)
    try:
        data = json.loads(service_file(db).read_text(encoding="utf-8"))
        return Found(str(data["address"]), data.get("pid"), data.get("supervisor"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def through_service(db: Path) -> bool:
    """Whether this process reaches `db` through its data service (`KIT_MODE`, see kit.config.mode)."""
    mode = config.mode()
    if mode != "auto":
        return mode == "service"
    service = found(db)
    return service is not None and (bool(config.service_address()) or service.alive())


# -- who is asking ---------------------------------------------------------------------


def credential(db: Path, actor: str | None = None) -> str:
    """What proves to the service who is asking.

    A page's token from the serving layer; else, under JupyterHub, the user's Hub
    token; else, for the local operator who can read the service's key, a token
    minted here for `actor` or the deployment's user (kit.identity).

    Raises:
        PermissionDenied: nothing here can prove who is asking.
    """
    if actor is None:
        for name in SESSION_TOKEN_ENVS:
            token = os.environ.get(name, "").strip()
            if token:
                return token
        hub_token = os.environ.get("JUPYTERHUB_API_TOKEN", "").strip()
        if hub_token and identity.mode() == "hub":
            return HUB_TOKEN_PREFIX + hub_token
    secret = tokens.read_secret(config.secret_path(db))
    if secret is None:
        raise PermissionDenied(
            "未能向数据服务证明您的身份（没有页面凭据，也不能读取数据服务的密钥文件），操作未执行。"
            "请从监督台的页面或 JupyterHub 进入；如仍不行，请联系管理员。",
            action="身份凭据缺失",
        )
    return tokens.mint(secret, actor or identity.current(), ttl_s=_LOCAL_TTL_S)


# -- the connection to the service -----------------------------------------------------

_clients: dict[str, fl.FlightClient] = {}
_clients_pid = 0
_clients_lock = threading.Lock()


def _client(address: str) -> fl.FlightClient:
    global _clients_pid
    with _clients_lock:
        if _clients_pid != os.getpid():  # a forked child must not share the parent's channels
            _clients.clear()
            _clients_pid = os.getpid()
        found_client = _clients.get(address)
        if found_client is None:
            found_client = fl.FlightClient(address)
            _clients[address] = found_client
        return found_client


def _forget(address: str) -> None:
    with _clients_lock:
        stale = _clients.pop(address, None)
    if stale is not None:
        with contextlib.suppress(pa.ArrowException, OSError):
            stale.close()


def _options(token: str, timeout: float | None = None) -> fl.FlightCallOptions:
    return fl.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())], timeout=timeout)


_TRANSIENT = (fl.FlightUnavailableError, fl.FlightTimedOutError, fl.FlightCancelledError, ConnectionError)


def _refused(e: fl.FlightUnauthenticatedError) -> PermissionDenied:
    """The service's own words for a refused credential (gRPC adds ". Detail: …" and may add a prefix)."""
    text = str(e).split(". Detail:")[0].split("with message: ")[-1].strip()
    return PermissionDenied(text or "数据服务拒绝了您的身份凭据，请求未执行。", action="身份凭据无效")


class Exchange:
    """One Flight exchange: messages out, messages (with callbacks) back."""

    def __init__(self, writer: fl.FlightStreamWriter, reader: fl.FlightStreamReader) -> None:
        self.writer, self.reader = writer, reader
        self.broken = False

    def send(self, doc: Mapping[str, Any], blobs: Sequence[bytes | pa.Buffer] = ()) -> None:
        batch, metadata = codec.pack(doc, blobs)
        try:
            if batch is None:
                self.writer.write_metadata(metadata)
            else:
                self.writer.write_with_metadata(batch, metadata)
        except (pa.ArrowException, OSError) as e:
            self.broken = True
            raise _Broken() from e

    def receive(self, callbacks: Sequence[Callable[..., Any]] = ()) -> tuple[dict[str, Any], list[pa.Buffer]]:
        while True:
            try:
                chunk = self.reader.read_chunk()
            except fl.FlightUnauthenticatedError as e:
                self.broken = True
                raise _refused(e) from e
            except (pa.ArrowException, OSError, StopIteration) as e:
                self.broken = True
                raise _Broken() from e
            doc, blobs = codec.unpack(chunk)
            if "cb" in doc and callbacks:
                args = codec.Decoder(blobs, trusted=True)(doc.get("args", []))
                callbacks[int(doc["cb"])](*args)
                continue
            return doc, blobs

    def close(self) -> None:
        with contextlib.suppress(pa.ArrowException, OSError):
            self.writer.done_writing()
        with contextlib.suppress(pa.ArrowException, OSError):
            self.writer.close()


class _Broken(Exception):
    """The exchange with the service ended unexpectedly."""


# How to start a service for a file that has none. The product leaves it None: a
# service is started by `kit serve` or systemd, and clients wait while it restarts.
# The test suite's service mode starts one in its own process (tests/service_host.py).
starter: Callable[[Path], Found | None] | None = None


def _open(
    db: Path, opening: Mapping[str, Any], actor: str | None, wait_s: float
) -> tuple[Exchange, dict[str, Any], str]:
    """Open an exchange and get the service's answer to `opening`, retrying while it restarts.

    Raises:
        NotFound: neither a service nor the file exists.
        ServiceUnavailable: no service answered within the wait.
        Busy, PermissionDenied, KitError: the service refused to open.
    """
    deadline = time.monotonic() + wait_s
    attempt = 0
    while True:
        service = found(db)
        if service is None and starter is not None:
            service = starter(db)
        if service is None and not config.service_address() and not db.exists():
            raise NotFound(f"数据库文件 {db} 不存在。请先运行“kit init”或“kit demo”创建它。")
        if service is not None:
            token = credential(db, actor)  # the key exists once a service has started
            exchange: Exchange | None = None
            try:
                writer, reader = _client(service.address).do_exchange(
                    fl.FlightDescriptor.for_command(b"kit"), _options(token)
                )
                writer.begin(codec.BLOBS)
                exchange = Exchange(writer, reader)
                exchange.send(opening)
                reply, _ = exchange.receive()
            except fl.FlightUnauthenticatedError as e:
                if exchange is not None:
                    exchange.close()
                raise _refused(e) from e
            except (*_TRANSIENT, _Broken, pa.ArrowException, OSError) as e:
                if exchange is not None:
                    exchange.close()
                _forget(service.address)
                log.info("data service not reachable yet: %s", e)
            else:
                if "error" in reply:
                    exchange.close()
                    raise codec.error_from(reply["error"])
                return exchange, reply, token
        if time.monotonic() >= deadline:
            raise ServiceUnavailable(UNAVAILABLE)
        time.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
        attempt += 1


class Session:
    """One read, write or action on the service, as the caller's connection sees it."""

    def __init__(
        self, db: Path, exchange: Exchange, reply: Mapping[str, Any], *, token: str, request_id: str, wait_s: float
    ) -> None:
        self.db, self.exchange, self.token, self.request_id, self.wait_s = db, exchange, token, request_id, wait_s
        self.actor = str(reply["actor"])
        self.now = datetime.fromisoformat(str(reply["now"]))
        self.writable = bool(reply.get("writable"))
        self.failed: KitError | None = None

    def _ask(self, doc: Mapping[str, Any]) -> tuple[dict[str, Any], list[pa.Buffer]]:
        """Send one request of this session and wait for its answer (callbacks run meanwhile)."""
        if self.exchange.broken:
            raise self._lost()
        encoder = codec.Encoder(allow_callbacks=True)
        encoded = encoder(dict(doc))
        try:
            self.exchange.send(encoded, encoder.blobs)
            reply, blobs = self.exchange.receive(encoder.callbacks)
        except _Broken as e:
            raise self._lost() from e
        if "error" in reply:
            raise codec.error_from(reply["error"])
        return reply, blobs

    def _lost(self) -> KitError:
        """The exchange broke before any commit was sent: nothing of this session was kept."""
        self.failed = ServiceUnavailable(NOT_SAVED_BROKEN if self.writable else UNAVAILABLE)
        return self.failed

    def call(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any], by: str = "arg") -> tuple[Any, Any]:
        """Run one public function there; returns its result and the trace's tail in this transaction.

        The connection is left out of `args`/`kwargs`; the service puts its own in (`by`: "arg" or "kw").
        """
        reply, blobs = self._ask({"op": "call", "fn": name, "args": list(args), "kwargs": dict(kwargs), "con": by})
        return codec.Decoder(blobs, trusted=True)(reply.get("result")), reply.get("tail")

    def sql(self, sql: str, params: Any) -> Any:
        """One read-only SELECT (all-units users only): its rows as an Arrow table."""
        reply, blobs = self._ask({"op": "sql", "sql": sql, "params": params})
        return codec.Decoder(blobs, trusted=True)(reply.get("result"))

    def finish(self, *, commit: bool) -> None:
        """End the session: commit (writes) or roll back; the outcome told is the truth.

        Raises:
            DatabaseError: the commit failed and nothing was written.
            OutcomeUnknown: the service went away after the commit was sent and cannot be asked.
        """
        if self.exchange.broken:
            self.exchange.close()
            if commit and self.failed is None:
                raise self._lost()
            return
        try:
            self.exchange.send({"op": "commit" if commit else "rollback"})
            reply, _ = self.exchange.receive()
        except _Broken as e:
            self.exchange.close()
            if commit and self.writable:
                self._settle(e)
                return
            if commit:
                raise self._lost() from e
            return
        self.exchange.close()
        if "error" in reply:
            failure = codec.error_from(reply["error"])
            if isinstance(failure, OutcomeUnknown) and self.writable:
                self._settle(failure)
                return
            raise failure

    def _settle(self, cause: BaseException) -> None:
        """The commit was sent but its answer lost: ask the service (once back) whether it landed."""
        deadline = time.monotonic() + max(self.wait_s, 30.0)
        attempt = 0
        while time.monotonic() < deadline:
            try:
                answer = outcome(self.db, self.request_id, self.token)
            except (*_TRANSIENT, pa.ArrowException, OSError, ServiceUnavailable):
                time.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
                attempt += 1
                continue
            if answer == "committed":
                log.warning("commit %s confirmed after the service went away", self.request_id)
                return
            if answer == "absent":
                raise DatabaseError(NOT_SAVED_AFTER_CHECK) from cause
            time.sleep(0.05)  # pending: the service is still finishing it
        raise OutcomeUnknown(UNKNOWN) from cause


def outcome(db: Path, request_id: str, token: str) -> str:
    """ "committed", "absent" or "pending": what became of a write session's commit."""
    service = found(db)
    if service is None:
        raise ServiceUnavailable(UNAVAILABLE)
    body = json.dumps({"request_id": request_id}).encode()
    try:
        results = list(_client(service.address).do_action(fl.Action("outcome", body), _options(token, timeout=5)))
    except fl.FlightUnauthenticatedError as e:
        raise _refused(e) from e
    except _TRANSIENT:
        _forget(service.address)
        raise
    return str(json.loads(results[0].body.to_pybytes())["outcome"])


@contextmanager
def session(db: Path, *, kind: str, action: str, actor: str | None, wait_s: float) -> Iterator[Session]:
    """A read or write session on the service; a write commits when the block ends without an error.

    Raises:
        ServiceUnavailable, Busy, PermissionDenied: the session could not open; nothing was done.
        DatabaseError, OutcomeUnknown: see Session.finish.
    """
    request_id = uuid.uuid4().hex
    opening = {"op": "open", "kind": kind, "action": action, "request_id": request_id, "wait_s": wait_s}
    exchange, reply, token = _open(db, opening, actor, wait_s)
    current = Session(db, exchange, reply, token=token, request_id=request_id, wait_s=wait_s)
    try:
        yield current
    except BaseException:
        current.finish(commit=False)
        raise
    current.finish(commit=True)


def run_action(db: Path, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
    """Run a whole action (a function that opens the database itself) in the service."""
    wait = config.lock_wait_s()
    with session(db, kind="action", action=name, actor=None, wait_s=wait) as current:
        result, _ = current.call(name, args, kwargs)
    return result


def ping(db: Path, *, wait_s: float = 0.0, actor: str | None = None) -> dict[str, Any]:
    """The service's own description (file, schema version, process, who asked), retrying within `wait_s`.

    Raises:
        ServiceUnavailable: no service answered.
        PermissionDenied: the service refused the caller's credential.
    """
    deadline = time.monotonic() + wait_s
    while True:
        service = found(db)
        if service is not None:
            token = credential(db, actor)
            try:
                results = list(_client(service.address).do_action(fl.Action("ping", b""), _options(token, timeout=5)))
                return dict(json.loads(results[0].body.to_pybytes()))
            except fl.FlightUnauthenticatedError as e:
                raise _refused(e) from e
            except (*_TRANSIENT, pa.ArrowException, OSError):
                _forget(service.address)
        if time.monotonic() >= deadline:
            raise ServiceUnavailable(UNAVAILABLE)
        time.sleep(0.1)
