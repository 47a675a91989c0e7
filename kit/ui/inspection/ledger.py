"""The 巡察整改 app's 整改台账 tab: the ledger table, an item's detail, progress, 销号, corrections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from kit import corrections, rectification
from kit.markup import Markup, html, join
from kit.ui import app
from kit.ui.correction_panel import CorrectionLog, CorrectionPanel
from kit.ui.forms import OK, FieldSpec, Form, declared, outcome_line, status_html
from kit.ui.inspection.model import InspectionModel, item_values
from kit.ui.inspection.parts import ImportArea, with_files
from kit.ui.inspection.steps import StepFix
from kit.ui.parts import chosen_files_html, day, keep, section, short, show_if, upload_widget, when_allowed
from kit.ui.table import TableView
from kit.ui.widgets import Html, file_link

ITEM_FIELDS = declared(
    rectification.ITEM,
    ("finding", "measure", "leader", "responsible", "deadline"),
    leader="不选即为该单位现任一把手",
)
PROGRESS_FIELDS = [
    FieldSpec("body", "进展情况", "textarea", required=True, width="40em", placeholder="已采取的措施、取得的成效"),
    FieldSpec("progress", "整改进度（%）", "number", width="6em", placeholder="0–100"),
]
EXTEND_FIELDS = [
    FieldSpec("deadline", "新的整改时限", required=True, width="10em", placeholder="如 2026-03-31"),
    FieldSpec("reason", "延期理由", "textarea", required=True, width="40em"),
]
CLOSE_FIELDS = [
    FieldSpec("body", "完成情况", "textarea", required=True, width="40em", placeholder="整改完成情况及佐证材料说明"),
]
REVIEW_FIELDS = [
    FieldSpec("review_item", "待审核事项", "choice", required=True, width="40em"),
    FieldSpec("note", "审核意见", "textarea", required=True, width="40em"),
]
FIX_FIELDS = declared(
    rectification.ITEM,
    ("measure", "leader", "responsible", "opened_on"),
    required=("opened_on",),
    leader="不选即为该单位现任一把手",
)
REQUEST_FIELDS = [
    FieldSpec("request", "待审核申请", "choice", required=True, width="40em"),
    FieldSpec("note", "审核意见（更正/作废）", "textarea", required=True, width="40em"),
]
DEFAULT_LEADER = ("（现任一把手）", "")


class LedgerTab:
    """The round's ledger, a new item, one item's history and its steps, and the review of 销号.

    The parts that write (new item, Excel import, 报送进展 / 延期 / 申请销号 with their file
    uploads) are built by `_build_entry` only for a 录入员, the review of 销号 by
    `_build_review` only for a 审核员, once the model knows the user; for anyone else their
    containers stay empty.
    """

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.table = TableView(
            rectification.ITEM_LIST,
            css="kit-ledger",
            on_open=self.open,
            export_name=lambda: f"整改台账-{model.round['code'] if model.round else ''}.xlsx",
            export_columns=rectification.ITEM.export,
            sheet="整改台账",
        )
        self.add_form: Form | None = None
        self.importer: ImportArea | None = None
        self.progress_upload: w.FileUpload | None = None
        self.close_upload: w.FileUpload | None = None
        self.progress_form: Form | None = None
        self.extend_form: Form | None = None
        self.close_form: Form | None = None
        self.review_form: Form | None = None
        self.reject: w.Button | None = None
        self.fix: CorrectionPanel | None = None
        self.request_form: Form | None = None
        self.refuse: w.Button | None = None
        self.item_info = Html("")
        self.history = TableView(
            rectification.HISTORY_LIST,
            css="kit-item-history",
            export_name=lambda: f"整改进展记录（事项 {model.item_id}）.xlsx",
            sheet="进展记录",
            drawn={"evidence_names": lambda step: evidence_links(step, model.files)},
        )
        self.history_box = w.VBox([Html(html('<div class="kit-section-note">进展记录</div>')), self.history.box])
        show_if(self.history_box, False)  # until an item is opened
        self._history_of: int | None = None  # the item whose history is listed: another one starts unfiltered
        self.log = CorrectionLog("kit-item-corrections", "该事项没有更正或作废记录。")
        self.big_file = w.Dropdown(description="较大的佐证材料", style={"description_width": "8em"})
        self.big_button = w.Button(description="准备下载")
        self.big_link = Html("")
        self.big_button.on_click(lambda _b: self._call(self._prepare_big))
        self.big_files = w.HBox([self.big_file, self.big_button, self.big_link], layout=w.Layout(display="none"))
        self.status = outcome_line()  # what was done to an item whose form went away; cleared by the next action
        self.progress_box = w.VBox([])
        self.extend_box = w.VBox([])
        self.close_box = w.VBox([])
        self.pending = TableView(
            rectification.PENDING_LIST,
            css="kit-pending",
            on_open=self._pick_pending,
            open_label="审核",
            can_open=lambda _row: self.review_form is not None,
        )
        self.review_box = w.VBox([])
        self.fix_box = w.VBox([])
        self.steps = StepFix(model)
        self.requests = TableView(
            corrections.REQUEST_LIST,
            css="kit-requests",
            on_open=self._pick_request,
            open_label="审核",
            # a request is decided by a 审核员 other than the one who made it
            can_open=lambda row: self.request_form is not None and row["requested_by"] != model.user_name,
        )
        self.request_box = w.VBox([])
        self.add_box = w.VBox([])
        self.import_box = w.VBox([])
        model.observe(self._draw_item, names="history_revision")
        self.box = w.VBox(
            [
                section("本轮整改台账"),
                self.table.box,
                # A row's 查看 opens the item right below the table, where the user is looking.
                section("整改事项详情"),
                self.status,
                self.item_info,
                self.history_box,
                self.big_files,
                self.log.box,
                self.progress_box,
                self.extend_box,
                self.close_box,
                self.fix_box,
                self.steps.box,
                self.add_box,
                self.import_box,
                self.review_box,
                self.request_box,
            ]
        )
        when_allowed(model, "can_enter", self._build_entry)
        when_allowed(model, "can_review", self._build_review)

    def _build_entry(self) -> None:
        model = self.model
        self.add_form = Form(
            ITEM_FIELDS,
            submit_label="建立整改事项",
            on_submit=model.add_item,
            clear_after=["finding", "measure", "responsible", "deadline"],
        )
        self.add_form.inputs["finding"].observe(self._finding_chosen, names="value")
        self.importer = ImportArea(model, "rectification")
        self.progress_upload = upload_widget("kit-upload-progress", multiple=True)
        self.close_upload = upload_widget("kit-upload-close", multiple=True)
        self.progress_form = Form(
            PROGRESS_FIELDS,
            submit_label="报送进展",
            on_submit=with_files(self.progress_upload, model.report_progress),
            before_submit=[_files_row("佐证材料", self.progress_upload)],
        )
        # These change the item's status and may hide their own form: the outcome then shows by the picker.
        self.extend_form = Form(EXTEND_FIELDS, submit_label="延期", on_submit=self._echo(model.extend, self.extend_box))
        self.close_form = Form(
            CLOSE_FIELDS,
            submit_label="申请销号",
            on_submit=self._echo(with_files(self.close_upload, model.request_close), self.close_box),
            before_submit=[_files_row("佐证材料", self.close_upload)],
        )
        self.add_box.children = [section("新增整改事项"), self.add_form.box]
        self.import_box.children = [section("从Excel导入整改台账"), self.importer.box]
        self.progress_box.children = [section("报送进展"), self.progress_form.box]
        self.extend_box.children = [section("延期"), self.extend_form.box]
        self.close_box.children = [section("申请销号"), self.close_form.box]
        self.fix = CorrectionPanel(
            FIX_FIELDS,
            # A void hides the panel: its outcome shows in the tab's status line instead.
            correct=self._echo(model.correct_item, self.fix_box),
            void=self._echo(model.void_item, self.fix_box),
            void_label="作废此事项",
        )
        self.fix_box.children = [
            section("更正或作废此事项"),
            html_note(
                "已销号的事项，更正或作废须经另一位审核员同意；整改时限请用“延期”，进度请报送进展；"
                "录错的进展和延期在下方更正或作废。"
            ),
            self.fix.box,
        ]
        self.steps.build(self._echo)

    def _build_review(self) -> None:
        self.review_form = Form(REVIEW_FIELDS, submit_label="同意销号", on_submit=self._approve)
        self.reject = w.Button(description="退回", button_style="warning")
        self.reject.on_click(lambda _b: self._reject())
        self.review_form.box.children[-1].children = [self.review_form.submit, self.reject, self.review_form.status]
        self.review_box.children = [section("审核销号（审核员）"), self.pending.box, self.review_form.box]
        self.request_form = Form(REQUEST_FIELDS, submit_label="同意", on_submit=self._agree)
        self.refuse = w.Button(description="不同意", button_style="warning")
        self.refuse.on_click(lambda _b: self._refuse())
        self.request_form.box.children[-1].children = [
            self.request_form.submit,
            self.refuse,
            self.request_form.status,
        ]
        self.request_box.children = [section("审核更正与作废申请（审核员）"), self.requests.box, self.request_form.box]

    # -- model → widgets ---------------------------------------------------------
    def draw(self) -> None:
        m = self.model
        self.table.show(m.items)
        if self.add_form is not None and self.importer is not None:
            without = [
                (f"{f['id']}｜{f['unit_name']}：{short(f['description'])}", f["id"]) for f in m.findings_without_item
            ]
            self.add_form.set_choices({"finding": (without, keep(without, self.add_form.values()["finding"]))})
            self._finding_chosen()
            self.importer.draw(m.templates["rectification"])
        show_if(self.add_box, m.can_enter and m.round is not None)
        show_if(self.import_box, m.can_enter and m.round is not None)
        if self.review_form is not None:
            pending = [(_item_label(i), i["id"]) for i in m.pending]
            self.review_form.set_choices(
                {"review_item": (pending, keep(pending, self.review_form.values()["review_item"]))}
            )
        self.pending.show(m.pending)
        show_if(self.review_box, m.can_review)
        if self.request_form is not None:
            asked = [(_request_label(r), r["id"]) for r in m.requests]
            self.request_form.set_choices({"request": (asked, keep(asked, self.request_form.values()["request"]))})
        self.requests.show(m.requests)
        show_if(self.request_box, m.can_review)

    def _draw_item(self, _change: Any = None) -> None:
        m = self.model
        item = m.item
        self.item_info.value = (
            item_html(item)
            if item
            else html('<div class="kit-info">点击台账中某一行的“查看”，查看该事项的进展和佐证材料。</div>')
        )
        if m.item_id != self._history_of:
            self._history_of = m.item_id
            self.history.reset()
        self.history.show(m.history if item else [])
        show_if(self.history_box, item is not None)
        self.log.show(m.item_log, of=m.item_id if item else None)
        big = [
            (f"{f['filename']}（{_size(f['size'])}）", f["id"])
            for s in m.history
            for f in s["files"]
            if f["id"] not in m.files
        ]
        self.big_file.options = big
        self.big_file.value = big[0][1] if big else None
        self.big_link.value = ""
        show_if(self.big_files, bool(big))
        status = item["status"] if item else None
        show_if(self.progress_box, m.can_enter and status == "open")
        show_if(self.extend_box, m.can_enter and status in ("open", "pending"))
        show_if(self.close_box, m.can_enter and status == "open")
        show_if(self.fix_box, m.can_enter and status in ("open", "pending", "closed"))
        if self.fix is not None and item is not None and status != "voided":
            team = [DEFAULT_LEADER, *((n, n) for n in m.teams.get(item["unit_id"], []))]
            if item["leader_name"] and item["leader_name"] not in {v for _, v in team}:
                team.append((item["leader_name"], item["leader_name"]))
            stored = item_values(item)
            self.fix.form.set_choices({"leader": (team, stored["leader"])})
            self.fix.fill(stored, reviewed=status == "closed")
        self.steps.draw()
        for form in (self.progress_form, self.extend_form, self.close_form):
            if form is not None:
                form.set_values({})
                form.status.value = ""

    def _finding_chosen(self, _change: Any = None) -> None:
        if self.add_form is None:
            return
        finding = self.add_form.values()["finding"]
        team = (
            [DEFAULT_LEADER, *((name, name) for name in self.model.team_of(finding))] if finding else [DEFAULT_LEADER]
        )
        self.add_form.set_choices({"leader": (team, keep(team, self.add_form.values()["leader"]) or "")})

    # -- widgets → model ---------------------------------------------------------
    def open(self, item_id: Any) -> None:
        """Show one item's details, history and the steps this user may take (a row's 查看).

        The browser is asked to bring the item's history into sight: the details open below the
        table, further down than the row clicked.
        """
        self._call(lambda: self.model.select_item(item_id))
        if self.model.item is not None:
            self.history.clear.focus()

    def _call(self, action: Any) -> None:
        with app.errors_shown_in(self.status):
            action()

    def _echo(self, submit: Callable[[dict[str, Any]], str], box: w.Box) -> Callable[[dict[str, Any]], str]:
        """`submit`, its outcome shown in the tab's status line when its form's `box` went away with it.

        While the form stays, its own status line shows the outcome: one place, not two.
        """

        def run(values: dict[str, Any]) -> str:
            message = submit(values)
            if box.layout.display == "none":
                self.status.value = status_html(OK, message)
            return message

        return run

    def _prepare_big(self) -> None:
        if self.big_file.value is None:
            return
        name, data = self.model.evidence(self.big_file.value)
        self.big_link.value = file_link(data, name, f"下载 {name}", mime="application/octet-stream")

    def _pick_pending(self, item_id: Any) -> None:
        """A waiting item's 审核: the review form below takes that item."""
        if self.review_form is not None:
            self.review_form.inputs["review_item"].value = item_id

    def _pick_request(self, request_id: Any) -> None:
        """A waiting request's 审核: the request form below takes that request."""
        if self.request_form is not None:
            self.request_form.inputs["request"].value = request_id

    def _agree(self, values: dict[str, Any]) -> str:
        return self.model.review_request(values, approve=True)

    def _refuse(self) -> None:
        """不同意 shares the request form's fields, errors and status."""
        if self.request_form is not None:
            self.request_form.run_submit(lambda values: self.model.review_request(values, approve=False))

    def _approve(self, values: dict[str, Any]) -> str:
        return self.model.review(values, approve=True)

    def _reject(self) -> None:
        """退回 shares the review form's fields, errors and status: run the form with the other action."""
        if self.review_form is not None:
            self.review_form.run_submit(lambda values: self.model.review(values, approve=False))


