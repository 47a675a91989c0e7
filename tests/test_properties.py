"""Random input never gets past the validators as anything but the project's own refusal.

The first tests fuzz the validators alone. The rest call every public write function
of kit with hostile input (control characters, RTL marks, 10,000-character text,
emoji, SQL fragments, NaN and huge numbers, impossible dates, unknown ids, used
codes, wrong types), each test against one real database reused across its examples
(so codes and names already taken come up as duplicates), and check that:

1. only kit's own errors come out, and never a `DatabaseError`: that would be a value
   that reached DuckDB unchecked, shown to the user as DuckDB's English message
   instead of a Chinese rule naming the field;
2. a refused call writes nothing: every table's digest is unchanged, except that a
   `PermissionDenied` adds exactly its one "拒绝访问" trace row, by design;
3. an accepted call leaves the data matching the trace and the chain intact.

How many inputs each function was tried with is printed at the end of the run
(`pytest_terminal_summary` in conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import (
    access,
    appointments,
    assessments,
    audit,
    backup,
    config,
    db,
    followups,
    integrity,
    registry,
    schemes,
    validate,
)
from kit.errors import DatabaseError, InvalidInput, KitError, PermissionDenied

from .conftest import SMALL_BANDS, scores_for

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "1e9", "1E+1", "NaN", "-0", "０", "٣", "1_000", "0x10", "'; DROP TABLE scores; --", "\u202e12"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


@given(raw=texts)
def test_number_returns_a_bounded_decimal_or_refuses(raw: str) -> None:
    refusal: InvalidInput | None = None
    try:
        value = validate.number(raw, field="f", label="得分", maximum=15)
    except InvalidInput as e:
        refusal = e
    if refusal is not None:
        assert set(refusal.errors) == {"f"}
        assert "得分" in refusal.errors["f"]
    else:
        assert value is not None
        assert Decimal(0) <= value <= 15
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        assert -2 <= exponent <= 0  # "1E+1" comes back as 10: the trace writes str(value)


def _outcome(call: Callable[[], Any]) -> tuple[Any, InvalidInput | None]:
    try:
        return call(), None
    except InvalidInput as e:
        return None, e


@given(raw=st.one_of(texts, st.integers(), st.floats(), st.decimals(), st.booleans(), st.none(), st.lists(st.none())))
def test_integer_returns_a_bounded_int_or_refuses(raw: Any) -> None:
    value, refusal = _outcome(lambda: validate.integer(raw, field="f", label="排序号", minimum=-5, maximum=99))
    if refusal is not None:
        assert set(refusal.errors) == {"f"}
        assert "排序号" in refusal.errors["f"]
    else:
        assert type(value) is int
        assert -5 <= value <= 99


@given(raw=st.one_of(st.dates(), st.datetimes(), st.dates().map(str), texts))
def test_day_returns_a_plain_date_or_refuses(raw: Any) -> None:
    value, refusal = _outcome(lambda: validate.day(raw, field="d", label="日期"))
    if refusal is not None:
        assert set(refusal.errors) == {"d"}
    else:
        assert type(value) is date  # never a datetime: the trace would then disagree with the DATE column


@given(raw=st.one_of(st.text(), st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202e", "😀"])))
def test_text_returns_only_what_the_database_can_store(raw: str) -> None:
    value, refusal = _outcome(lambda: validate.text(raw, field="t", label="说明"))
    if refusal is not None:
        assert set(refusal.errors) == {"t"}
    else:
        value.encode("utf-8")  # a lone surrogate would raise here, and in DuckDB
        assert not any(ch < " " and ch not in "\t\n\r" for ch in value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(texts, min_size=3, max_size=3), note=st.text(max_size=3000))
def test_save_sheet_refuses_with_kit_errors_only_and_writes_nothing(
    office: dict[str, Any], table_counts: Any, values: list[str], note: str
) -> None:
    before = table_counts(office["db"])
    try:
        with db.write(office["db"], action="保存评分表") as con:
            assessments.save_sheet(
                con,
                scheme_id=office["scheme"],
                unit_id=office["a"],
                year=2024,
                scores=scores_for(office, *values),
                note=note,
            )
    except KitError:
        assert table_counts(office["db"]) == before


# --- every public write function against hostile input --------------------------------

# Inputs tried per function, by outcome ("accepted" or the exception's class), printed at
# the end of the run by the hook in conftest.py.
COUNTS: Counter[tuple[str, str]] = Counter()

# Each test reuses one database across its examples. At 60-100 ms an example this keeps
# the whole file around a minute and a half on two cores.
EXAMPLES = 50
AGAINST_ONE_DB = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

SQL = ["'; DROP TABLE units; --", "1 OR 1=1", '") --', "1; DELETE FROM trace_log", "%' OR '1'='1", "$code"]
ODD = [
    "",
    " ",
    "\t\n",
    "\u202e",
    "\u200f",
    "\u202e测试\u202c",
    "a\x00b",
    "\x07",
    "\x1b[2J",
    "\ufeff",
    "\u200b",
    "\ud800",
    "😀",
    "👨‍👩‍👧‍👦",
    "🇨🇳",
    "𠀀𪚥",
    "Ｒ",
    "e\u0301",
    "NaN",
    "-0",
    "1e9",
    "٣",
    "None",
    "null",
]
LONG = ["长" * 10_000, "x" * 10_000, "😀" * 10_000]
IMPOSSIBLE_DATES = [
    "2023-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-04-31",
    "2023-02-29",
    "0000-01-01",
    "10000-01-01",
    "2024/02/30",
    "2024年13月1日",
    "31/12/2024",
    "2024-02-29T10:00",
    "２０２４－０２－３０",
]
ODD_NUMBERS = ["1E+1", "0E+3", "1e2", "-0", "１０", "15.005", "0x10", "1_000", "inf", "-inf", "nan", "40.00", "1e-7"]
ODD_IDS = [0, -1, 2**31 - 1, 2**31, 2**63, -(2**63), 10**40, 1.5, 2.0, float("nan"), float("inf"), "1", " 2 ", "１"]

cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=4),
    st.dates(),
    st.datetimes(),
)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So", "Mn"]), max_size=10),
    st.sampled_from(SQL + ODD + LONG),
)
hostile = st.one_of(hostile_text, junk)
hostile_numbers = st.one_of(st.integers(), st.floats(), st.decimals(), st.sampled_from(ODD_NUMBERS), hostile)
plausible_dates = st.dates(date(1990, 1, 1), date(2035, 12, 31))
valid_dates = st.one_of(
    plausible_dates, plausible_dates.map(str), plausible_dates.map(lambda d: f"{d.year}年{d.month}月{d.day}日")
)
hostile_dates = st.one_of(st.dates(), st.datetimes(), st.sampled_from(IMPOSSIBLE_DATES), hostile)
# Small unknown ids, ids out of range, ids as text or floats, SQL, other types.
hostile_ids = st.one_of(st.integers(-5, 80), st.sampled_from(ODD_IDS), st.sampled_from(SQL), hostile)


def choices(labels: dict[str, str]) -> st.SearchStrategy[str]:
    """A key of a choice or its Chinese label."""
    return st.sampled_from([*labels, *labels.values()])


def hostile_choices(labels: dict[str, str]) -> st.SearchStrategy[Any]:
    """Keys padded, upper-cased or with a zero-width space, or anything else."""
    return st.one_of(st.sampled_from([f" {k.upper()} " for k in labels] + [k + "\u200b" for k in labels]), hostile)


def draw_arguments(data: st.DataObject, **arguments: tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]) -> Any:
    """Keyword arguments from (valid, hostile) strategies: one argument hostile, all, or (a third of the time) none.

    With every argument hostile at once, nearly every call is refused by the first
    check; one at a time, each reaches the code behind the checks of the others. Calls
    with none are mostly accepted: they grow the data the next examples run into.
    """
    none = ["(none)"] * ((len(arguments) + 1) // 2)
    broken = data.draw(st.sampled_from([*none, "(all)", *arguments]), label="hostile")
    return {
        name: data.draw(st.one_of(valid, bad) if broken in (name, "(all)") else valid, label=name)
        for name, (valid, bad) in arguments.items()
    }


# Digests of each database as of its last check. Only `attempt` writes during a test, and
# it re-reads them after any change, so they stand in for the "before" read.
_known: dict[Path, dict[str, dict[str, Any]]] = {}


def _digests(path: Path) -> dict[str, dict[str, Any]]:
    with db.read(path) as con:
        return backup.table_digests(con)


def attempt(path: Path, function: str, call: Callable[[db.Connection], Any], *, actor: str | None = None) -> Any:
    """Run one write action and check the three properties; returns the call's result, None if refused."""
    before = _known.pop(path, None) or _digests(path)
    refusal: KitError | None = None
    try:
        with db.write(path, action=f"属性测试：{function}", actor=actor) as con:
            result = call(con)
    except KitError as e:
        refusal = e
    except BaseException as bug:  # property 1 broken: counted, then the test fails with it
        COUNTS[function, type(bug).__name__] += 1
        raise
    if refusal is not None:
        COUNTS[function, type(refusal).__name__] += 1
        assert not isinstance(refusal, DatabaseError), f"{function}：输入未经校验就交给了 DuckDB：{refusal}"
        assert re.search(r"[\u4e00-\u9fff]", refusal.message), f"{function} 的拒绝理由不是中文：{refusal.message}"
        after = _known[path] = _digests(path)
        after, before = dict(after), dict(before)
        after.pop("write_outcomes"), before.pop("write_outcomes")  # commit ids, not records
        if isinstance(refusal, PermissionDenied):  # its one trace row, by design
            assert after.pop("trace_log")["rows"] == before.pop("trace_log")["rows"] + 1
        assert after == before, f"{function} 拒绝了本次操作（{refusal}），却改动了数据"
        return None
    COUNTS[function, "accepted"] += 1
    with db.read(path) as con:
        _, findings = integrity.compare(con)
        assert findings == [], f"{function} 接受了输入，数据却与留痕不符：{[str(f) for f in findings]}"
        chain = audit.verify(con)
        assert chain.ok, f"{function} 之后留痕链断裂：{chain.reason}"
        _known[path] = backup.table_digests(con)
    return result


