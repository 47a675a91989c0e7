"""Many processes, one file: nothing lost, nothing half-written, nothing shown to writers."""

from __future__ import annotations

import json
import multiprocessing
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit import db, trace

from . import workers

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_eight_writers_saving_25_sheets_each_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    setup = workers.prepare(path, units=200)
    units = setup["units"]
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        jobs = [
            pool.apply_async(workers.save_many, (str(path), setup, units[i * 25 : (i + 1) * 25], 2024, f"录入员{i}"))
            for i in range(8)
        ]
        results = [job.get(timeout=600) for job in jobs]
    assert [r["errors"] for r in results] == [[]] * 8
    assert sum(len(r["latencies"]) for r in results) == 200
    with db.read(path) as con:
        sheets = con.scalar("SELECT count(*) FROM score_sheets WHERE year = 2024")
        lines = con.all("SELECT count(*) FROM scores GROUP BY sheet_id")
        traced = con.scalar("SELECT count(*) FROM trace_log WHERE table_name = 'score_sheets'")
        actors = con.scalar("SELECT count(DISTINCT actor) FROM trace_log WHERE table_name = 'score_sheets'")
        chain = trace.verify(con)
    assert sheets == 200
    assert {n for (n,) in lines} == {10}
    assert traced == 200
    assert actors == 8
    assert chain.ok, chain.reason


def _committed(output: str) -> set[tuple[int, int]]:
    keys = set()
    for line in output.splitlines():
        unit, year = line.split()
        keys.add((int(unit), int(year)))
    return keys


@pytest.mark.slow
def test_writer_killed_mid_save_twenty_times_leaves_no_partial_sheet(tmp_path: Path) -> None:
    path = tmp_path / "crash.duckdb"
    setup = workers.prepare(path, units=30)
    rng = random.Random(7)
    committed: set[tuple[int, int]] = set()
    start = 0
    for _round in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.workers", str(path), json.dumps(setup), str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(0.8, 1.6))  # interpreter start-up, then some saves
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        keys = _committed(out)
        committed |= keys
        start += len(keys) + 1  # the save in flight may or may not have committed
        with db.read(path, wait_s=5) as con:
            saved = {(u, y) for u, y in con.all("SELECT unit_id, year FROM score_sheets")}
            partial = con.scalar(
                "SELECT count(*) FROM score_sheets s"
                " WHERE (SELECT count(*) FROM scores c WHERE c.sheet_id = s.id) <> 10"
            )
            untraced = con.scalar(
                "SELECT count(*) FROM score_sheets s JOIN units u ON u.id = s.unit_id WHERE NOT EXISTS ("
                " SELECT 1 FROM trace_log t WHERE t.table_name = 'score_sheets'"
                "   AND t.row_key = 'S/' || u.code || '/' || s.year)"
            )
            chain = trace.verify(con)
        assert committed <= saved, "a committed sheet was lost"
        assert len(saved - committed) <= _round + 1, "only the save in flight may be unreported"
        assert partial == 0
        assert untraced == 0
        assert chain.ok, chain.reason
    assert len(committed) >= 20
