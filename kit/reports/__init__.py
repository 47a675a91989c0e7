"""Self-contained HTML reports: one file, no external request, prints on A4."""

from __future__ import annotations

from typing import Any

import jinja2

from kit import formats

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("kit.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


_ENV.filters["number"] = formats.number
_ENV.filters["datetime"] = formats.moment


def render(template: str, **context: Any) -> str:
    """Render one of the report templates with the shared filters and layout."""
    return _ENV.get_template(template).render(**context)
