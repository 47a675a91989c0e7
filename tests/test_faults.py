"""A disk that fills up: the save that does not fit is refused whole, everything committed stays.

A child process limits the size of every file it writes (RLIMIT_FSIZE) and ignores
SIGXFSZ, so a write past the limit fails with EFBIG the way a write to a full disk
fails with ENOSPC: DuckDB and kit see the same failed write(2). The parent, without
the limit, then checks the file as the next user of the office would.
"""

from __future__ import annotations

import multiprocessing
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import audit, backup, db, integrity
from kit.errors import Busy

from . import workers

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX"),
    # The limited child writes the file itself only when kit opens it directly; with a data
    # service, the service writes: tests/test_service.py fills the service's disk instead.
    pytest.mark.embedded_only("the writing process is the limited child"),
]

UNITS = 20


def _run(target: Any, *args: Any) -> None:
    proc = multiprocessing.get_context("spawn").Process(target=target, args=args)
    proc.start()
    proc.join(timeout=300)
    if proc.is_alive():
        proc.kill()
        proc.join()
    assert proc.exitcode == 0, "the child crashed (see its log)"


def _sheets(path: Path) -> dict[tuple[int, int], dict[str, Any]]:
    """Every sheet of the file with its scores and notes, by (unit, year)."""
    with db.read(path) as con:
        rows = con.all("SELECT id, unit_id, year, note FROM score_sheets")
        found = {(unit, year): {"note": note, "scores": {}, "notes": {}} for _, unit, year, note in rows}
        ids = {sheet_id: (unit, year) for sheet_id, unit, year, _ in rows}
        for sheet_id, indicator, score, note in con.all("SELECT sheet_id, indicator_id, score, note FROM scores"):
            found[ids[sheet_id]]["scores"][indicator] = score
            if note:
                found[ids[sheet_id]]["notes"][indicator] = note
    return found


def _whole(path: Path) -> tuple[audit.ChainReport, list[integrity.Finding], int]:
    with db.read(path) as con:
        chain = audit.verify(con)
        _, findings = integrity.compare(con)
        last = int(con.scalar("SELECT max(seq) FROM trace_log"))
    return chain, findings, last


def _expected_scores(setup: dict[str, Any], seed: int) -> dict[int, Decimal]:
    return {ind: Decimal(v) for ind, v in workers.scores_of(setup, seed).items()}


@pytest.mark.slow  # ~240 long sheets must go through save_sheet before DuckDB's log outgrows the file
def test_a_full_disk_refuses_the_save_that_does_not_fit_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=UNITS)
    units = setup["units"]
    for n, unit in enumerate(units[:3]):  # saved while the disk still had room
        workers.save_one(path, setup, unit, 2000, n, "录入员1")
    log_path = tmp_path / "fill.jsonl"

    # Batches of 20 long sheets, each in one transaction, until the files cannot grow:
    # the first batches fit in DuckDB's log (.wal) although the main file cannot grow
    # to take them in, a later one no longer fits anywhere.
    _run(workers.fill_disk, str(path), setup, 64 * 1024, UNITS, str(log_path))

    log = workers.read_log(log_path)
    assert [e for e in log if "crash" in e] == []
    assert "never_failed" not in log[-1], "the limit was never reached: the test proved nothing"
    refusal = log[-1]
    assert refusal.get("refused") == "DatabaseError", refusal  # a KitError, shown to the user as it is
    assert "未写入任何数据" in refusal["message"]
    committed = [e for e in log if "committed" in e]
    assert committed, "the first batch already failed: no save landed while the main file was full"

    sheets = _sheets(path)
    for n, unit in enumerate(units[:3]):
        assert sheets[(unit, 2000)]["scores"] == _expected_scores(setup, n)
    for batch in committed:
        year = batch["committed"]
        for n, unit in enumerate(batch["units"]):
            sheet = sheets[(unit, year)]
            assert sheet["note"].startswith(f"{year}年总体评价")
            assert sheet["scores"] == _expected_scores(setup, year + n)
            assert len(sheet["notes"]) == len(setup["indicators"])
    refused_year = refusal["year"]
    assert [key for key in sheets if key[1] == refused_year] == [], "part of the refused batch was written"
    assert len(sheets) == 3 + UNITS * len(committed)
    chain, findings, last = _whole(path)
    assert chain.ok, chain.reason
    assert findings == [], [str(f) for f in findings[:5]]
    assert last == committed[-1]["seq"], "the trace must end with the last batch the child was told was saved"

    # The disk has room again: the same sheets can be saved, and the office's file is whole.
    workers.save_one(path, setup, units[0], refused_year, 7, "录入员1")
    assert _sheets(path)[(units[0], refused_year)]["scores"] == _expected_scores(setup, 7)
    report = integrity.check(path)
    assert report.ok, report.lines()
    info = backup.backup(path, tmp_path / "backups")  # refused while DuckDB's log had not been merged
    tail = _whole(path)[2]
    assert tail > last
    assert backup.verify(info.file).manifest["trace"]["seq"] == tail


