"""The apps in a real headless Chromium against a real Voilà, offline: fields found by their Chinese labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import assessments, corrections, db, inspections, rankings, rectification, registry
from kit.ui.rounds import person_label
from tests.conftest import copy_database

from . import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UNIT = "州民族宗教事务委员会"  # not yet scored in the demo's 2025
SCHEME = "党风廉政建设责任制考核（县市、州级部门）"


@pytest.fixture(scope="module")
def server(_demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    folder = tmp_path_factory.mktemp("served")
    path = folder / "demo.duckdb"
    copy_database(_demo_master, path, anchor=False)
    with b.voila(path, folder / "voila.log") as running:
        running.db = path  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def guard() -> Iterator[b.Guard]:
    guard = b.Guard()
    yield guard
    assert guard.outside == [], f"requests left the machine: {guard.outside}"


@pytest.fixture
def page(chromium: Browser, guard: b.Guard) -> Iterator[Page]:
    context = b.guarded_context(chromium, guard, accept_downloads=True)
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert all(url.startswith("ws://127.0.0.1") for url in sockets), sockets
    assert errors == []


def db_of(server: b.Server) -> Path:
    return server.db  # type: ignore[attr-defined, no-any-return]


def scheme_of(server: b.Server) -> assessments.Scheme:
    with db.read(db_of(server)) as con:
        return assessments.get_scheme(con, int(con.scalar("SELECT id FROM assessment_schemes WHERE code = 'ZZ-A'")))


def open_score_entry(page: Page, server: b.Server, unit: str = UNIT) -> None:
    page.goto(server.url("/voila/render/score_entry.ipynb"))
    expect(page).to_have_title("年度考核评分")
    page.get_by_label("考核年度").select_option(label="2025年度", timeout=60_000)
    page.get_by_label("考核方案").select_option(label=SCHEME)
    page.get_by_label("被考核单位").select_option(label=unit)
    expect(page.get_by_text("该单位本年度尚未评分")).to_be_visible()


def score_box(page: Page, indicator: assessments.Indicator) -> Any:
    return page.get_by_label(f"{indicator.ord}. {indicator.name}＊", exact=True)


def fill_sheet(page: Page, scheme: assessments.Scheme, values: dict[int, str]) -> None:
    for ind in scheme.indicators:
        box = score_box(page, ind)
        box.fill(values[ind.id])
        box.press("Tab")


def sheets_and_trace(server: b.Server) -> tuple[int, int]:
    with db.read(db_of(server)) as con:
        return int(con.scalar("SELECT count(*) FROM score_sheets")), int(con.scalar("SELECT count(*) FROM trace_log"))


def test_index_leads_to_every_app_by_its_chinese_title(page: Page, server: b.Server) -> None:
    page.goto(server.url("/"))
    expect(page).to_have_title("监督台")
    for title in ("年度考核评分", "考核结果", "巡察组织", "分析笔记本"):
        expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_role("link", name="年度考核评分").click()
    expect(page.get_by_label("被考核单位")).to_be_visible(timeout=60_000)


def test_without_its_token_the_address_asks_for_it_in_chinese(page: Page, server: b.Server) -> None:
    page.goto(f"{server.base}/")
    expect(page).to_have_title("登录 - 监督台")
    page.get_by_label("访问令牌").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("访问令牌不正确，请重试。")
    page.get_by_label("访问令牌").fill(server.token)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_title("监督台")
    expect(page.get_by_role("link", name="考核结果")).to_be_visible()


@pytest.mark.parametrize("argument", ["template=lab", "theme=dark", "template=reveal&theme=light"])
def test_an_address_that_names_another_template_or_theme_is_refused(
    page: Page, server: b.Server, argument: str
) -> None:
    # Voilà would render with a template that fetches from CDNs, in a kernel outside the pool.
    for path in ("/voila/render/score_entry.ipynb", "/"):
        response = page.goto(server.url(f"{path}?{argument}"))
        assert response is not None
        assert response.status == 400
        expect(page.get_by_text("地址有误")).to_be_visible()
        expect(page.get_by_label("被考核单位")).to_have_count(0)
    response = page.goto(server.url("/voila/render/score_entry.ipynb"))
    assert response is not None
    assert response.status == 200
    expect(page.get_by_label("被考核单位")).to_be_visible(timeout=60_000)


def test_a_sheet_entered_in_the_browser_is_saved_and_ranked(page: Page, server: b.Server) -> None:
    scheme = scheme_of(server)
    open_score_entry(page, server)
    expect(page.get_by_text("一把手（2025年年末）")).to_be_visible()
    # 65 % of every maximum: a total of 65, graded 基本合格, which triggers follow-ups.
    values = {ind.id: str(ind.maximum * Decimal("0.65")).rstrip("0").rstrip(".") for ind in scheme.indicators}
    fill_sheet(page, scheme, values)
    page.get_by_placeholder("扣分说明（选填）").first.fill("会议记录不全")
    expect(page.get_by_text("合计 65 分（满分 100），等次：基本合格")).to_be_visible()
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("已保存：合计 65 分，等次“基本合格”（第 1 版）")

    with db.read(db_of(server)) as con:
        unit_id = int(con.scalar("SELECT id FROM units WHERE name = ?", [UNIT]))
        sheet = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit_id, year=2025)
        actor = con.scalar("SELECT actor FROM trace_log WHERE table_name = 'score_sheets' ORDER BY seq DESC LIMIT 1")
    assert sheet is not None
    assert sheet.total == Decimal(65)
    assert {k: str(v.normalize()) for k, v in sheet.scores.items()} == values
    assert sheet.notes == {scheme.indicators[0].id: "会议记录不全"}
    assert actor == "本机操作员"

    page.goto(server.url("/voila/render/results.ipynb"))
    page.get_by_label("考核年度").select_option(label="2025年度", timeout=60_000)
    row = page.locator("table.kit-ranking tr", has_text=UNIT)
    expect(row).to_contain_text("65")
    expect(row).to_contain_text("基本合格")
    followups = page.locator(".kit-list-kit-followups")
    expect(followups).to_contain_text(f"对{UNIT}开展整改“回头看”")
    expect(followups.locator("table.kit-followups tr", has_text="诫勉谈话").filter(has_text=UNIT)).to_have_count(1)
    # a list like the others: filtered by its status, the lookback of the new sheet is still there
    followups.get_by_label("措施").select_option(label="回头看")
    expect(followups.locator("table.kit-followups tr", has_text="诫勉谈话")).to_have_count(0)
    expect(followups.locator("table.kit-followups tr", has_text=UNIT)).to_have_count(1)


def test_reopening_a_unit_shows_its_sheet_and_history(page: Page, server: b.Server) -> None:
    unit = "中共白石滩县委（已评分）"
    page.goto(server.url("/voila/render/score_entry.ipynb"))
    page.get_by_label("被考核单位").select_option(label=unit, timeout=60_000)
    scheme = scheme_of(server)
    first = score_box(page, scheme.indicators[0])
    expect(first).not_to_have_value("")
    old = first.input_value()
    first.fill(str(Decimal(old) - 1))
    first.press("Tab")
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("（第 2 版）")
    page.get_by_label("被考核单位").select_option(index=0)
    page.get_by_label("被考核单位").select_option(label=unit)
    expect(score_box(page, scheme.indicators[0])).to_have_value(str(Decimal(old) - 1).rstrip("0").rstrip("."))
    history = page.locator(".kit-list-kit-history")
    expect(history.locator("table.kit-history tr")).to_have_count(2)
    expect(history.locator("table.kit-history tr").first).to_contain_text("修改评分表")  # latest first
    expect(history).to_contain_text(f"{scheme.indicators[0].name} {old}→")
    history.get_by_label("操作").select_option(label="新建评分表")
    expect(history.locator("table.kit-history tr")).to_have_count(1)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "不能为空"),
        ("150", "不能超过满分 15"),
        ("-1", "不能小于 0"),
        ("abc", "必须是数字"),
        ("15.5", "不能超过满分 15"),
    ],
)
def test_a_bad_score_is_refused_beside_its_field_and_nothing_is_written(
    page: Page, server: b.Server, bad: str, message: str
) -> None:
    scheme = scheme_of(server)
    open_score_entry(page, server, unit="州投资促进局")
    values = {ind.id: "5" for ind in scheme.indicators}
    values[scheme.indicators[0].id] = bad
    before = sheets_and_trace(server)
    fill_sheet(page, scheme, values)
    page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_role("status")).to_contain_text("未保存")
    error = page.get_by_role("alert").filter(has_text="落实主体责任得分")
    expect(error).to_contain_text(message)
    assert sheets_and_trace(server) == before
    expect(page.get_by_role("button", name="保存评分表")).to_be_enabled()


def test_the_analysts_example_notebook_renders_its_chart_offline(page: Page, server: b.Server) -> None:
    page.goto(server.url("/voila/tree/analysis"))
    page.get_by_role("link", name="考核结果分析（示例）").click()
    expect(page.get_by_role("heading", name="考核结果分析（示例）")).to_be_visible(timeout=120_000)
    # An SVG output is shown as an image (the notebook is not "trusted" to inject markup).
    chart = page.locator(".jp-RenderedSVG img, .jp-RenderedSVG svg").first
    expect(chart).to_be_visible(timeout=120_000)
    assert chart.bounding_box()["width"] > 200  # type: ignore[index]
    expect(page.locator(".jp-OutputArea-output table").first).to_be_visible()


def test_results_report_downloads_as_one_offline_file(page: Page, server: b.Server, tmp_path: Path) -> None:
    page.goto(server.url("/voila/render/results.ipynb"))
    page.get_by_label("考核年度").select_option(label="2023年度", timeout=60_000)
    expect(page.locator(".kit-list-kit-followups")).to_be_visible()
    expect(page.get_by_text("6 家单位被评为基本合格或不合格，涉及诫勉谈话党政一把手 9 人")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载报告（HTML）").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "2023年度考核结果报告.html"
    text = saved.read_text(encoding="utf-8")
    assert "2023年度党风廉政建设责任制考核（县市、州级部门）结果报告" in text
    report_page = page.context.new_page()
    report_page.goto(saved.as_uri())
    expect(report_page.locator("h1")).to_contain_text("结果报告")
    expect(report_page.locator("svg").first).to_be_visible()
    # On A4 (210 mm less 2 × 16 mm margins ≈ 673 px) nothing sticks out sideways.
    report_page.emulate_media(media="print")
    report_page.set_viewport_size({"width": 673, "height": 1000})
    overflow = report_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    pdf = report_page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2


# --- 巡察组织 (on the same server: one Voilà start for both) ---------------------------------


def test_the_office_sets_up_a_round_and_recusal_stops_a_conflicted_group(page: Page, server: b.Server) -> None:
    path = db_of(server)
    page.goto(server.url("/voila/render/rounds.ipynb"))
    expect(page).to_have_title("巡察组织")
    expect(page.get_by_label("巡察轮次")).to_contain_text("十一届州委第九轮巡察", timeout=60_000)
    expect(page.locator(".kit-list-kit-groups")).to_contain_text("第一巡察组")

    create = page.locator(".widget-vbox", has=page.get_by_role("button", name="新建轮次")).last
    create.get_by_label("轮次编号＊").fill("2026-10")
    create.get_by_label("轮次名称＊").fill("十一届州委第十轮巡察")
    create.get_by_label("巡察方式＊").select_option(label="专项巡察")
    create.get_by_label("开始日期＊").fill("2026-09-01")
    create.get_by_label("结束日期＊").fill("2026-08-01")
    page.get_by_role("button", name="新建轮次").click()
    expect(page.get_by_role("alert").filter(has_text="“结束日期”不能早于“开始日期”")).to_be_visible()
    create.get_by_label("结束日期＊").fill("2026-11-30")
    page.get_by_role("button", name="新建轮次").click()
    expect(page.get_by_label("巡察轮次")).to_have_value(
        page.get_by_label("巡察轮次").locator("option", has_text="十一届州委第十轮巡察").get_attribute("value") or "",
        timeout=20_000,
    )
    new_group = page.locator(".widget-vbox", has=page.get_by_role("button", name="新建巡察组")).last
    new_group.get_by_label("巡察组名称＊").fill("第一巡察组")
    page.get_by_role("button", name="新建巡察组").click()
    expect(page.locator(".kit-list-kit-groups")).to_contain_text("（未调配）")

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
    expect(page.locator(".kit-list-kit-groups")).to_contain_text(f"{name}（组长）")

    # The 组长 once served in 州财政局 (a tenure recorded while the app is open): he must recuse himself.
    with db.write(path, action="准备回避测试") as con:
        unit = registry.unit_id(con, "D08")
        registry.start_tenure(
            con, person_id=chief, unit_id=unit, post="副局长", role="member", start="2015-01-01", end="2017-12-31"
        )
    target_form = page.locator(".widget-vbox", has=page.get_by_role("button", name="确定")).last
    target_form.get_by_label("巡察组＊").select_option(label="第一巡察组")
    target_form.get_by_label("被巡察单位＊").select_option(label="州财政局（D08）")
    page.get_by_role("button", name="确定", exact=True).click()
    recusal = f"{name}曾在或正在州财政局任副局长（2015-01-01起至2017-12-31），应当回避"
    expect(page.get_by_role("alert").filter(has_text=recusal)).to_be_visible()
    target_form.get_by_label("被巡察单位＊").select_option(label="州审计局（D21）")
    page.get_by_role("button", name="确定", exact=True).click()
    expect(page.locator(".kit-list-kit-groups")).to_contain_text("州审计局")

    with db.read(path) as con:
        rows = con.all(
            "SELECT u.name FROM inspection_targets t JOIN inspection_rounds r ON r.id = t.round_id"
            " JOIN units u ON u.id = t.unit_id WHERE r.code = '2026-10'"
        )
    assert rows == [("州审计局",)]

    # The round's name was entered short: corrected in its panel, with the reason, and shown in its history.
    fix = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废本轮"))
    fix.get_by_label("轮次名称＊").fill("十一届州委第十轮巡察（专项）")
    fix.get_by_label("理由＊", exact=True).fill("名称漏写“专项”")
    fix.get_by_role("button", name="保存更正").click()
    expect(page.get_by_label("巡察轮次")).to_contain_text("十一届州委第十轮巡察（专项）")
    expect(page.locator(".kit-list-kit-round-corrections")).to_contain_text(
        "轮次名称：十一届州委第十轮巡察 → 十一届州委第十轮巡察（专项）"
    )
    with db.read(path) as con:
        assert (
            inspections.get_round(con, inspections.round_id(con, "2026-10"))["name"] == "十一届州委第十轮巡察（专项）"
        )

    # 人员入库 among the demo's 336 people: found by unit, picked, put in the 副组长库.
    with db.read(path) as con:
        pooled = {person for (person,) in con.all("SELECT person_id FROM inspector_pool")}
        people = registry.list_people(con)
    assert len(people) >= 336
    chosen = next(p for p in people if p["unit_name"] == "州审计局" and p["id"] not in pooled)
    page.get_by_role("tab", name="巡察人员库").click()
    pool_form = page.locator(".widget-vbox", has=page.get_by_role("button", name="入库")).last
    pool_form.get_by_placeholder("输入关键字查找").fill("州审计局")
    narrowed = pool_form.get_by_label("人员＊").locator("option")
    found = [p for p in people if "州审计局" in person_label(p)]
    assert 0 < len(found) < 20
    expect(narrowed).to_have_count(len(found))  # the browser holds only the people the search finds
    expect(narrowed.first).to_contain_text("州审计局")
    pool_form.get_by_label("人员＊").select_option(
        label=f"{chosen['name']}（州审计局 {chosen['post']}，编号 {chosen['id']}）"
    )
    pool_form.get_by_label("人员库＊").select_option(label="副组长库")
    page.get_by_role("button", name="入库").click()
    expect(page.get_by_role("status").filter(has_text="已入库")).to_be_visible()
    with db.read(path) as con:
        assert con.one("SELECT pool FROM inspector_pool WHERE person_id = ?", [chosen["id"]]) == ("deputy",)


def test_a_clue_is_found_in_its_table_and_its_outcome_recorded_from_its_row(page: Page, server: b.Server) -> None:
    path = db_of(server)
    with db.read(path) as con:
        round_id, round_name = con.one(
            "SELECT r.id, r.name FROM clues c JOIN findings f ON f.id = c.finding_id JOIN inspection_rounds r"
            " ON r.id = f.round_id GROUP BY r.id, r.name ORDER BY count(*) DESC, r.id LIMIT 1"
        ) or (0, "")
        finding = con.one(
            "SELECT id FROM findings f WHERE round_id = ? AND voided_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM clues c WHERE c.finding_id = f.id) ORDER BY id LIMIT 1",
            [round_id],
        )
    assert finding is not None
    with db.write(path, action="移交线索") as con:  # every clue of the demo is closed (了结): one still open
        inspections.transfer_clue(con, finding_id=finding[0], receiver="commission", transferred_on="2026-11-02")
    with db.read(path) as con:
        count = len(inspections.list_clues(con, round_ids=[round_id]))
    page.goto(server.url("/voila/render/rounds.ipynb"))
    expect(page.get_by_label("巡察轮次")).to_contain_text(round_name, timeout=60_000)
    page.get_by_label("巡察轮次").select_option(
        value=page.get_by_label("巡察轮次").locator("option", has_text=round_name).first.get_attribute("value") or ""
    )
    page.get_by_role("tab", name="问题线索").click()
    table = page.locator(".kit-list-kit-clues")
    expect(table.get_by_text(f"共 {count} 条")).to_be_visible(timeout=20_000)
    with db.read(path) as con:
        clues = inspections.list_clues(con, round_ids=[round_id])
    oldest = min(clues, key=lambda c: (c["transferred_on"], c["id"]))  # the table's default order
    expect(table.locator("table.kit-clues tr").first).to_contain_text(oldest["unit_name"])
    if oldest["latest"] == "了结":  # nothing more can be recorded for a clue once closed
        expect(table.get_by_role("button", name="登记处置").first).to_be_disabled()
    open_ones = [c for c in clues if c["latest"] != "了结"]
    first = min(open_ones, key=lambda c: (c["transferred_on"], c["id"]))
    table.get_by_label("最新处置").select_option(label=first["latest"])
    expect(table.locator("table.kit-clues tr").first).to_contain_text(first["description"][:20])
    table.get_by_role("button", name="登记处置").first.click()
    outcome_form = page.locator(".widget-vbox", has=page.get_by_role("button", name="登记", exact=True)).last
    chosen = outcome_form.get_by_label("问题线索＊")
    b.wait_until(lambda: chosen.evaluate("s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''") != "")
    assert chosen.evaluate("s => s.options[s.selectedIndex].text").startswith(f"{first['unit_name']}：")
    outcome_form.get_by_label("处置结果＊").select_option(label="组织处理")
    outcome_form.get_by_label("涉及人次").fill("1")
    outcome_form.get_by_label("处置日期＊").fill("2026-11-20")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已登记处置结果")).to_be_visible()
    with db.read(path) as con:
        latest = inspections.list_clues(con, round_ids=[round_id])
    assert next(c for c in latest if c["id"] == first["id"])["latest"] == "组织处理"
    handled = sum(c["latest"] == "组织处理" for c in latest)
    table.get_by_label("最新处置").select_option(label="组织处理")
    expect(table.get_by_text(f"符合条件 {handled} 条")).to_be_visible()
    recorded = table.locator("table.kit-clues tr", has_text="组织处理（1人次） 2026-11-20")
    expect(recorded).to_have_count(1)
    expect(recorded).to_contain_text(first["unit_name"])


def test_a_rounds_units_are_a_table_of_feedback_and_evaluation_that_filters_the_poor_ones(
    page: Page, server: b.Server
) -> None:
    path = db_of(server)
    with db.read(path) as con:
        rounds = inspections.list_rounds(con)
        units = {r["id"]: rectification.overview(con, round_ids=[r["id"]]) for r in rounds}
    chosen = next(r for r in rounds if any(u["grade"] == "差" for u in units[r["id"]]))
    poor = [u for u in units[chosen["id"]] if u["grade"] == "差"]
    page.goto(server.url("/voila/render/rounds.ipynb"))
    picker = page.get_by_label("巡察轮次")
    expect(picker).to_contain_text(chosen["name"], timeout=60_000)
    picker.select_option(value=picker.locator("option", has_text=chosen["name"]).first.get_attribute("value") or "")
    page.get_by_role("tab", name="反馈与整改评估").click()
    table = page.locator(".kit-list-kit-targets")
    expect(table.get_by_text(f"共 {len(units[chosen['id']])} 条")).to_be_visible(timeout=20_000)
    table.get_by_label("整改评估").select_option(label="差")
    expect(table.get_by_text(f"符合条件 {len(poor)} 条")).to_be_visible()
    rows = table.locator("table.kit-targets tr")
    expect(rows).to_have_count(len(poor))
    expect(rows.first.locator(".kit-flag-low")).to_contain_text("（差）")
    expect(rows.first).to_contain_text(poor[0]["unit_name"])


def test_the_page_asks_before_it_closes_with_input_not_yet_saved(page: Page, server: b.Server) -> None:
    scheme = scheme_of(server)
    open_score_entry(page, server, unit="州机关事务管理局")  # not scored in 2025, and left so here
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    with page.expect_event("close"):
        page.close(run_before_unload=True)  # nothing typed: it simply closes
    assert asked == []

    second = page.context.new_page()
    second.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    open_score_entry(second, server, unit="州机关事务管理局")
    box = score_box(second, scheme.indicators[0])
    box.fill("3")
    box.press("Tab")
    expect(second.locator(".kit-unsaved")).to_have_count(1)  # the kernel knows the sheet holds unsaved input
    second.close(run_before_unload=True)
    expect(second.locator(".kit-app")).to_be_visible()  # the dismissed question kept the page open
    assert asked == ["beforeunload"]


def test_a_feedback_is_corrected_and_voided_from_its_row_with_its_history(page: Page, server: b.Server) -> None:
    path = db_of(server)
    with db.read(path) as con:
        chosen = next(r for r in inspections.list_rounds(con) if inspections.list_feedbacks(con, round_id=r["id"]))
        feedbacks = inspections.list_feedbacks(con, round_id=chosen["id"])
    first = min(feedbacks, key=lambda f: f["held_on"])  # the table's default order (a stable sort)
    page.goto(server.url("/voila/render/rounds.ipynb"))
    picker = page.get_by_label("巡察轮次")
    expect(picker).to_contain_text(chosen["name"], timeout=60_000)
    picker.select_option(value=picker.locator("option", has_text=chosen["name"]).first.get_attribute("value") or "")
    page.get_by_role("tab", name="反馈与整改评估").click()
    table = page.locator(".kit-list-kit-feedbacks")
    expect(table.get_by_text(f"共 {len(feedbacks)} 条")).to_be_visible(timeout=20_000)
    expect(table.locator("table.kit-feedbacks tr").first).to_contain_text(first["unit_name"])
    table.get_by_role("button", name="更正或作废").first.click()
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此反馈"))
    expect(panel.get_by_label("反馈日期＊")).to_have_value(first["held_on"].isoformat())
    later = first["held_on"].replace(day=min(first["held_on"].day + 1, 28))
    panel.get_by_label("反馈日期＊").fill(later.isoformat())
    panel.get_by_label("理由＊", exact=True).fill("反馈日期录错")
    panel.get_by_role("button", name="保存更正").click()
    expect(page.get_by_role("status").filter(has_text="已更正")).to_be_visible()
    expect(page.locator(".kit-list-kit-feedback-corrections")).to_contain_text(
        f"反馈日期：{first['held_on'].isoformat()} → {later.isoformat()}"
    )
    panel.get_by_label("理由＊", exact=True).fill("登记错了单位")
    panel.get_by_role("button", name="作废此反馈").click()
    expect(page.get_by_role("status").filter(has_text="已作废")).to_be_visible()
    expect(table.get_by_text(f"共 {len(feedbacks) - 1} 条")).to_be_visible()
    with db.read(path) as con:
        log = corrections.corrections_of(con, table="feedbacks", record_id=first["id"])
        assert first["id"] not in {f["id"] for f in inspections.list_feedbacks(con, round_id=chosen["id"])}
    assert [(c["kind_label"], c["reason"]) for c in log] == [("更正", "反馈日期录错"), ("作废", "登记错了单位")]


def test_a_closed_years_sheet_is_corrected_by_request_and_a_reviewers_agreement(page: Page, server: b.Server) -> None:
    """The demo closed 2024: 王丽 has asked to correct 州委组织部's sheet, the operator (审核员) agrees;
    the operator's own request on another unit then waits, the sheet unchanged."""
    path, scheme = db_of(server), scheme_of(server)
    with db.read(path) as con:
        asked = next(r for r in corrections.pending_requests(con) if r["record_label"] == "评分表")
        unit_id = int(con.scalar("SELECT id FROM units WHERE name = '州委组织部'"))
        before = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit_id, year=2024)
    assert before is not None
    page.goto(server.url("/voila/render/score_entry.ipynb"))
    page.get_by_label("考核年度").select_option(label="2024年度", timeout=60_000)
    page.get_by_label("被考核单位").select_option(label="州委组织部（已评分）")
    expect(page.get_by_text("2024年度考核已由孙敏于2025-03-31结束")).to_be_visible()
    expect(page.locator(".kit-request")).to_contain_text("王丽")
    expect(page.get_by_role("button", name="保存评分表")).to_have_count(0)
    page.get_by_role("button", name="同意更正").click()
    expect(page.get_by_role("alert").filter(has_text="审核意见")).to_be_visible()  # refused beside the field
    page.get_by_label("审核意见").fill("核实无误")
    page.get_by_role("button", name="同意更正").click()
    expect(page.get_by_role("status")).to_contain_text(f"已同意更正申请 {asked['id']}，评分表已更正")
    expect(page.locator(".kit-request")).to_have_count(0)
    expect(page.locator(".kit-list-kit-history")).to_contain_text("更正评分表（王丽申请，经审核）")
    with db.read(path) as con:
        after = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=unit_id, year=2024)
    assert after is not None
    assert after.version == before.version + 1
    assert after.total > before.total

    with db.read(path) as con:
        county = int(con.scalar("SELECT id FROM units WHERE name = '中共白石滩县委'"))
        sheet = assessments.load_sheet(con, scheme_id=scheme.id, unit_id=county, year=2024)
    assert sheet is not None
    old = f"{sheet.scores[scheme.indicators[0].id].normalize():f}"
    page.get_by_label("被考核单位").select_option(label="中共白石滩县委（已评分）")
    first = score_box(page, scheme.indicators[0])
    expect(first).to_have_value(old)
    first.fill("1")
    first.press("Tab")
    page.get_by_label("更正理由").fill("得分录错")
    page.get_by_role("button", name="提交更正申请").click()
    expect(page.get_by_role("status")).to_contain_text("已提交更正申请")
    expect(page.locator(".kit-request")).to_contain_text(f"{scheme.indicators[0].name}得分：{old} → 1")
    expect(page.get_by_role("button", name="同意更正")).to_have_count(0)  # never the requester's own
    expect(score_box(page, scheme.indicators[0])).to_have_value(old)  # the sheet waits as it was


