"""Worker processes for the concurrency, load and fault tests (run in their own interpreters).

Workers report through files (one JSON object a line, flushed at once), so what a
worker said was committed survives the worker and can be checked against the file.
"""

from __future__ import annotations

import json
import random
import resource
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from kit import access, assessments, db, rankings, registry
from kit.errors import KitError, OutcomeUnknown

INDICATORS = [{"name": f"指标{n}", "max_points": 10} for n in range(1, 11)]
BANDS = [{"label": "合格", "min_total": 60}, {"label": "不合格", "min_total": 0, "triggers_followup": True}]
# Every actor a test or benchmark may save as must be a registered 录入员.
WRITERS = [*(f"录入员{n}" for n in range(24)), "崩溃测试"]


def prepare(path: Path, units: int, writers: Sequence[str] = WRITERS) -> dict[str, Any]:
    """A database with `units` counties (each with a 一把手), one scheme of ten indicators,
    and `writers` registered as 录入员 over all units."""
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
        for name in writers:
            access.add_user(con, name=name, roles=["entry"])
            access.grant_scope(con, name=name, kind="all")
    return {"units": ids, "scheme": scheme, "indicators": indicators}


def scores_of(setup: dict[str, Any], seed: int) -> dict[int, str]:
    return {ind: str((seed + k) % 11) for k, ind in enumerate(setup["indicators"])}


def save_one(path: Path, setup: dict[str, Any], unit: int, year: int, seed: int, actor: str) -> float:
    """Save one sheet; returns the seconds it took (waiting included)."""
    scores = scores_of(setup, seed)
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


class Log:
    """A JSON-lines report, each line flushed as soon as it is written."""

    def __init__(self, path: str | Path) -> None:
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the worker's life

    def __call__(self, **entry: Any) -> None:
        self._file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def crash(self, e: BaseException) -> None:
        self(crash=type(e).__name__, message=str(e), traceback=traceback.format_exc())

    def close(self) -> None:
        self._file.close()


def read_log(path: str | Path) -> list[dict[str, Any]]:
    file = Path(path)
    if not file.exists():
        return []
    # A line without its newline is still being written: it is not reported yet.
    lines = file.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


# --- load: writers at human pace and analysts ------------------------------------


def register_entry_users(path: Path, owned: dict[str, list[int]]) -> None:
    """Register each writer as a 录入员 who sees exactly the units they own."""
    with db.write(path, action="登记录入员") as con:
        for name, units in owned.items():
            access.add_user(con, name=name, roles=["entry"])
            for unit in units:
                access.grant_scope(con, name=name, kind="unit", unit_id=unit)


def human_writer(
    path: str,
    actor: str,
    scheme_id: int,
    units: list[int],
    years: list[int],
    seed: int,
    barrier: Any,
    seconds: float,
    log_path: str,
) -> None:
    """Save a sheet of one of the writer's own units in its own `db.write`, then think 0.5–1.5 s; for `seconds`.

    Each save carries a note no other save has, and the version the writer last saw,
    so a lost or doubled save shows up as a Conflict. Logged per committed save: the
    values, the trace tail of its transaction, the time to get the file (`wait_s`)
    and to commit (`commit_s`), both from entering `db.write`.
    """
    log = Log(log_path)
    rng = random.Random(seed)
    file = Path(path)
    try:
        with db.read(file) as con:  # what the writer's units hold before the load starts
            scheme = assessments.get_scheme(con, scheme_id)
            versions = {
                (int(u), int(y)): int(v)
                for u, y, v in con.all(
                    "SELECT unit_id, year, version FROM score_sheets WHERE scheme_id = ? AND list_contains(?, unit_id)",
                    [scheme_id, units],
                )
            }
        barrier.wait(timeout=300)
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            unit, year = rng.choice(units), rng.choice(years)
            scores = {i.id: str(Decimal(rng.randint(0, int(i.maximum * 2))) / 2) for i in scheme.indicators}
            note = f"{actor}第{n}次保存"
            started = time.perf_counter()
            try:
                with db.write(file, action="保存评分表", actor=actor) as con:
                    got = time.perf_counter()
                    sheet = assessments.save_sheet(
                        con,
                        scheme_id=scheme_id,
                        unit_id=unit,
                        year=year,
                        scores=scores,
                        note=note,
                        expected_version=versions.get((unit, year), 0),
                    )
                    tail = con.trace_tail
                done = time.perf_counter()
            except KitError as e:
                log(error=type(e).__name__, message=e.message, unit=unit, year=year, note=note)
            else:
                versions[(unit, year)] = sheet.version
                log(
                    unit=unit,
                    year=year,
                    scores=scores,
                    note=note,
                    version=sheet.version,
                    total=str(sheet.total),
                    grade=sheet.grade,
                    seq=tail[0] if tail else None,
                    wait_s=got - started,
                    commit_s=done - started,
                )
            n += 1
            time.sleep(rng.uniform(2.0, 4.0))  # a person needs minutes per sheet: this is already brisk
    except BaseException as e:
        log.crash(e)
        raise
    finally:
        log.close()


