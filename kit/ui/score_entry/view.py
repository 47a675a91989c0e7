"""The 年度考核评分 app's page: pickers, the score form with its live total, history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as w

from kit import assessments
from kit.fields import parser
from kit.formats import number
from kit.markup import Markup, html
from kit.ui import app
from kit.ui.correction_panel import CorrectionLog
from kit.ui.forms import OK, WARNING, FieldSpec, Form, declared, outcome_line, status_html
from kit.ui.parts import section, show_if
from kit.ui.score_entry.model import TITLE, ScoreEntryModel
from kit.ui.table import TableView
from kit.ui.widgets import Html


class ScoreEntryView:
    """Widgets of the score-entry app, drawn from a `ScoreEntryModel`.

    A sheet form has its 保存评分表 button only when the model knows the user is a 录入员;
    anyone else gets the same fields to read, values that take no input and no button.
    Once the year is closed (结束考核), a 录入员's form asks for a correction instead
    (提交更正申请, with a reason); a 审核员 other than the requester decides it below the
    sheet; a 审核员 of every unit closes the year at the bottom of the page.
    """

    def __init__(self, model: ScoreEntryModel) -> None:
        self.model = model
        # scheme id → (the scheme, its form, what that form does: "save", "ask" or "read")
        self._forms: dict[int, tuple[assessments.Scheme, Form, str]] = {}
        self._filling = False
        self.picker = Form(PICKER_FIELDS, submit_label=None)
        self.leaders = Html("")
        self.sheet_state = Html("")
        self.total = Html("", layout=w.Layout(margin="4px 0"))
        self.form_area = w.VBox([])
        self.history = TableView(
            assessments.SHEET_HISTORY_LIST,
            css="kit-history",
            export_name=lambda: f"{model.year}年度评分表修改记录（{self._unit_name()}）.xlsx",
            sheet="修改记录",
        )
        self._history_of: tuple[Any, ...] = ()  # the sheet whose history is listed: another one starts unfiltered
        self.log = CorrectionLog("kit-sheet-corrections", "该评分表没有更正或作废记录。")
        self.status = Html("")
        # A request, a decision or a closing makes its own form go away: its outcome is shown here.
        self.outcome = outcome_line()
        self.request_info = Html("")
        self.review_form: Form | None = None
        self.request_box = w.VBox([self.request_info])
        self.void_info = Html("")
        self.void_forms: dict[str, Form] = {}  # by what voiding does: "void" now, or "ask" (a closed year)
        self.void_box = w.VBox([], layout=w.Layout(display="none"))
        self.close_info = Html("")
        self.close_form: Form | None = None
        self.close_box = w.VBox([], layout=w.Layout(display="none"))
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
            self.outcome,
            self.form_area,
            self.request_box,
            self.void_box,
            self.status,
            Html(html('<div class="kit-section-title">修改记录</div>')),
            self.history.box,
            self.log.box,
            self.close_box,
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
        unscored = m.closed and m.unit_id is not None and m.sheet is None
        if m.voided is not None:  # why the unit has no sheet now
            state = _voided_html(m.voided, may_score=not m.closed and m.can_enter)
        else:
            state = html("") if unscored else _sheet_state_html(m.sheet, m.unit_id)
        if unscored:
            never = "" if m.voided else "该单位本年度未评分，"
            state += html('<div class="kit-info kit-closed">{}：{}不能再补评。</div>', m.closed, never)
        elif m.closed and m.unit_id is not None:
            state += _closed_html(m.closed, m.mode)
        if m.unit_id is not None and not m.can_enter:
            state += html('<div class="kit-info">您没有录入员角色，只能查看评分表，不能保存。</div>')
        self.sheet_state.value = state
        sheet = (m.year, m.scheme_id, m.unit_id)
        if sheet != self._history_of:
            self._history_of = sheet
            self.history.reset()
        self.history.show(m.history)
        self.log.show(m.log, of=sheet if m.unit_id is not None else None)
        self._draw_request()
        self._draw_void()
        self._draw_closing()

    def _draw_request(self) -> None:
        """The correction waiting on the sheet, and the decision a 审核员 other than its requester may take."""
        m = self.model
        self.request_info.value = _request_html(m.request) if m.request is not None else ""
        if m.may_review and self.review_form is None:
            self.review_form = Form(REVIEW_FIELDS, submit_label="同意更正", on_submit=self._echo(self._agree))
            refuse = w.Button(description="不同意", button_style="warning")
            refuse.on_click(lambda _b: self._refuse())
            self.review_form.box.children[-1].children = [self.review_form.submit, refuse, self.review_form.status]
        if self.review_form is not None:
            kind = m.request["kind_label"] if m.request is not None else "更正"
            self.review_form.submit.description = f"同意{kind}"
            self.review_form.set_values({})
            self.review_form.status.value = ""
        shown = [self.request_info] + ([self.review_form.box] if m.may_review and self.review_form else [])
        self.request_box.children = shown

    def _draw_void(self) -> None:
        """作废 the sheet on screen, for a 录入员 (in a closed year, a request a 审核员 decides)."""
        m = self.model
        show_if(self.void_box, m.may_void)
        if not m.may_void:
            self.void_box.children = []  # no button left behind a hidden box
            return
        mode = "ask" if m.closed else "void"
        form = self.void_forms.get(mode)
        if form is None:
            label = "提交作废申请" if mode == "ask" else "作废此评分表"
            form = self.void_forms[mode] = Form(VOID_FIELDS, submit_label=label, on_submit=self._echo(m.void))
            form.submit.button_style = "warning"
        form.set_values({})
        form.status.value = ""
        what = "经另一位审核员同意后，" if mode == "ask" else ""
        self.void_info.value = html(
            '<div class="kit-info">评分表录错了单位、方案或年度时作废：{}它不再计入排名、等次统计和报告，'
            "须办的后续措施一并撤销；作废留痕，可在修改记录中查看。</div>",
            what,
        )
        self.void_box.children = [section("作废评分表（录入员）"), self.void_info, form.box]

    def _draw_closing(self) -> None:
        """结束考核 for a 审核员 of every unit, while the chosen year is open."""
        m = self.model
        open_year = m.can_close and m.scheme is not None and not m.closed
        show_if(self.close_box, open_year)
        if not open_year:
            return
        if self.close_form is None:
            self.close_form = Form(CLOSE_FIELDS, submit_label="结束本年度考核", on_submit=self._echo(m.close_year))
            self.close_box.children = [section("结束考核年度（审核员）"), self.close_info, self.close_form.box]
        scored, missing = m.counts
        self.close_info.value = html(
            '<div class="kit-info">“{scheme}”{year}年度：已评分 {scored} 个单位，未评分 {missing} 个单位。'
            "结束后，评分表不能再直接修改，只能提交更正申请、经审核员同意后生效；结束不能撤销。</div>",
            scheme=m.scheme.name,
            year=m.year,
            scored=scored,
            missing=missing,
        )

    def _echo(self, submit: Any) -> Any:
        """A form's action whose outcome is also shown on the page (its form goes away after it)."""

        def run(values: dict[str, Any]) -> str:
            message: str = submit(values)
            self.outcome.value = status_html(OK, message)
            return message

        return run

    def _agree(self, values: dict[str, Any]) -> str:
        return self.model.review(values, approve=True)

    def _refuse(self) -> None:
        """不同意 shares the review form's fields, errors and status."""
        if self.review_form is not None:
            self.review_form.run_submit(self._echo(lambda values: self.model.review(values, approve=False)))

    def _choices_now(self) -> dict[str, tuple[Any, Any]]:
        """The pickers as the model stands: its options, the sheet on screen selected."""
        m = self.model
        return {
            "year": (m.year_options, m.year or None),
            "scheme": (m.scheme_options, m.scheme_id),
            "unit": (m.unit_options, m.unit_id),
        }

    def _form(self, scheme: assessments.Scheme | None) -> Form | None:
        """The sheet form of a scheme, built once (again only if the scheme or what the form does changed).

        Only a 录入员's form has a button (保存评分表, or 提交更正申请 in a closed year):
        without the role it is never built.
        """
        if scheme is None:
            return None
        mode = self.model.mode
        cached = self._forms.get(scheme.id)
        if cached is None or cached[0] != scheme or cached[2] != mode:
            if cached is not None:  # the form replaced can save nothing any more
                cached[1].on_submit = None
                cached[1].submit.close()
            asking = mode == "ask"
            form = Form(
                score_fields(scheme) + ([REASON_FIELD] if asking else []),
                submit_label={"save": "保存评分表", "ask": "提交更正申请"}.get(mode),
                on_submit={"save": self.model.save, "ask": self._echo(self.model.ask_correction)}.get(mode),
                before_submit=[self.total],
                read_only=mode == "read",
            )
            for widget in form.inputs.values():
                widget.observe(lambda _c: self._update_total(), names="value")
            self._forms[scheme.id] = cached = (scheme, form, mode)
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

    def _unit_name(self) -> str:
        label = next((label for label, value in self.model.unit_options if value == self.model.unit_id), "")
        return str(label).removesuffix("（已评分）")

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
        self.outcome.value = ""  # what was done to the sheet left behind is not this one's
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


