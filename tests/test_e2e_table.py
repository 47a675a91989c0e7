"""A 520-item ledger in a real headless Chromium: sort, filter, search, page, open a row, act on it, export.

The ledger is imported as an office would (tests/big_round.py). The browser must never hold
more than one page of rows, and nothing may leave the machine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Locator, Page, expect

from kit import db, integrity, rectification

from . import big_round
from . import browser as b

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ITEMS = 520
PAGE = rectification.ITEM_LIST.page_size


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("big-ledger")
    path = folder / "kit.duckdb"
    big_round.build(path, ITEMS)
    with b.voila(path, folder / "voila.log", preheat=False) as server:
        yield {"db": path, "server": server}


@pytest.fixture
def ledger(chromium: Browser, served: dict[str, Any]) -> Iterator[tuple[Page, Locator]]:
    guard = b.Guard()
    errors: list[str] = []
    context = b.guarded_context(chromium, guard, accept_downloads=True)
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    b.load_app(page, served["server"].url("/voila/render/inspection.ipynb"), page.locator(".kit-user"))
    expect(page.locator(".kit-user")).to_contain_text("本机操作员", timeout=90_000)
    page.get_by_role("tab", name="整改台账").click()
    table = page.locator(".kit-list-kit-ledger")
    expect(table.get_by_text(f"第 1 / {-(-ITEMS // PAGE)} 页，共 {ITEMS} 条")).to_be_visible(timeout=60_000)
    yield page, table
    context.close()
    assert guard.outside == [], f"requests left the machine: {guard.outside}"
    assert errors == []


def rows(page: Page) -> Locator:
    return page.locator("table.kit-ledger tr")


def shown_rows(page: Page) -> list[str]:
    return [row.inner_text() for row in rows(page).all() if row.is_visible()]


def test_the_browser_holds_one_page_and_sorting_reverses_the_order(ledger: tuple[Page, Locator]) -> None:
    page, table = ledger
    assert rows(page).count() == PAGE  # one page of the 520 rows, no more
    first = shown_rows(page)
    expect(table.get_by_role("button", name="时限▲")).to_be_visible()
    table.get_by_role("button", name="时限▲").click()  # the default order, reversed
    expect(table.get_by_role("button", name="时限▼")).to_be_visible()
    expect(rows(page).first).not_to_have_text(first[0])
    reversed_first = shown_rows(page)
    deadlines = [date.fromisoformat(t.split("\t")[6].strip()) for t in first + reversed_first]
    assert max(deadlines[:PAGE]) <= min(deadlines[PAGE:])  # earliest first, then latest first
    table.get_by_role("button", name="编号").click()
    expect(table.get_by_role("button", name="编号▲")).to_be_visible()
    expect(rows(page).first).to_contain_text(big_round.MEASURE.format(1))
    table.get_by_role("button", name="下一页").click()
    expect(table.get_by_text(f"第 2 / {-(-ITEMS // PAGE)} 页")).to_be_visible()
    expect(rows(page).first).to_contain_text(big_round.MEASURE.format(PAGE + 1))
    assert rows(page).count() == PAGE


def test_filters_and_search_narrow_the_ledger_and_the_export_holds_exactly_those_rows(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, table = ledger
    table.get_by_label("单位").select_option(label="第3县委")
    expect(table.get_by_text(f"符合条件 {ITEMS // 20} 条（共 {ITEMS} 条）")).to_be_visible()
    assert all("第3县委" in text for text in shown_rows(page))
    table.get_by_label("预警").select_option(label="逾期")
    with db.read(served["db"]) as con:
        expected = sorted(
            r["id"] for r in rectification.list_items(con) if r["unit_name"] == "第3县委" and r["flag"] == "overdue"
        )
    expect(table.get_by_text(f"符合条件 {len(expected)} 条")).to_be_visible()
    table.get_by_role("button", name="导出Excel").click()
    with page.expect_download() as download:
        table.get_by_role("link", name="下载").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    exported = sorted(int(row[header.index("整改事项编号")]) for row in sheet.iter_rows(min_row=2, values_only=True))
    assert exported == expected

    table.get_by_role("button", name="清除条件").click()
    expect(table.get_by_text(f"共 {ITEMS} 条")).to_be_visible()
    search = table.get_by_label("搜索")
    search.fill("针对问题 137 修订")
    search.press("Enter")
    expect(rows(page).filter(has_text=big_round.MEASURE.format(137))).to_have_count(1)
    expect(table.get_by_text("符合条件 1 条")).to_be_visible()
    expect(rows(page)).to_have_count(1)  # the rows of earlier pages are gone from the page, not hidden
    search.fill("没有这样的整改措施")
    search.press("Enter")
    expect(table.get_by_text("没有符合条件的记录。")).to_be_visible()


def test_a_row_opens_its_item_and_a_step_taken_there_shows_in_its_row(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, table = ledger
    table.get_by_role("button", name="查看").last.click()  # the page's last row: its item opens in sight
    expect(page.locator(".kit-item")).to_be_in_viewport()
    search = table.get_by_label("搜索")
    search.fill(big_round.MEASURE.format(200))
    search.press("Enter")
    row = table.locator(".widget-hbox", has=page.locator("table.kit-ledger tr", has_text=big_round.MEASURE.format(200)))
    row.get_by_role("button", name="查看").click()
    expect(page.locator(".kit-item")).to_contain_text(big_round.MEASURE.format(200))
    page.get_by_label("进展情况＊", exact=True).fill("已召开专题会议，修订制度两项")
    page.get_by_label("整改进度（%）", exact=True).first.fill("85")  # the report's (a step's correction has one too)
    page.get_by_role("button", name="报送进展").click()
    expect(page.get_by_role("status").filter(has_text="已报送进展")).to_be_visible()
    expect(rows(page).filter(has_text=big_round.MEASURE.format(200))).to_contain_text("85%")
    with db.read(served["db"]) as con:
        progress = con.scalar(
            "SELECT progress FROM rectification_items WHERE measure = ?", [big_round.MEASURE.format(200)]
        )
    assert progress == 85


def test_an_item_voided_with_a_reason_is_struck_out_kept_in_history_and_out_of_the_figures(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, table = ledger
    measure = big_round.MEASURE.format(300)
    with db.read(served["db"]) as con:
        ident = int(con.scalar("SELECT id FROM rectification_items WHERE measure = ?", [measure]))
        round_id = int(con.scalar("SELECT id FROM inspection_rounds WHERE code = '2024-1'"))
        before = len(rectification.list_items(con, round_ids=[round_id]))
    search = table.get_by_label("搜索")
    search.fill(measure)
    search.press("Enter")
    row = table.locator(".widget-hbox", has=page.locator("table.kit-ledger tr", has_text=measure))
    row.get_by_role("button", name="查看").click()
    expect(page.locator(".kit-item")).to_contain_text(measure)
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此事项"))
    expect(panel.get_by_label("整改措施＊", exact=True)).to_have_value(measure)  # the stored values, to correct
    panel.get_by_role("button", name="作废此事项").click()
    expect(panel.get_by_role("status")).to_contain_text("作废理由")  # no reason, nothing written
    panel.get_by_label("理由＊", exact=True).fill("与第 301 项重复录入")
    panel.get_by_role("button", name="作废此事项").click()
    expect(page.get_by_role("status").filter(has_text=f"已作废整改事项 {ident}")).to_be_visible()
    expect(rows(page).filter(has_text=measure)).to_contain_text("已作废")
    expect(page.locator(".kit-list-kit-item-corrections")).to_contain_text("作废。理由：与第 301 项重复录入")
    expect(panel).to_be_hidden()  # nothing more is done on a voided item
    with db.read(served["db"]) as con:
        after = rectification.list_items(con, round_ids=[round_id])
        _, problems = integrity.compare(con)
    assert len(after) == before - 1  # the ledger's figures leave it out
    assert ident not in {r["id"] for r in after}
    assert problems == []


def test_a_finding_corrected_in_its_detail_shows_before_after_and_reason(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, _ = ledger
    page.get_by_role("tab", name="发现问题").click()
    findings = page.locator(".kit-list-kit-findings")
    expect(findings.get_by_text(f"共 {ITEMS} 条")).to_be_visible(timeout=60_000)
    old = "基准问题第 517 条：会议记录不全，责任清单未及时更新"
    new = "基准问题第 517 条：三重一大会议记录不全"
    findings.get_by_label("搜索").fill(old)
    findings.get_by_label("搜索").press("Enter")
    expect(findings.get_by_text("符合条件 1 条")).to_be_visible()
    findings.get_by_role("button", name="查看").first.click()
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此问题"))
    expect(panel.get_by_label("问题描述＊", exact=True)).to_have_value(old)
    panel.get_by_label("问题描述＊", exact=True).fill(new)
    panel.get_by_label("理由＊", exact=True).fill("问题描述不准确")
    panel.get_by_role("button", name="保存更正").click()
    expect(panel.get_by_role("status")).to_contain_text("已更正问题")
    expect(page.locator("table.kit-finding-corrections tr").first).to_contain_text(f"问题描述：{old} → {new}")
    findings.get_by_label("搜索").fill("517 三重一大")  # the list shows the corrected text
    findings.get_by_label("搜索").press("Enter")
    expect(page.locator("table.kit-findings tr").filter(has_text=new)).to_have_count(1)
    with db.read(served["db"]) as con:
        assert con.scalar("SELECT count(*) FROM findings WHERE description = ?", [new]) == 1
        _, problems = integrity.compare(con)
    assert problems == []


def test_a_clue_transferred_in_error_is_voided_from_its_row_and_struck_out(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, _ = ledger
    page.get_by_role("tab", name="发现问题").click()
    clues = page.locator(".kit-list-kit-clues")
    expect(clues.get_by_text("尚无移交的问题线索")).to_be_visible(timeout=60_000)
    page.get_by_label("移交的问题＊", exact=True).select_option(index=1)
    # the entry form's (the hidden correction panel above it has a field of that name too)
    page.get_by_label("移交对象＊", exact=True).last.select_option(label="纪委监委")
    page.locator("button.mod-primary", has_text="移交线索").click()  # not the findings column of that name
    expect(page.get_by_text("已移交：线索编号")).to_be_visible()
    expect(page.locator("table.kit-clues tr")).to_have_count(1)
    clues.get_by_role("button", name="查看").first.click()
    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此线索"))
    expect(panel.get_by_label("移交对象＊", exact=True)).to_be_visible()
    panel.get_by_label("理由＊", exact=True).fill("移交错了问题")
    panel.get_by_role("button", name="作废此线索").click()
    # the outcome moves from the form's status line to the line that outlives the panel: shown once, at last
    expect(page.get_by_role("status").filter(has_text="已作废线索")).to_have_count(1)
    expect(page.locator("table.kit-clues tr.kit-row-voided")).to_have_count(1)  # struck out, still listed
    expect(page.locator("table.kit-clue-corrections tr").first).to_contain_text("移交错了问题")
    expect(panel).to_be_hidden()
    with db.read(served["db"]) as con:
        assert con.scalar("SELECT count(*) FROM clues WHERE voided_at IS NULL") == 0
        assert con.scalar("SELECT count(*) FROM clues") == 1
        _, problems = integrity.compare(con)
    assert problems == []


def test_a_progress_report_is_corrected_then_voided_and_the_items_progress_follows(
    ledger: tuple[Page, Locator], served: dict[str, Any]
) -> None:
    page, table = ledger
    measure = big_round.MEASURE.format(250)
    with db.read(served["db"]) as con:  # as the ledger was imported
        entered = int(con.scalar("SELECT progress FROM rectification_items WHERE measure = ?", [measure]))
    assert entered not in (40, 45)
    search = table.get_by_label("搜索")
    search.fill(measure)
    search.press("Enter")
    row = table.locator(".widget-hbox", has=page.locator("table.kit-ledger tr", has_text=measure))
    row.get_by_role("button", name="查看").click()
    expect(page.locator(".kit-item")).to_contain_text(measure)
    page.get_by_label("进展情况＊", exact=True).fill("已完成自查")
    page.get_by_label("整改进度（%）", exact=True).first.fill("40")  # the report's, above the steps' panel
    page.get_by_role("button", name="报送进展").click()
    expect(rows(page).filter(has_text=measure)).to_contain_text("40%")

    panel = page.locator(".kit-correction").filter(has=page.get_by_role("button", name="作废此记录"))
    expect(panel.get_by_label("进展情况或延期理由＊", exact=True)).to_have_value("已完成自查")
    panel.get_by_label("整改进度（%）", exact=True).fill("45")
    panel.get_by_label("理由＊", exact=True).fill("进度录错")
    panel.get_by_role("button", name="保存更正").click()
    expect(rows(page).filter(has_text=measure)).to_contain_text("45%")
    expect(page.locator(".kit-list-kit-item-corrections")).to_contain_text("进度录错")

    panel.get_by_label("理由＊", exact=True).fill("报错了事项")
    panel.get_by_role("button", name="作废此记录").click()
    expect(rows(page).filter(has_text=measure)).to_contain_text(f"{entered}%")  # back to the imported progress
    expect(page.locator(".kit-list-kit-item-corrections")).to_contain_text("报错了事项")
    expect(page.locator(".kit-list-kit-item-history")).to_contain_text("已作废")
    with db.read(served["db"]) as con:
        progress, voided = con.one(
            "SELECT i.progress, u.voided_at IS NOT NULL FROM rectification_items i"
            " JOIN rectification_updates u ON u.item_id = i.id WHERE i.measure = ? AND u.kind = 'progress'",
            [measure],
        ) or (None, None)
        _, problems = integrity.compare(con)
    assert (progress, voided) == (entered, True)
    assert problems == []