def test_a_sheet_scored_in_error_is_voided_and_leaves_the_ranking(page: Page, server: b.Server) -> None:
    """The operator (录入员 too) voids a 2025 sheet: the unit is unscored again and gone from the ranking."""
    path, scheme = db_of(server), scheme_of(server)
    with db.read(path) as con:
        name = str(
            con.scalar(
                "SELECT u.name FROM score_sheets s JOIN units u ON u.id = s.unit_id WHERE s.scheme_id = ?"
                " AND s.year = 2025 AND s.voided_at IS NULL AND u.name <> '中共白石滩县委'"
                " ORDER BY u.sort_order DESC, u.code DESC LIMIT 1",
                [scheme.id],
            )
        )
    page.goto(server.url("/voila/render/score_entry.ipynb"))
    page.get_by_label("考核年度").select_option(label="2025年度", timeout=60_000)
    page.get_by_label("考核方案").select_option(label=SCHEME)
    page.get_by_label("被考核单位").select_option(label=f"{name}（已评分）")
    page.get_by_role("button", name="作废此评分表").click()
    expect(page.get_by_role("alert").filter(has_text="作废理由")).to_be_visible()  # refused beside the field
    page.get_by_label("作废理由").fill("误录：该单位本年度不参加此方案考核")
    page.get_by_role("button", name="作废此评分表").click()
    expect(page.get_by_role("status")).to_contain_text("已作废该评分表")
    expect(page.locator(".kit-voided")).to_contain_text("作废（理由：误录：该单位本年度不参加此方案考核）")
    expect(page.locator(".kit-list-kit-sheet-corrections")).to_contain_text("误录：该单位本年度不参加此方案考核")
    expect(page.get_by_role("button", name="作废此评分表")).to_have_count(0)
    history = page.locator(".kit-list-kit-history table.kit-history tr").first
    expect(history).to_contain_text("作废评分表")
    expect(history).to_contain_text("已作废")

    page.goto(server.url("/voila/render/results.ipynb"))
    page.get_by_label("考核年度").select_option(label="2025年度", timeout=60_000)
    expect(page.locator("table.kit-ranking tr").first).to_be_visible()
    expect(page.locator("table.kit-ranking tr", has_text=name)).to_have_count(0)
    with db.read(path) as con:
        ranked = {r["unit_name"] for r in rankings.ranking(con, scheme_id=scheme.id, year=2025)}
    assert name not in ranked
    assert len(ranked) > 40  # the other units stay ranked


