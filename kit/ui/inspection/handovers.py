"""The 巡察整改 app's 交接 tab: handovers of open items to a new 一把手, signed by both sides."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from kit import rectification
from kit.markup import Markup, text
from kit.ui.forms import FieldSpec, Form
from kit.ui.inspection.model import InspectionModel
from kit.ui.parts import day, keep, labelled, nowrap, section, show_if, when_allowed
from kit.ui.widgets import Html, table

SIGN_FIELDS = [
    FieldSpec("handover_id", "交接记录", "choice", required=True, width="36em"),
    FieldSpec("side", "签字方", "choice", required=True, width="8em", options=labelled(rectification.SIDE_LABELS)),
    FieldSpec("on", "签字日期", width="10em", placeholder="不填即为今天"),
]


class HandoverTab:
    """整改交接: when a 一把手 changed with items open; both sides sign (a 录入员's form, built only for one)."""

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.table = Html("")
        self.form: Form | None = None
        self.sign_box = w.VBox([])
        self.box = w.VBox([self.table, self.sign_box])
        when_allowed(model, "can_enter", self._build_entry)

    def _build_entry(self) -> None:
        self.form = Form(SIGN_FIELDS, submit_label="签字", on_submit=self.model.sign_handover)
        self.sign_box.children = [section("交接签字"), self.form.box]

    def draw(self) -> None:
        m = self.model
        self.table.value = handovers_html(m.handovers)
        open_ones = [(_handover_label(h), h["id"]) for h in m.handovers if not h["complete"]]
        if self.form is not None:
            self.form.set_choices({"handover_id": (open_ones, keep(open_ones, self.form.values()["handover_id"]))})
        show_if(self.sign_box, m.can_enter and bool(open_ones))


def _handover_label(h: dict[str, Any]) -> str:
    return f"{h['id']}｜{h['unit_name']}：{h['from_name'] or '（空缺）'} → {h['to_name']}（{day(h['changed_on'])}）"


def handovers_html(rows: list[dict[str, Any]]) -> Markup:
    cells = [
        (
            "",
            [
                text(h["id"]),
                text(h["unit_name"]),
                nowrap(day(h["changed_on"])),
                text(h["from_name"] or "（空缺）"),
                text(h["to_name"]),
                text(h["items"]),
                nowrap(day(h["outgoing_signed"]) or "未签"),
                nowrap(day(h["incoming_signed"]) or "未签"),
            ],
        )
        for h in rows
    ]
    headers = ["编号", "单位", "调整日期", "交出方", "接收方", "事项数", "交出方签字", "接收方签字"]
    return table("kit-handovers", headers, cells, "没有整改交接记录。")
