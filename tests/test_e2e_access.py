"""Behind an authenticating proxy: the user comes from its header, the apps show and obey their roles and scope.

The browser context sends the header the proxy would set (X-Kit-User); Voilà passes it
to the kernel, also to a preheated one after the request arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import access, db, registry
from tests.conftest import copy_database

from . import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def proxied(_demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("proxied")
    path = folder / "demo.duckdb"
    copy_database(_demo_master, path, anchor=False)
    with db.write(path, action="登记测试用户") as con:
        access.add_user(con, name="张敏", display_name="张敏", roles=["entry"])
        access.grant_scope(con, name="张敏", kind="unit", unit_id=registry.unit_id(con, "C02"))
        access.add_user(con, name="reviewer9", display_name="孙审", roles=["review"])
        access.grant_scope(con, name="reviewer9", kind="unit", unit_id=registry.unit_id(con, "C09"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_AUTH", "header")
        with b.voila(path, folder / "voila.log") as running:
            running.db = path  # type: ignore[attr-defined]
            yield running


def as_user(chromium: Browser, guard: b.Guard, user: str) -> Page:
    """A page whose every request carries the header an authenticating proxy would set."""
    context = b.guarded_context(chromium, guard, extra_http_headers={"X-Kit-User": quote(user)})
    context.set_default_navigation_timeout(90_000)  # a kernel may have to start cold
    return context.new_page()


def open_app(page: Page, server: b.Server, app: str) -> None:
    b.load_app(page, server.url(f"/voila/render/{app}.ipynb"), page.locator(".kit-user"))
    expect(page.locator(".kit-user")).not_to_contain_text("正在确认", timeout=60_000)


def test_an_analyst_sees_every_unit_and_cannot_save(chromium: Browser, proxied: b.Server) -> None:
    guard = b.Guard()
    page = as_user(chromium, guard, "fenxi01")
    open_app(page, proxied, "score_entry")
    expect(page.locator(".kit-user")).to_have_text("当前用户：刘洋（分析员）")
    units = page.get_by_label("被考核单位").locator("option").all_inner_texts()
    assert len([u for u in units if u]) > 30
    page.get_by_label("被考核单位").select_option(label="中共白石滩县委（已评分）")
    expect(page.get_by_text("您没有录入员角色，只能查看评分表，不能保存。")).to_be_visible()
    expect(page.get_by_role("button", name="保存评分表")).to_be_hidden()
    page.context.close()
    assert guard.outside == []


def test_a_scoped_user_sees_only_their_unit_everywhere(chromium: Browser, proxied: b.Server) -> None:
    guard = b.Guard()
    page = as_user(chromium, guard, "张敏")  # non-ASCII names travel percent-encoded
    open_app(page, proxied, "score_entry")
    expect(page.locator(".kit-user")).to_have_text("当前用户：张敏（录入员）")
    options = [o for o in page.get_by_label("被考核单位").locator("option").all_inner_texts() if o]
    assert options == ["中共白石滩县委（已评分）"]
    page.reload()  # a second load (another kernel) knows the user as well
    expect(page.locator(".kit-user")).to_have_text("当前用户：张敏（录入员）", timeout=60_000)
    open_app(page, proxied, "results")
    page.get_by_label("考核年度").select_option(label="2024年度", timeout=60_000)
    ranking = page.locator("table.kit-ranking tbody tr")
    expect(ranking).to_have_count(1)
    expect(ranking).to_contain_text("中共白石滩县委")
    page.context.close()
    assert guard.outside == []


def test_an_unregistered_user_is_refused_in_chinese_and_traced(chromium: Browser, proxied: b.Server) -> None:
    guard = b.Guard()
    page = as_user(chromium, guard, "mallory")
    b.load_app(page, proxied.url("/voila/render/results.ipynb"), page.get_by_text("用户“mallory”未在监督台登记"))
    expect(page.locator(".kit-user")).to_have_text("当前用户：mallory")
    page.context.close()
    assert guard.outside == []
    with db.read(proxied.db) as con:  # type: ignore[attr-defined]
        refused = con.scalar("SELECT count(*) FROM trace_log WHERE action = '拒绝访问' AND actor = 'mallory'")
    assert refused >= 1


def test_a_reviewer_closes_a_follow_up_of_their_unit(chromium: Browser, proxied: b.Server) -> None:
    guard = b.Guard()
    page = as_user(chromium, guard, "reviewer9")
    open_app(page, proxied, "results")
    expect(page.locator(".kit-user")).to_have_text("当前用户：孙审（审核员）")
    page.get_by_label("考核年度").select_option(label="2024年度", timeout=60_000)
    rows = page.locator("table.kit-followups tr")
    expect(rows.first).to_contain_text("石泉坝县")
    units = {text.split("\t")[0] for text in rows.all_inner_texts()}
    assert all("石泉坝县" in unit for unit in units), units  # only the unit in scope
    # the row's 选中 puts that follow-up in the form below
    line = page.locator(".kit-list-kit-followups .kit-list-row", has_text="回头看")
    line.get_by_role("button", name="选中").click()
    picker = page.get_by_label("待办措施")
    lookback = next(o for o in picker.locator("option").all_inner_texts() if "回头看" in o)
    expect(picker.locator("option:checked")).to_have_text(lookback)
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_role("alert").filter(has_text="办理情况")).to_be_visible()  # empty note refused
    page.get_by_label("办理情况").fill("已开展回头看，整改到位")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_role("status").filter(has_text="已办结")).to_be_visible()
    expect(rows.filter(has_text="回头看")).to_contain_text("已完成")
    page.context.close()
    assert guard.outside == []
    with db.read(proxied.db) as con:  # type: ignore[attr-defined]
        done = con.one(
            "SELECT f.note, t.actor FROM followups f JOIN trace_log t ON t.table_name = 'followups'"
            " AND t.action = '办结后续措施' WHERE f.kind = 'lookback' AND f.status = 'done'"
        )
    assert done == ("已开展回头看，整改到位", "reviewer9")


def test_every_app_links_home_and_the_other_apps_and_only_an_analyst_the_notebooks(
    chromium: Browser, proxied: b.Server
) -> None:
    guard = b.Guard()
    page = as_user(chromium, guard, "张敏")
    open_app(page, proxied, "score_entry")
    bar = page.get_by_role("navigation", name="应用")
    expect(bar).to_contain_text("年度考核评分")  # this app: named, not a link
    expect(bar.get_by_role("link")).to_have_text(["首页", "考核结果", "巡察组织", "巡察整改"])
    bar.get_by_role("link", name="考核结果").click()
    expect(page).to_have_title("考核结果")
    expect(page.locator(".kit-user")).to_have_text("当前用户：张敏（录入员）", timeout=60_000)
    page.get_by_role("navigation", name="应用").get_by_role("link", name="首页").click()
    expect(page).to_have_title("监督台")
    # The index lists the apps, and the analysis notebooks only to an analyst.
    expect(page.get_by_role("link", name="巡察整改")).to_be_visible()
    expect(page.get_by_role("link", name="分析笔记本")).to_have_count(0)
    page.goto(proxied.url("/voila/tree/analysis"))
    expect(page).to_have_title("监督台")
    expect(page.get_by_role("link", name="首页").or_(page.get_by_text("监督台").first)).to_be_visible()
    expect(page.get_by_role("link", name="考核结果分析（示例）")).to_have_count(0)
    page.context.close()

    analyst = as_user(chromium, guard, "fenxi01")
    open_app(analyst, proxied, "results")
    bar = analyst.get_by_role("navigation", name="应用")
    expect(bar.get_by_role("link", name="分析笔记本")).to_be_visible()
    bar.get_by_role("link", name="分析笔记本").click()
    expect(analyst.get_by_role("link", name="考核结果分析（示例）")).to_be_visible()
    analyst.goto(proxied.url("/"))
    expect(analyst.get_by_role("link", name="分析笔记本")).to_be_visible()
    analyst.context.close()
    assert guard.outside == []
