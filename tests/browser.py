"""A real Voilà server and its data service on free loopback ports, and a headless Chromium that may not leave
them."""

from __future__ import annotations

import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Playwright, Route, expect

from kit import serve
from kit.service.supervisor import Supervisor

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What the apps show after a click comes from a kernel and often a save: on a loaded 2-core CI
# machine that can take longer than Playwright's 5 s default (a browser test failed once here while
# the whole suite ran beside it; its error was not kept).
# A wait that succeeds is as short as before; only a failing one waits this long.
expect.set_options(timeout=30_000)

LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:", "file:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    token: str
    proc: subprocess.Popen[bytes]
    log: Path
    supervisor: Supervisor | None = None  # the data service, when this server started it

    def url(self, path: str = "/") -> str:
        joiner = "&" if "?" in path else "?"
        return f"{self.base}{path}{joiner}token={self.token}"


@contextmanager
def voila(db_path: Path, log: Path, *, notebooks: Path | None = None, preheat: bool = True) -> Iterator[Server]:
    """`kit serve`'s Voilà command on a free port, stopped afterwards."""
    port, token = free_port(), "test-token"
    folder = notebooks or serve.notebooks_dir()
    with log.open("wb") as out, serve.data_service(db_path, output=out) as (address, supervisor):
        proc, answered = serve.start_voila(
            folder,
            db_path,
            address,
            port=port,
            preheat=preheat,
            token=token,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            if not answered:
                raise RuntimeError(f"voila did not start:\n{log.read_text(errors='replace')[-3000:]}")
            yield Server(f"http://127.0.0.1:{port}", token, proc, log, supervisor)
        finally:
            serve.stop_voila(proc)  # and its kernels, which run in sessions of their own


def launch(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@dataclass
class Guard:
    """Counts (and aborts) every request that would leave the machine."""

    outside: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(LOOPBACK):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


# What the pages of the running test said in their consoles and the errors they threw,
# shown when the test fails (tests/conftest.py): a page that never shows its widgets
# leaves its reason here, not in the server's log.
CONSOLE: list[str] = []


def _watch(page: Page) -> None:
    def said(message: ConsoleMessage) -> None:
        CONSOLE.append(f"{time.strftime('%H:%M:%S')} {message.type}: {message.text[:500]}")

    page.on("console", said)
    page.on("pageerror", lambda error: CONSOLE.append(f"{time.strftime('%H:%M:%S')} pageerror: {error}"))
    page.on("crash", lambda _page: CONSOLE.append(f"{time.strftime('%H:%M:%S')} the page crashed"))


def guarded_context(browser: Browser, guard: Guard, **options: object) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", **options)  # type: ignore[arg-type]
    context.route("**/*", guard.route)
    context.on("page", _watch)
    return context


def wait_until(predicate: object, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def load_app(page: Page, url: str, ready: Locator, *, timeout_ms: int = 90_000) -> None:
    """Open an app and wait for `ready`; a page left with its title only is loaded once more.

    Under load a page is sometimes rendered with its title only (seen in CI, cause not found:
    once the preheated kernel had taken the page's request, by the "Voila.kit" lines of
    Voilà's log, and still the app's output never reached the page). What it showed is kept
    with the console lines and a warning is given; a second such page fails the test.
    """
    page.goto(url)
    try:
        expect(ready).to_be_visible(timeout=timeout_ms)
    except AssertionError:
        shown = page.locator("body").inner_html()[-2000:]
        CONSOLE.append(f"{time.strftime('%H:%M:%S')} the first load of {url} showed no app; its end: {shown}")
        warnings.warn(f"{url} 第一次打开时只显示了标题，已重新打开", stacklevel=2)
        page.reload()
        expect(ready).to_be_visible(timeout=timeout_ms)
