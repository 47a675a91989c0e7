"""What every part of the demo shares: its seed, its accounts, its summary, names and dates."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from kit.db import Connection

SEED = 20240301


DEMO_ACTOR = "演示数据"


# 州委巡察办's reviewer: closes rectification items others asked to close, and closes assessment years.
DEMO_REVIEWER = "xcb01"
# A 录入员 of the departments one 派驻纪检组 supervises: asks to correct a closed year's sheet.
DEMO_CLERK = "luru01"


@dataclass
class DemoSummary:
    units: int = 0
    people: int = 0
    sheets: int = 0
    users: int = 0
    years: list[int] = field(default_factory=list)


def day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


@contextmanager
def stamped_on(con: Connection, day: date, hour: int = 10) -> Iterator[None]:
    """Within the block, what is written is stamped `day` (never later than now): the demo's events
    are spread over the days they happened, as an office's records would be, not all on the day
    the demo was built. The commit itself keeps the real time."""
    real = con.now
    minute = (day.toordinal() * 7) % 60
    con.now = min(datetime.combine(day, time(hour, minute)), real)
    try:
        yield
    finally:
        con.now = real
