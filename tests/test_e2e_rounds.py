"""The 巡察组织 app in a real headless Chromium against a real Voilà on the demo, offline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import db

from . import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(_demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("served-rounds")
    path = folder / "demo.duckdb"
    shutil.copyfile(_demo_master, path)
    with b.voila(path, folder / "voila.log") as running:
        running.db = path  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    guard = b.Guard()
    context = b.guarded_context(chromium, guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert guard.outside == [], f"requests left the machine: {guard.outside}"
    assert errors == []


def test_the_office_sets_up_a_round_and_recusal_stops_a_conflicted_group(page: Page, server: b.Server) -> None:
    path: Path = server.db  # type: ignore[attr-defined]
    page.goto(server.url("/voila/render/rounds.ipynb"))
    expect(page).to_have_title("巡察组织")
    expect(page.get_by_label("巡察轮次")).to_contain_text("十一届州委第九轮巡察", timeout=60_000)
    expect(page.locator("table.kit-groups")).to_contain_text("第一巡察组")

    page.get_by_label("轮次编号＊").fill("2026-10")
    page.get_by_label("轮次名称＊").fill("十一届州委第十轮巡察")
    page.get_by_label("巡察方式＊").select_option(label="专项巡察")
    page.get_by_label("开始日期＊").fill("2026-09-01")
    page.get_by_label("结束日期＊").fill("2026-08-01")
    page.get_by_role("button", name="新建轮次").click()
    expect(page.get_by_role("alert").filter(has_text="“结束日期”不能早于“开始日期”")).to_be_visible()
    page.get_by_label("结束日期＊").fill("2026-11-30")
    page.get_by_role("button", name="新建轮次").click()
    expect(page.get_by_label("巡察轮次")).to_have_value(
        page.get_by_label("巡察轮次").locator("option", has_text="十一届州委第十轮巡察").get_attribute("value") or "",
        timeout=20_000,
    )
    page.get_by_label("巡察组名称＊").fill("第一巡察组")
    page.get_by_role("button", name="新建巡察组").click()
    expect(page.locator("table.kit-groups")).to_contain_text("（未调配）")

    with db.read(path) as con:
        chief, name = con.one(
            "SELECT p.id, p.name FROM inspector_pool ip JOIN people p ON p.id = ip.person_id WHERE ip.pool = 'leader'"
            " ORDER BY p.id LIMIT 1"
        ) or (0, "")
    member_form = page.locator(".widget-vbox", has=page.get_by_role("button", name="调配")).last
    member_form.get_by_label("巡察组＊").select_option(label="第一巡察组")
    member_form.get_by_label("人员＊").select_option(label=f"{name}（组长库）")
    member_form.get_by_label("组内职务＊").select_option(label="组长")
    page.get_by_role("button", name="调配").click()
    expect(page.locator("table.kit-groups")).to_contain_text(f"{name}（组长）")

    # The 组长 once served in 州财政局 (a tenure added behind the app): he must recuse himself.
    with db.write(path, action="准备回避测试") as con:
        unit = int(con.scalar("SELECT id FROM units WHERE name = '州财政局'"))
        con.execute(
            "INSERT INTO tenures (person_id, unit_id, post, role, start_date, end_date)"
            " VALUES (?, ?, '副局长', 'member', DATE '2015-01-01', DATE '2017-12-31')",
            [chief, unit],
        )
    target_form = page.locator(".widget-vbox", has=page.get_by_role("button", name="确定")).last
    target_form.get_by_label("巡察组＊").select_option(label="第一巡察组")
    target_form.get_by_label("被巡察单位＊").select_option(label="州财政局（D08）")
    page.get_by_role("button", name="确定", exact=True).click()
    recusal = f"{name}曾在或正在州财政局任副局长（2015-01-01起至2017-12-31），应当回避"
    expect(page.get_by_role("alert").filter(has_text=recusal)).to_be_visible()
    target_form.get_by_label("被巡察单位＊").select_option(label="州审计局（D21）")
    page.get_by_role("button", name="确定", exact=True).click()
    expect(page.locator("table.kit-groups")).to_contain_text("州审计局")

    with db.read(path) as con:
        rows = con.all(
            "SELECT u.name FROM inspection_targets t JOIN inspection_rounds r ON r.id = t.round_id"
            " JOIN units u ON u.id = t.unit_id WHERE r.code = '2026-10'"
        )
    assert rows == [("州审计局",)]
