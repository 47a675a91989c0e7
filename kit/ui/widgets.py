"""The apps' HTML widget (markup built by `kit.markup` shown as such, any other text as text), small markup pieces,
and a dropdown that a search box narrows (`SearchPicker`)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import ipywidgets as w
import traitlets as t

from kit.markup import Markup, html, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Html(w.HTML):  # type: ignore[misc]
    """`ipywidgets.HTML` whose value is escaped unless it is `Markup` (see kit/markup.py).

    Every HTML widget of the apps is one of these (tests/test_markup.py checks), so a
    value that was not built with `kit.markup.html` can only ever be shown as text.
    """

    def __init__(self, value: Any = "", **kwargs: Any) -> None:
        super().__init__(value=value, **kwargs)

    @t.validate("value")
    def _escaped(self, proposal: Any) -> Markup:
        value = proposal["value"]
        return value if isinstance(value, Markup) else text(value)


def file_link(data: bytes, filename: str, label: str, mime: str = XLSX) -> Markup:
    """A link that saves `data` from the page itself: no request leaves the browser."""
    encoded = base64.b64encode(data).decode("ascii")
    return html(
        '<a class="kit-download" download="{name}" title="{name}" href="data:{mime};base64,{encoded}"'
        ' data-filename="{quoted}">{label}</a>',
        name=filename,
        mime=mime,
        encoded=encoded,
        quoted=quote(filename),
        label=label,
    )


class SearchPicker(w.HBox):  # type: ignore[misc]
    """A dropdown with a search box beside it: typing narrows the options to those containing the text.

    For long lists (336 people): behaves as a dropdown to the form (`options`, `value`,
    `disabled`), so a form reads and fills it like any choice.
    """

    value = t.Any(None, allow_none=True)
    options: t.List[tuple[str, Any]] = t.List()
    disabled = t.Bool(False)

    def __init__(self, *, description: str, style: dict[str, str], layout: w.Layout) -> None:
        self.dropdown = w.Dropdown(options=[], value=None, description=description, style=style, layout=layout)
        self.search = w.Text(placeholder="输入关键字查找", continuous_update=True, layout=w.Layout(width="10em"))
        self.shown = Html("", layout=w.Layout(margin="0 0 0 6px"))
        super().__init__([self.dropdown, self.search, self.shown], layout=w.Layout(align_items="center"))
        self._syncing = False
        self.dropdown.observe(self._picked, names="value")
        self.search.observe(lambda _change: self._narrow(), names="value")

    @property
    def description(self) -> str:
        return str(self.dropdown.description)

    @t.observe("options")
    def _options_changed(self, _change: dict[str, Any]) -> None:
        self.search.value = ""
        self._narrow()

    @t.observe("value")
    def _value_changed(self, change: dict[str, Any]) -> None:
        if not self._syncing and self.dropdown.value != change["new"]:
            self._syncing = True
            try:
                self.search.value = ""
                self._narrow()
                self.dropdown.value = change["new"]
            finally:
                self._syncing = False

    @t.observe("disabled")
    def _disabled_changed(self, change: dict[str, Any]) -> None:
        self.dropdown.disabled = self.search.disabled = change["new"]

    def _narrow(self) -> None:
        needle = self.search.value.strip()
        chosen = [(label, value) for label, value in self.options if needle in label]
        keep = self.value if any(value == self.value for _label, value in chosen) else None
        self._syncing = True
        try:
            self.dropdown.options = chosen
            self.dropdown.value = keep
        finally:
            self._syncing = False
        if keep != self.value:
            self.value = keep
        total = len(self.options)
        self.shown.value = html("{} / {} 项", len(chosen), total) if needle else ""

    def _picked(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self._syncing = True
            try:
                self.value = change["new"]
            finally:
                self._syncing = False
