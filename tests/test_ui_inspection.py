"""The 巡察整改 app's model (and its views' wiring), driven without a browser on a real temporary database."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kit import access, appointments, db, excel, inspections, rectification, registry
from kit.errors import InvalidInput
from kit.ui.inspection import InspectionModel, InspectionView, step_values, uploaded
from kit.ui.inspection.ledger import item_html
from tests.conftest import copy_database

from .conftest import build_office

ROUND = "2025-1"
CATEGORY = "落实主体责任不到位"
PDF = b"%PDF-1.4 meeting minutes"


def build_round(path: Path) -> dict[str, Any]:
    """The `office` units with one round: two units inspected, a feedback attended by 孙分管, one ledger item.

    Users: 本机操作员 (every role), luru (录入员), shenhe (审核员 and 录入员), fenxi (分析员), all units.
    On 2025-09-01 甲县委's 一把手 changes while its item is open, which makes a handover.
    """
    db.init(path)
    office = build_office(path)
    with db.write(path, action="准备巡察数据") as con:
        for name, shown, roles in (
            ("luru", "王录入", ["entry"]),
            ("shenhe", "陈审核", ["review", "entry"]),
            ("fenxi", "刘分析", ["analyst"]),
        ):
            access.add_user(con, name=name, display_name=shown, roles=roles)
            access.grant_scope(con, name=name, kind="all")
        in_charge = registry.add_person(con, name="孙分管")
        successor = registry.add_person(con, name="周新")
        rnd = inspections.add_round(
            con, code=ROUND, name="十五届州委第一轮巡察", kind="regular", start="2025-03-01", end="2025-06-30"
        )
        group = inspections.add_group(con, round_id=rnd, name="第一巡察组")
        inspections.assign_unit(con, group_id=group, unit_id=office["a"])
        inspections.assign_unit(con, group_id=group, unit_id=office["b"])
        inspections.add_category(con, name=CATEGORY, area="discipline")
        inspections.add_category(con, name="选人用人不规范", area="organization")
        inspections.record_feedback(
            con, round_id=rnd, unit_id=office["a"], mode="collective", held_on="2025-07-10", leader_id=in_charge
        )
        finding = inspections.add_finding(
            con,
            round=ROUND,
            unit="A",
            category=CATEGORY,
            description="党委会议研究党风廉政建设不足",
            severity="serious",
            involves_top="yes",
            source="inspection",
            found_on="2025-04-01",
        )
        spare = inspections.add_finding(
            con,
            round=ROUND,
            unit="B",
            category="选人用人不规范",
            description="干部选拔程序不规范",
            severity="general",
            involves_top="no",
            source="inspection",
            found_on="2025-04-03",
        )
        item = rectification.add_item(
            con, finding=finding, measure="每季度专题研究党风廉政建设", responsible="办公室主任", deadline="2025-12-31"
        )
        appointments.change_leader(
            con, unit_id=office["a"], role="principal", person_id=successor, post="县委书记", on="2025-09-01"
        )
    return {**office, "round": rnd, "finding": finding, "spare": spare, "item": item, "in_charge": in_charge}


@pytest.fixture(scope="module")
def _ward_master(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_round(tmp_path_factory.mktemp("ward") / "kit.duckdb")


@pytest.fixture
def ward(_ward_master: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A private copy of the round (built once per module)."""
    path = tmp_path / "kit.duckdb"
    copy_database(_ward_master["db"], path)
    return {**_ward_master, "db": path}


