"""考核结果: ranking with ties, grade distribution and coverage of a scheme in a year."""

from __future__ import annotations

from datetime import date
from typing import Any

from kit import assessments
from kit.db import Connection

_RANKING_SQL = """
SELECT rank() OVER (ORDER BY s.total DESC) AS rank,
       count(*) OVER (PARTITION BY s.total) > 1 AS tied,
       u.id AS unit_id, u.code AS unit_code, u.name AS unit_name, u.kind,
       s.total, s.grade, s.updated_at, s.updated_by,
       p.name AS leader_name, t.post AS leader_post
FROM score_sheets s
JOIN units u ON u.id = s.unit_id
LEFT JOIN tenures t ON t.unit_id = u.id AND t.role = 'principal'
     AND t.start_date <= $day AND (t.end_date IS NULL OR t.end_date >= $day)
LEFT JOIN people p ON p.id = t.person_id
WHERE s.scheme_id = $scheme AND s.year = $year
ORDER BY rank, u.sort_order, u.code
"""


def ranking(con: Connection, *, scheme_id: int, year: int) -> list[dict[str, Any]]:
    """Every scored unit by total, highest first; equal totals share a rank (1, 2, 2, 4)."""
    day = assessments.assessment_day(year, con.now.date())
    rows = con.records(_RANKING_SQL, {"scheme": scheme_id, "year": year, "day": day})
    for row in rows:
        row["rank_label"] = f"{row['rank']}（并列）" if row["tied"] else str(row["rank"])
    return rows


def grade_distribution(con: Connection, *, scheme_id: int, year: int) -> list[dict[str, Any]]:
    """How many units got each grade, every band of the scheme listed, highest first."""
    return con.records(
        "SELECT b.label AS grade, b.triggers_followup, count(s.id) AS units"
        " FROM grade_bands b LEFT JOIN score_sheets s"
        "   ON s.scheme_id = b.scheme_id AND s.grade = b.label AND s.year = ?"
        " WHERE b.scheme_id = ? GROUP BY b.ord, b.label, b.triggers_followup ORDER BY b.ord",
        [year, scheme_id],
    )


def coverage(con: Connection, *, scheme_id: int, year: int) -> dict[str, Any]:
    """Units the scheme applies to, and which of them have no sheet for the year yet."""
    scheme = assessments.get_scheme(con, scheme_id)
    missing = con.records(
        "SELECT u.id, u.code, u.name FROM units u WHERE u.active AND list_contains(?, u.kind)"
        " AND NOT EXISTS (SELECT 1 FROM score_sheets s WHERE s.unit_id = u.id"
        "   AND s.scheme_id = ? AND s.year = ?) ORDER BY u.sort_order, u.code",
        [scheme.unit_kinds, scheme_id, year],
    )
    expected = int(
        con.scalar("SELECT count(*) FROM units WHERE active AND list_contains(?, kind)", [scheme.unit_kinds])
    )
    return {"expected": expected, "scored": expected - len(missing), "missing": missing}


def years(con: Connection, *, today: date) -> list[int]:
    """Years to offer: every year with sheets, plus this year and the last one, newest first."""
    found = {int(r[0]) for r in con.all("SELECT DISTINCT year FROM score_sheets")}
    return sorted(found | {today.year, today.year - 1}, reverse=True)
