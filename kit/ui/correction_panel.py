"""The 更正 / 作废 part of a record's detail: its fields filled with what is stored, a reason, two buttons.

Shared by the 发现问题 and 整改台账 tabs. The record's own checks run in kit
(`kit.corrections`); here only the widgets: 保存更正 sends the fields with the reason,
作废 sends the reason alone, each through the same form, so errors show beside the
field they name and a second click while saving does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from kit.markup import Markup, html, join, text
from kit.ui.forms import OK, FieldSpec, Form, outcome_line, status_html
from kit.ui.widgets import table

REASON = FieldSpec(
    "reason", "更正或作废理由", "textarea", required=True, width="40em", placeholder="必填，如：问题描述录错"
)


class CorrectionPanel:
    """A form of `fields` plus the reason; `correct(values)` and `void(values)` return the message."""

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        *,
        correct: Callable[[dict[str, Any]], str],
        void: Callable[[dict[str, Any]], str],
        void_label: str,
    ) -> None:
        self.correct = correct
        self.void = void
        self.void_label = void_label
        self.form = Form([*fields, REASON], submit_label="保存更正", on_submit=correct)
        self.void_button = w.Button(description=void_label, button_style="danger")
        self.void_button.on_click(lambda _b: self._void())
        submit_row = self.form.box.children[-1]
        submit_row.children = [self.form.submit, self.void_button, self.form.status]
        self.box = self.form.box.add_class("kit-correction")
        # What a 作废 did: shown where the app places it, since the panel hides with its voided record.
        self.done = outcome_line()

    def fill(self, values: dict[str, Any], *, reviewed: bool) -> None:
        """Show a record's stored values; a reviewed record's buttons say that a 审核员 decides."""
        self.form.set_values(values)
        self.form.status.value = ""
        self.form.saved = False
        self.form.submit.disabled = False
        self.form.submit_label = "提交更正申请" if reviewed else "保存更正"
        self.form.submit.description = self.form.submit_label
        self.void_button.description = "申请作废" if reviewed else self.void_label

    def _void(self) -> None:
        """作废 shares the form's reason, errors and status: run the form with the other action.

        Once voided, the outcome is shown once, in `done` (the form hides with its record).
        """
        self.form.run_submit(self._voiding)
        if self.done.value:
            self.form.status.value = ""

    def _voiding(self, values: dict[str, Any]) -> str:
        message = self.void(values)
        self.done.value = status_html(OK, message)
        return message


def corrections_html(rows: Sequence[dict[str, Any]], empty: str) -> Markup:
    """A record's corrections and voids (kit.corrections.corrections_of), oldest first."""
    headers = ["时间", "操作", "经办人", "内容", "状态"]
    cells = [
        (
            f"kit-correction-{r['status']}",
            [
                text(f"{r['requested_at']:%Y-%m-%d %H:%M}"),
                text(r["kind_label"]),
                text(r["requested_by_name"]),
                text(r["summary"]),
                text(r["status_label"]),
            ],
        )
        for r in rows
    ]
    return join(
        [html('<div class="kit-section-note">更正与作废记录</div>'), table("kit-corrections", headers, cells, empty)]
    )
