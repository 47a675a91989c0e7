"""Shared fixtures: real DuckDB files in temporary folders, never a mocked database."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kit import anchor as trace_anchor
from kit import assessments, db, demo, inspections, rectification, registry
from tests import service_host

MODES = ("embedded", "service")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--kit-mode",
        choices=MODES,
        default=os.environ.get("KIT_TEST_MODE") or "embedded",
        help="how kit reaches the test databases: embedded (opens them) or service (a data service each)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "embedded_only(reason): only meaningful when kit opens the file itself")
    config.addinivalue_line("markers", "service_only(reason): only meaningful with a data service")
    config.addinivalue_line("markers", "own_service: starts data services of its own (run once, in the embedded run)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mode = config.getoption("--kit-mode")
    for item in items:
        only = item.get_closest_marker("embedded_only" if mode == "service" else "service_only")
        if only is not None:
            item.add_marker(pytest.mark.skip(reason=f"仅在另一种模式下有意义：{only.args[0] if only.args else ''}"))
        elif mode == "service" and (item.get_closest_marker("browser") or item.get_closest_marker("own_service")):
            # These start real data services of their own, whatever the mode: the embedded run covers them.
            item.add_marker(pytest.mark.skip(reason="自带数据服务的测试已在 embedded 轮次中运行"))


def _kernels_tell_where_they_are(server: Any) -> None:
    """Ask each of the server's kernels for its threads' stacks (kit.ui.app.stacks_on_request), into its log."""
    from kit import serve

    asked = 0
    for pid, _started in serve.descendants(server.proc.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        caught = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
        # only kernels that installed the handler: SIGUSR1 would end any other process
        if b"ipykernel_launcher" in command and caught & (1 << (signal.SIGUSR1 - 1)):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGUSR1)
                asked += 1
    if asked:
        time.sleep(1.0)  # the stacks are written by the kernels themselves


def _fixture_values(item: pytest.Item) -> Iterator[tuple[str, object]]:
    """Every fixture value the test has so far, also those set up before a fixture that failed."""
    info = getattr(item, "_fixtureinfo", None)
    for name, definitions in info.name2fixturedefs.items() if info else []:
        for definition in definitions:
            cached = getattr(definition, "cached_result", None)
            if cached is not None and cached[2] is None:
                yield name, cached[0]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """What pages say is kept per test (tests/browser.py's CONSOLE)."""
    if "tests.browser" in sys.modules:
        sys.modules["tests.browser"].CONSOLE.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A browser test that fails shows the end of its server's log (a dead kernel, a refused request)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    from tests import browser

    if browser.CONSOLE:
        report.sections.append(("what the pages said", "\n".join(browser.CONSOLE[-60:])))
    for name, value in _fixture_values(item):
        # a fixture may hand its server over inside a dict or a tuple (test_e2e_table's `served`)
        inside = value.values() if isinstance(value, dict) else value if isinstance(value, tuple) else [value]
        for server in inside:
            if isinstance(server, browser.Server) and server.log.exists():
                lines = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
                report.sections.append((f"end of the log of {name} ({server.log.name})", "\n".join(lines[-80:])))
                _kernels_tell_where_they_are(server)
                stacks = server.log.read_text(encoding="utf-8", errors="replace").splitlines()[len(lines) :]
                report.sections.append((f"where the kernels of {name} were", "\n".join(stacks[-600:])))


@pytest.fixture(scope="session", autouse=True)
def _kit_mode(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    mode = str(request.config.getoption("--kit-mode"))
    if mode == "service":
        service_host.install(tmp_path_factory.getbasetemp())
    return mode


@pytest.fixture(autouse=True)
def _services_stopped(_kit_mode: str) -> Iterator[None]:
    """Each test's data services stop when it ends (service mode); a fatal database error fails it."""
    yield
    host = service_host.host()
    if host is not None:
        host.stop()
        fatal, host.fatal[:] = list(host.fatal), []
        assert fatal == [], f"the data service met a fatal error: {fatal}"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KIT_DB",
        "KIT_OPERATOR",
        "KIT_LOCK_WAIT",
        "KIT_AUTH",
        "KIT_AUTH_HEADER",
        "KIT_ANCHOR_DIR",
        "JUPYTERHUB_USER",
        "HTTP_X_KIT_USER",
        "VOILA_PREHEAT",
        "KIT_XLSX_MEMORY_MB",
        "KIT_KERNEL_IDLE_S",
        "KIT_POOL_SIZE",
        "KIT_POOL_REFILL_S",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An empty database with the current schema."""
    path = tmp_path / "kit.duckdb"
    db.init(path)
    return path


@pytest.fixture(scope="session")
def _demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(path)
    return path


@pytest.fixture
def demo_db(_demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (built once per session)."""
    path = tmp_path / "demo.duckdb"
    copy_database(_demo_master, path, anchor=False)
    return path


def copy_database(source: Path, target: Path, *, anchor: bool = True) -> None:
    """A copy of a test database (and its trace anchor), whole: a service of `source` merges its log first."""
    host = service_host.host()
    if host is not None:
        host.stop(source)
    shutil.copyfile(source, target)
    if anchor and trace_anchor.path_of(source).exists():
        shutil.copyfile(trace_anchor.path_of(source), trace_anchor.path_of(target))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's), shared by the browser tests of one module."""
    from playwright.sync_api import sync_playwright

    from tests import browser

    with sync_playwright() as pw:
        launched = browser.launch(pw)
        yield launched
        launched.close()


SMALL_INDICATORS = [
    {"name": "落实主体责任", "max_points": 40},
    {"name": "作风建设", "max_points": 30},
    {"name": "群众满意度", "max_points": 30},
]
SMALL_BANDS = [
    {"label": "优秀", "min_total": 90},
    {"label": "合格", "min_total": 75},
    {"label": "基本合格", "min_total": 60, "triggers_followup": True},
    {"label": "不合格", "min_total": 0, "triggers_followup": True},
]


@pytest.fixture
def office(db_path: Path) -> dict[str, Any]:
    """A tiny office: two counties with leaders, one points scheme of three indicators."""
    return build_office(db_path)


def build_office(db_path: Path) -> dict[str, Any]:
    """The `office` fixture's contents, written into an initialised file."""
    with db.write(db_path, action="准备测试数据") as con:
        root = registry.add_unit(con, code="R", name="测试州委", kind="prefecture")
        a = registry.add_unit(con, code="A", name="甲县委", kind="county", parent_id=root)
        b = registry.add_unit(con, code="B", name="乙县委", kind="county", parent_id=root)
        people = {}
        for key, name in (("a1", "张一"), ("a2", "李二"), ("b1", "王三"), ("b2", "赵四")):
            people[key] = registry.add_person(con, name=name)
        registry.start_tenure(
            con, person_id=people["a1"], unit_id=a, post="县委书记", role="principal", start=date(2020, 1, 1)
        )
        registry.start_tenure(
            con, person_id=people["a2"], unit_id=a, post="县长", role="co_principal", start=date(2020, 1, 1)
        )
        registry.start_tenure(
            con, person_id=people["b1"], unit_id=b, post="县委书记", role="principal", start=date(2021, 5, 1)
        )
        registry.start_tenure(
            con, person_id=people["b2"], unit_id=b, post="县委副书记", role="member", start=date(2021, 5, 1)
        )
        scheme = assessments.add_scheme(
            con,
            code="S",
            name="测试考核",
            scoring="points",
            unit_kinds=["county"],
            indicators=SMALL_INDICATORS,
            bands=SMALL_BANDS,
        )
        indicators = [i.id for i in assessments.get_scheme(con, scheme).indicators]
    return {
        "db": db_path,
        "root": root,
        "a": a,
        "b": b,
        "people": people,
        "scheme": scheme,
        "indicators": indicators,
    }


def save(office: dict[str, Any], unit: str, *values: Any, year: int = 2024, **kwargs: Any) -> assessments.Sheet:
    with db.write(office["db"], action="保存评分表") as con:
        return assessments.save_sheet(
            con,
            scheme_id=office["scheme"],
            unit_id=office[unit],
            year=year,
            scores=scores_for(office, *values),
            **kwargs,
        )


def scores_for(office: dict[str, Any], *values: Any) -> dict[int, Any]:
    return dict(zip(office["indicators"], values, strict=True))


def build_inspection(office: dict[str, Any]) -> dict[str, Any]:
    """A round (2024-1) inspecting units A and B, a finding and a ledger item each, feedback with a 分管领导.

    Adds to the office: 组长 孙组长 (组长库), 分管领导 周市长, category 三资管理不规范 (department R).
    """
    with db.write(office["db"], action="准备巡察数据") as con:
        chief = registry.add_person(con, name="孙组长")
        deputy = registry.add_person(con, name="钱副组长")
        in_charge = registry.add_person(con, name="周市长")
        inspections.add_to_pool(con, person_id=chief, pool="leader")
        inspections.add_to_pool(con, person_id=deputy, pool="deputy")
        round_id = inspections.add_round(
            con, code="2024-1", name="第一轮巡察", kind="regular", start="2024-03-01", end="2024-05-31"
        )
        group = inspections.add_group(con, round_id=round_id, name="第一巡察组")
        inspections.add_member(con, group_id=group, person_id=chief, role="leader")
        inspections.add_member(con, group_id=group, person_id=deputy, role="deputy")
        for unit in ("a", "b"):
            inspections.assign_unit(con, group_id=group, unit_id=office[unit])
        category = inspections.add_category(con, name="三资管理不规范", area="discipline", department_id=office["root"])
        findings, items, feedbacks = {}, {}, {}
        for unit, code in (("a", "A"), ("b", "B")):
            findings[unit] = inspections.add_finding(
                con,
                round="2024-1",
                unit=code,
                category="三资管理不规范",
                description=f"{code}县集体资产台账不全",
                severity="一般",
                involves_top="否",
                source="巡察",
                found_on="2024-04-01",
            )
            feedbacks[unit] = inspections.record_feedback(
                con,
                round_id=round_id,
                unit_id=office[unit],
                mode="collective",
                held_on="2024-06-10",
                leader_id=in_charge,
            )
            items[unit] = rectification.add_item(
                con,
                finding=findings[unit],
                measure=f"{code}县清查集体资产",
                responsible="财务科长",
                deadline="2024-09-30",
            )
    return {
        "round": round_id,
        "group": group,
        "chief": chief,
        "deputy": deputy,
        "in_charge": in_charge,
        "category": category,
        "findings": findings,
        "items": items,
        "feedbacks": feedbacks,
    }


@contextmanager
def as_operator() -> Iterator[None]:
    """Act as the file's first administrator (the default operator) within the block."""
    saved = {name: os.environ.pop(name, None) for name in ("KIT_OPERATOR", "KIT_AUTH")}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is not None:
                os.environ[name] = value


@pytest.fixture
def table_counts() -> Any:
    def counts(path: Path) -> dict[str, int]:
        """Rows per table of the office's records (not the ids of commits, which any write leaves).

        Read as the operator: free SQL is for users who see every unit, whoever the test acts as.
        """
        with as_operator(), db.read(path) as con:
            tables = [r[0] for r in con.all("SELECT table_name FROM information_schema.tables ORDER BY 1")]
            return {t: int(con.scalar(f'SELECT count(*) FROM "{t}"')) for t in tables if t != "write_outcomes"}

    return counts


# --- property tests: inputs tried per function (tests/test_properties.py) -----------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run that included the property tests, how many inputs each function was tried with."""
    import sys  # kept inside this section, which is the property tests' own

    properties = sys.modules.get(f"{__package__}.test_properties")
    counts = getattr(properties, "COUNTS", None)
    if not counts:
        return
    terminalreporter.write_sep("=", "property tests: inputs tried per function")
    for function in sorted({f for f, _ in counts}):
        outcomes = {o: n for (f, o), n in sorted(counts.items()) if f == function}
        detail = ", ".join(f"{outcome} {n}" for outcome, n in outcomes.items())
        terminalreporter.write_line(f"{function:<24} {sum(outcomes.values()):>5}  ({detail})")
    terminalreporter.write_line(f"{'total':<24} {sum(counts.values()):>5}")


# --- end of the property tests section ------------------------------------------------------
