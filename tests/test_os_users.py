"""JupyterHub mode with each analyst as an OS user of their own (docs/deployment.md, 模式三).

The data service alone can read the office file: it lives in a 0750 folder of the service's
account (here the test's own, root). Each analyst's Python runs as a throw-away OS user, as
JupyterHub's LocalProcessSpawner would start it: with the service's address and the user's own
Hub token, nothing else. The Hub is the stand-in of tests/test_service.py, mapping tokens to names.
Whatever such a process claims or tries, it acts only as the user its token names.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kit import access, config, db
from kit.service.supervisor import Supervisor

from . import test_service, workers

if os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("userdel")):
    pytest.skip("需要以 root 运行且有 useradd/userdel：测试要创建临时的系统账户", allow_module_level=True)

pytestmark = pytest.mark.own_service

UNITS = ("第0县委", "第1县委", "第2县委")  # workers.prepare's unit names
SCOPED, ALL_UNITS = "县分析员", "州分析员"  # kit user names (display names: the same)
YEAR = 2024
# label -> (changes to the process's environment, None unsetting a variable; a Python expression)
Attempts = dict[str, tuple[dict[str, str | None], str]]

# Runs as the analyst's OS user: kit from this interpreter's site-packages (argv[1]), the
# attempts in argv[2] (JSON: label -> [environment changes, expression]), one JSON answer on stdout.
CLIENT = r"""
import json, os, site, sys
site.addsitedir(sys.argv[1])
import duckdb
from pathlib import Path
from kit import analysis, assessments, db, registry, schemes

DB = Path(os.environ["KIT_DB"])
GIVEN = dict(os.environ)

def who():
    with db.read() as con:
        return con.actor

def units():
    with db.read() as con:
        return json.dumps(registry.list_units(con), ensure_ascii=False)

def save_a_sheet():
    with db.read() as con:
        unit = registry.list_units(con)[0]["id"]
        scheme = schemes.get_scheme(con, schemes.list_schemes(con)[0]["id"])
    with db.write(action="保存评分表") as con:
        assessments.save_sheet(
            con, scheme_id=scheme.id, unit_id=unit, year=2024, scores={i.id: "1" for i in scheme.indicators}
        )

answers = {}
for label, (env, code) in json.loads(sys.argv[2]).items():
    os.environ.clear()
    os.environ.update(GIVEN)
    for key, value in env.items():  # null: unset
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        answers[label] = {"ok": eval(code)}
    except BaseException as e:
        answers[label] = {"error": type(e).__name__, "message": str(e)}
