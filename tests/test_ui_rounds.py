"""The 巡察组织 app's model and view, without a browser, on real temporary databases."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from kit import access, db, inspections, registry
from kit.ui.forms import ERROR, OK
from kit.ui.rounds import RoundsModel, RoundsView
from kit.ui.rounds.view import _round_option
from tests.conftest import build_inspection


@pytest.fixture
def view(office: dict[str, Any]) -> RoundsView:
    office.update(build_inspection(office))
    found = RoundsView(RoundsModel(office["db"]))
    found.model.load()
    return found


def _submit(form: Any, **values: Any) -> str:
    for key, value in values.items():
        form.inputs[key].value = value
    form.run_submit()
    return str(form.status.value)


def test_the_app_shows_the_round_its_groups_and_targets(view: RoundsView) -> None:
    assert view.picker.value == view.model.round_id
    assert "第一轮巡察（2024-1，常规巡察）" in [label for label, _ in view.picker.options]
    assert "孙组长（组长）" in view.groups.page_html()
    assert "甲县委" in view.targets.page_html()
    assert "集中反馈 2024-06-10（周市长出席）" in view.targets.page_html()
    assert "组长库" in view.pool.page_html()
    view.targets.export.click()
    assert 'download="整改情况总览（2024-1）.xlsx"' in view.targets.export_link.value
    view.clues.export.click()  # the clues the table's filters select, as the user asks for them
    assert 'download="问题线索（2024-1）.xlsx"' in view.clues.export_link.value


def test_a_new_round_with_a_group_member_and_a_target(view: RoundsView, office: dict[str, Any]) -> None:
    status = _submit(
        view.round_form, code="2024-2", name="第二轮巡察", kind="special", start="2024-07-01", end="2024-09-30"
    )
    assert OK in status
    assert view.picker.value == view.model.round_id
    assert "第二轮巡察（2024-2，专项巡察）" in view.picker.options[0][0]
    assert set(view.round_form.values().values()) <= {"", None}  # the next round starts blank
    assert OK in _submit(view.group_form, name="第一巡察组")
    assert view.group_form.values()["name"] == ""
    group = view.model.groups[0]["id"]
    chief = office["chief"]
    assert OK in _submit(view.member_form, group_id=group, person_id=chief, role="leader")
    assert OK in _submit(view.target_form, group_id=group, unit_id=office["a"])
    assert "甲县委" in view.groups.page_html()
    assert "孙组长（组长）" in view.groups.page_html()


def test_pool_and_recusal_messages_appear_beside_the_fields(view: RoundsView, office: dict[str, Any]) -> None:
    _submit(view.round_form, code="2024-2", name="第二轮巡察", kind="regular", start="2024-07-01", end="2024-09-30")
    _submit(view.group_form, name="第一巡察组")
    group = view.model.groups[0]["id"]
    status = _submit(view.member_form, group_id=group, person_id=office["deputy"], role="leader")
    assert ERROR in status
    assert "钱副组长不在组长库中，不能担任组长" in view.member_form.row_errors["person_id"].value
    with db.write(office["db"], action="任职") as con:
        registry.start_tenure(
            con, person_id=office["chief"], unit_id=office["b"], post="副县长", role="member", start="2019-01-01"
        )
    view.model.select(view.model.round_id)
    _submit(view.member_form, group_id=group, person_id=office["chief"], role="leader")
    status = _submit(view.target_form, group_id=group, unit_id=office["b"])
    assert ERROR in status
    assert "孙组长曾在或正在乙县委任副县长" in view.target_form.row_errors["unit_id"].value
    with db.read(office["db"]) as con:
        assert con.scalar("SELECT count(*) FROM inspection_targets WHERE group_id = ?", [group]) == 0


def test_feedback_evaluation_and_clue_outcome(view: RoundsView, office: dict[str, Any]) -> None:
    status = _submit(
        view.feedback_form, unit_id=office["b"], mode="one_on_one", held_on="2024-06-12", leader_id=office["in_charge"]
    )
    assert OK in status, status
    assert "一对一反馈 2024-06-12（周市长出席）" in view.targets.page_html()
    assert OK in _submit(view.evaluation_form, unit_id=office["b"], score="55", note="整改不力")
    assert view.evaluation_form.values() == {"unit_id": None, "score": "", "note": ""}  # ready for the next unit
    assert "55（差）" in view.targets.page_html()
    assert ERROR in _submit(view.evaluation_form, unit_id=office["a"], score="120")
    assert view.evaluation_form.row_errors["score"].value
    with db.write(office["db"], action="移交") as con:
        from kit import inspections

        inspections.transfer_clue(
            con, finding_id=office["findings"]["a"], receiver="commission", transferred_on="2024-05-01"
        )
    view.model.select(view.model.round_id)
    assert "待处置" in view.clues.page_html()
    view.clues.lines[0][0].click()  # the row's 登记处置 puts that clue in the form below
    clue = view.outcome_form.values()["clue_id"]
    assert clue == view.model.clues[0]["id"]
    assert OK in _submit(view.outcome_form, outcome="discipline", people="2", decided_on="2024-08-01")
    assert "党纪政务处分（2人次） 2024-08-01" in view.clues.page_html()


def test_users_without_the_roles_see_no_forms(office: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    office.update(build_inspection(office))
    with db.write(office["db"], action="准备") as con:
        access.add_user(con, name="reader", display_name="分析员", roles=["analyst"])
        access.grant_scope(con, name="reader", kind="all")
    monkeypatch.setenv("KIT_OPERATOR", "reader")
    found = RoundsView(RoundsModel(office["db"]))
    found.model.load()
    assert all(box.layout.display == "none" for box in found.entry_boxes)
    assert found.evaluation_box.layout.display == "none"
    # Not merely hidden: the forms were never built for this user.
    boxes = [*found.entry_boxes, found.pool_box, found.feedback_box, found.evaluation_box, found.outcome_box]
    assert all(box.children == () for box in boxes)
    forms = [found.round_form, found.group_form, found.pool_form, found.feedback_form, found.evaluation_form]
    assert all(form is None for form in forms)
    assert "甲县委" in found.targets.page_html()


def test_the_pool_form_finds_a_person_by_unit_or_post_and_puts_them_in_the_pool(
    view: RoundsView, office: dict[str, Any]
) -> None:
    picker = view.pool_form.inputs["person_id"]
    labels = [label for label, _ in picker.options]
    assert f"李二（甲县委 县长，编号 {office['people']['a2']}）" in labels
    assert f"孙组长（暂无任职，编号 {office['chief']}）" in labels
    picker.search.value = "甲县委"
    assert [label.split("（")[0] for label, _ in picker.dropdown.options] == ["张一", "李二"]
    assert "2 / " in picker.shown.value
    picker.dropdown.value = office["people"]["a2"]
    assert view.pool_form.values()["person_id"] == office["people"]["a2"]
    picker.search.value = "县长"  # still among the narrowed options: the choice stays
    assert picker.value == office["people"]["a2"]
    picker.search.value = "乙县委"  # no longer shown: nothing stays chosen behind the user's back
    assert picker.value is None
    picker.search.value = ""
    assert OK in _submit(view.pool_form, person_id=office["people"]["a2"], pool="deputy")
    assert "李二" in view.pool.page_html()


def test_a_pool_row_picked_fills_the_form_and_the_person_is_moved_out(view: RoundsView, office: dict[str, Any]) -> None:
    assert view.pool_form is not None
    assert view.pool_remove is not None
    row = next(n for n, r in enumerate(view.pool.shown.rows) if r["name"] == "孙组长")
    view.pool.lines[row][0].click()
    assert (view.pool_form.values()["person_id"], view.pool_form.values()["pool"]) == (office["chief"], "leader")
    view.pool_remove.click()
    assert OK in view.pool_form.status.value
    assert "已移出组长库" in view.pool_form.status.value
    assert "孙组长" not in view.pool.page_html()
    assert "孙组长（组长）" in view.groups.page_html()  # the group already formed keeps its 组长


@pytest.mark.embedded_only("the COMMIT is made to fail in this process; with a data service it is made there")
def test_a_save_whose_commit_fails_leaves_the_screen_showing_what_is_stored(
    view: RoundsView, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(raw: Any, request: str) -> None:
        raise duckdb.IOException("磁盘已满（测试）")

    monkeypatch.setattr(db, "_commit", refuse)
    status = _submit(view.group_form, name="第九巡察组")
    assert ERROR in status
    assert "第九巡察组" not in view.groups.page_html()  # was shown before the COMMIT, although never stored
    monkeypatch.undo()
    with db.read(view.model.db_path) as con:
        assert "第九巡察组" not in {g["name"] for g in inspections.round_groups(con, round_id=view.model.round_id)}


def test_the_chosen_round_is_corrected_in_its_panel_and_an_empty_one_voided(view: RoundsView) -> None:
    panel = view.round_fix
    assert panel is not None
    assert panel.form.values()["name"] == "第一轮巡察"  # filled with what is stored
    assert OK in _submit(panel.form, name="第一轮巡察（更正）", reason="名称录错")
    assert "第一轮巡察（更正）（2024-1，常规巡察）" in [label for label, _ in view.picker.options]
    assert "轮次名称：第一轮巡察 → 第一轮巡察（更正）" in view.round_log.table.page_html()
    panel.form.inputs["reason"].value = "试"
    panel.void_button.click()
    assert "本轮已有巡察组、巡察对象、发现问题，不能作废" in panel.form.status.value
    assert OK in _submit(
        view.round_form, code="2024-9", name="误建的轮次", kind="special", start="2024-09-01", end="2024-10-31"
    )
    assert panel.form.values()["name"] == "误建的轮次"  # the new round is chosen, and its values shown
    panel.form.inputs["reason"].value = "误建"
    panel.void_button.click()
    assert OK in panel.done.value
    assert "误建的轮次" not in str(view.picker.options)


def test_a_feedback_is_opened_from_its_row_corrected_voided_and_recorded_again(view: RoundsView) -> None:
    assert "周市长" in view.feedbacks.page_html()
    assert view.feedback_fix_box.layout.display == "none"  # nothing opened yet
    row = next(n for n, r in enumerate(view.feedbacks.shown.rows) if r["unit_name"] == "甲县委")
    opener = view.feedbacks.lines[row][0]
    assert opener.description == "更正或作废"
    opener.click()
    panel = view.feedback_fix
    assert panel is not None
    assert view.feedback_fix_box.layout.display is None
    assert panel.form.values()["held_on"] == "2024-06-10"  # filled with what is stored
    assert OK in _submit(panel.form, held_on="2024-06-12", reason="日期录错")
    assert "2024-06-12" in view.feedbacks.page_html()
    assert "反馈日期：2024-06-10 → 2024-06-12" in view.feedback_log.table.page_html()
    assert "集中反馈 2024-06-12（周市长出席）" in view.targets.page_html()
    unit_a, leader = view.model.feedback()["unit_id"], view.model.feedback()["leader_id"]  # type: ignore[index]
    panel.form.inputs["reason"].value = "登记错了"
    panel.void_button.click()
    assert OK in panel.done.value
    assert [f["unit_name"] for f in view.model.feedbacks] == ["乙县委"]
    assert view.feedback_fix_box.layout.display == "none"
    assert "已作废甲县委的集中反馈" in panel.done.value  # shown although the panel is hidden
    assert panel.done in view.fix_done["feedback"].children
    assert view.feedback_form is not None
    assert OK in _submit(view.feedback_form, unit_id=unit_a, mode="collective", held_on="2024-06-11", leader_id=leader)
    assert sorted(f["unit_name"] for f in view.model.feedbacks) == ["乙县委", "甲县委"]


def test_only_the_latest_actions_outcome_is_shown(view: RoundsView) -> None:
    assert view.group_form is not None
    assert view.round_form is not None
    assert OK in _submit(view.group_form, name="第二巡察组")
    assert ERROR in _submit(view.round_form, code="", name="")  # a new action: the earlier outcome goes
    assert view.group_form.status.value == ""
    assert "第二巡察组" in view.groups.page_html()  # what was saved stays saved and shown


def test_a_clue_step_is_opened_from_the_steps_table_corrected_and_voided(
    view: RoundsView, office: dict[str, Any]
) -> None:
    with db.write(office["db"], action="移交") as con:
        clue = inspections.transfer_clue(
            con, finding_id=office["findings"]["a"], receiver="commission", transferred_on="2024-05-01"
        )
        inspections.record_outcome(con, clue_id=clue, outcome="discipline", people=2, decided_on="2024-08-01")
    view.model.select(view.model.round_id)
    assert "党纪政务处分" in view.steps.page_html()
    assert view.outcome_fix_box.layout.display == "none"
    view.steps.lines[0][0].click()
    panel = view.outcome_fix
    assert panel is not None
    assert panel.form.values()["people"] == "2"
    assert OK in _submit(panel.form, people="3", reason="人次录错")
    assert "党纪政务处分（3人次） 2024-08-01" in view.clues.page_html()
    assert "涉及人次：2 → 3" in view.outcome_log.table.page_html()
    panel.form.inputs["reason"].value = "处分决定撤销"
    panel.void_button.click()
    assert OK in panel.done.value
    assert view.model.outcomes() == []
    assert "待处置" in view.clues.page_html()
    assert view.outcome_fix_box.layout.display == "none"


def test_a_group_is_opened_from_its_row_and_its_name_members_and_units_corrected(
    view: RoundsView, office: dict[str, Any]
) -> None:
    panel = view.group_panel
    assert panel is not None
    assert panel.box.layout.display == "none"  # nothing opened yet
    assert OK in _submit(view.group_form, name="第二巡察组")
    first = next(n for n, r in enumerate(view.groups.shown.rows) if r["name"] == "第一巡察组")
    opener = view.groups.lines[first][0]
    assert opener.description == "更正"
    opener.click()
    assert panel.box.layout.display is None
    assert panel.fix.form.values()["name"] == "第一巡察组"  # filled with what is stored
    assert OK in _submit(panel.fix.form, name="第一巡察组（财经）", reason="名称录错")
    assert "第一巡察组（财经）" in view.groups.page_html()
    assert "巡察组名称：第一巡察组 → 第一巡察组（财经）" in view.round_log.table.page_html()  # the round's history
    # a member: another post, then out of the group
    assert [label for label, _ in panel.members.inputs["person_id"].options] == ["孙组长（组长）", "钱副组长（副组长）"]
    assert ERROR in _submit(panel.members, person_id=office["deputy"], role="leader", reason="录错")
    assert "钱副组长不在组长库中，不能担任组长" in panel.members.row_errors["member"].value  # beside the fields
    assert OK in _submit(panel.members, person_id=office["deputy"], role="remove", reason="调配错了")
    assert "钱副组长" not in view.groups.page_html()
    # a unit: to the other group; taking it off is refused while the round holds its findings
    second = next(g["id"] for g in view.model.groups if g["name"] == "第二巡察组")
    assert ERROR in _submit(panel.units, unit_id=office["b"], group_id=0, reason="确定错了")
    assert "乙县委本轮已有发现问题、巡察反馈，不能撤销" in panel.units.row_errors["unit"].value
    assert OK in _submit(panel.units, unit_id=office["b"], group_id=second, reason="分组调整")
    assert "乙县委的巡察组：第一巡察组（财经） → 第二巡察组" in view.round_log.table.page_html()
    shown = [r["summary"].split("：")[0] for r in view.round_log.table.shown.rows]  # the round's history
    assert shown == ["更正 乙县委的巡察组", "更正 第一巡察组（财经）成员", "更正 巡察组名称"]  # latest first
    # the empty group: voided, its outcome shown although its panel hides
    view.groups.lines[next(n for n, r in enumerate(view.groups.shown.rows) if r["name"] == "第二巡察组")][0].click()
    assert "正在更正：第二巡察组" in panel.which.value
    assert panel.units.values()["reason"] == ""  # nothing typed for the first group stays
    assert panel.members.status.value == ""
    assert OK in _submit(panel.units, unit_id=office["b"], group_id=view.model.groups[0]["id"], reason="还是原组")
    panel.fix.form.inputs["reason"].value = "误建"
    panel.fix.void_button.click()
    assert "已作废第二巡察组" in panel.fix.done.value
    assert panel.box.layout.display == "none"
    assert [g["name"] for g in view.model.groups] == ["第一巡察组（财经）"]


def test_an_evaluation_is_opened_from_the_overview_corrected_and_voided(
    view: RoundsView, office: dict[str, Any]
) -> None:
    assert view.evaluation_form is not None
    assert OK in _submit(view.evaluation_form, unit_id=office["b"], score="55", note="整改不力")
    assert view.evaluation_form.values() == {"unit_id": None, "score": "", "note": ""}  # ready for the next unit
    row = next(n for n, r in enumerate(view.targets.shown.rows) if r["unit_name"] == "乙县委")
    opener = view.targets.lines[row][0]
    assert opener.description == "更正评估"
    unevaluated = next(n for n, r in enumerate(view.targets.shown.rows) if r["unit_name"] == "甲县委")
    assert view.targets.lines[unevaluated][0].disabled  # nothing to correct yet
    opener.click()
    panel = view.evaluation_fix
    assert panel is not None
    assert view.evaluation_fix_box.layout.display is None
    assert panel.form.values()["score"] == "55"  # filled with what is stored
    assert OK in _submit(panel.form, score="65", reason="得分录错")
    assert "65（一般）" in view.targets.page_html()
    assert "评估得分：55 → 65；等次：差 → 一般" in view.evaluation_log.table.page_html()
    panel.form.inputs["reason"].value = "评错了单位"
    panel.void_button.click()
    assert "已作废乙县委的整改评估" in panel.done.value  # shown although the panel hides
    assert view.evaluation_fix_box.layout.display == "none"
    assert "未评估" in view.targets.page_html()


def test_a_round_whose_name_says_its_kind_is_not_told_it_twice() -> None:
    joint = {"name": "十一届州委第九轮巡察（巡纪审联动）", "code": "2025-9", "kind_label": "巡纪审联动"}
    assert _round_option(joint) == "十一届州委第九轮巡察（巡纪审联动）（2025-9）"
    plain = {"name": "第一轮巡察", "code": "2024-1", "kind_label": "常规巡察"}
    assert _round_option(plain) == "第一轮巡察（2024-1，常规巡察）"
