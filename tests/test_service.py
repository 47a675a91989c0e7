"""The data service as its clients meet it: the one holder of the file, the door, verified identities.

Each test starts a real service as a child process (kit.service.supervisor or
tests.service_host.spawn) and talks to it as the apps, analysts and the command line do.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kit import access, assessments, audit, backup, config, db, integrity, registry
from kit.errors import Busy, DatabaseError, InvalidInput, KitError, OutcomeUnknown, PermissionDenied
from kit.service import client, tokens
from kit.service.server import EXIT_RESTART
from kit.service.supervisor import Supervisor

from . import service_host, workers

pytestmark = pytest.mark.own_service


@pytest.fixture
def office(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Ten counties and the test writers, prepared offline, then served by a supervised data service."""
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=10)
    with (tmp_path / "service.log").open("wb") as out:
        supervisor = Supervisor(path, output=out)
        supervisor.start()
        try:
            yield {**setup, "db": path, "supervisor": supervisor}
        finally:
            supervisor.stop()


def _refusals(path: Path) -> list[dict[str, Any]]:
    with db.read(path) as con:
        rows = con.all("SELECT actor, after_json FROM trace_log WHERE action = '拒绝访问' ORDER BY seq")
    return [{"actor": actor, **json.loads(after)} for actor, after in rows]


def _another_program_can_open(path: Path) -> bool:
    script = f"import duckdb; duckdb.connect({str(path)!r})"
    opened = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert opened.returncode == 0 or "lock" in opened.stderr.lower(), opened.stderr
    return opened.returncode == 0


