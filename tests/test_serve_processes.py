"""What `kit serve` starts, it stops; the kernel of a closed tab goes, the kernel of an open one stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import serve
from tests.conftest import copy_database

from . import browser as b

pytestmark = [pytest.mark.own_service, pytest.mark.slow]


def _alive(process: tuple[int, str]) -> bool:
    pid, since = process
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19] == since
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_everything_kit_serve_started(
    how: signal.Signals, demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, token = b.free_port(), "serve-processes-token"
    monkeypatch.setenv("KIT_TOKEN", token)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kit.cli", "--db", str(demo_db), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the signal reaches kit serve alone, as from systemd
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            assert serve.wait_for_port(port, proc), log.read_text(errors="replace")[-3000:]
            page = f"http://127.0.0.1:{port}/voila/render/results.ipynb?token={token}"
            with urllib.request.urlopen(page, timeout=120) as answer:  # a kernel given to a page
                assert answer.status == 200
            started = serve.descendants(proc.pid)
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid, _ in started if _alive((pid, _))]
            assert any(b"kit.service.server" in c for c in commands), "the data service is among them"
            assert sum(b"ipykernel" in c for c in commands) >= 2, "a page's kernel and preheated ones"
            proc.send_signal(how)
            assert proc.wait(timeout=90) == 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10  # the last kernels may still be on their way out
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in started if _alive(p)] == []


@pytest.fixture
def quick_culling(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[b.Server]:
    monkeypatch.setenv("KIT_KERNEL_IDLE_S", "3")  # 60 s in use: the mechanism, not the wait, is tested here
    path = tmp_path / "office.duckdb"
    copy_database(demo_db, path, anchor=False)
    with b.voila(path, tmp_path / "voila.log") as running:
        yield running


def _kernel_process(server: b.Server, kernel_id: str) -> tuple[int, str] | None:
    for process in serve.descendants(server.proc.pid):
        try:
            if f"kernel-{kernel_id}".encode() in Path(f"/proc/{process[0]}/cmdline").read_bytes():
                return process
        except OSError:
            continue
    return None


def _open(chromium: Browser, server: b.Server, guard: b.Guard) -> tuple[Page, str]:
    context = b.guarded_context(chromium, guard)
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    page.goto(server.url("/voila/render/rounds.ipynb"))
    expect(page.locator(".kit-user")).to_contain_text("本机操作员", timeout=60_000)
    kernel = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    return page, str(kernel)


@pytest.mark.browser
def test_the_kernel_of_a_closed_tab_is_shut_down_and_an_open_ones_kept(
    chromium: Browser, quick_culling: b.Server
) -> None:
    guard = b.Guard()
    closed, closed_kernel = _open(chromium, quick_culling, guard)
    kept, kept_kernel = _open(chromium, quick_culling, guard)
    closing = _kernel_process(quick_culling, closed_kernel)
    staying = _kernel_process(quick_culling, kept_kernel)
    assert closing is not None
    assert staying is not None
    closed.context.close()
    deadline = time.monotonic() + 60
    while _alive(closing) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(closing), "the closed tab's kernel is still running"
    assert _alive(staying), "the kernel of a page still open was shut down"
    shown = kept.locator(".kit-app .widget-html")  # and that page's kernel still answers: another round
    before = shown.all_inner_texts()
    kept.get_by_label("巡察轮次").select_option(index=1)
    b.wait_until(lambda: shown.all_inner_texts() != before, timeout_s=30)
    kept.context.close()
    assert guard.outside == []