REASON_FIELD = FieldSpec(
    "reason", "更正理由", "textarea", required=True, width="40em", placeholder="为什么要更正这份已结束考核的评分表"
)
VOID_FIELDS = [
    FieldSpec("reason", "作废理由", "textarea", required=True, width="40em", placeholder="如“误录：该单位不适用此方案”")
]
REVIEW_FIELDS = [FieldSpec("note", "审核意见", "textarea", required=True, width="40em")]
CLOSE_FIELDS = [
    FieldSpec(
        "confirm",
        "确认",
        "choice",
        required=True,
        options=[("请选择", ""), ("确认结束：不能撤销，未评分的单位本年度不再评分", "yes")],
        width="30em",
    ),
    FieldSpec("note", "说明", "text", width="30em", placeholder="选填，如“经考核领导小组审定”"),
]


def score_fields(scheme: assessments.Scheme) -> list[FieldSpec]:
    """One row per indicator (score, then an optional note), and the overall note, as the sheet is declared.

    The score's label is the indicator's number and name (its messages use the declared label).
    """
    record = assessments.sheet_record(scheme)
    specs = []
    for ind in scheme.indicators:
        hint = f"满分 {number(ind.maximum)}" if scheme.scoring == "points" else f"权重 {number(ind.weight)}，百分制"
        score, note = declared(record, [f"score_{ind.id}", f"note_{ind.id}"])
        row, check = f"ind_{ind.id}", parser(record, score.key)
        specs.append(replace(score, label=f"{ind.ord}. {ind.name}", hint=hint, row=row, check=check))
        specs.append(replace(note, row=row, show_label=False))
    specs.extend(declared(record, ["note"]))
    return specs


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


