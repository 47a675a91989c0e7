"""The 巡察整改 app's model: its state and every call to kit (no widgets; the views draw it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import traitlets as t

from kit import access, corrections, db, excel, inspections, rectification, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput, KitError
from kit.ui import app

log = logging.getLogger(__name__)

TITLE = "巡察整改"
# Evidence shown in an item's history travels to the browser inside the page (data: links);
# past this many bytes per item the rest are offered one at a time.
EMBED_LIMIT = 8 * 1024 * 1024


class InspectionModel(app.AppModel):
    """One round's findings and ledger, the selected item, the chosen 分管领导's copies."""

    revision = t.Int(0)  # the round's data changed: tables and choices are redrawn
    history_revision = t.Int(0)  # the selected item or its history changed
    finding_revision = t.Int(0)  # the selected finding or its corrections changed
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
            self.clues = inspections.list_clues(con, round_ids=[round_id])
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
        when = f"{day.year}年{day.month}月{day.day}日"
        self.leader_text = f"{when}的一把手：{leader.label()}" if leader else f"{when}无在任一把手记录"

    # -- 发现问题 ----------------------------------------------------------------
    def add_finding(self, values: Mapping[str, Any]) -> str:
        """Save one finding of the selected round; returns the message for the user.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        chosen = self.round
        if chosen is None:
            raise InvalidInput.one("round", "请先选择巡察轮次")
        unit = next((u for u in self.units if u["id"] == values.get("unit")), None)
        with db.write(self.db_path, action="录入发现问题") as con:
            ident = inspections.add_finding(
                con,
                round=chosen["code"],
                unit=unit["code"] if unit else "",
                stage=values.get("stage"),
                category=values.get("category"),
                description=values.get("description"),
                severity=values.get("severity"),
                involves_top=values.get("involves_top"),
                source=values.get("source"),
                found_on=values.get("found_on"),
            )
        self._after_save(chosen["id"], template=True)
        return f"已保存：问题编号 {ident}（{unit['name'] if unit else ''}）"

    def transfer_clue(self, values: Mapping[str, Any]) -> str:
        """移交问题线索 for a finding of the round; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="移交问题线索") as con:
            ident = inspections.transfer_clue(
                con,
                finding_id=_required(values, "finding_id", "请选择要移交的问题"),
                receiver=values.get("receiver"),
                transferred_on=values.get("transferred_on"),
                note=values.get("note"),
            )
        self._after_save(self.round_id)
        return f"已移交：线索编号 {ident}"

    def record_outcome(self, values: Mapping[str, Any]) -> str:
        """登记线索处置结果; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="登记线索处置结果") as con:
            inspections.record_outcome(
                con,
                clue_id=_required(values, "clue_id", "请选择线索"),
                outcome=values.get("outcome"),
                people=values.get("people"),
                decided_on=values.get("decided_on"),
                note=values.get("note"),
            )
        self._after_save(self.round_id)
        return "已登记处置结果"

    # -- Excel -------------------------------------------------------------------
    def export(self, kind: str) -> bytes:
        """The round's findings or ledger as shown, as .xlsx."""
        if kind == "findings":
            return excel.export_rows(self.findings, inspections.FINDING.export, sheet="发现问题")
        return excel.export_rows(self.items, rectification.ITEM.export, sheet="整改台账")

    def import_file(self, kind: str, data: bytes | None, *, good_only: bool) -> str:
        """Import an .xlsx of findings or ledger items; the progress traits follow the rows checked.

        Returns the message; row errors are kept in `import_result`.

        Raises:
            InvalidInput: no file, or the file itself is refused; PermissionDenied, Busy.
        """
        self.import_kind, self.import_result = kind, None
        self.import_done, self.import_total = 0, 0
        if not data:
            raise InvalidInput.one("file", "请先选择要导入的 Excel 文件（.xlsx）")
        result = excel.import_file(data, kind, path=self.db_path, good_only=good_only, progress=self._progress)
        self.import_result = result
        self.import_total = self.import_done = max(result.total, 1)
        self.reload()
        if result.ok:
            return f"已导入 {len(result.imported)} 行"
        if result.imported or result.rejects is not None:
            return f"已导入 {len(result.imported)} 行；{len(result.bad_rows)} 行有误未导入，可下载后改正再导入"
        return f"共 {result.total} 行，其中 {len(result.bad_rows)} 行有误，未导入任何数据"

    def _progress(self, done: int, total: int) -> None:
        self.import_total, self.import_done = max(total, 1), done

    # -- 整改台账 ----------------------------------------------------------------
    @property
    def findings_without_item(self) -> list[dict[str, Any]]:
        done = {i["finding_id"] for i in self.items if i["status"] != "voided"}
        return [f for f in self.findings if f["id"] not in done and f["state"] == "live"]

    def team_of(self, finding_id: int | None) -> list[str]:
        """Names of the current leadership team of a finding's unit (choices for 责任领导)."""
        finding = next((f for f in self.findings if f["id"] == finding_id), None)
        return self.teams.get(finding["unit_id"], []) if finding else []

    def add_item(self, values: Mapping[str, Any]) -> str:
        """Add a ledger item for a finding; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="录入整改事项") as con:
            ident = rectification.add_item(
                con,
                finding=_required(values, "finding", "请选择问题"),
                measure=values.get("measure"),
                leader=values.get("leader"),
                responsible=values.get("responsible"),
                deadline=values.get("deadline"),
            )
            self.item_id = ident
        self._after_save(self.round_id, template=True)
        return f"已建立整改事项（编号 {ident}）"

    def select_item(self, item_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_item(con, item_id)

    def _load_item(self, con: Connection, item_id: int | None) -> None:
        self.item_id = item_id
        self.item = next((i for i in [*self.items, *self.pending] if i["id"] == item_id), None)
        self.history, self.files, self.item_log = [], {}, []
        if item_id is not None:
            self.history = rectification.item_history(con, item_id=item_id)
            self.item_log = corrections.corrections_of(con, table="rectification_items", record_id=item_id)
            budget = EMBED_LIMIT
            for step in self.history:
                for f in step["files"]:
                    if f["size"] <= budget:
                        budget -= f["size"]
                        self.files[f["id"]] = rectification.evidence(con, evidence_id=f["id"])
        self.history_revision += 1

    def evidence(self, evidence_id: int) -> tuple[str, bytes]:
        """One evidence file (those too big to travel with the history)."""
        with db.read(self.db_path) as con:
            return rectification.evidence(con, evidence_id=evidence_id)

    def _item_action(self, action: str, call: Callable[[Connection, int], Any]) -> None:
        if self.item_id is None:
            raise InvalidInput.one("item_id", "请先选择整改事项")
        with db.write(self.db_path, action=action) as con:
            call(con, self.item_id)
        self._after_save(self.round_id)

    def report_progress(self, values: Mapping[str, Any], files: Sequence[tuple[str, bytes]] = ()) -> str:
        """报送整改进展 with evidence files; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "报送整改进展",
            lambda con, item: rectification.update_progress(
                con, item_id=item, body=values.get("body"), progress=values.get("progress"), files=files
            ),
        )
        return "已报送进展" + (f"，上传佐证材料 {len(files)} 份" if files else "")

    def extend(self, values: Mapping[str, Any]) -> str:
        """延期; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "延长整改时限",
            lambda con, item: rectification.extend_deadline(
                con, item_id=item, deadline=values.get("deadline"), reason=values.get("reason")
            ),
        )
        assert self.item is not None
        return f"已延期至 {self.item['deadline']:%Y-%m-%d}（第 {self.item['extensions']} 次延期）"

    def request_close(self, values: Mapping[str, Any], files: Sequence[tuple[str, bytes]] = ()) -> str:
        """申请销号 (evidence needed, now or uploaded before); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "申请销号",
            lambda con, item: rectification.request_close(con, item_id=item, body=values.get("body"), files=files),
        )
        return "已申请销号，等待审核员审核"

    def review(self, values: Mapping[str, Any], *, approve: bool) -> str:
        """审核销号: approve (已销号) or return (整改中) a pending item; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item_id = _required(values, "review_item", "请选择待审核的整改事项")
        action = "审核销号" if approve else "退回销号申请"
        with db.write(self.db_path, action=action) as con:
            try:
                rectification.review_close(con, item_id=item_id, approve=approve, note=values.get("note"))
            except InvalidInput as e:  # the item is chosen in this form's own field
                raise InvalidInput({("review_item" if k == "item_id" else k): m for k, m in e.errors.items()}) from e
        self._after_save(self.round_id)
        return f"已同意销号（编号 {item_id}）" if approve else f"已退回（编号 {item_id}），该事项继续整改"

    # -- 更正与作废 ---------------------------------------------------------------
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

    def correct_finding(self, values: Mapping[str, Any]) -> str:
        """更正 the selected finding: the fields the user changed, with the reason; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        found = self.finding
        if found is None:
            raise InvalidInput.one("reason", "请先在表中点击要更正的问题")
        unit = next((u for u in self.units if u["id"] == values.get("unit")), None)
        stored = finding_values(found)
        wanted = {**{k: values.get(k) for k in stored}, "unit": unit["id"] if unit else values.get("unit")}
        changes = {k: v for k, v in wanted.items() if (v or "") != (stored[k] or "")}
        if "unit" in changes:
            changes["unit"] = unit["code"] if unit else ""
        with db.write(self.db_path, action="更正发现问题") as con:
            corrections.correct_finding(con, finding_id=found["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id, template=True)
        return f"已更正问题 {found['id']}，更正记录见下方"

    def void_finding(self, values: Mapping[str, Any]) -> str:
        """作废 the selected finding (with the reason); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        found = self.finding
        if found is None:
            raise InvalidInput.one("reason", "请先在表中点击要作废的问题")
        with db.write(self.db_path, action="作废发现问题") as con:
            corrections.void_finding(con, finding_id=found["id"], reason=values.get("reason"))
        self._after_save(self.round_id, template=True)
        return f"已作废问题 {found['id']}，它不再计入统计和报告"

    def correct_item(self, values: Mapping[str, Any]) -> str:
        """更正 the selected item (a 销号 one: a request for a 审核员); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item = self.item
        if item is None:
            raise InvalidInput.one("reason", "请先在台账中点击要更正的事项")
        stored = item_values(item)
        changes = {k: values.get(k) for k in stored if (values.get(k) or "") != (stored[k] or "")}
        with db.write(self.db_path, action="更正整改事项") as con:
            corrections.correct_item(con, item_id=item["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id)
        if item["status"] == "closed":
            return "已提交更正申请，待另一位审核员同意后生效"
        return f"已更正整改事项 {item['id']}，更正记录见下方"

    def void_item(self, values: Mapping[str, Any]) -> str:
        """作废 the selected item (a 销号 one: a request for a 审核员); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item = self.item
        if item is None:
            raise InvalidInput.one("reason", "请先在台账中点击要作废的事项")
        with db.write(self.db_path, action="作废整改事项") as con:
            corrections.void_item(con, item_id=item["id"], reason=values.get("reason"))
        self._after_save(self.round_id, template=True)
        if item["status"] == "closed":
            return "已提交作废申请，待另一位审核员同意后生效"
        return f"已作废整改事项 {item['id']}，它不再计入台账统计"

    def review_request(self, values: Mapping[str, Any], *, approve: bool) -> str:
        """审核 a request to correct or void a reviewed record; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        ident = _required(values, "request", "请选择待审核的申请")
        with db.write(self.db_path, action="审核更正作废申请") as con:
            try:
                corrections.review(con, correction_id=ident, approve=approve, note=values.get("note"))
            except InvalidInput as e:  # the request is chosen in this form's own field
                raise InvalidInput({("request" if k == "correction_id" else k): m for k, m in e.errors.items()}) from e
        self._after_save(self.round_id, template=True)
        return f"已同意申请 {ident}，已生效" if approve else f"已不同意申请 {ident}，记录保持原样"

    # -- 抄告 ---------------------------------------------------------------------
    def select_leader(self, person_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._load_copies(con, person_id)

    def _load_copies(self, con: Connection, person_id: int | None) -> None:
        self.leader_id = person_id
        self.copies = [] if person_id is None else rectification.copies_for(con, person_id=person_id)
        self.copies_revision += 1

    def mark_read(self, copy_ids: Iterable[int] | None = None) -> str:
        """标记已阅: the unread copies among `copy_ids` (default: every one shown); returns the message.

        Raises:
            InvalidInput: nothing unread; NotFound, PermissionDenied, Busy.
        """
        wanted = None if copy_ids is None else set(copy_ids)
        unread = [c["id"] for c in self.copies if c["read_at"] is None and (wanted is None or c["id"] in wanted)]
        if not unread:
            raise InvalidInput.one("copies", "没有未阅的抄告")
        with db.write(self.db_path, action="阅知抄告") as con:
            changed = rectification.mark_copies_read(con, copy_ids=unread)
        try:  # saved: only the copies change on screen
            with db.read(self.db_path) as con:
                self.leaders = rectification.leaders_in_charge(con)
                self._load_copies(con, self.leader_id)
        except KitError:
            log.warning("copies not re-read after a save", exc_info=True)
        return f"已标记 {changed} 条为已阅"

    # -- 交接 ---------------------------------------------------------------------
    def sign_handover(self, values: Mapping[str, Any]) -> str:
        """One side signs a handover; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        side = values.get("side")
        with db.write(self.db_path, action="整改交接签字") as con:
            rectification.sign_handover(
                con, handover_id=_required(values, "handover_id", "请选择交接记录"), side=side, on=values.get("on")
            )
        self._after_save(self.round_id)
        return f"{rectification.SIDE_LABELS.get(str(side), '')}已签字"

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


def finding_values(f: Mapping[str, Any]) -> dict[str, Any]:
    """A listed finding's stored values as its form shows them (keys of the form's fields)."""
    return {
        "unit": f["unit_id"],
        "category": f["category"],
        "description": f["description"],
        "severity": f["severity"],
        "involves_top": "yes" if f["involves_top"] else "no",
        "source": f["source"],
        "found_on": f["found_on"].isoformat(),
        "stage": f["stage"],
    }


def item_values(i: Mapping[str, Any]) -> dict[str, Any]:
    """A listed item's correctable values as its form shows them."""
    return {
        "measure": i["measure"],
        "leader": i["leader_name"] or "",
        "responsible": i["responsible"],
        "opened_on": i["opened_on"].isoformat(),
    }


def _required(values: Mapping[str, Any], key: str, message: str) -> Any:
    value = values.get(key)
    if value is None or value == "":
        raise InvalidInput.one(key, message)
    return value


def uploaded(value: Iterable[Mapping[str, Any]] | None) -> list[tuple[str, bytes]]:
    """A FileUpload's value as (name, bytes) pairs, the form kit's write functions take."""
    return [(str(f["name"]), bytes(f["content"])) for f in value or ()]
