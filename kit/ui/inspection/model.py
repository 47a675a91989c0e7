"""The 巡察整改 app's model: its state and every call to kit (no widgets; the views draw it).

`InspectionModel` holds the state, reads it and keeps the selection; its actions come in
groups, one module each: findings_model (findings and clues), ledger_model (the ledger's
items and reviews), excel_model (export and import), copies_model (copies and handovers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import traitlets as t

from kit import access, corrections, db, excel, formats, inspections, rectification, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput, KitError
from kit.ui import app
from kit.ui.inspection.copies_model import CopyActions
from kit.ui.inspection.excel_model import ExcelActions
from kit.ui.inspection.findings_model import FindingActions, clue_values, finding_values
from kit.ui.inspection.ledger_model import STEP_FIELDS, LedgerActions, item_values, step_label, step_values

__all__ = [
    "EMBED_LIMIT",
    "STEP_FIELDS",
    "TITLE",
    "InspectionModel",
    "clue_values",
    "finding_values",
    "item_values",
    "step_label",
    "step_values",
    "uploaded",
]

log = logging.getLogger(__name__)

TITLE = "巡察整改"
# Evidence shown in an item's history travels to the browser inside the page (data: links);
# past this many bytes per item the rest are offered one at a time.
EMBED_LIMIT = 8 * 1024 * 1024


class InspectionModel(FindingActions, LedgerActions, ExcelActions, CopyActions, app.AppModel):
    """One round's findings and ledger, the selected item, the chosen 分管领导's copies."""

    revision = t.Int(0)  # the round's data changed: tables and choices are redrawn
    history_revision = t.Int(0)  # the selected item or its history changed
    finding_revision = t.Int(0)  # the selected finding or its corrections changed
    clue_revision = t.Int(0)  # the selected clue or its corrections changed
    copies_revision = t.Int(0)  # the chosen 分管领导 or their copies changed
    leader_text = t.Unicode("")  # the unit's 一把手 on the finding's date
    import_done = t.Int(0)
    import_total = t.Int(0)
    can_enter = t.Bool(False)
    can_review = t.Bool(False)

    def __init__(self, db_path: str | Path | None = None) -> None:
        super().__init__(db_path)
        self.today_text = ""
        self.rounds: list[dict[str, Any]] = []
        self.round_id: int | None = None
        self.units: list[dict[str, Any]] = []
        self.categories: list[str] = []
        self.findings: list[dict[str, Any]] = []
        self.clues: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.item_id: int | None = None
        self.item: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.item_log: list[dict[str, Any]] = []  # the item's corrections and voids
        self.finding_id: int | None = None
        self.finding: dict[str, Any] | None = None
        self.finding_log: list[dict[str, Any]] = []
        self.clue_id: int | None = None
        self.clue: dict[str, Any] | None = None
        self.clue_log: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # corrections of reviewed records waiting for a 审核员
        self.files: dict[int, tuple[str, bytes]] = {}  # evidence id → (name, bytes) embedded in the page
        self.leaders: list[dict[str, Any]] = []
        self.leader_id: int | None = None
        self.copies: list[dict[str, Any]] = []
        self.handovers: list[dict[str, Any]] = []
        self.teams: dict[int, list[str]] = {}  # unit id → its leadership team today (for 责任领导)
        self.templates: dict[str, bytes | None] = {"findings": None, "rectification": None}
        self.import_kind = ""
        self.import_result: excel.ImportResult | None = None

    # -- reading -----------------------------------------------------------------
    def load(self) -> None:
        """First load: who acts, the rounds (latest selected), categories, 分管领导 and handovers."""
        with db.read(self.db_path) as con:
            me = self.identify(con)
            self.can_enter, self.can_review = me.has(access.ENTER), me.has(access.REVIEW)
            self.today_text = con.now.date().isoformat()
            self._read_office(con)
            self._refresh(con, self.rounds[0]["id"] if self.rounds else None)

    def select_round(self, round_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self.item_id = None
            self._refresh(con, round_id)

    def reload(self) -> None:
        """Read everything again (another user may have changed it)."""
        with db.read(self.db_path) as con:
            self._read_office(con)
            self._refresh(con, self.round_id)

    def _read_office(self, con: Connection) -> None:
        """What does not depend on the round: rounds, categories, the findings import template."""
        self.rounds = inspections.list_rounds(con)
        self.categories = [c["name"] for c in inspections.list_categories(con)]
        self.templates["findings"] = excel.template("findings", con=con) if self.can_enter else None

    def _refresh(self, con: Connection, round_id: int | None, *, template: bool = True) -> None:
        """Re-read the round's data, the review queue, the selected item, copies and handovers.

        `template`: rebuild the ledger's import template too (it lists the findings without an item).
        """
        if round_id is not None and round_id not in {r["id"] for r in self.rounds}:
            round_id = None
        self.round_id = round_id
        if round_id is None:
            self.units, self.findings, self.clues, self.items = [], [], [], []
        else:
            groups = inspections.round_groups(con, round_id=round_id)
            self.units = [{**u, "group": g["name"]} for g in groups for u in g["units"]]
            # Voided records stay in the tables (struck out) so that their history can be opened.
            self.findings = inspections.list_findings(con, round_ids=[round_id], include_voided=True)
            self.clues = inspections.list_clues(con, round_ids=[round_id], include_voided=True)
            self.items = rectification.list_items(con, round_ids=[round_id], include_voided=True)
        today = con.now.date()
        units = {u["id"] for u in self.units} | {f["unit_id"] for f in self.findings}
        self.teams = {u: [x.name for x in registry.leadership_at(con, u, today)] for u in sorted(units)}
        if template and not con.writable:  # building a workbook under the write lock would hold everyone up
            self._make_template(con)
        self.pending = rectification.list_items(con, statuses=["pending"])
        self.requests = corrections.pending_requests(con)
        self.handovers = rectification.list_handovers(con)
        self.leaders = rectification.leaders_in_charge(con)
        known = [p["person_id"] for p in self.leaders]
        self._load_item(con, self.item_id if self.item_id in {i["id"] for i in self.items} else None)
        self._load_finding(con, self.finding_id if self.finding_id in {f["id"] for f in self.findings} else None)
        self._load_clue(con, self.clue_id if self.clue_id in {c["id"] for c in self.clues} else None)
        self._load_copies(con, self.leader_id if self.leader_id in known else next(iter(known), None))
        self.revision += 1  # the view redraws once per change, not once per attribute

    def _make_template(self, con: Connection) -> None:
        """The ledger's import template lists the round's findings without an item: it changes with them."""
        self.templates["rectification"] = (
            excel.template("rectification", con=con, round_id=self.round_id)
            if self.can_enter and self.round_id is not None
            else None
        )

    def _after_save(self, round_id: int | None, *, template: bool = False) -> None:
        """Show what is stored, once a save is committed (never a change still being written).

        The save has succeeded by then: if the file cannot be read just now, the screen keeps
        what it showed until the next refresh rather than telling the user their save failed.
        """
        try:
            with db.read(self.db_path) as con:
                self._refresh(con, round_id, template=template)
        except KitError:
            log.warning("not re-read after a save", exc_info=True)

    @property
    def round(self) -> dict[str, Any] | None:
        return next((r for r in self.rounds if r["id"] == self.round_id), None)

    def unit_leader(self, unit_id: int | None, found_on: Any) -> None:
        """Show who was the unit's 一把手 on the date typed (a bad or missing date says so)."""
        if unit_id is None:
            self.leader_text = ""
            return
        try:
            day = validate.day(found_on, field="found_on", label="发现日期")
        except InvalidInput:
            self.leader_text = "填写正确的发现日期后显示当时的一把手"
            return
        assert day is not None  # required: an empty date was refused above
        with db.read(self.db_path) as con:
            leader = registry.top_leader_at(con, unit_id, day)
        when = formats.cn_date(day)
        self.leader_text = f"{when}的一把手：{leader.label()}" if leader else f"{when}无在任一把手记录"

    # -- selection: the item, the finding, the clue, the 分管领导 whose copies are shown ----------
    def select_item(self, item_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_item(con, item_id)

    def _load_item(self, con: Connection, item_id: int | None) -> None:
        self.item_id = item_id
        self.item = next((i for i in [*self.items, *self.pending] if i["id"] == item_id), None)
        self.history, self.files, self.item_log = [], {}, []
        if item_id is not None:
            self.history = rectification.item_history(con, item_id=item_id)
            self.item_log = corrections.item_corrections(con, item_id=item_id)  # its steps' corrections too
            budget = EMBED_LIMIT  # the latest steps' files first: a 销号 is judged by them
            for step in reversed(self.history):
                for f in step["files"]:
                    if f["size"] <= budget:
                        budget -= f["size"]
                        self.files[f["id"]] = rectification.evidence(con, evidence_id=f["id"])
        self.history_revision += 1

    def select_finding(self, finding_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_finding(con, finding_id)

    def _load_finding(self, con: Connection, finding_id: int | None) -> None:
        self.finding_id = finding_id
        self.finding = next((f for f in self.findings if f["id"] == finding_id), None)
        self.finding_log = (
            corrections.corrections_of(con, table="findings", record_id=finding_id) if self.finding else []
        )
        self.finding_revision += 1

    def select_clue(self, clue_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_clue(con, clue_id)

    def _load_clue(self, con: Connection, clue_id: int | None) -> None:
        self.clue_id = clue_id
        self.clue = next((c for c in self.clues if c["id"] == clue_id), None)
        self.clue_log = corrections.corrections_of(con, table="clues", record_id=clue_id) if self.clue else []
        self.clue_revision += 1

    def select_leader(self, person_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_copies(con, person_id)

    def _load_copies(self, con: Connection, person_id: int | None) -> None:
        self.leader_id = person_id
        self.copies = [] if person_id is None else rectification.copies_for(con, person_id=person_id)
        self.copies_revision += 1

    # -- reports ------------------------------------------------------------------
    def report(self, which: str) -> tuple[str, str]:
        """The round's 巡察情况报告 ("round") or 整改情况通报 ("notice"): (file name, HTML).

        Raises:
            InvalidInput: no round chosen; NotFound, PermissionDenied, Busy.
        """
        from kit.reports import inspection as reports  # charts load Altair: only when a report is asked for

        chosen = self.round
        if chosen is None:
            raise InvalidInput.one("round", "请先选择巡察轮次")
        with db.read(self.db_path) as con:
            if which == "round":
                return reports.round_filename([chosen["code"]]), reports.round_report(con, round_ids=[chosen["id"]])
            return reports.notice_filename(chosen["code"]), reports.notice(con, round_id=chosen["id"])


def uploaded(value: Iterable[Mapping[str, Any]] | None) -> list[tuple[str, bytes]]:
    """A FileUpload's value as (name, bytes) pairs, the form kit's write functions take."""
    return [(str(f["name"]), bytes(f["content"])) for f in value or ()]
