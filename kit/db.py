"""The only way to the DuckDB file: one connection, one transaction per action.

`read()` and `write()` give a connection for one action, reached one of three ways
(DESIGN.md, decision 1):

- in the data service, which holds the file open: a cursor of its connection, the
  write turn for writers (kit.service.owner installs itself here);
- in a process that reaches the file through the service (kit.config.mode): a
  `RemoteConnection`, whose public functions run in the service (kit.door);
- embedded (no service runs: a stopped office, a copy on a laptop): the sidecar lock
  (`kit.lock`), the file attached for one transaction, then detached.

This module and the ones it is made of (`kit.engine`: the process's own DuckDB and the
file attached to it; `kit.commits`: how an embedded write ends; `kit.free_sql`; `kit.remote`:
the connection to the service) are also the only ones that see DuckDB's exceptions: they
turn them into `kit.errors` at the boundary. Their public names are importable from here.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

from kit import anchor, config, engine, identity, schema, trace, users
from kit.commits import NOT_SAVED as NOT_SAVED
from kit.commits import InDoubt, note_outcome, settle
from kit.commits import commit as _commit  # looked up here, so a test can make the COMMIT fail
from kit.commits import rollback as rollback
from kit.connection import Connection as Connection
from kit.connection import Params as Params
from kit.connection import first_line as first_line
from kit.engine import DUCKDB_SETTINGS as DUCKDB_SETTINGS
from kit.engine import hold as hold
from kit.engine import open_private as open_private
from kit.errors import Busy, DatabaseError, KitError, NotFound, PermissionDenied, SchemaError
from kit.free_sql import require_select as require_select
from kit.free_sql import run_sealed
from kit.lock import FileLock
from kit.remote import RemoteConnection as RemoteConnection
from kit.service import client

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: the apps' kernels never need it
    import pandas as pd

log = logging.getLogger(__name__)


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
    return run_sealed(config.db_path(path), sql, params)


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
        engine.process_turn(deadline),
        FileLock(db, exclusive=True, wait_s=wait, actor=config.operator(), action="初始化数据库"),
        engine.attached(db, read_only=False, deadline=deadline) as raw,
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
                engine.process_turn(deadline),
                FileLock(db, exclusive=False, wait_s=wait),
                engine.attached(db, read_only=True, deadline=deadline) as raw,
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
            engine.process_turn(deadline),
            FileLock(db, exclusive=True, wait_s=wait, actor=who, action=action),
        ):
            try:
                with engine.attached(db, read_only=False, deadline=deadline) as raw:
                    try:
                        if schema.version(raw) != schema.latest_version():
                            schema.migrate(raw, db)
                            _bootstrap(raw, config.operator(), db)
                        raw.execute("BEGIN TRANSACTION")
                        con = Connection(raw, actor=who, writable=True)
                        try:
                            yield con
                            note_outcome(raw, request, who, action, con.now)
                        except BaseException:
                            rollback(raw)
                            raise
                        _commit(raw, request)
                    except duckdb.Error as e:
                        raise DatabaseError(f"{NOT_SAVED}：{first_line(e)}") from e
            except InDoubt as doubt:
                settle(db, doubt, deadline)
            # Still under the exclusive lock, so anchors are written in commit order.
            anchor.write_after_commit(db, con.trace_tail)
    except PermissionDenied as e:
        _record_refusal(db, who, e)
        raise


def _record_refusal(db: Path, who: str, refusal: PermissionDenied) -> None:
    """Leave a trace entry for a refused action, in an action of its own (the refused one wrote nothing)."""
    if engine.in_action():
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
