"""The 巡察整改 app in a real headless Chromium against a real Voilà behind a (simulated) authenticating proxy.

Every request carries the header the proxy would set (X-Kit-User), so one server serves
the 录入员 who enters and asks for 销号 and the 审核员 who approves it. Nothing may leave
the machine.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from kit import config, db, rectification
from kit.service import tokens

from . import browser as b
from .test_ui_inspection import CATEGORY, GOOD_ROW, build_round, findings_file

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PDF = b"%PDF-1.4 minutes of the special meeting"
FIRST_MEASURE = "每季度专题研究党风廉政建设"
SECOND_MEASURE = "修订干部选拔任用工作规程"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("inspection")
    ward = build_round(folder / "kit.duckdb")
    with db.write(ward["db"], action="准备测试数据") as con:
        ward["second_item"] = rectification.add_item(
            con,
            finding=ward["spare"],
            measure=SECOND_MEASURE,
            responsible="组织部长",
            deadline="2026-06-30",
        )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_AUTH", "header")
        # Without preheated kernels: four apps preheating at once would keep the first page waiting longest.
        with b.voila(ward["db"], folder / "voila.log", preheat=False) as server:
            yield {**ward, "server": server}


class Session:
    """One user's page on the app, with every request that tried to leave and every script error."""

    def __init__(self, chromium: Browser, served: dict[str, Any], user: str, shown: str) -> None:
        self.guard = b.Guard()
        self.errors: list[str] = []
        headers = {"X-Kit-User": user}  # what the authenticating proxy would set
        self.context = b.guarded_context(chromium, self.guard, extra_http_headers=headers, accept_downloads=True)
        self.context.set_default_navigation_timeout(90_000)  # a kernel may have to start cold
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.sockets: list[str] = []  # websockets are not routed through the guard: check them apart
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.page.goto(served["server"].url("/voila/render/inspection.ipynb"))
        expect(self.page.locator(".kit-user")).to_have_text(f"当前用户：{shown}", timeout=60_000)

    def check(self) -> None:
        assert self.guard.outside == [], f"requests left the machine: {self.guard.outside}"
        assert self.errors == []
        assert all(url.startswith("ws://127.0.0.1") for url in self.sockets), self.sockets

    def close(self) -> None:
        self.context.close()
        self.check()


@pytest.fixture(scope="module")
def clerk_session(chromium: Browser, served: dict[str, Any]) -> Iterator[Session]:
    """The 录入员's page, opened once for the module's tests (each kernel start costs seconds)."""
    session = Session(chromium, served, "luru", "王录入（录入员）")
    yield session
    session.close()


@pytest.fixture
def clerk(clerk_session: Session) -> Iterator[Page]:
    """The 录入员's page, checked after each test: nothing left the machine, no script failed."""
    yield clerk_session.page
    clerk_session.check()


