"""The data service's hold on the office file: one DuckDB connection, a cursor per action.

Readers each get their own snapshot and never wait. Writers take the write turn one
at a time, first come first served, for a bounded wait. DuckDB's own checkpoint on
commit is switched off: the log is merged into the file by `checkpoint_if_due`, when
it has grown or nobody has saved for a while, never as part of a save. File access
from SQL is switched off too, so no query can read or write other files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from kit import anchor, config, db
from kit.errors import Busy, DatabaseError, OutcomeUnknown, PermissionDenied
from kit.service import faults

log = logging.getLogger(__name__)

# The user a request of this thread was verified as (set by kit.service.server).
acting: ContextVar[str | None] = ContextVar("kit_acting", default=None)

_SETTINGS: dict[str, str | bool | int | float | list[str]] = {
    **db.DUCKDB_SETTINGS,
    "checkpoint_threshold": "1000GB",  # never as part of a commit: see checkpoint_if_due
    "enable_external_access": False,
}
_OPEN_WAIT_S = 30.0
_KEEP_OUTCOMES = timedelta(days=2)
EXPIRED = "未保存，未写入任何数据：保存过程中长时间没有响应，本次操作已撤销。请重新保存。"
UNKNOWN = "结果不明，请刷新核对：数据库在保存时发生严重错误，数据服务正在重新启动，稍后可核实本次保存是否已写入。"


@dataclass
class _Ticket:
    who: str
    action: str
    since: float


class WriteTurn:
    """One writer at a time, in the order they asked; a wait is bounded and says who is writing."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[_Ticket] = deque()
        self.holder: _Ticket | None = None

    def acquire(self, who: str, action: str, wait_s: float) -> _Ticket:
        """
        Raises:
            Busy: the turn did not come within `wait_s`.
        """
        ticket = _Ticket(who, action, time.monotonic())
        deadline = ticket.since + wait_s
        with self._cond:
            self._queue.append(ticket)
            try:
                while self.holder is not None or self._queue[0] is not ticket:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise Busy(self._busy_text(wait_s))
                    self._cond.wait(left)
            except BaseException:
                self._queue.remove(ticket)
                self._cond.notify_all()
                raise
            self._queue.popleft()
            self.holder = ticket
            ticket.since = time.monotonic()
            return ticket

    def waiting(self) -> int:
        """How many writers wait for the turn now."""
        with self._cond:
            return len(self._queue)

    def release(self, ticket: _Ticket) -> None:
        with self._cond:
            if self.holder is ticket:
                self.holder = None
                self._cond.notify_all()

    def _busy_text(self, wait_s: float) -> str:
        holder = self.holder
        doing = f"：{holder.who}正在{holder.action}（已 {time.monotonic() - holder.since:.0f} 秒）" if holder else ""
        return f"数据库正忙{doing}。已等待 {wait_s:.0f} 秒，本次操作未执行，未写入任何数据，请稍后重试。"


