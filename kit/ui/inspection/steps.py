"""The 整改台账 tab's 更正或作废进展、延期: pick one of the open item's live steps, correct or void it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from kit import rectification
from kit.markup import html
from kit.ui.correction_panel import CorrectionPanel
from kit.ui.forms import FieldSpec
from kit.ui.inspection.model import STEP_FIELDS, InspectionModel, step_label, step_values
from kit.ui.parts import keep, section, show_if
from kit.ui.widgets import Html

# A progress report's or extension's fields, as at entry; the fields its kind has not stay locked.
STEP_FIX_FIELDS = [
    FieldSpec("update", "进展或延期", "choice", required=True, width="40em"),
    FieldSpec(
        "body",
        f"{rectification.PROGRESS_LABELS['body']}或{rectification.EXTENSION_LABELS['body']}",
        "textarea",
        required=True,
        width="40em",
    ),
    FieldSpec("progress", rectification.PROGRESS_LABELS["progress"], "number", width="6em", placeholder="0–100"),
    FieldSpec("deadline", rectification.EXTENSION_LABELS["deadline"], width="10em", placeholder="如 2026-03-31"),
]
HINT = (
    "整改中的事项才可办理；延期只能更正或作废最近一次的时限。"
    "作废的记录仍列在进展记录中，不再计入进度、时限、佐证和抄告。"
)
Echo = Callable[[Callable[[dict[str, Any]], str], w.Box], Callable[[dict[str, Any]], str]]


class StepFix:
    """The selected item's live progress reports and extensions, one picked to correct or void.

    `build` makes the panel, only for a 录入员; for anyone else `box` stays empty and hidden.
    `echo` shows an outcome in the tab's status line when the box went away with it.
    """

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.panel: CorrectionPanel | None = None
        self.box = w.VBox([])
        self._latest: int | None = None  # the latest live step listed in the picker
        show_if(self.box, False)

    def build(self, echo: Echo) -> None:
        self.panel = CorrectionPanel(
            STEP_FIX_FIELDS,
            correct=echo(self.model.correct_step, self.box),
            void=echo(self.model.void_step, self.box),
            void_label="作废此记录",
        )
        self.panel.form.inputs["update"].observe(self._chosen, names="value")
        note = Html(html('<div class="kit-hint">{}</div>', HINT))
        self.box.children = [section("更正或作废进展、延期"), note, self.panel.box, self.panel.done]

    def draw(self) -> None:
        steps = self.model.live_steps
        show_if(self.box, self.model.can_enter and bool(steps))
        if self.panel is None:
            return
        # The user's pick stays while no newer step came (another item's: its latest step).
        picks = [(step_label(s), s["id"]) for s in steps]
        latest = picks[0][1] if picks else None
        kept = keep(picks, self.panel.form.values()["update"]) if latest == self._latest else None
        self._latest = latest
        self.panel.form.set_choices({"update": (picks, kept or latest)})
        self._chosen()

    def _chosen(self, _change: Any = None) -> None:
        """The picked step's stored values in the form; the fields its kind has not are locked."""
        if self.panel is None:
            return
        form = self.panel.form
        step = next((s for s in self.model.live_steps if s["id"] == form.values()["update"]), None)
        if step is None:
            form.set_values({})
            return
        self.panel.fill(step_values(step), reviewed=False)
        for key in ("progress", "deadline"):
            form.inputs[key].disabled = key not in STEP_FIELDS[step["kind"]]