def choose_files(page: Page, upload: str, *files: Any) -> None:
    """Choose files in a FileUpload: its file input is never in the page, so answer the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        page.locator(f".{upload}").click()
    chooser.value.set_files(list(files))
    expect(page.locator(f".{upload}")).to_contain_text(f"({len(files)})")


def field(page: Page, label: str) -> Any:
    """The visible field of that label (a record's hidden 更正 form may carry the same one)."""
    return page.get_by_label(label, exact=True).filter(visible=True)


def test_the_index_lists_the_app(chromium: Browser, served: dict[str, Any]) -> None:
    guard = b.Guard()
    context = b.guarded_context(chromium, guard, extra_http_headers={"X-Kit-User": "luru"})
    page = context.new_page()
    page.goto(served["server"].url("/"))
    expect(page.get_by_role("link", name="巡察整改")).to_be_visible()
    context.close()
    assert guard.outside == []


def test_a_page_token_sent_by_the_browser_is_dropped_the_proxys_user_counts(
    chromium: Browser, served: dict[str, Any]
) -> None:
    secret = tokens.read_secret(config.secret_path(served["db"]))
    assert secret is not None
    borrowed = tokens.mint(secret, "shenhe")  # a valid token of another user, however it was obtained
    guard = b.Guard()
    headers = {"X-Kit-User": "luru", "X-Kit-Session": borrowed}
    context = b.guarded_context(chromium, guard, extra_http_headers=headers)
    context.set_default_navigation_timeout(90_000)
    page = context.new_page()
    page.goto(served["server"].url("/voila/render/inspection.ipynb"))
    expect(page.locator(".kit-user")).to_have_text("当前用户：王录入（录入员）", timeout=60_000)
    context.close()
    assert guard.outside == []


def test_a_finding_entered_in_the_form_is_in_the_table_and_the_database(clerk: Page, served: dict[str, Any]) -> None:
    page = clerk
    page.get_by_role("tab", name="发现问题").click()
    field(page, "被巡察单位＊").select_option(label="乙县委", timeout=60_000)
    field(page, "问题类别＊").select_option(label=CATEGORY)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="“问题描述”不能为空")).to_be_visible()

    description = "党组会议记录不完整，重大事项未经集体研究"
    field(page, "问题描述＊").fill(description)
    field(page, "严重程度＊").select_option(label="严重")
    field(page, "是否涉及一把手＊").select_option(label="是")
    found = field(page, "发现日期＊")
    found.fill("2025-05-08")
    found.press("Tab")
    expect(page.locator(".kit-top-leader")).to_have_text("2025年5月8日的一把手：王三（县委书记）")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存：问题编号")).to_be_visible()
    expect(page.locator("table.kit-findings tr", has_text=description)).to_contain_text("王三")
    with db.read(served["db"]) as con:
        row = con.one(
            "SELECT u.name, f.severity, f.involves_top, f.found_on::VARCHAR, f.created_by FROM findings f"
            " JOIN units u ON u.id = f.unit_id WHERE f.description = ?",
            [description],
        )
    assert row == ("乙县委", "grave", True, "2025-05-08", "luru")


def test_an_import_with_a_broken_row_lists_its_errors_and_imports_nothing(clerk: Page, served: dict[str, Any]) -> None:
    page = clerk
    page.get_by_role("tab", name="发现问题").click()
    broken = {**GOOD_ROW, "description": "三重一大事项未经集体研究", "category": "无此类别"}
    workbook = {
        "name": "发现问题.xlsx",
        "mimeType": "application/octet-stream",
        "buffer": findings_file([GOOD_ROW, broken]),
    }
    choose_files(page, "kit-upload-findings", workbook)
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="1 行有误，未导入任何数据")).to_be_visible(timeout=60_000)
    errors = page.locator(".kit-import-findings .kit-list-kit-import-errors")
    expect(errors.locator("table.kit-import-errors tr")).to_have_count(1)
    expect(errors.locator("table.kit-import-errors tr")).to_contain_text("第 3 行")
    expect(errors.locator("table.kit-import-errors tr")).to_contain_text("“问题类别”中的类别“无此类别”不存在")
    with db.read(served["db"]) as con:
        assert con.scalar("SELECT count(*) FROM findings WHERE description = ?", [broken["description"]]) == 0


def pick_item(page: Page, measure: str) -> None:
    """Find the item by searching the ledger for its measure, then open its row."""
    page.get_by_role("tab", name="整改台账").click()
    ledger = page.locator(".kit-list-kit-ledger")
    search = ledger.get_by_label("搜索")
    search.fill(measure)
    search.press("Enter")
    expect(ledger.get_by_text("符合条件 1 条")).to_be_visible(timeout=60_000)
    row = ledger.locator(".widget-hbox", has=page.locator("table.kit-ledger tr", has_text=measure))
    row.get_by_role("button", name="查看").click()
    expect(page.locator(".kit-item")).to_contain_text(measure)