print(json.dumps(answers, ensure_ascii=False, default=str))
"""


@dataclass
class Analyst:
    name: str  # the kit and Hub user name
    login: str  # the OS account their Python runs as
    token: str  # their Hub API token
    home: Path


@dataclass
class Office:
    db: Path
    address: str
    analysts: dict[str, Analyst]
    python: str

    def run_as(self, analyst: Analyst, attempts: Attempts) -> dict[str, Any]:
        """Each attempt (environment changes, Python expression) in one process of `analyst`'s OS user."""
        env = {
            "HOME": str(analyst.home),
            # What the spawner gives each user's server (deploy/jupyterhub_config.py) and the Hub adds.
            "KIT_DB": str(self.db),
            "KIT_MODE": "service",
            "KIT_SERVICE": self.address,
            "KIT_AUTH": "hub",
            "JUPYTERHUB_USER": analyst.name,
            "JUPYTERHUB_API_TOKEN": analyst.token,
        }
        site = sysconfig.get_paths()["purelib"]
        done = _as_user(analyst.login, [self.python, "-I", "-S", "-c", CLIENT, site, json.dumps(attempts)], env)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _as_user(login: str, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    account = pwd.getpwnam(login)
    return subprocess.run(
        command,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env},
        cwd="/",
        user=account.pw_uid,
        group=account.pw_gid,
        extra_groups=[],  # not the test's (root's) supplementary groups
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _add_user(login: str) -> None:
    options = ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
    subprocess.run(["useradd", *options, "--shell", "/usr/sbin/nologin", login], check=True, capture_output=True)


def _remove_user(login: str) -> None:
    subprocess.run(["userdel", login], check=False, capture_output=True)
    subprocess.run(["groupdel", login], check=False, capture_output=True)  # if userdel left it


def _python_for(login: str, home: Path) -> str | None:
    """An interpreter `login` may run that imports kit from this one's site-packages.

    A virtual environment made from a Python in root's home (pyenv) cannot be run by other
    accounts; the system's Python of the same version can, with the same packages.
    """
    major, minor = sys.version_info[:2]
    site = sysconfig.get_paths()["purelib"]
    probe = (
        f"import site, sys; site.addsitedir({site!r}); import kit, duckdb; "
        f"assert sys.version_info[:2] == ({major}, {minor})"
    )
    for candidate in (sys.executable, f"/usr/bin/python{major}.{minor}", f"/usr/local/bin/python{major}.{minor}"):
        if not Path(candidate).exists():
            continue
        try:
            done = _as_user(login, [candidate, "-I", "-S", "-c", probe], {"HOME": str(home)})
        except PermissionError:  # not executable by that account
            continue
        if done.returncode == 0:
            return candidate
    return None


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    """Two throw-away OS users, an office only the data service can read, the service and a stand-in Hub."""
    tag = secrets.token_hex(3)
    logins = {SCOPED: f"kitt{tag}a", ALL_UNITS: f"kitt{tag}b"}
    created: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="kit-os-users-"))
    hub: HTTPServer | None = None
    supervisor: Supervisor | None = None
    try:
        work.chmod(0o755)  # the analysts' homes are inside; the office folder is not theirs to enter
        folder = work / "office"
        folder.mkdir(mode=0o750)
        folder.chmod(0o750)
        path = folder / "kit.duckdb"
        setup = workers.prepare(path, units=len(UNITS), writers=["录入员0"])
        for n, unit in enumerate(setup["units"]):
            workers.save_one(path, setup, unit, YEAR, n, "录入员0")
        with db.write(path, action="登记分析员") as con:
            for name in (SCOPED, ALL_UNITS):
                access.add_user(con, name=name, roles=["analyst"])
            access.grant_scope(con, name=SCOPED, kind="unit", unit_id=setup["units"][1])
            access.grant_scope(con, name=ALL_UNITS, kind="all")

        analysts = {}
        for name, login in logins.items():
            _add_user(login)
            created.append(login)
            home = work / f"home-{login}"
            home.mkdir(mode=0o700)
            account = pwd.getpwnam(login)
            os.chown(home, account.pw_uid, account.pw_gid)
            analysts[name] = Analyst(name, login, secrets.token_hex(16), home)
        python = _python_for(logins[SCOPED], analysts[SCOPED].home)
        if python is None:
            pytest.skip("找不到其他系统账户能运行、且能导入本项目 kit 的 Python 解释器")

        class Hub(test_service._Hub):
            users: ClassVar[dict[str, str]] = {a.token: a.name for a in analysts.values()}

        hub = HTTPServer(("127.0.0.1", 0), Hub)
        threading.Thread(target=hub.serve_forever, daemon=True).start()
        with (work / "service.log").open("wb") as out, pytest.MonkeyPatch.context() as env:
            env.setenv("KIT_HUB_API_URL", f"http://127.0.0.1:{hub.server_port}/hub/api")
            supervisor = Supervisor(path, output=out)
            supervisor.start()
        yield Office(path, supervisor.address, analysts, python)
    finally:
        if supervisor is not None:
            supervisor.stop()
        if hub is not None:
            hub.shutdown()
        for login in created:
            _remove_user(login)
        shutil.rmtree(work, ignore_errors=True)