OPERATOR = config.DEFAULT_OPERATOR  # the bootstrap admin of a fresh file: every role over all units
# Mostly the operator; "录入员甲" may only enter scores (where registered); "无此人" is not registered.
actors = st.sampled_from([None] * 8 + ["录入员甲", "无此人"])


def _units(office: dict[str, Any]) -> list[int]:
    return [office["root"], office["a"], office["b"]]


@pytest.fixture
def crowd(office: dict[str, Any]) -> dict[str, Any]:
    """The office with sixteen more people, free to take posts."""
    with db.write(office["db"], action="准备人员") as con:
        extra = [registry.add_person(con, name=f"候选人{n}") for n in range(16)]
    return {**office, "all_people": [*office["people"].values(), *extra]}


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_unit_refuses_cleanly_or_records(office: dict[str, Any], data: st.DataObject) -> None:
    units = _units(office)
    args = draw_arguments(
        data,
        code=(
            st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=3, max_size=8),
            st.one_of(st.sampled_from(["R", " A ", "Ｂ"]), hostile),
        ),
        name=(cjk, hostile),
        kind=(choices(registry.KIND_LABELS), hostile_choices(registry.KIND_LABELS)),
        parent_id=(st.one_of(st.none(), st.sampled_from(units)), hostile_ids),
        supervisor_id=(st.one_of(st.none(), st.sampled_from(units)), hostile_ids),
        responsibility=(
            st.one_of(st.none(), choices(registry.RESPONSIBILITY_LABELS)),
            hostile_choices(registry.RESPONSIBILITY_LABELS),
        ),
        sort_order=(st.integers(0, 1000), hostile_numbers),
    )
    attempt(office["db"], "registry.add_unit", lambda con: registry.add_unit(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_person_refuses_cleanly_or_records(office: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        name=(st.one_of(cjk, st.just("张一")), hostile),
        gender=(st.sampled_from([None, "男", "女"]), hostile_choices({"男": "男", "女": "女"})),
        birth_year=(st.one_of(st.none(), st.integers(1940, 2005)), hostile_numbers),
        note=(st.one_of(st.none(), cjk), hostile),
    )
    attempt(office["db"], "registry.add_person", lambda con: registry.add_person(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_start_tenure_refuses_cleanly_or_records(crowd: dict[str, Any], data: st.DataObject) -> None:
    units = _units(crowd)
    args = draw_arguments(
        data,
        person_id=(st.sampled_from(crowd["all_people"]), hostile_ids),
        unit_id=(st.sampled_from(units), hostile_ids),
        post=(cjk, hostile),
        role=(choices(registry.ROLE_LABELS), hostile_choices(registry.ROLE_LABELS)),
        start=(valid_dates, hostile_dates),
        end=(st.one_of(st.none(), valid_dates), hostile_dates),  # before the start half the time
    )
    attempt(
        crowd["db"], "registry.start_tenure", lambda con: registry.start_tenure(con, **args), actor=data.draw(actors)
    )


@pytest.fixture
def members(crowd: dict[str, Any]) -> Path:
    """The crowd in the prefecture's leadership team since 2020, with no end yet."""
    with db.write(crowd["db"], action="准备任职") as con:
        for person_id in crowd["all_people"]:
            registry.start_tenure(
                con, person_id=person_id, unit_id=crowd["root"], post="委员", role="member", start="2020-01-01"
            )
    path: Path = crowd["db"]
    return path


def _ids(path: Path, sql: str) -> list[int]:
    with db.read(path) as con:
        return [int(r[0]) for r in con.all(sql)]


def one_of_now(items: list[int]) -> st.SearchStrategy[int]:
    """One of ids that change between examples; drawn as an index, so that replaying an example stays possible."""
    return st.integers(0, 2**16).map(lambda n: items[n % len(items)])


@AGAINST_ONE_DB
@given(data=st.data())
def test_end_tenure_refuses_cleanly_or_records(members: Path, data: st.DataObject) -> None:
    # Mostly tenures still open: each one closed early makes its later ends a refusal.
    tenures = _ids(members, "SELECT id FROM tenures WHERE end_date IS NULL") or _ids(members, "SELECT id FROM tenures")
    args = draw_arguments(
        data,
        tenure_id=(one_of_now(tenures), hostile_ids),
        end=(st.dates(date(2019, 6, 1), date(2030, 12, 31)), hostile_dates),  # before the start now and then
    )
    attempt(members, "registry.end_tenure", lambda con: registry.end_tenure(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_change_leader_refuses_cleanly_or_records(crowd: dict[str, Any], data: st.DataObject) -> None:
    units = _units(crowd)
    args = draw_arguments(
        data,
        unit_id=(st.sampled_from(units), hostile_ids),
        role=(st.sampled_from(registry.PRINCIPAL_ROLES), hostile_choices(registry.ROLE_LABELS)),
        person_id=(st.sampled_from(crowd["all_people"]), hostile_ids),
        post=(cjk, hostile),
        on=(st.dates(date(2020, 6, 1), date(2035, 12, 31)), hostile_dates),  # mostly after the holder's start
    )
    attempt(
        crowd["db"],
        "appointments.change_leader",
        lambda con: appointments.change_leader(con, **args),
        actor=data.draw(actors),
    )


def test_assessments_re_exports_add_scheme() -> None:
    assert assessments.add_scheme is schemes.add_scheme


valid_indicators = st.lists(
    st.fixed_dictionaries(
        {"name": cjk, "max_points": st.integers(1, 50), "weight": st.integers(1, 50)},
        optional={"description": cjk},
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda i: str(i["name"]),
)
hostile_indicators = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"name": st.one_of(cjk, hostile), "max_points": hostile_numbers, "weight": hostile_numbers},
                optional={"description": hostile},
            ),
            hostile,
        ),
        max_size=4,
    ),
    hostile,
)
valid_bands = st.lists(st.integers(1, 100), min_size=0, max_size=3, unique=True).map(
    lambda mins: [
        {"label": f"第{n}等", "min_total": m, "triggers_followup": n > 1}
        for n, m in enumerate([*sorted(mins, reverse=True), 0], start=1)
    ]
)
hostile_bands = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"label": st.one_of(cjk, hostile), "min_total": hostile_numbers},
                optional={"triggers_followup": hostile},
            ),
            hostile,
        ),
        max_size=4,
    ),
    hostile,
)


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_scheme_refuses_cleanly_or_records(office: dict[str, Any], data: st.DataObject) -> None:
    add = data.draw(st.sampled_from([schemes.add_scheme, assessments.add_scheme]))
    args = draw_arguments(
        data,
        code=(
            st.text("STUVWXYZ0123456789", min_size=3, max_size=8),
            st.one_of(st.sampled_from(["S", " S ", "Ｓ"]), hostile),
        ),
        name=(cjk, hostile),
        scoring=(choices(schemes.SCORING_LABELS), hostile_choices(schemes.SCORING_LABELS)),
        unit_kinds=(
            st.lists(choices(registry.KIND_LABELS), min_size=1, max_size=3),
            st.one_of(st.lists(hostile_choices(registry.KIND_LABELS), max_size=3), hostile),
        ),
        indicators=(valid_indicators, hostile_indicators),
        bands=(st.one_of(st.just(SMALL_BANDS), valid_bands), hostile_bands),
        description=(st.one_of(st.none(), cjk), hostile),
    )
    scheme_id = attempt(office["db"], "schemes.add_scheme", lambda con: add(con, **args), actor=data.draw(actors))
    if scheme_id is not None:  # unit kinds are stored as units have them (keys), or the scheme fits no unit
        with db.read(office["db"]) as con:
            stored = schemes.get_scheme(con, scheme_id)
        assert set(stored.unit_kinds) <= set(registry.KIND_LABELS)


