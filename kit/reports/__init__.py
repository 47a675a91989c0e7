"""Self-contained HTML reports: one file, no external request, prints on A4."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("kit.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: Any) -> str:
    """Scores as offices write them: at most two decimals, no trailing zeros."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def _datetime(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y年%m月%d日 %H:%M}"


_ENV.filters["number"] = _number
_ENV.filters["datetime"] = _datetime


def render(template: str, **context: Any) -> str:
    """Render one of the report templates with the shared filters and layout."""
    return _ENV.get_template(template).render(**context)
