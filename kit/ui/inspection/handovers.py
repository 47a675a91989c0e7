"""The 巡察整改 app's 交接 tab: handovers of open items to a new 一把手, signed by both sides."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from kit import rectification
from kit.ui.forms import FieldSpec, Form
from kit.ui.inspection.model import InspectionModel
from kit.ui.parts import day, keep, labelled, section, show_if, when_allowed
from kit.ui.table import TableView

SIGN_FIELDS = [
    FieldSpec("handover_id", "交接记录", "choice", required=True, width="36em"),
    FieldSpec("side", "签字方", "choice", required=True, width="8em", options=labelled(rectification.SIDE_LABELS)),
    FieldSpec("on", "签字日期", width="10em", placeholder="不填即为今天"),
]


class HandoverTab:
    """整改交接: when a 一把手 changed with items open; both sides sign (a 录入员's form, built only for one)."""

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.form: Form | None = None
        self.table = TableView(
            rectification.HANDOVER_LIST,
            css="kit-handovers",
            on_open=self._pick,
            open_label="签字",
            can_open=lambda row: self.form is not None and not row["complete"],
            export_name=lambda: "整改交接.xlsx",
            sheet="整改交接",
        )
        self.sign_box = w.VBox([])
        self.box = w.VBox([self.table.box, self.sign_box])
        when_allowed(model, "can_enter", self._build_entry)

    def _build_entry(self) -> None:
        self.form = Form(SIGN_FIELDS, submit_label="签字", on_submit=self.model.sign_handover)
        self.sign_box.children = [section("交接签字"), self.form.box]

    def _pick(self, handover_id: Any) -> None:
        """A handover's 签字: the form below takes that handover."""
        if self.form is not None:
            self.form.inputs["handover_id"].value = handover_id

    def draw(self) -> None:
        m = self.model
        self.table.show(m.handovers)
        open_ones = [(_handover_label(h), h["id"]) for h in m.handovers if not h["complete"]]
        if self.form is not None:
            self.form.set_choices({"handover_id": (open_ones, keep(open_ones, self.form.values()["handover_id"]))})
        show_if(self.sign_box, m.can_enter and bool(open_ones))


def _handover_label(h: dict[str, Any]) -> str:
    return f"{h['id']}｜{h['unit_name']}：{h['from_name'] or '（空缺）'} → {h['to_name']}（{day(h['changed_on'])}）"