def test_a_group_is_renamed_and_a_unit_handed_to_another_group_from_its_row(page: Page, server: b.Server) -> None:
    path = db_of(server)
    with db.read(path) as con:
        chosen = next(r for r in inspections.list_rounds(con) if r["code"] == "2025-9")
        groups = inspections.round_groups(con, round_id=chosen["id"])
        first = groups[0]
        unit = first["units"][0]
        other = next(  # a group none of whose members must recuse from that unit
            g
            for g in groups[1:]
            if not inspections.recusal_conflicts(
                con, person_ids=[m["person_id"] for m in g["members"]], unit_ids=[unit["id"]]
            )
        )
    page.goto(server.url("/voila/render/rounds.ipynb"))
    picker = page.get_by_label("巡察轮次")
    expect(picker).to_contain_text(chosen["name"], timeout=60_000)
    picker.select_option(value=picker.locator("option", has_text=chosen["name"]).first.get_attribute("value") or "")
    table = page.locator(".kit-list-kit-groups")
    expect(table).to_contain_text(first["name"], timeout=20_000)
    table.locator(".kit-list-row", has_text=first["name"]).get_by_role("button", name="更正").click()
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废本组"))
    expect(panel.get_by_label("巡察组名称＊")).to_have_value(first["name"])
    renamed = f"{first['name']}（更正）"
    panel.get_by_label("巡察组名称＊").fill(renamed)
    panel.get_by_label("理由＊", exact=True).fill("名称录错")
    panel.get_by_role("button", name="保存更正").click()
    expect(page.get_by_role("status").filter(has_text=f"已把“{first['name']}”更正为“{renamed}”")).to_be_visible()
    expect(table).to_contain_text(renamed)

    units = page.locator(".widget-vbox", has=page.get_by_role("button", name="保存巡察对象更正")).last
    units.get_by_label("巡察对象＊").select_option(label=unit["name"])
    units.get_by_label("改由＊").select_option(label=other["name"])
    units.get_by_label("理由＊", exact=True).fill("分组调整")
    page.get_by_role("button", name="保存巡察对象更正").click()
    expect(page.get_by_role("status").filter(has_text=f"已把{unit['name']}交给{other['name']}")).to_be_visible()
    history = page.locator("table.kit-round-corrections tr")  # the round's history, latest first
    expect(history.first).to_contain_text(f"{unit['name']}的巡察组：{renamed} → {other['name']}")
    expect(history.nth(1)).to_contain_text(f"巡察组名称：{first['name']} → {renamed}")
    with db.read(path) as con:
        after = {g["name"]: g for g in inspections.round_groups(con, round_id=chosen["id"])}
    assert unit["id"] in {u["id"] for u in after[other["name"]]["units"]}
    assert unit["id"] not in {u["id"] for u in after[renamed]["units"]}


