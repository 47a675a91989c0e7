"""How numbers and times are written for people (Chinese office conventions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def number(value: Decimal | float | int | None) -> str:
    """Scores as offices write them: at most two decimals, no trailing zeros (91.5, 88)."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def moment(value: datetime | None) -> str:
    """A time of day as 2024年03月31日 14:05."""
    return "—" if value is None else f"{value:%Y年%m月%d日 %H:%M}"
