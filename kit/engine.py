"""This process's own DuckDB: one in-memory instance, the office file attached for one action.

Used where no data service holds the file (kit.db's embedded way): the process takes
its turn (one action at a time), the sidecar lock (`kit.lock`) keeps other processes
out, and the file is attached to the instance for the length of the action only.
Files no one else uses (a backup being made or checked) get a DuckDB of their own.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kit import config, identity
from kit.connection import Connection, first_line
from kit.errors import Busy, DatabaseError
from kit.lock import FileLock

# Extensions must never be fetched: the offices are offline.
DUCKDB_SETTINGS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# A COMMIT only writes the log: merging it into the file happens apart (at DETACH here,
# by the data service's own schedule there), so a failed merge is never reported as a
# failed save of something that was in fact kept.
_EMBEDDED_SETTINGS = {**DUCKDB_SETTINGS, "checkpoint_threshold": "1000GB"}

# Starting a DuckDB instance costs ~40 ms; attaching a file to a running one ~4-6 ms
# (benchmarks/open_cost.py, results in benchmarks/RESULTS.md). So each process keeps one in-memory instance and attaches
# the file for the length of one action only: the file is still held only while
# an action runs, exactly as decision 1 asks.
ALIAS = "kit"
_engine: duckdb.DuckDBPyConnection | None = None
_engine_pid = 0
_turn = threading.Lock()  # the alias is process-wide: one action at a time per process
_local = threading.local()


def instance() -> duckdb.DuckDBPyConnection:
    """This process's in-memory DuckDB (a forked child starts its own)."""
    global _engine, _engine_pid
    if _engine is None or _engine_pid != os.getpid():  # a forked child needs its own
        _engine = duckdb.connect(":memory:", config=_EMBEDDED_SETTINGS)
        _engine_pid = os.getpid()
    return _engine


def drop() -> None:
    """Close the instance; the next action starts a new one."""
    global _engine
    if _engine is not None:
        with contextlib.suppress(duckdb.Error):
            _engine.close()
    _engine = None


def in_action() -> bool:
    """Whether this thread is inside an action that holds the process's turn."""
    return bool(getattr(_local, "active", False))


@contextmanager
def process_turn(deadline: float) -> Iterator[None]:
    """This process's turn: one action at a time (actions are never nested).

    Raises:
        Busy: another action of this process held the turn past `deadline`.
    """
    if in_action():
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
def attached(path: Path, *, read_only: bool, deadline: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """The file attached as the default database; a lock held outside kit is waited out."""
    raw = instance().cursor()
    quoted = str(path).replace("'", "''")
    options = " (READ_ONLY)" if read_only else ""
    try:
        while True:
            try:
                raw.execute(f"ATTACH '{quoted}' AS {ALIAS}{options}")
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
            raw.execute(f"USE {ALIAS}")
            yield raw
        finally:
            try:
                raw.execute("USE memory")
                raw.execute(f"DETACH {ALIAS}")
            except duckdb.Error:
                # Never leave the file attached: start afresh with a new instance.
                drop()
    finally:
        with contextlib.suppress(duckdb.Error):
            raw.close()


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
    with process_turn(deadline), FileLock(db, exclusive=True, wait_s=wait, actor=who, action=action):
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
