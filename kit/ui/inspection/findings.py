"""The 巡察整改 app's 发现问题 tab: the findings table, entry, import, correction, clues."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from kit import excel, inspections
from kit.markup import Markup, html
from kit.ui import app
from kit.ui.correction_panel import CorrectionLog, CorrectionPanel
from kit.ui.forms import Form, declared
from kit.ui.inspection.model import InspectionModel, clue_values, finding_values
from kit.ui.inspection.parts import ImportArea
from kit.ui.parts import beside, day, keep, section, short, show_if, when_allowed
from kit.ui.table import TableView
from kit.ui.widgets import Html

FINDING_FIELDS = declared(
    inspections.FINDING,
    ("unit", "category", "description", "severity", "involves_top", "source", "found_on", "stage"),
)
CLUE_FIELDS = declared(inspections.CLUE, ("finding_id", "receiver", "transferred_on", "note"))
OUTCOME_FIELDS = declared(inspections.OUTCOME, ("clue_id", "outcome", "people", "decided_on", "note"))
CLUE_FIX_FIELDS = declared(inspections.CLUE, ("receiver", "transferred_on", "note"))


class FindingsTab:
    """录入发现问题 (with the 一把手 of that day), the round's findings, Excel import, clues.

    The entry parts (the finding form, the import area with its file upload, the clue forms)
    are built by `_build_entry` only once the model knows the user is a 录入员; for anyone
    else their containers stay empty.
    """

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self._defaults_set = False
        self._drawing = False
        self._seen: tuple[Any, Any] = (None, None)
        self.form: Form | None = None
        self.leader: Html | None = None
        self.importer: ImportArea | None = None
        self.clue_form: Form | None = None
        self.outcome_form: Form | None = None
        self.fix: CorrectionPanel | None = None
        self.clue_fix: CorrectionPanel | None = None
        self.table = TableView(
            inspections.FINDING_LIST,
            css="kit-findings",
            on_open=self.open,
            export_name=lambda: f"发现问题-{model.round['code'] if model.round else ''}.xlsx",
            export_columns=inspections.FINDING.export,
            sheet="发现问题",
        )
        self.clues = TableView(
            inspections.CLUE_LIST,
            css="kit-clues",
            on_open=self.open_clue,
            export_name=lambda: f"问题线索-{model.round['code'] if model.round else ''}.xlsx",
            export_columns=excel.CLUE_COLUMNS,
            sheet="问题线索",
        )
        self.entry = w.VBox([])
        self.imports = w.VBox([])
        self.clue_entry = w.VBox([])
        self.detail_status = Html("")
        self.detail = Html("")
        self.log = CorrectionLog("kit-finding-corrections", "该问题没有更正或作废记录。")
        self.fix_box = w.VBox([])
        self.fix_done = w.VBox([])  # a 作废's outcome, which outlives the panel it was made in
        self.clue_status = Html("")
        self.clue_detail = Html("")
        self.clue_log = CorrectionLog("kit-clue-corrections", "该线索没有更正或作废记录。")
        self.clue_fix_box = w.VBox([])
        self.clue_fix_done = w.VBox([])
        self.box = w.VBox(
            [
                self.entry,
                section("本轮发现问题"),
                self.table.box,
                section("问题详情"),
                self.detail_status,
                self.detail,
                self.log.box,
                self.fix_box,
                self.fix_done,
                self.imports,
                section("问题线索"),
                self.clues.box,
                section("线索详情"),
                self.clue_status,
                self.clue_detail,
                self.clue_log.box,
                self.clue_fix_box,
                self.clue_fix_done,
                self.clue_entry,
            ]
        )
        model.observe(self._draw_finding, names="finding_revision")
        model.observe(self._draw_clue, names="clue_revision")
        when_allowed(model, "can_enter", self._build_entry)

    def open(self, finding_id: Any) -> None:
        """Show one finding, its corrections and (for a 录入员) the 更正 / 作废 form (a row's 查看)."""
        with app.errors_shown_in(self.detail_status):
            self.model.select_finding(finding_id)

    def _draw_finding(self, _change: Any = None) -> None:
        m = self.model
        found = m.finding
        if found is None:
            self.detail.value = html('<div class="kit-info">点击表中某一行的“查看”，查看该问题及其更正记录。</div>')
        else:
            self.detail.value = finding_html(found)
        self.log.show(m.finding_log, of=m.finding_id if found is not None else None)
        live = found is not None and found["state"] == "live"
        show_if(self.fix_box, m.can_enter and live)
        if self.fix is not None and live and found is not None:
            units = [(u["name"], u["id"]) for u in m.units]
            if found["unit_id"] not in {u for _, u in units}:
                units.append((found["unit_name"], found["unit_id"]))
            categories = [(c, c) for c in m.categories]
            stored = finding_values(found)
            self.fix.form.set_choices({"unit": (units, stored["unit"]), "category": (categories, stored["category"])})
            self.fix.fill(stored, reviewed=False)

    def open_clue(self, clue_id: Any) -> None:
        """Show one clue, its corrections and (for a 录入员) the 更正 / 作废 form (a row's 查看)."""
        with app.errors_shown_in(self.clue_status):
            self.model.select_clue(clue_id)

    def _draw_clue(self, _change: Any = None) -> None:
        m = self.model
        clue = m.clue
        self.clue_detail.value = (
            clue_html(clue)
            if clue is not None
            else html('<div class="kit-info">点击线索表中某一行的“查看”，查看该线索及其更正与作废记录。</div>')
        )
        self.clue_log.show(m.clue_log, of=clue["id"] if clue is not None else None)
        live = clue is not None and clue["state"] == "live"
        show_if(self.clue_fix_box, m.can_enter and live)
        if self.clue_fix is not None and live and clue is not None:
            self.clue_fix.fill(clue_values(clue), reviewed=False)

    def _build_entry(self) -> None:
        model = self.model
        # The next finding is often of the same unit and category: only what it says starts blank.
        self.form = Form(FINDING_FIELDS, submit_label="保存", on_submit=self._save, clear_after=["description"])
        self.leader = Html("", layout=w.Layout(margin="0 0 0 8px"))
        beside(self.form, "involves_top", self.leader)
        self.form.observe(self._changed)
        model.observe(self._draw_leader, names="leader_text")
        self.importer = ImportArea(model, "findings")
        self.clue_form = Form(CLUE_FIELDS, submit_label="移交线索", on_submit=model.transfer_clue)
        self.outcome_form = Form(OUTCOME_FIELDS, submit_label="登记处置结果", on_submit=model.record_outcome)
        self.entry.children = [section("录入发现问题"), self.form.box]
        self.fix = CorrectionPanel(
            FINDING_FIELDS, correct=self.model.correct_finding, void=self.model.void_finding, void_label="作废此问题"
        )
        self.fix_box.children = [section("更正或作废此问题"), self.fix.box]
        self.fix_done.children = [self.fix.done]
        self.clue_fix = CorrectionPanel(
            CLUE_FIX_FIELDS, correct=self.model.correct_clue, void=self.model.void_clue, void_label="作废此线索"
        )
        self.clue_fix_box.children = [section("更正或作废此线索"), self.clue_fix.box]
        self.clue_fix_done.children = [self.clue_fix.done]
        self.imports.children = [section("从Excel导入发现问题"), self.importer.box]
        self.clue_entry.children = [
            section("移交问题线索"),
            self.clue_form.box,
            section("线索处置"),
            self.outcome_form.box,
        ]

    def draw(self) -> None:
        """Redraw from the model; fields keep what the user chose while it is still offered."""
        self._drawing = True  # setting fields here must not read the database again
        try:
            self._draw()
        finally:
            self._drawing = False
        if self.form is None or self.leader is None:
            return
        values = self.form.values()
        self._seen = (values["unit"], values["found_on"])
        if values["unit"] is None:
            self.leader.value = ""

    def _draw(self) -> None:
        m = self.model
        self.table.show(m.findings)
        self.clues.show(m.clues)
        for part in (self.entry, self.imports, self.clue_entry):
            show_if(part, m.can_enter and m.round is not None)
        self._draw_entry()

    def _draw_entry(self) -> None:
        """The entry forms' choices and defaults (when they exist: a 录入员's app)."""
        m = self.model
        if self.form is None or self.clue_form is None or self.outcome_form is None or self.importer is None:
            return
        units = [(u["name"], u["id"]) for u in m.units]
        categories = [(c, c) for c in m.categories]
        values = self.form.values()
        self.form.set_choices(
            {
                "unit": (units, keep(units, values["unit"])),
                "category": (categories, keep(categories, values["category"])),
            }
        )
        if not self._defaults_set and m.today_text:
            self._defaults_set = True
            self.form.set_values({"found_on": m.today_text, "source": "inspection", "stage": "inspection"})
            self.clue_form.set_values({"transferred_on": m.today_text})
            self.outcome_form.set_values({"decided_on": m.today_text, "people": "0"})
        open_findings = [
            (_finding_label(f), f["id"]) for f in m.findings if f["clue_id"] is None and f["state"] == "live"
        ]
        clues = [(_clue_label(c), c["id"]) for c in m.clues if c["state"] == "live"]
        self.clue_form.set_choices({"finding_id": (open_findings, keep(open_findings, None))})
        self.outcome_form.set_choices({"clue_id": (clues, keep(clues, self.outcome_form.values()["clue_id"]))})
        self.importer.draw(m.templates["findings"])

    def _save(self, values: dict[str, Any]) -> str:
        return self.model.add_finding(values)  # the form then empties 问题描述 (clear_after)

    def _changed(self, values: dict[str, Any]) -> None:
        now = (values["unit"], values["found_on"])
        if not self._drawing and now != self._seen:
            self._seen = now
            self.model.unit_leader(values["unit"], values["found_on"])

    def _draw_leader(self, change: dict[str, Any]) -> None:
        if self.leader is None:
            return
        text = change["new"]
        self.leader.value = html('<span class="kit-hint kit-top-leader">{}</span>', text) if text else ""


def finding_html(f: dict[str, Any]) -> Markup:
    state = "（已作废）" if f["state"] == "voided" else ""
    return html(
        '<div class="kit-item-info"><b>问题 {}{}</b>｜{}｜{}｜{}｜{}｜发现日期 {}<br>{}</div>',
        f["id"],
        state,
        f["unit_name"],
        f["category"],
        f["severity_label"],
        f"涉及一把手：{f['involves_top_label']}",
        day(f["found_on"]),
        f["description"],
    )


def clue_html(c: dict[str, Any]) -> Markup:
    state = "（已作废）" if c["state"] == "voided" else ""
    return html(
        '<div class="kit-item-info"><b>线索 {}{}</b>｜{}｜移交{}｜移交日期 {}｜{}<br>{}{}</div>',
        c["id"],
        state,
        c["unit_name"],
        c["receiver_label"],
        day(c["transferred_on"]),
        c["steps"],
        c["description"],
        html("<br>移交备注：{}", c["note"]) if c["note"] else "",
    )


def _finding_label(f: dict[str, Any]) -> str:
    return f"{f['id']}｜{f['unit_name']}：{short(f['description'])}"


def _clue_label(c: dict[str, Any]) -> str:
    return f"{c['id']}｜{c['unit_name']}：{short(c['description'])}（{c['latest']}）"


# --- the app ----------------------------------------------------------------------------------
