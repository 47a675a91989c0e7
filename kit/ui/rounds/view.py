"""The 巡察组织 app's page: forms for rounds, groups, members, targets, feedback, 整改评估 and clue outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as w

from kit import excel, inspections, rectification
from kit.markup import html
from kit.ui import app
from kit.ui.correction_panel import CorrectionLog, CorrectionPanel
from kit.ui.forms import FieldSpec, Form, declared
from kit.ui.parts import show_if, when_allowed
from kit.ui.rounds.groups import GroupPanel
from kit.ui.rounds.model import TITLE, RoundsModel
from kit.ui.table import TableView
from kit.ui.widgets import Html


def _dates_on_one_line(specs: list[FieldSpec]) -> list[FieldSpec]:
    return [
        replace(s, row="dates", label_width="6em" if s.key == "end" else s.label_width)
        if s.key in ("start", "end")
        else s
        for s in specs
    ]


ROUND_FIELDS = _dates_on_one_line(declared(inspections.ROUND, ("code", "name", "kind", "start", "end")))
# A round's correction: everything but its code, which names it for good.
ROUND_FIX_FIELDS = _dates_on_one_line(declared(inspections.ROUND, ("name", "kind", "start", "end", "note")))
GROUP_FIELDS = declared(inspections.GROUP, ("name",))
MEMBER_FIELDS = declared(
    inspections.MEMBER, ("group_id", "person_id", "role"), person_id="组长、副组长、联络员须在相应人员库中"
)
TARGET_FIELDS = declared(inspections.TARGET, ("group_id", "unit_id"), unit_id="曾在该单位任职的组员须回避")
# 336 people: the person is found by typing part of a name, unit or post.
POOL_FIELDS = [
    replace(spec, kind="search") if spec.key == "person_id" else spec
    for spec in declared(inspections.POOL, ("person_id", "pool"))
]
FEEDBACK_FIELDS = declared(inspections.FEEDBACK, ("unit_id", "mode", "held_on", "leader_id", "note"))
# A clue's step, corrected: its clue names it (a step recorded on the wrong clue is voided).
OUTCOME_FIX_FIELDS = declared(inspections.OUTCOME, ("outcome", "people", "decided_on", "note"))
# A feedback's correction: its round and unit name it (one recorded for the wrong unit is voided).
FEEDBACK_FIX_FIELDS = declared(inspections.FEEDBACK, ("mode", "held_on", "leader_id", "note"))
EVALUATION_FIELDS = declared(rectification.EVALUATION, ("unit_id", "score", "note"), score="90 好、80 较好、60 一般")
# An evaluation's correction: its round and unit name it (one for the wrong unit is voided).
EVALUATION_FIX_FIELDS = declared(rectification.EVALUATION, ("score", "note", "on"), required=("on",))
OUTCOME_FIELDS = declared(inspections.OUTCOME, ("clue_id", "outcome", "people", "decided_on", "note"))


ENTRY_TITLES = ("新建轮次", "新建巡察组", "调配组员", "确定巡察对象")


def _keyed(submit: Any, **rename: str) -> Any:
    """A form's values under the model's names (form keys are the kit functions' error fields)."""

    def call(values: dict[str, Any]) -> str:
        return str(submit({rename.get(k, k): v for k, v in values.items()}))

    return call


class RoundsView:
    """Widgets of the 巡察组织 app.

    The forms are built only once the model knows the user: those that enter (`_build_entry`)
    for a 录入员, 整改评估 (`_build_review`) for a 审核员. For anyone else their sections stay empty.
    """

    def __init__(self, model: RoundsModel) -> None:
        self.model = model
        self.picker = w.Dropdown(description="巡察轮次", options=[], style={"description_width": "5em"})
        self.picker.layout.width = "44em"  # a round's full name, code and kind stay readable
        self.picker.observe(self._on_pick, names="value")
        self.status = Html("")
        self.round_form: Form | None = None
        self.group_form: Form | None = None
        self.member_form: Form | None = None
        self.target_form: Form | None = None
        self.pool_form: Form | None = None
        self.feedback_form: Form | None = None
        self.evaluation_form: Form | None = None
        self.outcome_form: Form | None = None
        self.round_fix: CorrectionPanel | None = None
        self._fixing: int | None = None  # the round the correction form was filled with
        self.round_fix_box = w.VBox([])
        self.fix_done = {name: w.VBox([]) for name in ("round", "feedback", "outcome")}  # 作废's outcomes
        self.round_log = CorrectionLog("kit-round-corrections", "本轮没有更正或作废记录。")
        self.outcome_fix: CorrectionPanel | None = None
        self._fixing_outcome: int | None = None  # the step the correction form was filled with
        self.outcome_fix_box = w.VBox([])
        self.outcome_log = CorrectionLog("kit-outcome-corrections", "该处置没有更正或作废记录。")
        self.steps = TableView(
            inspections.OUTCOME_LIST,
            css="kit-steps",
            on_open=model.open_outcome,
            open_label="更正或作废",
            can_open=lambda _row: self.outcome_fix is not None,
            export_name=lambda: f"线索处置记录（{self._round_code()}）.xlsx",
            sheet="线索处置记录",
        )
        self.feedback_fix: CorrectionPanel | None = None
        self._fixing_feedback: int | None = None  # the feedback the correction form was filled with
        self.feedback_fix_box = w.VBox([])
        self.feedback_log = CorrectionLog("kit-feedback-corrections", "该反馈没有更正或作废记录。")
        self.feedbacks = TableView(
            inspections.FEEDBACK_LIST,
            css="kit-feedbacks",
            on_open=model.open_feedback,
            open_label="更正或作废",
            can_open=lambda _row: self.feedback_fix is not None,
            export_name=lambda: f"巡察反馈（{self._round_code()}）.xlsx",
            sheet="巡察反馈",
        )
        self.group_panel: GroupPanel | None = None
        self.group_box = w.VBox([])  # the opened group's correction, and what a 作废 did
        self.groups = TableView(
            inspections.GROUP_LIST,
            css="kit-groups",
            on_open=model.open_group,
            open_label="更正",
            can_open=lambda _row: self.group_panel is not None,
            export_name=lambda: f"巡察组（{self._round_code()}）.xlsx",
            sheet="巡察组",
        )
        self.pool = TableView(
            inspections.POOL_LIST,
            css="kit-pool",
            on_open=self._pick_pool_entry,
            open_label="选中",
            can_open=lambda _row: self.pool_form is not None,
            export_name=lambda: "巡察人员库.xlsx",
            sheet="巡察人员库",
        )
        self.pool_remove: w.Button | None = None
        self.evaluation_fix: CorrectionPanel | None = None
        self._fixing_evaluation: int | None = None  # the unit whose evaluation the form was filled with
        self.evaluation_fix_box = w.VBox([])
        self.evaluation_log = CorrectionLog("kit-evaluation-corrections", "该评估没有更正或作废记录。")
        self.fix_done["evaluation"] = w.VBox([])
        self.targets = TableView(
            rectification.OVERVIEW_LIST,
            css="kit-targets",
            on_open=model.open_evaluation,
            open_label="更正评估",
            can_open=lambda row: self.evaluation_fix is not None and row["evaluation_id"] is not None,
            export_name=lambda: f"整改情况总览（{self._round_code()}）.xlsx",
            sheet="整改情况总览",
        )
        self.clues = TableView(
            inspections.CLUE_LIST,
            css="kit-clues",
            on_open=self._pick_clue,
            open_label="登记处置",
            can_open=lambda row: (
                self.outcome_form is not None
                and row["state"] == "live"
                and row["latest"] != inspections.OUTCOME_LABELS["closed"]
            ),
            export_name=lambda: f"问题线索（{self._round_code()}）.xlsx",
            export_columns=excel.CLUE_COLUMNS,
            sheet="问题线索",
        )
        self.entry_boxes = [w.VBox([]) for _title in ENTRY_TITLES]
        self.pool_box = w.VBox([])
        self.feedback_box = w.VBox([])
        self.evaluation_box = w.VBox([])
        self.outcome_box = w.VBox([])
        self.tabs = w.Tab(
            children=[
                w.VBox(
                    [
                        self.groups.box,
                        self.group_box,
                        *self.entry_boxes,
                        self.round_fix_box,
                        self.fix_done["round"],
                        self.round_log.box,
                    ]
                ),
                w.VBox(
                    [
                        self.targets.box,
                        *self._section("巡察反馈", self.feedbacks.box),
                        self.feedback_fix_box,
                        self.fix_done["feedback"],
                        self.feedback_log.box,
                        self.feedback_box,
                        self.evaluation_box,
                        self.evaluation_fix_box,
                        self.fix_done["evaluation"],
                        self.evaluation_log.box,
                    ]
                ),
                w.VBox(
                    [
                        self.clues.box,
                        self.outcome_box,
                        *self._section("处置记录", self.steps.box),
                        self.outcome_fix_box,
                        self.fix_done["outcome"],
                        self.outcome_log.box,
                    ]
                ),
                w.VBox([self.pool.box, self.pool_box]),
            ]
        )
        for index, title in enumerate(("轮次与巡察组", "反馈与整改评估", "问题线索", "巡察人员库")):
            self.tabs.set_title(index, title)
        model.observe(self._draw, names="revision")
        model.observe(lambda c: app.show_user(self.box, TITLE, c["new"], analyst=model.analyst), names="user_label")
        self.box = app.frame(TITLE, self.picker, self.status, self.tabs)
        when_allowed(model, "can_enter", self._build_entry)
        when_allowed(model, "can_review", self._build_review)

    def _build_entry(self) -> None:
        m = self.model
        self.round_form = Form(
            ROUND_FIELDS, submit_label="新建轮次", on_submit=m.add_round, clear_after=[f.key for f in ROUND_FIELDS]
        )
        self.group_form = Form(GROUP_FIELDS, submit_label="新建巡察组", on_submit=m.add_group, clear_after=["name"])
        self.member_form = Form(MEMBER_FIELDS, submit_label="调配", on_submit=m.add_member)
        self.target_form = Form(TARGET_FIELDS, submit_label="确定", on_submit=m.assign_unit)
        self.pool_form = Form(POOL_FIELDS, submit_label="入库", on_submit=m.add_to_pool)
        self.feedback_form = Form(
            FEEDBACK_FIELDS,
            submit_label="登记反馈",
            on_submit=_keyed(m.record_feedback, unit_id="unit", leader_id="leader"),
        )
        self.outcome_form = Form(
            OUTCOME_FIELDS, submit_label="登记", on_submit=_keyed(m.record_outcome, clue_id="clue")
        )
        forms = (self.round_form, self.group_form, self.member_form, self.target_form)
        for box, title, form in zip(self.entry_boxes, ENTRY_TITLES, forms, strict=True):
            box.children = self._section(title, form.box)
        self.pool_box.children = self._section(
            "人员入库或移出（在上表中选中一行，即填入该人员和所在的库）", self.pool_form.box
        )
        self.pool_remove = w.Button(description="移出人员库", button_style="warning")
        remove = m.remove_from_pool
        self.pool_remove.on_click(lambda _b: self.pool_form.run_submit(remove) if self.pool_form else None)
        submit_row = self.pool_form.box.children[-1]
        submit_row.children = [self.pool_form.submit, self.pool_remove, self.pool_form.status]
        self.feedback_box.children = self._section("登记反馈", self.feedback_form.box)
        self.outcome_box.children = self._section("登记线索处置结果", self.outcome_form.box)
        self.group_panel = GroupPanel(m)
        self.group_box.children = [self.group_panel.box, self.group_panel.fix.done]
        self.round_fix = CorrectionPanel(
            ROUND_FIX_FIELDS, correct=m.correct_round, void=m.void_round, void_label="作废本轮"
        )
        self.round_fix_box.children = self._section("更正或作废本轮", self.round_fix.box)
        self.fix_done["round"].children = [self.round_fix.done]
        self.outcome_fix = CorrectionPanel(
            OUTCOME_FIX_FIELDS, correct=m.correct_outcome, void=m.void_outcome, void_label="作废此处置"
        )
        self.outcome_fix_box.children = self._section("更正或作废所选处置", self.outcome_fix.box)
        self.fix_done["outcome"].children = [self.outcome_fix.done]
        self.feedback_fix = CorrectionPanel(
            FEEDBACK_FIX_FIELDS, correct=m.correct_feedback, void=m.void_feedback, void_label="作废此反馈"
        )
        self.feedback_fix_box.children = self._section("更正或作废所选反馈", self.feedback_fix.box)
        self.fix_done["feedback"].children = [self.feedback_fix.done]

    def _build_review(self) -> None:
        m = self.model
        self.evaluation_fix = CorrectionPanel(
            EVALUATION_FIX_FIELDS, correct=m.correct_evaluation, void=m.void_evaluation, void_label="作废此评估"
        )
        self.evaluation_fix_box.children = self._section("更正或作废所选单位的整改评估", self.evaluation_fix.box)
        self.fix_done["evaluation"].children = [self.evaluation_fix.done]
        self.evaluation_form = Form(
            EVALUATION_FIELDS,
            submit_label="保存评估",
            on_submit=_keyed(self.model.evaluate, unit_id="unit"),
            clear_after=("unit_id", "score", "note"),  # the next unit's score is never the last one's
        )
        self.evaluation_box.children = self._section("整改评估（审核员）", self.evaluation_form.box)

    def _round_code(self) -> str:
        return next((str(r["code"]) for r in self.model.rounds if r["id"] == self.model.round_id), "")

    def _pick_pool_entry(self, key: Any) -> None:
        """A pool row's 选中: the form below takes that person and pool (to move them out, or into another)."""
        entry = self.model.pool_entry(str(key))
        if self.pool_form is not None and entry is not None:
            self.pool_form.inputs["person_id"].value = entry["person_id"]
            self.pool_form.inputs["pool"].value = entry["pool"]

    def _pick_clue(self, clue_id: Any) -> None:
        """A clue's row 登记处置: the outcome form below takes that clue."""
        if self.outcome_form is not None:
            self.outcome_form.inputs["clue_id"].value = clue_id

    @staticmethod
    def _section(title: str, body: w.Widget) -> list[w.Widget]:
        return [Html(html('<div class="kit-section-title">{}</div>', title)), body]

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] != self.model.round_id:
            with app.errors_shown_in(self.status):
                self.model.select(change["new"])

    def _draw(self, _change: Any = None) -> None:
        m = self.model
        self.picker.unobserve(self._on_pick, names="value")
        self.picker.options = [(_round_option(r), r["id"]) for r in m.rounds]
        self.picker.value = m.round_id
        self.picker.observe(self._on_pick, names="value")
        groups = [(g["name"], g["id"]) for g in m.groups]
        pool_people = [(f"{p['name']}（{p['pool_label']}）", p["person_id"]) for p in m.pool]
        target_units = [(f"{r['unit_name']}", r["unit_id"]) for r in m.targets]
        clues = [
            (f"{c['unit_name']}：{c['description'][:30]}（{c['latest']}）", c["id"])
            for c in m.clues
            if c["state"] == "live"
        ]
        choices: list[tuple[Form | None, dict[str, tuple[Sequence[tuple[str, Any]], Any]]]] = [
            (self.member_form, {"group_id": (groups, None), "person_id": (_unique(pool_people), None)}),
            (self.target_form, {"group_id": (groups, None), "unit_id": (m.units, None)}),
            (self.pool_form, {"person_id": (m.people, None)}),
            (self.feedback_form, {"unit_id": (target_units, None), "leader_id": (m.leaders, None)}),
            (self.evaluation_form, {"unit_id": (target_units, None)}),
            (self.outcome_form, {"clue_id": (clues, None)}),
        ]
        for form, offered in choices:
            if form is not None:  # a form exists only for a user with its role
                form.set_choices(offered)
        self.groups.show(m.groups)
        if self.group_panel is not None:
            self.group_panel.draw()
        self.targets.show(m.targets)
        self.clues.show(m.clues)
        self.pool.show(m.pool)
        if self.round_fix is not None and (self._fixing != m.round_id or not self.round_fix.form.dirty):
            self.round_fix.fill(m.round_values(), reviewed=False)  # what the user is typing stays
            self._fixing = m.round_id
        self.round_log.show(m.round_corrections, of=m.round_id if m.rounds else None)
        self._draw_feedback()
        self._draw_outcome()
        self._draw_evaluation()
        for box in [*self.entry_boxes, self.round_fix_box, self.pool_box, self.feedback_box, self.outcome_box]:
            box.layout.display = None if m.can_enter else "none"
        self.evaluation_box.layout.display = None if m.can_review else "none"

    def _draw_evaluation(self) -> None:
        """The evaluation opened from the overview, in its correction form, with its history."""
        m = self.model
        opened = m.evaluation()
        if self.evaluation_fix is not None and opened is not None:
            if self._fixing_evaluation != opened["unit_id"] or not self.evaluation_fix.form.dirty:
                self.evaluation_fix.fill(m.evaluation_values(), reviewed=False)  # what the user is typing stays
                self._fixing_evaluation = opened["unit_id"]
        elif opened is None:
            self._fixing_evaluation = None
        show_if(self.evaluation_fix_box, self.evaluation_fix is not None and opened is not None)
        self.evaluation_log.show(m.evaluation_corrections, of=opened["unit_id"] if opened is not None else None)

    def _draw_outcome(self) -> None:
        """The steps taken on the round's clues; the one opened, in the correction form, with its history."""
        m = self.model
        self.steps.show(m.outcomes())
        opened = m.outcome()
        if self.outcome_fix is not None and opened is not None:
            if self._fixing_outcome != opened["id"] or not self.outcome_fix.form.dirty:
                self.outcome_fix.fill(m.outcome_values(), reviewed=False)  # what the user is typing stays
                self._fixing_outcome = opened["id"]
        elif opened is None:
            self._fixing_outcome = None
        show_if(self.outcome_fix_box, self.outcome_fix is not None and opened is not None)
        self.outcome_log.show(m.outcome_corrections, of=opened["id"] if opened is not None else None)

    def _draw_feedback(self) -> None:
        """The round's feedback list; the one opened, in the correction form, with its history."""
        m = self.model
        self.feedbacks.show(m.feedbacks)
        opened = m.feedback()
        if self.feedback_fix is not None and opened is not None:
            leaders = list(m.leaders)
            if opened["leader_id"] not in {person for _label, person in leaders}:
                leaders.append((opened["leader_name"], opened["leader_id"]))
            if self._fixing_feedback != opened["id"] or not self.feedback_fix.form.dirty:
                self.feedback_fix.form.set_choices({"leader_id": (leaders, None)})
                self.feedback_fix.fill(m.feedback_values(), reviewed=False)  # what the user is typing stays
                self._fixing_feedback = opened["id"]
        elif opened is None:
            self._fixing_feedback = None
        show_if(self.feedback_fix_box, self.feedback_fix is not None and opened is not None)
        self.feedback_log.show(m.feedback_corrections, of=opened["id"] if opened is not None else None)


def _unique(options: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One entry per person (someone in two pools is listed once, with both)."""
    labels: dict[int, list[str]] = {}
    for label, person in options:
        labels.setdefault(person, []).append(label)
    return [(" / ".join(found), person) for person, found in labels.items()]


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    view = RoundsView(RoundsModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.model.load, view.status)


def _round_option(r: dict[str, Any]) -> str:
    """A round as the picker names it: its name, code and kind (unless the name already says the kind)."""
    kind = "" if r["kind_label"] in r["name"] else f"，{r['kind_label']}"
    return f"{r['name']}（{r['code']}{kind}）"
