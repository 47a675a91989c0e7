"""Free SQL (an analyst's own query): one SELECT, run where it can reach nothing but the office's tables.

`kit.db.sealed_df` chooses where it runs: in the data service, the file's own DuckDB
(external access already off); anywhere else, a DuckDB of its own (`run_sealed`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from kit.connection import Connection, Params, first_line
from kit.engine import ALIAS
from kit.errors import DatabaseError, InvalidInput

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: the apps' kernels never need it
    import pandas as pd


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


def run_sealed(db: Path, sql: str, params: Params | None = None) -> pd.DataFrame:
    """Run a SELECT already checked (`require_select`) in a DuckDB of its own, `db` attached read-only.

    External access is off (no read_csv of other files, no COPY … TO, no ATTACH) and the
    configuration locked; the caller's open read keeps other writers out meanwhile.

    Raises:
        DatabaseError: the SQL is wrong, or reaches for anything outside the file.
    """
    quoted = str(db).replace("'", "''")
    sealed = duckdb.connect(":memory:")
    try:
        sealed.execute(f"ATTACH '{quoted}' AS {ALIAS} (READ_ONLY)")
        sealed.execute(f"USE {ALIAS}")
        sealed.execute("SET enable_external_access = false")
        sealed.execute("SET lock_configuration = true")
        frame: pd.DataFrame = (sealed.execute(sql, params) if params is not None else sealed.execute(sql)).df()
        return frame
    except duckdb.Error as e:
        raise DatabaseError(f"数据库操作失败：{first_line(e)}") from e
    finally:
        sealed.close()
