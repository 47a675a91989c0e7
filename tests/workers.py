"""Writer processes for the concurrency and crash tests (run in their own interpreters)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from kit import assessments, db, registry
from kit.errors import KitError

INDICATORS = [{"name": f"指标{n}", "max_points": 10} for n in range(1, 11)]
BANDS = [{"label": "合格", "min_total": 60}, {"label": "不合格", "min_total": 0, "triggers_followup": True}]


def prepare(path: Path, units: int) -> dict[str, Any]:
    """A database with `units` counties (each with a 一把手) and one scheme of ten indicators."""
    db.init(path)
    with db.write(path, action="准备") as con:
        ids = []
        for n in range(units):
            unit = registry.add_unit(con, code=f"U{n:04d}", name=f"第{n}县委", kind="county")
            person = registry.add_person(con, name=f"书记{n}")
            registry.start_tenure(
                con, person_id=person, unit_id=unit, post="县委书记", role="principal", start="2020-01-01"
            )
            ids.append(unit)
        scheme = assessments.add_scheme(
            con,
            code="S",
            name="考核",
            scoring="points",
            unit_kinds=["county"],
            indicators=INDICATORS,
            bands=BANDS,
        )
        indicators = [i.id for i in assessments.get_scheme(con, scheme).indicators]
    return {"units": ids, "scheme": scheme, "indicators": indicators}


def save_one(path: Path, setup: dict[str, Any], unit: int, year: int, seed: int, actor: str) -> float:
    """Save one sheet; returns the seconds it took (waiting included)."""
    scores = {ind: str((seed + k) % 11) for k, ind in enumerate(setup["indicators"])}
    started = time.perf_counter()
    with db.write(path, action="保存评分表", actor=actor) as con:
        assessments.save_sheet(con, scheme_id=setup["scheme"], unit_id=unit, year=year, scores=scores)
    return time.perf_counter() - started


def save_many(
    path: str, setup: dict[str, Any], units: list[int], year: int, actor: str, pause_s: float = 0.0
) -> dict[str, Any]:
    """Save a sheet for each unit; count what went wrong instead of stopping."""
    latencies, errors = [], []
    for n, unit in enumerate(units):
        try:
            latencies.append(save_one(Path(path), setup, unit, year, n, actor))
        except KitError as e:
            errors.append(e.message)
        if pause_s:
            time.sleep(pause_s)
    return {"latencies": latencies, "errors": errors}


def save_forever(path: str, setup: dict[str, Any], first: int) -> None:
    """Save sheets one after another, printing each committed key, until killed."""
    n = first
    while True:
        unit = setup["units"][n % len(setup["units"])]
        year = 2000 + n // len(setup["units"])
        save_one(Path(path), setup, unit, year, n, "崩溃测试")
        print(f"{unit} {year}", flush=True)
        n += 1


if __name__ == "__main__":
    import json

    target, setup_json, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
    save_forever(target, json.loads(setup_json), start)
