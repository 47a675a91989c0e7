"""The apps while their data service dies, restarts, or stays away: a clerk's typed sheet is never lost.

A real Voilà with its supervised data service, a headless Chromium that may not leave
the machine. The kernels wait at most 5 s for the service (KIT_LOCK_WAIT), so that the
message for a service that stays away comes quickly.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import assessments, db, registry

from . import browser as b
from .conftest import copy_database
from .test_e2e import SCHEME, UNIT, fill_sheet, open_score_entry, score_box

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(_demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("restarts")
    path = folder / "demo.duckdb"
    copy_database(_demo_master, path, anchor=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_LOCK_WAIT", "5")
        with b.voila(path, folder / "voila.log") as running:
            running.db = path  # type: ignore[attr-defined]
            yield running


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    guard = b.Guard()
    context = b.guarded_context(chromium, guard)
    page = context.new_page()
    yield page
    context.close()
    assert guard.outside == [], f"requests left the machine: {guard.outside}"


def _scheme(server: b.Server) -> assessments.Scheme:
    with db.read(server.db) as con:  # type: ignore[attr-defined]
        [found] = [s for s in assessments.list_schemes(con) if s["name"] == SCHEME]
        return assessments.get_scheme(con, found["id"])


def _saved_total(server: b.Server) -> Decimal | None:
    with db.read(server.db) as con:  # type: ignore[attr-defined]
        [unit] = [u["id"] for u in registry.list_units(con) if u["name"] == UNIT]
        sheet = assessments.load_sheet(con, scheme_id=_scheme(server).id, unit_id=unit, year=2025)
    return sheet.total if sheet else None


def test_a_sheet_typed_while_the_service_restarts_or_stays_away_is_saved_once_it_is_back(
    page: Page, server: b.Server
) -> None:
    supervisor = server.supervisor
    assert supervisor is not None
    scheme = _scheme(server)
    open_score_entry(page, server)
    fill_sheet(page, scheme, {i.id: str(i.maximum) for i in scheme.indicators})

    # The service dies while the clerk types; its supervisor brings it back; saving just waits.
    supervisor.kill()
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("已保存：合计 100 分", timeout=60_000)
    assert supervisor.restarts == 1
    assert _saved_total(server) == Decimal(100)

    # Now it stays away: the save is refused plainly, and what was typed stays on the page.
    supervisor.stop()
    first = scheme.indicators[0]
    score_box(page, first).fill(str(first.maximum - 1))
    score_box(page, first).press("Tab")
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("数据服务暂不可用，正在恢复", timeout=60_000)
    expect(page.get_by_role("status")).to_contain_text("未写入任何数据")
    expect(score_box(page, first)).to_have_value(str(first.maximum - 1))

    # It comes back (at the same address): the same click saves the same sheet, once.
    supervisor.start()
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("已保存：合计 99 分", timeout=60_000)
    assert _saved_total(server) == Decimal(99)