def _files_row(label: str, upload: w.FileUpload) -> w.HBox:
    chosen = Html("")
    upload.observe(lambda c: setattr(chosen, "value", chosen_files_html(c["new"])), names="value")
    style = "display:inline-block;width:15em;text-align:right;padding-right:8px;box-sizing:border-box"
    title = Html(html('<span style="{style}">{label}</span>', style=style, label=label))
    return w.HBox([title, upload, chosen], layout=w.Layout(align_items="center", margin="4px 0"))


def html_note(words: str) -> Html:
    return Html(html('<div class="kit-hint">{}</div>', words))


def _request_label(r: dict[str, Any]) -> str:
    who = f"{r['kind_label']}，{r['requested_by_name']}申请"
    return f"{r['id']}｜{r['record_label']} {r['record_id']}（{r['unit_name']}）：{who}"


def _item_label(i: dict[str, Any]) -> str:
    return f"{i['id']}｜{i['unit_name']}：{short(i['measure'])}（{i['status_label']}）"


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


def item_html(i: dict[str, Any]) -> Markup:
    deadline = day(i["deadline"]) + (f"（原定 {day(i['first_deadline'])}）" if i["extensions"] else "")
    return html(
        '<div class="kit-info kit-item">{unit}｜问题：{description}<br>'
        "措施：{measure}<br>责任领导：{leader}，"
        "责任人：{responsible}，时限：{deadline}，{flag}"
        "进度 {progress}%，状态：{status}</div>",
        unit=i["unit_name"],
        description=i["description"],
        measure=i["measure"],
        leader=i["leader_name"] or "",
        responsible=i["responsible"],
        deadline=deadline,
        flag=f"{i['flag_label']}，" if i["flag_label"] else "",  # a voided item is flagged nothing
        progress=i["progress"],
        status=i["status_label"],
    )


def evidence_links(step: dict[str, Any], files: dict[int, tuple[str, bytes]]) -> Markup:
    """A step's 佐证材料: those sent with the page as download links, the others by name and size."""
    out: list[Markup] = []
    for f in step["files"]:
        if f["id"] in files:
            name, data = files[f["id"]]
            out.append(file_link(data, name, name, mime="application/octet-stream").replace("kit-download", "kit-file"))
        else:
            out.append(html('<span class="kit-file">{}（{}）</span>', f["filename"], _size(f["size"])))
    return join(out)
