"""Deadlines: month arithmetic, the flag of an item (逾期, 今日到期, 临期), reminder offsets."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.rectification.common import DEFAULT_OFFSETS, OFFSETS_KEY, traced, traced_state


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Flag:
    """How an open item stands against its deadline on a day."""

    key: str  # ok, due_soon, due_today, overdue, closed
    days: int  # days past the deadline (negative: days left)
    label: str

    @property
    def alert(self) -> bool:
        return self.key in ("due_soon", "due_today", "overdue")


def deadline_flag(
    deadline: date, today: date, *, offsets: Sequence[int] = DEFAULT_OFFSETS, closed: bool = False
) -> Flag:
    """Flag an item: 临期 from the earliest negative offset, 今日到期, 逾期 (naming the highest offset passed)."""
    days = (today - deadline).days
    if closed:
        return Flag("closed", days, "已销号")
    before = [o for o in offsets if o < 0]
    if days < 0:
        if before and days >= min(before):
            return Flag("due_soon", days, f"临期（还剩 {-days} 天）")
        return Flag("ok", days, "未到期")
    if days == 0:
        return Flag("due_today", 0, "今日到期")
    passed = [o for o in offsets if 0 < o <= days]
    if passed:
        return Flag("overdue", days, f"逾期满 {max(passed)} 天（已逾期 {days} 天）")
    return Flag("overdue", days, f"逾期 {days} 天")


@door.public
def reminder_offsets(con: Connection) -> tuple[int, ...]:
    """The office's reminder offsets in days around a deadline (default −7, 0, 7, 30)."""
    access.require(con, access.READ)
    raw = con.scalar("SELECT value FROM settings WHERE key = ?", [OFFSETS_KEY])
    if not raw:
        return DEFAULT_OFFSETS
    return tuple(int(v) for v in str(raw).split(","))


@door.public
def set_reminder_offsets(con: Connection, *, offsets: Any) -> tuple[int, ...]:
    """Change the reminder offsets (e.g. "-7,0,7,30"); returns them sorted.

    Raises:
        InvalidInput: not whole numbers between −365 and 365, or none given.
        PermissionDenied: not an administrator of all units.
    """
    if isinstance(offsets, str):
        text = offsets
    elif isinstance(offsets, Iterable) and not isinstance(offsets, bytes | bytearray | memoryview | Mapping):
        text = ",".join(map(str, offsets))
    else:  # None, a number, bytes: no list of days
        raise InvalidInput.one("offsets", "“提醒天数”应为以逗号分隔的整数，如 -7,0,7,30")
    values: set[int] = set()
    for part in validate._clean(text).split(","):  # a full-width comma（，）from a Chinese input method too
        if not validate._clean(part):
            continue
        value = validate.integer(part, field="offsets", label="提醒天数", minimum=-365, maximum=365)
        assert value is not None
        values.add(value)
    if not values:
        raise InvalidInput.one("offsets", "“提醒天数”至少填写一个，如 -7,0,7,30")
    access.require_all_units(con, access.ADMIN, what="设置整改提醒")
    chosen = tuple(sorted(values))
    before = traced_state(con, "settings", OFFSETS_KEY)
    con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [OFFSETS_KEY, ",".join(map(str, chosen))])
    traced(con, "设置整改提醒", "settings", OFFSETS_KEY, before)
    return chosen
