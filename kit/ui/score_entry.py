"""年度考核评分: pick year, scheme and unit; enter each indicator's score; save.

`ScoreEntryModel` holds the state and talks to kit (no widgets, testable without a
browser); `ScoreEntryView` only draws it.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets as t

from kit import access, assessments, db, followups, rankings, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.formats import number
from kit.markup import Markup, html, join
from kit.ui import app
from kit.ui.forms import WARNING, FieldSpec, Form, status_html
from kit.ui.widgets import Html

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

    # -- reading -----------------------------------------------------------------
    def load(self) -> None:
        """First load: offer years and schemes, select the latest year's first scheme."""
        with db.read(self.db_path) as con:
            self.can_enter = self.identify(con).has(access.ENTER)
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
            describe_history(assessments.sheet_history(con, scheme_id=scheme.id, unit_id=unit_id, year=year))
            if scheme and unit_id is not None
            else []
        )
        self.revision += 1  # the view redraws once per change, not once per trait

    def schemes(self) -> list[assessments.Scheme]:
        """Every scheme with its indicators (read once, for building forms ahead).

        Also learns who is acting: whether the forms built ahead may save depends on it.
        """
        with db.read(self.db_path) as con:
            self.can_enter = self.identify(con).has(access.ENTER)
            return [assessments.get_scheme(con, s["id"]) for s in assessments.list_schemes(con)]

    # -- computing and writing ---------------------------------------------------
    def preview(self, values: dict[str, Any]) -> str:
        """The running total and grade of what is typed so far (invalid entries left out)."""
        scheme: assessments.Scheme | None = self.scheme
        if scheme is None:
            return ""
        scores: dict[int, Decimal] = {}
        for ind in scheme.indicators:
            try:
                value = validate.number(values.get(f"score_{ind.id}"), field="", label="", maximum=ind.maximum)
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


def _years(con: Connection) -> list[int]:
    return rankings.years(con, today=con.now.date())


def _leaders_text(con: Connection, unit_id: int, year: int) -> str:
    """Who answers for the year (its last day), changes within it, and who leads the unit today."""
    today = con.now.date()
    day = assessments.assessment_day(year, today)
    leaders = registry.principal_leaders_at(con, unit_id, day)
    when = "年末" if day.month == 12 and day.day == 31 else f"{day:%m月%d日}"
    parts = [f"{registry.ROLE_LABELS[x.role]}（{year}年{when}）：{x.label()}" for x in leaders]
    if not leaders:
        parts.append(f"{year}年{when}无在任一把手记录")
    for change in registry.principal_changes(con, unit_id, day.replace(month=1, day=1), day):
        parts.append(f"{change.start:%Y年%m月%d日}起由{change.name}接任{change.post}")
    current = registry.top_leader_at(con, unit_id, today)
    if day < today and current is not None and current.person_id not in {x.person_id for x in leaders}:
        parts.append(f"现任一把手：{current.label()}（{current.start:%Y年%m月%d日}起）")
    return "；".join(parts)