class Held(db.Owner):
    """The office file held open by this process: `kit.db` actions become cursors on it."""

    def __init__(self, path: Path, *, on_fatal: Callable[[BaseException], None]) -> None:
        self.path = path
        self.turn = WriteTurn()
        self.on_fatal = on_fatal
        self.last_write = time.monotonic()
        self._paused = 0
        self._pause_lock = threading.Lock()
        self._last_prune = 0.0
        self.engine = _connect(path)
        # Opened once, closed only after DuckDB has let go: closing any descriptor of the file
        # would drop DuckDB's lock on it, since POSIX record locks belong to the process (a
        # backup that opened and closed the file left it unlocked; tests/test_service.py).
        self._fd = os.open(path, os.O_RDONLY)
        # Its own cursor, closed after: a result left half-read keeps a transaction open, and
        # DuckDB will not merge the log while one is (measured: every checkpoint then fails).
        cursor = self.engine.cursor()
        try:
            db.prepare_held(cursor, path)
        finally:
            cursor.close()

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.engine.close()
        os.close(self._fd)

    # -- reading and writing --------------------------------------------------------------
    def _actor(self, given: str | None = None) -> str:
        who = given or acting.get()
        if not who:
            raise PermissionDenied("数据服务收到的请求没有经过核实的身份，未执行。", action="身份凭据缺失")
        return who

    @contextmanager
    def read(self, *, wait_s: float) -> Iterator[db.Connection]:
        who = self._actor()
        try:
            with self.snapshot(who) as con:
                yield con
        except PermissionDenied as e:
            self.record_refusal(who, e)
            raise

    @contextmanager
    def snapshot(self, who: str) -> Iterator[db.Connection]:
        """A read-only view of the file as of now, for `who` (refusals are the caller's to record)."""
        cursor = self.engine.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            yield db.Connection(cursor, actor=who, writable=False)
        except duckdb.FatalException as e:
            self.fatal(e)
            raise DatabaseError(f"数据库发生严重错误，数据服务正在重新启动：{db.first_line(e)}") from e
        finally:
            db.rollback(cursor)
            with contextlib.suppress(duckdb.Error):
                cursor.close()

    @contextmanager
    def write(
        self, *, action: str, actor: str | None, wait_s: float, request_id: str | None = None
    ) -> Iterator[db.Connection]:
        who = self._actor(actor)
        try:
            with self.transaction(who, action, wait_s, request_id) as con:
                yield con
        except PermissionDenied as e:
            self.record_refusal(who, e)
            raise

    @contextmanager
    def transaction(self, who: str, action: str, wait_s: float, request_id: str | None) -> Iterator[db.Connection]:
        """The write turn and one transaction, committed on a clean exit (refusals are the caller's)."""
        session = self.begin(who, action, wait_s, request_id)
        try:
            yield session.con
        except BaseException:
            session.rollback()
            raise
        session.commit()

    def begin(
        self, who: str, action: str, wait_s: float, request_id: str | None, *, now: datetime | None = None
    ) -> WriteSession:
        """Take the write turn and open a transaction (acting at `now`, if the session began earlier).

        Raises:
            Busy: the turn did not come within `wait_s`.
        """
        session = WriteSession(self, self.turn.acquire(who, action, wait_s), request_id)
        if now is not None:
            session.con.now = now
        return session

    def committed(self, request_id: str) -> str:
        """Whether a write session's commit is in the file ("committed") or not ("absent")."""
        cursor = self.engine.cursor()
        try:
            found = cursor.execute("SELECT 1 FROM write_outcomes WHERE request_id = ?", [request_id]).fetchone()
        except duckdb.FatalException as e:
            self.fatal(e)
            raise OutcomeUnknown(UNKNOWN) from e
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
        return "committed" if found else "absent"

    def record_refusal(self, who: str, refusal: PermissionDenied) -> None:
        """A trace entry for a refused request, in a transaction of its own."""
        db.record_refusal_with(lambda: self.transaction(who, "记录拒绝访问", config.lock_wait_s(), None), who, refusal)

    def fatal(self, e: BaseException) -> None:
        log.critical("the database can no longer be used: %s", e)
        self.on_fatal(e)

    # -- the log and consistent copies -------------------------------------------------------
    def wal(self) -> Path:
        return self.path.with_name(self.path.name + ".wal")

    def wal_bytes(self) -> int:
        try:
            return self.wal().stat().st_size
        except FileNotFoundError:
            return 0

    def checkpoint_if_due(self) -> bool:
        """Merge the log into the file if it has outgrown its limit or nobody saved for a while."""
        size = self.wal_bytes()
        if not size or self._paused:
            return False
        large = size >= config.checkpoint_wal_bytes()
        if not large and time.monotonic() - self.last_write < config.checkpoint_idle_s():
            return False
        try:
            ticket = self.turn.acquire("数据服务", "合并日志", 0.5 if large else 0.0)
        except Busy:
            return False
        try:
            self._checkpoint()
        finally:
            self.turn.release(ticket)
        return True

    def _checkpoint(self) -> None:
        cursor = self.engine.cursor()
        try:
            if time.monotonic() - self._last_prune > 3600:
                self._last_prune = time.monotonic()
                cursor.execute("DELETE FROM write_outcomes WHERE committed_at < ?", [config.now() - _KEEP_OUTCOMES])
            faults.reached("in-checkpoint")
            cursor.execute("CHECKPOINT")
        except duckdb.FatalException as e:
            self.fatal(e)
        except duckdb.Error as e:
            log.warning("checkpoint failed (the log stays and is merged later): %s", e)
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.close()

    def checkpoint_now(self, wait_s: float = 5.0) -> None:
        """Merge the log into the file now (when the service stops).

        Raises:
            Busy: a writer kept the turn past `wait_s`.
        """
        ticket = self.turn.acquire("数据服务", "合并日志", wait_s)
        try:
            self._checkpoint()
        finally:
            self.turn.release(ticket)

    @contextmanager
    def copied(self, target: Path, copy: Callable[[db.Source, Path], None]) -> Iterator[db.Connection]:
        """Copy the file as of a checkpoint into `target`; yield a snapshot at that same state.

        Writers wait only for the checkpoint itself: the copy is made while they go on
        saving into the log, because the file is not written again until the next
        checkpoint, and checkpoints wait until the copy is done.
        """
        who = self._actor()
        ticket = self.turn.acquire(who, "备份数据库", config.lock_wait_s())
        cursor = self.engine.cursor()
        try:
            try:
                cursor.execute("CHECKPOINT")
                cursor.execute("BEGIN TRANSACTION READ ONLY")
                cursor.execute("SELECT count(*) FROM schema_migrations").fetchall()  # pins the snapshot now
                with self._pause_lock:
                    self._paused += 1
            finally:
                self.turn.release(ticket)
            try:
                copy(_Reader(self._fd, str(self.path)), target)
                yield db.Connection(cursor, actor=who, writable=False)
            finally:
                with self._pause_lock:
                    self._paused -= 1
        except duckdb.FatalException as e:
            self.fatal(e)
            raise DatabaseError(f"备份失败：数据库发生严重错误（{db.first_line(e)}）") from e
        except duckdb.Error as e:
            raise DatabaseError(f"备份失败：无法合并日志（{db.first_line(e)}），数据库未被改动。") from e
        finally:
            db.rollback(cursor)
            with contextlib.suppress(duckdb.Error):
                cursor.close()


