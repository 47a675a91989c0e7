"""结束考核: a scheme's year closed, after which its score sheets change only by an approved correction.

`kit.assessments.save_sheet` refuses a closed year; `kit.corrections.request_sheet_correction`
asks for a change that a 审核员 other than the requester approves (`corrections.review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kit import access, door, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.schemes import get_scheme

# A year's closing as the trace keeps it, keyed scheme code / year.
STATE_SQL = {
    "assessment_closings": "SELECT sc.code || '/' || c.year AS _key, sc.code AS scheme, c.year, c.closed_at,"
    " c.closed_by, c.note FROM assessment_closings c JOIN assessment_schemes sc ON sc.id = c.scheme_id"
}
TABLE_LABELS = {"assessment_closings": "考核年度结束"}


@dataclass(frozen=True)
class Closing:
    """A scheme's year closed (结束考核): its sheets change only by an approved correction."""

    scheme_id: int
    year: int
    closed_at: Any
    closed_by: str
    closed_by_name: str
    note: str

    def text(self) -> str:
        return f"{self.year}年度考核已由{self.closed_by_name}于{self.closed_at:%Y-%m-%d}结束"


@door.public
def closing(con: Connection, *, scheme_id: Any, year: Any) -> Closing | None:
    """The closing of a scheme's year, or None while its sheets are still saved directly.

    Raises:
        InvalidInput: the scheme id or the year is not valid.
    """
    access.require(con, access.READ)
    ident = validate.ident(scheme_id, field="scheme_id", label="考核方案编号")
    the_year = validate.year(year)
    row = con.one(
        "SELECT c.closed_at, c.closed_by, coalesce(u.display_name, c.closed_by), c.note FROM assessment_closings c"
        " LEFT JOIN users u ON u.name = c.closed_by WHERE c.scheme_id = ? AND c.year = ?",
        [ident, the_year],
    )
    if row is None:
        return None
    return Closing(ident, the_year, row[0], row[1], row[2], row[3])


@door.public
def close_year(con: Connection, *, scheme_id: Any, year: Any, note: Any = None) -> Closing:
    """结束考核: close a scheme's year; from then on its sheets change only by an approved correction.

    A closing is not undone. Units not scored by then stay unscored for that year.

    Raises:
        InvalidInput: the year is later than this year or already closed; the note is too long.
        NotFound: no such scheme.
        PermissionDenied: the user is not a 审核员 of all units.
    """
    access.require_all_units(con, access.REVIEW, what="结束考核年度")
    check = validate.Checker()
    ident = check(validate.ident, scheme_id, field="scheme_id", label="考核方案编号")
    the_year = check(validate.year, year)
    text = check(validate.text, note, field="note", label="说明", max_length=500) or ""
    check.done()
    scheme = get_scheme(con, ident)
    if the_year > con.now.year:
        raise InvalidInput.one("year", f"“年度”不能晚于当前年度 {con.now.year}")
    closed = closing(con, scheme_id=scheme.id, year=the_year)
    if closed is not None:
        raise InvalidInput.one("year", f"“{scheme.name}”{closed.text()}，不必再次结束")
    con.execute(
        "INSERT INTO assessment_closings (scheme_id, year, closed_at, closed_by, note) VALUES (?, ?, ?, ?, ?)",
        [scheme.id, the_year, con.now, con.actor, text],
    )
    key = f"{scheme.code}/{the_year}"
    trace.record(
        con,
        action="结束考核年度",
        table="assessment_closings",
        key=key,
        before=None,
        after=trace.state(con, STATE_SQL, "assessment_closings", key),
    )
    found = closing(con, scheme_id=scheme.id, year=the_year)
    assert found is not None
    return found
