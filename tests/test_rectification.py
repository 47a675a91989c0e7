"""整改: ledger items, progress with evidence, 销号 with review, 双向抄告, flags, handover, evaluation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kit import access, appointments, db, inspections, integrity, rectification, registry
from kit.errors import InvalidInput, PermissionDenied
from kit.rectification import add_months, deadline_flag
from tests.conftest import build_inspection
from tests.service_host import offline


@pytest.fixture
def inspected(office: dict[str, Any]) -> dict[str, Any]:
    found = {**office, **build_inspection(office)}
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="shenhe", display_name="审核员甲", roles=["review", "entry"])
        access.grant_scope(con, name="shenhe", kind="all")
    return found


def _refused(path: Any, call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused, db.write(path, action="测试") as con:
        call(con)
    return refused.value


def _item(path: Any, item_id: int) -> dict[str, Any]:
    with db.read(path) as con:
        return next(i for i in rectification.list_items(con) if i["id"] == item_id)


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 11, 30), 2, date(2025, 1, 30)),  # across the year end
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 8, 31), 3, date(2024, 11, 30)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
    ],
)
def test_months_are_added_as_offices_count_them(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("deadline", "today", "key", "label"),
    [
        (date(2024, 12, 31), date(2024, 12, 23), "ok", "未到期"),
        (date(2024, 12, 31), date(2024, 12, 24), "due_soon", "临期（还剩 7 天）"),
        (date(2025, 1, 3), date(2024, 12, 30), "due_soon", "临期（还剩 4 天）"),  # across the year end
        (date(2024, 3, 1), date(2024, 2, 28), "due_soon", "临期（还剩 2 天）"),  # 2024 has a 29 February
        (date(2024, 12, 31), date(2024, 12, 31), "due_today", "今日到期"),
        (date(2024, 12, 31), date(2025, 1, 1), "overdue", "逾期 1 天"),
        (date(2024, 12, 31), date(2025, 1, 7), "overdue", "逾期满 7 天（已逾期 7 天）"),
        (date(2024, 1, 31), date(2024, 2, 29), "overdue", "逾期满 7 天（已逾期 29 天）"),
        (date(2024, 1, 31), date(2024, 3, 1), "overdue", "逾期满 30 天（已逾期 30 天）"),
        (date(2023, 1, 31), date(2023, 3, 1), "overdue", "逾期满 7 天（已逾期 29 天）"),  # no 29 February
    ],
)
def test_deadline_flags_across_month_and_year_ends(deadline: date, today: date, key: str, label: str) -> None:
    flag = deadline_flag(deadline, today)
    assert (flag.key, flag.label) == (key, label)
    assert flag.days == (today - deadline).days


def test_offsets_are_the_offices_setting(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="设置") as con:
        assert rectification.set_reminder_offsets(con, offsets="15, -3 ,0") == (-3, 0, 15)
    with db.read(path) as con:
        assert rectification.reminder_offsets(con) == (-3, 0, 15)
        items = rectification.list_items(con, today=date(2024, 9, 23))
    assert {i["flag_label"] for i in items} == {"未到期"}  # 7 days ahead is no longer 临期
    with db.read(path) as con:
        items = rectification.list_items(con, today=date(2024, 10, 20))
    assert {i["flag_label"] for i in items} == {"逾期满 15 天（已逾期 20 天）"}
    error = _refused(path, lambda con: rectification.set_reminder_offsets(con, offsets="七天"))
    assert error.errors == {"offsets": "“提醒天数”必须是 -365 至 365 之间的整数"}
    assert integrity.check(path).ok


# --- items ------------------------------------------------------------------------------------------


def test_an_item_answers_to_the_top_leader_unless_another_team_member_is_named(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="录入") as con:
        named = rectification.add_item(
            con,
            finding=inspected["findings"]["b"],
            measure="另一措施",
            leader="赵四",
            responsible="某人",
            deadline="2024-12-31",
        )
    assert _item(path, inspected["items"]["a"])["leader_name"] == "张一"
    assert _item(path, named)["leader_name"] == "赵四"


def test_ledger_rows_are_checked_field_by_field(inspected: dict[str, Any], table_counts: Any) -> None:
    path = inspected["db"]
    counts = table_counts(path)
    error = _refused(
        path,
        lambda con: rectification.add_item(
            con,
            finding=inspected["findings"]["a"],
            unit="B",
            measure="",
            leader="外人",
            responsible="",
            deadline="2024-03-31",
            progress="一半",
        ),
    )
    assert error.errors == {
        "unit": "“单位”与问题所属单位（甲县委）不一致",
        "measure": "“整改措施”不能为空",
        "responsible": "“责任人”不能为空",
        "progress": "“整改进度（%）”必须是 0 至 100 之间的整数",
        "leader": "“责任领导”外人不是该单位现任领导班子成员",
        "deadline": "“整改时限”不能早于问题发现日期 2024-04-01",
    }
    error = _refused(
        path, lambda con: rectification.add_item(con, finding=999, measure="x", responsible="y", deadline="2025-01-01")
    )
    assert error.errors == {"finding": "“问题编号”999 不存在"}
    assert table_counts(path) == counts


def test_progress_carries_text_percentage_and_evidence(inspected: dict[str, Any]) -> None:
    path, item = inspected["db"], inspected["items"]["a"]
    with db.write(path, action="报送") as con:
        rectification.update_progress(
            con, item_id=item, body="已清查一半", progress=50, files=[("清查表.pdf", b"%PDF-1.4 a")]
        )
    with db.read(path) as con:
        history = rectification.item_history(con, item_id=item)
        name, content = rectification.evidence(con, evidence_id=history[0]["files"][0]["id"])
    assert [(h["kind_label"], h["body"], h["progress"]) for h in history] == [("进展", "已清查一半", 50)]
    assert (name, content) == ("清查表.pdf", b"%PDF-1.4 a")
    assert _item(path, item)["progress"] == 50
    for files, message in (
        ([("空.pdf", b"")], "“佐证材料1”（空.pdf）是空文件"),
        (
            [("大.pdf", b"x" * (rectification.MAX_EVIDENCE_BYTES + 1))],
            "“佐证材料1”（大.pdf）超过 20 MB，请压缩或拆分后上传",
        ),
        ([("", b"x")], "“佐证材料1的文件名”不能为空"),
    ):
        error = _refused(
            path, lambda con, f=files: rectification.update_progress(con, item_id=item, body="再报", files=f)
        )
        assert error.errors == {"files": message}
    error = _refused(path, lambda con: rectification.update_progress(con, item_id=item, body="", progress=150))
    assert error.errors == {"body": "“进展情况”不能为空", "progress": "“整改进度（%）”必须是 0 至 100 之间的整数"}
    assert integrity.check(path).ok


def test_every_update_is_copied_to_the_leader_in_charge(inspected: dict[str, Any]) -> None:
    path, item = inspected["db"], inspected["items"]["a"]
    with db.write(path, action="报送") as con:
        rectification.update_progress(con, item_id=item, body="第一次进展")
        rectification.extend_deadline(con, item_id=item, deadline="2024-10-31", reason="涉及多部门")
    with db.read(path) as con:
        copies = rectification.copies_for(con, person_id=inspected["in_charge"])
        leaders = rectification.leaders_in_charge(con)
    assert [(c["kind_label"], c["body"], c["read_at"]) for c in copies] == [
        ("延期", "涉及多部门", None),
        ("进展", "第一次进展", None),
    ]
    assert [(lead["name"], lead["unread"]) for lead in leaders] == [("周市长", 2)]
    with db.write(path, action="阅知") as con:
        assert rectification.mark_copies_read(con, copy_ids=[c["id"] for c in copies]) == 2
        assert rectification.mark_copies_read(con, copy_ids=[c["id"] for c in copies]) == 0
        assert rectification.copies_for(con, person_id=inspected["in_charge"], unread_only=True) == []
    assert integrity.check(path).ok


def test_a_leaders_unread_count_holds_only_copies_of_units_in_the_users_scope(
    inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inspected["db"]
    with db.write(path, action="报送") as con:  # one 分管领导 attended the feedback of both units
        rectification.update_progress(con, item_id=inspected["items"]["a"], body="甲县进展")
        rectification.update_progress(con, item_id=inspected["items"]["b"], body="乙县进展一")
        rectification.update_progress(con, item_id=inspected["items"]["b"], body="乙县进展二")
        access.add_user(con, name="jia", display_name="甲县分析员", roles=["analyst"])
        access.grant_scope(con, name="jia", kind="unit", unit_id=inspected["a"])
    with db.read(path) as con:
        assert [(r["units"], r["unread"]) for r in rectification.leaders_in_charge(con)] == [(2, 3)]
    monkeypatch.setenv("KIT_OPERATOR", "jia")
    with db.read(path) as con:
        assert [(r["units"], r["unread"]) for r in rectification.leaders_in_charge(con)] == [(1, 1)]
        shown = [c["body"] for c in rectification.copies_for(con, person_id=inspected["in_charge"])]
    assert shown == ["甲县进展"]


def test_extensions_are_counted_and_must_move_the_deadline_later(inspected: dict[str, Any]) -> None:
    path, item = inspected["db"], inspected["items"]["a"]
    error = _refused(
        path, lambda con: rectification.extend_deadline(con, item_id=item, deadline="2024-09-30", reason="x")
    )
    assert error.errors == {"deadline": "“新的整改时限”必须晚于现时限 2024-09-30"}
    with db.write(path, action="延期") as con:
        for month in (10, 11, 12):
            rectification.extend_deadline(con, item_id=item, deadline=f"2024-{month}-28", reason="客观原因")
    found = _item(path, item)
    assert (found["extensions"], found["deadline"], found["first_deadline"]) == (
        3,
        date(2024, 12, 28),
        date(2024, 9, 30),
    )
    with db.read(path) as con:
        flagged = {f["id"]: f["reason_labels"] for f in rectification.paper_flags(con)}
    assert "整改时限延期超过两次" in flagged[item]


# --- 销号 ------------------------------------------------------------------------------------------------


def test_closing_needs_evidence_and_another_persons_review(
    inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, item = inspected["db"], inspected["items"]["a"]
    error = _refused(path, lambda con: rectification.request_close(con, item_id=item, body="已完成"))
    assert error.errors == {"files": "申请销号须上传佐证材料（如文件、照片、会议记录）"}
    with db.write(path, action="申请") as con:
        rectification.request_close(con, item_id=item, body="已完成", files=[("验收报告.docx", b"PK docx")])
    assert _item(path, item)["status_label"] == "待审核销号"
    error = _refused(path, lambda con: rectification.update_progress(con, item_id=item, body="再报"))
    assert error.errors == {"item_id": "该事项状态为“待审核销号”，不能再报送进展"}
    error = _refused(path, lambda con: rectification.review_close(con, item_id=item, approve=True, note="同意"))
    assert error.errors == {"item_id": "销号申请须由申请人以外的审核员审核"}
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    with db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=item, approve=True, note="材料齐全，同意销号")
    closed = _item(path, item)
    assert (closed["status_label"], closed["closed_by"], closed["progress"]) == ("已销号", "shenhe", 100)
    error = _refused(path, lambda con: rectification.review_close(con, item_id=item, approve=True, note="再审"))
    assert error.errors == {"item_id": "该事项状态为“已销号”，没有待审核的销号申请"}
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")  # kit check is for administrators
    assert integrity.check(path).ok


def test_a_returned_request_reopens_the_item(inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    path, item = inspected["db"], inspected["items"]["b"]
    with db.write(path, action="申请") as con:
        rectification.request_close(con, item_id=item, body="已完成", files=[("照片.jpg", b"\xff\xd8jpeg")])
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    with db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=item, approve=False, note="佐证不足，请补充会议记录")
    found = _item(path, item)
    assert (found["status"], found["close_requested_by"]) == ("open", None)
    with db.read(path) as con:
        kinds = [h["kind_label"] for h in rectification.item_history(con, item_id=item)]
    assert kinds == ["申请销号", "退回"]


def test_only_reviewers_close_items(inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    path, item = inspected["db"], inspected["items"]["a"]
    with db.write(path, action="准备") as con:
        access.add_user(con, name="luru", display_name="录入员乙", roles=["entry"])
        access.grant_scope(con, name="luru", kind="all")
        rectification.request_close(con, item_id=item, body="已完成", files=[("a.pdf", b"x")])
    monkeypatch.setenv("KIT_OPERATOR", "luru")
    with pytest.raises(PermissionDenied), db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=item, approve=True, note="同意")


def test_paper_rectification_is_flagged_with_every_reason(
    inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inspected["db"]
    with db.write(path, action="录入") as con:
        copied = [
            rectification.add_item(
                con,
                finding=inspected["findings"][u],
                measure="召开专题会议 研究整改",
                responsible="办公室",
                deadline="2024-12-31",
            )
            for u in ("a", "b")
        ]
        rectification.request_close(con, item_id=inspected["items"]["a"], body="完成", files=[("a.pdf", b"x")])
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    with db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=inspected["items"]["a"], approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
    with db.read(path) as con:
        flags = {f["id"]: f["reasons"] for f in rectification.paper_flags(con, round_ids=[inspected["round"]])}
    # Whitespace does not hide a measure copied across units; closed the day it was opened is flagged.
    assert flags == {
        inspected["items"]["a"]: ["same_day"],
        copied[0]: ["copied_measure"],
        copied[1]: ["copied_measure"],
    }


def test_an_item_closed_without_evidence_is_flagged(inspected: dict[str, Any]) -> None:
    path, item = inspected["db"], inspected["items"]["b"]
    # Only data written outside kit (an old ledger copied in by hand, the service stopped) can be closed
    # without evidence.
    with offline(path), db.write(path, action="旧台账") as con:
        con.execute(
            "UPDATE rectification_items SET status = 'closed', closed_on = DATE '2024-10-01' WHERE id = ?", [item]
        )
    with db.read(path) as con:
        flags = {f["id"]: f["reason_labels"] for f in rectification.paper_flags(con)}
    assert flags[item] == ["销号但没有佐证材料"]


# --- 整改交接 ---------------------------------------------------------------------------------------------


def test_a_new_top_leader_takes_over_every_open_item_and_both_sign(
    inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = inspected["db"]
    with db.write(path, action="录入") as con:
        extra = rectification.add_item(
            con, finding=inspected["findings"]["a"], measure="第二项措施", responsible="某人", deadline="2025-01-31"
        )
        done = rectification.add_item(
            con, finding=inspected["findings"]["a"], measure="第三项措施", responsible="某人", deadline="2025-01-31"
        )
        rectification.request_close(con, item_id=done, body="完成", files=[("a.pdf", b"x")])
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    with db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=done, approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
    with db.write(path, action="调整") as con:
        rectification.request_close(con, item_id=extra, body="完成", files=[("b.pdf", b"y")])  # 待审核 is still open
        successor = registry.add_person(con, name="接任书记")
        appointments.change_leader(
            con, unit_id=inspected["a"], role="principal", person_id=successor, post="县委书记", on="2024-08-01"
        )
        handovers = rectification.list_handovers(con)
    assert len(handovers) == 1
    handover = handovers[0]
    assert (handover["from_name"], handover["to_name"], handover["changed_on"]) == (
        "张一",
        "接任书记",
        date(2024, 8, 1),
    )
    assert sorted(handover["item_ids"]) == sorted([inspected["items"]["a"], extra])
    assert not handover["complete"]
    for ident in (inspected["items"]["a"], extra):
        assert _item(path, ident)["leader_name"] == "接任书记"
    assert _item(path, done)["leader_name"] == "张一"  # closed items stay with whoever closed them
    with db.write(path, action="签字") as con:
        rectification.sign_handover(con, handover_id=handover["id"], side="交出方", on="2024-08-02")
        rectification.sign_handover(con, handover_id=handover["id"], side="incoming", on="2024-08-03")
        assert rectification.list_handovers(con)[0]["complete"]
    error = _refused(path, lambda con: rectification.sign_handover(con, handover_id=handover["id"], side="incoming"))
    assert error.errors == {"side": "该方已签字"}
    with db.read(path) as con:
        assert inspections.stats(con, round_ids=[inspected["round"]])["handovers"] == 1
    assert integrity.check(path).ok


def test_no_handover_when_nothing_is_open_or_another_role_changes(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="调整") as con:
        mayor = registry.add_person(con, name="新县长")
        appointments.change_leader(
            con, unit_id=inspected["a"], role="co_principal", person_id=mayor, post="县长", on="2024-08-01"
        )
        other = registry.add_unit(con, code="C", name="丙县委", kind="county", parent_id=inspected["root"])
        appointments.change_leader(
            con, unit_id=other, role="principal", person_id=mayor, post="县委书记", on="2025-01-01"
        )
        assert rectification.list_handovers(con) == []


# --- 整改评估 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [("100", "好"), ("90", "好"), ("89.99", "较好"), ("80", "较好"), ("60", "一般"), ("59.5", "差"), ("0", "差")],
)
def test_evaluation_grades(score: str, grade: str) -> None:
    assert rectification.grade_for(Decimal(score)) == grade


def test_poorly_rectifying_units_are_collected_for_the_notice(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="评估") as con:
        assert (
            rectification.evaluate(
                con, round_id=inspected["round"], unit_id=inspected["a"], score="92", on="2024-12-01"
            )
            == "好"
        )
        assert (
            rectification.evaluate(con, round_id=inspected["round"], unit_id=inspected["b"], score=70, on="2024-12-01")
            == "一般"
        )
        assert (
            rectification.evaluate(
                con, round_id=inspected["round"], unit_id=inspected["b"], score=55.5, on="2024-12-05"
            )
            == "差"
        )
        poor = rectification.poor_units(con, round_id=inspected["round"], today=date(2024, 12, 10))
        other = registry.add_unit(con, code="C", name="丙县委", kind="county", parent_id=inspected["root"])
    assert [(p["unit_name"], p["score"], p["items"], p["overdue"], p["top_leader"]) for p in poor] == [
        ("乙县委", Decimal("55.50"), 1, 1, "王三")
    ]
    error = _refused(
        path, lambda con: rectification.evaluate(con, round_id=inspected["round"], unit_id=other, score=80)
    )
    assert error.errors == {"unit_id": "该单位不是本轮巡察对象，不能评估"}
    error = _refused(
        path, lambda con: rectification.evaluate(con, round_id=inspected["round"], unit_id=inspected["a"], score=101)
    )
    assert error.errors == {"score": "“评估得分”不能超过满分 100"}
    assert integrity.check(path).ok


def test_overview_counts_completion_per_unit(inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    path = inspected["db"]
    with db.write(path, action="申请") as con:
        rectification.request_close(con, item_id=inspected["items"]["a"], body="完成", files=[("a.pdf", b"x")])
    monkeypatch.setenv("KIT_OPERATOR", "shenhe")
    with db.write(path, action="审核") as con:
        rectification.review_close(con, item_id=inspected["items"]["a"], approve=True, note="同意")
        rows = rectification.overview(con, round_ids=[inspected["round"]], today=date(2024, 10, 1))
    assert [(r["unit_name"], r["items"], r["closed"], r["overdue"], r["rate"]) for r in rows] == [
        ("甲县委", 1, 1, 0, 100.0),
        ("乙县委", 1, 0, 1, 0.0),
    ]


_INVISIBLE = "不能含不可见的字符或改变文字方向的字符"
_PATH = '不能含路径符号或 : * ? " < > | 等字符'


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("报告\u202efdp.exe", _INVISIBLE),
        ("\u2067名单.pdf", _INVISIBLE),
        ("名单\u061c.pdf", _INVISIBLE),
        ("报告\u200b.pdf", _INVISIBLE),
        ("../../etc/passwd", _PATH),
        ("a\\b.pdf", _PATH),
        ("a:b.pdf", _PATH),
        ("整改\uff0f报告.pdf", _PATH),
        ("..", "不能只由点组成"),
        ("CON", "不能用 CON、NUL、COM1 等系统保留的名称"),
        ("nul.pdf", "不能用 CON、NUL、COM1 等系统保留的名称"),
        ("report.pdf        .exe", "不能含连续的空格、点前的空格或以点结尾（会遮住真实的扩展名）"),
        ("报告.pdf.", "不能含连续的空格、点前的空格或以点结尾（会遮住真实的扩展名）"),
    ],
)
def test_an_evidence_name_cannot_disguise_the_file(inspected: dict[str, Any], name: str, rule: str) -> None:
    error = _refused(
        inspected["db"],
        lambda con: rectification.update_progress(
            con, item_id=inspected["items"]["a"], body="进展", files=[(name, b"x")]
        ),
    )
    assert error.errors == {"files": f"“佐证材料1的文件名”{rule}"}


@pytest.mark.parametrize("name", ["整改报告（2024年）.pdf", "通知：整改.docx", "会议 纪要.docx", "照片1.JPG", "README"])
def test_ordinary_evidence_names_are_kept_as_given(inspected: dict[str, Any], name: str) -> None:
    with db.write(inspected["db"], action="报送进展") as con:
        rectification.update_progress(con, item_id=inspected["items"]["a"], body="进展", files=[(name, b"x")])
    with db.read(inspected["db"]) as con:
        history = rectification.item_history(con, item_id=inspected["items"]["a"])
    assert name in [f["filename"] for h in history for f in h["files"]]


def test_a_deadline_cannot_be_pushed_beyond_five_years(inspected: dict[str, Any]) -> None:
    error = _refused(
        inspected["db"],
        lambda con: rectification.extend_deadline(
            con, item_id=inspected["items"]["a"], deadline="2099-12-31", reason="无限期"
        ),
    )
    assert error.errors == {"deadline": "“新的整改时限”不能超过 5 年"}


def test_no_handover_when_the_same_leader_holds_the_post(inspected: dict[str, Any]) -> None:
    with db.write(inspected["db"], action="交接") as con:
        assert rectification.handover_for_change(con, unit_id=inspected["a"], on="2024-08-01") is None
        assert rectification.list_handovers(con) == []