def _voided_html(void: dict[str, Any], *, may_score: bool) -> Markup:
    decided = f"，经审核员{void['decided_by_name']}同意" if void["decided_by"] else ""
    return html(
        '<div class="kit-info kit-voided">该单位本年度的评分表已于{at:%Y-%m-%d %H:%M}由{by}作废{decided}'
        "（理由：{reason}），不计入排名和统计。{then}</div>",
        at=void["decided_at"] or void["requested_at"],
        by=void["requested_by_name"],
        decided=decided,
        reason=void["reason"],
        then="如需要，请逐项填写后重新评分。" if may_score else "",
    )


def _closed_html(closed: str, mode: str) -> Markup:
    if mode == "ask":
        what = "如需更正，请改正各项、填写更正理由后提交更正申请，经另一位审核员同意后生效。"
    else:
        what = "评分表不能再直接修改。"
    return html('<div class="kit-info kit-closed">{}：{}</div>', closed, what)


def _request_html(request: dict[str, Any]) -> Markup:
    return html(
        '<div class="kit-info kit-request">待审核的{kind}申请（编号 {id}，{by}于{at:%Y-%m-%d %H:%M}提出）：'
        "{summary}</div>",
        kind=request["kind_label"],
        id=request["id"],
        by=request["requested_by_name"],
        at=request["requested_at"],
        summary=request["summary"],
    )


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    view = ScoreEntryView(ScoreEntryModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.model.load, view.status, prepare=view.prepare)
