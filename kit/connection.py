"""A connection for one action: DuckDB's, with the acting user and the action's time.

Below everything that takes a connection (kit.trace and kit.users write through it, and
kit.db hands it out), so that none of them has to import kit.db for its type.
`kit.db.Connection` is this class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from kit import config
from kit.errors import DatabaseError

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: the apps' kernels never need it
    import pandas as pd

Params = Sequence[Any] | Mapping[str, Any]


def first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


class Connection:
    """A DuckDB connection for one action, with the acting user and the action's time."""

    def __init__(self, raw: duckdb.DuckDBPyConnection, *, actor: str, writable: bool) -> None:
        self.raw = raw
        self.actor = actor
        self.writable = writable
        self.now: datetime = config.now()
        # Last (seq, hash) of the trace within this transaction, kept by kit.trace.
        self.trace_tail: tuple[int, str] | None = None
        # What kit.access learned about the acting user during this action.
        self.cache: dict[str, Any] = {}

    def execute(self, sql: str, params: Params | None = None) -> duckdb.DuckDBPyConnection:
        """Run one statement with parameters.

        Raises:
            DatabaseError: DuckDB refused the statement.
        """
        try:
            return self.raw.execute(sql, params) if params is not None else self.raw.execute(sql)
        except duckdb.Error as e:
            raise DatabaseError(f"数据库操作失败：{first_line(e)}") from e

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows with one statement (`table` comes from code, never from input).

        Raises:
            DatabaseError: DuckDB refused the rows.
        """
        if not rows:
            return
        width = len(rows[0])
        placeholders = ", ".join("(" + ", ".join("?" * width) + ")" for _ in rows)
        self.execute(f"INSERT INTO {table} VALUES {placeholders}", [v for row in rows for v in row])

    def insert_columns(self, table: str, columns: Mapping[str, Sequence[Any]] | pa.Table) -> None:
        """Insert many rows given column by column (or as an Arrow table), through Arrow.

        `table` and the column names come from code, never from input.

        Raises:
            DatabaseError: DuckDB refused the rows.
        """
        frame = columns if isinstance(columns, pa.Table) else pa.table(dict(columns))
        names = list(frame.column_names)
        if not names or not frame.num_rows:
            return
        types = {r[0]: r[1] for r in self.all(f"SELECT column_name, column_type FROM (DESCRIBE {table})")}
        view = f"_kit_insert_{table}"
        self.raw.register(view, frame)
        try:
            select = ", ".join(f'CAST("{n}" AS {types[n]})' for n in names)
            self.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} FROM {view}")
        finally:
            self.raw.unregister(view)

    def all(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params | None = None) -> tuple[Any, ...] | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def records(self, sql: str, params: Params | None = None) -> list[dict[str, Any]]:
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def df(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        try:
            return self.execute(sql, params).df()
        except duckdb.Error as e:
            raise DatabaseError(f"数据库操作失败：{first_line(e)}") from e

    def arrow(self, sql: str, params: Params | None = None) -> pa.Table:
        """The rows of one query as an Arrow table (made by DuckDB, without Python objects per value).

        Raises:
            DatabaseError: DuckDB refused the statement.
        """
        try:
            # A result an earlier execute() left half-read is dropped, as the next execute() would drop it.
            self.raw.abort()
            return self.raw.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as e:
            raise DatabaseError(f"数据库操作失败：{first_line(e)}") from e
