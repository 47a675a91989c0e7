"""The one way HTML is built in 监督台: every value put into a page is escaped.

`html(template, *values)` formats a literal template; each value is escaped unless it
is markup built here (`Markup`), so text from the database (a unit's name, a grade
label, a finding) can never become a tag, an attribute or a script. `join` joins
pieces the same way. The apps' HTML widget (`kit.ui.app.Html`) escapes any value that
is not `Markup`, and the report templates are rendered by Jinja2 with autoescaping,
so plain text shown anywhere is shown as text. `tests/test_markup.py` keeps other ways
out of `kit/` (no `html.escape`, no `Markup(...)` of a value, no bare ipywidgets HTML).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

__all__ = ["Markup", "html", "join", "svg", "text"]

_SVG = "{http://www.w3.org/2000/svg}"
_DECLARATIONS = (' xmlns="http://www.w3.org/2000/svg"', ' xmlns:xlink="http://www.w3.org/1999/xlink"')
# Elements of an SVG document that could run script or embed a page of their own.
_ACTIVE_ELEMENTS = {"script", "foreignObject", "iframe", "object", "embed", "use", "animate", "set", "handler"}


def html(template: str, /, *args: Any, **kwargs: Any) -> Markup:
    """`template` (literal markup written in kit's code) with every value escaped into it.

    Without values the template is taken as it is (a style sheet's braces are not fields).
    """
    if not args and not kwargs:
        return Markup(template)
    return Markup(template).format(*args, **kwargs)


def join(parts: Iterable[Any], separator: str = "") -> Markup:
    """The parts one after another; each part that is not markup is escaped."""
    return Markup(separator).join(escape(p) for p in parts)


def text(value: Any) -> Markup:
    """`value` as text in a page (escaped, unless it is markup built here)."""
    return escape(value)


def svg(document: str) -> Markup:
    """A chart drawn by vl-convert (kit.charts.to_svg), as markup, once it is shown to be inert.

    Vega escapes the labels it draws; this checks the document anyway: one <svg> element,
    no element that runs or embeds anything, no event attribute, no link or style that
    reaches outside the document. The namespace declarations are dropped (HTML needs
    none), so the page holds no URL at all; a document without them is accepted too.

    Raises:
        ValueError: the document is not such an SVG.
    """
    bare = str(document).strip()
    for declaration in _DECLARATIONS:
        bare = bare.replace(declaration, "")
    if not bare.startswith("<svg"):
        raise ValueError("not an SVG document")
    try:
        root = ElementTree.fromstring("<svg" + "".join(_DECLARATIONS) + bare[4:])
    except ElementTree.ParseError as e:
        raise ValueError(f"not an SVG document: {e}") from None
    for element in root.iter():
        name = element.tag.removeprefix(_SVG)
        if name in _ACTIVE_ELEMENTS or not element.tag.startswith(_SVG):
            raise ValueError(f"SVG element <{name}> is not allowed in a chart")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if (
                local.startswith("on")
                or (local == "href" and not value.startswith("#"))
                or ("url(" in value and "url(#" not in value)
            ):
                raise ValueError(f"SVG attribute {local}={value!r} is not allowed in a chart")
    return Markup(bare)
