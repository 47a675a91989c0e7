"""Small pieces every app's views use: labels and dates, sections, options, showing and hiding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from kit.markup import Markup, html
from kit.ui.forms import Form
from kit.ui.widgets import Html


def short(text: Any, length: int = 24) -> str:
    value = str(text or "")
    return value if len(value) <= length else value[: length - 1] + "…"


def day(value: Any) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def section(title: str) -> Html:
    return Html(html('<div class="kit-section-title">{}</div>', title))


def labelled(mapping: dict[str, str]) -> list[tuple[str, str]]:
    """Dropdown options (Chinese label, key) from a kit LABELS table."""
    return [(label, key) for key, label in mapping.items()]


def beside(form: Form, key: str, widget: w.Widget) -> None:
    """Put `widget` right after the field `key`, on its row (before the row's error area)."""
    target = form.inputs[key]
    for row in form.box.children:
        children = list(getattr(row, "children", ()))
        if target in children:
            children.insert(children.index(target) + 1, widget)
            row.children = children
            return


def show_if(widget: w.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def when_allowed(model: Any, role: str, build: Callable[[], None]) -> None:
    """Call `build` once `model` knows that the acting user holds a role (its bool trait `role`).

    The widgets that enter or review data are made by `build` and only then: a preheated
    kernel builds the apps before anyone is known, and a user without the role never gets
    them at all (a hidden widget would still exist in the kernel and could be driven through
    the widget protocol). `build` fills containers that are in the layout from the start.
    """
    if getattr(model, role):
        build()
        return

    def granted(change: dict[str, Any]) -> None:
        if change["new"]:
            model.unobserve(granted, names=role)
            build()

    model.observe(granted, names=role)


def keep(options: Sequence[tuple[str, Any]], value: Any) -> Any:
    """The value if it is still one of the options, else nothing chosen."""
    return value if value in {v for _label, v in options} else None


def upload_widget(css: str, *, multiple: bool, accept: str = "") -> w.FileUpload:
    upload = w.FileUpload(accept=accept, multiple=multiple, description="选择文件", icon="")
    return upload.add_class(css)


def chosen_files_html(value: Any) -> Markup:
    names = [str(f["name"]) for f in value or ()]
    return html('<span class="kit-hint">已选择：{}</span>', "、".join(names)) if names else html("")
