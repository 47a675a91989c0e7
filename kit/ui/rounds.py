"""巡察组织: rounds, groups (from the pools, with recusal), targets, feedback, 整改评估 and clue outcomes.

The 巡察办's own app. Everything it writes goes through kit.inspections and
kit.rectification, so the rules (pools, one 组长, 回避, one group per unit and
round …) and their Chinese messages are those of the functions, shown beside the
fields they name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets as t

from kit import access, corrections, db, excel, inspections, rectification, registry
from kit.db import Connection
from kit.errors import InvalidInput, KitError
from kit.markup import Markup, html, join
from kit.ui import app
from kit.ui.correction_panel import CorrectionPanel, corrections_html
from kit.ui.forms import FieldSpec, Form, declared
from kit.ui.inspection_parts import when_allowed
from kit.ui.table import TableView
from kit.ui.widgets import Html

log = logging.getLogger(__name__)

TITLE = "巡察组织"


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(label, key) for key, label in labels.items()]


def person_label(person: dict[str, Any]) -> str:
    """A person as the pool form lists them: name, latest unit and post (the same name twice is told apart)."""
    where = " ".join(part for part in (person.get("unit_name"), person.get("post")) if part) or "暂无任职"
    return f"{person['name']}（{where}，编号 {person['id']}）"


class RoundsModel(app.AppModel):
    """The rounds, the chosen round's groups and targets, and what the forms may choose from."""

    revision = t.Int(0)
    round_id = t.Int(None, allow_none=True)
    rounds: t.List[Any] = t.List()
    groups: t.List[Any] = t.List()
    targets: t.List[Any] = t.List()
    pool: t.List[Any] = t.List()
    clues: t.List[Any] = t.List()
    round_corrections: t.List[Any] = t.List()  # the chosen round's 更正 and 作废
    units: t.List[Any] = t.List()
    people: t.List[Any] = t.List()
    leaders: t.List[Any] = t.List()
    can_enter = t.Bool(False)
    can_review = t.Bool(False)

    def load(self) -> None:
        with db.read(self.db_path) as con:
            me = self.identify(con)
            self.can_enter = me.has(access.ENTER)
            self.can_review = me.has(access.REVIEW)
            self._refresh(con, None)

    def select(self, round_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._refresh(con, round_id)

    def _refresh(self, con: Connection, round_id: int | None) -> None:
        self.rounds = inspections.list_rounds(con)
        known = {r["id"] for r in self.rounds}
        chosen = round_id if round_id in known else (self.rounds[0]["id"] if self.rounds else None)
        self.round_id = chosen
        self.pool = inspections.list_pool(con)
        self.units = [(f"{u['name']}（{u['code']}）", u["id"]) for u in registry.list_units(con)]
        self.people = [(person_label(p), p["id"]) for p in registry.list_people(con)]
        self.leaders = self._leaders(con)
        if chosen is None:
            self.groups, self.targets, self.clues, self.round_corrections = [], [], [], []
        else:
            self.groups = inspections.round_groups(con, round_id=chosen)
            self.targets = rectification.overview(con, round_ids=[chosen])
            self.clues = inspections.list_clues(con, round_ids=[chosen])
            self.round_corrections = corrections.corrections_of(con, table="inspection_rounds", record_id=chosen)
        self.revision += 1

    def _leaders(self, con: Connection) -> list[tuple[str, int]]:
        """分管领导 to choose from: the teams of the top units today, and whoever attended a feedback."""
        today = con.now.date()
        found: dict[int, str] = {}
        for unit in registry.list_units(con):  # those the user sees
            if unit["parent_id"] is None:
                for leader in registry.leadership_at(con, unit["id"], today):
                    found.setdefault(leader.person_id, f"{leader.name}（{leader.post}）")
        for row in rectification.leaders_in_charge(con):
            found.setdefault(row["person_id"], row["name"])
        return [(label, person) for person, label in found.items()]

    # --- writes: each is one transaction through kit ------------------------------------------

    def _write(self, action: str, call: Any) -> Any:
        """One save; the screen then shows what is stored (never a change still being written).

        The save has succeeded once the block ends: if the file cannot be read just then, the
        screen keeps what it showed rather than telling the user their save failed.
        """
        with db.write(self.db_path, action=action) as con:
            result = call(con)
        try:
            self.select(self.round_id)
        except KitError:
            log.warning("not re-read after a save", exc_info=True)
        return result

    def add_round(self, values: dict[str, Any]) -> str:
        """新建轮次; returns the message. Raises: InvalidInput, PermissionDenied, Busy."""
        new = self._write("设置巡察轮次", lambda con: inspections.add_round(con, **values))
        self.select(new)
        return f"已新建轮次：{values.get('name')}"

    def _need_round(self) -> int:
        if self.round_id is None:
            raise InvalidInput.one("round", "请先新建或选择巡察轮次")
        return int(self.round_id)

    def round_values(self) -> dict[str, Any]:
        """The chosen round's fields as its correction form shows them (dates as text)."""
        chosen = next((r for r in self.rounds if r["id"] == self.round_id), None)
        if chosen is None:
            return {}
        return {
            "name": chosen["name"],
            "kind": chosen["kind"],
            "start": chosen["start_date"].isoformat(),
            "end": chosen["end_date"].isoformat(),
            "note": chosen["note"] or "",
        }

    def correct_round(self, values: dict[str, Any]) -> str:
        """更正 the chosen round (what differs from what is stored, with the reason); returns the message."""
        round_id = self._need_round()
        stored = self.round_values()
        changes = {k: values.get(k) for k in stored if (values.get(k) or "") != (stored[k] or "")}
        self._write(
            "更正巡察轮次",
            lambda con: corrections.correct_round(con, round_id=round_id, reason=values.get("reason"), **changes),
        )
        return "已更正本轮，更正记录见下方"

    def void_round(self, values: dict[str, Any]) -> str:
        """作废 the chosen round (only while nothing belongs to it); returns the message."""
        round_id = self._need_round()
        code = next((r["code"] for r in self.rounds if r["id"] == round_id), "")
        self._write(
            "作废巡察轮次", lambda con: corrections.void_round(con, round_id=round_id, reason=values.get("reason"))
        )
        return f"已作废轮次 {code}，它不再出现在轮次列表中"

    def add_group(self, values: dict[str, Any]) -> str:
        """新建巡察组; returns the message. Raises: InvalidInput, NotFound, PermissionDenied, Busy."""
        round_id = self._need_round()
        self._write("设置巡察组", lambda con: inspections.add_group(con, round_id=round_id, name=values.get("name")))
        return f"已新建：{values.get('name')}"

    def add_member(self, values: dict[str, Any]) -> str:
        """调配组员 (pools and recusal are checked by kit); returns the message."""
        self._need_round()
        if values.get("group") is None:
            raise InvalidInput.one("group", "请选择巡察组")
        if values.get("person") is None:
            raise InvalidInput.one("person_id", "请选择人员")
        self._write(
            "设置巡察组成员",
            lambda con: inspections.add_member(
                con, group_id=values["group"], person_id=values["person"], role=values.get("role")
            ),
        )
        return "已调配"

    def assign_unit(self, values: dict[str, Any]) -> str:
        """确定巡察对象 (recusal is checked by kit); returns the message."""
        self._need_round()
        if values.get("group") is None:
            raise InvalidInput.one("group", "请选择巡察组")
        if values.get("unit") is None:
            raise InvalidInput.one("unit_id", "请选择被巡察单位")
        self._write(
            "确定巡察对象",
            lambda con: inspections.assign_unit(con, group_id=values["group"], unit_id=values["unit"]),
        )
        return "已确定巡察对象"

    def add_to_pool(self, values: dict[str, Any]) -> str:
        """入库; returns the message."""
        if values.get("person") is None:
            raise InvalidInput.one("person_id", "请选择人员")
        self._write(
            "入库", lambda con: inspections.add_to_pool(con, person_id=values["person"], pool=values.get("pool"))
        )
        return "已入库"

    def record_feedback(self, values: dict[str, Any]) -> str:
        """登记反馈; returns the message."""
        round_id = self._need_round()
        if values.get("unit") is None:
            raise InvalidInput.one("unit_id", "请选择被巡察单位")
        if values.get("leader") is None:
            raise InvalidInput.one("leader_id", "请选择出席的分管领导")
        self._write(
            "登记巡察反馈",
            lambda con: inspections.record_feedback(
                con,
                round_id=round_id,
                unit_id=values["unit"],
                mode=values.get("mode"),
                held_on=values.get("held_on"),
                leader_id=values["leader"],
                note=values.get("note"),
            ),
        )
        return "已登记反馈"

    def evaluate(self, values: dict[str, Any]) -> str:
        """整改评估 (审核员); returns the message with the grade."""
        round_id = self._need_round()
        if values.get("unit") is None:
            raise InvalidInput.one("unit_id", "请选择被评估单位")
        grade = self._write(
            "整改评估",
            lambda con: rectification.evaluate(
                con, round_id=round_id, unit_id=values["unit"], score=values.get("score"), note=values.get("note")
            ),
        )
        return f"已评估：{grade}"

    def record_outcome(self, values: dict[str, Any]) -> str:
        """登记线索处置; returns the message."""
        if values.get("clue") is None:
            raise InvalidInput.one("clue_id", "请选择问题线索")
        self._write(
            "登记线索处置结果",
            lambda con: inspections.record_outcome(
                con,
                clue_id=values["clue"],
                outcome=values.get("outcome"),
                people=values.get("people") or 0,
                decided_on=values.get("decided_on"),
                note=values.get("note"),
            ),
        )
        return "已登记处置结果"


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
GROUP_FIELDS = [FieldSpec("name", "巡察组名称", required=True, placeholder="如 第一巡察组", width="14em")]
MEMBER_FIELDS = [
    FieldSpec("group", "巡察组", "choice", required=True, width="14em"),
    FieldSpec("person_id", "人员", "choice", required=True, width="18em", hint="组长、副组长、联络员须在相应人员库中"),
    FieldSpec(
        "role", "组内职务", "choice", required=True, options=_options(inspections.MEMBER_ROLE_LABELS), width="8em"
    ),
]
TARGET_FIELDS = [
    FieldSpec("group", "巡察组", "choice", required=True, width="14em"),
    FieldSpec("unit_id", "被巡察单位", "choice", required=True, width="22em", hint="曾在该单位任职的组员须回避"),
]
POOL_FIELDS = [
    FieldSpec("person_id", "人员", "search", required=True, width="26em"),
    FieldSpec("pool", "人员库", "choice", required=True, options=_options(inspections.POOL_LABELS), width="10em"),
]
FEEDBACK_FIELDS = [
    FieldSpec("unit_id", "被巡察单位", "choice", required=True, width="22em"),
    FieldSpec("mode", "反馈方式", "choice", required=True, options=_options(inspections.FEEDBACK_MODE_LABELS)),
    FieldSpec("held_on", "反馈日期", required=True, placeholder="2025-07-15", width="10em"),
    FieldSpec("leader_id", "出席的分管领导", "choice", required=True, width="22em"),
    FieldSpec("note", "备注", "textarea"),
]
EVALUATION_FIELDS = [
    FieldSpec("unit_id", "被评估单位", "choice", required=True, width="22em"),
    FieldSpec(
        "score", "评估得分", "number", required=True, placeholder="0–100", width="8em", hint="90 好、80 较好、60 一般"
    ),
    FieldSpec("note", "评估意见", "textarea"),
]
OUTCOME_FIELDS = [
    FieldSpec("clue_id", "问题线索", "choice", required=True, width="30em"),
    FieldSpec("outcome", "处置结果", "choice", required=True, options=_options(inspections.OUTCOME_LABELS)),
    FieldSpec("people", "涉及人次", "number", placeholder="0", width="6em"),
    FieldSpec("decided_on", "处置日期", required=True, placeholder="2025-09-01", width="10em"),
    FieldSpec("note", "备注", "textarea"),
]


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
        self.picker.layout.width = "30em"
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
        self.round_log = Html("")
        self.groups = Html("")
        self.pool = Html("")
        self.targets = TableView(
            rectification.OVERVIEW_LIST,
            css="kit-targets",
            export_name=lambda: f"整改情况总览（{self._round_code()}）.xlsx",
            sheet="整改情况总览",
        )
        self.clues = TableView(
            inspections.CLUE_LIST,
            css="kit-clues",
            on_open=self._pick_clue,
            open_label="登记处置",
            can_open=lambda row: (
                self.outcome_form is not None and row["latest"] != inspections.OUTCOME_LABELS["closed"]
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
                w.VBox([self.groups, *self.entry_boxes, self.round_fix_box, self.round_log]),
                w.VBox([self.targets.box, self.feedback_box, self.evaluation_box]),
                w.VBox([self.clues.box, self.outcome_box]),
                w.VBox([self.pool, self.pool_box]),
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
        self.member_form = Form(MEMBER_FIELDS, submit_label="调配", on_submit=_keyed(m.add_member, person_id="person"))
        self.target_form = Form(TARGET_FIELDS, submit_label="确定", on_submit=_keyed(m.assign_unit, unit_id="unit"))
        self.pool_form = Form(POOL_FIELDS, submit_label="入库", on_submit=_keyed(m.add_to_pool, person_id="person"))
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
        self.pool_box.children = self._section("人员入库", self.pool_form.box)
        self.feedback_box.children = self._section("登记反馈", self.feedback_form.box)
        self.outcome_box.children = self._section("登记线索处置结果", self.outcome_form.box)
        self.round_fix = CorrectionPanel(
            ROUND_FIX_FIELDS, correct=m.correct_round, void=m.void_round, void_label="作废本轮"
        )
        self.round_fix_box.children = self._section("更正或作废本轮", self.round_fix.box)

    def _build_review(self) -> None:
        self.evaluation_form = Form(
            EVALUATION_FIELDS, submit_label="保存评估", on_submit=_keyed(self.model.evaluate, unit_id="unit")
        )
        self.evaluation_box.children = self._section("整改评估（审核员）", self.evaluation_form.box)

    def _round_code(self) -> str:
        return next((str(r["code"]) for r in self.model.rounds if r["id"] == self.model.round_id), "")

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
        self.picker.options = [(f"{r['name']}（{r['code']}，{r['kind_label']}）", r["id"]) for r in m.rounds]
        self.picker.value = m.round_id
        self.picker.observe(self._on_pick, names="value")
        groups = [(g["name"], g["id"]) for g in m.groups]
        pool_people = [(f"{p['name']}（{p['pool_label']}）", p["person_id"]) for p in m.pool]
        target_units = [(f"{r['unit_name']}", r["unit_id"]) for r in m.targets]
        clues = [(f"{c['unit_name']}：{c['description'][:30]}（{c['latest']}）", c["id"]) for c in m.clues]
        choices: list[tuple[Form | None, dict[str, tuple[Sequence[tuple[str, Any]], Any]]]] = [
            (self.member_form, {"group": (groups, None), "person_id": (_unique(pool_people), None)}),
            (self.target_form, {"group": (groups, None), "unit_id": (m.units, None)}),
            (self.pool_form, {"person_id": (m.people, None)}),
            (self.feedback_form, {"unit_id": (target_units, None), "leader_id": (m.leaders, None)}),
            (self.evaluation_form, {"unit_id": (target_units, None)}),
            (self.outcome_form, {"clue_id": (clues, None)}),
        ]
        for form, offered in choices:
            if form is not None:  # a form exists only for a user with its role
                form.set_choices(offered)
        self.groups.value = groups_html(m.groups)
        self.targets.show(m.targets)
        self.clues.show(m.clues)
        self.pool.value = pool_html(m.pool)
        if self.round_fix is not None and (self._fixing != m.round_id or not self.round_fix.form.dirty):
            self.round_fix.fill(m.round_values(), reviewed=False)  # what the user is typing stays
            self._fixing = m.round_id
        self.round_log.value = corrections_html(m.round_corrections, "本轮没有更正或作废记录。") if m.rounds else ""
        for box in [*self.entry_boxes, self.round_fix_box, self.pool_box, self.feedback_box, self.outcome_box]:
            box.layout.display = None if m.can_enter else "none"
        self.evaluation_box.layout.display = None if m.can_review else "none"


def _unique(options: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One entry per person (someone in two pools is listed once, with both)."""
    labels: dict[int, list[str]] = {}
    for label, person in options:
        labels.setdefault(person, []).append(label)
    return [(" / ".join(found), person) for person, found in labels.items()]


def _table(head: list[str], rows: Sequence[Sequence[str]], css: str) -> Markup:
    """A table: each cell is text (escaped here) or markup built with kit.markup."""
    header = join(html("<th>{}</th>", h) for h in head)
    body = join(html("<tr>{}</tr>", join(html("<td>{}</td>", cell) for cell in row)) for row in rows)
    return html(
        '<table class="kit-table {css}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>',
        css=css,
        header=header,
        body=body,
    )


def groups_html(groups: list[dict[str, Any]]) -> Markup:
    if not groups:
        return html('<div class="kit-info">本轮尚未组建巡察组。</div>')
    rows: list[list[str]] = []
    for g in groups:
        members = join((html("{}（{}）", p["name"], p["role_label"]) for p in g["members"]), "、") or "（未调配）"
        units = join((u["name"] for u in g["units"]), "、") or "（未确定）"
        rows.append([g["name"], members, units])
    return _table(["巡察组", "成员", "巡察对象"], rows, "kit-groups")


def pool_html(rows: list[dict[str, Any]]) -> Markup:
    if not rows:
        return html('<div class="kit-info">人员库为空。</div>')
    by_pool: dict[str, list[str]] = {}
    for r in rows:
        by_pool.setdefault(r["pool_label"], []).append(r["name"])
    return _table(["人员库", "人员"], [[k, "、".join(v)] for k, v in by_pool.items()], "kit-pool")


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    view = RoundsView(RoundsModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.model.load, view.status)
