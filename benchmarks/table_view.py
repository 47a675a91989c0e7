"""The ledger's table (kit.ui.table) over a round of 10,000 items, in the kernel.

A round of 10,000 ledger items is imported as an office would (tests/big_round.py). The
整改台账 tab of the inspection app is built and loaded as its kernel does (embedded: the
file opened directly). Then, each timed on its own, the median of several runs:

- first page: the table given the round's rows, its first page drawn;
- each from the whole ledger (no filter): a filter change (unit), a sort (a header
  clicked), a search, the next page;
- and what the browser receives: the rows on the page and the bytes of their HTML.

Reference, in the same run: every row of the ledger drawn as HTML at once, as the app did
before the table (the same cells, all 10,000 rows).

    python benchmarks/table_view.py [--items N] [--repeat K]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from kit import rectification
from kit.markup import join
from kit.ui import table as table_view
from kit.ui.inspection import InspectionModel, InspectionView
from tests import big_round

TARGET_MS = 300.0


def timed(action: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> list[float]:
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description="the ledger's table over a large round")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kit.duckdb"
        big_round.build(path, args.items)
        os.environ["KIT_DB"] = str(path)
        model = InspectionModel(path)
        view = InspectionView(model)
        start = time.perf_counter()
        model.load()
        load_s = time.perf_counter() - start
        table = view.ledger.table
        rows = list(model.items)
        assert len(rows) == args.items, len(rows)
        unit_choices = [v for _label, v in table.filters["unit_id"].options if v != table_view.ALL_VALUE]

        def first() -> None:
            table.reset()
            table.show(rows)

        measured = {
            "first page (rows given, page 1 drawn)": timed(first, args.repeat),
            "filter change (单位)": timed(
                lambda: setattr(table.filters["unit_id"], "value", unit_choices[3]), args.repeat, before=table.reset
            ),
            "sort (a header clicked)": timed(lambda: table.headers[7].click(), args.repeat, before=table.reset),
            "search (two words)": timed(
                lambda: setattr(table.search, "value", "修订 专题"), args.repeat, before=table.reset
            ),
            "next page": timed(lambda: table.next.click(), args.repeat, before=table.reset),
        }
        table.reset()
        shown_rows = len(table.shown.rows)
        shown_bytes = len(table.page_html().encode("utf-8"))
        listing = rectification.ITEM_LIST
        whole: list[str] = []

        def everything() -> None:
            whole[:] = [str(join(table_view.row_html(listing, r, "kit-ledger") for r in rows))]

        reference = timed(everything, max(3, args.repeat // 2))
        whole_bytes = len(whole[0].encode("utf-8"))
    load_after = os.getloadavg()
    lines = [
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)}.",
        "",
        f"Round of {args.items:,} ledger items; the app's first load (reading the round, building the tab): "
        f"{load_s:.1f} s.",
        "",
        "| in the kernel | median ms | runs, ms | target |",
        "|---|---:|---|---|",
    ]
    for what, runs in measured.items():
        median = statistics.median(runs)
        verdict = "met" if median <= TARGET_MS else "**NOT met**"
        lines.append(
            f"| {what} | {median:.0f} | {', '.join(f'{x:.0f}' for x in runs)} | ≤ {TARGET_MS:.0f}: {verdict} |"
        )
    ref = statistics.median(reference)
    lines += [
        f"| reference: all {args.items:,} rows drawn as HTML at once | {ref:.0f} "
        f"| {', '.join(f'{x:.0f}' for x in reference)} | |",
        "",
        "| sent to the browser | rows | KB |",
        "|---|---:|---:|",
        f"| one page of the table | {shown_rows} | {shown_bytes / 1024:.1f} |",
        f"| reference: every row at once | {args.items:,} | {whole_bytes / 1024:.0f} |",
    ]
    body = (__doc__ or "").split("\n\n    python")[0].strip() + "\n\n" + "\n".join(lines)
    print(body)
    write_section("table_view.py", body)


if __name__ == "__main__":
    main()
