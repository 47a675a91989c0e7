"""A morning rush on the score-entry app: ten users open it within 20 s.

Served as `kit serve` serves it (preheated kernels, the same Voilà configuration), on
the demo office. "Interactive" as in tti.py: the page is loaded and choosing a unit
has shown its sheet. Reference, in the same run: a single warm open (a preheated
kernel waiting), the median of three with the pool refilled in between.

Burst: user k opens the app at 2·k s (k = 0…9), each in a browser context of its own,
the pages left open. Then: the resident memory of each kernel (idle, its page open),
and of the whole server (Voilà and its kernels) after 5 and after 50 opens and closes
of a tab, and again 2 minutes after the last close.

    python benchmarks/burst.py
"""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from kit import demo, serve
from tests import browser as b

APP = "/voila/render/score_entry.ipynb"
USERS = 10
SPACING_S = 2.0


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def kernels(server: b.Server) -> list[int]:
    return [
        pid
        for pid, _ in serve.descendants(server.proc.pid)
        if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def server_mb(server: b.Server) -> float:
    return rss_mb(server.proc.pid) + sum(rss_mb(pid) for pid in kernels(server))


async def ready(page: Page) -> None:
    await page.get_by_label("被考核单位").select_option(index=1, timeout=180_000)
    await expect(page.get_by_text("已保存的评分表")).to_be_visible(timeout=180_000)


async def open_app(browser: Browser, server: b.Server, *, keep: bool) -> tuple[float, Page | None]:
    context = await browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(server.url(APP), timeout=180_000)
    await ready(page)
    elapsed = time.perf_counter() - started
    if not keep:
        await context.close()
        return elapsed, None
    return elapsed, page


def pools_filled(server: b.Server, expected: int) -> bool:
    return server.log.read_text(errors="replace").count("is filled with 1 kernel") >= expected


async def run() -> dict[str, object]:
    found: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "demo.duckdb"
        demo.build(db_path)
        with b.voila(db_path, Path(tmp) / "voila.log") as server:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=b.CHROMIUM, args=b.CHROMIUM_ARGS, headless=True)
                fills = 4  # every app's pool
                await asyncio.to_thread(b.wait_until, lambda: pools_filled(server, fills), 300)
                warm = []
                for _ in range(4):  # the first is not counted: it pays for the browser's own start
                    elapsed, _page = await open_app(browser, server, keep=False)
                    warm.append(elapsed)
                    fills += 1
                    await asyncio.to_thread(b.wait_until, lambda n=fills: pools_filled(server, n), 300)
                found["warm"] = warm[1:]

                async def user(k: int) -> tuple[float, Page | None]:
                    await asyncio.sleep(k * SPACING_S)
                    return await open_app(browser, server, keep=True)

                burst = await asyncio.gather(*(user(k) for k in range(USERS)))
                found["burst"] = [t for t, _ in burst]
                await asyncio.sleep(15)  # the pages open and idle
                found["kernel_mb"] = sorted(rss_mb(pid) for pid in kernels(server))
                found["server_open_mb"] = server_mb(server)
                for _t, page in burst:
                    if page is not None:
                        await page.context.close()
                await asyncio.to_thread(b.wait_until, lambda: len(kernels(server)) <= 4, 300)
                after: dict[int, float] = {}
                for n in range(1, 51):
                    await open_app(browser, server, keep=False)
                    if n in (5, 50):
                        await asyncio.sleep(10)
                        after[n] = server_mb(server)
                await asyncio.sleep(120)
                after[0] = server_mb(server)  # 2 minutes after the 50th close
                found["after"] = after
                found["kernels_left"] = len(kernels(server))
                await browser.close()
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def main() -> None:
    load_before = os.getloadavg()
    found = asyncio.run(run())
    load_after = os.getloadavg()
    warm, burst = found["warm"], found["burst"]
    assert isinstance(warm, list)
    assert isinstance(burst, list)
    kernel_mb, after = found["kernel_mb"], found["after"]
    assert isinstance(kernel_mb, list)
    assert isinstance(after, dict)
    reference = statistics.median(warm)
    ratio = p95(burst) / reference
    idle = statistics.median(kernel_mb)
    lines = [
        f"Load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}.",
        "",
        "| measure | value | target |",
        "|---|---:|---|",
        f"| single warm open, median s (runs: {', '.join(f'{x:.2f}' for x in warm)}) | {reference:.2f} | reference |",
        f"| burst of {USERS}, p95 s | {p95(burst):.2f} | ≤ 1.5 × reference |",
        f"| burst p95 / reference | {ratio:.2f} | {'met' if ratio <= 1.5 else '**NOT met**'} |",
        f"| idle kernel RSS with its page open, median MB ({len(kernel_mb)} kernels) "
        f"| {idle:.0f} | ≤ 150: {'met' if idle <= 150 else '**NOT met**'} |",
        f"| server RSS (Voilà + kernels), the {USERS} pages open, MB | {found['server_open_mb']:.0f} | |",
        f"| server RSS after 5 opens and closes, MB | {after[5]:.0f} | |",
        f"| server RSS after 50 opens and closes, MB | {after[50]:.0f} | |",
        f"| server RSS 2 min after the 50th close, MB (kernels left: {found['kernels_left']}) | {after[0]:.0f} "
        f"| back to the value after 5: {'met' if after[0] <= after[5] * 1.1 else '**NOT met**'} |",
        "",
        "Burst times to interactive, s, in the order the users arrived: " + ", ".join(f"{x:.1f}" for x in burst),
    ]
    body = (__doc__ or "").split("\n\n    python")[0].strip() + "\n\n" + "\n".join(lines)
    print(body)
    write_section("burst.py", body)


if __name__ == "__main__":
    main()
