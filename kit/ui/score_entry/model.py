"""The 年度考核评分 app's model: the chosen year, scheme, unit and sheet, and every call to kit (no widgets)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import traitlets as t

from kit import access, assessments, corrections, db, fields, followups, formats, rankings, registry
from kit.db import Connection
from kit.errors import InvalidInput
from kit.formats import number
from kit.ui import app

TITLE = "年度考核评分"


class ScoreEntryModel(app.AppModel):
    """The sheet being entered: selection, scheme, saved sheet, leaders and history."""

    revision = t.Int(0)
    year = t.Int(0)
    scheme_id = t.Int(None, allow_none=True)
    unit_id = t.Int(None, allow_none=True)
    year_options: t.List[Any] = t.List()
    scheme_options: t.List[Any] = t.List()
    unit_options: t.List[Any] = t.List()
    scheme = t.Any(None)
    sheet = t.Any(None)
    leaders = t.Unicode("")
    history: t.List[Any] = t.List()
    can_enter = t.Bool(False)
    can_review = t.Bool(False)
    can_close = t.Bool(False)  # a 审核员 of every unit closes a year (结束考核)
    me = t.Unicode("")
    closed = t.Unicode("")  # how the chosen year was closed, empty while it is open
    request = t.Any(None)  # the correction waiting on the sheet on screen (a row of pending_requests)
    log: t.List[Any] = t.List()  # the sheet's corrections and voids, a voided sheet's too (`sheet_corrections`)
    counts = t.Any((0, 0))  # units of the scheme scored and not yet scored in the chosen year

    # -- reading -----------------------------------------------------------------
    def load(self) -> None:
        """First load: offer years and schemes, select the latest year's first scheme."""
        with db.read(self.db_path) as con:
            self._learn(self.identify(con))
            years = _years(con)
            schemes = assessments.list_schemes(con)
            self.year_options = [(f"{y}年度", y) for y in years]
            self.scheme_options = [(s["name"], s["id"]) for s in schemes]
            year = rankings.latest_year(con) or years[0]
            self._select(con, year, schemes[0]["id"] if schemes else None, None)

    def select(self, *, year: int, scheme_id: int | None, unit_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._select(con, year, scheme_id, unit_id)

    def _select(self, con: Connection, year: int, scheme_id: int | None, unit_id: int | None) -> None:
        scheme = assessments.get_scheme(con, scheme_id) if scheme_id is not None else None
        units = registry.list_units(con, kinds=scheme.unit_kinds) if scheme else []
        scored = rankings.scored_units(con, scheme_id=scheme_id, year=year) if scheme_id is not None else set()
        options = [(u["name"] + ("（已评分）" if u["id"] in scored else ""), u["id"]) for u in units]
        if unit_id not in {u["id"] for u in units}:
            unit_id = None
        sheet = None
        if scheme and unit_id is not None:
            sheet = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit_id, year=year)
        self.year, self.scheme = year, scheme
        self.scheme_id = scheme.id if scheme else None
        self.unit_options = options
        self.unit_id = unit_id
        self.sheet = sheet
        self.leaders = _leaders_text(con, unit_id, year) if unit_id is not None else ""
        self.history = (
            assessments.describe_history(
                assessments.sheet_history(con, scheme_id=scheme.id, unit_id=unit_id, year=year)
            )
            if scheme and unit_id is not None
            else []
        )
        closing = assessments.closing(con, scheme_id=scheme.id, year=year) if scheme else None
        self.closed = closing.text() if closing else ""
        self.log = (
            corrections.sheet_corrections(con, scheme_id=scheme.id, unit_id=unit_id, year=year)
            if scheme and unit_id is not None
            else []
        )
        self.request = next((r for r in self.log if r["status"] == "pending"), None) if sheet else None
        self.counts = (len(scored), len(units) - len(scored))
        self.revision += 1  # the view redraws once per change, not once per trait

    def schemes(self) -> list[assessments.Scheme]:
        """Every scheme with its indicators (read once, for building forms ahead).

        Also learns who is acting: whether the forms built ahead may save depends on it.
        """
        with db.read(self.db_path) as con:
            self._learn(self.identify(con))
            return [assessments.get_scheme(con, s["id"]) for s in assessments.list_schemes(con)]

    def _learn(self, me: access.User) -> None:
        self.me = me.name
        self.can_enter = me.has(access.ENTER)
        self.can_review = me.has(access.REVIEW)
        self.can_close = self.can_review and me.units is None

    @property
    def mode(self) -> str:
        """What the sheet form does for this user: "save", "ask" (a closed year: 申请更正) or "read"."""
        if not self.can_enter:
            return "read"
        if not self.closed:
            return "save"
        return "read" if self.request is not None or self.sheet is None else "ask"

    @property
    def voided(self) -> dict[str, Any] | None:
        """The void that left the unit unscored, while it is (the latest applied void of its sheet)."""
        if self.sheet is not None:
            return None
        done = [r for r in self.log if r["kind"] == "void" and r["status"] == "applied"]
        return max(done, key=lambda r: r["id"]) if done else None

    @property
    def may_void(self) -> bool:
        """A 录入员 may void the sheet on screen (in a closed year, ask to), unless a request waits on it."""
        return self.can_enter and self.sheet is not None and self.request is None

    @property
    def may_review(self) -> bool:
        """A waiting correction this user may decide: a 审核员 other than its requester."""
        return self.can_review and self.request is not None and self.request["requested_by"] != self.me

    # -- computing and writing ---------------------------------------------------
    def preview(self, values: dict[str, Any]) -> str:
        """The running total and grade of what is typed so far (invalid entries left out)."""
        scheme: assessments.Scheme | None = self.scheme
        if scheme is None:
            return ""
        scores: dict[int, Decimal] = {}
        record = assessments.sheet_record(scheme)
        for ind in scheme.indicators:
            try:
                value = fields.parser(record, f"score_{ind.id}")(values.get(f"score_{ind.id}"))
            except InvalidInput:
                continue
            if value is not None:
                scores[ind.id] = value
        if len(scores) < len(scheme.indicators):
            partial_sum = sum(scores.values(), Decimal(0))
            return f"已填 {len(scores)}/{len(scheme.indicators)} 项，已填得分合计 {number(partial_sum)} 分"
        total = scheme.total(scores)
        return f"合计 {number(total)} 分（满分 {number(scheme.full_marks)}），等次：{scheme.grade(total).label}"

    def save(self, values: dict[str, Any]) -> str:
        """Save the typed sheet as one transaction; returns the message for the user.

        Raises:
            InvalidInput, Conflict, NotFound, Busy: nothing was written.
        """
        scheme: assessments.Scheme | None = self.scheme
        if scheme is None or self.unit_id is None:
            raise InvalidInput.one("unit", "请先选择考核方案和被考核单位")
        scores = {i.id: values.get(f"score_{i.id}") for i in scheme.indicators}
        notes = {i.id: values.get(f"note_{i.id}") for i in scheme.indicators}
        version: int = self.sheet.version if self.sheet else 0
        with db.write(self.db_path, action="保存评分表") as con:
            sheet = assessments.save_sheet(
                con,
                scheme_id=scheme.id,
                unit_id=self.unit_id,
                year=self.year,
                scores=scores,
                notes=notes,
                note=values.get("note"),
                expected_version=version,
            )
            opened = sum(
                f["unit_id"] == self.unit_id for f in followups.list_followups(con, year=self.year, scheme_id=scheme.id)
            )
            self._select(con, self.year, scheme.id, self.unit_id)
        if sheet.version == version:
            return f"内容没有变化，无需保存（仍为第 {version} 版）"
        message = f"已保存：合计 {number(sheet.total)} 分，等次“{sheet.grade}”（第 {sheet.version} 版）"
        if opened:
            message += f"；该等次须跟进，现有待办后续措施 {opened} 项"
        return message

    def ask_correction(self, values: dict[str, Any]) -> str:
        """申请更正 the sheet of a closed year (the form's scores as they should be, and why).

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        scheme: assessments.Scheme | None = self.scheme
        if scheme is None or self.unit_id is None:
            raise InvalidInput.one("unit", "请先选择考核方案和被考核单位")
        with db.write(self.db_path, action="申请更正评分表") as con:
            ident = corrections.request_sheet_correction(
                con,
                scheme_id=scheme.id,
                unit_id=self.unit_id,
                year=self.year,
                scores={i.id: values.get(f"score_{i.id}") for i in scheme.indicators},
                notes={i.id: values.get(f"note_{i.id}") for i in scheme.indicators},
                note=values.get("note"),
                reason=values.get("reason"),
            )
            self._select(con, self.year, scheme.id, self.unit_id)
        return f"已提交更正申请（编号 {ident}），待另一位审核员同意后生效；评分表暂保持原样"

    def void(self, values: dict[str, Any]) -> str:
        """作废 the sheet on screen (in a closed year, 申请作废), with the reason typed.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        if self.scheme_id is None or self.unit_id is None or self.sheet is None:
            raise InvalidInput.one("reason", "请先选择已评分的单位")
        asked = bool(self.closed)
        with db.write(self.db_path, action="作废评分表") as con:
            ident = corrections.void_sheet(
                con, scheme_id=self.scheme_id, unit_id=self.unit_id, year=self.year, reason=values.get("reason")
            )
            self._select(con, self.year, self.scheme_id, self.unit_id)
        if asked:
            return f"已提交作废申请（编号 {ident}），待另一位审核员同意后生效；评分表暂保持原样"
        return "已作废该评分表：不再计入排名、等次统计和报告；如需要，可重新评分"

    def review(self, values: dict[str, Any], *, approve: bool) -> str:
        """审核 the correction waiting on the sheet on screen; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        if self.request is None:
            raise InvalidInput.one("note", "该评分表没有待审核的更正申请")
        ident, kind = self.request["id"], self.request["kind_label"]
        with db.write(self.db_path, action="审核更正作废申请") as con:
            corrections.review(con, correction_id=ident, approve=approve, note=values.get("note"))
            self._select(con, self.year, self.scheme_id, self.unit_id)
        if not approve:
            return f"已不同意{kind}申请 {ident}，评分表保持原样"
        if self.sheet is None:
            return f"已同意作废申请 {ident}，评分表已作废，不再计入排名、等次统计和报告"
        sheet: assessments.Sheet | None = self.sheet
        grade = f"：合计 {number(sheet.total)} 分，等次“{sheet.grade}”（第 {sheet.version} 版）" if sheet else ""
        return f"已同意更正申请 {ident}，评分表已更正{grade}"

    def close_year(self, values: dict[str, Any]) -> str:
        """结束考核 of the chosen scheme and year; returns the message.

        Raises:
            InvalidInput, PermissionDenied, Busy: nothing was written.
        """
        if self.scheme_id is None:
            raise InvalidInput.one("note", "请先选择考核方案")
        if values.get("confirm") != "yes":
            missing = self.counts[1]
            unscored = f"，未评分的 {missing} 个单位本年度将不再评分" if missing else ""
            raise InvalidInput.one("confirm", f"请先在“确认”中选择确认结束：结束后不能撤销{unscored}")
        with db.write(self.db_path, action="结束考核年度") as con:
            assessments.close_year(con, scheme_id=self.scheme_id, year=self.year, note=values.get("note"))
            self._select(con, self.year, self.scheme_id, self.unit_id)
        return f"已结束{self.year}年度考核：此后评分表只能经更正申请、审核员同意后修改"


def _years(con: Connection) -> list[int]:
    return rankings.years(con, today=con.now.date())


def _leaders_text(con: Connection, unit_id: int, year: int) -> str:
    """Who answers for the year (its last day), changes within it, and who leads the unit today."""
    today = con.now.date()
    day = assessments.assessment_day(year, today)
    leaders = registry.principal_leaders_at(con, unit_id, day)
    when = "年末" if day.month == 12 and day.day == 31 else f"{day.month}月{day.day}日"
    parts = [f"{registry.ROLE_LABELS[x.role]}（{year}年{when}）：{x.label()}" for x in leaders]
    if not leaders:
        parts.append(f"{year}年{when}无在任一把手记录")
    for change in registry.principal_changes(con, unit_id, day.replace(month=1, day=1), day):
        parts.append(f"{formats.cn_date(change.start)}起由{change.name}接任{change.post}")
    current = registry.top_leader_at(con, unit_id, today)
    if day < today and current is not None and current.person_id not in {x.person_id for x in leaders}:
        parts.append(f"现任一把手：{current.label()}（{formats.cn_date(current.start)}起）")
    return "；".join(parts)
