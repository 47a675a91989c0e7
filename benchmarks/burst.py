"""A morning rush on the score-entry app: ten users open it within 20 s.

Served as `kit serve` serves it (preheated kernels, the same Voilà configuration), on
the demo office, once per pool setting, one after the other in one run: first the
setting landed before 2026-12-01 (one kernel per app, replaced 10 s after use; the
code otherwise today's), then kit's own (kit.serve.POOL_SIZE, POOL_REFILL_S).
"Interactive" as in tti.py: the page is loaded and choosing a unit has shown its
sheet. Reference, per setting: a single warm open (a preheated kernel waiting), the
median of three with the pool refilled in between.

Burst: user k opens the app at 2·k s (k = 0…9), each in a browser context of its own,
the pages left open; then the resident memory of each of their kernels (idle, its page
open). With the last setting also: one page of each app and its kernel's memory, and
the whole server (Voilà and its kernels) after 5 and after 50 opens and closes of a
tab, and again 2 minutes after the last close.

    python benchmarks/burst.py
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import write_section
from kit import demo, serve
from tests import browser as b

APP = "/voila/render/score_entry.ipynb"
APPS = ("score_entry", "results", "inspection", "rounds")
# The setting measured on 2026-12-01, before the pool was changed: one kernel per app, replaced 10 s after use.
LANDED, LANDED_REFILL_S = 1, 10.0
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


def page_kernel(server: b.Server, kernel_id: str) -> int | None:
    """The process of the kernel whose id a page names."""
    for pid in kernels(server):
        if f"kernel-{kernel_id}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    return None


async def kernel_id(page: Page) -> str:
    return str(await page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"))


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
    return len(re.findall(r"is filled with \d+ kernel", server.log.read_text(errors="replace"))) >= expected


@dataclass
class Found:
    warm: list[float] = field(default_factory=list)
    burst: list[float] = field(default_factory=list)
    kernel_mb: list[float] = field(default_factory=list)
    server_open_mb: float = 0.0
    apps_mb: dict[str, float] = field(default_factory=dict)
    after: dict[int, float] = field(default_factory=dict)  # opens and closes -> server MB (0: 2 min after)
    kernels_left: int = 0


async def run(db_path: Path, log: Path, *, pool: int, refill: float, memory: bool) -> Found:
    """Warm opens, then the burst, with `pool` kernels per app replaced `refill` s after use."""
    found = Found()
    os.environ["KIT_POOL_SIZE"], os.environ["KIT_POOL_REFILL_S"] = str(pool), str(refill)
    with b.voila(db_path, log) as server:
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
            found.warm = warm[1:]

            async def user(k: int) -> tuple[float, Page | None]:
                await asyncio.sleep(k * SPACING_S)
                return await open_app(browser, server, keep=True)

            burst = await asyncio.gather(*(user(k) for k in range(USERS)))
            found.burst = [t for t, _ in burst]
            await asyncio.sleep(15)  # the pages open and idle
            ids = [await kernel_id(page) for _t, page in burst if page is not None]
            found.kernel_mb = sorted(rss_mb(pid) for pid in map(lambda i: page_kernel(server, i), ids) if pid)
            found.server_open_mb = server_mb(server)
            for _t, page in burst:
                if page is not None:
                    await page.context.close()
            if memory:  # one page of each app, idle: its kernel's memory
                for app in APPS:
                    context = await browser.new_context(locale="zh-CN")
                    page = await context.new_page()
                    await page.goto(server.url(f"/voila/render/{app}.ipynb"), timeout=180_000)
                    # the header names the user once the app has read the office
                    header = page.locator(".kit-user").filter(has_text="本机操作员")
                    await expect(header).to_be_visible(timeout=180_000)
                    await asyncio.sleep(15)
                    pid = page_kernel(server, await kernel_id(page))
                    found.apps_mb[app] = rss_mb(pid) if pid else 0.0
                    await context.close()
            if memory:
                waiting = 4 * pool
                await asyncio.to_thread(b.wait_until, lambda: len(kernels(server)) <= waiting, 300)
                for n in range(1, 51):
                    await open_app(browser, server, keep=False)
                    if n in (5, 50):
                        await asyncio.sleep(10)
                        found.after[n] = server_mb(server)
                await asyncio.sleep(120)
                found.after[0] = server_mb(server)  # 2 minutes after the 50th close
                found.kernels_left = len(kernels(server))
            await browser.close()
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def parse_configs(text: str) -> list[tuple[int, float]]:
    return [(int(size), float(refill)) for size, refill in (part.split(":") for part in text.split(","))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    default = f"{serve.POOL_SIZE}:{serve.POOL_REFILL_S:g}"
    parser.add_argument(
        "--configs",
        default=f"{LANDED}:{LANDED_REFILL_S:g},{default}",
        help="pool:refill pairs, one server each, in this order (default: the landed setting, then kit's own)",
    )
    parser.add_argument("--quick", action="store_true", help="the bursts only, printed, RESULTS.md untouched")
    args = parser.parse_args()
    configs = parse_configs(args.configs)
    load_before = os.getloadavg()
    found: list[Found] = []
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "demo.duckdb"
        demo.build(db_path)
        for n, (pool, refill) in enumerate(configs):
            memory = not args.quick and n == len(configs) - 1
            found.append(
                asyncio.run(run(db_path, Path(tmp) / f"voila-{n}.log", pool=pool, refill=refill, memory=memory))
            )
            print(configs[n], found[-1], flush=True)
    load_after = os.getloadavg()
    lines = [
        f"Load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}.",
        "",
        "| pool per app | refill after s | warm open, median s (runs) | burst p95 s | p95 / warm | "
        "page kernels' RSS, median MB | burst times to interactive, s, in order of arrival |",
        "|---:|---:|---|---:|---:|---:|---|",
    ]
    for (pool, refill), one in zip(configs, found, strict=True):
        warm, burst, kernel_mb = one.warm, one.burst, one.kernel_mb
        reference = statistics.median(warm)
        lines.append(
            f"| {pool} | {refill:g} | {reference:.2f} ({', '.join(f'{x:.2f}' for x in warm)}) | {p95(burst):.2f} "
            f"| {p95(burst) / reference:.2f} | {statistics.median(kernel_mb):.0f} | "
            + ", ".join(f"{x:.1f}" for x in burst)
            + " |"
        )
    last = found[-1]
    if last.after:
        after, warm, burst, kernel_mb = last.after, last.warm, last.burst, last.kernel_mb
        ratio = p95(burst) / statistics.median(warm)
        idle = statistics.median(kernel_mb)
        lines += [
            "",
            f"Targets, with the last setting ({configs[-1][0]}:{configs[-1][1]:g}):",
            "",
            "| measure | value | target |",
            "|---|---:|---|",
            f"| burst p95 / warm open | {ratio:.2f} | ≤ 1.5: {'met' if ratio <= 1.5 else '**NOT met**'} |",
            f"| score-entry page kernels' RSS, idle, median MB ({len(kernel_mb)} kernels) | {idle:.0f} "
            f"| ≤ 150: {'met' if idle <= 150 else '**NOT met**'} |",
        ]
        for app, mb in last.apps_mb.items():
            verdict = "met" if mb <= 150 else "**NOT met**"
            lines.append(f"| one page of {app}: its kernel's RSS, idle, MB | {mb:.0f} | ≤ 150: {verdict} |")
        lines += [
            f"| server RSS (Voilà + kernels), the {USERS} pages open, MB | {last.server_open_mb:.0f} | |",
            f"| server RSS after 5 opens and closes, MB | {after[5]:.0f} | |",
            f"| server RSS after 50 opens and closes, MB | {after[50]:.0f} | |",
            f"| server RSS 2 min after the 50th close, MB (kernels left: {last.kernels_left}) | {after[0]:.0f} "
            f"| back to the value after 5: {'met' if after[0] <= after[5] * 1.1 else '**NOT met**'} |",
        ]
    body = (__doc__ or "").split("\n\n    python")[0].strip() + "\n\n" + "\n".join(lines)
    print(body)
    if not args.quick:
        write_section("burst.py", body)


if __name__ == "__main__":
    main()
