"""Time to interactive of the score-entry app in headless Chromium, cold and warm.

Reference, in the same run and served by the same Voilà configuration: a one-cell
ipywidgets form (a text box and a button). "Interactive" means the page is loaded
and a first action has made a round trip to the kernel: for the app, choosing a
unit shows its sheet; for the reference, clicking the button changes a label.
Cold: no preheated kernel (each page starts a kernel and runs the notebook).
Warm: a preheated kernel is waiting. Each run uses a fresh browser context.

    python benchmarks/tti.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from kit import demo
from tests import browser as b

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = """import ipywidgets as w

name = w.Text(description="姓名")
done = w.Label("")
button = w.Button(description="提交")
button.on_click(lambda _b: setattr(done, "value", "已提交：" + name.value))
w.VBox([name, button, done])"""


def make_folder(folder: Path) -> None:
    shutil.copy(ROOT / "notebooks" / "score_entry.ipynb", folder / "score_entry.ipynb")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE)]
    nb.metadata["title"] = "参照表单"
    nbformat.write(nb, folder / "reference.ipynb")


def app_ready(page: Page) -> None:
    page.get_by_label("被考核单位").select_option(index=1, timeout=120_000)
    expect(page.get_by_text("已保存的评分表")).to_be_visible(timeout=60_000)


def reference_ready(page: Page) -> None:
    page.get_by_role("button", name="提交").click(timeout=120_000)
    expect(page.get_by_text("已提交：")).to_be_visible(timeout=60_000)


def measure(server: b.Server, browser: object, path: str, ready: Callable[[Page], None]) -> float:
    guard = b.Guard()
    context = b.guarded_context(browser, guard)  # type: ignore[arg-type]
    page = context.new_page()
    started = time.perf_counter()
    page.goto(server.url(path))
    ready(page)
    elapsed = time.perf_counter() - started
    context.close()
    if guard.outside:
        raise SystemExit(f"requests left the machine: {guard.outside}")
    return elapsed


def pools_filled(log: Path, expected: int) -> Callable[[], bool]:
    return lambda: log.read_text(errors="replace").count("is filled with 1 kernel") >= expected


def run(runs: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {"cold": {"app": [], "ref": []}, "warm": {"app": [], "ref": []}}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp) / "apps"
        folder.mkdir()
        make_folder(folder)
        db_path = Path(tmp) / "demo.duckdb"
        demo.build(db_path)
        browser = b.launch(pw)
        for mode in ("cold", "warm"):
            log = Path(tmp) / f"{mode}.log"
            with b.voila(db_path, log, notebooks=folder, preheat=mode == "warm") as server:
                fills = 2
                if mode == "warm":
                    b.wait_until(pools_filled(log, fills), timeout_s=180)
                # One unmeasured pass of each, so that both start from the same server state.
                for path, ready in (
                    ("/voila/render/score_entry.ipynb", app_ready),
                    ("/voila/render/reference.ipynb", reference_ready),
                ):
                    measure(server, browser, path, ready)
                    fills += 1
                    if mode == "warm":
                        b.wait_until(pools_filled(log, fills), timeout_s=180)
                for _ in range(runs):
                    for key, path, ready in (
                        ("app", "/voila/render/score_entry.ipynb", app_ready),
                        ("ref", "/voila/render/reference.ipynb", reference_ready),
                    ):
                        results[mode][key].append(measure(server, browser, path, ready))
                        fills += 1
                        if mode == "warm":
                            b.wait_until(pools_filled(log, fills), timeout_s=180)
                        else:
                            time.sleep(2)  # let the previous kernel settle
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = run(args.runs)
    table = [
        "| mode | app median s | reference median s | ratio app / reference | app runs | reference runs |",
        "|---|---:|---:|---:|---|---|",
    ]
    ratios = {}
    for mode, pair in results.items():
        app, ref = statistics.median(pair["app"]), statistics.median(pair["ref"])
        ratios[mode] = app / ref
        fmt = ", ".join
        table.append(
            f"| {mode} | {app:.2f} | {ref:.2f} | {app / ref:.2f} | {fmt(f'{x:.2f}' for x in pair['app'])}"
            f" | {fmt(f'{x:.2f}' for x in pair['ref'])} |"
        )
        print(table[-1])
    verdict = "met" if ratios["warm"] <= 1.0 else "NOT met"
    body = (
        (__doc__ or "").split("\n\n    python")[0].strip()
        + "\n\n"
        + "\n".join(table)
        + (f"\n\nTarget warm ratio ≤ 1.0: **{verdict}** ({ratios['warm']:.2f}).")
    )
    write_section("tti.py", body)


if __name__ == "__main__":
    main()
