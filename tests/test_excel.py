"""Excel ledgers: templates, imports through the forms' validators (all or none), exports."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kit import access, cli, db, excel, inspections, integrity, rectification, xlsx_parse
from kit.errors import InvalidInput, PermissionDenied
from kit.excel import importing
from tests.conftest import build_inspection, build_office, copy_database

FINDING_HEADER = ["巡察轮次", "＊被巡察单位", "发现环节", "＊问题类别", "＊问题描述", "＊严重程度", "＊是否涉及一把手"]
FINDING_HEADER += ["＊问题来源", "＊发现日期"]
ITEM_HEADER = ["＊问题编号", "单位", "＊整改措施", "责任领导", "＊责任人", "＊整改时限", "整改进度（%）"]


def finding_row(description: str = "村务公开不及时", **change: Any) -> list[Any]:
    row = {
        "巡察轮次": "2024-1",
        "＊被巡察单位": "甲县委",
        "发现环节": None,
        "＊问题类别": "三资管理不规范",
        "＊问题描述": description,
        "＊严重程度": "一般",
        "＊是否涉及一把手": "否",
        "＊问题来源": "巡察",
        "＊发现日期": date(2024, 4, 10),
        **change,
    }
    return [row[h] for h in FINDING_HEADER]


def item_row(finding: int, measure: str = "建立村务公开台账", **change: Any) -> list[Any]:
    row = {
        "＊问题编号": finding,
        "单位": None,
        "＊整改措施": measure,
        "责任领导": None,
        "＊责任人": "办公室主任",
        "＊整改时限": date(2024, 12, 31),
        "整改进度（%）": 20,
        **change,
    }
    return [row[h] for h in ITEM_HEADER]


def xlsx(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_back(data: bytes, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))


@pytest.fixture(autouse=True)
def _usual_memory_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_XLSX_MEMORY_MB", raising=False)


@pytest.fixture(scope="module")
def _ledger_master(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("excel") / "kit.duckdb"
    db.init(path)
    office = build_office(path)
    found = {**office, **build_inspection(office)}
    with db.write(path, action="准备导入测试") as con:
        # Two findings of A and one of B without a ledger item yet.
        found["open"] = [
            inspections.add_finding(
                con,
                round="2024-1",
                unit=unit,
                category="三资管理不规范",
                description=f"{unit}县{what}",
                severity="较重",
                involves_top="否",
                source="巡察",
                found_on="2024-04-05",
            )
            for unit, what in (("A", "合同管理混乱"), ("A", "公务接待超标"), ("B", "工程项目未招标"))
        ]
        access.add_user(con, name="luru", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="luru", kind="unit", unit_id=office["a"])
        access.add_user(con, name="fenxi", display_name="分析员乙", roles=["analyst"])
        access.grant_scope(con, name="fenxi", kind="all")
    return found


@pytest.fixture
def ledger(_ledger_master: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A private copy of an office inspected in round 2024-1 (see `_ledger_master`)."""
    path = tmp_path / "kit.duckdb"
    copy_database(_ledger_master["db"], path)
    return {**_ledger_master, "db": path}


def refused_whole(ledger: dict[str, Any], counts: Callable[[Path], dict[str, int]], data: bytes, kind: str) -> Any:
    """Import `data`, expect row errors, and check that nothing at all was written."""
    before = counts(ledger["db"])
    result = excel.import_file(data, kind, path=ledger["db"])
    assert not result.ok
    assert result.imported == []
    assert result.rejects is None
    assert counts(ledger["db"]) == before
    return result


# --- templates ---------------------------------------------------------------------------------


def test_findings_template_filled_in_imports_and_passes_the_integrity_check(ledger: dict[str, Any]) -> None:
    with db.read(ledger["db"]) as con:
        data = excel.template("findings", con=con)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["发现问题", "填写说明", "可选值"]
    sheet = book["发现问题"]
    header = [c.value for c in sheet[1]]
    assert header == FINDING_HEADER
    sheet.append(finding_row("食堂采购无台账"))
    sheet.append(finding_row("超标准配备公务用车", **{"＊被巡察单位": "B", "＊发现日期": "2024年4月12日"}))
    out = io.BytesIO()
    book.save(out)
    result = excel.import_file(out.getvalue(), "findings", path=ledger["db"])
    assert result.ok, [str(e) for e in result.errors]
    assert len(result.imported) == 2
    with db.read(ledger["db"]) as con:
        stored = {f["id"]: f for f in inspections.list_findings(con)}
    assert stored[result.imported[0]]["description"] == "食堂采购无台账"
    assert stored[result.imported[1]]["unit_name"] == "乙县委"
    assert stored[result.imported[1]]["found_on"] == date(2024, 4, 12)
    assert integrity.check(ledger["db"]).ok


