"""Many processes, one file: nothing lost, nothing half-written, nothing shown to writers."""

from __future__ import annotations

import json
import multiprocessing
import random
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import assessments, audit, backup, db, integrity

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
        chain = audit.verify(con)
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
        assert proc.stdout is not None
        # Wait for the first commit (interpreter start-up varies with the machine's load),
        # then let it save on for a random while, so the kill lands anywhere in a save.
        first = proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        keys = _committed(first + out)
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
            chain = audit.verify(con)
            _, findings = integrity.compare(con)
        assert committed <= saved, "a committed sheet was lost"
        assert len(saved - committed) <= _round + 1, "only the save in flight may be unreported"
        assert partial == 0
        assert untraced == 0
        assert chain.ok, chain.reason
        assert findings == [], [str(f) for f in findings[:5]]
    assert len(committed) >= 20


# --- a minute of office load: writers at human pace, analysts reading all the while ------------

LOAD_SECONDS = 60.0
LOAD_WRITERS = 20
LOAD_ANALYSTS = 2


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"n={len(values)} median {statistics.median(values) * 1000:.0f} ms,"
        f" p95 {_quantile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
    )


def _start_all(procs: list[Any], barrier: Any) -> None:
    for proc in procs:
        proc.start()
    barrier.wait(timeout=300)  # every worker has imported kit and is ready


