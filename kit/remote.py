"""A connection to the data service, for a process that reaches the file through it (kit.config.mode).

kit's public functions given such a connection run in the service (kit.door); free SQL
goes as one read-only SELECT whose rows come back as Arrow and are read here, through
this process's own DuckDB, exactly as a direct query gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from kit import engine
from kit.connection import Connection, Params
from kit.errors import PermissionDenied
from kit.service import client

if TYPE_CHECKING:  # pandas is imported when a frame is asked for: the apps' kernels never need it
    import pandas as pd


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
    cursor = engine.instance().cursor()
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
