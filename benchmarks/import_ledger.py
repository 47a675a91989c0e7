"""Importing a 100,000-row rectification ledger (整改台账) from Excel, against a plain read of the same file.

Builds a database with 100,000 findings, writes a ledger .xlsx of one item per finding
(openpyxl, write-only), then measures in a fresh process each time:

- `kit.excel.import_file`: read (python-calamine) + check every row with the form's
  validator + bulk insert + trace, committed; each run on its own copy of the database;
- `kit.excel.read_workbook` alone (the reading part of the above);
- reference: `openpyxl.load_workbook(read_only=True)` and a `pandas.DataFrame` of its rows.

Time is measured around the call only (imports done before); memory is the process's
peak RSS (VmHWM) and its RSS just before the call.

    python benchmarks/import_ledger.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UNITS = 20
TARGET_S = 10.0


def build(path: Path, rows: int) -> list[tuple[int, str, str]]:
    """A database with UNITS counties (each with a 书记 and a 县长) and `rows` findings of one round.

    Returns (finding id, unit name, leader name) for each finding.
    """
    from kit import db, inspections, registry

    db.init(path)
    with db.write(path, action="准备基准数据") as con:
        root = registry.add_unit(con, code="R", name="基准州委", kind="prefecture")
        units = []
        for n in range(UNITS):
            unit = registry.add_unit(con, code=f"C{n:02d}", name=f"第{n + 1}县委", kind="county", parent_id=root)
            for post, role in (("县委书记", "principal"), ("县长", "co_principal")):
                person = registry.add_person(con, name=f"{post}{n + 1}")
                registry.start_tenure(con, person_id=person, unit_id=unit, post=post, role=role, start=date(2020, 1, 1))
            units.append((f"第{n + 1}县委", f"县长{n + 1}"))
        inspections.add_round(
            con, code="2024-1", name="第一轮巡察", kind="regular", start="2024-03-01", end="2024-06-30"
        )
        inspections.add_category(con, name="落实主体责任不到位", area="discipline")
        ctx = inspections.finding_context(con)
        parsed = [
            inspections.check_finding(
                {
                    "round": "2024-1",
                    "unit": units[i % UNITS][0],
                    "category": "落实主体责任不到位",
                    "description": f"基准问题第 {i + 1} 条：会议记录不全，责任清单未及时更新",
                    "severity": "一般",
                    "involves_top": "否",
                    "source": "巡察",
                    "found_on": date(2024, 3, 1) + timedelta(days=i % 100),
                },
                ctx,
            )
            for i in range(rows)
        ]
        ids = inspections.add_findings(con, parsed)
    return [(ident, *units[i % UNITS]) for i, ident in enumerate(ids)]


def write_ledger(path: Path, findings: list[tuple[int, str, str]]) -> None:
    from openpyxl import Workbook

    from kit import rectification

    book = Workbook(write_only=True)
    sheet = book.create_sheet("整改台账")
    fields = rectification.ITEM.labels
    sheet.append([fields[k] for k in ("finding", "unit", "measure", "leader", "responsible", "deadline", "progress")])
    for i, (ident, unit, leader) in enumerate(findings):
        sheet.append(
            [
                ident,
                unit,
                f"针对问题 {ident} 修订制度、补齐会议记录并开展专题学习",
                leader if i % 2 else None,
                f"责任人{i % 500}",
                date(2025, 6, 30) + timedelta(days=i % 180),
                (i * 7) % 101,
            ]
        )
    book.save(path)


def _status_kb(name: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process. Unlike ru_maxrss, which Linux carries over
    from the parent across exec, VmHWM starts afresh in each new process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


def measure(what: str, file: Path, database: Path) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    data = file.read_bytes()
    if what == "reference":
        import openpyxl
        import pandas as pd

        before = _status_kb("VmRSS")
        start = time.perf_counter()
        book = openpyxl.load_workbook(file, read_only=True)
        values = list(book.active.values)
        frame = pd.DataFrame(values[1:], columns=values[0])
        book.close()
        seconds, rows = time.perf_counter() - start, len(frame)
    else:
        from kit import excel

        before = _status_kb("VmRSS")
        start = time.perf_counter()
        if what == "read":
            rows = len(excel.read_workbook(data, "rectification"))
        else:
            result = excel.import_file(data, "rectification", path=database)
            if not result.ok:
                raise SystemExit(f"import refused: {[str(e) for e in result.errors[:3]]}")
            rows = len(result.imported)
        seconds = time.perf_counter() - start
    peak = _status_kb("VmHWM")
    return {"seconds": seconds, "rows": rows, "peak_mb": peak / 1024, "before_mb": before / 1024}


def run_once(what: str, file: Path, database: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--file", str(file), "--db", str(database)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help="print the results, leave RESULTS.md alone")
    parser.add_argument("--measure", choices=["import", "read", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.file, args.db)))
        return
    from benchmarks._results import write_section
    from kit import anchor

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        master, ledger = folder / "master.duckdb", folder / "ledger.xlsx"
        started = time.perf_counter()
        findings = build(master, args.rows)
        write_ledger(ledger, findings)
        size = ledger.stat().st_size
        print(
            f"prepared {args.rows} findings and a {size / 1024 / 1024:.1f} MB ledger in "
            f"{time.perf_counter() - started:.0f} s"
        )
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, Any]]] = {"import": [], "read": [], "reference": []}
        for attempt in range(args.repeat):
            for what in runs:
                copy = folder / f"run{attempt}.duckdb"
                if what == "import":
                    shutil.copyfile(master, copy)
                    shutil.copyfile(anchor.path_of(master), anchor.path_of(copy))
                runs[what].append(run_once(what, ledger, copy))
                print(
                    f"{what:>9} #{attempt + 1}: {runs[what][-1]['seconds']:.2f} s, "
                    f"peak {runs[what][-1]['peak_mb']:.0f} MB"
                )
                if what == "import":
                    copy.unlink()
        load = (load_before, os.getloadavg()[0])
    body = report(args.rows, size, runs, load)
    if not args.no_save:
        write_section("import_ledger.py", body)
    print(body)


def report(rows: int, size: int, runs: dict[str, list[dict[str, Any]]], load: tuple[float, float]) -> str:
    names = {
        "import": "`excel.import_file` (read + check + insert + trace, committed)",
        "read": "of which `excel.read_workbook` (python-calamine)",
        "reference": "reference: openpyxl `read_only` + `pandas.DataFrame`",
    }
    table = [
        "| what | median s | runs s | peak RSS MB (median) | RSS before call MB |",
        "|---|---:|---|---:|---:|",
    ]
    medians = {}
    for what, results in runs.items():
        times = [r["seconds"] for r in results]
        medians[what] = statistics.median(times)
        table.append(
            f"| {names[what]} | {medians[what]:.2f} | {', '.join(f'{t:.2f}' for t in times)} |"
            f" {statistics.median(r['peak_mb'] for r in results):.0f} |"
            f" {statistics.median(r['before_mb'] for r in results):.0f} |"
        )
    ratio = medians["import"] / medians["reference"]
    verdict = "met" if medians["import"] <= TARGET_S and ratio <= 1.0 else "NOT met"
    return (
        f"A {rows:,}-row rectification ledger ({size / 1024 / 1024:.1f} MB .xlsx, 7 columns) imported into a"
        f" database holding {rows:,} findings of {UNITS} units; each run in a fresh process"
        f" (`--repeat` {len(runs['import'])}), the import on its own copy of the database;"
        f" `uname -m`: {platform.machine()}.\n\n"
        + "\n".join(table)
        + f"\n\nRatio import / reference: {ratio:.2f}. Target import ≤ {TARGET_S:.0f} s and no slower than the"
        f" reference: **{verdict}**. Load average (1 min) when the runs began and ended: {load[0]:.1f},"
        f" {load[1]:.1f} (the other work on the machine slows every row alike)."
    )


if __name__ == "__main__":
    os.environ.setdefault("KIT_LOCK_WAIT", "60")
    main()
