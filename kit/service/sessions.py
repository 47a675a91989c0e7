"""The data service's sessions: one exchange, from its opening to its commit or rollback.

The Flight server (kit.service.server) verifies who is asking and hands each exchange
here, where it becomes one session of the held file:

- read: a snapshot, answering calls and SELECTs until the client ends it;
- write: a transaction that takes the write turn at its first call and commits when
  asked; the writes still running are known, so a client can ask how one ended;
- action: one `@door.action` function run with the caller's identity.

A refusal met inside a session is traced once the session is over.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.flight as fl

from kit import access, config, db, door
from kit.errors import Busy, DatabaseError, KitError, OutcomeUnknown, PermissionDenied
from kit.service import codec, faults
from kit.service.owner import EXPIRED, Held, WriteSession, acting

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 96 * 1024 * 1024  # a 30 MB ledger's rows or a 20 MB evidence file, with room
_MAX_WAIT_S = 120.0


def write_idle_s() -> float:
    """How long a write session may sit silent holding the write turn before it is rolled back."""
    try:
        return max(0.5, float(os.environ.get("KIT_WRITE_IDLE_S", "") or 10.0))
    except ValueError:
        return 10.0


class Gone(Exception):
    """The client's exchange ended (it closed it, or it died)."""


class Exchange:
    """The server's end of one exchange."""

    def __init__(self, reader: fl.MetadataRecordBatchReader, writer: fl.MetadataRecordBatchWriter) -> None:
        self.reader, self.writer = reader, writer

    def receive(self) -> tuple[dict[str, Any], list[pa.Buffer]]:
        try:
            chunk = self.reader.read_chunk()
        except (StopIteration, pa.ArrowException, OSError) as e:  # the client closed it, or died
            raise Gone() from e
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
            raise Gone() from e

    def error(self, exc: BaseException) -> None:
        with contextlib.suppress(Gone):
            self.reply({"error": codec.error_data(exc)})


class Sessions:
    """The sessions of one held file, and the writes among them still in flight."""

    def __init__(self, held: Held) -> None:
        self.held = held
        self._pending: set[str] = set()
        self._writers: set[WriteSession] = set()
        self._pending_lock = threading.Condition()

    def outcome(self, request_id: str) -> str:
        """How the write `request_id` ended: "pending" while it runs, else what the file says."""
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

    def run(self, exchange: Exchange, user: str) -> None:
        """One session, as its opening message asks, acting as the verified `user`."""
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
        except Gone:
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
        exchange: Exchange,
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
            except Gone:
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

    def _read_session(self, exchange: Exchange, user: str, refusals: list[PermissionDenied]) -> None:
        with self.held.snapshot(user) as con:
            exchange.reply({"actor": user, "now": con.now.isoformat(), "writable": False})
            self._serve(exchange, con, refusals)
        exchange.reply({"ok": True})

    def _action_session(self, exchange: Exchange, user: str) -> None:
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

    def _serve(self, exchange: Exchange, con: db.Connection, refusals: list[PermissionDenied]) -> None:
        """Answer calls of a read session until the client ends it."""
        while True:
            doc, blobs = exchange.receive()
            if doc.get("op") in ("commit", "rollback"):
                return
            self._answer(exchange, con, doc, blobs, refusals)

    def _answer(
        self,
        exchange: Exchange,
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
        except Gone:
            raise
        except Exception as e:
            if not isinstance(e, KitError):
                log.exception("call %s failed", doc.get("fn"))
            exchange.error(e)


def _arguments(doc: Mapping[str, Any], blobs: list[pa.Buffer], exchange: Exchange) -> tuple[list[Any], dict[str, Any]]:
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


def _reply_result(exchange: Exchange, result: Any, tail: Any) -> None:
    encoder = codec.Encoder()
    exchange.reply({"result": encoder(result), "tail": list(tail) if tail else None}, encoder.blobs)


def _sql(con: db.Connection, doc: Mapping[str, Any]) -> Any:
    """One read-only SELECT, for users who see every unit (the rule of kit.analysis.query)."""
    access.require_all_units(con, access.READ, what="执行自由 SQL 查询")
    sql = str(doc.get("sql") or "")
    db.require_select(con, sql)
    params = codec.Decoder([], trusted=False)(doc.get("params"))
    return con.arrow(sql, params)  # rows or frames are made by the client: no Python objects here