def test_a_progress_update_with_evidence_is_in_the_history_and_the_database(
    clerk: Page, served: dict[str, Any]
) -> None:
    page = clerk
    pick_item(page, FIRST_MEASURE)
    field(page, "进展情况＊").fill("召开党委会专题研究党风廉政建设")
    field(page, "整改进度（%）").fill("60")
    evidence = {"name": "专题会议纪要.pdf", "mimeType": "application/pdf", "buffer": PDF}
    choose_files(page, "kit-upload-progress", evidence)
    page.get_by_role("button", name="报送进展").click()
    expect(page.get_by_role("status").filter(has_text="已报送进展，上传佐证材料 1 份")).to_be_visible()
    history = page.locator(".kit-list-kit-item-history")
    expect(history.locator("table.kit-item-history tr").first).to_contain_text("召开党委会专题研究党风廉政建设")
    link = history.locator("a", has_text="专题会议纪要.pdf")  # the latest step's evidence, in its row
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF
    expect(page.locator("table.kit-ledger tr", has_text=FIRST_MEASURE)).to_contain_text("60%")
    with db.read(served["db"]) as con:
        saved = con.one(
            "SELECT e.filename, e.content, u.body, u.progress, u.created_by FROM evidence_files e"
            " JOIN rectification_updates u ON u.id = e.update_id WHERE e.item_id = ?",
            [served["item"]],
        )
    assert saved == ("专题会议纪要.pdf", PDF, "召开党委会专题研究党风廉政建设", 60, "luru")


def test_an_item_asked_to_close_by_one_user_is_closed_by_a_reviewer(
    clerk: Page, chromium: Browser, served: dict[str, Any]
) -> None:
    pick_item(clerk, SECOND_MEASURE)
    field(clerk, "完成情况＊").fill("规程已修订印发")
    clerk.get_by_role("button", name="申请销号").click()
    expect(clerk.get_by_role("status").filter(has_text="申请销号须上传佐证材料")).to_be_visible()
    choose_files(clerk, "kit-upload-close", {"name": "规程.pdf", "mimeType": "application/pdf", "buffer": PDF})
    clerk.get_by_role("button", name="申请销号").click()
    expect(clerk.get_by_role("status").filter(has_text="已申请销号，等待审核员审核")).to_be_visible()
    expect(clerk.get_by_text("审核销号（审核员）")).to_be_hidden()  # a 录入员 cannot review

    reviewer = Session(chromium, served, "shenhe", "陈审核（录入员、审核员）")
    page = reviewer.page
    page.get_by_role("tab", name="整改台账").click()
    expect(page.locator(".kit-list-kit-pending")).to_contain_text(SECOND_MEASURE)
    pending = field(page, "待审核事项＊")
    pending.select_option(label=next(o for o in pending.locator("option").all_inner_texts() if SECOND_MEASURE in o))
    field(page, "审核意见＊").fill("佐证材料齐全，同意销号")
    page.get_by_role("button", name="同意销号").click()
    expect(page.get_by_role("status").filter(has_text="已同意销号")).to_be_visible()
    expect(page.locator("table.kit-ledger tr", has_text=SECOND_MEASURE)).to_contain_text("已销号")
    reviewer.close()
    with db.read(served["db"]) as con:
        row = con.one(
            "SELECT status, close_requested_by, closed_by FROM rectification_items WHERE id = ?",
            [served["second_item"]],
        )
    assert row == ("closed", "luru", "shenhe")


def test_evidence_larger_than_the_websocket_default_arrives_whole(clerk: Page, served: dict[str, Any]) -> None:
    """12 MB: above tornado's default message limit (10 MiB), below kit's 20 MB per file."""
    page = clerk
    big = os.urandom(12 * 1024 * 1024)
    pick_item(page, FIRST_MEASURE)
    field(page, "进展情况＊").fill("上传整改前后对比照片")
    choose_files(page, "kit-upload-progress", {"name": "对比照片.zip", "mimeType": "application/zip", "buffer": big})
    page.get_by_role("button", name="报送进展").click()
    expect(page.get_by_role("status").filter(has_text="已报送进展，上传佐证材料 1 份")).to_be_visible(timeout=60_000)
    with db.read(served["db"]) as con:
        saved = con.one("SELECT size, sha256 FROM evidence_files WHERE filename = '对比照片.zip'")
    assert saved == (len(big), hashlib.sha256(big).hexdigest())
