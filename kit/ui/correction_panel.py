"""The 更正 / 作废 part of a record's detail: its fields filled with what is stored, a reason, two buttons.

Shared by the 发现问题 and 整改台账 tabs and the rounds app. The record's own checks run in kit
(`kit.corrections`); here only the widgets: 保存更正 sends the fields with the reason,
作废 sends the reason alone, each through the same form, so errors show beside the
field they name and a second click while saving does nothing. Beside it, the record's
更正与作废记录 (`CorrectionLog`) in the shared table view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import ipywidgets as w

from kit import corrections
from kit.markup import html
from kit.ui.forms import OK, FieldSpec, Form, outcome_line, status_html
from kit.ui.parts import show_if
from kit.ui.table import TableView
from kit.ui.widgets import Html

# One reason for either button: its message names the reason the button pressed asks for (“作废理由”).
REASON = FieldSpec(
    "reason", "理由", "textarea", required=True, width="40em", placeholder="必填：为什么更正或作废，如“日期录错”"
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


class CorrectionLog:
    """A record's 更正与作废记录 (`corrections.CORRECTION_LIST`), latest first, under its title.

    `css` names the list on its page (an app may show several); `empty` says whose records are missing.
    """

    def __init__(self, css: str, empty: str) -> None:
        self.table = TableView(replace(corrections.CORRECTION_LIST, empty=empty), css=css)
        self.box = w.VBox([Html(html('<div class="kit-section-note">更正与作废记录</div>')), self.table.box])
        self._of: Any = None
        show_if(self.box, False)

    def show(self, rows: Sequence[dict[str, Any]], *, of: Any) -> None:
        """List the records of the record `of`; None: no record is open, and the list hides.

        Another record's list starts unfiltered, on its first page; the same record's keeps the user's choices.
        """
        if of != self._of:
            self._of = of
            self.table.reset()
        self.table.show(rows if of is not None else [])
        show_if(self.box, of is not None)
