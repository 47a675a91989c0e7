"""The apps' HTML widget: it shows markup built by `kit.markup`, and any other text as text."""

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