@pytest.fixture
def entry_clerk(office: dict[str, Any]) -> dict[str, Any]:
    """The office with "录入员甲", who may enter scores for county A only."""
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="录入员甲", kind="unit", unit_id=office["a"])
    return office


@AGAINST_ONE_DB
@given(data=st.data())
def test_save_sheet_refuses_cleanly_or_records(entry_clerk: dict[str, Any], data: st.DataObject) -> None:
    office = entry_clerk
    indicators = office["indicators"]
    score = st.one_of(st.integers(0, 30), st.decimals(0, 30, places=2), st.integers(0, 30).map(str))
    args = draw_arguments(
        data,
        scheme_id=(st.sampled_from([office["scheme"]]), hostile_ids),
        unit_id=(st.sampled_from(_units(office)), hostile_ids),
        year=(st.one_of(st.integers(2015, 2026), st.sampled_from(["2024", "２０２３", " 2022 "])), hostile_numbers),
        scores=(
            st.fixed_dictionaries(dict.fromkeys(indicators, score)),
            st.one_of(
                st.fixed_dictionaries(dict.fromkeys(indicators, hostile_numbers)),
                st.dictionaries(st.one_of(st.sampled_from(indicators), st.integers(), st.text(max_size=2)), score),
                hostile,
            ),
        ),
        notes=(
            st.one_of(st.none(), st.dictionaries(st.sampled_from(indicators), cjk, max_size=3)),
            st.one_of(st.dictionaries(st.sampled_from(indicators), hostile, max_size=3), hostile),
        ),
        note=(st.one_of(st.none(), cjk), hostile),
        expected_version=(st.one_of(st.none(), st.integers(0, 3)), hostile),
    )
    attempt(
        office["db"], "assessments.save_sheet", lambda con: assessments.save_sheet(con, **args), actor=data.draw(actors)
    )