def test_an_evaluation_is_corrected_from_its_row_of_the_overview(page: Page, server: b.Server) -> None:
    path = db_of(server)
    with db.read(path) as con:
        chosen, row = next(
            (r, u)
            for r in inspections.list_rounds(con)
            for u in rectification.overview(con, round_ids=[r["id"]])
            if u["evaluation_id"] is not None
        )
    new_score = 95 if row["score"] < 90 else 61
    page.goto(server.url("/voila/render/rounds.ipynb"))
    picker = page.get_by_label("巡察轮次")
    expect(picker).to_contain_text(chosen["name"], timeout=60_000)
    picker.select_option(value=picker.locator("option", has_text=chosen["name"]).first.get_attribute("value") or "")
    page.get_by_role("tab", name="反馈与整改评估").click()
    table = page.locator(".kit-list-kit-targets")
    line = table.locator(".kit-list-row", has_text=row["unit_name"]).first
    expect(line).to_contain_text(row["evaluation"], timeout=20_000)
    line.get_by_role("button", name="更正评估").click()
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此评估"))
    expect(panel.get_by_label("评估得分＊")).to_have_value(f"{row['score'].normalize():f}")
    panel.get_by_label("评估得分＊").fill(str(new_score))
    panel.get_by_label("理由＊", exact=True).fill("得分录错")
    panel.get_by_role("button", name="保存更正").click()
    expect(page.get_by_role("status").filter(has_text=f"已更正{row['unit_name']}的整改评估")).to_be_visible()
    expect(line).to_contain_text(f"{new_score}（")
    expect(page.locator(".kit-list-kit-evaluation-corrections")).to_contain_text(
        f"评估得分：{row['score'].normalize():f} → {new_score}"
    )
    with db.read(path) as con:
        after = next(u for u in rectification.overview(con, round_ids=[chosen["id"]]) if u["unit_id"] == row["unit_id"])
    assert after["score"] == new_score
