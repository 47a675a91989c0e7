"""What one action pays to reach the file: a new DuckDB instance per action, or attaching
the file to an instance the process keeps (what `kit.db` does), and `kit.db` itself.

    python benchmarks/open_cost.py [--n N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from kit import db, demo

CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def median_ms(action: Callable[[int], object], n: int) -> float:
    times = []
    for i in range(n):
        started = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        demo.build(path)
        file = str(path)
        count = "SELECT count(*) FROM score_sheets"
        write_sql = "UPDATE units SET sort_order = sort_order WHERE code = 'YL'"

        def new_instance_read(_i: int) -> None:
            con = duckdb.connect(file, read_only=True, config=CONFIG)
            con.execute(count).fetchall()
            con.close()

        def new_instance_write(_i: int) -> None:
            con = duckdb.connect(file, config=CONFIG)
            con.execute("BEGIN")
            con.execute(write_sql)
            con.execute("COMMIT")
            con.close()

        engine = duckdb.connect(":memory:", config=CONFIG)

        def attach_read(_i: int) -> None:
            cur = engine.cursor()
            cur.execute(f"ATTACH '{file}' AS kit (READ_ONLY)")
            cur.execute("SELECT count(*) FROM kit.score_sheets").fetchall()
            cur.execute("DETACH kit")
            cur.close()

        def attach_write(_i: int) -> None:
            cur = engine.cursor()
            cur.execute(f"ATTACH '{file}' AS kit")
            cur.execute("USE kit")
            cur.execute("BEGIN")
            cur.execute(write_sql)
            cur.execute("COMMIT")
            cur.execute("USE memory")
            cur.execute("DETACH kit")
            cur.close()

        def kit_read(_i: int) -> None:
            with db.read(path) as con:
                con.all(count)

        def kit_write(_i: int) -> None:
            with db.write(path, action="基准") as con:
                con.execute(write_sql)

        rows = []
        for name, read, write in (
            ("new DuckDB instance per action", new_instance_read, new_instance_write),
            ("attach to a kept in-memory instance", attach_read, attach_write),
            ("`kit.db.read` / `kit.db.write` (lock + attach + schema check)", kit_read, kit_write),
        ):
            r, w = median_ms(read, args.n), median_ms(write, args.n)
            rows.append((name, r, w))
            print(f"{name}: read {r:.1f} ms, write {w:.1f} ms")
    ref_r, ref_w = rows[0][1], rows[0][2]
    table = [
        "| way to reach the file | read (count) ms | write (one-row update) ms | read ratio | write ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    table += [f"| {n} | {r:.1f} | {w:.1f} | {r / ref_r:.2f} | {w / ref_w:.2f} |" for n, r, w in rows]
    body = (
        f"Medians of {args.n} actions on the demo database, one process; ratios against a new"
        " instance per action.\n\n" + "\n".join(table)
    )
    write_section("open_cost.py", body)


if __name__ == "__main__":
    main()
