"""`kit serve`: the data service and the apps in Voilà, on 127.0.0.1, offline, with preheated kernels.

The data service owns the file (DESIGN.md, decision 1): `kit serve` starts it (or uses
the one already running for the file, e.g. under systemd), restarts it if it dies, and
points every kernel at it. Kernels never open the file themselves (`KIT_MODE=service`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from kit import config, db, identity
from kit.service import client, tokens
from kit.service.supervisor import Supervisor

SHARE = Path(__file__).with_name("share")
# How long Voilà waits for a cell's output after the kernel's reply (kit/share/voila/voila.py).
IOPUB_TIMEOUT_S = 60
SITE_TITLE = "监督台"
SITE_LEAD = "对“一把手”和领导班子监督的工作台：考核评分、考核结果与报告、巡察组织、巡察整改。"
FOLDER_TITLES = {"analysis": ("分析笔记本", "分析员的示例笔记本（只读查询，展示结果）")}
# Folders of the index listed only to users holding a role (every app's bar links them alike).
FOLDER_ROLES = {"analysis": "analyst"}
# The roles of the user whose index page is being built: set by kit.voila_auth for that
# request only (each request runs in its own task, with its own copy of this variable).
PAGE_ROLES: ContextVar[frozenset[str]] = ContextVar("kit_page_roles", default=frozenset())
# The header by which the serving layer hands a page's verified user to its kernel (kit.voila_auth).
SESSION_HEADER = "X-Kit-Session"
# Where an access token could be handed to a process: never passed on to Voilà or its kernels.
TOKEN_ENVS = ("KIT_TOKEN", "JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE")
# In single-machine mode every page is the operator's: kernels get a token for the operator up front,
# so that a preheated kernel can build its forms before the page is opened.
OPERATOR_TOKEN_TTL_S = 30 * 24 * 3600
# Sent with every page. Voilà's page is built from inline scripts (`script-src 'unsafe-inline'`),
# but no inline event handler (`onerror=`…) ever runs, nothing is evaluated from text (no
# 'unsafe-eval'), and nothing is loaded or sent anywhere but this server. With escaping
# (kit.markup) the first defence, this is the second: see docs/security.md.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "script-src-attr 'none'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'none'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
# Kernels idle this long with no browser attached are shut down (closed or crashed tabs): with
# the culler looking every CULL_INTERVAL_S, a closed tab's kernel is gone within 90 s. A page
# that is open keeps its websocket, and its kernel, however long it sits unused.
CULL_IDLE_S = 60
CULL_INTERVAL_S = 30
# Each app keeps POOL_SIZE kernels that have already run it, waiting for the next pages. A used
# kernel's successor starts POOL_REFILL_S later, once the page that took it has mostly been
# drawn. With one kernel replaced after 10 s, the second of two users 2 s apart waited 12 s;
# measured by benchmarks/burst.py (RESULTS.md), described in docs/deployment.md ("预热内核").
POOL_SIZE = 2
POOL_REFILL_S = 3.0


def _env_number(name: str, default: float, *, lowest: float, highest: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if lowest <= value <= highest else default


def cull_timing() -> tuple[int, int]:
    """(idle seconds before a kernel with no browser is shut down, seconds between looks).

    `KIT_KERNEL_IDLE_S` overrides the idle time (the tests use a few seconds).
    """
    raw = os.environ.get("KIT_KERNEL_IDLE_S", "").strip()
    idle = int(raw) if raw.isdigit() and int(raw) > 0 else CULL_IDLE_S
    return idle, max(1, min(CULL_INTERVAL_S, idle // 2))


def pool_settings() -> tuple[int, float]:
    """(kernels kept waiting per app, seconds before a used one is replaced).

    `KIT_POOL_SIZE` (0–8; 0 turns preheating off) and `KIT_POOL_REFILL_S` (0–60) override them.
    """
    size = int(_env_number("KIT_POOL_SIZE", POOL_SIZE, lowest=0, highest=8))
    return size, _env_number("KIT_POOL_REFILL_S", POOL_REFILL_S, lowest=0, highest=60)


def notebooks_dir() -> Path:
    """The apps: `./notebooks` when run from the project, else the one beside the package."""
    here = Path.cwd() / "notebooks"
    return here if here.is_dir() else Path(__file__).resolve().parents[1] / "notebooks"


def _describe(path: Path) -> tuple[str, str, int]:
    """Title (notebook metadata), lead (first paragraph of the title cell) and order of a notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return path.stem, "", 999
    meta = nb.get("metadata", {})
    lead = ""
    first = next((c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"), None)
    if first:
        source = first.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip() and not p.lstrip().startswith("#")]
        lead = paragraphs[0] if paragraphs else ""
    return str(meta.get("title") or path.stem), lead, int(meta.get("kit_order", 100))


def shown_to(folder: str, roles: frozenset[str]) -> bool:
    """Whether a folder of apps (and what is inside it) is listed to a user holding `roles`."""
    needed = FOLDER_ROLES.get(folder.strip("/").split("/", 1)[0])
    return needed is None or needed in roles


def listing(root: Path, folder: str = "", roles: frozenset[str] = frozenset()) -> list[dict[str, str]]:
    """The entries of one folder of apps for the page at "/": apps in their order, then the folders
    this user's `roles` may see."""
    here = root / folder.strip("/")
    apps, folders = [], []
    for path in sorted(here.iterdir()):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".ipynb":
            title, lead, order = _describe(path)
            apps.append((order, title, {"type": "notebook", "path": rel, "title": title, "lead": lead}))
        elif path.is_dir() and not path.name.startswith((".", "_")) and shown_to(rel, roles):
            title, lead = FOLDER_TITLES.get(rel, (path.name, ""))
            folders.append({"type": "directory", "path": rel, "title": title, "lead": lead})
    return [entry for _order, _title, entry in sorted(apps, key=lambda a: (a[0], a[1]))] + folders


def page_config_hook(
    page_config: dict[str, Any],
    base_url: str,
    settings: dict[str, Any],
    log: Any,
    voila_configuration: Any,
    notebook_path: str,
    **_: Any,
) -> dict[str, Any]:
    """Give the page at "/" Chinese titles and the entries its user may see (`PAGE_ROLES`).

    Voilà ignores the return value: the page's configuration is changed in place.
    """
    root = Path(settings["contents_manager"].root_dir)
    folder = (notebook_path or "").strip("/")
    roles = PAGE_ROLES.get()
    entries = listing(root, folder, roles) if (root / folder).is_dir() and shown_to(folder, roles) else []
    page_config["kit"] = {"site_title": SITE_TITLE, "site_lead": SITE_LEAD, "entries": entries}
    return page_config


def voila_command(folder: Path, *, port: int, preheat: bool) -> list[str]:
    """Voilà's command line: nothing secret on it (the token comes from a file, see `start_voila`)."""
    args = [
        sys.executable,
        "-m",
        "voila",
        str(folder),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--template=kit",
        f"--Voila.config_file_paths={SHARE / 'voila'}",
        "--Voila.auto_token=True",  # the token is read from JUPYTER_TOKEN_FILE; never served without one
        "--VoilaConfiguration.show_tracebacks=False",
        # Kernels stay on TCP ports of 127.0.0.1: with Unix sockets (KernelManager.transport=ipc)
        # about one page in seven of the inspection app, opened without a preheated kernel,
        # never showed its widgets (tried 2026-12-01: 2 of 12, against 0 of 18 on TCP). Their
        # ports are picked below the system's ephemeral range (kit.kernel_ports, set in kit.voila_auth).
    ]
    size, _refill = pool_settings()
    if preheat and size > 0:
        args += ["--preheat_kernel=True", f"--pool_size={size}"]
    # Only these headers reach the kernels: the page's token (always set by the server itself)
    # and, behind a proxy, the user's name, which the proxy must overwrite (docs/deployment.md).
    headers = [SESSION_HEADER] + ([identity.header_name()] if identity.mode() == "header" else [])
    args.append(f"--VoilaConfiguration.http_header_envs={json.dumps(headers)}")
    return args


def server_env(db_path: Path, service_address: str, *, token_path: Path | None = None) -> dict[str, str]:
    """The server's environment: our template on JUPYTER_PATH, the file and its data service.

    The access token is not in it (kernels inherit this environment): only the path of
    the file Voilà reads it from at start, which is gone once Voilà answers.
    """
    env = dict(os.environ)
    for name in TOKEN_ENVS:
        env.pop(name, None)
    if token_path is not None:
        env["JUPYTER_TOKEN_FILE"] = str(token_path)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(SHARE / "jupyter"), env.get("JUPYTER_PATH")]))
    env["KIT_DB"] = str(db_path.resolve())
    env["KIT_MODE"] = "service"
    env["KIT_SERVICE"] = service_address
    # A user's header or token reaches a kernel only from its own request, never from the server's environment.
    for name in (identity.header_env(), identity.header_env(SESSION_HEADER), "KIT_SESSION_TOKEN"):
        env.pop(name, None)
    if identity.mode() == "local":
        secret = tokens.read_secret(config.secret_path(db_path.resolve()))
        if secret is not None:
            env["KIT_SESSION_TOKEN"] = tokens.mint(secret, config.operator(), ttl_s=OPERATOR_TOKEN_TTL_S)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@contextmanager
