"""考核结果: ranking with ties, grade distribution and coverage of a scheme in a year."""

from __future__ import annotations

from datetime import date
from typing import Any

from kit import access, assessments, door
from kit.db import Connection
from kit.listing import Column, Filter, Listing

# Ranks are the office's official ones, over every scored unit; a user sees the rows of their scope.
_RANKING_SQL = """
WITH ranked AS (
SELECT rank() OVER (ORDER BY s.total DESC) AS rank,
       count(*) OVER (PARTITION BY s.total) > 1 AS tied,
       u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, u.kind,
       s.total, s.grade, s.updated_at, s.updated_by,
       p.name AS leader_name, t.post AS leader_post, u.sort_order
FROM score_sheets s
JOIN units u ON u.id = s.unit_id
LEFT JOIN tenures t ON t.unit_id = u.id AND t.role = 'principal'
     AND t.start_date <= $day AND (t.end_date IS NULL OR t.end_date >= $day)
LEFT JOIN people p ON p.id = t.person_id
WHERE s.scheme_id = $scheme AND s.year = $year AND s.voided_at IS NULL
)
SELECT * EXCLUDE (sort_order) FROM ranked WHERE {scope}
ORDER BY rank, sort_order, unit_code
"""


# A scheme's ranking as the results app lists it: the rows of `ranking` (all on one page).
RANKING_LIST = Listing(
    columns=(
        Column("rank", "名次", "number", width=7, shown="rank_label"),  # 2（并列）
        Column("unit_code", "单位", width=14, shown="unit_name"),
        Column("leader_name", "一把手", width=7),
        Column("total", "总分", "number", width=5),
        Column("grade", "等次", width=7, css="grade_style"),
    ),
    sort="rank",
    filters=(Filter("grade", "等次"),),
    search=("unit_name", "leader_name"),
    page_size=60,
    empty="本年度该方案尚无评分。",
    key="unit_id",
)


@door.public
def ranking(con: Connection, *, scheme_id: int, year: int) -> list[dict[str, Any]]:
    """Scored units in the user's scope by total, highest first; equal totals share a rank (1, 2, 2, 4)."""
    day = assessments.assessment_day(year, con.now.date())
    units = access.visible_units(con)
    scope = "TRUE" if units is None else "list_contains($units::INTEGER[], unit_id)"
    params: dict[str, Any] = {"scheme": scheme_id, "year": year, "day": day}
    if units is not None:
        params["units"] = units
    rows = con.records(_RANKING_SQL.format(scope=scope), params)
    for row in rows:
        row["rank_label"] = f"{row['rank']}（并列）" if row["tied"] else str(row["rank"])
    return rows


@door.public
def grade_distribution(con: Connection, *, scheme_id: int, year: int) -> list[dict[str, Any]]:
    """How many units in the user's scope got each grade, every band of the scheme listed, highest first."""
    scope, scope_params = access.scope_sql(con, "s.unit_id")
    return con.records(
        "SELECT b.label AS grade, b.triggers_followup, count(s.id) AS units"
        " FROM grade_bands b LEFT JOIN score_sheets s"
        f"   ON s.scheme_id = b.scheme_id AND s.grade = b.label AND s.year = ? AND s.voided_at IS NULL AND {scope}"
        " WHERE b.scheme_id = ? GROUP BY b.ord, b.label, b.triggers_followup ORDER BY b.ord",
        [year, *scope_params, scheme_id],
    )


@door.public
def coverage(con: Connection, *, scheme_id: int, year: int) -> dict[str, Any]:
    """Units in the user's scope the scheme applies to, and which of them have no sheet for the year yet."""
    scheme = assessments.get_scheme(con, scheme_id)
    scope, scope_params = access.scope_sql(con, "u.id")
    missing = con.records(
        f"SELECT u.id, u.code, u.name FROM units u WHERE u.active AND list_contains(?, u.kind) AND {scope}"
        " AND NOT EXISTS (SELECT 1 FROM score_sheets s WHERE s.unit_id = u.id"
        "   AND s.scheme_id = ? AND s.year = ? AND s.voided_at IS NULL) ORDER BY u.sort_order, u.code",
        [scheme.unit_kinds, *scope_params, scheme_id, year],
    )
    expected = int(
        con.scalar(
            f"SELECT count(*) FROM units u WHERE u.active AND list_contains(?, u.kind) AND {scope}",
            [scheme.unit_kinds, *scope_params],
        )
    )
    return {"expected": expected, "scored": expected - len(missing), "missing": missing}


@door.public
def years(con: Connection, *, today: date) -> list[int]:
    """Years to offer: every year with sheets, plus this year and the last one, newest first."""
    access.require(con, access.READ)
    found = {int(r[0]) for r in con.all("SELECT DISTINCT year FROM score_sheets WHERE voided_at IS NULL")}
    return sorted(found | {today.year, today.year - 1}, reverse=True)


@door.public
def scored_units(con: Connection, *, scheme_id: int, year: int) -> set[int]:
    """The units in the user's scope that have a sheet of this scheme and year."""
    scope, params = access.scope_sql(con, "unit_id")
    sql = f"SELECT unit_id FROM score_sheets WHERE scheme_id = ? AND year = ? AND voided_at IS NULL AND {scope}"
    return {int(r[0]) for r in con.all(sql, [scheme_id, year, *params])}


@door.public
def latest_year(con: Connection) -> int | None:
    """The latest year with a sheet of a unit in the user's scope, if any."""
    scope, params = access.scope_sql(con, "unit_id")
    found = con.scalar(f"SELECT max(year) FROM score_sheets WHERE voided_at IS NULL AND {scope}", params)
    return int(found) if found is not None else None
