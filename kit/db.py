"""The only way to the DuckDB file: one connection, one transaction per action.

`read()` and `write()` give a connection for one action, reached one of three ways
(DESIGN.md, decision 1):

- in the data service, which holds the file open: a cursor of its connection, the
  write turn for writers (kit.service.owner installs itself here);
- in a process that reaches the file through the service (kit.config.mode): a
  `RemoteConnection`, whose public functions run in the service (kit.door);
- embedded (no service runs: a stopped office, a copy on a laptop): the sidecar lock
  (`kit.lock`), the file attached for one transaction, then detached.

This module is also the only one that sees DuckDB's exceptions: it turns them into
`kit.errors` at the boundary.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from kit import anchor, config, identity, schema, trace, users
from kit.connection import Connection as Connection
from kit.connection import Params as Params
from kit.connection import first_line as first_line
from kit.errors import (
    Busy,
    DatabaseError,
    InvalidInput,
    KitError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    SchemaError,
)
from kit.lock import FileLock
from kit.service import client

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: the apps' kernels never need it
    import pandas as pd

log = logging.getLogger(__name__)

# Extensions must never be fetched: the offices are offline.
DUCKDB_SETTINGS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# A COMMIT only writes the log: merging it into the file happens apart (at DETACH here,
# by the data service's own schedule there), so a failed merge is never reported as a
# failed save of something that was in fact kept.
_EMBEDDED_SETTINGS = {**DUCKDB_SETTINGS, "checkpoint_threshold": "1000GB"}


class RemoteConnection(Connection):
    """A connection to the data service: kit's public functions sent to it run there (kit.door).

    Free SQL goes as one read-only SELECT, answered only for users who see every unit.
    """

    def __init__(self, session: client.Session) -> None:  # no local handle: `raw` stays unset
        self.session = session
        self.actor = session.actor
        self.writable = session.writable
        self.now = session.now
        self.trace_tail = None
        self.cache = {}

    def forward(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any], by: str = "arg") -> Any:
        """Run the public function `name` in the service, in this connection's transaction.

        `args` and `kwargs` leave the connection out; `by` says how it was passed ("arg" or "kw").
        """
        result, tail = self.session.call(name, args, kwargs, by)
        if tail is not None:
            self.trace_tail = (int(tail[0]), str(tail[1]))
        return result

    def execute(self, sql: str, params: Params | None = None) -> Any:
        table = self.arrow(sql, params)
        return _Rows(list(table.column_names), _as_duckdb(table, lambda rel: rel.fetchall()))

    def df(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        frame: pd.DataFrame = _as_duckdb(self.arrow(sql, params), lambda rel: rel.df())
        return frame

    def arrow(self, sql: str, params: Params | None = None) -> pa.Table:
        """The service runs the SELECT and sends Arrow; rows and frames are made here, as DuckDB makes them."""
        table: pa.Table = self.session.sql(sql, _plain(params))
        return table

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        raise PermissionDenied("通过数据服务不能直接写入数据表，请使用监督台的函数。", action="直接写表")

    def insert_columns(self, table: str, columns: Mapping[str, Sequence[Any]] | pa.Table) -> None:
        raise PermissionDenied("通过数据服务不能直接写入数据表，请使用监督台的函数。", action="直接写表")


def _as_duckdb(table: pa.Table, read: Callable[[duckdb.DuckDBPyRelation], Any]) -> Any:
    """`read` of an Arrow table through this process's own DuckDB: the same Python values and dtypes
    a direct query gives, and the service spends no time making them."""
    cursor = _get_engine().cursor()
    try:
        return read(cursor.from_arrow(table))
    finally:
        cursor.close()


def _plain(params: Params | None) -> Any:
    if params is None:
        return None
    return dict(params) if isinstance(params, Mapping) else list(params)


class _Rows:
    """The rows of a SELECT the service ran, read like a DuckDB cursor's."""

    def __init__(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.description = [(n, None, None, None, None, None, None) for n in names]
        self._rows = rows
        self._at = 0

    def fetchall(self) -> list[tuple[Any, ...]]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        part = self._rows[self._at : self._at + size]
        self._at += len(part)
        return part

    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.fetchall(), columns=[d[0] for d in self.description])