# Heavy reads an analyst runs in a loop, and facts each read's snapshot must show.
ANALYST_QUERIES = {
    "indicator_statistics": """
        SELECT sc.code AS scheme, s.year, i.name AS indicator, count(*) AS sheets,
               avg(c.score) AS mean, stddev_samp(c.score) AS sd, quantile_cont(c.score, [0.1, 0.5, 0.9]) AS q,
               corr(c.score::DOUBLE, s.total::DOUBLE) AS corr_total
        FROM scores c
        JOIN score_sheets s ON s.id = c.sheet_id
        JOIN assessment_indicators i ON i.id = c.indicator_id
        JOIN assessment_schemes sc ON sc.id = s.scheme_id
        GROUP BY ALL ORDER BY ALL""",
    "unit_trends": """
        SELECT u.kind, u.code, s.year, s.total, s.grade,
               s.total - lag(s.total) OVER (PARTITION BY s.unit_id, s.scheme_id ORDER BY s.year) AS change,
               rank() OVER (PARTITION BY s.scheme_id, s.year ORDER BY s.total DESC) AS rank,
               (SELECT count(*) FROM followups f WHERE f.sheet_id = s.id AND f.status = 'open') AS open_followups,
               p.name AS leader
        FROM score_sheets s
        JOIN units u ON u.id = s.unit_id
        LEFT JOIN tenures t ON t.unit_id = u.id AND t.role = 'principal' AND t.end_date IS NULL
        LEFT JOIN people p ON p.id = t.person_id
        ORDER BY ALL""",
    "trace_activity": """
        SELECT actor, action, table_name, date_trunc('second', logged_at) AS second, count(*) AS entries,
               avg(length(after_json)) AS size,
               max(TRY_CAST(json_extract_string(after_json, '$.total') AS DECIMAL(7, 2))) AS top_total,
               count(DISTINCT row_key) AS records
        FROM trace_log GROUP BY ALL ORDER BY ALL""",
    "sheet_history": """
        SELECT t.row_key, count(*) AS saves, min(t.logged_at) AS first, max(t.logged_at) AS last,
               list(json_extract_string(t.after_json, '$.grade') ORDER BY t.seq) AS grades,
               any_value(s.total) AS total_now
        FROM trace_log t
        JOIN score_sheets s ON t.table_name = 'score_sheets'
        JOIN units u ON u.id = s.unit_id
        JOIN assessment_schemes sc ON sc.id = s.scheme_id AND t.row_key = sc.code || '/' || u.code || '/' || s.year
        GROUP BY t.row_key ORDER BY saves DESC, t.row_key""",
}
ANALYST_FACTS = {
    "sheet without all its scores": """
        SELECT s.id FROM score_sheets s
        WHERE (SELECT count(*) FROM scores c WHERE c.sheet_id = s.id)
           <> (SELECT count(*) FROM assessment_indicators i WHERE i.scheme_id = s.scheme_id)""",
    "points total not the sum of its scores": """
        SELECT s.id FROM score_sheets s JOIN assessment_schemes sc ON sc.id = s.scheme_id
        WHERE sc.scoring = 'points' AND s.total <> (SELECT sum(c.score) FROM scores c WHERE c.sheet_id = s.id)""",
    "version not the number of its trace entries": """
        SELECT k.key FROM (
            SELECT s.version, sc.code || '/' || u.code || '/' || s.year AS key FROM score_sheets s
            JOIN units u ON u.id = s.unit_id JOIN assessment_schemes sc ON sc.id = s.scheme_id) k
        LEFT JOIN (SELECT row_key, count(*) AS n FROM trace_log WHERE table_name = 'score_sheets' GROUP BY 1) t
            ON t.row_key = k.key
        WHERE coalesce(t.n, 0) <> k.version""",
    "trace seq with a gap or a broken link": """
        SELECT seq FROM (
            SELECT seq, prev_hash, lag(hash) OVER (ORDER BY seq) AS before, lag(seq) OVER (ORDER BY seq) AS last
            FROM trace_log)
        WHERE (last IS NOT NULL AND (seq <> last + 1 OR prev_hash <> before)) OR (last IS NULL AND seq <> 1)""",
}


