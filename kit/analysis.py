"""For analysts' notebooks: read the database into DataFrames, briefly, through kit.

Each call opens the file read-only, runs, and closes, so a notebook left open
never blocks the forms (DESIGN.md, decision 1).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kit import db, rankings
from kit.db import Params


def query(sql: str, params: Params | None = None, *, db_path: str | Path | None = None) -> pd.DataFrame:
    """Run one read-only SQL query and return its rows.

    Raises:
        DatabaseError: the SQL is wrong or tries to write.
    """
    with db.read(db_path) as con:
        return con.df(sql, params)


def ranking(*, scheme_code: str, year: int, db_path: str | Path | None = None) -> pd.DataFrame:
    """The ranking of a scheme in a year, as the results app shows it."""
    with db.read(db_path) as con:
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
