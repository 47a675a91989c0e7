"""The one form builder: field specs → labelled widgets, kit's validators, Chinese messages.

A form never checks values itself beyond calling the same `kit.validate` functions
that the write functions call; the write function is the authority, and its
`InvalidInput` is shown beside the fields it names.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from kit.errors import InvalidInput, KitError
from kit.fields import Record
from kit.markup import Markup, html, text
from kit.ui.widgets import Html, SearchPicker

log = logging.getLogger(__name__)

LABEL_WIDTH = "15em"
OK, ERROR, WORKING, WARNING = "ok", "error", "working", "warning"
_STATUS_STYLE = {
    WARNING: "color:#8a4b00;background:#fff8e1;border:1px solid #ffcc80",
    OK: "color:#1b5e20;background:#e8f5e9;border:1px solid #a5d6a7",
    ERROR: "color:#b71c1c;background:#ffebee;border:1px solid #ef9a9a",
    WORKING: "color:#0d47a1;background:#e3f2fd;border:1px solid #90caf9",
}


# The forms that save something, and the marks that tell the page whether one holds unsaved input
# (kit.ui.app.frame adds one to each app; the page asks before it is closed or reloaded while a
# mark says so). One kernel serves one page, so "any form of this process" is the page's forms.
_SAVING_FORMS: weakref.WeakSet[Form] = weakref.WeakSet()
_MARKS: weakref.WeakSet[Html] = weakref.WeakSet()


# Lines that show an outcome outside any form (a 作废 whose panel hides with its record): cleared,
# like the forms' own statuses, when the next action starts.
_OUTCOME_LINES: weakref.WeakSet[Html] = weakref.WeakSet()


def outcome_line() -> Html:
    """An outcome shown outside a form, until the next action starts."""
    line = Html("")
    _OUTCOME_LINES.add(line)
    return line


def unsaved_mark() -> Html:
    """A widget the page finds as `.kit-unsaved` while any saving form holds input not yet saved."""
    mark = Html("", layout=w.Layout(display="none"))
    _MARKS.add(mark)
    _show_unsaved()
    return mark


def _show_unsaved() -> None:
    value = html('<span class="kit-unsaved" hidden></span>') if any(form.dirty for form in _SAVING_FORMS) else ""
    for mark in _MARKS:
        if mark.value != value:
            mark.value = value


@dataclass(frozen=True)
class FieldSpec:
    """One input: `key` is what the write function names in its errors.

    kind: "text" (one line), "textarea", "number" (typed as text, so that a wrong
    value reaches the validator instead of being clamped), "choice", "search" (a choice
    among many, with a box that narrows the list).
    Fields with the same `row` share a line, with one error area at its end.
    """

    key: str
    label: str
    kind: str = "text"
    required: bool = False
    placeholder: str = ""
    hint: str = ""
    options: Sequence[tuple[str, Any]] = ()
    row: str | None = None
    width: str = "22em"
    show_label: bool = True
    label_width: str = LABEL_WIDTH
    check: Callable[[Any], Any] | None = field(default=None, compare=False)


# How each kind of declared field is typed in a form (kit.fields.KINDS): a date is typed as
# text and read by the same validator as an Excel cell; a look-up is picked from what the app
# fills in (units, categories, findings …).
_FORM_KIND = {
    "text": "text",
    "textarea": "textarea",
    "number": "number",
    "date": "text",
    "choice": "choice",
    "lookup": "choice",
    "id": "choice",
}


def declared(record: Record, keys: Sequence[str], *, required: Sequence[str] = (), **hints: str) -> list[FieldSpec]:
    """The inputs of `keys`, as `record` declares them: label, required mark, choices, width, placeholder.

    `required` marks fields this form asks for although the record does not (a correction
    form asks for the 立项日期 an entry may leave to default); `hints` add a short note
    beside a field, by key.
    """
    specs = []
    for key in keys:
        spec = record.field(key)
        specs.append(
            FieldSpec(
                key,
                spec.label,
                _FORM_KIND[spec.kind],
                required=spec.required or key in required,
                placeholder=spec.placeholder,
                hint=hints.get(key, ""),
                options=[(label, value) for value, label in spec.choices.items()],
                width=spec.width,
            )
        )
    return specs


def _widget(spec: FieldSpec) -> w.Widget:
    labelled = spec.show_label
    description = spec.label + ("＊" if spec.required else "") if labelled else ""
    common: dict[str, Any] = {
        "description": description,
        "style": {"description_width": spec.label_width if labelled else "0"},
        "layout": w.Layout(width=f"calc({spec.label_width} + {spec.width})" if labelled else spec.width),
    }
    if spec.kind == "choice":
        return w.Dropdown(options=list(spec.options), value=None, **common)
    if spec.kind == "search":
        return SearchPicker(**common)
    if spec.kind == "textarea":
        return w.Textarea(placeholder=spec.placeholder, continuous_update=False, **common)
    # continuous_update=False: Chinese input methods must finish composing first.
    return w.Text(placeholder=spec.placeholder, continuous_update=False, **common)


def status_html(kind: str, title: str, message: str = "") -> Markup:
    """A status line, escaped, in the form's colours."""
    body = html("{}：{}", title, message) if message else text(title)
    return html(
        '<div role="status" class="kit-status kit-status-{}" style="{};padding:6px 10px;border-radius:4px">{}</div>',
        kind,
        _STATUS_STYLE[kind],
        body,
    )


