from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kit import access, appointments, audit, db, registry
from kit.errors import InvalidInput, NotFound


def test_top_leader_comes_from_tenures(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        leader = registry.top_leader_at(con, office["a"], date(2024, 6, 1))
        before_start = registry.top_leader_at(con, office["b"], date(2021, 4, 30))
    assert leader is not None
    assert (leader.name, leader.post, leader.role) == ("张一", "县委书记", "principal")
    assert before_start is None


def test_principal_leaders_are_party_then_government(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        names = [x.name for x in registry.principal_leaders_at(con, office["a"], date(2024, 1, 1))]
        only_party = [x.name for x in registry.principal_leaders_at(con, office["b"], date(2024, 1, 1))]
    assert names == ["张一", "李二"]
    assert only_party == ["王三"]


def test_leadership_lists_principals_first_then_members(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        team = registry.leadership_at(con, office["b"], date(2024, 1, 1))
        before_any = registry.leadership_at(con, office["b"], date(2021, 4, 30))
    assert [(x.name, x.role) for x in team] == [("王三", "principal"), ("赵四", "member")]
    assert before_any == []


def test_change_of_leader_ends_one_tenure_and_starts_the_next(office: dict[str, Any]) -> None:
    with db.write(office["db"], action="职务调整") as con:
        newcomer = registry.add_person(con, name="钱五")
        appointments.change_leader(
            con,
            unit_id=office["a"],
            role="principal",
            person_id=newcomer,
            post="县委书记",
            on=date(2024, 7, 1),
        )
    with db.read(office["db"]) as con:
        last_day_of_old = registry.top_leader_at(con, office["a"], date(2024, 6, 30))
        first_day_of_new = registry.top_leader_at(con, office["a"], date(2024, 7, 1))
        changes = registry.principal_changes(con, office["a"], date(2024, 1, 1), date(2024, 12, 31))
        entries = con.all("SELECT action FROM trace_log WHERE table_name = 'tenures' ORDER BY seq DESC LIMIT 2")
    assert last_day_of_old is not None
    assert last_day_of_old.name == "张一"
    assert last_day_of_old.end == date(2024, 6, 30)
    assert first_day_of_new is not None
    assert first_day_of_new.name == "钱五"
    assert [c.name for c in changes] == ["钱五"]
    assert [e[0] for e in entries] == ["任职", "免职"]


def test_failed_change_of_leader_changes_nothing(office: dict[str, Any], table_counts: Any) -> None:
    before = table_counts(office["db"])
    with pytest.raises(NotFound), db.write(office["db"], action="职务调整") as con:
        appointments.change_leader(
            con, unit_id=office["a"], role="principal", person_id=9999, post="县委书记", on=date(2024, 7, 1)
        )
    assert table_counts(office["db"]) == before
    with db.read(office["db"]) as con:
        leader = registry.top_leader_at(con, office["a"], date(2024, 8, 1))
    assert leader is not None
    assert leader.name == "张一"


def test_two_overlapping_principals_are_refused(office: dict[str, Any]) -> None:
    with (
        pytest.raises(InvalidInput, match="已有一把手") as caught,
        db.write(office["db"], action="任职") as con,
    ):
        someone = registry.add_person(con, name="孙六")
        registry.start_tenure(
            con,
            person_id=someone,
            unit_id=office["a"],
            post="县委书记",
            role="principal",
            start=date(2023, 1, 1),
        )
    assert "start" in caught.value.errors


def test_tenure_ending_before_it_starts_is_refused(office: dict[str, Any]) -> None:
    with (
        pytest.raises(InvalidInput, match="不能早于") as caught,
        db.write(office["db"], action="任职") as con,
    ):
        registry.start_tenure(
            con,
            person_id=office["people"]["b2"],
            unit_id=office["a"],
            post="副县长",
            role="member",
            start=date(2023, 5, 1),
            end=date(2023, 4, 30),
        )
    assert set(caught.value.errors) == {"end"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": "", "name": "丙县委", "kind": "county"}, "code", "不能为空"),
        ({"code": "A", "name": "重复", "kind": "county"}, "code", "已被使用"),
        ({"code": "C", "name": "", "kind": "county"}, "name", "不能为空"),
        ({"code": "C", "name": "丙", "kind": "planet"}, "kind", "必须是以下之一"),
        ({"code": "C\x07", "name": "丙", "kind": "county"}, "code", "控制字符"),
    ],
)
def test_bad_unit_is_refused_naming_field_and_rule(
    office: dict[str, Any], table_counts: Any, fields: dict[str, str], field: str, message: str
) -> None:
    before = table_counts(office["db"])
    with pytest.raises(InvalidInput) as caught, db.write(office["db"], action="新增单位") as con:
        registry.add_unit(con, **fields)
    assert message in caught.value.errors[field]
    assert table_counts(office["db"]) == before


def test_unit_kind_may_be_given_by_its_chinese_label(db_path: Path) -> None:
    with db.write(db_path, action="新增单位") as con:
        unit = registry.add_unit(con, code="X", name="某乡", kind="乡镇（街道）")
        assert registry.get_unit(con, unit)["kind"] == "township"


def test_unknown_unit_and_person_are_not_found(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        with pytest.raises(NotFound, match="单位不存在"):
            registry.get_unit(con, 4040)
        with pytest.raises(NotFound, match="不存在"):
            registry.unit_id(con, "NOPE")


def test_every_registry_write_is_traced(office: dict[str, Any]) -> None:
    with db.read(office["db"]) as con:
        tables = dict(con.all("SELECT table_name, count(*) FROM trace_log GROUP BY 1"))
        assert audit.verify(con).ok
    assert tables["units"] == 3
    assert tables["people"] == 4
    assert tables["tenures"] == 4


def test_people_are_listed_with_their_latest_post_and_a_scoped_reader_sees_only_posts_in_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kit.duckdb"
    db.init(path)
    with db.write(path, action="登记") as con:
        county = registry.add_unit(con, code="C1", name="甲县", kind="county")
        bureau = registry.add_unit(con, code="B1", name="乙局", kind="department")
        person = registry.add_person(con, name="丙")
        registry.start_tenure(con, person_id=person, unit_id=county, post="副县长", role="member", start="2020-01-01")
        registry.start_tenure(con, person_id=person, unit_id=bureau, post="局长", role="principal", start="2023-01-01")
        registry.add_person(con, name="丁")
        access.add_user(con, name="kx", display_name="县分析", roles=["analyst"])
        access.grant_scope(con, name="kx", kind="unit", unit_id=county)
    with db.read(path) as con:
        listed = registry.list_people(con)
    assert [(p["name"], p["unit_name"], p["post"]) for p in listed] == [("丙", "乙局", "局长"), ("丁", None, None)]
    monkeypatch.setenv("KIT_OPERATOR", "kx")
    with db.read(path) as con:
        scoped = registry.list_people(con)
    assert [(p["name"], p["unit_name"], p["post"]) for p in scoped] == [("丙", "甲县", "副县长")]