def describe_history(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Trace entries of a sheet as lines for people: when, who, what changed."""
    lines = []
    for entry in entries:
        before, after = entry["before"] or {}, entry["after"] or {}
        changed = []
        for name, score in (after.get("scores") or {}).items():
            old = (before.get("scores") or {}).get(name)
            if old is not None and Decimal(old) != Decimal(score):
                changed.append(f"{name} {number(Decimal(old))}→{number(Decimal(score))}")
        total = number(Decimal(after["total"])) if "total" in after else "—"
        if before.get("total") is not None:
            total = f"{number(Decimal(before['total']))} → {total}"
        lines.append(
            {
                "time": f"{entry['logged_at']:%Y-%m-%d %H:%M:%S}",
                "actor": entry.get("actor_name") or entry["actor"],
                "action": entry["action"],
                "total": total,
                "grade": f"{before['grade']} → {after.get('grade', '')}"
                if before.get("grade")
                else after.get("grade", ""),
                "changes": "；".join(changed),
            }
        )
    return lines


class ScoreEntryView:
    """Widgets of the score-entry app, drawn from a `ScoreEntryModel`.

    A sheet form has its 保存评分表 button only when the model knows the user is a 录入员;
    anyone else gets the same fields to read, values that take no input and no button.
    """

    def __init__(self, model: ScoreEntryModel) -> None:
        self.model = model
        # scheme id → (the scheme, its form, whether that form saves)
        self._forms: dict[int, tuple[assessments.Scheme, Form, bool]] = {}
        self._filling = False
        self.picker = Form(PICKER_FIELDS, submit_label=None)
        self.leaders = Html("")
        self.sheet_state = Html("")
        self.total = Html("", layout=w.Layout(margin="4px 0"))
        self.form_area = w.VBox([])
        self.history = Html("")
        self.status = Html("")
        # Typed scores are never dropped without a word: choosing another sheet first asks.
        self._pending: dict[str, Any] | None = None
        self.unsaved = Html("")
        self.discard = w.Button(description="放弃修改并切换", button_style="warning")
        self.keep = w.Button(description="继续编辑")
        self.discard.on_click(lambda _b: self._switch())
        self.keep.on_click(lambda _b: self._stay())
        self.ask = w.HBox([self.unsaved, self.discard, self.keep], layout=w.Layout(display="none"))
        self.picker.observe(self._on_pick)
        model.observe(self._draw, names="revision")
        model.observe(lambda c: app.show_user(self.box, TITLE, c["new"], analyst=model.analyst), names="user_label")
        self.box = app.frame(
            TITLE,
            self.picker.box,
            self.ask,
            self.leaders,
            self.sheet_state,
            self.form_area,
            self.status,
            Html(html('<div class="kit-section-title">修改记录</div>')),
            self.history,
        )

    # -- model → widgets ---------------------------------------------------------
    def _draw(self, _change: Any = None) -> None:
        m = self.model
        self.picker.set_choices(self._choices_now())
        self.leaders.value = html('<div class="kit-info">{}</div>', m.leaders) if m.leaders else ""
        form = self._form(m.scheme)
        self.form_area.children = [form.box] if form else []
        if form is not None:
            self._filling = True
            try:
                form.set_values(_form_values(m.sheet))
            finally:
                self._filling = False
            form.box.layout.display = None if m.unit_id is not None else "none"
            self._update_total()
        state = _sheet_state_html(m.sheet, m.unit_id)
        if m.unit_id is not None and not m.can_enter:
            state += html('<div class="kit-info">您没有录入员角色，只能查看评分表，不能保存。</div>')
        self.sheet_state.value = state
        self.history.value = _history_html(m.history)

    def _choices_now(self) -> dict[str, tuple[Any, Any]]:
        """The pickers as the model stands: its options, the sheet on screen selected."""
        m = self.model
        return {
            "year": (m.year_options, m.year or None),
            "scheme": (m.scheme_options, m.scheme_id),
            "unit": (m.unit_options, m.unit_id),
        }

    def _form(self, scheme: assessments.Scheme | None) -> Form | None:
        """The sheet form of a scheme, built once (again only if the scheme or the user's role changed).

        Only a 录入员's form has the button that saves: without the role it is never built.
        """
        if scheme is None:
            return None
        entering = self.model.can_enter
        cached = self._forms.get(scheme.id)
        if cached is None or cached[0] != scheme or cached[2] != entering:
            if cached is not None:  # the form replaced can save nothing any more
                cached[1].on_submit = None
                cached[1].submit.close()
            form = Form(
                score_fields(scheme),
                submit_label="保存评分表" if entering else None,
                on_submit=self.model.save if entering else None,
                before_submit=[self.total],
                read_only=not entering,
            )
            for widget in form.inputs.values():
                widget.observe(lambda _c: self._update_total(), names="value")
            self._forms[scheme.id] = cached = (scheme, form, entering)
        return cached[1]

    def prepare(self) -> None:
        """Build the sheet forms before anyone asks, so a user's first click only fills them in.

        A preheated kernel runs this before the request arrives, when its user is already
        known: it reads the schemes (configuration, not anyone's data) and the user's roles,
        and closes the file again at once.
        """
        schemes = self.model.schemes()
        for scheme in schemes:
            self._form(scheme)
        if schemes:
            first = self._forms[schemes[0].id][1]
            first.box.layout.display = "none"
            self.form_area.children = [first.box]

    def _update_total(self) -> None:
        if self._filling:
            return
        found = self._forms.get(self.model.scheme_id) if self.model.scheme_id is not None else None
        form = found[1] if found else None
        text = self.model.preview(form.values()) if form else ""
        self.total.value = html('<div class="kit-total" aria-live="polite">{}</div>', text) if text else ""

    # -- widgets → model ---------------------------------------------------------
    def _on_pick(self, picked: dict[str, Any]) -> None:
        if picked["year"] is None:
            return
        found = self._forms.get(self.model.scheme_id) if self.model.scheme_id is not None else None
        if found is not None and found[1].dirty and self.model.unit_id is not None:
            self._ask(picked)
            return
        self._go(picked)

    def _go(self, picked: dict[str, Any]) -> None:
        with app.errors_shown_in(self.status):
            self.model.select(year=picked["year"], scheme_id=picked["scheme"], unit_id=picked["unit"])

    def _ask(self, picked: dict[str, Any]) -> None:
        """Keep the sheet being typed on screen and ask before dropping what was typed."""
        m = self.model
        self._pending = picked
        self.picker.set_choices(self._choices_now())
        unit = next((label for label, value in m.unit_options if value == m.unit_id), "")
        self.unsaved.value = status_html(WARNING, "未保存", f"{unit}的评分表有修改尚未保存，切换将丢弃这些修改。")
        self.ask.layout.display = "flex"

    def _switch(self) -> None:
        picked, self._pending = self._pending, None
        self.ask.layout.display = "none"
        if picked is not None:
            self.picker.set_choices({k: (self.picker.inputs[k].options, picked[k]) for k in ("year", "scheme", "unit")})
            self._go(picked)

    def _stay(self) -> None:
        self._pending = None
        self.ask.layout.display = "none"


PICKER_FIELDS = [
    FieldSpec("year", "考核年度", "choice", row="pick", width="9em", label_width="5em"),
    FieldSpec("scheme", "考核方案", "choice", row="pick", width="24em", label_width="5em"),
    FieldSpec("unit", "被考核单位", "choice", width="20em", label_width="6em"),
]


def score_fields(scheme: assessments.Scheme) -> list[FieldSpec]:
    """One row per indicator (score, then an optional note), and the overall note."""
    fields = []
    for ind in scheme.indicators:
        label = f"{ind.ord}. {ind.name}"
        hint = f"满分 {number(ind.maximum)}" if scheme.scoring == "points" else f"权重 {number(ind.weight)}，百分制"
        check = partial(validate.number, field=f"score_{ind.id}", label=f"{ind.name}得分", maximum=ind.maximum)
        fields.append(
            FieldSpec(
                f"score_{ind.id}",
                label,
                "number",
                required=True,
                hint=hint,
                row=f"ind_{ind.id}",
                width="6em",
                placeholder="得分",
                check=check,
            )
        )
        fields.append(
            FieldSpec(
                f"note_{ind.id}",
                f"{ind.name}说明",
                "text",
                row=f"ind_{ind.id}",
                width="22em",
                placeholder="扣分说明（选填）",
                show_label=False,
            )
        )
    fields.append(FieldSpec("note", "总体评价", "textarea", width="40em", placeholder="考核组总体意见（选填）"))
    return fields


def _form_values(sheet: assessments.Sheet | None) -> dict[str, Any]:
    if sheet is None:
        return {}
    values: dict[str, Any] = {f"score_{k}": number(v) for k, v in sheet.scores.items()}
    values.update({f"note_{k}": v for k, v in sheet.notes.items()})
    values["note"] = sheet.note
    return values


def _sheet_state_html(sheet: assessments.Sheet | None, unit_id: int | None) -> Markup:
    if unit_id is None:
        return html('<div class="kit-info">请选择被考核单位。</div>')
    if sheet is None:
        return html('<div class="kit-info">该单位本年度尚未评分，请逐项填写后保存。</div>')
    return html(
        '<div class="kit-info">已保存的评分表：合计 {total} 分，等次“{grade}”，'
        "第 {version} 版，{by} 于 {at:%Y-%m-%d %H:%M} 保存。</div>",
        total=number(sheet.total),
        grade=sheet.grade,
        version=sheet.version,
        by=sheet.updated_by_name or sheet.updated_by,
        at=sheet.updated_at,
    )


def _history_html(lines: list[dict[str, str]]) -> Markup:
    if not lines:
        return html('<div class="kit-info">暂无修改记录。</div>')
    rows = join(
        html(
            "<tr>{}</tr>",
            join(html("<td>{}</td>", line[k]) for k in ("time", "actor", "action", "total", "grade", "changes")),
        )
        for line in reversed(lines)
    )
    return html(
        '<table class="kit-table kit-history"><thead><tr><th>时间</th><th>操作人</th><th>操作</th><th>总分</th>'
        "<th>等次</th><th>修改的指标</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    view = ScoreEntryView(ScoreEntryModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.model.load, view.status, prepare=view.prepare)