def data_service(db_path: Path, *, output: IO[bytes] | None = None) -> Iterator[tuple[str, Supervisor | None]]:
    """The file's data service: the one already running for it, or one started (and stopped) here.

    Yields its address and, if started here, its supervisor. With `KIT_SERVICE` set, that
    service is waited for and used, never replaced. A file from an older program is
    upgraded before a service started here opens it.

    Raises:
        ServiceUnavailable: the service did not start (its output says why).
    """
    named = config.service_address()
    if named:  # the deployment names the data service to use (kit-data.service): wait for it, never start one
        client.ping(db_path.resolve(), wait_s=max(60.0, config.lock_wait_s()), actor=config.operator())
        yield named, None
        return
    found = client.found(db_path.resolve())
    if found is not None and found.alive():
        yield found.address, None
        return
    db.init(db_path)
    supervisor = Supervisor(db_path, output=output)
    supervisor.start()
    try:
        yield supervisor.address, supervisor
    finally:
        supervisor.stop()


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


@contextmanager
def token_file(token: str) -> Iterator[Path]:
    """The access token in a file only this account can read (in a folder of its own), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="kit-token-"))  # 0700
    path = folder / "token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token)
    try:
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def start_voila(
    folder: Path, db_path: Path, service_address: str, *, port: int, preheat: bool, token: str, **popen: Any
) -> tuple[subprocess.Popen[bytes], bool]:
    """Voilà for the apps in `folder`, and whether it answered on `port`.

    The token reaches Voilà through a file it reads at start, removed once it answers:
    it is on no command line, in no environment (Voilà's or its kernels') and on no disk.
    """
    with token_file(token) as path:
        proc = subprocess.Popen(
            voila_command(folder, port=port, preheat=preheat),
            env=server_env(db_path, service_address, token_path=path),
            cwd=folder,
            **popen,
        )
        return proc, wait_for_port(port, proc)


def _process(pid: int) -> tuple[int, str] | None:
    """A process as (pid, start time): a pid alone may be reused once its process is gone."""
    try:
        return pid, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[tuple[int, str]]:
    """The processes started by `pid` and by them (Linux; none elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found: set[tuple[int, str]] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            process = _process(child)
            if process is not None:
                found.add(process)
                todo.append(child)
    return found


def stop_voila(proc: subprocess.Popen[bytes], *, grace_s: float = 15.0) -> None:
    """Stop Voilà and every kernel it started (kernels run in sessions of their own and outlive it)."""
    started = descendants(proc.pid)
    # Ctrl+C first (Voilà then shuts its kernels down itself); SIGTERM if it ignores SIGINT,
    # as a process started in the background by a shell does; then SIGKILL.
    for how, wait_s in ((signal.SIGINT, grace_s / 3), (signal.SIGTERM, grace_s * 2 / 3), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        proc.send_signal(how)
        deadline = time.monotonic() + wait_s
        while proc.poll() is None and time.monotonic() < deadline:
            started |= descendants(proc.pid)  # a kernel may still be starting
            time.sleep(0.1)
    for how in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid, since in started if _process(pid) == (pid, since)]
        for pid in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, how)
        deadline = time.monotonic() + 5
        while alive and time.monotonic() < deadline:
            alive = [pid for pid, since in started if _process(pid) == (pid, since)]
            time.sleep(0.1)
        if not alive:
            return


def _interrupted(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def run(*, db_path: Path, port: int, preheat: bool = True, open_browser: bool = False) -> int:
    """Serve until interrupted; prints the address (with its access token) once it answers."""
    token = os.environ.get("KIT_TOKEN") or secrets.token_hex(16)
    folder = notebooks_dir()
    # SIGTERM (systemd, kill) stops everything started here, as Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupted)
    with data_service(db_path) as (address, _supervisor):
        proc, answered = start_voila(folder, db_path, address, port=port, preheat=preheat, token=token)
        try:
            if not answered:
                print("监督台未能启动，请查看上方日志。", file=sys.stderr)
                return 1
            print(
                f"\n监督台已启动：http://127.0.0.1:{port}/?token={token}\n"
                f"数据库：{db_path.resolve()}（数据服务 {address}）\n按 Ctrl+C 停止。\n",
                flush=True,
            )
            if open_browser:
                import webbrowser

                webbrowser.open(f"http://127.0.0.1:{port}/?token={token}")
            return proc.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            for name in (signal.SIGTERM, signal.SIGINT):  # a second signal must not cut the stopping short
                signal.signal(name, signal.SIG_IGN)
            stop_voila(proc)