def model_as(path: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> InspectionModel:
    monkeypatch.setenv("KIT_OPERATOR", user)
    model = InspectionModel(path)
    model.load()
    return model


def finding_values(ward: dict[str, Any], **changes: Any) -> dict[str, Any]:
    values = {
        "unit": ward["b"],
        "category": CATEGORY,
        "description": "“三重一大”事项未经集体研究",
        "severity": "grave",
        "involves_top": "yes",
        "source": "inspection",
        "found_on": "2025-05-06",
        "stage": "inspection",
    }
    return {**values, **changes}


def upload(name: str, content: bytes) -> dict[str, Any]:
    """One entry of a FileUpload's value, as ipywidgets gives it."""
    return {
        "name": name,
        "type": "",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": datetime.now(),
    }


def counts(path: Path, *tables: str) -> dict[str, int]:
    with db.read(path) as con:
        return {t: int(con.scalar(f"SELECT count(*) FROM {t}")) for t in (*tables, "trace_log")}


# --- reading ------------------------------------------------------------------------------------


def test_load_selects_the_latest_round_with_its_units_findings_and_ledger(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    assert model.user_label == "王录入（录入员）"
    assert model.can_enter
    assert not model.can_review
    assert model.round_id == ward["round"]
    assert [u["name"] for u in model.units] == ["甲县委", "乙县委"]
    assert [f["id"] for f in model.findings] == [ward["finding"], ward["spare"]]
    assert [i["id"] for i in model.items] == [ward["item"]]
    assert [f["id"] for f in model.findings_without_item] == [ward["spare"]]
    assert model.team_of(ward["finding"])[0] == "周新"  # today's team of 甲县委, the new 一把手 first
    assert model.templates["findings"]
    assert model.templates["rectification"]


def test_the_leader_beside_the_form_is_the_one_in_office_on_the_date_found(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.unit_leader(ward["a"], "2025-04-01")
    assert model.leader_text == "2025年4月1日的一把手：张一（县委书记）"
    model.unit_leader(ward["a"], "2025-09-01")
    assert model.leader_text == "2025年9月1日的一把手：周新（县委书记）"
    model.unit_leader(ward["a"], "2019-01-01")
    assert model.leader_text == "2019年1月1日无在任一把手记录"
    model.unit_leader(ward["a"], "四月")
    assert model.leader_text == "填写正确的发现日期后显示当时的一把手"


def test_the_view_refreshes_the_leader_when_unit_or_date_change(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    form = view.findings.form
    form.inputs["unit"].value = ward["a"]
    form.inputs["found_on"].value = "2025-04-01"
    assert "张一" in view.findings.leader.value
    form.inputs["found_on"].value = "2025-10-01"
    assert "周新" in view.findings.leader.value


# --- 发现问题 ------------------------------------------------------------------------------------


def test_a_saved_finding_is_in_the_database_and_the_table(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    message = model.add_finding(finding_values(ward))
    ident = int(re.search(r"问题编号 (\d+)", message).group(1))  # type: ignore[union-attr]
    assert message == f"已保存：问题编号 {ident}（乙县委）"
    saved = next(f for f in model.findings if f["id"] == ident)
    assert saved["description"] == "“三重一大”事项未经集体研究"
    assert saved["top_leader"] == "王三"
    with db.read(ward["db"]) as con:
        row = con.one(
            "SELECT round_id, unit_id, severity, involves_top, created_by FROM findings WHERE id = ?", [ident]
        )
    assert row == (ward["round"], ward["b"], "grave", True, "luru")


def test_a_bad_finding_names_each_field_and_writes_nothing(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    before = counts(ward["db"], "findings")
    bad = finding_values(ward, unit=None, category=None, description="  ", severity=None, found_on="2025-02-30")
    with pytest.raises(InvalidInput) as e:
        model.add_finding(bad)
    assert set(e.value.errors) == {"unit", "category", "description", "severity", "found_on"}
    assert e.value.errors["found_on"] == "“发现日期”不是真实存在的日期：2025-02-30"
    with pytest.raises(InvalidInput) as early:
        model.add_finding(finding_values(ward, found_on="2025-01-15"))
    assert early.value.errors == {"found_on": "“发现日期”不能早于本轮巡察开始日期 2025-03-01"}
    assert counts(ward["db"], "findings") == before


def test_the_form_shows_errors_beside_their_fields(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    form = view.findings.form
    form.inputs["found_on"].value = "明天"
    form.run_submit()
    assert "未保存" in form.status.value
    assert "“发现日期”应为日期" in form.row_errors["found_on"].value
    assert "“问题描述”不能为空" in form.row_errors["description"].value
    assert "“被巡察单位”不能为空" in form.row_errors["unit"].value


def test_after_a_saved_finding_the_form_keeps_unit_and_category_and_starts_the_text_blank(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    form = view.findings.form
    for key, value in finding_values(ward).items():
        form.inputs[key].value = value
    before = counts(ward["db"], "findings")["findings"]
    form.submit.click()
    form.submit.click()  # a double click: one finding
    assert "已保存：问题编号" in form.status.value
    assert counts(ward["db"], "findings")["findings"] == before + 1
    values = form.values()
    assert (values["unit"], values["category"], values["description"]) == (ward["b"], CATEGORY, "")


def test_a_clue_is_transferred_and_its_outcome_recorded(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    assert model.transfer_clue(
        {"finding_id": ward["finding"], "receiver": "commission", "transferred_on": "2025-06-01"}
    ).startswith("已移交")
    clue = model.clues[0]
    assert clue["receiver_label"] == "纪委监委"
    with pytest.raises(InvalidInput) as e:
        model.record_outcome(
            {"clue_id": clue["id"], "outcome": "discipline", "people": "0", "decided_on": "2025-07-01"}
        )
    assert "people" in e.value.errors
    model.record_outcome({"clue_id": clue["id"], "outcome": "discipline", "people": "2", "decided_on": "2025-07-01"})
    assert model.clues[0]["latest"] == "党纪政务处分"


# --- Excel --------------------------------------------------------------------------------------


def findings_file(rows: list[dict[str, Any]]) -> bytes:
    return excel.export_rows(rows, inspections.FINDING.labels, sheet="发现问题")


GOOD_ROW = {
    "round": ROUND,
    "unit": "乙县委",
    "category": CATEGORY,
    "description": "民主生活会批评和自我批评不足",
    "severity": "一般",
    "involves_top": "否",
    "source": "巡察",
    "found_on": "2025-04-20",
}


def test_a_good_file_is_imported_with_progress(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    seen: list[tuple[int, int]] = []
    model.observe(lambda _c: seen.append((model.import_done, model.import_total)), names="import_done")
    rows = [GOOD_ROW, {**GOOD_ROW, "description": "谈心谈话流于形式", "unit": "A"}]
    assert model.import_file("findings", findings_file(rows), good_only=False) == "已导入 2 行"
    assert seen[-1] == (2, 2)
    assert model.import_result is not None
    assert model.import_result.ok
    assert {"民主生活会批评和自我批评不足", "谈心谈话流于形式"} <= {f["description"] for f in model.findings}


def test_a_file_with_bad_rows_imports_nothing_and_lists_them(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    before = counts(ward["db"], "findings")
    rows = [GOOD_ROW, {**GOOD_ROW, "description": "另一个问题", "severity": "很严重", "found_on": "2099-01-01"}]
    message = model.import_file("findings", findings_file(rows), good_only=False)
    assert message == "共 2 行，其中 1 行有误，未导入任何数据"
    result = model.import_result
    assert result is not None
    assert [(e.row, e.label) for e in result.errors] == [(3, "严重程度"), (3, "发现日期")]
    assert result.rejects is None
    assert counts(ward["db"], "findings") == before


def test_good_only_imports_the_good_rows_and_returns_the_bad_ones(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    rows = [GOOD_ROW, {**GOOD_ROW, "description": "另一个问题", "unit": "不存在的单位"}]
    message = model.import_file("findings", findings_file(rows), good_only=True)
    assert message == "已导入 1 行；1 行有误未导入，可下载后改正再导入"
    result = model.import_result
    assert result is not None
    assert result.rejects is not None
    back = excel.read_workbook(result.rejects, "findings")
    assert [r["description"] for r in back] == ["另一个问题"]


def test_import_without_a_file_or_of_a_wrong_file_says_so(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    with pytest.raises(InvalidInput, match="请先选择要导入的 Excel 文件"):
        model.import_file("findings", None, good_only=False)
    with pytest.raises(InvalidInput):
        model.import_file("findings", b"not a workbook", good_only=False)
    assert model.import_result is None


def test_the_import_area_shows_the_row_errors_and_the_rejects_link(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    area = view.findings.importer
    assert "下载模板" in area.template.value
    data = findings_file([GOOD_ROW, {**GOOD_ROW, "description": "x", "category": "无此类别"}])
    area.upload.value = (upload("问题.xlsx", data),)
    area.good_only.value = True
    area.run()
    assert "已导入 1 行" in area.status.value
    assert area.errors.box.layout.display is None
    assert "第 3 行" in area.errors.page_html()
    assert "问题类别" in area.errors.page_html()
    assert "下载有误的行（含错误原因）" in area.rejects.value
    assert area.progress.value == area.progress.max


def test_every_row_error_is_listed_a_page_at_a_time_and_a_good_import_hides_them(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    area = view.findings.importer
    bad = [{**GOOD_ROW, "description": f"问题{n}", "category": "无此类别"} for n in range(25)]
    area.upload.value = (upload("问题.xlsx", findings_file(bad)),)
    area.run()
    assert "25 行有误" in area.status.value
    errors = area.errors
    assert (errors.shown.total, errors.shown.pages) == (25, 2)
    assert "第 2 行" in str(errors.lines[0][1].value)  # in the workbook's order (row 1 is the header)
    errors.next.click()
    assert "第 26 行" in errors.page_html()
    errors.filters["label"].value = "问题类别"  # each column's errors on their own
    assert errors.shown.matching == 25
    area.upload.value = (upload("问题.xlsx", findings_file([GOOD_ROW])),)
    area.run()
    assert "已导入 1 行" in area.status.value
    assert errors.box.layout.display == "none"
    assert errors.rows == []


# --- 整改台账 -----------------------------------------------------------------------------------


def test_an_item_is_added_for_a_finding_without_one(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    values = {"finding": ward["spare"], "measure": "修订选人用人制度", "leader": "", "responsible": "组织部长"}
    with pytest.raises(InvalidInput) as e:
        model.add_item(values)
    assert e.value.errors == {"deadline": "“整改时限”不能为空"}
    message = model.add_item({**values, "deadline": "2026-12-31", "leader": "赵四"})
    assert message.startswith("已建立整改事项")
    assert model.findings_without_item == []
    assert model.item is not None
    assert model.item["leader_name"] == "赵四"


def test_a_progress_update_with_a_file_shows_in_the_history(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.select_item(ward["item"])
    files = uploaded([upload("会议记录.pdf", PDF)])
    assert model.report_progress({"body": "召开专题会议", "progress": "40"}, files) == "已报送进展，上传佐证材料 1 份"
    step = model.history[-1]
    assert (step["kind_label"], step["body"], step["progress"]) == ("进展", "召开专题会议", 40)
    evidence = step["files"][0]
    assert model.files[evidence["id"]] == ("会议记录.pdf", PDF)
    assert model.item is not None
    assert (model.item["progress"], model.item["evidence"]) == (40, 1)
    with db.read(ward["db"]) as con:
        assert con.one("SELECT filename, content FROM evidence_files") == ("会议记录.pdf", PDF)


def test_the_history_links_each_evidence_file_from_the_page(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    ledger = view.ledger
    ledger.open(ward["item"])
    ledger.progress_form.inputs["body"].value = "制度已印发"
    ledger.progress_upload.value = (upload("制度.pdf", PDF),)
    ledger.progress_form.run_submit()
    assert "已报送进展" in ledger.progress_form.status.value
    assert ledger.progress_upload.value == ()
    encoded = base64.b64encode(PDF).decode("ascii")
    first = str(ledger.history.lines[0][1].value)  # the latest step comes first
    assert "制度已印发" in first
    assert 'download="制度.pdf"' in first
    assert encoded in first
    assert ledger.history.shown.rows[0]["evidence_names"] == "制度.pdf"  # searched and exported as text


def test_an_extension_moves_the_deadline_and_counts(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.select_item(ward["item"])
    with pytest.raises(InvalidInput) as e:
        model.extend({"deadline": "2025-06-30", "reason": "需要上级批复"})
    assert "deadline" in e.value.errors
    assert model.extend({"deadline": "2026-03-31", "reason": "需要上级批复"}) == "已延期至 2026-03-31（第 1 次延期）"


def test_a_progress_report_is_corrected_then_voided_from_the_items_detail(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    ledger = view.ledger
    ledger.open(ward["item"])
    assert ledger.steps.box.layout.display == "none"  # nothing reported yet
    view.model.report_progress({"body": "召开专题会议", "progress": "40"})
    view.model.report_progress({"body": "制度已印发", "progress": "60"})
    fix = ledger.steps.panel
    assert fix is not None
    assert ledger.steps.box.layout.display is None
    assert [label.split("｜")[0] for label, _ in fix.form.inputs["update"].options] == ["进展", "进展"]
    latest = view.model.history[-1]["id"]
    assert fix.form.values()["update"] == latest  # the latest first, its stored values ready to correct
    assert (fix.form.values()["body"], fix.form.values()["progress"]) == ("制度已印发", "60")
    assert fix.form.inputs["deadline"].disabled
    fix.form.inputs["progress"].value = "50"
    fix.form.inputs["reason"].value = "进度报高了"
    fix.form.run_submit()
    assert "已更正进展记录" in fix.form.status.value
    assert view.model.item is not None
    assert view.model.item["progress"] == 50
    assert "整改进度（%）：60 → 50" in ledger.log.table.page_html()
    fix.form.inputs["reason"].value = "报错了事项"
    fix.void_button.click()
    assert "已作废进展记录" in fix.done.value
    assert view.model.item["progress"] == 40
    assert "进展（已作废）" in ledger.history.page_html()  # still listed
    assert [v for _, v in fix.form.inputs["update"].options] == [view.model.history[-2]["id"]]
    fix.form.inputs["reason"].value = "误报"
    fix.void_button.click()
    assert ledger.steps.box.layout.display == "none"  # no live step left: the outcome shows in the status line
    assert "已作废进展记录" in ledger.status.value
    assert view.model.item["progress"] == 0


def test_only_the_latest_extension_is_voided_in_the_app(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.select_item(ward["item"])
    model.extend({"deadline": "2026-03-31", "reason": "需要上级批复"})
    model.extend({"deadline": "2026-06-30", "reason": "跨年度"})
    first, latest = (s["id"] for s in model.history if s["kind"] == "extension")
    before = counts(ward["db"], "record_corrections", "rectification_updates")
    with pytest.raises(InvalidInput) as e:
        model.void_step({"update": first, "reason": "误延"})
    assert "只能作废最近一次延期" in e.value.errors["update"]  # beside the picker
    with pytest.raises(InvalidInput) as e:
        model.correct_step({**step_values(model.live_steps[0]), "deadline": "2026-03-31", "reason": "录错"})
    assert "必须晚于此前的时限 2026-03-31" in e.value.errors["deadline"]
    assert counts(ward["db"], "record_corrections", "rectification_updates") == before
    model.correct_step({**step_values(model.live_steps[0]), "deadline": "2026-09-30", "reason": "录错"})
    assert model.item is not None
    assert model.item["deadline"] == date(2026, 9, 30)
    assert model.void_step({"update": latest, "reason": "误延"}).startswith("已作废延期记录")
    assert (model.item["deadline"], model.item["extensions"]) == (date(2026, 3, 31), 1)
    assert [s["id"] for s in model.live_steps] == [first]


def test_asking_to_close_without_evidence_is_refused(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.select_item(ward["item"])
    before = counts(ward["db"], "rectification_updates")
    with pytest.raises(InvalidInput) as e:
        model.request_close({"body": "已整改完毕"})
    assert e.value.errors == {"files": "申请销号须上传佐证材料（如文件、照片、会议记录）"}
    assert counts(ward["db"], "rectification_updates") == before
    assert model.item is not None
    assert model.item["status"] == "open"


def test_a_second_user_reviews_and_closes_the_item(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    asker = model_as(ward["db"], "shenhe", monkeypatch)
    asker.select_item(ward["item"])
    asker.request_close({"body": "已整改完毕"}, uploaded([upload("台账.xlsx", b"ledger")]))
    assert [i["id"] for i in asker.pending] == [ward["item"]]
    with pytest.raises(InvalidInput) as own:
        asker.review({"review_item": ward["item"], "note": "同意"}, approve=True)
    assert own.value.errors == {"review_item": "销号申请须由申请人以外的审核员审核"}

    entry_only = model_as(ward["db"], "luru", monkeypatch)
    assert not entry_only.can_review

    reviewer = model_as(ward["db"], "本机操作员", monkeypatch)
    assert reviewer.can_review
    with pytest.raises(InvalidInput) as no_note:
        reviewer.review({"review_item": ward["item"], "note": ""}, approve=True)
    assert "note" in no_note.value.errors
    assert reviewer.review({"review_item": ward["item"], "note": "佐证充分"}, approve=True) == (
        f"已同意销号（编号 {ward['item']}）"
    )
    assert reviewer.pending == []
    with db.read(ward["db"]) as con:
        row = con.one(
            "SELECT status, closed_by, close_requested_by FROM rectification_items WHERE id = ?", [ward["item"]]
        )
    assert row == ("closed", "本机操作员", "shenhe")


def test_a_closed_item_changes_only_when_another_reviewer_agrees_in_the_app(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    asker = model_as(ward["db"], "shenhe", monkeypatch)
    asker.select_item(ward["item"])
    asker.request_close({"body": "已整改完毕"}, [("台账.xlsx", b"ledger")])
    model_as(ward["db"], "本机操作员", monkeypatch).review({"review_item": ward["item"], "note": "同意"}, approve=True)

    monkeypatch.setenv("KIT_OPERATOR", "luru")
    clerk = InspectionView(InspectionModel(ward["db"]))
    clerk.load()
    clerk.ledger.open(ward["item"])
    fix = clerk.ledger.fix
    assert fix is not None
    assert clerk.ledger.fix_box.layout.display is None
    assert (fix.form.submit.description, fix.void_button.description) == ("提交更正申请", "申请作废")
    assert fix.form.values()["responsible"] == "办公室主任"  # the stored values, ready to correct
    fix.form.inputs["responsible"].value = "纪检委员"
    fix.form.run_submit()
    assert "更正理由" in fix.form.status.value  # a reason is required: nothing was asked for
    fix.form.inputs["reason"].value = "责任人录错"
    fix.form.run_submit()
    assert "已提交更正申请" in fix.form.status.value
    assert clerk.ledger.status.value == ""  # the panel stays in sight: its outcome shows once, in its form
    assert clerk.model.item is not None
    assert clerk.model.item["responsible"] == "办公室主任"
    assert "待审核员同意" in clerk.ledger.log.table.page_html()

    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    checker = InspectionView(InspectionModel(ward["db"]))
    checker.load()
    form = checker.ledger.request_form
    assert form is not None
    assert checker.ledger.request_box.layout.display is None
    assert "责任人：办公室主任 → 纪检委员" in checker.ledger.requests.page_html()
    opener = checker.ledger.requests.lines[0][0]
    assert opener.description == "审核"
    opener.click()  # the row's 审核 puts that request in the form below
    assert form.values()["request"] == checker.model.requests[0]["id"]
    form.inputs["note"].value = "核实无误"
    form.run_submit()
    assert "已生效" in form.status.value
    with db.read(ward["db"]) as con:
        assert con.scalar("SELECT responsible FROM rectification_items WHERE id = ?", [ward["item"]]) == "纪检委员"
    assert "没有待审核的更正或作废申请" in checker.ledger.requests.empty.value


def test_a_returned_request_is_open_again(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    asker = model_as(ward["db"], "luru", monkeypatch)
    asker.select_item(ward["item"])
    asker.request_close({"body": "已整改"}, [("照片.jpg", b"jpeg")])
    reviewer = model_as(ward["db"], "shenhe", monkeypatch)
    assert reviewer.review({"review_item": ward["item"], "note": "佐证不足"}, approve=False).startswith("已退回")
    assert reviewer.items[0]["status"] == "open"


# --- 抄告, 交接, roles ---------------------------------------------------------------------------


def test_copies_reach_the_leader_in_charge_and_are_marked_read(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    model.select_item(ward["item"])
    model.report_progress({"body": "第一次进展"})
    model.report_progress({"body": "第二次进展"})
    assert [p["name"] for p in model.leaders] == ["孙分管"]
    assert model.leader_id == ward["in_charge"]
    bodies = [c["body"] for c in model.copies]
    assert bodies[:2] == ["第二次进展", "第一次进展"]  # newest first
    assert all(c["read_at"] is None for c in model.copies)
    assert model.mark_read() == f"已标记 {len(model.copies)} 条为已阅"
    assert all(c["read_at"] is not None for c in model.copies)
    assert model.leaders[0]["unread"] == 0
    with pytest.raises(InvalidInput, match="没有未阅的抄告"):
        model.mark_read()


def test_people_are_shown_by_their_names_not_their_accounts(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    view.ledger.open(ward["item"])
    view.model.report_progress({"body": "按期推进"})
    assert view.model.history[-1]["created_by"] == "luru"
    assert "王录入" in view.ledger.history.page_html()
    assert ">luru<" not in view.ledger.history.page_html()
    assert "王录入" in view.copies.table.page_html()  # 报送人 of the copies


def test_one_copy_is_marked_read_from_its_row_and_the_others_stay_unread(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    view.model.select_item(ward["item"])
    view.model.report_progress({"body": "第一次进展"})
    view.model.report_progress({"body": "第二次进展"})
    copies = view.copies.table
    assert copies.page_html().count('class="kit-row-unread"') == len(view.model.copies) >= 2
    newest = copies.shown.rows[0]
    assert newest["body"] == "第二次进展"
    copies.lines[0][0].click()  # the first row's 标记已阅
    assert "已标记 1 条为已阅" in view.copies.status.value
    read = {c["id"]: c["read_at"] is not None for c in view.model.copies}
    assert read[newest["id"]]
    assert sum(read.values()) == 1
    assert copies.lines[0][0].disabled  # a read copy's row has nothing left to mark
    assert not copies.lines[1][0].disabled
    copies.filters["read_state"].value = "unread"  # 未阅 only
    assert newest["id"] not in {r["id"] for r in copies.shown.rows}


def test_both_sides_sign_the_handover(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_as(ward["db"], "luru", monkeypatch)
    [handover] = model.handovers
    assert (handover["from_name"], handover["to_name"], handover["items"]) == ("张一", "周新", 1)
    model.sign_handover({"handover_id": handover["id"], "side": "outgoing", "on": "2025-09-02"})
    assert model.sign_handover({"handover_id": handover["id"], "side": "incoming"}) == "接收方已签字"
    assert model.handovers[0]["complete"]


def test_a_handover_row_puts_it_in_the_sign_form_until_both_have_signed(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    tab = view.handovers
    assert tab.form is not None
    assert "张一" in tab.table.page_html()
    assert "待签字" in tab.table.page_html()
    [handover] = view.model.handovers
    opener = tab.table.lines[0][0]
    assert (opener.description, opener.disabled) == ("签字", False)
    opener.click()
    assert tab.form.values()["handover_id"] == handover["id"]
    tab.form.inputs["side"].value = "outgoing"
    tab.form.run_submit()
    tab.table.lines[0][0].click()
    tab.form.inputs["side"].value = "incoming"
    tab.form.run_submit()
    assert "已完成" in tab.table.page_html()
    assert tab.table.lines[0][0].disabled  # nothing left to sign


def test_a_clue_is_corrected_then_voided_from_its_row_and_its_finding_offered_again(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    tab = view.findings
    assert tab.clue_form is not None
    tab.clue_form.set_values({"finding_id": ward["spare"], "receiver": "commission", "transferred_on": "2025-05-01"})
    tab.clue_form.run_submit()
    assert "已移交" in tab.clue_form.status.value
    assert "组织部" not in tab.clues.page_html()
    tab.clues.lines[0][0].click()  # the row's 查看
    fix = tab.clue_fix
    assert fix is not None
    assert tab.clue_fix_box.layout.display is None
    assert "线索" in tab.clue_detail.value
    assert "干部选拔程序不规范" in tab.clue_detail.value
    assert fix.form.values()["receiver"] == "commission"
    fix.form.inputs["receiver"].value = "organization"
    fix.form.inputs["reason"].value = "移交对象录错"
    fix.form.run_submit()
    assert "已更正线索" in fix.form.status.value
    assert "组织部" in tab.clues.page_html()
    assert "移交对象录错" in tab.clue_log.table.page_html()
    assert ward["spare"] not in {value for _label, value in tab.clue_form.inputs["finding_id"].options}

    fix.form.inputs["reason"].value = "不应移交"
    fix.void_button.click()
    assert "已作废线索" in fix.done.value
    assert tab.clue_fix_box.layout.display == "none"  # nothing more to do on a voided clue
    assert '<tr class="kit-row-voided">' in tab.clues.page_html()  # struck out, its history still opens
    assert "不应移交" in tab.clue_log.table.page_html()
    assert tab.outcome_form is not None
    assert tab.outcome_form.inputs["clue_id"].options == ()  # no step is recorded on a voided clue
    assert ward["spare"] in {value for _label, value in tab.clue_form.inputs["finding_id"].options}
    with db.read(ward["db"]) as con:
        assert inspections.list_clues(con) == []


def test_an_analyst_sees_the_ledger_without_any_entry_or_review_form(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    view.ledger.open(ward["item"])
    assert view.model.user_label == "刘分析（分析员）"
    assert "每季度专题研究党风廉政建设" in view.ledger.table.page_html()
    hidden = [
        view.findings.entry,
        view.findings.imports,
        view.findings.clue_entry,
        view.ledger.add_box,
        view.ledger.import_box,
        view.ledger.progress_box,
        view.ledger.extend_box,
        view.ledger.close_box,
        view.ledger.review_box,
        view.ledger.fix_box,
        view.ledger.steps.box,
        view.ledger.request_box,
        view.findings.fix_box,
        view.findings.clue_fix_box,
        view.handovers.sign_box,
    ]
    assert all(box.layout.display == "none" for box in hidden)
    assert all(box.children == () for box in hidden)  # not merely hidden: never built
    never_built = [
        view.findings.form,
        view.findings.importer,
        view.findings.clue_form,
        view.findings.outcome_form,
        view.ledger.add_form,
        view.ledger.importer,
        view.ledger.progress_upload,
        view.ledger.close_upload,
        view.ledger.progress_form,
        view.ledger.extend_form,
        view.ledger.close_form,
        view.ledger.review_form,
        view.ledger.reject,
        view.ledger.fix,
        view.ledger.steps.panel,
        view.ledger.request_form,
        view.ledger.refuse,
        view.findings.fix,
        view.findings.clue_fix,
        view.handovers.form,
    ]
    assert all(part is None for part in never_built)
    assert view.model.templates == {"findings": None, "rectification": None}


def test_a_reviewer_sees_the_review_area(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    assert view.ledger.review_box.layout.display is None
    assert view.ledger.review_form is not None
    assert view.ledger.review_form.box in view.ledger.review_box.children
    assert "没有待审核的销号申请" in view.ledger.pending.empty.value


def test_overdue_items_are_highlighted_in_the_ledger(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    assert '<tr class="kit-row-overdue">' in view.ledger.table.page_html()  # the deadline 2025-12-31 has passed
    view.ledger.table.export.click()  # the rows the filters select (here: all), prepared when asked for
    assert "整改台账-" in view.ledger.table.export_link.value
    view.findings.table.export.click()
    assert "发现问题-" in view.findings.table.export_link.value


def test_an_office_without_rounds_says_so(db_path: Path) -> None:
    view = InspectionView(InspectionModel(db_path))
    view.load()
    assert "尚未设置巡察轮次" in view.notice.value
    assert view.model.round_id is None


def test_large_evidence_is_offered_one_file_at_a_time(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kit.ui.inspection.model.EMBED_LIMIT", len(PDF) + 10)
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    ledger = view.ledger
    ledger.open(ward["item"])
    view.model.report_progress({"body": "两份材料"}, [("小.pdf", PDF), ("大.pdf", PDF * 2)])
    assert 'download="小.pdf"' in ledger.history.page_html()
    assert 'download="大.pdf"' not in ledger.history.page_html()
    assert "大.pdf（" in ledger.history.page_html()  # named, with its size, beside the link
    assert ledger.big_files.layout.display is None
    ledger.big_button.click()
    assert 'download="大.pdf"' in ledger.big_link.value


def test_the_latest_evidence_is_embedded_first_when_not_all_fits(
    ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kit.ui.inspection.model.EMBED_LIMIT", len(PDF) + 10)
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    view.ledger.open(ward["item"])
    view.model.report_progress({"body": "第一次"}, [("旧.pdf", PDF)])
    view.model.report_progress({"body": "第二次"}, [("新.pdf", PDF)])
    shown = view.ledger.history.page_html()
    assert 'download="新.pdf"' in shown
    assert 'download="旧.pdf"' not in shown
    assert "旧.pdf（" in shown  # still named, offered one at a time


def test_the_rounds_reports_are_offered_as_files(ward: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    view = InspectionView(InspectionModel(ward["db"]))
    view.load()
    view.make_reports.click()
    assert "下载巡察情况报告（HTML）" in view.reports.value
    assert "下载整改情况通报（HTML）" in view.reports.value
    assert view.status.value == ""


def test_a_voided_items_summary_reads_without_an_empty_flag() -> None:
    item = {
        "unit_name": "乙县委",
        "description": "问题",
        "measure": "措施",
        "leader_name": "王三",
        "responsible": "李四",
        "deadline": date(2026, 4, 20),
        "first_deadline": date(2026, 4, 20),
        "extensions": 0,
        "progress": 0,
        "status_label": "已作废",
    }
    assert "时限：2026-04-20，进度 0%" in item_html({**item, "flag_label": ""})
    assert "时限：2026-04-20，逾期 3 天，进度 0%" in item_html({**item, "flag_label": "逾期 3 天"})


def test_another_rounds_lists_start_unfiltered(demo_db: Path) -> None:
    view = InspectionView(InspectionModel(demo_db))
    view.load()
    first = view.model.round_id
    view.ledger.table.search.value = "张琳雪"
    assert view.ledger.table.shown.matching < view.ledger.table.shown.total
    other = next(r["id"] for r in view.model.rounds if r["id"] != first)
    view.picker.inputs["round"].value = other
    assert view.model.round_id == other
    assert view.ledger.table.search.value == ""
    assert view.ledger.table.shown.matching == view.ledger.table.shown.total == len(view.model.items) > 0
