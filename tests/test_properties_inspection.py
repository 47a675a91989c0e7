"""Random input against every public write function of kit.inspections, kit.rectification and kit.corrections.

The same three properties as tests/test_properties.py, checked by its `attempt`: only
kit's own errors come out and never a `DatabaseError`; a refused call writes nothing
(but the one "拒绝访问" trace row of a `PermissionDenied`); an accepted call leaves the
data matching the trace and the chain intact. Each test runs its examples against one
database holding two rounds, groups, findings, clues, ledger items in every state,
copies and handovers, so that valid ids and labels reach deep into the code while
hostile ones are mixed in, one argument at a time (`draw_arguments`).

The bulk writers `add_findings` and `add_items` take rows already parsed and are not
user-facing: the parsers `check_finding` and `check_item` are fuzzed instead with
hostile dictionaries, and what they accept must be storable.

The inputs tried are counted in test_properties.COUNTS and printed with the others.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import access, appointments, config, corrections, db, inspections, rectification, registry
from kit.errors import InvalidInput
from tests.conftest import copy_database

from .conftest import build_inspection, build_office
from .test_properties import (
    COUNTS,
    attempt,
    choices,
    cjk,
    draw_arguments,
    hostile,
    hostile_choices,
    hostile_dates,
    hostile_ids,
    hostile_numbers,
    hostile_text,
    junk,
    one_of_now,
)

# 25 examples a function (each test on its own copy of one prepared file) keep the file near two minutes on two cores.
AGAINST_ONE_DB = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

TODAY = date.today()
# Mostly the operator (every role over every unit); "录入员甲" enters and reviews for county A
# only; "审核员乙" enters and reviews everywhere but administers nothing; "无此人" is not registered.
actors = st.sampled_from([None] * 6 + ["录入员甲"] * 2 + ["审核员乙", "无此人"])
admin_actors = st.sampled_from([None] * 6 + ["录入员甲", "审核员乙", "无此人"])

round_days = st.dates(date(2024, 3, 1), TODAY)  # from the first round's start to today
recent_days = st.one_of(round_days, round_days.map(str), round_days.map(lambda d: f"{d.year}年{d.month}月{d.day}日"))
some_days = st.dates(date(2019, 6, 1), TODAY + timedelta(days=400))  # before, during and after, now and then
optional_text = st.one_of(st.none(), cjk)
files_names = st.one_of(
    cjk.map(lambda s: s + ".pdf"), st.sampled_from(["清查表.pdf", "照片 1.JPG", "会议记录.docx", "台账（终稿）.xlsx"])
)
contents = st.one_of(
    st.binary(min_size=1, max_size=64),
    st.binary(min_size=1, max_size=8).map(bytearray),
    st.binary(min_size=1, max_size=8).map(lambda b: memoryview(b)),
    st.just(b"%PDF-1.4 " + b"x" * 200_000),  # a file of 200 kB
)
valid_files = st.one_of(st.none(), st.lists(st.tuples(files_names, contents), max_size=3))
HOSTILE_NAMES = [
    "../../etc/passwd",
    "C:\\Windows\\system32\\cmd.exe",
    "a/b.pdf",
    "CON",
    "报告\u202efdp.exe",
    "a\x00b.pdf",
    ".",
    "..",
    "x" * 201,
    "长" * 10_000,
]
hostile_contents = st.one_of(
    st.just(b""),
    st.just(bytearray()),
    st.builds(lambda: b"\0" * (rectification.MAX_EVIDENCE_BYTES + 1)),  # just over 20 MB
    st.text(max_size=5),  # text, not bytes
    st.lists(st.integers(0, 255), max_size=3),
    hostile,
)
hostile_files = st.one_of(
    st.lists(
        st.tuples(
            st.one_of(files_names, st.sampled_from(HOSTILE_NAMES), hostile), st.one_of(contents, hostile_contents)
        ),
        min_size=1,
        max_size=3,
    ),
    st.lists(
        st.one_of(hostile, st.tuples(files_names), st.tuples(files_names, contents, contents)), min_size=1, max_size=3
    ),
    st.sampled_from(["ab", b"xy", {"a.pdf": b"x"}, ("a.pdf", b"x"), [["a.pdf", b"x"]]]),
    st.builds(lambda: iter([("a.pdf", b"x")])),
    hostile,
)


def _ids(path: Path, sql: str) -> list[int]:
    with db.read(path) as con:
        return [int(r[0]) for r in con.all(sql)]


def _now_or(path: Path, sql: str, fallback: list[int]) -> st.SearchStrategy[int]:
    """One of the ids the query finds now (those that reach deepest), or of `fallback` when it finds none."""
    return one_of_now(_ids(path, sql) or fallback)


@pytest.fixture(scope="session")
def _inspected_master(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """build_inspection's round plus: users, a second round, more groups, findings, clues, items in
    every state (open, pending with evidence, closed), copies and two handovers; built once."""
    with pytest.MonkeyPatch.context() as env:  # as _isolated_env leaves it for the tests, which run after
        for name in [n for n in os.environ if n.startswith(("KIT_", "JUPYTERHUB_", "HTTP_X_KIT_", "VOILA_"))]:
            env.delenv(name)
        return _build_master(tmp_path_factory.mktemp("inspected") / "kit.duckdb")


def _build_master(path: Path) -> dict[str, Any]:
    db.init(path)
    office = build_office(path)
    built = build_inspection(office)
    with db.write(path, action="准备巡察属性测试") as con:
        access.add_user(con, name="录入员甲", roles=["entry", "review"])
        access.grant_scope(con, name="录入员甲", kind="unit", unit_id=office["a"])
        access.add_user(con, name="审核员乙", roles=["entry", "review"])
        access.grant_scope(con, name="审核员乙", kind="all")
        extra = [registry.add_person(con, name=f"候选人{n}") for n in range(6)]
        for person, pool in zip(extra, ["leader", "deputy", "liaison", "leader"], strict=False):
            inspections.add_to_pool(con, person_id=person, pool=pool)
        second = inspections.add_round(
            con, code="2024-2", name="第二轮巡察", kind="special", start="2024-09-01", end="2024-11-30"
        )
        idle = inspections.add_group(con, round_id=built["round"], name="第二巡察组")
        later = inspections.add_group(con, round_id=second, name="第一巡察组")
        inspections.assign_unit(con, group_id=later, unit_id=office["a"])
        inspections.add_member(con, group_id=later, person_id=extra[0], role="leader")
        findings = [
            inspections.add_finding(
                con,
                round="2024-1",
                unit=code,
                category="三资管理不规范",
                description=f"{code}县问题{n}",
                severity="较重",
                involves_top="是" if n % 2 else "否",
                source="巡察",
                found_on="2024-04-15",
            )
            for n in range(5)
            for code in ("A", "B")
        ]
        for finding in findings[:4]:
            inspections.transfer_clue(con, finding_id=finding, receiver="纪委监委", transferred_on="2024-05-01")
        items = [
            rectification.add_item(con, finding=f, measure=f"措施{f}", responsible="科长", deadline="2024-12-31")
            for f in findings
        ]
        for item in items[:4]:  # asked for by the operator
            rectification.request_close(con, item_id=item, body="已完成", files=[("完成.pdf", b"%PDF done")])
        rectification.update_progress(con, item_id=items[8], body="过半", progress=60, files=[("a.pdf", b"a")])
        rectification.extend_deadline(con, item_id=items[9], deadline="2025-06-30", reason="跨年度")
    with db.write(path, action="准备巡察属性测试", actor="审核员乙") as con:
        for item in items[4:8]:  # asked for by 审核员乙
            rectification.request_close(con, item_id=item, body="已完成", files=[("完成.pdf", b"%PDF done")])
        rectification.review_close(con, item_id=items[0], approve=True, note="同意")
    with db.write(path, action="准备巡察属性测试") as con:
        # A correction of a 销号 item waiting for a 审核员 other than the operator who asked.
        corrections.correct_item(con, item_id=items[0], reason="措施录错", measure="更正后的措施")
        # Findings nothing refers to yet: they may be voided, or moved to another unit.
        loose = [
            inspections.add_finding(
                con,
                round="2024-1",
                unit=code,
                category="三资管理不规范",
                description=f"{code}县待核实问题",
                severity="一般",
                involves_top="否",
                source="巡察",
                found_on="2024-04-20",
            )
            for code in ("A", "B", "A")
        ]
        appointments.change_leader(
            con, unit_id=office["a"], role="principal", person_id=extra[4], post="县委书记", on="2025-01-01"
        )
        appointments.change_leader(
            con, unit_id=office["b"], role="principal", person_id=extra[5], post="县委书记", on="2025-02-01"
        )
        # A unit whose 一把手 took office on the first day a date can hold (start_tenure accepts it).
        old = registry.add_unit(con, code="D", name="丁县委", kind="county", parent_id=office["root"])
        ancient = registry.add_person(con, name="丁书记")
        registry.start_tenure(con, person_id=ancient, unit_id=old, post="县委书记", role="principal", start=date.min)
        people = [int(r[0]) for r in con.all("SELECT id FROM people ORDER BY id")]
    return {
        **office,
        **built,
        "second": second,
        "rounds": [built["round"], second],
        "groups": [built["group"], idle, later],
        "units": [office["root"], office["a"], office["b"], old],
        "all_people": people,
        "all_findings": [*built["findings"].values(), *findings, *loose],
        "loose_findings": loose,
        "all_items": [*built["items"].values(), *items],
        "users": [config.DEFAULT_OPERATOR, "录入员甲", "审核员乙"],
    }


@pytest.fixture
def inspected(_inspected_master: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A private copy of the master (ids are the master's), with its trace anchor."""
    master: Path = _inspected_master["db"]
    path = tmp_path / master.name
    copy_database(master, path)
    return {**_inspected_master, "db": path}


