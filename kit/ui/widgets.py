"""The apps' HTML widget (markup built by `kit.markup` shown as such, any other text as text), small markup pieces."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import ipywidgets as w
import traitlets as t

from kit.markup import Markup, html, join, text

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


def _row(cls: str, cells: Sequence[Any]) -> Markup:
    tds = join(html("<td>{}</td>", cell) for cell in cells)
    return html('<tr class="{}">{}</tr>', cls, tds) if cls else html("<tr>{}</tr>", tds)


def table(css: str, headers: Sequence[str], rows: Iterable[tuple[str, Sequence[Any]]], empty: str) -> Markup:
    """An HTML table: each row is (its CSS class, its cells); a cell is `Markup` or text (escaped here)."""
    body = join(_row(cls, cells) for cls, cells in rows)
    if not body:
        return html('<div class="kit-info">{}</div>', empty)
    head = join(html("<th>{}</th>", h) for h in headers)
    return html(
        '<div class="kit-scroll"><table class="kit-table {}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>',
        css,
        head,
        body,
    )
