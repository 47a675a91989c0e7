"""How an embedded write ends: its COMMIT, a ROLLBACK, and a COMMIT whose outcome is in doubt.

Each write leaves its request id in its own transaction (table `write_outcomes`,
migration 0004), so when a COMMIT fails the file can be asked whether it landed:
a save is reported lost only when it is known to be lost.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from kit import engine
from kit.connection import first_line
from kit.errors import DatabaseError, KitError, OutcomeUnknown

log = logging.getLogger(__name__)

NOT_SAVED = "未保存，未写入任何数据"


class InDoubt(Exception):
    """COMMIT failed in a way that leaves DuckDB unusable: whether it reached the log must be read back."""

    def __init__(self, request: str, cause: BaseException) -> None:
        super().__init__(request)
        self.request, self.cause = request, cause


def note_outcome(raw: duckdb.DuckDBPyConnection, request: str, who: str, action: str, when: datetime) -> None:
    """Leave the request id in the transaction, so its commit can be looked up (migration 0004)."""
    raw.execute("INSERT INTO write_outcomes VALUES (?, ?, ?, ?)", [request, who, action, when])
    if request.startswith("00"):  # now and then, forget outcomes nobody will ask about any more
        raw.execute("DELETE FROM write_outcomes WHERE committed_at < ?", [when - timedelta(days=2)])


def commit(raw: duckdb.DuckDBPyConnection, request: str) -> None:
    """COMMIT the write `request`; a failure after which the request is found in the file is no failure.

    Raises:
        InDoubt: DuckDB failed fatally: read the file again to learn the outcome (`settle`).
        duckdb.Error: the COMMIT failed and nothing was written.
    """
    try:
        raw.execute("COMMIT")
    except duckdb.FatalException as e:
        raise InDoubt(request, e) from e
    except duckdb.Error:
        rollback(raw)
        found = raw.execute("SELECT count(*) FROM write_outcomes WHERE request_id = ?", [request]).fetchone()
        if found != (0,):
            log.error("COMMIT failed, yet request %s is in the file", request)
            return
        raise


def settle(db: Path, doubt: InDoubt, deadline: float) -> None:
    """Read the file again (still holding its lock) to learn whether the failed COMMIT landed.

    Raises:
        DatabaseError: it did not: nothing was written.
        OutcomeUnknown: the file cannot be read now.
    """
    engine.drop()
    try:
        with engine.attached(db, read_only=True, deadline=deadline) as raw:
            found = raw.execute("SELECT count(*) FROM write_outcomes WHERE request_id = ?", [doubt.request]).fetchone()
    except (duckdb.Error, KitError) as e:
        raise OutcomeUnknown(
            "结果不明，请刷新核对：保存时数据库发生严重错误，暂时无法确认是否已写入。请稍后刷新页面核对后再决定是否重新录入。"
        ) from e
    if found == (0,):
        raise DatabaseError(f"{NOT_SAVED}：{first_line(doubt.cause)}") from doubt.cause
    log.warning("COMMIT reported a fatal error, yet request %s reached the file", doubt.request)


def rollback(raw: duckdb.DuckDBPyConnection) -> None:
    """Roll the open transaction back, if there still is one."""
    # The transaction may already be aborted by DuckDB itself.
    with contextlib.suppress(duckdb.Error):
        raw.execute("ROLLBACK")