def analyst(path: str, barrier: Any, seconds: float, log_path: str) -> None:
    """Run the heavy queries, kit's rankings and the snapshot facts in one `db.read`, over and over."""
    log = Log(log_path)
    file = Path(path)
    try:
        barrier.wait(timeout=300)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                with db.read(file) as con:
                    got = time.perf_counter()
                    access.require_all_units(con, access.READ, what="分析")
                    rows = sum(len(con.df(sql)) for sql in ANALYST_QUERIES.values())
                    for scheme_id, year in con.all("SELECT DISTINCT scheme_id, year FROM score_sheets ORDER BY ALL"):
                        rows += len(rankings.ranking(con, scheme_id=scheme_id, year=year))
                        rows += len(rankings.grade_distribution(con, scheme_id=scheme_id, year=year))
                    broken = {name: con.all(sql)[:5] for name, sql in ANALYST_FACTS.items()}
                    sheets = con.scalar("SELECT count(*) FROM score_sheets")
            except KitError as e:
                log(error=type(e).__name__, message=e.message)
            else:
                log(
                    rows=rows,
                    sheets=sheets,
                    broken={k: v for k, v in broken.items() if v},
                    wait_s=got - started,
                    read_s=time.perf_counter() - started,
                )
    except BaseException as e:
        log.crash(e)
        raise
    finally:
        log.close()


# --- backups while writing ------------------------------------------------------------


def steady_writer(
    path: str, setup: dict[str, Any], index: int, writers: int, stop: Any, barrier: Any, log_path: str
) -> None:
    """Save new sheets (a key no other save uses) one after another until `stop` is set.

    Logged per committed save: its key, note, seed, the trace tail of its transaction
    and the wall-clock time just after the commit returned.
    """
    log = Log(log_path)
    file = Path(path)
    units = setup["units"]
    try:
        barrier.wait(timeout=300)
        n = 0
        while not stop.is_set():
            slot = index + writers * n
            unit, year = units[slot % len(units)], 2000 + slot // len(units)
            note = f"录入员{index}#{n}"
            try:
                with db.write(file, action="保存评分表", actor=f"录入员{index}") as con:
                    assessments.save_sheet(
                        con,
                        scheme_id=setup["scheme"],
                        unit_id=unit,
                        year=year,
                        scores=scores_of(setup, slot),
                        note=note,
                    )
                    tail = con.trace_tail
            except KitError as e:
                log(error=type(e).__name__, message=e.message)
            else:
                log(unit=unit, year=year, note=note, slot=slot, seq=tail[0] if tail else None, committed_at=time.time())
            n += 1
            time.sleep(0.01)
    except BaseException as e:
        log.crash(e)
        raise
    finally:
        log.close()


# --- a disk that fills up -----------------------------------------------------------------


