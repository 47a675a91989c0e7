"""更正 and 作废 (kit.corrections): checked as at entry, traced, in the history, out of the statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from kit import access, corrections, db, inspections, integrity, rectification, registry, schema
from kit.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import as_operator, build_inspection


@pytest.fixture
def insp(office: dict[str, Any]) -> dict[str, Any]:
    found = build_inspection(office)
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="clerk", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="clerk", kind="all")
        access.add_user(con, name="checker", display_name="审核员乙", roles=["review"])
        access.grant_scope(con, name="checker", kind="all")
        found["spare"] = inspections.add_finding(
            con,
            round="2024-1",
            unit="A",
            category="三资管理不规范",
            description="甲县重复录入的问题",
            severity="一般",
            involves_top="否",
            source="巡察",
            found_on="2024-04-02",
        )
    return found


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def test_a_corrected_finding_keeps_its_before_and_after_and_reason(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="更正") as con:
        ident = corrections.correct_finding(
            con,
            finding_id=insp["findings"]["a"],
            reason="描述录错",
            description="甲县集体资产台账缺失",
            severity="较重",
        )
    with db.read(path) as con:
        row = next(f for f in inspections.list_findings(con) if f["id"] == insp["findings"]["a"])
        log = corrections.corrections_of(con, table="findings", record_id=insp["findings"]["a"])
        steps = con.all(
            "SELECT action FROM trace_log WHERE table_name = 'findings' AND row_key = ? ORDER BY seq",
            [str(insp["findings"]["a"])],
        )
    assert (row["description"], row["severity_label"]) == ("甲县集体资产台账缺失", "较重")
    assert [c["id"] for c in log] == [ident]
    assert log[0]["changes"] == {
        "问题描述": ["A县集体资产台账不全", "甲县集体资产台账缺失"],
        "严重程度": ["一般", "较重"],
    }
    assert log[0]["summary"].endswith("理由：描述录错")
    assert [s[0] for s in steps] == ["录入发现问题", "更正发现问题"]
    _clean(path)


def test_bad_corrections_say_which_field_and_rule_and_write_nothing(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any
) -> None:
    path = office["db"]
    before = table_counts(path)
    finding = insp["findings"]["a"]
    cases = [
        (dict(reason=" ", description="新描述"), "reason", "更正理由"),
        (dict(reason="录错", severity="很严重"), "severity", "严重程度"),
        (dict(reason="录错", found_on="2099-01-01"), "found_on", "不能晚于今天"),
        (dict(reason="录错", description="A县集体资产台账不全"), "reason", "没有要更正的内容"),
        (dict(reason="录错", nonsense="x"), "nonsense", "不是发现问题可以更正的字段"),
        # The ledger item refers to it: DuckDB cannot move it, and the item would change unit under the office's feet.
        (dict(reason="录错", unit="B"), "unit", "不能更改“被巡察单位”"),
    ]
    for changes, field, words in cases:
        with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
            corrections.correct_finding(con, finding_id=finding, **changes)
        assert field in refused.value.errors, changes
        assert words in refused.value.errors[field]
    assert table_counts(path) == before


def test_a_finding_nothing_refers_to_may_change_unit_but_only_to_one_in_scope(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    with db.write(path, action="准备") as con:
        access.add_user(con, name="a_only", display_name="甲县录入员", roles=["entry"])
        access.grant_scope(con, name="a_only", kind="unit", unit_id=office["a"])
    monkeypatch.setenv("KIT_OPERATOR", "a_only")
    with pytest.raises(PermissionDenied), db.write(path, action="更正") as con:
        corrections.correct_finding(con, finding_id=insp["spare"], reason="单位录错", unit="B")
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with db.write(path, action="更正") as con:
        corrections.correct_finding(con, finding_id=insp["spare"], reason="单位录错", unit="B")
    with db.read(path) as con:
        moved = next(f for f in inspections.list_findings(con) if f["id"] == insp["spare"])
    assert moved["unit_name"] == "乙县委"
    _clean(path)


def test_voided_records_leave_lists_and_statistics_but_not_history(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.read(path) as con:
        stats_before = inspections.stats(con, round_ids=[insp["round"]])
        overview_before = {r["unit_id"]: r["items"] for r in rectification.overview(con, round_ids=[insp["round"]])}
    with pytest.raises(InvalidInput, match="请先作废整改事项"), db.write(path, action="作废") as con:
        corrections.void_finding(con, finding_id=insp["findings"]["a"], reason="重复录入")
    with db.write(path, action="作废") as con:
        corrections.void_item(con, item_id=insp["items"]["a"], reason="事项重复")
        corrections.void_finding(con, finding_id=insp["findings"]["a"], reason="重复录入")
    with db.read(path) as con:
        stats_after = inspections.stats(con, round_ids=[insp["round"]])
        overview_after = {r["unit_id"]: r["items"] for r in rectification.overview(con, round_ids=[insp["round"]])}
        listed = {f["id"] for f in inspections.list_findings(con)}
        everything = {f["id"]: f["state_label"] for f in inspections.list_findings(con, include_voided=True)}
        items = {i["id"] for i in rectification.list_items(con)}
        all_items = {i["id"]: i["status_label"] for i in rectification.list_items(con, include_voided=True)}
        log = corrections.corrections_of(con, table="rectification_items", record_id=insp["items"]["a"])
    assert stats_after["problems"] == stats_before["problems"] - 1
    assert overview_after[office["a"]] == overview_before[office["a"]] - 1
    assert overview_after[office["b"]] == overview_before[office["b"]]
    assert insp["findings"]["a"] not in listed
    assert everything[insp["findings"]["a"]] == "已作废"
    assert insp["items"]["a"] not in items
    assert all_items[insp["items"]["a"]] == "已作废"
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "事项重复")]
    _clean(path)


def test_nothing_more_is_done_on_a_voided_item(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path = office["db"]
    with db.write(path, action="作废") as con:
        corrections.void_item(con, item_id=insp["items"]["a"], reason="事项重复")
    for step in (
        lambda con: rectification.update_progress(con, item_id=insp["items"]["a"], body="进展"),
        lambda con: rectification.extend_deadline(con, item_id=insp["items"]["a"], deadline="2025-06-30", reason="x"),
        lambda con: corrections.correct_item(con, item_id=insp["items"]["a"], reason="x", responsible="某人"),
        lambda con: corrections.void_item(con, item_id=insp["items"]["a"], reason="x"),
    ):
        with pytest.raises(InvalidInput, match="已作废"), db.write(path, action="办理") as con:
            step(con)


def test_an_item_already_closed_changes_only_when_another_reviewer_agrees(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    item = insp["items"]["b"]
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with db.write(path, action="申请销号") as con:
        rectification.request_close(con, item_id=item, body="完成", files=[("验收.pdf", b"%PDF")])
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(path, action="审核销号") as con:
        rectification.review_close(con, item_id=item, approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with db.write(path, action="更正") as con:
        asked = corrections.correct_item(con, item_id=item, reason="责任人录错", responsible="财务股长")
    with pytest.raises(InvalidInput, match="待审核"), db.write(path, action="作废") as con:
        corrections.void_item(con, item_id=item, reason="又想作废")
    with db.read(path) as con:
        unchanged = next(i for i in rectification.list_items(con) if i["id"] == item)
        waiting = corrections.pending_requests(con)
    assert unchanged["responsible"] == "财务科长"
    assert [(r["id"], r["status_label"]) for r in waiting] == [(asked, "待审核")]
    with pytest.raises(PermissionDenied), db.write(path, action="审核") as con:  # a 录入员 reviews nothing
        corrections.review(con, correction_id=asked, approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(path, action="审核") as con:
        corrections.review(con, correction_id=asked, approve=True, note="核实无误")
    with db.read(path) as con:
        changed = next(i for i in rectification.list_items(con) if i["id"] == item)
        log = corrections.corrections_of(con, table="rectification_items", record_id=item)
    assert changed["responsible"] == "财务股长"
    assert changed["status"] == "closed"
    assert log[0]["status_label"] == "已生效"
    assert "审核员审核员乙同意：核实无误" in log[0]["summary"]
    _clean(path)


def test_the_requester_does_not_review_their_own_request_and_a_rejection_changes_nothing(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    item = insp["items"]["b"]
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with db.write(path, action="申请销号") as con:
        rectification.request_close(con, item_id=item, body="完成", files=[("验收.pdf", b"%PDF")])
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(path, action="审核销号") as con:
        rectification.review_close(con, item_id=item, approve=True, note="同意")
    monkeypatch.delenv("KIT_OPERATOR")  # the operator holds every role
    with db.write(path, action="作废") as con:
        asked = corrections.void_item(con, item_id=item, reason="重复")
    with pytest.raises(InvalidInput, match="申请人以外"), db.write(path, action="审核") as con:
        corrections.review(con, correction_id=asked, approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(path, action="审核") as con:
        corrections.review(con, correction_id=asked, approve=False, note="不属重复")
    with db.read(path) as con:
        kept = {i["id"] for i in rectification.list_items(con)}
        log = corrections.corrections_of(con, table="rectification_items", record_id=item)
    assert item in kept
    assert log[0]["status_label"] == "未同意"
    _clean(path)


def test_a_new_ledger_item_cannot_name_a_voided_finding(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path = office["db"]
    with db.write(path, action="作废") as con:
        corrections.void_finding(con, finding_id=insp["spare"], reason="重复录入")
    with pytest.raises(InvalidInput) as refused, db.write(path, action="录入") as con:
        rectification.add_item(con, finding=insp["spare"], measure="措施", responsible="某人", deadline="2024-12-31")
    assert "finding" in refused.value.errors


def test_a_voided_item_may_be_imported_again(office: dict[str, Any], insp: dict[str, Any]) -> None:
    """The import skips rows already stored; a voided item is not among them."""
    import io

    from openpyxl import Workbook

    from kit import excel

    path = office["db"]

    def ledger() -> bytes:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        fields = rectification.ITEM.labels
        sheet.append([fields[k] for k in ("finding", "unit", "measure", "responsible", "deadline")])
        sheet.append([insp["findings"]["a"], "A", "A县清查集体资产", "财务科长", "2024-09-30"])
        data = io.BytesIO()
        book.save(data)
        return data.getvalue()

    again = excel.import_file(ledger(), "rectification", path=path)
    assert not again.ok  # the same measure for the same problem is already in the ledger
    with db.write(path, action="作废") as con:
        corrections.void_item(con, item_id=insp["items"]["a"], reason="责任人写错，作废后重新导入")
    result = excel.import_file(ledger(), "rectification", path=path)
    assert result.ok, [str(e) for e in result.errors]
    with db.read(path) as con:
        live = [i for i in rectification.list_items(con) if i["finding_id"] == insp["findings"]["a"]]
    assert len(live) == 1
    assert live[0]["id"] != insp["items"]["a"]


# --- rounds -------------------------------------------------------------------------------------


def test_a_rounds_name_and_dates_are_corrected_with_before_after_and_reason_its_code_stays(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="更正") as con:
        corrections.correct_round(
            con, round_id=insp["round"], reason="名称录错", name="第一轮巡察（更正）", end="2024-06-15"
        )
    with db.read(path) as con:
        row = inspections.get_round(con, insp["round"])
        log = corrections.corrections_of(con, table="inspection_rounds", record_id=insp["round"])
    assert (row["code"], row["name"], row["end_date"].isoformat()) == ("2024-1", "第一轮巡察（更正）", "2024-06-15")
    assert log[0]["changes"] == {
        "轮次名称": ["第一轮巡察", "第一轮巡察（更正）"],
        "结束日期": ["2024-05-31", "2024-06-15"],
    }
    assert log[0]["reason"] == "名称录错"
    assert log[0]["unit_name"] is None
    _clean(path)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "2024-9"}, "code", "“轮次编号”不能更正"),
        ({"end": "2024-01-01"}, "end", "“结束日期”不能早于“开始日期”"),
        ({"start": "2024-04-15"}, "start", "“开始日期”不能晚于本轮已发现问题中最早的发现日期 2024-04-01"),
        ({"name": "第一轮巡察"}, "reason", "没有要更正的内容：各项与原记录相同"),
    ],
)
def test_a_round_correction_that_breaks_a_rule_names_it_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    path = office["db"]
    with db.read(path) as con:
        before = inspections.get_round(con, insp["round"])
    with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
        corrections.correct_round(con, round_id=insp["round"], reason="试", **changes)
    assert refused.value.errors == {field: message}
    with db.read(path) as con:
        assert inspections.get_round(con, insp["round"]) == before
        assert corrections.corrections_of(con, table="inspection_rounds", record_id=insp["round"]) == []


def test_an_empty_round_is_voided_and_leaves_every_list_a_round_in_use_is_not(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="建轮次") as con:
        spare = inspections.add_round(
            con, code="2024-9", name="误建的轮次", kind="special", start="2024-09-01", end="2024-10-31"
        )
    with pytest.raises(InvalidInput) as refused, db.write(path, action="作废") as con:
        corrections.void_round(con, round_id=insp["round"], reason="试")
    assert refused.value.errors == {
        "round_id": "本轮已有巡察组、巡察对象、发现问题，不能作废；可以更正它的名称、方式和日期"
    }
    with db.write(path, action="作废") as con:
        corrections.void_round(con, round_id=spare, reason="误建")
    with db.read(path) as con:
        assert spare not in {r["id"] for r in inspections.list_rounds(con)}
        assert [
            c["kind_label"] for c in corrections.corrections_of(con, table="inspection_rounds", record_id=spare)
        ] == ["作废"]
    with pytest.raises(InvalidInput) as taken, db.write(path, action="建轮次") as con:
        inspections.add_round(con, code="2024-9", name="再建", kind="special", start="2024-09-01", end="2024-10-31")
    assert taken.value.errors == {"code": "轮次编号“2024-9”已被使用（被一个已作废的轮次占用）"}
    _clean(path)


def test_a_clerk_of_one_county_cannot_correct_or_void_a_round(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    with db.write(path, action="准备") as con:
        access.add_user(con, name="county", display_name="县录入", roles=["entry"])
        access.grant_scope(con, name="county", kind="unit", unit_id=office["a"])
    monkeypatch.setenv("KIT_OPERATOR", "county")
    for call in (
        lambda con: corrections.correct_round(con, round_id=insp["round"], reason="试", name="改"),
        lambda con: corrections.void_round(con, round_id=insp["round"], reason="试"),
    ):
        with pytest.raises(PermissionDenied), db.write(path, action="试") as con:
            call(con)
    with db.read(path) as con:
        assert inspections.get_round(con, insp["round"])["name"] == "第一轮巡察"


@pytest.mark.embedded_only("the file is migrated by this process; a data service migrates the files it opens")
def test_a_file_with_corrections_and_feedback_keeps_them_as_more_records_become_correctable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = schema.migrations()
    path = tmp_path / "aged.duckdb"
    monkeypatch.setattr(schema, "migrations", lambda: shipped[:5])  # the file as 0005 left it
    db.init(path)
    raw = duckdb.connect(str(path))  # today's kit cannot write a file of that age: its rows are put in as they were
    raw.execute("INSERT INTO units (id, code, name, kind) VALUES (1, 'A', '甲县委', 'county')")
    raw.execute(
        "INSERT INTO record_corrections (record_table, record_id, unit_id, kind, reason, changes_json, status,"
        " requested_at, requested_by) VALUES ('findings', 7, 1, 'correct', '描述录错', '{}', 'applied',"
        " TIMESTAMP '2025-01-02 03:04:05', 'clerk')"
    )
    raw.execute("INSERT INTO people (id, name) VALUES (1, '周市长')")
    raw.execute(
        "INSERT INTO inspection_rounds (id, code, name, kind, start_date, end_date)"
        " VALUES (1, '2024-1', '第一轮巡察', 'regular', DATE '2024-03-01', DATE '2024-05-31')"
    )
    raw.execute(
        "INSERT INTO feedbacks (round_id, unit_id, mode, held_on, leader_id, created_at, created_by)"
        " VALUES (1, 1, 'collective', DATE '2024-06-10', 1, TIMESTAMP '2024-06-10 09:00:00', 'clerk')"
    )
    feedback = raw.execute("SELECT * FROM feedbacks").fetchall()
    before = raw.execute("SELECT * FROM record_corrections").fetchall()
    raw.close()
    monkeypatch.setattr(schema, "migrations", lambda: shipped)
    with db.read(path) as con:  # opening it brings it up to date first
        assert con.scalar("SELECT max(version) FROM schema_migrations") == len(shipped)
        assert con.all("SELECT * FROM record_corrections") == before
    raw = duckdb.connect(str(path))
    assert raw.execute("SELECT nextval('corrections_id_seq')").fetchone() == (before[0][0] + 1,)
    assert raw.execute("SELECT * EXCLUDE (voided_at, voided_by) FROM feedbacks").fetchall() == feedback
    assert raw.execute("SELECT voided_at, voided_by FROM feedbacks").fetchall() == [(None, None)]
    assert raw.execute("SELECT nextval('feedbacks_id_seq')").fetchone() == (feedback[0][0] + 1,)
    raw.close()
    # Which records may be corrected, and which go without a unit, is kit's rule now.
    with db.write(path, action="试") as con, pytest.raises(ValueError, match="no correction of findings"):
        corrections.log_correction(
            con, table="findings", record_id=8, unit_id=None, kind="void", reason="试", changes={}, status="applied"
        )


# --- 巡察反馈 ------------------------------------------------------------------------------------


def _feedback(path: Path, round_id: int, feedback_id: int) -> dict[str, Any] | None:
    with db.read(path) as con:
        rows = [f for f in inspections.list_feedbacks(con, round_id=round_id) if f["id"] == feedback_id]
    return rows[0] if rows else None


def test_a_feedbacks_date_and_attending_leader_are_corrected_and_later_copies_follow(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="准备") as con:
        deputy_mayor = registry.add_person(con, name="吴副市长")
        corrections.correct_feedback(
            con,
            feedback_id=insp["feedbacks"]["a"],
            reason="出席领导录错",
            held_on="2024-06-12",
            leader_id=str(deputy_mayor),
        )
    with db.read(path) as con:
        row = next(f for f in inspections.list_feedbacks(con, round_id=insp["round"]) if f["unit_id"] == office["a"])
        log = corrections.corrections_of(con, table="feedbacks", record_id=insp["feedbacks"]["a"])
        shown = next(u for u in rectification.overview(con, round_ids=[insp["round"]]) if u["unit_id"] == office["a"])
    assert (row["held_on"].isoformat(), row["leader_name"]) == ("2024-06-12", "吴副市长")
    assert log[0]["changes"] == {"反馈日期": ["2024-06-10", "2024-06-12"], "出席的分管领导": ["周市长", "吴副市长"]}
    assert log[0]["unit_name"] == "甲县委"
    assert shown["feedback"] == "集中反馈 2024-06-12（吴副市长出席）"
    with db.write(path, action="报送进展") as con:
        rectification.update_progress(con, item_id=insp["items"]["a"], body="已完成清查")
    with db.read(path) as con:
        copied = {
            p: [c["body"] for c in rectification.copies_for(con, person_id=p)]
            for p in (insp["in_charge"], deputy_mayor)
        }
    assert copied == {insp["in_charge"]: [], deputy_mayor: ["已完成清查"]}
    _clean(path)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit_id": "2"}, "unit_id", "“被巡察单位”不能更正：登记错了单位的反馈请作废后重新登记"),
        ({"held_on": "2024-02-01"}, "held_on", "“反馈日期”不能早于本轮巡察开始日期 2024-03-01"),
        ({"held_on": "2024-02-30"}, "held_on", "“反馈日期”不是真实存在的日期：2024-02-30"),
        ({"mode": "one_on_one"}, "mode", "该单位本轮已登记一对一反馈"),
        ({"held_on": "2024-06-10"}, "reason", "没有要更正的内容：各项与原记录相同"),
    ],
)
def test_a_feedback_correction_that_breaks_a_rule_names_it_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    path = office["db"]
    with db.write(path, action="准备") as con:
        inspections.record_feedback(
            con,
            round_id=insp["round"],
            unit_id=office["a"],
            mode="one_on_one",
            held_on="2024-06-11",
            leader_id=insp["in_charge"],
        )
    before = _feedback(path, insp["round"], insp["feedbacks"]["a"])
    with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
        corrections.correct_feedback(con, feedback_id=insp["feedbacks"]["a"], reason="试", **changes)
    assert refused.value.errors == {field: message}
    assert _feedback(path, insp["round"], insp["feedbacks"]["a"]) == before
    with db.read(path) as con:
        assert corrections.corrections_of(con, table="feedbacks", record_id=insp["feedbacks"]["a"]) == []


def test_a_voided_feedback_leaves_the_lists_and_the_same_feedback_can_be_recorded_again(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="报送进展") as con:  # a copy reaches 周市长 before the void
        rectification.update_progress(con, item_id=insp["items"]["a"], body="已开始清查")
    with db.write(path, action="作废") as con:
        corrections.void_feedback(con, feedback_id=insp["feedbacks"]["a"], reason="登记重复")
    with db.read(path) as con:
        listed = {f["unit_id"] for f in inspections.list_feedbacks(con, round_id=insp["round"])}
        shown = next(u for u in rectification.overview(con, round_ids=[insp["round"]]) if u["unit_id"] == office["a"])
        leaders = [r["name"] for r in rectification.leaders_in_charge(con)]
        log = corrections.corrections_of(con, table="feedbacks", record_id=insp["feedbacks"]["a"])
    assert listed == {office["b"]}
    assert (shown["feedback"], shown["fed_back"]) == ("未反馈", "未反馈")
    assert leaders == ["周市长"]  # unit B's feedback, and the copy of unit A still to read
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "登记重复")]
    with pytest.raises(NotFound, match="不存在或已作废"), db.write(path, action="作废") as con:
        corrections.void_feedback(con, feedback_id=insp["feedbacks"]["a"], reason="再次")
    with db.write(path, action="重新登记") as con:
        again = inspections.record_feedback(
            con,
            round_id=insp["round"],
            unit_id=office["a"],
            mode="collective",
            held_on="2024-06-10",
            leader_id=insp["in_charge"],
        )
    assert _feedback(path, insp["round"], again) is not None
    _clean(path)


# --- 线索处置 -------------------------------------------------------------------------------------


def _clue_with_steps(path: Path, insp: dict[str, Any]) -> tuple[int, int, int]:
    """Unit A's finding transferred, 立案 then 党纪政务处分 of 2 人次; returns (clue, case step, sanction step)."""
    with db.write(path, action="准备") as con:
        clue = inspections.transfer_clue(
            con, finding_id=insp["findings"]["a"], receiver="commission", transferred_on="2024-05-01"
        )
        case = inspections.record_outcome(con, clue_id=clue, outcome="立案", decided_on="2024-06-01")
        sanction = inspections.record_outcome(
            con, clue_id=clue, outcome="党纪政务处分", people=2, decided_on="2024-08-01"
        )
    return clue, case, sanction