def require_select(con: Connection, sql: str) -> None:
    """Free SQL is for reading: refuse anything but one SELECT statement.

    Raises:
        InvalidInput: more than one statement, or one that is not a SELECT.
        DatabaseError: the SQL cannot be parsed.
    """
    try:
        statements = con.raw.extract_statements(sql)
    except duckdb.Error as e:
        raise DatabaseError(f"SQL 有误：{first_line(e)}") from e
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise InvalidInput.one("sql", "自由 SQL 查询只能是一条 SELECT 语句（只读），不能修改数据或设置")


def sealed_df(con: Connection, path: str | Path | None, sql: str, params: Params | None = None) -> pd.DataFrame:
    """One read-only SELECT (`require_select`) run where it can reach nothing but the office's tables.

    In the data service the file's own DuckDB already has external access off. Otherwise
    the query gets a DuckDB of its own, the file attached read-only, external access off
    (no read_csv of other files, no COPY … TO, no ATTACH) and its configuration locked;
    `con`, the caller's open read, keeps other writers out meanwhile.

    Raises:
        InvalidInput: not exactly one SELECT statement.
        DatabaseError: the SQL is wrong, or reaches for anything outside the file.
    """
    require_select(con, sql)
    if _owner.get() is not None:
        return con.df(sql, params)
    quoted = str(config.db_path(path)).replace("'", "''")
    sealed = duckdb.connect(":memory:")
    try:
        sealed.execute(f"ATTACH '{quoted}' AS {_ALIAS} (READ_ONLY)")
        sealed.execute(f"USE {_ALIAS}")
        sealed.execute("SET enable_external_access = false")
        sealed.execute("SET lock_configuration = true")
        frame: pd.DataFrame = (sealed.execute(sql, params) if params is not None else sealed.execute(sql)).df()
        return frame
    except duckdb.Error as e:
        raise DatabaseError(f"数据库操作失败：{first_line(e)}") from e
    finally:
        sealed.close()


def through_service(path: str | Path | None) -> bool:
    """Whether this process reaches the file through the data service (never inside the service itself)."""
    if _owner.get() is not None or _embedded.get():
        return False
    return client.through_service(config.db_path(path))


_embedded: ContextVar[bool] = ContextVar("kit_embedded", default=False)


@contextmanager
def embedded(path: str | Path | None = None, *, doing: str = "直接打开它") -> Iterator[None]:
    """Within this block, open the file directly whatever the mode (building a new file, offline work).

    Raises:
        Busy: a data service holds the file.
    """
    db = config.db_path(path)
    service = client.found(db)
    if service is not None and service.alive():
        raise Busy(f"数据服务正在使用 {db.name}，不能{doing}。请先停止 kit serve（或数据服务）后重试。")
    token = _embedded.set(True)
    try:
        yield
    finally:
        _embedded.reset(token)


class Source(Protocol):
    """Bytes to copy, read in order (`read(n)` until it returns b"")."""

    name: str

    def read(self, size: int = -1, /) -> bytes: ...


class Owner:
    """What the data service installs here: connections on the file it holds open (kit.service.owner)."""

    path: Path

    def read(self, *, wait_s: float) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def write(self, *, action: str, actor: str | None, wait_s: float) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def copied(self, target: Path, copy: Callable[[Source, Path], None]) -> AbstractContextManager[Connection]:
        raise NotImplementedError


_owner: ContextVar[Owner | None] = ContextVar("kit_owner", default=None)