def fill_disk(path: str, setup: dict[str, Any], headroom: int, batch: int, log_path: str) -> None:
    """With files limited to a little above the database's size, save batches of long sheets until one fails.

    SIGXFSZ is ignored, so a write past the limit fails with EFBIG (as on a full disk)
    instead of killing the process. Logged: each committed batch (years and trace
    tail), then the failure: `refused` for a KitError, `crash` for anything else.
    """
    log = Log(log_path)
    file = Path(path)
    units = setup["units"]
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = file.stat().st_size + headroom
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        log(limit=limit)
        for k in range(25):  # years 2001–2025: never later than this year
            year = 2001 + k
            try:
                with db.write(file, action="批量导入评分表", actor="录入员0") as con:
                    for n, unit in enumerate(units[:batch]):
                        assessments.save_sheet(
                            con,
                            scheme_id=setup["scheme"],
                            unit_id=unit,
                            year=year,
                            scores=scores_of(setup, year + n),
                            notes={ind: f"{year}年说明" + "详" * 480 for ind in setup["indicators"]},
                            note=f"{year}年总体评价" + "评" * 1900,
                        )
                    tail = con.trace_tail
            except KitError as e:
                log(refused=type(e).__name__, message=e.message, year=year)
                return
            log(committed=year, seq=tail[0] if tail else None, units=units[:batch])
        log(never_failed=True)
    except BaseException as e:
        log.crash(e)
        raise
    finally:
        log.close()


def save_on_a_full_disk(path: str, setup: dict[str, Any], done: Any, results: Any) -> None:
    """Try one save when no file may grow by a single byte; report through `results`; stay until `done`.

    The report goes through a pipe, which the limit does not cover. The process stays
    alive so that the parent can check that it does not keep the file locked.
    """
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        try:
            save_one(Path(path), setup, setup["units"][2], 2000, 2, "录入员1")
        except KitError as e:
            results.put({"refused": type(e).__name__, "message": e.message})
        except Exception as e:
            results.put({"crash": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()})
        else:
            results.put({"saved": True})
        done.wait(timeout=120)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def back_up_onto_a_full_disk(path: str, folder: str, good: str, limit: int, log_path: str) -> None:
    """With no file allowed past `limit` bytes, take a backup into `folder`, then restore `good` over `path`.

    Logged: for each, `refused` with the KitError's class, `done`, or `crash` for anything else.
    """
    from kit import backup  # only this worker needs it

    log = Log(log_path)  # opened, and each line written, while the limit leaves room
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for what, act in (
        ("backup", lambda: backup.backup(path, folder)),
        ("restore", lambda: backup.restore(good, path)),
    ):
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            act()
        except KitError as e:
            outcome: dict[str, Any] = {"refused": type(e).__name__, "message": e.message}
        except Exception as e:
            outcome = {"crash": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()}
        else:
            outcome = {"done": True}
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        log(what=what, **outcome)
    log.close()


if __name__ == "__main__":
    target, setup_json, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
    save_forever(target, json.loads(setup_json), start)


# --- the data service: what writers are told, checked against the file ----------------------------


def outcome_writer(path: str, setup: dict[str, Any], index: int, stop: Any, log_path: str, pause_s: float) -> None:
    """Save new sheets (keys no other save uses) until `stop` is set; log what each save was told.

    `saved` (with the trace tail), `not_saved` (any kit error but OutcomeUnknown: the
    promise is that nothing of it was written) or `unknown`.
    """
    log = Log(log_path)
    file = Path(path)
    units = setup["units"]
    try:
        n = 0
        while not stop.is_set():
            slot = index + 8 * n
            unit, year = units[slot % len(units)], 2000 + slot // len(units)
            try:
                with db.write(file, action="保存评分表", actor=f"录入员{index}") as con:
                    assessments.save_sheet(
                        con, scheme_id=setup["scheme"], unit_id=unit, year=year, scores=scores_of(setup, slot)
                    )
                    tail = con.trace_tail
            except OutcomeUnknown as e:
                log(outcome="unknown", unit=unit, year=year, slot=slot, message=e.message)
            except KitError as e:
                log(outcome="not_saved", unit=unit, year=year, slot=slot, error=type(e).__name__, message=e.message)
            else:
                log(outcome="saved", unit=unit, year=year, slot=slot, seq=tail[0] if tail else None)
            n += 1
            time.sleep(pause_s)
    except BaseException as e:
        log.crash(e)
        raise
    finally:
        log.close()


def hold_a_write_session(path: str, ready: Any) -> None:
    """Open a write session, make one change in it, say so, then hang until killed."""
    with db.write(Path(path), action="长时间录入") as con:
        registry.add_person(con, name="不应保存")
        ready.set()
        time.sleep(600)
