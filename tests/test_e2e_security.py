"""In the browser, on an office whose every text field carries a script payload: nothing runs.

Escaping (kit.markup) is the first defence, the Content-Security-Policy every page
carries (kit.serve.CONTENT_SECURITY_POLICY) the second; each is checked here on its own.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets.exceptions
import websockets.sync.client
from playwright.sync_api import Browser, Page, expect

from kit import serve
from tests import hostile
from tests.conftest import copy_database

from . import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APPS = ("results", "score_entry", "rounds", "inspection")
ALLOWED_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("hostile-web")
    path = folder / "kit.duckdb"
    hostile.build(path)
    with b.voila(path, folder / "voila.log") as running:
        yield running


def _policy_of(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:
            return str(answer.headers.get("Content-Security-Policy", ""))
    except urllib.error.HTTPError as refused:  # the login page, 404 and 400 pages carry it too
        return str(refused.headers.get("Content-Security-Policy", ""))


def test_every_page_carries_the_policy(hostile_server: b.Server) -> None:
    pages = [
        hostile_server.url("/"),
        hostile_server.url("/voila/render/results.ipynb"),
        hostile_server.base + "/",  # no token: the login page
        hostile_server.url("/voila/render/no-such-app.ipynb"),
        hostile_server.url("/?template=lab"),
    ]
    for url in pages:
        policy = _policy_of(url)
        assert policy == serve.CONTENT_SECURITY_POLICY, url
    directives = {d.split()[0]: d.split()[1:] for d in serve.CONTENT_SECURITY_POLICY.split("; ")}
    assert directives["script-src-attr"] == ["'none'"]  # no inline event handler ever runs
    assert directives["object-src"] == ["'none'"]
    for name, sources in directives.items():
        assert set(sources) <= ALLOWED_SOURCES, f"{name} allows {sources}"  # no eval, nothing off this server


def _watched(chromium: Browser, guard: b.Guard) -> tuple[Page, list[str]]:
    context = b.guarded_context(chromium, guard)
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    ran: list[str] = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    return page, ran


def test_hostile_text_is_shown_as_text_and_runs_nothing(chromium: Browser, hostile_server: b.Server) -> None:
    guard = b.Guard()
    page, ran = _watched(chromium, guard)
    for app in APPS:
        page.goto(hostile_server.url(f"/voila/render/{app}.ipynb"))
        expect(page.locator(".kit-user")).not_to_contain_text("正在确认", timeout=60_000)
        if app == "score_entry":  # its sheet is shown once a unit is picked
            page.get_by_label("被考核单位").select_option(index=1)
        shown = page.locator(".widget-html:visible, .widget-label:visible").filter(has_text=hostile.HOSTILE).first
        expect(shown).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1000)
        assert page.locator("img[src=x]").count() == 0, app
    page.context.close()
    assert ran == []
    assert guard.outside == []


def test_the_policy_stops_inline_handlers_and_eval(chromium: Browser, hostile_server: b.Server) -> None:
    """Were some HTML ever shown unescaped, the browser would still refuse to run it."""
    guard = b.Guard()
    page, ran = _watched(chromium, guard)
    page.goto(hostile_server.url("/voila/render/results.ipynb"))
    expect(page.locator(".kit-user")).not_to_contain_text("正在确认", timeout=60_000)
    page.evaluate(
        """() => {
            window.kitRan = 0;
            const shown = document.createElement("div");
            shown.innerHTML = '<img src="data:," onerror="window.kitRan = 1; alert(1)">';
            document.body.appendChild(shown);
        }"""
    )
    page.wait_for_timeout(1500)
    assert page.evaluate("window.kitRan") == 0
    page.evaluate(  # later, from the page itself (code run from here, even nested, would bypass the policy)
        """() => setTimeout(() => {
            try { window.kitEval = String(eval("1 + 1")); } catch (e) { window.kitEval = e.name; }
        }, 0)"""
    )
    page.wait_for_function("window.kitEval !== undefined")
    assert page.evaluate("window.kitEval") == "EvalError"
    page.context.close()
    assert ran == []
    assert guard.outside == []


# --- no route answers without the token and the page's user; a kernel answers only its page's user ----


def _kernel_id(page: Page) -> str:
    """The kernel Voilà gave this page (in the page's own configuration)."""
    return str(page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"))


def _ws_status(url: str, headers: dict[str, str] | None = None) -> int:
    """101 if the websocket at `url` opened (then closed at once), else the HTTP status it was refused with."""
    try:
        with websockets.sync.client.connect(url, additional_headers=headers, open_timeout=30):
            return 101
    except websockets.exceptions.InvalidStatus as refused:
        return int(refused.response.status_code)


def _http_status(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_nobody_but_the_kernel_itself_hears_a_pages_request(chromium: Browser, hostile_server: b.Server) -> None:
    """The probe that hung every page: sockets on /voila/query without credentials, on a random id and a real one."""
    ws = hostile_server.base.replace("http://", "ws://")
    guard = b.Guard()
    page, _ran = _watched(chromium, guard)
    page.goto(hostile_server.url("/voila/render/results.ipynb"))
    expect(page.locator(".kit-user")).not_to_contain_text("正在确认", timeout=60_000)
    real = _kernel_id(page)
    for kernel_id in (str(uuid.uuid4()), str(uuid.uuid4()), real):
        assert _ws_status(f"{ws}/voila/query/{kernel_id}") == 403
        assert _ws_status(f"{ws}/voila/query/{kernel_id}?token={hostile_server.token}") == 403  # token is not enough
        assert _ws_status(f"{ws}/voila/query/{kernel_id}?proof={'0' * 64}") == 403
    for app in APPS:  # and every app still opens, its preheated kernel told who asked
        page.goto(hostile_server.url(f"/voila/render/{app}.ipynb"))
        expect(page.locator(".kit-user")).to_contain_text("本机操作员", timeout=60_000)
    page.context.close()
    assert guard.outside == []


@pytest.fixture(scope="module")
def proxied(_demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("proxied-kernels")
    path = folder / "demo.duckdb"
    copy_database(_demo_master, path, anchor=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_AUTH", "header")
        with b.voila(path, folder / "voila.log") as running:
            yield running


def test_a_kernel_answers_only_the_user_whose_page_it_serves(chromium: Browser, proxied: b.Server) -> None:
    guard = b.Guard()
    context = b.guarded_context(chromium, guard, extra_http_headers={"X-Kit-User": "luru01"})
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    page.goto(proxied.url("/voila/render/score_entry.ipynb"))
    expect(page.locator(".kit-user")).to_contain_text("王丽", timeout=60_000)
    kernel = _kernel_id(page)
    token = {"Authorization": f"token {proxied.token}"}
    rest = f"{proxied.base}/api/kernels/{kernel}"
    channels = f"{proxied.base.replace('http://', 'ws://')}/api/kernels/{kernel}/channels"
    other, bare, owner = {**token, "X-Kit-User": "fenxi01"}, token, {**token, "X-Kit-User": "luru01"}
    for headers in (other, bare):  # another user, or the token with no user at all
        assert _http_status(rest, headers=headers) == 403
        assert _ws_status(channels, headers) == 403
        assert _http_status(rest, "DELETE", headers=headers) == 403
        assert _http_status(f"{proxied.base}/voila/api/shutdown/{kernel}", "POST", headers=headers) == 403
    assert _http_status(rest, headers=owner) == 200  # the page's own user still reaches it
    page.get_by_label("被考核单位").select_option(index=1)  # and the page still works
    expect(page.locator(".kit-app")).to_contain_text("已保存的评分表", timeout=60_000)
    context.close()
    assert guard.outside == []


# --- the access token is on no command line, in no environment, in no log -------------------------------


def test_the_token_is_on_no_command_line_in_no_environment_and_in_no_log(
    chromium: Browser, hostile_server: b.Server
) -> None:
    guard = b.Guard()
    page, _ran = _watched(chromium, guard)
    page.goto(hostile_server.url("/voila/render/rounds.ipynb"))  # a kernel given to a page, others preheated
    expect(page.locator(".kit-user")).to_contain_text("本机操作员", timeout=60_000)
    processes = [hostile_server.proc.pid, *(pid for pid, _ in serve.descendants(hostile_server.proc.pid))]
    kernels = [p for p in processes if b"ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert kernels, "the test would prove nothing without a kernel to look into"
    secret = hostile_server.token.encode()
    for pid in processes:
        for part in ("cmdline", "environ"):
            assert secret not in Path(f"/proc/{pid}/{part}").read_bytes(), f"the token is in /proc/{pid}/{part}"
    environ = Path(f"/proc/{hostile_server.proc.pid}/environ").read_bytes().split(b"\0")
    token_file = next(v.split(b"=", 1)[1] for v in environ if v.startswith(b"JUPYTER_TOKEN_FILE="))
    assert not Path(token_file.decode()).exists(), "the file the token came from is removed once Voilà answers"
    log = hostile_server.log.read_bytes()
    assert secret not in log
    assert b"?token=..." in log  # the log is Voilà's: its address line, with the token masked
    page.context.close()
