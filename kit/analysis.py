"""For analysts' notebooks: read the database into DataFrames, briefly, through kit.

Each call opens the file read-only, runs, and closes, so a notebook left open
never blocks the forms (DESIGN.md, decision 1).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from kit import access, db, door, followups, inspections, rankings, rectification, registry
from kit.db import Params


@door.action("db_path")
def query(sql: str, params: Params | None = None, *, db_path: str | Path | None = None) -> pd.DataFrame:
    """Run one read-only SELECT and return its rows.

    Free SQL cannot be held to a scope, so only users who see every unit may run it;
    others use the functions below, which return their units only. Exactly one SELECT,
    with no access to anything but the office's tables (no other file, no COPY … TO, no
    ATTACH, no settings): see `kit.db.sealed_df`.

    Raises:
        InvalidInput: not exactly one SELECT statement.
        DatabaseError: the SQL is wrong or reaches outside the office's tables.
        PermissionDenied: the user sees only some units.
    """
    with db.read(db_path) as con:
        access.require_all_units(con, access.READ, what="执行自由 SQL 查询")
        return db.sealed_df(con, db_path, sql, params)


@door.action("db_path")
def ranking(*, scheme_code: str, year: int, db_path: str | Path | None = None) -> pd.DataFrame:
    """The ranking of a scheme in a year, as the results app shows it (units in the user's scope)."""
    with db.read(db_path) as con:
        access.require(con, access.READ)
        scheme_id = con.scalar("SELECT id FROM assessment_schemes WHERE code = ?", [scheme_code])
        rows: list[dict[str, Any]] = (
            rankings.ranking(con, scheme_id=int(scheme_id), year=year) if scheme_id is not None else []
        )
    return _frame(rows, columns=_RANKING_COLUMNS)


_SHEETS_SQL = """
SELECT sc.code AS scheme_code, sc.name AS scheme_name, u.id AS unit_id, u.code AS unit_code,
       u.name AS unit_name, u.kind, s.year, s.total, s.grade, s.version, s.updated_at, s.updated_by
FROM score_sheets s
JOIN units u ON u.id = s.unit_id
JOIN assessment_schemes sc ON sc.id = s.scheme_id
WHERE s.year = ? AND (? IS NULL OR sc.code = ?) AND s.voided_at IS NULL AND {scope}
ORDER BY sc.code, u.sort_order, u.code
"""


@door.action("db_path")
def sheets(*, year: int, scheme_code: str | None = None, db_path: str | Path | None = None) -> pd.DataFrame:
    """Score sheets of a year (one scheme or all) for the units in the user's scope, with unit kinds in Chinese."""
    with db.read(db_path) as con:
        scope, params = access.scope_sql(con, "s.unit_id")
        rows = con.records(_SHEETS_SQL.format(scope=scope), [year, scheme_code, scheme_code, *params])
    for row in rows:
        row["kind_label"] = registry.KIND_LABELS.get(row["kind"], row["kind"])
    return _frame(rows, columns=[*_SHEET_COLUMNS, "kind_label"])


@door.action("db_path")
def followups_of(*, year: int, db_path: str | Path | None = None) -> pd.DataFrame:
    """Follow-ups (open and done) a year's grades raised, for the units in the user's scope."""
    with db.read(db_path) as con:
        rows = followups.list_followups(con, year=year, statuses=("open", "done"))
    return _frame(rows, columns=_FOLLOWUP_COLUMNS)


_RANKING_COLUMNS = [
    "rank",
    "tied",
    "unit_id",
    "unit_code",
    "unit_name",
    "kind",
    "total",
    "grade",
    "updated_at",
    "updated_by",
    "leader_name",
    "leader_post",
    "rank_label",
]
_SHEET_COLUMNS = [
    "scheme_code",
    "scheme_name",
    "unit_id",
    "unit_code",
    "unit_name",
    "kind",
    "year",
    "total",
    "grade",
    "version",
    "updated_at",
    "updated_by",
]
_FOLLOWUP_COLUMNS = [
    "id",
    "kind",
    "status",
    "created_at",
    "closed_at",
    "note",
    "year",
    "total",
    "grade",
    "scheme_name",
    "unit_id",
    "unit_code",
    "unit_name",
    "person_id",
    "person_name",
    "kind_label",
    "status_label",
    "description",
]


def _round_ids(con: db.Connection, rounds: list[str] | None) -> list[int] | None:
    return None if rounds is None else [inspections.round_id(con, code) for code in rounds]


@door.action("db_path")
def findings(*, rounds: list[str] | None = None, db_path: str | Path | None = None) -> pd.DataFrame:
    """Problems found (巡察 and 中期监督检查) in the given rounds (codes, e.g. ["2025-8"]; None: all),
    units in the user's scope, with labels and the 一把手 on the day each was found.

    Raises:
        NotFound: a round code does not exist.
    """
    with db.read(db_path) as con:
        rows = inspections.list_findings(con, round_ids=_round_ids(con, rounds))
    return _frame(rows, columns=_FINDING_COLUMNS)


@door.action("db_path")
def ledger(
    *, rounds: list[str] | None = None, today: date | None = None, db_path: str | Path | None = None
) -> pd.DataFrame:
    """The rectification ledger of the given rounds (None: all) for the units in the user's scope,
    with status and deadline flags as of `today` (default: today).

    Raises:
        NotFound: a round code does not exist.
    """
    with db.read(db_path) as con:
        rows = rectification.list_items(con, round_ids=_round_ids(con, rounds), today=today)
    return _frame(rows, columns=_LEDGER_COLUMNS)


_FINDING_COLUMNS = [
    "id",
    "round_code",
    "round_name",
    "unit_id",
    "unit_code",
    "unit_name",
    "stage_label",
    "category",
    "description",
    "severity_label",
    "involves_top",
    "top_leader",
    "source_label",
    "found_on",
    "clue_id",
    "receiver_label",
]
_LEDGER_COLUMNS = [
    "id",
    "finding_id",
    "round_code",
    "unit_id",
    "unit_code",
    "unit_name",
    "category",
    "measure",
    "leader_name",
    "responsible",
    "deadline",
    "first_deadline",
    "extensions",
    "progress",
    "status",
    "status_label",
    "flag",
    "flag_label",
    "days_over",
    "evidence",
    "opened_on",
    "closed_on",
]


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """Rows as a DataFrame (with its columns even when there are no rows: a scope may hold none),
    exact decimals turned into floats so pandas and Altair can compute."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:
        if any(isinstance(v, Decimal) for v in frame[column].head(50)):
            frame[column] = frame[column].astype(float)
    return frame