def test_the_service_alone_holds_the_file_and_runs_kit_there(office: dict[str, Any], tmp_path: Path) -> None:
    path = office["db"]
    with db.write(path, action="测试") as con:
        assert isinstance(con, db.RemoteConnection)
        person = registry.add_person(con, name="甲")
        assert con.trace_tail is not None  # the tail of the service's transaction, as kit.trace keeps it
    assert not _another_program_can_open(path)
    backup.backup(path, tmp_path / "backups")  # copying the file must not let go of it
    assert not _another_program_can_open(path)
    with db.read(path) as con:
        assert registry.list_people(con)[-1] == {"id": person, "name": "甲", "unit_name": None, "post": None}


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        ("", "身份凭据缺失"),
        ("kit1.5pyy5Lq6.9999999999.00.forged", "身份凭据伪造"),
        ("not-a-token", "身份凭据无效"),
        ("expired", "身份凭据过期"),
        ("forged-key", "身份凭据伪造"),
    ],
)
def test_a_missing_forged_or_expired_identity_is_refused_and_traced(
    office: dict[str, Any], credential: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    secret = tokens.read_secret(config.secret_path(path))
    assert secret is not None
    if credential == "expired":
        credential = tokens.mint(secret, "本机操作员", ttl_s=-1)
    elif credential == "forged-key":
        credential = tokens.mint(b"x" * 64, "本机操作员")
    before = len(_refusals(path))
    monkeypatch.setenv("KIT_SESSION_TOKEN", credential or "placeholder")
    monkeypatch.setattr(client, "credential", lambda *_a, **_k: credential)
    with pytest.raises(PermissionDenied), db.write(path, action="测试") as con:
        registry.add_person(con, name="不应写入")
    monkeypatch.undo()
    refusals = _refusals(path)
    assert len(refusals) == before + 1
    assert refusals[-1]["操作"] == reason
    with db.read(path) as con:
        assert "不应写入" not in {p["name"] for p in registry.list_people(con)}


def test_a_page_token_names_the_only_user_a_request_acts_as(
    office: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    with db.write(path, action="登记") as con:
        access.add_user(con, name="luru", display_name="王丽", roles=["entry"])
        access.grant_scope(con, name="luru", kind="unit", unit_id=office["units"][0])
    secret = tokens.read_secret(config.secret_path(path))
    assert secret is not None
    monkeypatch.setenv("HTTP_X_KIT_SESSION", tokens.mint(secret, "luru"))
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")  # a claim, not an identity: ignored
    with db.read(path) as con:
        assert (con.actor, access.user(con).display_name) == ("luru", "王丽")
        assert [u["id"] for u in registry.list_units(con)] == [office["units"][0]]
        with pytest.raises(PermissionDenied, match="自由 SQL"):
            con.all("SELECT count(*) FROM units")


class _Hub(BaseHTTPRequestHandler):
    """JupyterHub's `GET /hub/api/user` as the Hub answers it: the user of a known token, else 403."""

    users: ClassVar[dict[str, str]] = {"good-hub-token": "王五"}  # token -> name (a subclass may give others)

    def do_GET(self) -> None:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        name = self.users.get(token) if scheme == "token" else None
        if self.path == "/hub/api/user" and name is not None:
            body = json.dumps({"name": name, "kind": "user"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(403)
            self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_a_jupyterhub_users_own_token_is_checked_with_the_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "office.duckdb"
    workers.prepare(path, units=2, writers=["王五"])
    hub = HTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    monkeypatch.setenv("KIT_HUB_API_URL", f"http://127.0.0.1:{hub.server_port}/hub/api")
    supervisor = Supervisor(path)
    supervisor.start()
    try:
        monkeypatch.setenv("KIT_AUTH", "hub")
        monkeypatch.setenv("JUPYTERHUB_USER", "本机操作员")  # a claim: only the token counts
        monkeypatch.setenv("KIT_SECRET_FILE", str(tmp_path / "not-readable-here"))  # an analyst cannot read the key
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "good-hub-token")
        with db.read(path) as con:
            assert con.actor == "王五"
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "stolen-or-stale")
        with pytest.raises(PermissionDenied, match="JupyterHub"), db.read(path):
            pass
    finally:
        supervisor.stop()
        hub.shutdown()


def test_free_sql_is_one_select_for_users_who_see_every_unit(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        assert con.scalar("SELECT count(*) FROM units") == 10
        assert len(con.df("SELECT * FROM units")) == 10
    for sql in ("DELETE FROM units", "SELECT 1; DELETE FROM units", "CHECKPOINT", "SET threads = 1"):
        with pytest.raises(InvalidInput, match="SELECT"), db.read(office["db"]) as con:
            con.all(sql)
    with pytest.raises(DatabaseError, match="Permission"), db.read(office["db"]) as con:
        con.all("SELECT * FROM read_text('/etc/hostname')")  # no file but the office's own
    with db.read(office["db"]) as con:
        assert con.scalar("SELECT count(*) FROM units") == 10


def test_only_kits_checked_functions_can_be_called(office: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied, match="不提供"), db.write(office["db"], action="测试") as con:
        assert isinstance(con, db.RemoteConnection)
        con.forward(
            "kit.trace.record", [], {"action": "伪造", "table": "units", "key": "X", "before": None, "after": {}}
        )
    with pytest.raises(PermissionDenied, match="不能直接写入"), db.write(office["db"], action="测试") as con:
        con.insert_rows("units", [[99, "X", "伪造", "county"]])
    with db.read(office["db"]) as con:
        assert audit.verify(con).ok
        assert not con.all("SELECT * FROM trace_log WHERE action = '伪造'")


def test_writers_take_turns_a_wait_names_the_writer_and_a_dead_client_takes_its_transaction_along(
    office: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=workers.hold_a_write_session, args=(str(path), ready))
    holder.start()
    try:
        assert ready.wait(120)
        with pytest.raises(Busy) as waited, db.write(path, action="测试", wait_s=0.5) as con:
            registry.add_person(con, name="也不应写入")
        assert "本机操作员正在长时间录入" in waited.value.message
        assert "未写入任何数据" in waited.value.message
    finally:
        holder.kill()  # mid-session, as a closed laptop or a crashed kernel
        holder.join()
    monkeypatch.setenv("KIT_LOCK_WAIT", "30")
    with db.write(path, action="测试") as con:  # the turn came back with the dead client's exchange
        registry.add_person(con, name="乙")
    with db.read(path) as con:
        names = {p["name"] for p in registry.list_people(con)}
    assert "乙" in names
    assert not names & {"不应保存", "也不应写入"}


def test_a_client_that_goes_silent_inside_a_write_loses_it_and_frees_the_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "office.duckdb"
    workers.prepare(path, units=2)
    monkeypatch.setenv("KIT_WRITE_IDLE_S", "1")
    supervisor = Supervisor(path)
    supervisor.start()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=workers.hold_a_write_session, args=(str(path), ready))
    holder.start()
    try:
        assert ready.wait(120)
        os.kill(holder.pid or 0, signal.SIGSTOP)  # alive, connected, silent
        monkeypatch.setenv("KIT_LOCK_WAIT", "60")
        with db.write(path, action="测试") as con:
            registry.add_person(con, name="乙")
    finally:
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join()
        supervisor.stop()
    with db.read(path) as con:
        names = {p["name"] for p in registry.list_people(con)}
    assert "乙" in names
    assert "不应保存" not in names


def test_a_service_whose_supervisor_dies_stops_and_lets_go_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "office.duckdb"
    workers.prepare(path, units=2)
    script = (
        "import time\nfrom pathlib import Path\nfrom kit.service.supervisor import Supervisor\n"
        f"Supervisor(Path({str(path)!r})).start()\nprint('ready', flush=True)\ntime.sleep(600)\n"
    )
    supervisor = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert supervisor.stdout is not None
        assert any(line.strip() == "ready" for line in iter(supervisor.stdout.readline, ""))  # after its own line
        assert not _another_program_can_open(path)
    finally:
        supervisor.kill()  # as `kit serve` killed outright
        supervisor.wait()
    deadline = time.monotonic() + 120
    while client.service_file(path).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not client.service_file(path).exists(), "the orphaned service did not stop"
    assert _another_program_can_open(path)


def test_the_log_is_merged_into_the_file_when_nobody_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "office.duckdb"
    workers.prepare(path, units=2)
    monkeypatch.setenv("KIT_CHECKPOINT_IDLE_S", "0.5")
    supervisor = Supervisor(path)
    supervisor.start()
    try:
        with db.write(path, action="测试") as con:
            registry.add_person(con, name="甲")
        wal = path.with_name(path.name + ".wal")
        workers_seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            workers_seen.append(wal.exists() and wal.stat().st_size)
            if not workers_seen[-1]:
                break
            time.sleep(0.1)
        assert not workers_seen[-1], "the service never merged its log"
        assert any(workers_seen), "the save never reached the log: the test proved nothing"
    finally:
        supervisor.stop()


@pytest.mark.parametrize(
    ("point", "kept"),
    # "during-commit": killed a moment after a large commit began; kept or not, the writer is told which.
    [("before-commit", False), ("during-commit", None), ("after-commit", True), ("after-reply", True)],
)
def test_a_service_killed_at_a_commit_tells_the_writer_the_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str, kept: bool | None
) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=20)
    monkeypatch.setenv("KIT_SERVICE_FAULT", f"{point}:1")
    monkeypatch.setenv("KIT_SERVICE_FAULT_ONCE", str(tmp_path / "armed"))
    supervisor = Supervisor(path)
    supervisor.start()
    try:
        told, message = "saved", ""
        try:
            _long_batch(path, setup, 2020)  # twenty long sheets: a commit that takes a while to write
        except DatabaseError as e:
            told, message = "not_saved", e.message
        # (after the reply, the client may hear it before the service is gone: wait for the restart)
        supervisor.wait_restarted(1, timeout_s=120)
        with db.read(path) as con:
            present = {y for (y,) in con.all("SELECT count(*) FROM score_sheets WHERE year = 2020")} == {20}
            absent = not con.all("SELECT 1 FROM score_sheets WHERE year = 2020")
            chain = audit.verify(con)
            _, findings = integrity.compare(con)
    finally:
        supervisor.stop()
    assert present or absent, "part of one transaction was kept"
    assert (told == "saved") == present
    if kept is not None:
        assert kept == present
    assert told == "saved" or "未保存，未写入任何数据" in message
    assert chain.ok, chain.reason
    assert findings == []


