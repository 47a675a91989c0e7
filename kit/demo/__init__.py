"""A believable demo office: a prefecture (云岭州, invented) with its counties, departments,
townships, their leaders with tenures, two assessment schemes and three years of scores.

The 2023 results reproduce the figure published by 大理州 (DOMAIN.md, seed 000):
six units graded 基本合格 or 不合格, whose nine 党政一把手 received 诫勉谈话.
Its inspection rounds 8–9 reproduce the same article's figures: 160 problems in
the 问题清单, 42 of them involving the 一把手, and a mid-term check that found 68
problems in 7 units.

One module per area, each importing only those above it in this list: `common` (seed,
accounts, summary, dates), `units` (units, people, tenures, leader changes), `scores`
(schemes and score sheets), `users`, `inspection` (rounds, findings, clues, ledgers).
`build` runs them in one transaction.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from kit import db, rectification
from kit.demo.common import DEMO_ACTOR, DEMO_CLERK, DEMO_REVIEWER, SEED, DemoSummary, stamped_on
from kit.demo.inspection import SAME_DAY, build_inspections
from kit.demo.scores import (
    LOW_2023,
    LOW_2024,
    LOW_2025,
    UNSCORED_2025,
    ask_correction,
    close_years,
    scheme_a,
    scheme_b,
    score_year,
)
from kit.demo.units import build_units
from kit.demo.users import add_users


def build(path: str | Path | None = None) -> DemoSummary:
    """Create the demo database at `path` (which must not hold data yet) in one transaction.

    A new file is built directly, before any data service serves it.

    Raises:
        Busy: a data service already holds the file.
    """
    with db.embedded(path):
        return _build(path)


def _build(path: str | Path | None) -> DemoSummary:
    rng = random.Random(SEED)
    summary = DemoSummary(years=[2023, 2024, 2025])
    db.init(path, admin=DEMO_ACTOR)
    with db.write(path, action="生成演示数据", actor=DEMO_ACTOR) as con:
        if con.scalar("SELECT count(*) FROM units"):
            raise FileExistsError("the database already holds data")
        ids = build_units(con, rng, summary)
        a, b = scheme_a(con), scheme_b(con)
        score_year(con, rng, a, ids, 2023, LOW_2023, set(), summary)
        score_year(con, rng, a, ids, 2024, LOW_2024, set(), summary)
        score_year(con, rng, a, ids, 2025, LOW_2025, UNSCORED_2025, summary)
        score_year(con, rng, b, ids, 2025, {"T092": "差"}, {"T121", "T122"}, summary)
        requested = build_inspections(con, rng, ids, summary)
        add_users(con, ids, summary)
    with db.write(path, action="生成演示数据（审核销号）", actor=DEMO_REVIEWER) as con:
        for item, approve, asked_on in requested:
            with stamped_on(con, asked_on + timedelta(days=0 if asked_on == SAME_DAY else 3), hour=15):
                rectification.review_close(
                    con,
                    item_id=item,
                    approve=approve,
                    note="佐证材料齐全，同意销号" if approve else "佐证不足，请补充整改前后对比材料",
                )
        close_years(con, a)
    with db.write(path, action="生成演示数据（更正申请）", actor=DEMO_CLERK) as con:
        ask_correction(con, a)
    return summary