def test_an_analysts_process_cannot_open_the_file_or_read_the_key(office: Office) -> None:
    secret = config.secret_path(office.db)
    assert secret.exists()
    answers = office.run_as(
        office.analysts[SCOPED],
        {
            "open": ({}, "duckdb.connect(str(DB))"),
            "open read-only": ({}, "duckdb.connect(str(DB), read_only=True)"),
            "read the key": ({}, f"open({str(secret)!r}, 'rb').read()"),
            "embedded": ({"KIT_MODE": "embedded"}, "who()"),
        },
    )
    for label in ("open", "open read-only"):
        assert "Permission denied" in answers[label].get("message", ""), answers[label]
    assert answers["read the key"]["error"] == "PermissionError"
    assert answers["embedded"]["error"] == "PermissionError"


def test_only_the_token_says_who_an_analyst_is(office: Office) -> None:
    scoped, other = office.analysts[SCOPED], office.analysts[ALL_UNITS]
    answers = office.run_as(
        scoped,
        {
            "as given": ({}, "who()"),
            "claims another hub user": ({"JUPYTERHUB_USER": other.name}, "who()"),
            "claims an operator": ({"KIT_OPERATOR": "本机操作员", "JUPYTERHUB_USER": "本机操作员"}, "who()"),
            "local operator": ({"KIT_AUTH": "local", "KIT_OPERATOR": "本机操作员"}, "who()"),
            "no auth mode": ({"KIT_AUTH": None, "KIT_OPERATOR": other.name, "JUPYTERHUB_USER": other.name}, "who()"),
        },
    )
    for label in ("as given", "claims another hub user", "claims an operator", "no auth mode"):
        assert answers[label] == {"ok": SCOPED}, label
    # Without the Hub token and unable to read the key, a local operator cannot be proved.
    assert answers["local operator"]["error"] == "PermissionDenied"
    assert "密钥文件" in answers["local operator"]["message"]


def test_a_scoped_analyst_reads_only_their_unit_and_one_for_all_units_reads_all(office: Office) -> None:
    reads: Attempts = {
        "sheets": ({}, f"analysis.sheets(year={YEAR}).to_csv()"),
        "units": ({}, "units()"),
        "query": ({}, "analysis.query('SELECT count(*) AS n FROM score_sheets').to_dict('records')"),
    }
    scoped = office.run_as(office.analysts[SCOPED], reads)
    for label in ("sheets", "units"):
        text = scoped[label]["ok"]
        assert UNITS[1] in text, label
        assert UNITS[0] not in text, label
        assert UNITS[2] not in text, label
    assert scoped["query"]["error"] == "PermissionDenied"
    assert "自由 SQL" in scoped["query"]["message"]

    everyone = office.run_as(office.analysts[ALL_UNITS], reads)
    for label in ("sheets", "units"):
        assert all(unit in everyone[label]["ok"] for unit in UNITS), label  # the content check can fail
    assert everyone["query"] == {"ok": [{"n": len(UNITS)}]}


def test_an_analyst_cannot_write_and_the_refusal_is_traced(office: Office) -> None:
    before = len(test_service._refusals(office.db))
    answers = office.run_as(office.analysts[ALL_UNITS], {"save": ({}, "save_a_sheet()")})
    assert answers["save"]["error"] == "PermissionDenied"
    assert "录入员" in answers["save"]["message"]
    refusals = test_service._refusals(office.db)
    assert len(refusals) == before + 1
    assert refusals[-1]["actor"] == ALL_UNITS
    assert refusals[-1]["操作"] == "录入评分"


def test_a_forged_hub_token_is_refused_and_traced(office: Office) -> None:
    before = len(test_service._refusals(office.db))
    forged: dict[str, str | None] = {"JUPYTERHUB_API_TOKEN": secrets.token_hex(16)}
    answers = office.run_as(office.analysts[SCOPED], {"forged": (forged, "who()"), "own again": ({}, "who()")})
    assert answers["forged"]["error"] == "PermissionDenied"
    assert "JupyterHub" in answers["forged"]["message"]
    assert answers["own again"] == {"ok": SCOPED}
    refusals = test_service._refusals(office.db)
    assert len(refusals) == before + 1
    assert refusals[-1]["actor"] == "（未经核实的请求）"
    assert refusals[-1]["操作"] == "身份凭据伪造"