@pytest.fixture
def open_followups(office: dict[str, Any]) -> dict[str, Any]:
    """The office with low grades for both counties over four years, each opening follow-ups."""
    with db.write(office["db"], action="准备后续措施") as con:
        access.add_user(con, name="审核员乙", roles=["review"])
        access.grant_scope(con, name="审核员乙", kind="unit", unit_id=office["b"])
        for year in range(2021, 2025):
            for unit in ("a", "b"):
                assessments.save_sheet(
                    con,
                    scheme_id=office["scheme"],
                    unit_id=office[unit],
                    year=year,
                    scores=scores_for(office, 20, 15, 10),
                )
        found = [int(r[0]) for r in con.all("SELECT id FROM followups")]
    assert len(found) == 4 * (3 + 2)  # a look-back each, talks for A's two principals and B's one
    return {**office, "followups": found}


@AGAINST_ONE_DB
@given(data=st.data())
def test_complete_followup_refuses_cleanly_or_records(open_followups: dict[str, Any], data: st.DataObject) -> None:
    office = open_followups
    still_open = _ids(office["db"], "SELECT id FROM followups WHERE status = 'open'") or office["followups"]
    args = draw_arguments(data, followup_id=(one_of_now(still_open), hostile_ids), note=(cjk, hostile))
    attempt(
        office["db"],
        "followups.complete",
        lambda con: followups.complete(con, **args),
        actor=data.draw(st.sampled_from([None, None, "审核员乙", "无此人"])),
    )


