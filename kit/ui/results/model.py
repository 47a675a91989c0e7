"""The 考核结果 app's model: the chosen year and scheme, ranking, grades, follow-ups (no widgets)."""

from __future__ import annotations

import logging
from typing import Any

import traitlets as t

from kit import access, assessments, db, followups, rankings
from kit.db import Connection
from kit.errors import InvalidInput, KitError
from kit.reports import assessment as report
from kit.ui import app

log = logging.getLogger(__name__)

TITLE = "考核结果"


class ResultsModel(app.AppModel):
    """One scheme's results in one year, and the report file for it."""

    revision = t.Int(0)
    year = t.Int(0)
    scheme_id = t.Int(None, allow_none=True)
    year_options: t.List[Any] = t.List()
    scheme_options: t.List[Any] = t.List()
    coverage = t.Dict()
    distribution: t.List[Any] = t.List()
    ranking: t.List[Any] = t.List()
    low_grades: t.List[Any] = t.List()
    followups: t.List[Any] = t.List()
    followup_stats = t.Dict()
    chart_svg = t.Unicode("")
    report_html = t.Unicode("")
    can_review = t.Bool(False)

    def load(self) -> None:
        with db.read(self.db_path) as con:
            self.can_review = self.identify(con).has(access.REVIEW)
            schemes = assessments.list_schemes(con)
            years = rankings.years(con, today=con.now.date())
            self.scheme_options = [(s["name"], s["id"]) for s in schemes]
            self.year_options = [(f"{y}年度", y) for y in years]
            latest = rankings.latest_year(con)
            self._select(con, latest or years[0], schemes[0]["id"] if schemes else None)

    def select(self, *, year: int, scheme_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._select(con, year, scheme_id)

    def _select(self, con: Connection, year: int, scheme_id: int | None) -> None:
        if scheme_id is None:
            return
        section = report.section(con, scheme_id=scheme_id, year=year)
        page = report.page(con, year=year, sections=[section], one_scheme=True)
        self.year, self.scheme_id = year, scheme_id
        self.coverage = section["coverage"]
        self.distribution = section["distribution"]
        # 等次 that call for follow-up measures stand out in the ranking
        self.ranking = [
            {**r, "grade_style": "low" if r["grade"] in section["low_grades"] else "ok"} for r in section["ranking"]
        ]
        self.low_grades = section["low_grades"]
        self.followups = section["followups"]
        self.followup_stats = section["followup_stats"]
        self.chart_svg = section["chart_svg"]
        self.report_html = page
        self.revision += 1  # the view redraws once per change, not once per trait

    def complete(self, values: dict[str, Any]) -> str:
        """办结: close one open follow-up with what was done (审核员 of its unit); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        followup_id = values.get("followup")
        if followup_id is None:
            raise InvalidInput.one("followup", "请先选择要办结的后续措施")
        chosen = next((r for r in self.followups if r["id"] == followup_id), None)
        with db.write(self.db_path, action="办结后续措施") as con:
            followups.complete(con, followup_id=followup_id, note=values.get("note"))
        try:  # saved: the screen now shows what is stored
            self.select(year=self.year, scheme_id=self.scheme_id)
        except KitError:
            log.warning("not re-read after a save", exc_info=True)
        return f"已办结：{chosen['description']}" if chosen else "已办结"

    def report_filename(self) -> str:
        return report.filename(self.year)