class Form:
    """Labelled fields, an error beside each row, one submit button and one status area."""

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        *,
        submit_label: str | None = "保存",
        on_submit: Callable[[dict[str, Any]], str] | None = None,
        before_submit: Sequence[w.Widget] = (),
        read_only: bool = False,
        clear_after: Sequence[str] = (),
    ) -> None:
        """Build the widgets; with `submit_label=None` the form only picks (no button, no status).

        `read_only`: the fields show values and take no input (a user who may read, not write).
        `clear_after`: fields emptied once a save succeeds (a form that creates records starts
        the next one blank; choices that usually repeat, such as the unit, are kept).
        """
        self.specs = {spec.key: spec for spec in fields}
        self._quiet = False
        self.inputs: dict[str, w.Widget] = {}
        self.row_errors: dict[str, Html] = {}
        self._row_of: dict[str, str] = {}
        rows: list[w.Widget] = []
        for row_key, specs in _group_rows(fields):
            widgets = []
            for spec in specs:
                widget = _widget(spec)
                widget.disabled = read_only
                self.inputs[spec.key] = widget
                self._row_of[spec.key] = row_key
                widgets.append(widget)
                if spec.hint:
                    widgets.append(
                        Html(
                            html('<span class="kit-hint">{}</span>', spec.hint),
                            layout=w.Layout(width="9em"),
                        )
                    )
                if spec.check is not None:
                    widget.observe(self._live_check(spec), names="value")
            error = Html("", layout=w.Layout(margin="0 0 0 8px"))
            self.row_errors[row_key] = error
            rows.append(w.HBox([*widgets, error], layout=w.Layout(align_items="center")))
        self.clear_after = tuple(clear_after)
        self.submit_label = submit_label or ""
        self.submit = w.Button(description=self.submit_label, button_style="primary")
        self.status = Html("")
        self.on_submit = on_submit
        # After a save a click does nothing until the user changes a field: a second click (a double
        # click, or one queued while the first was saving) must not save the same thing again. The
        # button stays enabled: a text field sends its value when it loses focus, so a user who
        # edits and clicks at once must find the click taken, after the edit, not lost on a
        # disabled button.
        self.saved = False
        self._dirty = False  # the user changed a field since the form was filled or saved
        if submit_label:
            _SAVING_FORMS.add(self)
        self.submit.on_click(lambda _button: self.run_submit())
        for widget in self.inputs.values():
            widget.observe(self._edited, names="value")
        submit_row = [w.HBox([self.submit, self.status], layout=w.Layout(margin="12px 0 0 0"))]
        self.box = w.VBox([*rows, *before_submit, *(submit_row if submit_label else [])])

    @property
    def dirty(self) -> bool:
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        if value != self._dirty:
            self._dirty = value
            if self in _SAVING_FORMS:
                _show_unsaved()

    def set_choices(self, choices: dict[str, tuple[Sequence[tuple[str, Any]], Any]]) -> None:
        """Replace choice fields' options and values ({key: (options, value)}) without telling observers."""
        self._quiet = True
        try:
            for key, (options, value) in choices.items():
                widget = self.inputs[key]
                widget.options = list(options)
                widget.value = value
        finally:
            self._quiet = False

    def observe(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback(values)` whenever the user changes a field."""

        def changed(_change: dict[str, Any]) -> None:
            if not self._quiet:
                callback(self.values())

        for widget in self.inputs.values():
            widget.observe(changed, names="value")

    def values(self) -> dict[str, Any]:
        return {key: widget.value for key, widget in self.inputs.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        """Show `values` (not a change by the user: observers are not told).

        The form starts afresh: the outcome of an earlier save goes, and a form that was
        saved may be saved again (a form reused for another record waits for no edit).
        """
        self.saved = False
        self.status.value = ""
        self._quiet = True
        try:
            for key, widget in self.inputs.items():
                spec = self.specs[key]
                value = values.get(key)
                widget.value = value if spec.kind in ("choice", "search") else ("" if value is None else str(value))
        finally:
            self._quiet = False
        self.dirty = False
        self.clear_errors()

    def _edited(self, _change: dict[str, Any]) -> None:
        """The user changed a field: a saved form may be saved again, and its old outcome goes."""
        if self._quiet:
            return
        self.dirty = True
        if not self.saved:
            return
        self.saved = False
        self.status.value = ""

    def clear_errors(self) -> None:
        for error in self.row_errors.values():
            error.value = ""

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each message beside its field's row (keys of no field are left to the status)."""
        self.clear_errors()
        by_row: dict[str, list[str]] = {}
        for key, message in errors.items():
            row = self._row_of.get(key)
            if row is not None:
                by_row.setdefault(row, []).append(message)
        for row, messages in by_row.items():
            self.row_errors[row].value = _error_html(messages)

    def set_status(self, kind: str, title: str, message: str = "") -> None:
        self.status.value = status_html(kind, title, message)

    def run_submit(self, action: Callable[[dict[str, Any]], str] | None = None) -> None:
        """Disable the button, call `on_submit` (or `action`, a second button's: same fields, errors
        and status), show the outcome; never lets an error escape."""
        action = action or self.on_submit
        if action is None or self.submit.disabled or self.saved:
            return
        for other in list(_SAVING_FORMS):  # one outcome shown at a time: the latest action's
            if other is not self and other.status.value:
                other.status.value = ""
        for line in list(_OUTCOME_LINES):
            line.value = ""
        self.submit.disabled = True
        self.submit.description = "正在保存…"
        self.set_status(WORKING, "正在保存，请稍候…")
        try:
            message = action(self.values())
        except InvalidInput as e:
            self.show_errors(e.errors)
            self.set_status(ERROR, "未保存", e.message)
        except KitError as e:
            self.set_status(ERROR, e.title, e.message)
        except Exception:
            log.exception("form submit failed")
            self.set_status(ERROR, "程序错误", "出现了未预料的错误，未保存。请将此情况告知管理员。")
        else:
            self.clear_errors()
            if self.clear_after:
                self.set_values({k: v for k, v in self.values().items() if k not in self.clear_after})
            self.set_status(OK, message)
            self.saved = True
            self.dirty = False
        finally:
            self.submit.disabled = False
            self.submit.description = self.submit_label

    def _live_check(self, spec: FieldSpec) -> Callable[[dict[str, Any]], None]:
        row = spec.row or spec.key

        def on_change(change: dict[str, Any]) -> None:
            assert spec.check is not None
            try:
                spec.check(change["new"])
            except InvalidInput as e:
                self.row_errors[row].value = _error_html(list(e.errors.values()))
            else:
                self.row_errors[row].value = ""

        return on_change


def _error_html(messages: list[str]) -> Markup:
    return html('<span class="kit-field-error" role="alert" style="color:#b71c1c">{}</span>', "；".join(messages))


def _group_rows(fields: Sequence[FieldSpec]) -> list[tuple[str, list[FieldSpec]]]:
    rows: dict[str, list[FieldSpec]] = {}
    for spec in fields:
        rows.setdefault(spec.row or spec.key, []).append(spec)
    return list(rows.items())
