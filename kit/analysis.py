"""For analysts' notebooks: read the database into DataFrames, briefly, through kit.

Each call opens the file read-only, runs, and closes, so a notebook left open
never blocks the forms (DESIGN.md, decision 1).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kit import access, db, rankings
from kit.db import Params


def query(sql: str, params: Params | None = None, *, db_path: str | Path | None = None) -> pd.DataFrame:
    """Run one read-only SQL query and return its rows.

    Free SQL cannot be held to a scope, so only users who see every unit may run it;
    others use the functions below, which return their units only.

    Raises:
        DatabaseError: the SQL is wrong or tries to write.
        PermissionDenied: the user sees only some units.
    """
    with db.read(db_path) as con:
        access.require_all_units(con, access.READ, what="执行自由 SQL 查询")
        return con.df(sql, params)


def ranking(*, scheme_code: str, year: int, db_path: str | Path | None = None) -> pd.DataFrame:
    """The ranking of a scheme in a year, as the results app shows it (units in the user's scope)."""
    with db.read(db_path) as con:
        access.require(con, access.READ)
        scheme_id = con.scalar("SELECT id FROM assessment_schemes WHERE code = ?", [scheme_code])
        rows: list[dict[str, Any]] = (
            rankings.ranking(con, scheme_id=int(scheme_id), year=year) if scheme_id is not None else []
        )
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame, exact decimals turned into floats so pandas and Altair can compute."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if any(isinstance(v, Decimal) for v in frame[column].head(50)):
            frame[column] = frame[column].astype(float)
    return frame
