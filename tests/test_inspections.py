"""巡察: rounds, groups and recusal, findings, clues and outcomes, feedback, statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kit import appointments, db, inspections, integrity, registry
from kit.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import build_inspection

FINDING = {
    "round": "2024-1",
    "unit": "A",
    "category": "三资管理不规范",
    "description": "公务接待超标准",
    "severity": "较重",
    "involves_top": "是",
    "source": "巡察",
    "found_on": "2024-04-15",
}


@pytest.fixture
def inspected(office: dict[str, Any]) -> dict[str, Any]:
    return {**office, **build_inspection(office)}


def _refused(path: Any, call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused, db.write(path, action="测试") as con:
        call(con)
    return refused.value


# --- groups and recusal --------------------------------------------------------------------


def test_a_member_who_held_a_post_in_a_target_unit_must_recuse(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="准备") as con:
        liaison = registry.add_person(con, name="吴联络员")
        inspections.add_to_pool(con, person_id=liaison, pool="liaison")
        registry.start_tenure(
            con, person_id=liaison, unit_id=inspected["b"], post="副县长", role="member", start="2015-01-01"
        )
        registry.end_tenure(con, tenure_id=int(con.scalar("SELECT max(id) FROM tenures")), end="2018-12-31")
    error = _refused(
        path, lambda con: inspections.add_member(con, group_id=inspected["group"], person_id=liaison, role="liaison")
    )
    assert "吴联络员曾在或正在乙县委任副县长（2015-01-01起至2018-12-31），应当回避" in error.errors["person_id"]
    with db.read(path) as con:
        assert con.scalar("SELECT count(*) FROM group_members WHERE person_id = ?", [liaison]) == 0


def test_a_unit_where_a_member_serves_cannot_be_assigned_to_the_group(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="准备") as con:
        other = registry.add_unit(con, code="C", name="丙县委", kind="county", parent_id=inspected["root"])
        registry.start_tenure(
            con, person_id=inspected["chief"], unit_id=other, post="县委副书记", role="member", start="2023-01-01"
        )
    error = _refused(path, lambda con: inspections.assign_unit(con, group_id=inspected["group"], unit_id=other))
    assert "孙组长" in error.errors["unit_id"]
    assert "丙县委" in error.errors["unit_id"]
    with db.read(path) as con:
        assert conflicts(con, inspected, other) == ["孙组长曾在或正在丙县委任县委副书记（2023-01-01起至今），应当回避"]


def conflicts(con: Any, inspected: dict[str, Any], unit: int) -> list[str]:
    return inspections.recusal_conflicts(con, person_ids=[inspected["chief"], inspected["deputy"]], unit_ids=[unit])


def test_posts_come_from_their_pools_and_a_group_has_one_leader(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="准备") as con:
        outsider = registry.add_person(con, name="郑某")
        second = registry.add_person(con, name="冯某")
        inspections.add_to_pool(con, person_id=second, pool="leader")
        rnd = inspections.add_round(
            con, code="2024-2", name="第二轮巡察", kind="special", start="2024-07-01", end="2024-09-30"
        )
        other_group = inspections.add_group(con, round_id=rnd, name="第一巡察组")
    error = _refused(
        path, lambda con: inspections.add_member(con, group_id=inspected["group"], person_id=outsider, role="leader")
    )
    assert error.errors["person_id"] == "郑某不在组长库中，不能担任组长"
    error = _refused(
        path, lambda con: inspections.add_member(con, group_id=inspected["group"], person_id=second, role="leader")
    )
    assert error.errors["role"] == "第一巡察组已有组长"
    error = _refused(
        path,
        lambda con: inspections.add_member(
            con, group_id=inspected["group"], person_id=inspected["deputy"], role="member"
        ),
    )
    assert error.errors["person_id"] == "钱副组长已在本轮的巡察组中"
    with db.write(path, action="组员") as con:  # a 组员 needs no pool; the same name in another round is fine
        inspections.add_member(con, group_id=inspected["group"], person_id=outsider, role="member")
        inspections.add_member(con, group_id=other_group, person_id=inspected["chief"], role="leader")
        groups = inspections.round_groups(con, round_id=inspected["round"])
    assert [m["role_label"] for m in groups[0]["members"]] == ["组长", "副组长", "组员"]
    assert [u["name"] for u in groups[0]["units"]] == ["甲县委", "乙县委"]


def test_a_unit_has_one_group_per_round_and_a_round_its_rules(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="准备") as con:
        second = inspections.add_group(con, round_id=inspected["round"], name="第二巡察组")
    error = _refused(path, lambda con: inspections.assign_unit(con, group_id=second, unit_id=inspected["a"]))
    assert error.errors["unit_id"] == "该单位本轮已确定巡察组"
    error = _refused(
        path,
        lambda con: inspections.add_round(
            con, code="2024-1", name="", kind="飞行", start="2024-05-01", end="2024-04-01"
        ),
    )
    assert error.errors == {
        "name": "“轮次名称”不能为空",
        "kind": "“巡察方式”必须是以下之一：常规巡察、专项巡察、机动巡察、巡纪审联动",
        "end": "“结束日期”不能早于“开始日期”",
    }
    error = _refused(
        path,
        lambda con: inspections.add_round(
            con, code="2024-1", name="重复", kind="常规巡察", start="2024-05-01", end="2024-06-01"
        ),
    )
    assert error.errors["code"] == "轮次编号“2024-1”已被使用"


def test_only_office_wide_entry_staff_set_up_rounds(inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from kit import access

    with db.write(inspected["db"], action="准备") as con:
        access.add_user(con, name="county", display_name="甲县录入员", roles=["entry"])
        access.grant_scope(con, name="county", kind="unit", unit_id=inspected["a"])
    monkeypatch.setenv("KIT_OPERATOR", "county")
    with pytest.raises(PermissionDenied), db.write(inspected["db"], action="测试") as con:
        inspections.add_round(con, code="X", name="某轮", kind="regular", start="2024-01-01", end="2024-02-01")


def test_a_group_user_gets_the_groups_units_for_the_rounds_dates(
    inspected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kit import access

    with db.write(inspected["db"], action="准备") as con:
        access.add_user(con, name="xuncha", display_name="巡察组员", roles=["entry"])
        scopes = inspections.grant_group_scope(con, group_id=inspected["group"], user_name="xuncha")
        rows = con.records(
            "SELECT unit_id, valid_from, valid_until, note FROM user_scopes WHERE id IN (SELECT unnest(?::INTEGER[]))",
            [scopes],
        )
    assert sorted(r["unit_id"] for r in rows) == [inspected["a"], inspected["b"]]
    assert {(r["valid_from"], r["valid_until"], r["note"]) for r in rows} == {
        (date(2024, 3, 1), date(2024, 5, 31), "第一轮巡察第一巡察组")
    }
    with db.write(inspected["db"], action="再授权") as con:  # twice: nothing more
        assert inspections.grant_group_scope(con, group_id=inspected["group"], user_name="xuncha") == []


# --- findings ---------------------------------------------------------------------------------


def test_a_finding_shows_the_top_leader_of_the_day_it_was_found(inspected: dict[str, Any]) -> None:
    with db.write(inspected["db"], action="录入") as con:
        new = registry.add_person(con, name="新书记")
        appointments.change_leader(
            con, unit_id=inspected["a"], role="principal", person_id=new, post="县委书记", on="2024-05-01"
        )
        before = inspections.add_finding(con, **FINDING)
        after = inspections.add_finding(con, **{**FINDING, "found_on": "2024-05-20"})
        leaders = {f["id"]: f["top_leader"] for f in inspections.list_findings(con, round_ids=[inspected["round"]])}
        assert inspections.top_leader_when_found(con, finding_id=before).name == "张一"  # type: ignore[union-attr]
    assert leaders[before] == "张一"
    assert leaders[after] == "新书记"
    assert integrity.check(inspected["db"]).ok


def test_every_bad_field_of_a_finding_is_named_and_nothing_is_written(
    inspected: dict[str, Any], table_counts: Any
) -> None:
    counts = table_counts(inspected["db"])
    bad = {
        "round": "2099-9",
        "unit": "Z",
        "category": "不存在的类别",
        "description": " ",
        "severity": "很严重",
        "involves_top": "也许",
        "source": "网络",
        "found_on": "2024-02-30",
    }
    error = _refused(inspected["db"], lambda con: inspections.add_finding(con, **bad))
    assert error.errors == {
        "round": "“巡察轮次”中的轮次“2099-9”不存在",
        "unit": "“被巡察单位”中的单位“Z”不存在",
        "category": "“问题类别”中的类别“不存在的类别”不存在",
        "description": "“问题描述”不能为空",
        "severity": "“严重程度”必须是以下之一：一般、较重、严重",
        "involves_top": "“是否涉及一把手”必须是以下之一：是、否",
        "source": "“问题来源”必须是以下之一：巡察、日常监督、专项检查、审计、信访、案件",
        "found_on": "“发现日期”不是真实存在的日期：2024-02-30",
    }
    assert table_counts(inspected["db"]) == counts


def test_finding_dates_follow_the_round_and_the_calendar(inspected: dict[str, Any]) -> None:
    error = _refused(inspected["db"], lambda con: inspections.add_finding(con, **{**FINDING, "found_on": "2024-02-01"}))
    assert error.errors == {"found_on": "“发现日期”不能早于本轮巡察开始日期 2024-03-01"}
    error = _refused(inspected["db"], lambda con: inspections.add_finding(con, **{**FINDING, "found_on": "2099-01-01"}))
    assert error.errors == {"found_on": "“发现日期”不能晚于今天"}
    error = _refused(
        inspected["db"], lambda con: inspections.add_finding(con, **{**FINDING, "round": "", "stage": "中期监督检查"})
    )
    assert error.errors == {"round": "中期监督检查发现的问题必须注明“巡察轮次”"}
    with db.write(inspected["db"], action="录入") as con:  # outside a round: 日常监督, 信访 …
        ident = inspections.add_finding(con, **{**FINDING, "round": "", "source": "信访", "found_on": "2023-06-01"})
        assert con.scalar("SELECT round_id FROM findings WHERE id = ?", [ident]) is None


def test_midterm_findings_are_counted_apart(inspected: dict[str, Any]) -> None:
    with db.write(inspected["db"], action="录入") as con:
        for _ in range(3):
            inspections.add_finding(con, **{**FINDING, "stage": "中期监督检查", "found_on": "2024-08-01"})
        figures = inspections.stats(con, round_ids=[inspected["round"]])
    assert (figures["problems"], figures["midterm_problems"]) == (2, 3)


# --- clues ---------------------------------------------------------------------------------------


def test_a_clue_is_transferred_once_and_its_outcomes_follow_the_rules(inspected: dict[str, Any]) -> None:
    path, finding = inspected["db"], inspected["findings"]["a"]
    error = _refused(
        path,
        lambda con: inspections.transfer_clue(
            con, finding_id=finding, receiver="纪委监委", transferred_on="2024-03-01"
        ),
    )
    assert error.errors == {"transferred_on": "“移交日期”不能早于发现日期 2024-04-01"}
    with db.write(path, action="移交") as con:
        clue = inspections.transfer_clue(con, finding_id=finding, receiver="纪委监委", transferred_on="2024-05-01")
    error = _refused(
        path,
        lambda con: inspections.transfer_clue(con, finding_id=finding, receiver="组织部", transferred_on="2024-05-02"),
    )
    assert error.errors == {"finding_id": "该问题已作为线索移交"}
    error = _refused(
        path,
        lambda con: inspections.record_outcome(
            con, clue_id=clue, outcome="党纪政务处分", people=0, decided_on="2024-06-01"
        ),
    )
    assert error.errors == {"people": "“党纪政务处分”须填写涉及人次（至少 1）"}
    error = _refused(
        path, lambda con: inspections.record_outcome(con, clue_id=clue, outcome="立案", decided_on="2024-04-30")
    )
    assert error.errors == {"decided_on": "“处置日期”不能早于移交日期 2024-05-01"}
    with db.write(path, action="处置") as con:
        inspections.record_outcome(con, clue_id=clue, outcome="初核", decided_on="2024-05-10")
        inspections.record_outcome(con, clue_id=clue, outcome="立案", people=1, decided_on="2024-06-01")
        inspections.record_outcome(con, clue_id=clue, outcome="党纪政务处分", people=2, decided_on="2024-08-01")
        inspections.record_outcome(con, clue_id=clue, outcome="移送司法", people=1, decided_on="2024-09-01")
        inspections.record_outcome(con, clue_id=clue, outcome="了结", decided_on="2024-10-01")
    error = _refused(
        path,
        lambda con: inspections.record_outcome(
            con, clue_id=clue, outcome="组织处理", people=1, decided_on="2024-11-01"
        ),
    )
    assert error.errors == {"outcome": "该线索已了结，不能再登记处置结果"}
    with db.read(path) as con:
        clues = inspections.list_clues(con, round_ids=[inspected["round"]])
        figures = inspections.stats(con, round_ids=[inspected["round"]])
    assert [o["outcome_label"] for o in clues[0]["outcomes"]] == ["初核", "立案", "党纪政务处分", "移送司法", "了结"]
    assert clues[0]["latest"] == "了结"
    assert clues[0]["receiver_label"] == "纪委监委"
    # 立案 counts the case, not people handled; 处分 and 移送司法 count their 人次.
    assert (figures["clues"], figures["people_handled"], figures["judiciary"], figures["cases_opened"]) == (1, 3, 1, 1)
    assert integrity.check(path).ok


def test_clue_figures_involving_the_top_leader(inspected: dict[str, Any]) -> None:
    with db.write(inspected["db"], action="录入") as con:
        top = inspections.add_finding(con, **FINDING)
        clue = inspections.transfer_clue(con, finding_id=top, receiver="纪委监委", transferred_on="2024-05-01")
        inspections.record_outcome(con, clue_id=clue, outcome="组织处理", people=1, decided_on="2024-06-01")
        other = inspections.transfer_clue(
            con, finding_id=inspected["findings"]["b"], receiver="组织部", transferred_on="2024-05-01"
        )
        inspections.record_outcome(con, clue_id=other, outcome="党纪政务处分", people=4, decided_on="2024-06-01")
        figures = inspections.stats(con, round_ids=[inspected["round"]])
    assert figures["top_leader_clues"] == 1
    assert figures["top_leader_sanctioned"] == 1
    assert figures["people_handled"] == 5
    assert figures["top_leader_problems"] == 1


# --- feedback -----------------------------------------------------------------------------------


def test_feedback_goes_to_units_of_the_round_once_per_mode(inspected: dict[str, Any]) -> None:
    path = inspected["db"]
    with db.write(path, action="准备") as con:
        other = registry.add_unit(con, code="C", name="丙县委", kind="county", parent_id=inspected["root"])
    error = _refused(
        path,
        lambda con: inspections.record_feedback(
            con,
            round_id=inspected["round"],
            unit_id=other,
            mode="集中反馈",
            held_on="2024-06-01",
            leader_id=inspected["in_charge"],
        ),
    )
    assert error.errors == {"unit_id": "该单位不是第一轮巡察的巡察对象"}
    error = _refused(
        path,
        lambda con: inspections.record_feedback(
            con,
            round_id=inspected["round"],
            unit_id=inspected["a"],
            mode="集中反馈",
            held_on="2024-06-01",
            leader_id=inspected["in_charge"],
        ),
    )
    assert error.errors == {"mode": "该单位本轮已登记集中反馈"}
    with db.write(path, action="反馈") as con:
        inspections.record_feedback(
            con,
            round_id=inspected["round"],
            unit_id=inspected["a"],
            mode="一对一反馈",
            held_on="2024-06-11",
            leader_id=inspected["in_charge"],
        )
        modes = [
            f["mode_label"]
            for f in inspections.list_feedbacks(con, round_id=inspected["round"])
            if f["unit_id"] == inspected["a"]
        ]
    assert modes == ["集中反馈", "一对一反馈"]


# --- common problems ------------------------------------------------------------------------------


def test_common_problems_need_enough_units_and_go_to_their_department(inspected: dict[str, Any]) -> None:
    with db.read(inspected["db"]) as con:
        assert inspections.common_problems(con, round_ids=[inspected["round"]]) == []
        common = inspections.common_problems(con, round_ids=[inspected["round"]], min_units=2)
        sheets = inspections.assignment_sheets(con, round_ids=[inspected["round"]], min_units=2)
    assert [(c["category"], c["units"], c["findings"], c["unit_names"]) for c in common] == [
        ("三资管理不规范", 2, 2, ["乙县委", "甲县委"])
    ]
    assert [(s["department"], len(s["problems"])) for s in sheets] == [("测试州委", 1)]


def test_unknown_rounds_are_reported(inspected: dict[str, Any]) -> None:
    with db.read(inspected["db"]) as con:
        with pytest.raises(NotFound):
            inspections.stats(con, round_ids=[999])
        with pytest.raises(NotFound):
            inspections.round_id(con, "1999-1")
        assert inspections.round_id(con, "2024-1") == inspected["round"]