def test_a_disk_with_no_room_at_all_refuses_the_save_and_does_not_keep_the_file_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=3)
    workers.save_one(path, setup, setup["units"][0], 2000, 0, "录入员1")
    before = _sheets(path)
    _, _, last = _whole(path)
    ctx = multiprocessing.get_context("spawn")
    done, results = ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=workers.save_on_a_full_disk, args=(str(path), setup, done, results))
    proc.start()
    monkeypatch.setenv("KIT_LOCK_WAIT", "5")  # here only: the child keeps the default
    other = None
    try:
        outcome = results.get(timeout=120)
        try:  # the child is still running: its refused save must not keep others out
            workers.save_one(path, setup, setup["units"][1], 2000, 1, "录入员2")
        except Busy as e:
            other = e.message
    finally:
        done.set()
        proc.join(timeout=60)
        if proc.is_alive():
            proc.kill()
    assert outcome.get("refused") == "DatabaseError", outcome  # not an OSError from the lock file
    assert other is None, other
    assert proc.exitcode == 0
    after = _sheets(path)
    assert {k: v for k, v in after.items() if k != (setup["units"][1], 2000)} == before
    assert (setup["units"][2], 2000) not in after
    chain, findings, now_last = _whole(path)
    assert chain.ok, chain.reason
    assert findings == []
    assert len(after) == len(before) + 1
    with db.read(path) as con:
        keys = [
            k for (k,) in con.all("SELECT row_key FROM trace_log WHERE seq > ? AND table_name = 'score_sheets'", [last])
        ]
    assert keys == ["S/U0001/2000"], "only the save made after the refusal is in the trace"
    assert now_last > last


def test_backup_and_restore_onto_a_full_disk_are_refused_and_leave_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=3)
    workers.save_one(path, setup, setup["units"][0], 2000, 0, "录入员1")
    folder = tmp_path / "backups"
    good = backup.backup(path, folder)
    with db.read(path) as con:
        tables = backup.table_digests(con)
    log_path = tmp_path / "full.jsonl"
    # Room for the log and the lock files, not for a copy of the database.
    _run(workers.back_up_onto_a_full_disk, str(path), str(folder), str(good.file), 1 << 20, str(log_path))

    outcomes = {e.pop("what"): e for e in workers.read_log(log_path)}
    assert outcomes["backup"].get("refused") == "DatabaseError", outcomes["backup"]
    assert outcomes["restore"].get("refused") == "DatabaseError", outcomes["restore"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([good.file.name, backup.manifest_path(good.file).name])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(path.name)) == sorted(
        path.name + suffix for suffix in ("", ".anchor", ".gate", ".lock")
    ), "a partial copy was left beside the database"
    with db.read(path) as con:
        assert backup.table_digests(con) == tables
    report = integrity.check(path)
    assert report.ok, report.lines()
    assert backup.verify(good.file).manifest == good.manifest
