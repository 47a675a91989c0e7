"""The 巡察整改 app's 抄告 tab: what was copied to a 分管领导, marked read one by one."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from kit import rectification
from kit.errors import describe
from kit.markup import html
from kit.ui import app
from kit.ui.forms import ERROR, OK, FieldSpec, Form, status_html
from kit.ui.inspection.model import InspectionModel
from kit.ui.parts import show_if
from kit.ui.table import TableView
from kit.ui.widgets import Html


class CopiesTab:
    """A 分管领导's copies of every step of the units they attended the feedback of."""

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.picker = Form(
            [FieldSpec("leader", "分管领导", "choice", width="20em", label_width="5em")], submit_label=None
        )
        self.picker.observe(lambda v: self._call(lambda: model.select_leader(v["leader"])))
        self.table = TableView(
            rectification.COPY_LIST,
            css="kit-copies",
            on_open=lambda copy_id: self._mark([copy_id]),
            open_label="标记已阅",
            can_open=lambda row: row["read_at"] is None,
            export_name=self._export_name,
            sheet="抄告",
        )
        self.none = Html("")
        self.mark = w.Button(description="全部标记已阅", tooltip="把抄告给该领导、尚未阅知的全部事项标记为已阅")
        self.status = Html("")
        self.mark.on_click(lambda _b: self._mark(None))
        model.observe(self.draw, names="copies_revision")
        self.box = w.VBox(
            [
                self.picker.box,
                self.none,
                w.HBox([self.mark, self.status], layout=w.Layout(align_items="center")),
                self.table.box,
            ]
        )

    def draw(self, _change: Any = None) -> None:
        m = self.model
        leaders = [(f"{p['name']}（未阅 {p['unread']}）", p["person_id"]) for p in m.leaders]
        self.picker.set_choices({"leader": (leaders, m.leader_id)})
        self.none.value = "" if m.leaders else html('<div class="kit-info">尚无分管领导出席巡察反馈。</div>')
        self.table.show(m.copies)
        show_if(self.table.box, bool(m.leaders))
        show_if(self.mark, any(c["read_at"] is None for c in m.copies))

    def _call(self, action: Any) -> None:
        with app.errors_shown_in(self.status):
            action()

    def _export_name(self) -> str:
        leader = next((p["name"] for p in self.model.leaders if p["person_id"] == self.model.leader_id), "")
        return f"抄告-{leader}.xlsx"

    def _mark(self, copy_ids: list[int] | None) -> None:
        try:
            message = self.model.mark_read(copy_ids)
        except Exception as e:
            self.status.value = status_html(ERROR, *describe(e))
        else:
            self.status.value = status_html(OK, message)


# --- 交接 ----------------------------------------------------------------------------------------