# --- kit.inspections ---------------------------------------------------------------------------------


def _pool_args(data: st.DataObject, people: st.SearchStrategy[int]) -> Any:
    return draw_arguments(
        data,
        person_id=(people, hostile_ids),
        pool=(choices(inspections.POOL_LABELS), hostile_choices(inspections.POOL_LABELS)),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_to_pool_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = _pool_args(data, st.sampled_from(inspected["all_people"]))
    attempt(
        inspected["db"],
        "inspections.add_to_pool",
        lambda con: inspections.add_to_pool(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_remove_from_pool_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    pooled = _now_or(inspected["db"], "SELECT person_id FROM inspector_pool", inspected["all_people"])
    args = _pool_args(data, st.one_of(pooled, st.sampled_from(inspected["all_people"])))
    attempt(
        inspected["db"],
        "inspections.remove_from_pool",
        lambda con: inspections.remove_from_pool(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_round_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        code=(
            st.one_of(st.text("0123456789-", min_size=3, max_size=8), st.sampled_from(["2024-1", "2025-1"])),
            st.one_of(st.sampled_from([" 2024-1 ", "２０２４-1", "x" * 31]), hostile),
        ),
        name=(cjk, hostile),
        kind=(choices(inspections.ROUND_KIND_LABELS), hostile_choices(inspections.ROUND_KIND_LABELS)),
        start=(recent_days, hostile_dates),
        end=(recent_days, hostile_dates),  # before the start half the time
        note=(optional_text, hostile),
    )
    attempt(
        inspected["db"],
        "inspections.add_round",
        lambda con: inspections.add_round(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_group_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        round_id=(st.sampled_from(inspected["rounds"]), hostile_ids),
        name=(st.one_of(cjk, st.sampled_from(["第一巡察组", "第三巡察组"])), hostile),
    )
    attempt(
        inspected["db"],
        "inspections.add_group",
        lambda con: inspections.add_group(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_member_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        group_id=(st.sampled_from(inspected["groups"]), hostile_ids),
        person_id=(  # 张一 and 李二 must recuse from A
            st.one_of(
                _now_or(inspected["db"], "SELECT person_id FROM inspector_pool", inspected["all_people"]),
                st.sampled_from(inspected["all_people"]),
            ),
            hostile_ids,
        ),
        role=(
            st.one_of(st.just("member"), choices(inspections.MEMBER_ROLE_LABELS)),
            hostile_choices(inspections.MEMBER_ROLE_LABELS),
        ),
    )
    attempt(
        inspected["db"],
        "inspections.add_member",
        lambda con: inspections.add_member(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_assign_unit_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        group_id=(st.sampled_from(inspected["groups"]), hostile_ids),
        unit_id=(st.sampled_from(inspected["units"]), hostile_ids),
    )
    attempt(
        inspected["db"],
        "inspections.assign_unit",
        lambda con: inspections.assign_unit(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_grant_group_scope_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        group_id=(st.sampled_from(inspected["groups"]), hostile_ids),
        user_name=(
            st.sampled_from(inspected["users"]),
            st.one_of(st.sampled_from([" 录入员甲 ", "录入员甲\u200b", "无此人"]), hostile),
        ),
    )
    attempt(
        inspected["db"],
        "inspections.grant_group_scope",
        lambda con: inspections.grant_group_scope(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_category_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        name=(st.one_of(cjk, st.just("三资管理不规范")), hostile),
        area=(choices(inspections.AREA_LABELS), hostile_choices(inspections.AREA_LABELS)),
        department_id=(st.one_of(st.none(), st.just(""), st.sampled_from(inspected["units"])), hostile_ids),
    )
    attempt(
        inspected["db"],
        "inspections.add_category",
        lambda con: inspections.add_category(con, **args),
        actor=data.draw(admin_actors),
    )


def _finding_fields(inspected: dict[str, Any]) -> dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]:
    """(valid, hostile) strategies for each field of inspections.FINDING."""
    rounds = ["2024-1", "2024-2", str(inspected["round"]), "", None]
    return {
        "round": (st.sampled_from(rounds), st.one_of(st.sampled_from(["2099-1", " 2024-1\u200b", 0, -1]), hostile)),
        "unit": (st.sampled_from(["A", "B", " B ", "甲县委", "R"]), st.one_of(st.sampled_from(["Z", "甲"]), hostile)),
        "stage": (
            st.one_of(st.none(), choices(inspections.STAGE_LABELS)),
            hostile_choices(inspections.STAGE_LABELS),
        ),
        "category": (st.just("三资管理不规范"), st.one_of(st.just("三资管理"), hostile)),
        "description": (cjk, hostile),
        "severity": (choices(inspections.SEVERITY_LABELS), hostile_choices(inspections.SEVERITY_LABELS)),
        "involves_top": (choices(inspections.YES_NO), hostile_choices(inspections.YES_NO)),
        "source": (choices(inspections.SOURCE_LABELS), hostile_choices(inspections.SOURCE_LABELS)),
        "found_on": (recent_days, hostile_dates),  # before the round's start now and then
    }


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_finding_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(data, **_finding_fields(inspected))
    attempt(
        inspected["db"],
        "inspections.add_finding",
        lambda con: inspections.add_finding(con, **args),
        actor=data.draw(actors),
    )


def _hostile_row(
    data: st.DataObject, fields: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]
) -> dict[Any, Any]:
    """A row as draw_arguments makes it, then now and then a key missing or a stray key added."""
    row: dict[Any, Any] = draw_arguments(data, **fields)
    missing: st.SearchStrategy[list[str]] = st.one_of(st.just([]), st.lists(st.sampled_from(list(fields)), max_size=2))
    for key in data.draw(missing, label="missing"):
        row.pop(key, None)
    row.update(data.draw(st.dictionaries(st.one_of(hostile_text, junk.filter(_hashable)), hostile, max_size=2)))
    return row


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@AGAINST_ONE_DB
@given(data=st.data())
def test_check_finding_accepts_only_storable_rows(inspected: dict[str, Any], data: st.DataObject) -> None:
    path = inspected["db"]
    with db.read(path) as con:
        ctx = inspections.finding_context(con)
    if data.draw(st.booleans(), label="scoped"):  # as 录入员甲 sees it: county A only
        ctx = replace(ctx, visible=frozenset({inspected["a"]}))
    raw = _hostile_row(data, _finding_fields(inspected))
    try:
        parsed = inspections.check_finding(raw, ctx)
    except InvalidInput:
        COUNTS["inspections.check_finding", "InvalidInput"] += 1
        return
    except BaseException as bug:
        COUNTS["inspections.check_finding", type(bug).__name__] += 1
        raise
    COUNTS["inspections.check_finding", "accepted"] += 1
    attempt(
        path, "inspections.add_findings", lambda con: inspections.add_findings(con, [parsed]), actor=data.draw(actors)
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_transfer_clue_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    path = inspected["db"]
    fresh = _now_or(
        path, "SELECT id FROM findings WHERE id NOT IN (SELECT finding_id FROM clues)", inspected["all_findings"]
    )
    args = draw_arguments(
        data,
        finding_id=(st.one_of(fresh, st.sampled_from(inspected["all_findings"])), hostile_ids),
        receiver=(choices(inspections.RECEIVER_LABELS), hostile_choices(inspections.RECEIVER_LABELS)),
        transferred_on=(recent_days, hostile_dates),
        note=(optional_text, hostile),
    )
    attempt(
        path, "inspections.transfer_clue", lambda con: inspections.transfer_clue(con, **args), actor=data.draw(actors)
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_record_outcome_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    path = inspected["db"]
    args = draw_arguments(
        data,
        clue_id=(one_of_now(_ids(path, "SELECT id FROM clues")), hostile_ids),
        outcome=(choices(inspections.OUTCOME_LABELS), hostile_choices(inspections.OUTCOME_LABELS)),
        people=(st.one_of(st.integers(0, 5), st.sampled_from(["2", "３"])), hostile_numbers),
        decided_on=(recent_days, hostile_dates),
        note=(optional_text, hostile),
    )
    attempt(
        path, "inspections.record_outcome", lambda con: inspections.record_outcome(con, **args), actor=data.draw(actors)
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_record_feedback_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        round_id=(st.sampled_from(inspected["rounds"]), hostile_ids),
        unit_id=(st.sampled_from(inspected["units"]), hostile_ids),
        mode=(choices(inspections.FEEDBACK_MODE_LABELS), hostile_choices(inspections.FEEDBACK_MODE_LABELS)),
        held_on=(recent_days, hostile_dates),
        leader_id=(st.sampled_from(inspected["all_people"]), hostile_ids),
        note=(optional_text, hostile),
    )
    attempt(
        inspected["db"],
        "inspections.record_feedback",
        lambda con: inspections.record_feedback(con, **args),
        actor=data.draw(actors),
    )


# --- kit.rectification -------------------------------------------------------------------------------


@AGAINST_ONE_DB
@given(data=st.data())
def test_set_reminder_offsets_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    offsets = st.lists(st.integers(-365, 365), min_size=1, max_size=5)
    args = draw_arguments(
        data,
        offsets=(
            st.one_of(offsets, offsets.map(lambda o: " , ".join(map(str, o))), st.just("－７，0, 30")),
            st.one_of(
                st.lists(hostile_numbers, max_size=4),
                st.sampled_from(["七天", ",", "1,,2", "366", "-7;0", "1.5", "7\u200b"]),
                hostile,
            ),
        ),
    )
    attempt(
        inspected["db"],
        "rectification.set_reminder_offsets",
        lambda con: rectification.set_reminder_offsets(con, **args),
        actor=data.draw(admin_actors),
    )


def _item_fields(inspected: dict[str, Any]) -> dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]]:
    """(valid, hostile) strategies for each field of rectification.ITEM."""
    return {
        "finding": (st.sampled_from(inspected["all_findings"]), hostile_ids),
        # Mostly no unit and the 一把手 by default, now and then a unit or a leader that may not fit.
        "unit": (st.sampled_from([None, None, None, "", "A", "B", "乙县委"]), st.one_of(st.just("Z"), hostile)),
        "measure": (cjk, hostile),
        "leader": (st.sampled_from([None, None, None, "", "张一", "李二", "赵四", "候选人4", "候选人5"]), hostile),
        "responsible": (cjk, hostile),
        "deadline": (st.dates(date(2024, 4, 15), TODAY + timedelta(days=365 * 5 + 30)), hostile_dates),
        "progress": (st.one_of(st.none(), st.integers(0, 100), st.just("５０")), hostile_numbers),
        "opened_on": (st.one_of(st.none(), st.dates(date(2024, 4, 1), TODAY)), hostile_dates),
    }


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_item_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(data, **_item_fields(inspected))
    attempt(
        inspected["db"],
        "rectification.add_item",
        lambda con: rectification.add_item(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_check_item_accepts_only_storable_rows(inspected: dict[str, Any], data: st.DataObject) -> None:
    path = inspected["db"]
    with db.read(path) as con:
        ctx = rectification.item_context(con)
    if data.draw(st.booleans(), label="scoped"):  # as 录入员甲 sees it: county A only
        ctx = replace(ctx, visible=frozenset({inspected["a"]}))
    raw = _hostile_row(data, _item_fields(inspected))
    try:
        parsed = rectification.check_item(raw, ctx)
    except InvalidInput:
        COUNTS["rectification.check_item", "InvalidInput"] += 1
        return
    except BaseException as bug:
        COUNTS["rectification.check_item", type(bug).__name__] += 1
        raise
    COUNTS["rectification.check_item", "accepted"] += 1
    attempt(
        path, "rectification.add_items", lambda con: rectification.add_items(con, [parsed]), actor=data.draw(actors)
    )


def _open_items(inspected: dict[str, Any]) -> st.SearchStrategy[int]:
    found = _now_or(inspected["db"], "SELECT id FROM rectification_items WHERE status = 'open'", inspected["all_items"])
    return st.one_of(found, found, st.sampled_from(inspected["all_items"]))  # closed and pending ones too


@AGAINST_ONE_DB
@given(data=st.data())
def test_update_progress_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        item_id=(_open_items(inspected), hostile_ids),
        body=(cjk, hostile),
        progress=(st.one_of(st.none(), st.integers(0, 100)), hostile_numbers),
        files=(valid_files, hostile_files),
    )
    attempt(
        inspected["db"],
        "rectification.update_progress",
        lambda con: rectification.update_progress(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_extend_deadline_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        item_id=(_open_items(inspected), hostile_ids),
        deadline=(st.one_of(st.dates(date(2024, 10, 1), TODAY + timedelta(days=900)), some_days), hostile_dates),
        reason=(cjk, hostile),
    )
    attempt(
        inspected["db"],
        "rectification.extend_deadline",
        lambda con: rectification.extend_deadline(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_request_close_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        item_id=(_open_items(inspected), hostile_ids),
        body=(cjk, hostile),
        files=(valid_files, hostile_files),  # none (and none before) is refused for most items
    )
    attempt(
        inspected["db"],
        "rectification.request_close",
        lambda con: rectification.request_close(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_review_close_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    pending = _now_or(
        inspected["db"], "SELECT id FROM rectification_items WHERE status = 'pending'", inspected["all_items"]
    )
    args = draw_arguments(
        data,
        item_id=(st.one_of(pending, pending, st.sampled_from(inspected["all_items"])), hostile_ids),
        approve=(st.booleans(), st.one_of(st.sampled_from(["true", "false", "同意", 1, 0, None]), hostile)),
        note=(cjk, hostile),
    )
    # The operator asked for half the items, 审核员乙 for the other half: each is the other's other reviewer.
    actor = data.draw(st.sampled_from([None, None, "审核员乙", "审核员乙", "录入员甲", "无此人"]))
    attempt(
        inspected["db"], "rectification.review_close", lambda con: rectification.review_close(con, **args), actor=actor
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_mark_copies_read_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    copies = _ids(inspected["db"], "SELECT id FROM rectification_copies")
    copy = one_of_now(copies)
    args = draw_arguments(
        data,
        copy_ids=(
            st.one_of(st.lists(copy, min_size=1, max_size=4), st.lists(copy, max_size=2).map(tuple)),
            st.one_of(
                st.lists(st.one_of(copy, hostile_ids), min_size=1, max_size=3),
                st.sampled_from(["12", b"\x01", {1: 2}]),
                hostile_ids,
                hostile,
            ),
        ),
    )
    attempt(
        inspected["db"],
        "rectification.mark_copies_read",
        lambda con: rectification.mark_copies_read(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_evaluate_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        round_id=(st.sampled_from(inspected["rounds"]), hostile_ids),
        unit_id=(st.sampled_from(inspected["units"]), hostile_ids),
        score=(
            st.one_of(st.integers(0, 100), st.decimals(0, 100, places=2), st.integers(0, 100).map(str)),
            st.one_of(st.sampled_from(["100.001", "101", "-1", "九十"]), hostile_numbers),
        ),
        note=(optional_text, hostile),
        on=(st.one_of(st.none(), recent_days), hostile_dates),
    )
    attempt(
        inspected["db"],
        "rectification.evaluate",
        lambda con: rectification.evaluate(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_handover_for_change_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        unit_id=(st.sampled_from(inspected["units"]), hostile_ids),
        on=(st.one_of(some_days, st.just(date.min)), hostile_dates),  # before the 一把手 took office now and then
    )
    attempt(
        inspected["db"],
        "rectification.handover_for_change",
        lambda con: rectification.handover_for_change(con, **args),
        actor=data.draw(admin_actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_sign_handover_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    handovers = _ids(inspected["db"], "SELECT id FROM rectification_handovers")
    args = draw_arguments(
        data,
        handover_id=(one_of_now(handovers), hostile_ids),
        side=(choices(rectification.SIDE_LABELS), hostile_choices(rectification.SIDE_LABELS)),
        on=(st.one_of(st.none(), some_days), hostile_dates),
    )
    attempt(
        inspected["db"],
        "rectification.sign_handover",
        lambda con: rectification.sign_handover(con, **args),
        actor=data.draw(actors),
    )


def test_a_handover_on_the_first_day_a_date_can_hold_refuses_cleanly_or_records(inspected: dict[str, Any]) -> None:
    # 丁县委's 一把手 took office on date.min: the day before does not exist (OverflowError, once).
    attempt(
        inspected["db"],
        "rectification.handover_for_change",
        lambda con: rectification.handover_for_change(con, unit_id=inspected["units"][-1], on=date.min),
        actor=None,
    )


# --- kit.corrections -------------------------------------------------------------------------------

valid_finding_changes = st.fixed_dictionaries(
    {},
    optional={
        "description": cjk,
        "severity": choices(inspections.SEVERITY_LABELS),
        "involves_top": choices(inspections.YES_NO),
        "source": choices(inspections.SOURCE_LABELS),
        "found_on": st.dates(date(2024, 3, 1), date(2024, 5, 31)),
        "unit": st.sampled_from(["A", "B", "甲县委", "乙县委"]),
    },
)
hostile_finding_changes = st.fixed_dictionaries(
    {},
    optional={
        "description": hostile_text,
        "severity": hostile_choices(inspections.SEVERITY_LABELS),
        "involves_top": hostile,
        "found_on": hostile_dates,
        "unit": st.sampled_from(["R", "Z", ""]),
        "round": st.sampled_from(["2025-1", "", "9999"]),
        "category": st.sampled_from(["没有这种类别", ""]),
        "stage": hostile,
        "nonsense": cjk,
    },
)
valid_item_changes = st.fixed_dictionaries(
    {"measure": cjk},
    optional={
        "responsible": cjk,
        "leader": st.sampled_from(["", "张一", "王三"]),
        "opened_on": st.dates(date(2024, 4, 15), TODAY),
    },
)
hostile_item_changes = st.fixed_dictionaries(
    {},
    optional={
        "measure": hostile_text,
        "responsible": hostile_text,
        "leader": st.sampled_from(["无此人", "孙组长"]),
        "opened_on": hostile_dates,
        "deadline": st.just("2025-01-01"),  # not correctable: 延期 moves it
    },
)


@AGAINST_ONE_DB
@given(data=st.data())
def test_correct_finding_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    loose = st.sampled_from(inspected["loose_findings"])
    args = draw_arguments(
        data,
        finding_id=(st.one_of(loose, st.sampled_from(inspected["all_findings"])), hostile_ids),
        reason=(cjk, hostile),
        changes=(valid_finding_changes, hostile_finding_changes),
    )
    changes = args.pop("changes")
    attempt(
        inspected["db"],
        "corrections.correct_finding",
        lambda con: corrections.correct_finding(con, **args, **changes),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_void_finding_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    loose = st.sampled_from(inspected["loose_findings"])
    args = draw_arguments(
        data,
        finding_id=(st.one_of(loose, loose, st.sampled_from(inspected["all_findings"])), hostile_ids),
        reason=(cjk, hostile),
    )
    attempt(
        inspected["db"],
        "corrections.void_finding",
        lambda con: corrections.void_finding(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_correct_item_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        item_id=(st.sampled_from(inspected["all_items"]), hostile_ids),
        reason=(cjk, hostile),
        changes=(valid_item_changes, hostile_item_changes),
    )
    changes = args.pop("changes")
    attempt(
        inspected["db"],
        "corrections.correct_item",
        lambda con: corrections.correct_item(con, **args, **changes),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_void_item_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(data, item_id=(st.sampled_from(inspected["all_items"]), hostile_ids), reason=(cjk, hostile))
    attempt(
        inspected["db"],
        "corrections.void_item",
        lambda con: corrections.void_item(con, **args),
        actor=data.draw(actors),
    )


valid_update_changes = st.fixed_dictionaries(
    {},
    optional={
        "body": cjk,
        "progress": st.one_of(st.integers(0, 100), st.just("")),
        "deadline": st.dates(date(2024, 10, 1), TODAY + timedelta(days=365)),
    },
)
hostile_update_changes = st.fixed_dictionaries(
    {},
    optional={
        "body": hostile_text,
        "progress": hostile_numbers,
        "deadline": hostile_dates,
        "item_id": hostile_ids,
        "kind": st.just("request"),
    },
)
# The steps that may be corrected now (those that reach deepest), mixed with every other step.
_STEPS_SQL = (
    "SELECT up.id FROM rectification_updates up JOIN rectification_items i ON i.id = up.item_id"
    " WHERE up.voided_at IS NULL AND up.kind IN ('progress', 'extension') AND i.status = 'open'"
)


def _steps(path: Path) -> st.SearchStrategy[int]:
    return st.one_of(_now_or(path, _STEPS_SQL, [1]), _now_or(path, "SELECT id FROM rectification_updates", [1]))


@AGAINST_ONE_DB
@given(data=st.data())
def test_correct_update_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    steps = _steps(inspected["db"])
    args = draw_arguments(
        data,
        update_id=(steps, hostile_ids),
        reason=(cjk, hostile),
        changes=(valid_update_changes, hostile_update_changes),
    )
    changes = args.pop("changes")
    attempt(
        inspected["db"],
        "corrections.correct_update",
        lambda con: corrections.correct_update(con, **args, **changes),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_void_update_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    steps = _steps(inspected["db"])
    args = draw_arguments(data, update_id=(steps, hostile_ids), reason=(cjk, hostile))
    attempt(
        inspected["db"],
        "corrections.void_update",
        lambda con: corrections.void_update(con, **args),
        actor=data.draw(actors),
    )


@AGAINST_ONE_DB
@given(data=st.data())
def test_review_of_corrections_refuses_cleanly_or_records(inspected: dict[str, Any], data: st.DataObject) -> None:
    waiting = _now_or(inspected["db"], "SELECT id FROM record_corrections WHERE status = 'pending'", [1])
    args = draw_arguments(
        data,
        correction_id=(st.one_of(waiting, st.integers(1, 5)), hostile_ids),
        approve=(st.booleans(), st.one_of(st.sampled_from(["true", "同意", 1, None]), hostile)),
        note=(cjk, hostile),
    )
    actor = data.draw(st.sampled_from([None, "审核员乙", "审核员乙", "录入员甲", "无此人"]))
    attempt(inspected["db"], "corrections.review", lambda con: corrections.review(con, **args), actor=actor)