@contextmanager
def owned_by(owner: Owner) -> Iterator[None]:
    """Within this block (one request in the data service), every action uses `owner`."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


# Starting a DuckDB instance costs ~40 ms; attaching a file to a running one ~4-6 ms
# (benchmarks/open_cost.py, results in benchmarks/RESULTS.md). So each process keeps one in-memory instance and attaches
# the file for the length of one action only: the file is still held only while
# an action runs, exactly as decision 1 asks.
_ALIAS = "kit"
_engine: duckdb.DuckDBPyConnection | None = None
_engine_pid = 0
_turn = threading.Lock()  # the alias is process-wide: one action at a time per process
_local = threading.local()


def _get_engine() -> duckdb.DuckDBPyConnection:
    global _engine, _engine_pid
    if _engine is None or _engine_pid != os.getpid():  # a forked child needs its own
        _engine = duckdb.connect(":memory:", config=_EMBEDDED_SETTINGS)
        _engine_pid = os.getpid()
    return _engine


def _drop_engine() -> None:
    global _engine
    if _engine is not None:
        with contextlib.suppress(duckdb.Error):
            _engine.close()
    _engine = None


@contextmanager
def _process_turn(deadline: float) -> Iterator[None]:
    if getattr(_local, "active", False):
        raise RuntimeError("kit.db actions cannot be nested: pass the open connection down instead")
    if not _turn.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise Busy("本程序中另一项数据库操作尚未结束，本次操作未执行，请稍后重试。")
    _local.active = True
    try:
        yield
    finally:
        _local.active = False
        _turn.release()


@contextmanager
def _attached(path: Path, *, read_only: bool, deadline: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """The file attached as the default database; a lock held outside kit is waited out."""
    raw = _get_engine().cursor()
    quoted = str(path).replace("'", "''")
    options = " (READ_ONLY)" if read_only else ""
    try:
        while True:
            try:
                raw.execute(f"ATTACH '{quoted}' AS {_ALIAS}{options}")
                break
            except duckdb.IOException as e:
                if "lock" not in str(e).lower():
                    raise DatabaseError(f"无法打开数据库文件 {path.name}：{first_line(e)}") from e
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"数据库文件 {path.name} 被监督台以外的程序占用（例如直接打开文件的 DuckDB），"
                        "本次操作未执行。请关闭该程序后重试。"
                    ) from e
                time.sleep(0.05)
            except duckdb.Error as e:
                raise DatabaseError(f"无法打开数据库文件 {path.name}：{first_line(e)}") from e
        try:
            raw.execute(f"USE {_ALIAS}")
            yield raw
        finally:
            try:
                raw.execute("USE memory")
                raw.execute(f"DETACH {_ALIAS}")
            except duckdb.Error:
                # Never leave the file attached: start afresh with a new instance.
                _drop_engine()
    finally:
        with contextlib.suppress(duckdb.Error):
            raw.close()


def init(path: str | Path | None = None, *, admin: str | None = None, wait_s: float | None = None) -> int:
    """Create the database file if needed and bring its schema up to date.

    A file without users gets its first one: `admin`, else the configured operator,
    with every role over every unit (see kit.users.first_admin).

    Raises:
        SchemaError: the file was written by a newer program.
        Busy: the file stayed locked.
    """
    db = config.db_path(path)
    wait = config.lock_wait_s() if wait_s is None else wait_s
    if through_service(db) and client.found(db) is not None:  # it migrated the file when it started
        return int(client.ping(db, wait_s=wait)["schema_version"])
    db.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with (
        _process_turn(deadline),
        FileLock(db, exclusive=True, wait_s=wait, actor=config.operator(), action="初始化数据库"),
        _attached(db, read_only=False, deadline=deadline) as raw,
    ):
        version = schema.migrate(raw, db)
        _bootstrap(raw, admin or config.operator(), db)
        return version


def prepare_held(raw: duckdb.DuckDBPyConnection, db: Path) -> int:
    """Bring a file the data service has just opened up to date, as `init` does for an attached one.

    Raises:
        SchemaError: the file was written by a newer program.
    """
    version = schema.migrate(raw, db)
    _bootstrap(raw, config.operator(), db)
    return version


def _bootstrap(raw: duckdb.DuckDBPyConnection, name: str, db: Path) -> None:
    if raw.execute("SELECT count(*) FROM users").fetchone() != (0,):
        return
    raw.execute("BEGIN TRANSACTION")
    try:
        con = Connection(raw, actor=name, writable=True)
        users.first_admin(con, name)
        raw.execute("COMMIT")
    except BaseException:
        rollback(raw)
        raise
    anchor.write_after_commit(db, con.trace_tail)


def _require_file(db: Path) -> None:
    if not db.exists():
        raise NotFound(f"数据库文件 {db} 不存在。请先运行“kit init”或“kit demo”创建它。")


@contextmanager
def read(path: str | Path | None = None, *, wait_s: float | None = None) -> Iterator[Connection]:
    """A read-only connection for one action; other readers may run at the same time.

    The acting user comes from the deployment (kit.identity). A refusal raised
    inside the action is recorded in the trace once the file is free again.

    Raises:
        NotFound: the file does not exist.
        SchemaError: the file was written by a newer program.
        Busy: a writer held the file past the wait.
        PermissionDenied: the acting user cannot be determined (or was refused inside).
    """
    wait = config.lock_wait_s() if wait_s is None else wait_s
    owner = _owner.get()
    if owner is not None:
        with owner.read(wait_s=wait) as con:
            yield con
        return
    db = config.db_path(path)
    if through_service(db):
        with client.session(db, kind="read", action="查看", actor=None, wait_s=wait) as remote:
            yield RemoteConnection(remote)
        return
    _require_file(db)
    who = identity.UNKNOWN
    try:
        who = identity.current()
        for _attempt in range(2):
            deadline = time.monotonic() + wait
            with (
                _process_turn(deadline),
                FileLock(db, exclusive=False, wait_s=wait),
                _attached(db, read_only=True, deadline=deadline) as raw,
            ):
                version = schema.version(raw)
                schema.check_not_newer(version, db)
                if version == schema.latest_version():
                    yield Connection(raw, actor=who, writable=False)
                    return
            # An older file is upgraded once, under the write lock, then read.
            init(db, wait_s=wait)
        raise SchemaError(f"数据库文件 {db.name} 无法升级到当前版本。")
    except PermissionDenied as e:
        _record_refusal(db, who, e)
        raise


@contextmanager
def write(
    path: str | Path | None = None,
    *,
    action: str,
    actor: str | None = None,
    wait_s: float | None = None,
) -> Iterator[Connection]:
    """A connection holding the file alone, inside one transaction that commits on exit.

    Any exception rolls the whole action back: nothing is half-written.

    Raises:
        NotFound: the file does not exist.
        SchemaError: the file was written by a newer program.
        Busy: the file stayed locked past the wait.
        PermissionDenied: the acting user cannot be determined (or was refused inside).
    """
    wait = config.lock_wait_s() if wait_s is None else wait_s
    owner = _owner.get()
    if owner is not None:
        with owner.write(action=action, actor=actor, wait_s=wait) as con:
            yield con
        return
    db = config.db_path(path)
    if through_service(db):
        with client.session(db, kind="write", action=action, actor=actor, wait_s=wait) as remote:
            yield RemoteConnection(remote)
        return
    _require_file(db)
    who = actor or identity.UNKNOWN
    try:
        who = actor or identity.current()
        deadline = time.monotonic() + wait
        request = uuid.uuid4().hex
        with (
            _process_turn(deadline),
            FileLock(db, exclusive=True, wait_s=wait, actor=who, action=action),
        ):
            try:
                with _attached(db, read_only=False, deadline=deadline) as raw:
                    try:
                        if schema.version(raw) != schema.latest_version():
                            schema.migrate(raw, db)
                            _bootstrap(raw, config.operator(), db)
                        raw.execute("BEGIN TRANSACTION")
                        con = Connection(raw, actor=who, writable=True)
                        try:
                            yield con
                            _note_outcome(raw, request, who, action, con.now)
                        except BaseException:
                            rollback(raw)
                            raise
                        _commit(raw, request)
                    except duckdb.Error as e:
                        raise DatabaseError(f"{NOT_SAVED}：{first_line(e)}") from e
            except _InDoubt as doubt:
                _settle_embedded(db, doubt, deadline)
            # Still under the exclusive lock, so anchors are written in commit order.
            anchor.write_after_commit(db, con.trace_tail)
    except PermissionDenied as e:
        _record_refusal(db, who, e)
        raise


NOT_SAVED = "未保存，未写入任何数据"


class _InDoubt(Exception):
    """COMMIT failed in a way that leaves DuckDB unusable: whether it reached the log must be read back."""

    def __init__(self, request: str, cause: BaseException) -> None:
        super().__init__(request)
        self.request, self.cause = request, cause


def _note_outcome(raw: duckdb.DuckDBPyConnection, request: str, who: str, action: str, when: datetime) -> None:
    """Leave the request id in the transaction, so its commit can be looked up (migration 0004)."""
    raw.execute("INSERT INTO write_outcomes VALUES (?, ?, ?, ?)", [request, who, action, when])
    if request.startswith("00"):  # now and then, forget outcomes nobody will ask about any more
        raw.execute("DELETE FROM write_outcomes WHERE committed_at < ?", [when - timedelta(days=2)])


def _commit(raw: duckdb.DuckDBPyConnection, request: str) -> None:
    try:
        raw.execute("COMMIT")
    except duckdb.FatalException as e:
        raise _InDoubt(request, e) from e
    except duckdb.Error:
        rollback(raw)
        found = raw.execute("SELECT count(*) FROM write_outcomes WHERE request_id = ?", [request]).fetchone()
        if found != (0,):
            log.error("COMMIT failed, yet request %s is in the file", request)
            return
        raise


def _settle_embedded(db: Path, doubt: _InDoubt, deadline: float) -> None:
    """Read the file again (still holding its lock) to learn whether the failed COMMIT landed.

    Raises:
        DatabaseError: it did not: nothing was written.
        OutcomeUnknown: the file cannot be read now.
    """
    _drop_engine()
    try:
        with _attached(db, read_only=True, deadline=deadline) as raw:
            found = raw.execute("SELECT count(*) FROM write_outcomes WHERE request_id = ?", [doubt.request]).fetchone()
    except (duckdb.Error, KitError) as e:
        raise OutcomeUnknown(
            "结果不明，请刷新核对：保存时数据库发生严重错误，暂时无法确认是否已写入。请稍后刷新页面核对后再决定是否重新录入。"
        ) from e
    if found == (0,):
        raise DatabaseError(f"{NOT_SAVED}：{first_line(doubt.cause)}") from doubt.cause
    log.warning("COMMIT reported a fatal error, yet request %s reached the file", doubt.request)


def _record_refusal(db: Path, who: str, refusal: PermissionDenied) -> None:
    """Leave a trace entry for a refused action, in an action of its own (the refused one wrote nothing)."""
    if getattr(_local, "active", False):
        return  # only the outermost action records (actions are never nested)
    record_refusal_with(lambda: write(db, action="记录拒绝访问", actor=who), who, refusal)


def record_refusal_with(
    transaction: Callable[[], AbstractContextManager[Connection]], who: str, refusal: PermissionDenied
) -> None:
    """Write the trace entry of a refusal in the write transaction `transaction()` opens."""
    try:
        with transaction() as con:
            trace.record(
                con,
                action="拒绝访问",
                table="access",
                key=refusal.target or who,
                before=None,
                after={"用户": who, "操作": refusal.action, "原因": refusal.message},
            )
    except KitError:
        log.warning("could not record a refused action in the trace", exc_info=True)


@contextmanager
def copied(path: str | Path | None, target: Path, copy: Callable[[Path | Source, Path], None]) -> Iterator[Connection]:
    """Copy the file to `target` consistently (`copy(source, target)`); yield a read of exactly what was copied.

    Raises:
        Busy: a save held the file past the wait.
        DatabaseError: the copy failed, or (embedded) the file has a log not yet merged.
    """
    owner = _owner.get()
    if owner is not None:
        with owner.copied(target, copy) as con:
            yield con
        return
    source = config.db_path(path)
    with read(source) as con:
        # Nothing can write while we hold the shared lock: the file on disk is the committed state.
        if source.with_name(source.name + ".wal").exists():
            raise DatabaseError(f"数据库文件 {source.name} 有未合并的日志（.wal），请先运行“kit init”合并后再备份。")
        copy(source, target)
        yield con


@contextmanager
def hold(path: str | Path | None, *, action: str, wait_s: float | None = None) -> Iterator[Path]:
    """The file held alone, not attached: for replacing it whole (a restore).

    Raises:
        Busy: the file stayed locked past the wait.
    """
    db = config.db_path(path)
    wait = config.lock_wait_s() if wait_s is None else wait_s
    deadline = time.monotonic() + wait
    who = identity.current()
    with _process_turn(deadline), FileLock(db, exclusive=True, wait_s=wait, actor=who, action=action):
        yield db


@contextmanager
def open_private(path: Path) -> Iterator[Connection]:
    """A read-only connection to a file no one else uses (a backup being made or checked).

    It has its own DuckDB instance, so it may be opened while an action of this
    process holds the office's file. Never use it for the live database.

    Raises:
        DatabaseError: the file is not a DuckDB database or cannot be read.
    """
    try:
        raw = duckdb.connect(str(path), read_only=True, config=DUCKDB_SETTINGS)
    except duckdb.Error as e:
        raise DatabaseError(f"无法打开文件 {path.name}：{first_line(e)}") from e
    try:
        yield Connection(raw, actor=identity.current(), writable=False)
    finally:
        with contextlib.suppress(duckdb.Error):
            raw.close()


def rollback(raw: duckdb.DuckDBPyConnection) -> None:
    # The transaction may already be aborted by DuckDB itself.
    with contextlib.suppress(duckdb.Error):
        raw.execute("ROLLBACK")