def _join_all(procs: list[Any], timeout: float) -> list[int | None]:
    deadline = time.monotonic() + timeout
    for proc in procs:
        proc.join(timeout=max(1.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join()
    return [proc.exitcode for proc in procs]


@pytest.mark.slow
def test_twenty_writers_at_human_pace_and_two_analysts_for_a_minute(demo_db: Path, tmp_path: Path) -> None:
    with db.read(demo_db) as con:
        scheme_id = int(con.scalar("SELECT id FROM assessment_schemes WHERE code = 'ZZ-A'"))
        scheme = assessments.get_scheme(con, scheme_id)
        units = [
            r[0]
            for r in con.all(
                "SELECT id FROM units WHERE active AND list_contains(?, kind) ORDER BY id", [scheme.unit_kinds]
            )
        ]
        years = [  # the years still open: a closed year's sheets change only by an approved request
            r[0]
            for r in con.all(
                "SELECT DISTINCT year FROM score_sheets WHERE scheme_id = ? AND year NOT IN"
                " (SELECT year FROM assessment_closings WHERE scheme_id = ?) ORDER BY 1",
                [scheme_id, scheme_id],
            )
        ]
    assert years, "the demo has no open year to write to"
    owned = {f"录入员{i}": units[i::LOAD_WRITERS] for i in range(LOAD_WRITERS)}
    workers.register_entry_users(demo_db, owned)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(LOAD_WRITERS + LOAD_ANALYSTS + 1)
    writer_logs = {name: tmp_path / f"writer{i}.jsonl" for i, name in enumerate(owned)}
    analyst_logs = [tmp_path / f"analyst{k}.jsonl" for k in range(LOAD_ANALYSTS)]
    procs = [
        ctx.Process(
            target=workers.human_writer,
            args=(str(demo_db), name, scheme_id, owned[name], years, i, barrier, LOAD_SECONDS, str(writer_logs[name])),
        )
        for i, name in enumerate(owned)
    ]
    procs += [
        ctx.Process(target=workers.analyst, args=(str(demo_db), barrier, LOAD_SECONDS, str(log)))
        for log in analyst_logs
    ]
    try:
        _start_all(procs, barrier)
    finally:
        exitcodes = _join_all(procs, LOAD_SECONDS + 120)
    reports = {name: workers.read_log(log) for name, log in writer_logs.items()}
    reads = [workers.read_log(log) for log in analyst_logs]

    saves = {name: [e for e in report if "seq" in e] for name, report in reports.items()}
    commit_s = [e["commit_s"] for done in saves.values() for e in done]
    wait_s = [e["wait_s"] for done in saves.values() for e in done]
    ok_reads = [e for report in reads for e in report if "rows" in e]
    per_writer = sorted(len(done) for done in saves.values())
    print(
        f"\n[load] {LOAD_SECONDS:.0f} s, {LOAD_WRITERS} writers, {LOAD_ANALYSTS} analysts:"
        f" {len(commit_s)} saves ({len(commit_s) / LOAD_SECONDS:.1f}/s; {per_writer[0]}–{per_writer[-1]} per writer),"
        f" {len(ok_reads)} analyst reads ({[sum('rows' in e for e in r) for r in reads]} per analyst)"
        f"\n[load] save, entering db.write → commit: {_ms(commit_s)}"
        f"\n[load]   of which getting the file (lock + attach): {_ms(wait_s)}"
        f"\n[load] analyst read, entering db.read → done: {_ms([e['read_s'] for e in ok_reads])}"
        f"\n[load]   of which getting the file: {_ms([e['wait_s'] for e in ok_reads])}"
    )

    assert exitcodes == [0] * len(procs), "a worker crashed (see its log)"
    problems = {name: [e for e in report if "seq" not in e] for name, report in reports.items()}
    assert {name: p for name, p in problems.items() if p} == {}, "a writer was shown an error"
    assert all(per_writer), "a writer saved nothing"
    assert [e for report in reads for e in report if "rows" not in e] == [], "an analyst got an error"
    assert all(any("rows" in e for e in report) for report in reads)
    assert [e["broken"] for e in ok_reads if e["broken"]] == [], "a reader saw an inconsistent snapshot"
    seqs = [e["seq"] for done in saves.values() for e in done]
    assert len(set(seqs)) == len(seqs), "two saves reported the same trace position"

    # Each writer's saves, in its order: the last one of each sheet is what the file holds,
    # and every one of them is in the trace with the values the writer sent.
    by_name = {i.id: i.name for i in scheme.indicators}
    last: dict[tuple[int, int], tuple[str, dict[str, Any]]] = {}
    sent: dict[tuple[str, str], dict[str, Decimal]] = {}
    for name, done in saves.items():
        for e in done:
            last[(e["unit"], e["year"])] = (name, e)
            sent[(name, e["note"])] = {by_name[int(k)]: Decimal(v) for k, v in e["scores"].items()}
    with db.read(demo_db) as con:
        held = {
            (unit, year): (sheet_id, note, version, by, str(total), grade)
            for sheet_id, unit, year, note, version, by, total, grade in con.all(
                "SELECT id, unit_id, year, note, version, updated_by, total, grade FROM score_sheets"
                " WHERE scheme_id = ?",
                [scheme_id],
            )
        }
        lines: dict[int, dict[int, Decimal]] = {}
        for sheet_id, indicator, score in con.all("SELECT sheet_id, indicator_id, score FROM scores"):
            lines.setdefault(sheet_id, {})[indicator] = score
        entries = [
            (actor, json.loads(after))
            for actor, after in con.all(
                "SELECT actor, after_json FROM trace_log WHERE table_name = 'score_sheets' AND actor LIKE '录入员%'"
            )
        ]
        chain = audit.verify(con)
        _, findings = integrity.compare(con)
    for key, (name, e) in last.items():
        sheet_id, note, version, by, total, grade = held[key]
        assert (note, version, by) == (e["note"], e["version"], name), key
        assert (Decimal(total), grade) == (Decimal(e["total"]), e["grade"]), key
        assert lines[sheet_id] == {int(k): Decimal(v) for k, v in e["scores"].items()}, key
    traced = {
        (actor, state["note"]): {k: Decimal(str(v)) for k, v in state["scores"].items()} for actor, state in entries
    }
    assert len(traced) == len(entries), "a save is in the trace twice"
    assert traced == sent, "the trace and the writers disagree about what was saved"
    assert chain.ok, chain.reason
    assert findings == [], [str(f) for f in findings[:5]]
    report = integrity.check(demo_db)
    assert report.ok, report.lines()


# --- backups taken while writers save -------------------------------------------------------

BACKUP_WRITERS = 4
BACKUPS = 4


def _commits(logs: list[Path]) -> list[dict[str, Any]]:
    return [e for log in logs for e in workers.read_log(log) if "seq" in e]


def _wait_for_commits(logs: list[Path], count: int, procs: list[Any]) -> None:
    """Until the writers have reported `count` commits in all (a guard, not a timing check)."""
    deadline = time.monotonic() + 120
    while len(_commits(logs)) < count:
        assert all(p.is_alive() for p in procs), "a writer stopped"
        assert time.monotonic() < deadline, f"the writers reported only {len(_commits(logs))} commits"
        time.sleep(0.05)


def _snapshot(con: db.Connection) -> tuple[set[tuple[int, int, str]], int]:
    """The sheets the writers saved, and how many sheets lack some of their ten scores."""
    sheets = {
        (u, y, n) for u, y, n in con.all("SELECT unit_id, year, note FROM score_sheets WHERE note LIKE '录入员%'")
    }
    partial = con.scalar(
        "SELECT count(*) FROM score_sheets s WHERE (SELECT count(*) FROM scores c WHERE c.sheet_id = s.id) <> 10"
    )
    return sheets, int(partial)


@pytest.mark.slow
def test_backups_taken_while_writers_save_hold_exactly_what_was_committed_before_them(tmp_path: Path) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=100)
    ctx = multiprocessing.get_context("spawn")
    stop, barrier = ctx.Event(), ctx.Barrier(BACKUP_WRITERS + 1)
    logs = [tmp_path / f"steady{i}.jsonl" for i in range(BACKUP_WRITERS)]
    procs = [
        ctx.Process(
            target=workers.steady_writer, args=(str(path), setup, i, BACKUP_WRITERS, stop, barrier, str(logs[i]))
        )
        for i in range(BACKUP_WRITERS)
    ]
    taken: list[tuple[float, backup.BackupInfo]] = []
    try:
        _start_all(procs, barrier)
        for _ in range(BACKUPS):
            # 3 commits per writer reported since the last backup; at most one per writer can
            # have happened before it (reported late), so this backup has new saves to catch.
            _wait_for_commits(logs, len(_commits(logs)) + 3 * BACKUP_WRITERS, procs)
            started = time.time()
            taken.append((started, backup.backup(path, tmp_path / "backups")))
        # And saves after the last one, which it must not hold.
        _wait_for_commits(logs, len(_commits(logs)) + 3 * BACKUP_WRITERS, procs)
    finally:
        stop.set()
        exitcodes = _join_all(procs, 60)
    assert exitcodes == [0] * BACKUP_WRITERS
    reports = [workers.read_log(log) for log in logs]
    assert [e for report in reports for e in report if "seq" not in e] == [], "a writer was shown an error"
    commits = _commits(logs)
    seqs = [info.manifest["trace"]["seq"] for _, info in taken]
    print(f"\n[backup] {len(commits)} saves by {BACKUP_WRITERS} writers; backups at trace seq {seqs}")
    assert seqs == sorted(set(seqs)), "each backup must hold more than the one before"

    for started, info in taken:
        assert backup.verify(info.file).manifest == info.manifest
        expected = {(e["unit"], e["year"], e["note"]) for e in commits if e["seq"] <= info.manifest["trace"]["seq"]}
        before = {(e["unit"], e["year"], e["note"]) for e in commits if e["committed_at"] < started}
        with db.open_private(info.file) as con:
            sheets, partial = _snapshot(con)
            chain = audit.verify(con)
        assert partial == 0
        assert before <= sheets, "a save committed before the backup started is missing from it"
        assert sheets == expected, "the backup does not hold exactly the saves up to its trace tail"
        assert chain.ok, chain.reason
    last = taken[-1][1]
    in_last = {(e["unit"], e["year"], e["note"]) for e in commits if e["seq"] <= last.manifest["trace"]["seq"]}
    assert {(e["unit"], e["year"], e["note"]) for e in commits} - in_last, "no save came after the last backup"

    restored = tmp_path / "restored" / "office.duckdb"
    restored.parent.mkdir()
    backup.restore(last.file, restored)
    with db.read(restored) as con:
        sheets, partial = _snapshot(con)
        scores = {
            (u, y): {ind: str(int(score)) for ind, score in rows}
            for (u, y), rows in _group(
                con.all(
                    "SELECT s.unit_id, s.year, c.indicator_id, c.score FROM score_sheets s"
                    " JOIN scores c ON c.sheet_id = s.id WHERE s.note LIKE '录入员%'"
                )
            ).items()
        }
        chain = audit.verify(con)
        _, findings = integrity.compare(con)
    assert sheets == in_last
    assert partial == 0
    for e in commits:
        if e["seq"] <= last.manifest["trace"]["seq"]:
            assert scores[(e["unit"], e["year"])] == {int(k): v for k, v in workers.scores_of(setup, e["slot"]).items()}
    assert chain.ok, chain.reason
    assert findings == [], [str(f) for f in findings[:5]]
    report = integrity.check(restored)
    assert report.ok, report.lines()

    with db.read(path) as con:  # and the live file kept every save
        sheets, partial = _snapshot(con)
        _, findings = integrity.compare(con)
    assert sheets == {(e["unit"], e["year"], e["note"]) for e in commits}
    assert partial == 0
    assert findings == []


def _group(rows: list[tuple[Any, ...]]) -> dict[tuple[int, int], list[tuple[int, Decimal]]]:
    found: dict[tuple[int, int], list[tuple[int, Decimal]]] = {}
    for unit, year, indicator, score in rows:
        found.setdefault((unit, year), []).append((indicator, score))
    return found