@pytest.mark.slow
def test_killing_the_service_twenty_times_under_writers_loses_no_acknowledged_save(tmp_path: Path) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=200)
    with (tmp_path / "service.log").open("wb") as out:
        supervisor = Supervisor(path, output=out)
        supervisor.start()
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        logs = [tmp_path / f"writer{i}.jsonl" for i in range(3)]
        writers = [
            ctx.Process(target=workers.outcome_writer, args=(str(path), setup, i, stop, str(logs[i]), 0.02))
            for i in range(3)
        ]
        for w in writers:
            w.start()
        rng = random.Random(20)
        try:
            for n in range(20):
                time.sleep(rng.uniform(0.3, 1.2))
                supervisor.kill()
                supervisor.wait_restarted(n + 1, timeout_s=120)
            time.sleep(1.0)
        finally:
            stop.set()
            for w in writers:
                w.join(timeout=120)
            supervisor.stop()
    told = [e for log in logs for e in workers.read_log(log)]
    assert [e for e in told if "crash" in e] == []
    saved = {(e["unit"], e["year"]) for e in told if e["outcome"] == "saved"}
    not_saved = {(e["unit"], e["year"]) for e in told if e["outcome"] == "not_saved"}
    unknown = [e for e in told if e["outcome"] == "unknown"]
    assert len(not_saved) >= 1, "no save was ever cut short: the kills proved nothing"
    with db.read(path) as con:
        present = {(u, y) for u, y in con.all("SELECT unit_id, year FROM score_sheets")}
        lines = con.all("SELECT count(*) FROM scores GROUP BY sheet_id")
        chain = audit.verify(con)
        _, findings = integrity.compare(con)
    assert saved <= present, f"told saved, but missing: {sorted(saved - present)[:5]}"
    assert not (not_saved & present), f"told not saved, but written: {sorted(not_saved & present)[:5]}"
    assert present <= saved | {(e["unit"], e["year"]) for e in unknown}
    assert {n for (n,) in lines} <= {10}, "a sheet without all its scores"
    assert chain.ok, chain.reason
    assert findings == []
    print(f"\n20 kills: {len(saved)} saved, {len(not_saved)} not saved, {len(unknown)} unknown")


