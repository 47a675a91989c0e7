"""A round's 巡察组 corrected: renamed, members' posts changed or removed, units moved or taken off, a group voided.

Each change is a correction of the round (its history says what, from what to what, and
why), traced on its own table, checked by the rules that held when it was entered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from kit import access, corrections, db, extract, inspections, integrity, registry, schema
from kit.errors import InvalidInput
from tests.conftest import as_operator, build_inspection


@pytest.fixture
def insp(office: dict[str, Any]) -> dict[str, Any]:
    found = build_inspection(office)
    with db.write(office["db"], action="准备") as con:
        found["second"] = inspections.add_group(con, round_id=found["round"], name="第二巡察组")
    return found


def _groups(path: Path, round_id: int) -> dict[str, dict[str, Any]]:
    with db.read(path) as con:
        return {g["name"]: g for g in inspections.round_groups(con, round_id=round_id)}


def _history(path: Path, round_id: int) -> list[str]:
    """The round's corrections and those of its units the reader sees, in order."""
    with db.read(path) as con:
        rows = corrections.corrections_of(con, table="inspection_rounds", record_id=round_id)
        rows += corrections.corrections_of(con, table="inspection_targets", record_id=round_id)
    return [c["summary"] for c in sorted(rows, key=lambda c: c["id"])]


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def _refused(path: Path, call: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
        call(con)
    return refused.value


def test_a_group_is_renamed_to_a_name_its_round_does_not_have(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path = office["db"]
    taken = _refused(
        path, lambda con: corrections.correct_group(con, group_id=insp["group"], reason="录错", name="第二巡察组")
    )
    assert taken.errors == {"name": "本轮已有“第二巡察组”"}
    same = _refused(
        path, lambda con: corrections.correct_group(con, group_id=insp["group"], reason="录错", name="第一巡察组")
    )
    assert "没有要更正的内容" in same.errors["name"]
    empty = _refused(path, lambda con: corrections.correct_group(con, group_id=insp["group"], reason="", name=""))
    assert set(empty.errors) == {"reason", "name"}
    with db.write(path, action="更正") as con:
        corrections.correct_group(con, group_id=insp["group"], reason="名称录错", name="第一巡察组（财经）")
    groups = _groups(path, insp["round"])
    assert set(groups) == {"第一巡察组（财经）", "第二巡察组"}
    assert "甲县委" in groups["第一巡察组（财经）"]["unit_names"]  # its members and units stay with it
    assert _history(path, insp["round"]) == ["更正 巡察组名称：第一巡察组 → 第一巡察组（财经）。理由：名称录错"]
    _clean(path)


def test_a_members_post_is_corrected_by_the_rules_of_joining_and_a_member_is_taken_out(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    group = insp["group"]
    second_leader = _refused(
        path,
        lambda con: corrections.change_member(
            con, group_id=group, person_id=insp["deputy"], role="leader", reason="录错"
        ),
    )
    assert second_leader.errors == {"role": "钱副组长不在组长库中，不能担任组长"}
    with db.write(path, action="准备") as con:
        inspections.add_to_pool(con, person_id=insp["deputy"], pool="leader")
    second_leader = _refused(
        path,
        lambda con: corrections.change_member(
            con, group_id=group, person_id=insp["deputy"], role="leader", reason="录错"
        ),
    )
    assert second_leader.errors == {"role": "第一巡察组已有组长"}
    with db.write(path, action="更正") as con:
        corrections.change_member(con, group_id=group, person_id=insp["deputy"], role="member", reason="职务录错")
    assert "钱副组长（组员）" in _groups(path, insp["round"])["第一巡察组"]["member_names"]
    with db.write(path, action="更正") as con:
        corrections.remove_member(con, group_id=group, person_id=insp["deputy"], reason="调配错了")
    assert "钱副组长" not in _groups(path, insp["round"])["第一巡察组"]["member_names"]
    outsider = _refused(
        path, lambda con: corrections.remove_member(con, group_id=group, person_id=insp["deputy"], reason="再移一次")
    )
    assert outsider.errors == {"person_id": "此人不是第一巡察组的成员"}
    assert _history(path, insp["round"]) == [
        "更正 第一巡察组成员：钱副组长（副组长） → 钱副组长（组员）。理由：职务录错",
        "更正 第一巡察组成员：钱副组长（组员） → （移出）。理由：调配错了",
    ]
    with db.write(path, action="重新调配") as con:  # taken out, they may join again
        inspections.add_member(con, group_id=insp["second"], person_id=insp["deputy"], role="deputy")
    _clean(path)


def test_a_unit_moves_to_another_group_unless_a_member_there_must_recuse(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="准备") as con:
        inspections.add_member(con, group_id=insp["second"], person_id=office["people"]["b1"], role="member")
    recusal = _refused(
        path,
        lambda con: corrections.move_target(
            con, round_id=insp["round"], unit_id=office["b"], group_id=insp["second"], reason="分组调整"
        ),
    )
    assert "王三曾在或正在乙县委任县委书记" in recusal.errors["group_id"]
    with db.write(path, action="更正") as con:
        corrections.move_target(
            con, round_id=insp["round"], unit_id=office["a"], group_id=insp["second"], reason="分组调整"
        )
    groups = _groups(path, insp["round"])
    assert "甲县委" in groups["第二巡察组"]["unit_names"]
    assert "甲县委" not in groups["第一巡察组"]["unit_names"]
    assert _history(path, insp["round"]) == ["更正 甲县委的巡察组：第一巡察组 → 第二巡察组。理由：分组调整"]
    _clean(path)


def test_a_units_move_is_read_only_by_those_who_see_the_unit(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = office["db"]
    with db.write(path, action="更正") as con:
        corrections.move_target(
            con, round_id=insp["round"], unit_id=office["b"], group_id=insp["second"], reason="分组调整"
        )
        corrections.correct_group(con, group_id=insp["second"], reason="名称录错", name="第二组")
        access.add_user(con, name="a_reader", display_name="甲县分析员", roles=["analyst"])
        access.grant_scope(con, name="a_reader", kind="unit", unit_id=office["a"])
    assert _history(path, insp["round"]) == [
        "更正 乙县委的巡察组：第一巡察组 → 第二巡察组。理由：分组调整",
        "更正 巡察组名称：第二巡察组 → 第二组。理由：名称录错",
    ]
    monkeypatch.setenv("KIT_OPERATOR", "a_reader")
    assert _history(path, insp["round"]) == ["更正 巡察组名称：第二巡察组 → 第二组。理由：名称录错"]
    with as_operator():  # nor does their extract
        extract.extract("a_reader", tmp_path / "a.duckdb", db_path=path)
    raw = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    assert "乙县委" not in str(raw.execute("SELECT * FROM record_corrections").fetchall())
    raw.close()


def test_a_unit_is_taken_off_the_round_only_while_nothing_is_recorded_for_it(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    held = _refused(
        path, lambda con: corrections.remove_target(con, round_id=insp["round"], unit_id=office["b"], reason="确定错了")
    )
    assert held.errors == {"unit_id": "乙县委本轮已有发现问题、巡察反馈，不能撤销；可以交给本轮别的巡察组"}
    with db.write(path, action="准备") as con:
        extra = registry.add_unit(con, code="C", name="丙县委", kind="county", parent_id=office["root"])
        inspections.assign_unit(con, group_id=insp["second"], unit_id=extra)
    with db.write(path, action="更正") as con:
        corrections.remove_target(con, round_id=insp["round"], unit_id=extra, reason="确定错了")
    assert "丙县委" not in _groups(path, insp["round"])["第二巡察组"]["unit_names"]
    assert _history(path, insp["round"]) == ["更正 巡察对象：丙县委（第二巡察组） → （撤销）。理由：确定错了"]
    not_a_target = _refused(
        path, lambda con: corrections.remove_target(con, round_id=insp["round"], unit_id=extra, reason="再撤一次")
    )
    assert not_a_target.errors == {"unit_id": "该单位不是本轮的巡察对象"}
    _clean(path)


def test_a_group_set_up_in_error_is_voided_once_it_is_empty(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path = office["db"]
    busy = _refused(path, lambda con: corrections.void_group(con, group_id=insp["group"], reason="误建"))
    assert busy.errors == {
        "group_id": "第一巡察组还有组员 2 人、巡察对象 2 个：先移出组员、把巡察对象交给别的组或撤销，再作废"
    }
    with db.write(path, action="作废") as con:
        corrections.void_group(con, group_id=insp["second"], reason="误建")
    assert set(_groups(path, insp["round"])) == {"第一巡察组"}
    assert _history(path, insp["round"]) == ["作废 巡察组：第二巡察组 → （作废）。理由：误建"]
    with db.write(path, action="重建") as con:  # its name is free again
        inspections.add_group(con, round_id=insp["round"], name="第二巡察组")
    _clean(path)


@pytest.mark.embedded_only("the file is migrated by this process; a data service migrates the files it opens")
def test_a_file_with_groups_keeps_them_when_groups_become_correctable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = schema.migrations()
    path = tmp_path / "aged.duckdb"
    monkeypatch.setattr(schema, "migrations", lambda: shipped[:9])  # the file as 0009 left it
    db.init(path)
    raw = duckdb.connect(str(path))  # rows put in as they were
    raw.execute("INSERT INTO units (id, code, name, kind) VALUES (1, 'A', '甲县委', 'county')")
    raw.execute("INSERT INTO people (id, name) VALUES (1, '孙组长')")
    raw.execute(
        "INSERT INTO inspection_rounds (id, code, name, kind, start_date, end_date)"
        " VALUES (1, '2024-1', '第一轮巡察', 'regular', DATE '2024-03-01', DATE '2024-05-31')"
    )
    raw.execute("INSERT INTO inspection_groups (round_id, name) VALUES (1, '第一巡察组'), (1, '第二巡察组')")
    raw.execute("INSERT INTO group_members VALUES (1, 1, 'leader')")
    raw.execute("INSERT INTO inspection_targets VALUES (1, 1, 2)")
    tables = ("inspection_groups", "group_members", "inspection_targets")
    before = {t: raw.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    raw.close()
    monkeypatch.setattr(schema, "migrations", lambda: shipped)
    with db.read(path) as con:  # opening it brings it up to date first
        assert con.scalar("SELECT max(version) FROM schema_migrations") == len(shipped)
    raw = duckdb.connect(str(path))
    assert {t: raw.execute(f"SELECT * FROM {t}").fetchall() for t in tables} == before
    assert raw.execute("SELECT nextval('groups_id_seq')").fetchone() == (3,)
    raw.execute("UPDATE inspection_groups SET name = '第二组' WHERE id = 2")  # a referred-to group renames now
    with pytest.raises(duckdb.ConstraintException):  # members and units still hold their group
        raw.execute("DELETE FROM inspection_groups WHERE id = 1")
    raw.close()