def test_rectification_template_prefills_the_rounds_findings_without_items(ledger: dict[str, Any]) -> None:
    with db.read(ledger["db"]) as con:
        data = excel.template("rectification", con=con, round_id=ledger["round"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["整改台账"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["＊问题编号", "单位", "问题描述"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ledger["open"]
    assert [r[1:3] for r in rows] == [
        ("甲县委", "A县合同管理混乱"),
        ("甲县委", "A县公务接待超标"),
        ("乙县委", "B县工程项目未招标"),
    ]
    for n, row in enumerate(sheet.iter_rows(min_row=2), start=1):
        values = {"＊整改措施": f"整改措施{n}", "＊责任人": "纪检委员", "＊整改时限": date(2025, 3, 31)}
        for cell in row:
            if header[cell.column - 1] in values:
                cell.value = values[header[cell.column - 1]]
    out = io.BytesIO()
    book.save(out)
    result = excel.import_file(out.getvalue(), "rectification", path=ledger["db"])
    assert result.ok, [str(e) for e in result.errors]
    with db.read(ledger["db"]) as con:
        items = {i["id"]: i for i in rectification.list_items(con)}
        again = excel.template("rectification", con=con, round_id=ledger["round"])
    assert [items[i]["finding_id"] for i in result.imported] == ledger["open"]
    assert items[result.imported[0]]["leader_name"] == "张一"  # the unit's 一把手 when none is named
    assert read_back(again)[1:] == []  # every finding of the round now has an item
    assert integrity.check(ledger["db"]).ok


HOSTILE_DESCRIPTION = '=HYPERLINK("http://198.51.100.7/x","点此查看")'
HOSTILE_CATEGORY = "=1+2"


def _formulas(data: bytes) -> list[str]:
    """Every cell of every sheet stored as a formula or an error value, read from the file's own XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        xml = {n: z.read(n).decode() for n in sheets}
    return [n for n, text in xml.items() if "<f>" in text or "<f " in text or 't="e"' in text]


def test_office_text_that_looks_like_a_formula_stays_text_in_every_template(ledger: dict[str, Any]) -> None:
    with db.write(ledger["db"], action="准备") as con:
        inspections.add_category(con, name=HOSTILE_CATEGORY, area="discipline")
        inspections.add_finding(
            con,
            round="2024-1",
            unit="A",
            category=HOSTILE_CATEGORY,
            description=HOSTILE_DESCRIPTION,
            severity="一般",
            involves_top="否",
            source="巡察",
            found_on="2024-04-06",
        )
    with db.read(ledger["db"]) as con:
        prefilled = excel.template("rectification", con=con, round_id=ledger["round"])
        findings = excel.template("findings", con=con)
    assert _formulas(prefilled) == []
    assert _formulas(findings) == []
    rows = read_back(prefilled)
    assert any(r[2] == HOSTILE_DESCRIPTION for r in rows)  # the text itself is kept, as text
    choices = openpyxl.load_workbook(io.BytesIO(findings))[excel.CHOICES_SHEET]
    cells = [c for row in choices.iter_rows() for c in row if c.value == HOSTILE_CATEGORY]
    assert cells
    assert all(c.data_type == "s" for c in cells)
    guide = {row[0]: row for row in read_back(findings, "填写说明") if row[0]}
    assert HOSTILE_CATEGORY in guide["＊问题类别"][3]


def test_guide_sheet_lists_each_columns_rule_and_allowed_values(ledger: dict[str, Any]) -> None:
    with db.read(ledger["db"]) as con:
        data = excel.template("findings", con=con)
    guide = {row[0]: row for row in read_back(data, "填写说明") if row[0]}
    assert guide["＊严重程度"][1:] == ("必填", "从下拉列表中选择", "一般、较重、严重")
    assert guide["＊问题类别"][3] == "三资管理不规范"
    assert "甲县委" in guide["＊被巡察单位"][3]
    assert guide["巡察轮次"][1] == "选填"
    assert guide["巡察轮次"][3] == "2024-1"


def test_template_without_a_database_has_the_header_and_fixed_choices() -> None:
    data = excel.template("rectification")
    assert list(read_back(data)[0])[:8] == [*ITEM_HEADER[:2], "问题描述", *ITEM_HEADER[2:]]
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["整改台账", "填写说明"]


# --- bad rows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "change", "label", "message"),
    [
        ("rectification", {"＊整改措施": None}, "整改措施", "“整改措施”不能为空"),
        ("rectification", {"＊整改时限": None, "＊责任人": "  "}, "责任人", "“责任人”不能为空"),
        ("findings", {"＊被巡察单位": "丙县委"}, "被巡察单位", "“被巡察单位”中的单位“丙县委”不存在"),
        ("rectification", {"单位": "丙县委"}, "单位", "“单位”中的单位“丙县委”不存在"),
        ("rectification", {"＊整改时限": date(2024, 3, 1)}, "整改时限", "“整改时限”不能早于问题发现日期 2024-04-05"),
        ("rectification", {"整改进度（%）": "一半"}, "整改进度（%）", "“整改进度（%）”必须是 0 至 100 之间的整数"),
        ("rectification", {"整改进度（%）": 150}, "整改进度（%）", "“整改进度（%）”必须是 0 至 100 之间的整数"),
        ("findings", {"＊问题类别": "吃拿卡要"}, "问题类别", "“问题类别”中的类别“吃拿卡要”不存在"),
        ("findings", {"＊严重程度": "特别严重"}, "严重程度", "“严重程度”必须是以下之一：一般、较重、严重"),
        ("findings", {"＊发现日期": "2024-02-30"}, "发现日期", "“发现日期”不是真实存在的日期：2024-02-30"),
        ("rectification", {"＊问题编号": 9999}, "问题编号", "“问题编号”9999 不存在"),
    ],
)
def test_a_bad_row_is_named_by_excel_row_column_and_rule(
    ledger: dict[str, Any],
    table_counts: Callable[[Path], dict[str, int]],
    kind: str,
    change: dict[str, Any],
    label: str,
    message: str,
) -> None:
    if kind == "findings":
        data = xlsx(FINDING_HEADER, [finding_row("第一行无误"), finding_row("第二行有误", **change)])
    else:
        first, second = ledger["open"][:2]
        data = xlsx(ITEM_HEADER, [item_row(first), item_row(second, **change)])
    result = refused_whole(ledger, table_counts, data, kind)
    assert {e.row for e in result.errors} == {3}
    assert (label, message) in [(e.label, e.message) for e in result.errors]
    assert f"第 3 行 〔{label}〕：{message}" in [str(e) for e in result.errors]


def test_every_error_of_every_row_is_reported(ledger: dict[str, Any], table_counts: Any) -> None:
    rows = [
        item_row(ledger["open"][0], **{"＊整改措施": None, "整改进度（%）": "很多"}),
        item_row(ledger["open"][1]),
        item_row(ledger["open"][2], **{"＊整改时限": "下个月"}),
    ]
    result = refused_whole(ledger, table_counts, xlsx(ITEM_HEADER, rows), "rectification")
    assert [(e.row, e.label) for e in result.errors] == [(2, "整改措施"), (2, "整改进度（%）"), (4, "整改时限")]
    assert result.bad_rows == [2, 4]
    assert result.total == 3


def test_a_repeated_row_and_a_second_import_of_the_same_file_are_errors(ledger: dict[str, Any]) -> None:
    data = xlsx(FINDING_HEADER, [finding_row("甲"), finding_row("乙"), finding_row("甲")])
    result = excel.import_file(data, "findings", path=ledger["db"])
    assert [str(e) for e in result.errors] == ["第 4 行 〔整行〕：与第 2 行重复"]
    once = excel.import_file(xlsx(FINDING_HEADER, [finding_row("甲")]), "findings", path=ledger["db"])
    assert once.ok
    twice = excel.import_file(xlsx(FINDING_HEADER, [finding_row("甲")]), "findings", path=ledger["db"])
    assert [str(e) for e in twice.errors] == [f"第 2 行 〔整行〕：与已录入的发现问题（编号 {once.imported[0]}）重复"]


def test_good_only_imports_exactly_the_good_rows_and_returns_the_rest_with_reasons(
    ledger: dict[str, Any],
) -> None:
    first, second, third = ledger["open"]
    rows = [
        item_row(first, "措施一"),
        item_row(second, "措施二", **{"＊整改时限": date(2024, 1, 1)}),
        item_row(third, "措施三"),
        item_row(first, "措施四", **{"整改进度（%）": "过半"}),
    ]
    result = excel.import_file(xlsx(ITEM_HEADER, rows), "rectification", path=ledger["db"], good_only=True)
    assert not result.ok
    assert len(result.imported) == 2
    with db.read(ledger["db"]) as con:
        measures = {i["measure"] for i in rectification.list_items(con) if i["id"] in result.imported}
    assert measures == {"措施一", "措施三"}
    assert result.rejects is not None
    back = read_back(result.rejects)
    assert back[0][0] == "原行号"
    assert back[0][-1] == "错误原因"
    assert [r[0] for r in back[1:]] == [3, 5]
    assert back[1][-1] == "〔整改时限〕“整改时限”不能早于问题发现日期 2024-04-05"
    assert back[2][-1] == "〔整改进度（%）〕“整改进度（%）”必须是 0 至 100 之间的整数"
    # Corrected in place, the rejects file imports as it is.
    book = openpyxl.load_workbook(io.BytesIO(result.rejects))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("＊整改时限") + 1, value=date(2024, 12, 1))
    sheet.cell(row=3, column=header.index("整改进度（%）") + 1, value=60)
    out = io.BytesIO()
    book.save(out)
    fixed = excel.import_file(out.getvalue(), "rectification", path=ledger["db"])
    assert fixed.ok, [str(e) for e in fixed.errors]
    assert len(fixed.imported) == 2
    assert integrity.check(ledger["db"]).ok


def test_cells_as_excel_types_them_are_accepted(ledger: dict[str, Any]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ITEM_HEADER)
    sheet.append([float(ledger["open"][0]), "A", "逐项清理合同", "李二", "法律顾问", datetime(2025, 1, 15, 0, 0), 35.0])
    out = io.BytesIO()
    book.save(out)
    result = excel.import_file(out.getvalue(), "rectification", path=ledger["db"])
    assert result.ok, [str(e) for e in result.errors]
    with db.read(ledger["db"]) as con:
        [item] = [i for i in rectification.list_items(con) if i["id"] in result.imported]
    assert (item["deadline"], item["progress"], item["leader_name"]) == (date(2025, 1, 15), 35, "李二")


# --- the file itself ---------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    ledger: dict[str, Any], table_counts: Callable[[Path], dict[str, int]]
) -> None:
    data = b"PK\x03\x04" + os.urandom(50 * 1024 * 1024)
    before = table_counts(ledger["db"])
    with pytest.raises(InvalidInput) as refused:
        excel.import_file(data, "findings", path=ledger["db"])
    assert "文件大小为 50.0 MB，超过导入上限 30.0 MB" in refused.value.message
    assert table_counts(ledger["db"]) == before


def _with_far_cell(ref: str) -> bytes:
    """A ledger with its header, one good row, and one more cell at `ref`: a few KB at most."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx(FINDING_HEADER, [finding_row()])))
    book.worksheets[0][ref] = "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _without_references(cells_in_a_row: int) -> bytes:
    """A ledger whose last row has `cells_in_a_row` cells that do not name their place (r="…")."""
    data = xlsx(FINDING_HEADER, [finding_row()])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                row = b"<row>" + b'<c t="inlineStr"><is><t>x</t></is></c>' * cells_in_a_row + b"</row>"
                body = body.replace(b"</sheetData>", row + b"</sheetData>")
            dst.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "extent"),
    [
        (lambda: _with_far_cell("XFD1048576"), "1048576 行、16384 列"),  # 4.8 KB; the grid: 17 billion cells
        (lambda: _with_far_cell("A200001"), "200001 行、9 列"),
        (lambda: _with_far_cell("GS2"), "2 行、201 列"),
        (lambda: _with_far_cell("GR20001"), "20001 行、200 列"),  # 4,000,200 cells
        (lambda: _without_references(201), "3 行、201 列"),
    ],
)
def test_a_sheet_spanning_too_many_cells_is_refused_before_its_grid_is_built(
    ledger: dict[str, Any], table_counts: Callable[[Path], dict[str, int]], make: Callable[[], bytes], extent: str
) -> None:
    data = make()
    assert len(data) < 64 * 1024
    before = table_counts(ledger["db"])
    with pytest.raises(InvalidInput) as refused:
        excel.import_file(data, "findings", path=ledger["db"])
    assert refused.value.errors["file"].startswith(f"工作表用到了 {extent}，超过导入上限")
    assert table_counts(ledger["db"]) == before


def test_a_sheet_just_inside_the_limits_is_read() -> None:
    rows = excel.read_workbook(_with_far_cell("GR19999"), "findings")  # 200 columns × 19,999 rows
    assert [r["_row"] for r in rows] == [2]  # the far cell is outside every column of the ledger
    assert rows[0]["description"] == "村务公开不及时"


LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="the cap (RLIMIT_AS) and /proc are Linux's")


def _children() -> dict[int, str]:
    """This process's child processes, exited but not yet waited for ones too: pid → state and
    command line, from /proc (each thread's children have this process as their parent)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]  # after "pid (name) "
        if int(parent) == os.getpid():
            found[int(entry.name)] = f"{state} {command}"
    return found


@pytest.fixture
def parse_children(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The pids of the parsing children the test starts, and this process's children before it."""
    started: list[int] = []
    before = set(_children())

    class Recorded(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.pid)

    monkeypatch.setattr(xlsx_parse.subprocess, "Popen", Recorded)
    return {"started": started, "before": before}


def assert_none_left(children: dict[str, Any]) -> None:
    """A child was started, and it has ended and been waited for: this process has no child it had
    not before (running or exited, not waited for)."""
    assert children["started"]
    left = _children()
    assert {pid: c for pid, c in left.items() if pid not in children["before"]} == {}
    assert [pid for pid in children["started"] if Path(f"/proc/{pid}").exists()] == []


@LINUX_ONLY
def test_a_file_that_parses_past_the_memory_cap_is_refused_and_nothing_is_written(
    ledger: dict[str, Any],
    table_counts: Callable[[Path], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    parse_children: dict[str, Any],
) -> None:
    # A normal ledger of 2,500 rows; the child's interpreter alone takes more than 8 MB, so its
    # grid cannot be built, however fast or slow the machine.
    data = xlsx(FINDING_HEADER, [finding_row(f"第{n}条问题") for n in range(2500)])
    monkeypatch.setenv("KIT_XLSX_MEMORY_MB", "8")
    before = table_counts(ledger["db"])
    with pytest.raises(InvalidInput) as refused:
        excel.import_file(data, "findings", path=ledger["db"])
    assert refused.value.errors == {"file": "文件解析时超出内存上限（8 MB），未导入任何数据。请拆分文件后重试。"}
    assert table_counts(ledger["db"]) == before
    assert_none_left(parse_children)
    monkeypatch.delenv("KIT_XLSX_MEMORY_MB")  # the same file, within the usual cap, in the same process
    assert len(excel.import_file(data, "findings", path=ledger["db"]).imported) == 2500


@LINUX_ONLY
def test_a_parse_past_the_time_limit_is_refused_and_its_child_killed(
    ledger: dict[str, Any],
    table_counts: Callable[[Path], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    parse_children: dict[str, Any],
) -> None:
    never_done = [sys.executable, "-c", "import time; time.sleep(600)"]  # reads nothing, answers nothing
    monkeypatch.setattr(xlsx_parse, "_command", lambda *args: never_done)
    monkeypatch.setattr(xlsx_parse, "PARSE_TIMEOUT_S", 0.5)
    before = table_counts(ledger["db"])
    data = xlsx(FINDING_HEADER, [finding_row(f"第{n}条问题") for n in range(2500)])  # more than a pipe holds
    with pytest.raises(InvalidInput, match=r"^文件解析超过 0.5 秒仍未完成，已中止，未导入任何数据。"):
        excel.import_file(data, "findings", path=ledger["db"])
    assert table_counts(ledger["db"]) == before
    assert_none_left(parse_children)


@LINUX_ONLY
def test_the_child_is_killed_when_the_import_is_interrupted(
    monkeypatch: pytest.MonkeyPatch, parse_children: dict[str, Any]
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # what stopping a kernel raises

    monkeypatch.setattr(xlsx_parse.subprocess.Popen, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        excel.read_workbook(xlsx(FINDING_HEADER, [finding_row()]), "findings")
    assert_none_left(parse_children)


def test_the_childs_answer_may_hold_plain_values_only(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import os, pickle, sys; sys.stdout.buffer.write(pickle.dumps(('rows', [[os.system]])))"
    monkeypatch.setattr(xlsx_parse, "_command", lambda *args: [sys.executable, "-c", code])
    with pytest.raises(InvalidInput, match="解析结果无效"):
        excel.read_workbook(xlsx(FINDING_HEADER, [finding_row()]), "findings")


@pytest.mark.parametrize(("value", "cap"), [("", 1024), ("256", 256), ("很多", 1024), ("0", 1024), ("-5", 1024)])
def test_the_memory_cap_comes_from_the_environment_when_it_is_a_positive_number(
    monkeypatch: pytest.MonkeyPatch, value: str, cap: int
) -> None:
    monkeypatch.setenv("KIT_XLSX_MEMORY_MB", value)
    assert xlsx_parse.memory_mb() == cap


def test_who_may_not_import_is_refused_before_the_file_is_read(
    ledger: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi")  # an analyst: no 录入员 role
    for data in (b"not a workbook", _with_far_cell("XFD1048576")):
        with pytest.raises(PermissionDenied, match="导入发现问题"):
            excel.import_file(data, "findings", path=ledger["db"])


def _zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "不是工作簿")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("问题编号,整改措施\n1,建立台账\n".encode(), "不是 Excel 文件（.xlsx）"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "不是 Excel 文件（.xlsx）"),
        (b"", "不是 Excel 文件（.xlsx）"),
        (_zip_without_workbook(), "不是 Excel 文件（.xlsx）"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "旧版 Excel（.xls）"),
        (b"PK\x03\x04" + bytes(100), "文件已损坏"),
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused(
    ledger: dict[str, Any], table_counts: Callable[[Path], dict[str, int]], data: bytes, message: str
) -> None:
    before = table_counts(ledger["db"])
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        excel.import_file(data, "rectification", path=ledger["db"])
    assert table_counts(ledger["db"]) == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([h for h in ITEM_HEADER if h != "＊整改措施"], "缺少必填列 “整改措施”"),
        ([*ITEM_HEADER, "备注"], "有无法识别的列 “备注”"),
        ([*ITEM_HEADER, "责任人"], "列 “责任人” 出现了不止一次"),
        (["甲", "乙"], "找不到整改台账的表头"),
    ],
)
def test_header_problems_are_named(header: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        excel.read_workbook(xlsx(header, [[1] * len(header)]), "rectification")


def test_the_header_is_found_below_a_title_and_rows_keep_their_excel_numbers() -> None:
    rows = [item_row(1), [None] * 7, item_row(2)]
    read = excel.read_workbook(xlsx(ITEM_HEADER, rows, title="某县巡察整改台账"), "rectification")
    assert [(r["_row"], r["finding"]) for r in read] == [(3, 1), (5, 2)]
    assert read[0]["deadline"] == date(2024, 12, 31)


def test_a_number_column_and_the_rejects_columns_are_read_past() -> None:
    header = ["序号", *ITEM_HEADER, "原行号", "错误原因"]
    [row] = excel.read_workbook(xlsx(header, [[1, *item_row(7), 12, "旧的原因"]]), "rectification")
    assert set(row) == {"finding", "unit", "measure", "leader", "responsible", "deadline", "progress", "_row"}


def test_rows_given_directly_are_numbered_by_place(ledger: dict[str, Any]) -> None:
    rows = [
        {"finding": float(ledger["open"][1]), "measure": "整改一", "responsible": "甲", "deadline": "2025-01-01"},
        {"finding": str(ledger["open"][2]), "measure": "整改二", "responsible": "", "deadline": "2025-01-01"},
    ]
    with db.write(ledger["db"], action="导入整改台账") as con:
        result = excel.import_rows(con, "rectification", rows, good_only=True)
    assert len(result.imported) == 1
    assert [str(e) for e in result.errors] == ["第 2 行 〔责任人〕：“责任人”不能为空"]


def test_a_template_without_rows_is_refused() -> None:
    with pytest.raises(InvalidInput, match="没有数据行"):
        excel.read_workbook(excel.template("findings"), "findings")


# --- who may import ----------------------------------------------------------------------------


def test_rows_outside_the_users_scope_are_row_errors_and_nothing_is_written(
    ledger: dict[str, Any], table_counts: Callable[[Path], dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    findings = xlsx(FINDING_HEADER, [finding_row("甲县问题"), finding_row("乙县问题", **{"＊被巡察单位": "乙县委"})])
    result = refused_whole(ledger, table_counts, findings, "findings")
    # Whether 乙县委 exists at all is not the scoped user's to know.
    assert [str(e) for e in result.errors] == [
        "第 3 行 〔被巡察单位〕：“被巡察单位”中的单位“乙县委”不存在或不在您的授权范围内"
    ]
    items = xlsx(ITEM_HEADER, [item_row(ledger["open"][0]), item_row(ledger["open"][2])])
    result = refused_whole(ledger, table_counts, items, "rectification")
    assert [(e.row, e.label) for e in result.errors] == [(3, "问题编号")]
    assert "不在您的授权范围内" in result.errors[0].message
    good = excel.import_file(findings, "findings", path=ledger["db"], good_only=True)
    assert len(good.imported) == 1


def test_a_user_without_the_entry_role_is_refused_and_the_refusal_traced(
    ledger: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi")
    with pytest.raises(PermissionDenied, match="导入发现问题"):
        excel.import_file(xlsx(FINDING_HEADER, [finding_row()]), "findings", path=ledger["db"])
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
    with db.read(ledger["db"]) as con:
        last = con.one("SELECT action, actor FROM trace_log ORDER BY seq DESC LIMIT 1")
    assert last == ("拒绝访问", "fenxi")


# --- progress ------------------------------------------------------------------------------------


def test_progress_is_reported_in_steps_and_ends_with_the_total(ledger: dict[str, Any]) -> None:
    rows = [finding_row(f"第{n}条问题") for n in range(2500)]
    calls: list[tuple[int, int]] = []
    result = excel.import_file(
        xlsx(FINDING_HEADER, rows), "findings", path=ledger["db"], progress=lambda d, t: calls.append((d, t))
    )
    assert result.ok
    assert len(result.imported) == 2500
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert integrity.check(ledger["db"]).ok


# --- export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "columns", "count"),
    [
        ("findings", inspections.FINDING.export, 5),
        ("rectification", rectification.ITEM.export, 2),
        ("clues", excel.CLUE_COLUMNS, 1),
        ("overview", excel.OVERVIEW_COLUMNS, 2),
    ],
)
def test_each_export_reads_back_with_chinese_headers(
    ledger: dict[str, Any], what: str, columns: dict[str, str], count: int
) -> None:
    with db.write(ledger["db"], action="移交线索") as con:
        inspections.transfer_clue(
            con, finding_id=ledger["findings"]["a"], receiver="commission", transferred_on="2024-06-01"
        )
    with db.read(ledger["db"]) as con:
        data = excel.export(con, what, round_ids=[ledger["round"]])
    rows = read_back(data)
    assert list(rows[0]) == list(columns.values())
    assert len(rows) - 1 == count
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == [excel.EXPORTS[what]]


def test_export_rows_keeps_dates_and_text_and_spells_out_booleans_and_lists() -> None:
    rows = [
        {"day": date(2024, 3, 31), "flag": True, "names": ["张一", "李二"], "text": '=HYPERLINK("x")', "n": 3},
        {"day": None, "flag": False, "names": [], "text": "#N/A", "n": None},
    ]
    data = excel.export_rows(rows, {"day": "日期", "flag": "是否", "names": "人员", "text": "说明", "n": "数量"})
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["数据"]
    assert [c.value for c in sheet[1]] == ["日期", "是否", "人员", "说明", "数量"]
    assert sheet["A2"].value == datetime(2024, 3, 31)
    assert sheet["A2"].is_date
    assert [c.value for c in sheet[2][1:]] == ["是", "张一、李二", '=HYPERLINK("x")', 3]
    assert sheet["D2"].data_type == "s"  # never a formula
    assert [c.value for c in sheet[3][1:4]] == ["否", None, "#N/A"]


# --- command line ----------------------------------------------------------------------------------


def test_cli_template_then_import(ledger: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = str(ledger["db"]), tmp_path / "模板.xlsx"
    assert cli.main(["template", "rectification", "--round", "2024-1", "--out", str(out), "--db", path]) == 0
    book = openpyxl.load_workbook(out)
    sheet = book.active
    for row in sheet.iter_rows(min_row=2):
        row[3].value, row[5].value, row[6].value = "召开专题会议", "党委秘书", date(2025, 6, 30)
    book.save(out)
    assert cli.main(["import", "rectification", str(out), "--db", path]) == 0
    assert "导入 3 行整改台账" in capsys.readouterr().out


def test_cli_import_lists_row_errors_and_fails(
    ledger: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], table_counts: Any
) -> None:
    file = tmp_path / "台账.xlsx"
    file.write_bytes(
        xlsx(ITEM_HEADER, [item_row(ledger["open"][0]), item_row(ledger["open"][1], **{"整改进度（%）": "五成"})])
    )
    before = table_counts(ledger["db"])
    assert cli.main(["import", "rectification", str(file), "--db", str(ledger["db"])]) == 1
    err = capsys.readouterr().err
    assert "第 3 行 〔整改进度（%）〕：“整改进度（%）”必须是 0 至 100 之间的整数" in err
    assert "未导入任何数据" in err
    assert table_counts(ledger["db"]) == before
    rejects = tmp_path / "未导入.xlsx"
    args = ["import", "rectification", str(file), "--good-only", "--rejects", str(rejects), "--db", str(ledger["db"])]
    assert cli.main(args) == 1
    assert "导入 1 行整改台账；1 行不符合要求" in capsys.readouterr().out
    assert read_back(rejects.read_bytes())[1][0] == 3


def test_cli_refuses_rejects_without_good_only_and_a_missing_file(
    ledger: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(ledger["db"])
    assert cli.main(["import", "findings", str(tmp_path / "无.xlsx"), "--rejects", "x.xlsx", "--db", path]) == 1
    assert "--good-only" in capsys.readouterr().err
    assert cli.main(["import", "findings", str(tmp_path / "无.xlsx"), "--db", path]) == 1
    assert "不存在" in capsys.readouterr().err


def test_cli_export_writes_the_chosen_rounds(ledger: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    assert (
        cli.main(["export", "rectification", "--rounds", "2024-1", "--out", str(out), "--db", str(ledger["db"])]) == 0
    )
    assert read_back(out.read_bytes())[0][0] == "整改事项编号"
    assert cli.main(["export", "findings", "--rounds", "2099-9", "--out", str(out), "--db", str(ledger["db"])]) == 1


# --- others saving while an import is checked ---------------------------------------------------


@pytest.mark.service_only("a write during an import's check: embedded, one process reads or writes at a time")
@pytest.mark.parametrize("good_only", [False, True])
def test_a_record_saved_while_the_import_was_checked_becomes_a_row_error(
    ledger: dict[str, Any], monkeypatch: pytest.MonkeyPatch, good_only: bool
) -> None:
    checked = importing._check_rows

    def check_then_someone_saves(*args: Any, **kwargs: Any) -> Any:
        found = checked(*args, **kwargs)
        monkeypatch.setattr(importing, "_check_rows", checked)  # once
        other = excel.read_workbook(xlsx(FINDING_HEADER, [finding_row("乙")]), "findings")
        with db.write(ledger["db"], action="录入发现问题") as con:  # another clerk, while no turn is held
            excel.import_rows(con, "findings", other)
        return found

    monkeypatch.setattr(importing, "_check_rows", check_then_someone_saves)
    data = xlsx(FINDING_HEADER, [finding_row("甲"), finding_row("乙")])
    result = excel.import_file(data, "findings", path=ledger["db"], good_only=good_only)
    with db.read(ledger["db"]) as con:
        stored = [f["description"] for f in inspections.list_findings(con) if f["description"] in ("甲", "乙")]
    assert [(e.row, e.message[:12]) for e in result.errors] == [(3, "与已录入的发现问题（编号")]
    assert sorted(stored) == (["乙", "甲"] if good_only else ["乙"])
    assert len(result.imported) == (1 if good_only else 0)
    assert (result.rejects is not None) == good_only
    assert integrity.check(ledger["db"]).ok
