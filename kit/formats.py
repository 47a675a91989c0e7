"""How numbers and times are written for people (Chinese office conventions)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal


def number(value: Decimal | float | int | None) -> str:
    """Scores as offices write them: at most two decimals, no trailing zeros (91.5, 88)."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def cn_date(day: date | None) -> str:
    """A date as offices write it in sentences: 2025年3月1日 (tables keep 2025-03-01, as typed)."""
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def moment(value: datetime | None) -> str:
    """A time of day as 2024年3月31日 14:05."""
    return "—" if value is None else f"{cn_date(value)} {value:%H:%M}"