@pytest.fixture
def staff(office: dict[str, Any]) -> dict[str, Any]:
    """The office with three more users, each with a role and scopes."""
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="录入员甲", roles=["entry"])
        access.add_user(con, name="审核员乙", roles=["review"])
        access.add_user(con, name="分析员丙", display_name="丙", roles=["analyst"])
        access.grant_scope(con, name="录入员甲", kind="unit", unit_id=office["a"])
        access.grant_scope(con, name="审核员乙", kind="subordinate", unit_id=office["root"])
        access.grant_scope(con, name="分析员丙", kind="all", valid_from="2020-01-01")
        for year in range(2015, 2027):
            access.grant_scope(
                con, name="分析员丙", kind="unit", unit_id=office["b"], valid_from=f"{year}-01-01", note=f"{year} 年"
            )
        scopes = [int(r[0]) for r in con.all("SELECT id FROM user_scopes")]
    return {**office, "users": [OPERATOR, "录入员甲", "审核员乙", "分析员丙"], "scopes": scopes}


def user_names(staff: dict[str, Any]) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    return st.sampled_from(staff["users"]), st.one_of(st.sampled_from([" 录入员甲 ", "本机操作员\u200b"]), hostile)


@AGAINST_ONE_DB
@given(data=st.data())
def test_add_user_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        name=(st.one_of(cjk, st.sampled_from(staff["users"])), hostile),
        display_name=(st.one_of(st.none(), cjk), hostile),
        roles=(
            st.lists(choices(access.ROLE_LABELS), max_size=3),
            st.one_of(st.lists(hostile_choices(access.ROLE_LABELS), min_size=1, max_size=3), hostile),
        ),
    )
    attempt(staff["db"], "access.add_user", lambda con: access.add_user(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_set_active_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data,
        name=user_names(staff),
        active=(st.booleans(), st.one_of(st.sampled_from(["false", "true", "0", "1", "否", 0, 1]), hostile)),
    )
    attempt(staff["db"], "access.set_active", lambda con: access.set_active(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_grant_role_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data, name=user_names(staff), role=(choices(access.ROLE_LABELS), hostile_choices(access.ROLE_LABELS))
    )
    attempt(staff["db"], "access.grant_role", lambda con: access.grant_role(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_revoke_role_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(
        data, name=user_names(staff), role=(choices(access.ROLE_LABELS), hostile_choices(access.ROLE_LABELS))
    )
    attempt(staff["db"], "access.revoke_role", lambda con: access.revoke_role(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_grant_scope_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    units = _units(staff)
    args = draw_arguments(
        data,
        name=user_names(staff),
        kind=(choices(access.SCOPE_LABELS), hostile_choices(access.SCOPE_LABELS)),
        unit_id=(st.one_of(st.none(), st.sampled_from(units)), hostile_ids),
        valid_from=(st.one_of(st.none(), valid_dates), hostile_dates),
        valid_until=(st.one_of(st.none(), valid_dates), hostile_dates),  # before valid_from half the time
        note=(st.one_of(st.none(), cjk), hostile),
    )
    attempt(staff["db"], "access.grant_scope", lambda con: access.grant_scope(con, **args), actor=data.draw(actors))


@AGAINST_ONE_DB
@given(data=st.data())
def test_revoke_scope_refuses_cleanly_or_records(staff: dict[str, Any], data: st.DataObject) -> None:
    args = draw_arguments(data, scope_id=(st.sampled_from(staff["scopes"]), hostile_ids))
    attempt(staff["db"], "access.revoke_scope", lambda con: access.revoke_scope(con, **args), actor=data.draw(actors))