def _handled(path: Path, round_id: int) -> int:
    with db.read(path) as con:
        return int(inspections.stats(con, round_ids=[round_id])["people_handled"])


def test_a_clue_steps_people_are_corrected_and_the_statistics_follow(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    clue, _case, sanction = _clue_with_steps(path, insp)
    assert _handled(path, insp["round"]) == 2
    with db.write(path, action="更正") as con:
        corrections.correct_outcome(con, outcome_id=sanction, reason="人次录错", people="3", note="三人受处分")
    with db.read(path) as con:
        steps = next(c for c in inspections.list_clues(con) if c["id"] == clue)["steps"]
        log = corrections.corrections_of(con, table="clue_outcomes", record_id=sanction)
    assert steps == "立案 2024-06-01；党纪政务处分（3人次） 2024-08-01"
    assert log[0]["changes"] == {"涉及人次": ["2", "3"], "备注": ["", "三人受处分"]}
    assert _handled(path, insp["round"]) == 3
    _clean(path)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"clue_id": "9"}, "clue_id", "“问题线索”不能更正：登记错了线索的处置请作废后重新登记"),
        ({"people": "0"}, "people", "“党纪政务处分”须填写涉及人次（至少 1）"),
        ({"decided_on": "2024-04-01"}, "decided_on", "“处置日期”不能早于移交日期 2024-05-01"),
        (
            {"outcome": "处分"},
            "outcome",
            "“处置结果”必须是以下之一：初核、立案、党纪政务处分、组织处理、移送司法、了结",
        ),
        ({"people": "2"}, "reason", "没有要更正的内容：各项与原记录相同"),
    ],
)
def test_a_clue_step_correction_that_breaks_a_rule_names_it_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    path = office["db"]
    _clue, _case, sanction = _clue_with_steps(path, insp)
    with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
        corrections.correct_outcome(con, outcome_id=sanction, reason="试", **changes)
    assert refused.value.errors == {field: message}
    assert _handled(path, insp["round"]) == 2
    with db.read(path) as con:
        assert corrections.corrections_of(con, table="clue_outcomes", record_id=sanction) == []


def test_a_voided_step_leaves_the_steps_and_statistics_and_a_voided_closing_reopens_the_clue(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    clue, _case, sanction = _clue_with_steps(path, insp)
    with db.write(path, action="了结") as con:
        closing = inspections.record_outcome(con, clue_id=clue, outcome="了结", decided_on="2024-09-01")
    with db.write(path, action="作废") as con:
        corrections.void_outcome(con, outcome_id=sanction, reason="处分决定已撤销")
        corrections.void_outcome(con, outcome_id=closing, reason="尚未了结")
    with db.read(path) as con:
        found = next(c for c in inspections.list_clues(con) if c["id"] == clue)
        log = corrections.corrections_of(con, table="clue_outcomes", record_id=closing)
    assert (found["steps"], found["latest"]) == ("立案 2024-06-01", "立案")
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "尚未了结")]
    assert _handled(path, insp["round"]) == 0
    with db.write(path, action="再登记") as con:  # no longer closed: the next step can be recorded
        inspections.record_outcome(con, clue_id=clue, outcome="组织处理", people=1, decided_on="2024-09-10")
    assert _handled(path, insp["round"]) == 1
    _clean(path)
