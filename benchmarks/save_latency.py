"""Save latency of the score sheet with 1, 8 and 20 concurrent writer processes.

Each writer saves one sheet every PAUSE seconds (human pace), through `kit.db.write`
(sidecar lock, fresh DuckDB connection, one transaction). Latency includes the wait
for the lock. Reference, in the same run: one writer alone.

    python benchmarks/save_latency.py [--saves N] [--pause S]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from tests import workers


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(writers: int, saves: int, pause: float, folder: Path) -> list[float]:
    path = folder / f"w{writers}.duckdb"
    setup = workers.prepare(path, units=writers * saves)
    units = setup["units"]
    with multiprocessing.get_context("spawn").Pool(writers) as pool:
        jobs = [
            pool.apply_async(
                workers.save_many,
                (str(path), setup, units[i * saves : (i + 1) * saves], 2024, f"录入员{i}", pause),
            )
            for i in range(writers)
        ]
        results = [job.get() for job in jobs]
    errors = [e for r in results for e in r["errors"]]
    if errors:
        raise SystemExit(f"{len(errors)} saves failed: {errors[:3]}")
    # The first save of each process pays for imports and caches: leave it out.
    return [lat for r in results for lat in r["latencies"][1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=16, help="saves per writer")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between a writer's saves")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for writers in (1, 8, 20):
            lat = run(writers, args.saves, args.pause, Path(tmp))
            rows.append((writers, len(lat), statistics.median(lat), quantile(lat, 0.95), max(lat)))
            print(f"{writers:>2} writers: n={len(lat)} p50={rows[-1][2] * 1000:.0f} ms p95={rows[-1][3] * 1000:.0f} ms")
    ref = rows[0][2]
    table = [
        "| writers | saves | p50 ms | p95 ms | max ms | p50 / 1 writer |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for writers, n, p50, p95, worst in rows:
        table.append(
            f"| {writers} | {n} | {p50 * 1000:.0f} | {p95 * 1000:.0f} | {worst * 1000:.0f} | {p50 / ref:.2f} |"
        )
    eight = next(r for r in rows if r[0] == 8)
    verdict = "met" if eight[3] <= 0.150 else "NOT met"
    body = (
        f"Each writer process saves a 10-indicator score sheet every {args.pause:g} s ({args.saves} saves; the first,"
        " which pays for imports, is left out). Latency = call to `kit.db.write` until commit and close,"
        " lock wait included.\n\n"
        + "\n".join(table)
        + f"\n\nTarget p95 ≤ 150 ms at 8 writers: **{verdict}** (p95 {eight[3] * 1000:.0f} ms)."
    )
    write_section("save_latency.py", body)


if __name__ == "__main__":
    main()