def _limit_file_size(limit: int) -> Any:
    """For a child: files may not grow past `limit` bytes; a write past it fails (EFBIG) as on a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def _long_batch(path: Path, setup: dict[str, Any], year: int) -> None:
    """Twenty long sheets in one transaction."""
    with db.write(path, action="批量导入评分表", actor="录入员0") as con:
        for n, unit in enumerate(setup["units"][:20]):
            assessments.save_sheet(
                con,
                scheme_id=setup["scheme"],
                unit_id=unit,
                year=year,
                scores=workers.scores_of(setup, year + n),
                notes={ind: f"{year}年说明" + "详" * 480 for ind in setup["indicators"]},
                note=f"{year}年总体评价" + "评" * 1900,
            )


def test_a_full_disk_at_commit_refuses_that_save_and_keeps_every_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=20)
    monkeypatch.setenv("KIT_CHECKPOINT_IDLE_S", "100000")  # only the log grows: the commit is what fails
    monkeypatch.setenv("KIT_CHECKPOINT_WAL_MB", "100000")
    log = (tmp_path / "service.log").open("wb")
    service = service_host.spawn(path, log, preexec_fn=_limit_file_size(path.stat().st_size + 64 * 1024))
    committed, refused = [], None
    try:
        for year in range(2001, 2026):
            try:
                _long_batch(path, setup, year)
            except DatabaseError as e:
                refused = (year, e.message)
                break
            committed.append(year)
        assert service.poll() is None, "the service died: a failed commit must leave it running"
    finally:
        service.terminate()  # its last checkpoint fails too: the log stays, and is replayed
        service.wait(timeout=60)
    assert refused is not None, "the limit was never reached: the test proved nothing"
    assert committed, "the first batch already failed: no save landed before the disk was full"
    assert "未保存，未写入任何数据" in refused[1]
    service = service_host.spawn(path, log)  # room again
    try:
        with db.read(path) as con:
            years = {y for (y,) in con.all("SELECT DISTINCT year FROM score_sheets")}
            lines = {n for (n,) in con.all("SELECT count(*) FROM scores GROUP BY sheet_id")}
            chain = audit.verify(con)
            _, findings = integrity.compare(con)
        _long_batch(path, setup, refused[0])  # and the refused batch can be saved now
    finally:
        service.terminate()
        service.wait(timeout=60)
        log.close()
    assert years == set(committed)
    assert lines == {10}
    assert chain.ok, chain.reason
    assert findings == []


def test_a_full_disk_at_a_checkpoint_restarts_the_service_and_every_save_is_told_the_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "office.duckdb"
    setup = workers.prepare(path, units=200)
    monkeypatch.setenv("KIT_CHECKPOINT_WAL_MB", "0.05")  # merge often: the file itself must grow
    monkeypatch.setenv("KIT_CHECKPOINT_IDLE_S", "0.2")
    monkeypatch.setenv("KIT_LOCK_WAIT", "5")
    log = (tmp_path / "service.log").open("wb")
    limited = service_host.spawn(path, log, preexec_fn=_limit_file_size(path.stat().st_size + 128 * 1024))
    replaced: list[subprocess.Popen[bytes]] = []

    def replace_when_it_dies() -> None:  # what the supervisor does, without the limit
        limited.wait()
        replaced.append(service_host.spawn(path, log))

    watcher = threading.Thread(target=replace_when_it_dies, daemon=True)
    watcher.start()
    told: dict[int, str] = {}
    died_at: int | None = None
    try:
        for n in range(400):
            if died_at is None and limited.poll() is not None:
                died_at = n
            if died_at is not None and n >= died_at + 5:  # a few saves reach its replacement too
                break
            unit, year = setup["units"][n % 200], 2000 + n // 200
            try:
                with db.write(path, action="保存评分表", actor="录入员1") as con:
                    assessments.save_sheet(
                        con,
                        scheme_id=setup["scheme"],
                        unit_id=unit,
                        year=year,
                        scores=workers.scores_of(setup, n),
                        notes={ind: f"第{n}次说明" + "详" * 480 for ind in setup["indicators"]},
                    )
                told[n] = "saved"
            except OutcomeUnknown:
                told[n] = "unknown"
            except KitError as e:
                told[n] = "invalid" if isinstance(e, InvalidInput) else "not_saved"
        watcher.join(timeout=120)
        assert limited.returncode == EXIT_RESTART, "no checkpoint failed: the test proved nothing"
        with db.read(path) as con:
            present = {(u, y) for u, y in con.all("SELECT unit_id, year FROM score_sheets")}
            chain = audit.verify(con)
            _, findings = integrity.compare(con)
    finally:
        for proc in [limited, *replaced]:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=60)
        log.close()
    keys = {n: (setup["units"][n % 200], 2000 + n // 200) for n in told}
    assert "invalid" not in told.values(), "only the disk may refuse these saves"
    assert "unknown" not in told.values(), "a save was left in doubt although the service came back"
    assert {keys[n] for n, t in told.items() if t == "saved"} == present
    assert chain.ok, chain.reason
    assert findings == []