class _Reader:
    """The held file's bytes from its start, read through the service's one descriptor of it."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd, self.name, self.at = fd, name, 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = os.pread(self.fd, size if size >= 0 else os.fstat(self.fd).st_size, self.at)
        self.at += len(chunk)
        return chunk


class WriteSession:
    """One write transaction holding the write turn until it commits, rolls back or expires.

    `lock` is held while a request of the session runs, so that `expire` (from the
    service's watchdog, for a client that went silent) never cuts into one.
    """

    def __init__(self, held: Held, ticket: _Ticket, request_id: str | None) -> None:
        self.held, self.ticket, self.request_id = held, ticket, request_id
        self.lock = threading.Lock()
        self.done = False
        self.expired = False
        self.touched = time.monotonic()
        self.cursor = held.engine.cursor()
        try:
            self.cursor.execute("BEGIN TRANSACTION")
        except duckdb.Error as e:
            self._end()
            if isinstance(e, duckdb.FatalException):
                held.fatal(e)
            raise DatabaseError(f"未保存，未写入任何数据：{db.first_line(e)}") from e
        self.con = db.Connection(self.cursor, actor=ticket.who, writable=True)

    def _end(self) -> None:
        self.done = True
        self.held.last_write = time.monotonic()
        with contextlib.suppress(duckdb.Error):
            self.cursor.close()
        self.held.turn.release(self.ticket)

    def rollback(self) -> None:
        if not self.done:
            db.rollback(self.cursor)
            self._end()

    def expire(self, idle_s: float) -> bool:
        """Roll back if no request came for `idle_s` and none is running now; whether it did."""
        if time.monotonic() - self.touched < idle_s or not self.lock.acquire(blocking=False):
            return False
        try:
            if self.done:
                return False
            self.expired = True
            self.rollback()
            return True
        finally:
            self.lock.release()

    def commit(self) -> None:
        """Commit; the outcome raised or returned is the truth.

        Raises:
            DatabaseError: nothing was written (the commit failed, or the session expired).
            OutcomeUnknown: DuckDB failed so badly that only a restart can tell.
        """
        if self.expired:
            raise DatabaseError(EXPIRED)
        try:
            if self.request_id is not None:
                self.cursor.execute(
                    "INSERT INTO write_outcomes VALUES (?, ?, ?, ?)",
                    [self.request_id, self.ticket.who, self.ticket.action, self.con.now],
                )
            faults.reached("before-commit")
            faults.reached("during-commit")
            self.cursor.execute("COMMIT")
        except duckdb.FatalException as e:
            self._end()
            self.held.fatal(e)
            raise OutcomeUnknown(UNKNOWN) from e
        except duckdb.Error as e:
            db.rollback(self.cursor)
            self._end()
            if self.request_id is not None and self.held.committed(self.request_id) == "committed":
                log.error("COMMIT reported %s, yet request %s is in the file", e, self.request_id)
                return
            raise DatabaseError(f"未保存，未写入任何数据：{db.first_line(e)}") from e
        try:  # still holding the turn, so anchors are written in commit order
            anchor.write_after_commit(self.held.path, self.con.trace_tail)
        finally:
            self._end()
        faults.reached("after-commit")


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the file read-write, waiting out an embedded action that still holds it.

    Raises:
        Busy: another program kept the file.
        DatabaseError: the file cannot be opened.
    """
    deadline = time.monotonic() + _OPEN_WAIT_S
    while True:
        try:
            return duckdb.connect(str(path), config=_SETTINGS)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise DatabaseError(f"无法打开数据库文件 {path.name}：{db.first_line(e)}") from e
            if time.monotonic() >= deadline:
                raise Busy(f"数据库文件 {path.name} 被其他程序占用，数据服务无法启动。请关闭该程序后重试。") from e
            time.sleep(0.2)
        except duckdb.Error as e:
            raise DatabaseError(f"无法打开数据库文件 {path.name}：{db.first_line(e)}") from e
