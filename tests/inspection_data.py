"""A 巡察 dataset whose totals reproduce 聊城市's published figures (DOMAIN.md, seed 004).

The data is laid out first as a plan in plain Python (rounds, units, findings, clues with
their outcome steps, ledger items, leader changes, evaluations); every figure that
`kit.inspections.stats` reports is then counted from the plan, for everyone and for a
user who sees one unit only, and the plan is written through `kit`'s own functions.
So a test comparing `stats` with `RoundData.figures` checks the statistics against
what was written, and `PUBLISHED_004` checks the plan against the published figures.

Totals: 5 rounds (the fifth a 巡纪审联动 round), 1573 problems, 355 clues, 492 people
handled of whom 6 sent to the judiciary, 80 clues involving the 一把手 with 77 sanctioned
人次, the joint round 510 problems and 76 clues, 21 handovers, 15 common problems.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kit import access, appointments, db, inspections, rectification, registry, trace
from kit.db import Connection

# What 聊城市 published (seed 004); the plan below must add up to these.
PUBLISHED_004 = {
    "rounds": 5,
    "problems": 1573,
    "clues": 355,
    "people_handled": 492,
    "judiciary": 6,
    "top_leader_clues": 80,
    "top_leader_sanctioned": 77,
    "joint_problems": 510,
    "joint_clues": 76,
    "handovers": 21,
    "common_problems": 15,
}

ROUNDS = [  # code, name, kind, start, end
    ("2023-1", "十二届市委第一轮巡察", "regular", date(2023, 3, 1), date(2023, 5, 31)),
    ("2023-2", "十二届市委第二轮巡察", "regular", date(2023, 9, 1), date(2023, 11, 30)),
    ("2024-1", "十二届市委第三轮巡察（专项）", "special", date(2024, 3, 1), date(2024, 5, 31)),
    ("2024-2", "十二届市委第四轮巡察（机动）", "mobile", date(2024, 9, 1), date(2024, 10, 31)),
    ("2025-1", "十二届市委第五轮巡察（巡纪审联动）", "joint", date(2025, 3, 1), date(2025, 5, 31)),
]
UNITS_PER_ROUND = 5
UNIT_NAMES = [
    "青河县委",
    "柳泉县委",
    "石门县委",
    "桐山县委",
    "白沙县委",
    "临川区委",
    "望江区委",
    "清源县委",
    "北湖县委",
    "南屏县委",
    "市发展和改革委员会党组",
    "市教育局党委",
    "市民政局党组",
    "市住房和城乡建设局党组",
    "市交通运输局党组",
    "市水利局党组",
    "市农业农村局党组",
    "市商务局党组",
    "市文化和旅游局党组",
    "市卫生健康委员会党组",
    "市应急管理局党组",
    "市市场监督管理局党组",
    "市城市管理局党组",
    "市投资集团党委",
    "市职业技术学院党委",
]
# Departments that 共性问题 交办单 go to (not inspected themselves).
DEPARTMENTS = ["市委组织部", "市委宣传部", "市财政局", "市审计局", "市机关事务管理局"]
# Categories: (name, area, department index or None). The first 15 turn up in ≥3 units each.
COMMON_CATEGORIES = [
    ("贯彻落实上级决策部署不到位", "politics", None),
    ("意识形态工作责任制落实不力", "politics", 1),
    ("“三重一大”决策制度执行不严", "discipline", 3),
    ("违规发放津贴补贴", "discipline", 2),
    ("公务接待超标准", "discipline", 4),
    ("公务用车管理使用不规范", "discipline", 4),
    ("政府采购程序不规范", "discipline", 2),
    ("工程项目管理不规范", "discipline", 3),
    ("形式主义官僚主义问题突出", "discipline", None),
    ("选人用人程序不规范", "organization", 0),
    ("“三会一课”制度落实不到位", "organization", 0),
    ("干部人事档案管理不规范", "organization", 0),
    ("党费收缴使用管理不规范", "organization", 0),
    ("上轮巡察反馈问题整改不到位", "rectification", None),
    ("审计发现问题整改不彻底", "rectification", 3),
]
# Found in one or two units only: never a 共性问题.
OWN_CATEGORIES = [
    ("专项资金被挤占挪用", "discipline", 2),
    ("国有资产出租未经评估", "discipline", 2),
    ("村级财务公开不及时", "discipline", None),
    ("机关食堂管理混乱", "discipline", 4),
    ("档案室建设滞后", "organization", None),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
GIVEN = ["建国", "志强", "秀英", "海燕", "国华", "立新", "文博", "晓东", "春梅", "永刚", "红军", "丽华", "振宇"]

# How a clue is handled, step by step: (outcome, 人次). `HANDLED` outcomes count as people handled.
PATTERNS: dict[str, tuple[tuple[str, int], ...]] = {
    "case_discipline": (("preliminary", 0), ("case_opened", 0), ("discipline", 1)),
    "case_discipline_two": (("preliminary", 0), ("case_opened", 0), ("discipline", 2)),
    "case_judiciary": (("preliminary", 0), ("case_opened", 0), ("judiciary", 1)),
    "organizational": (("preliminary", 0), ("organizational", 1)),
    "closed": (("preliminary", 0), ("closed", 0)),
}
# How many clues take each pattern: those involving the 一把手, and the others.
TOP_PATTERNS = {"case_discipline": 60, "organizational": 17, "closed": 3}
OTHER_PATTERNS = {"case_judiciary": 6, "case_discipline_two": 150, "organizational": 109, "closed": 10}
TOP_ONLY_PROBLEMS = 40  # problems involving the 一把手 that were not transferred as clues
MIDTERM_PROBLEMS = 68  # found at the mid-term checks: not counted with the rounds' problems
ITEMS_PER_UNIT = 4
HANDOVER_UNITS = 21  # the first 21 units change 一把手 with items still open
# (round index, unit index) graded 差 in 整改评估, with their scores: the 4 units named.
POOR = {(0, 1): Decimal("55"), (0, 3): Decimal("58.5"), (1, 7): Decimal("52"), (4, 22): Decimal("49")}
COPIED_MEASURE = "健全制度，加强学习，举一反三"  # used by units 0 and 1: a 纸面整改 suspicion
SCOPED_USER = "xuncha_l03"
SCOPED_UNIT = "L03"
REVIEWER = "shenhe_l"


def spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` whole numbers differing by at most one, larger first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class Finding:
    """One problem as planned (indexes into ROUNDS and UNIT_NAMES); `id` is set once written."""

    round: int
    unit: int
    stage: str
    category: str
    involves_top: bool
    found_on: date
    pattern: str | None = None  # the clue's handling, when it became one
    id: int = 0


@dataclass
class Plan:
    """What is written, in plain Python: figures are counted from here."""

    findings: list[Finding] = field(default_factory=list)
    handovers: dict[int, int] = field(default_factory=dict)  # unit index → handovers (0 or 1: one change a day)


@dataclass
class RoundData:
    """The figures `inspections.stats` must report, and the names tests look for."""

    plan: Plan
    figures: dict[str, int]  # every round, everyone (keys as `inspections.stats`)
    unit_figures: dict[str, dict[str, int]]  # unit code → a user who sees only that unit
    round_codes: list[str]
    joint_round: str
    units: dict[str, str]  # code → name of every inspected unit
    poor: dict[str, list[str]]  # round code → names of the units graded 差
    scoped_user: str = SCOPED_USER
    scoped_unit: str = SCOPED_UNIT
    reviewer: str = REVIEWER

    def expected(self, *, rounds: Iterable[str] | None = None, unit: str | None = None) -> dict[str, int]:
        """The figures of some rounds (codes), for everyone or for a user who sees only `unit` (a code)."""
        chosen = None if rounds is None else [self.round_codes.index(code) for code in rounds]
        return figures(self.plan, None if unit is None else [int(unit[1:]) - 1], chosen)


def unit_code(index: int) -> str:
    return f"L{index + 1:02d}"


def _categories_of(unit: int) -> list[str]:
    """Three common categories per unit (each common one lands in 5 units) and, for a few, an own one."""
    names = [COMMON_CATEGORIES[(unit + k * 5) % 15][0] for k in range(3)]
    if unit < 2:
        names.append(OWN_CATEGORIES[0][0])  # in two units: still not common
    elif unit % 5 == 0 and unit // 5 < len(OWN_CATEGORIES):
        names.append(OWN_CATEGORIES[unit // 5][0])
    return names


def make_plan(seed: int = 4) -> Plan:
    """Findings per unit, clue patterns dealt out at random (fixed seed), handovers per unit."""
    plan = Plan()
    joint = len(ROUNDS) - 1
    regular_units = joint * UNITS_PER_ROUND
    problems = spread(PUBLISHED_004["problems"] - PUBLISHED_004["joint_problems"], regular_units) + spread(
        PUBLISHED_004["joint_problems"], UNITS_PER_ROUND
    )
    clues = spread(PUBLISHED_004["clues"] - PUBLISHED_004["joint_clues"], regular_units) + spread(
        PUBLISHED_004["joint_clues"], UNITS_PER_ROUND
    )
    units = len(problems)
    top_clues = spread(sum(TOP_PATTERNS.values()), units)
    top_only = spread(TOP_ONLY_PROBLEMS, units)
    midterm = spread(MIDTERM_PROBLEMS, units)
    rng = random.Random(seed)
    top_patterns = [p for p, n in TOP_PATTERNS.items() for _ in range(n)]
    other_patterns = [p for p, n in OTHER_PATTERNS.items() for _ in range(n)]
    rng.shuffle(top_patterns)
    rng.shuffle(other_patterns)
    for unit in range(units):
        rnd = unit // UNITS_PER_ROUND
        start = ROUNDS[rnd][3]
        categories = _categories_of(unit)
        for j in range(problems[unit]):
            is_clue = j < clues[unit]
            top = j < top_clues[unit] if is_clue else j < clues[unit] + top_only[unit]
            pattern = (top_patterns if top else other_patterns).pop() if is_clue else None
            found = start + timedelta(days=j % 60)
            plan.findings.append(Finding(rnd, unit, "inspection", categories[j % len(categories)], top, found, pattern))
        for j in range(midterm[unit]):
            found = start + timedelta(days=120 + j)
            plan.findings.append(Finding(rnd, unit, "midterm", categories[j % len(categories)], False, found))
        plan.handovers[unit] = 1 if unit < HANDOVER_UNITS else 0
    assert not top_patterns
    assert not other_patterns
    return plan


def figures(plan: Plan, units: Iterable[int] | None = None, rounds: Iterable[int] | None = None) -> dict[str, int]:
    """Every figure of `inspections.stats`, counted from the plan: of `rounds` (default all) as seen by
    a user whose scope is `units` (default all)."""
    chosen = set(range(len(ROUNDS)) if rounds is None else rounds)
    seen = None if units is None else set(units)
    rows = [f for f in plan.findings if (seen is None or f.unit in seen) and f.round in chosen]
    found = [f for f in rows if f.stage == "inspection"]
    clues = [f for f in rows if f.pattern]
    joint = len(ROUNDS) - 1

    def people(which: Iterable[Finding], outcomes: tuple[str, ...]) -> int:
        return sum(n for f in which for outcome, n in PATTERNS[f.pattern or ""] if outcome in outcomes)

    def opened(f: Finding) -> bool:
        return any(outcome == "case_opened" for outcome, _ in PATTERNS[f.pattern or ""])

    by_category: dict[str, set[int]] = {}
    for f in rows:
        by_category.setdefault(f.category, set()).add(f.unit)
    return {
        "rounds": len(chosen),
        "units": len({f.unit for f in rows}),
        "problems": len(found),
        "clues": len(clues),
        "people_handled": people(clues, inspections.HANDLED),
        "judiciary": people(clues, ("judiciary",)),
        "top_leader_problems": sum(f.involves_top for f in found),
        "top_leader_clues": sum(f.involves_top for f in clues),
        "top_leader_sanctioned": people([f for f in clues if f.involves_top], inspections.HANDLED),
        "cases_opened": sum(opened(f) for f in clues),
        "top_leader_cases": sum(opened(f) for f in clues if f.involves_top),
        "joint_problems": sum(f.round == joint for f in found),
        "joint_clues": sum(f.round == joint for f in clues),
        "midterm_problems": sum(f.stage == "midterm" for f in rows),
        "handovers": sum(
            n for u, n in plan.handovers.items() if (seen is None or u in seen) and u // UNITS_PER_ROUND in chosen
        ),
        "common_problems": sum(len(u) >= 3 for u in by_category.values()),
    }


# --- writing the plan ---------------------------------------------------------------------------


def _person(con: Connection, n: int) -> int:
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7 + n // len(SURNAMES)) % len(GIVEN)]
    return registry.add_person(con, name=name)


def _setup(con: Connection) -> tuple[list[int], list[int], list[int]]:
    """Units with their 一把手 since 2020, departments, the rounds with one group per round."""
    root = registry.add_unit(con, code="L00", name="滨河市委", kind="prefecture")
    units = []
    for i, name in enumerate(UNIT_NAMES):
        kind = "county" if name.endswith(("县委", "区委")) else "department"
        unit = registry.add_unit(con, code=unit_code(i), name=name, kind=kind, parent_id=root, sort_order=i)
        post = "县（区）委书记" if kind == "county" else "党组（党委）书记"
        registry.start_tenure(
            con, person_id=_person(con, i), unit_id=unit, post=post, role="principal", start=date(2020, 1, 1)
        )
        units.append(unit)
    departments = [
        registry.add_unit(con, code=f"LD{i + 1}", name=name, kind="department", parent_id=root, sort_order=100 + i)
        for i, name in enumerate(DEPARTMENTS)
    ]
    rounds = []
    for r, (code, name, kind, start, end) in enumerate(ROUNDS):
        rid = inspections.add_round(con, code=code, name=name, kind=kind, start=start, end=end)
        group = inspections.add_group(con, round_id=rid, name="第一巡察组")
        for unit in units[r * UNITS_PER_ROUND : (r + 1) * UNITS_PER_ROUND]:
            inspections.assign_unit(con, group_id=group, unit_id=unit)
        rounds.append(rid)
    for name, area, dept in COMMON_CATEGORIES + OWN_CATEGORIES:
        inspections.add_category(con, name=name, area=area, department_id=None if dept is None else departments[dept])
    return units, departments, rounds


def _write_findings(con: Connection, plan: Plan) -> None:
    ctx = inspections.finding_context(con)
    severities = list(inspections.SEVERITY_LABELS)
    rows = []
    for n, f in enumerate(plan.findings):
        raw = {
            "round": ROUNDS[f.round][0],
            "unit": unit_code(f.unit),
            "stage": f.stage,
            "category": f.category,
            "description": f"{UNIT_NAMES[f.unit]}存在{f.category}问题（第 {n + 1} 条）",
            "severity": severities[n % len(severities)],
            "involves_top": "yes" if f.involves_top else "no",
            "source": "inspection",
            "found_on": f.found_on,
        }
        rows.append(inspections.check_finding(raw, ctx))
    for f, ident in zip(plan.findings, inspections.add_findings(con, rows), strict=True):
        f.id = ident


def _write_clues(con: Connection, plan: Plan, *, one_by_one: str) -> None:
    """Clues and their outcome steps: through the kit functions for unit `one_by_one`, in bulk for the rest.

    `kit.inspections` has no bulk form of `transfer_clue` and `record_outcome` (each call
    takes about 10 ms); the bulk path writes the same rows and the same trace entries,
    which `kit check` compares (see tests/test_inspection_stats.py).
    """
    bulk: list[tuple[Finding, str, date]] = []
    for n, f in enumerate(x for x in plan.findings if x.pattern):
        receiver = "organization" if n % 7 == 0 else "commission"
        day = f.found_on + timedelta(days=10)
        if unit_code(f.unit) != one_by_one:
            bulk.append((f, receiver, day))
            continue
        clue = inspections.transfer_clue(con, finding_id=f.id, receiver=receiver, transferred_on=day)
        for step, (outcome, people) in enumerate(PATTERNS[f.pattern or ""], start=1):
            inspections.record_outcome(
                con, clue_id=clue, outcome=outcome, people=people, decided_on=day + timedelta(days=20 * step)
            )
    access.require_all_units(con, access.ENTER, what="移交问题线索")
    first_clue = int(con.scalar("SELECT coalesce(max(id), 0) FROM clues")) + 1
    con.insert_columns(
        "clues",
        {
            "finding_id": [f.id for f, _, _ in bulk],
            "receiver": [r for _, r, _ in bulk],
            "transferred_on": [d for _, _, d in bulk],
            "created_at": [con.now] * len(bulk),
            "created_by": [con.actor] * len(bulk),
        },
    )
    _trace_new(con, "clues", first_clue, "移交问题线索")
    clue_of = dict(con.all("SELECT finding_id, id FROM clues WHERE id >= ?", [first_clue]))
    steps = [
        (clue_of[f.id], outcome, people, day + timedelta(days=20 * step))
        for f, _, day in bulk
        for step, (outcome, people) in enumerate(PATTERNS[f.pattern or ""], start=1)
    ]
    first_outcome = int(con.scalar("SELECT coalesce(max(id), 0) FROM clue_outcomes")) + 1
    con.insert_columns(
        "clue_outcomes",
        {
            "clue_id": [s[0] for s in steps],
            "outcome": [s[1] for s in steps],
            "people": [s[2] for s in steps],
            "decided_on": [s[3] for s in steps],
            "created_at": [con.now] * len(steps),
            "created_by": [con.actor] * len(steps),
        },
    )
    _trace_new(con, "clue_outcomes", first_outcome, "登记线索处置结果")


def _trace_new(con: Connection, table: str, first_id: int, action: str) -> None:
    """Trace the records of `table` from id `first_id` on, in the state `kit check` compares."""
    sql = inspections.STATE_SQL[table]
    rows = con.records(f"SELECT * FROM ({sql}) WHERE id >= ? ORDER BY id", [first_id])
    trace.record_many(con, action=action, table=table, entries=[(r.pop("_key"), None, r) for r in rows])


def _write_items(con: Connection, plan: Plan, today: date, which: range) -> dict[int, list[int]]:
    """Ledger items number `which` of each unit (the first two overdue); returns unit index → item ids."""
    firsts: dict[int, list[Finding]] = {}
    for f in plan.findings:
        if f.stage == "inspection" and len(firsts.setdefault(f.unit, [])) < ITEMS_PER_UNIT:
            firsts[f.unit].append(f)
    ctx = rectification.item_context(con, [f.id for fs in firsts.values() for f in fs])
    rows, owners = [], []
    for unit, found in sorted(firsts.items()):
        for k in which:
            f = found[k]
            copied = unit < 2 and k == 0
            measure = COPIED_MEASURE if copied else f"{UNIT_NAMES[unit]}针对{f.category}问题整改措施第{k + 1}条"
            deadline = today - timedelta(days=40) if k < 2 else today + timedelta(days=90)
            raw = {"finding": f.id, "measure": measure, "responsible": "办公室主任", "deadline": deadline}
            rows.append(rectification.check_item(raw, ctx))
            owners.append(unit)
    out: dict[int, list[int]] = {}
    for unit, ident in zip(owners, rectification.add_items(con, rows), strict=True):
        out.setdefault(unit, []).append(ident)
    return out


def build_round_data(path: Path) -> RoundData:
    """Write the plan into the file at `path` (created if missing); returns the expected figures.

    Also registers `SCOPED_USER` (分析员 who sees `SCOPED_UNIT` only) and `REVIEWER`
    (审核员 of all units, who approves one 销号 so it shows as 纸面整改: closed the day it opened).

    Written offline, before any data service serves the file: clues go in through bulk
    inserts of rows, which no client may send to a service.

    Raises:
        KitError: the file cannot be written (the plan itself is valid by construction).
    """
    with db.embedded(path):
        return _build_round_data(path)


def _build_round_data(path: Path) -> RoundData:
    db.init(path)
    plan = make_plan()
    with db.write(path, action="准备巡察测试数据") as con:
        units, _departments, rounds = _setup(con)
        today = con.now.date()
        _write_findings(con, plan)
        _write_clues(con, plan, one_by_one=SCOPED_UNIT)
        # One item per unit before the leader changes (each handover hands it over), the rest after.
        _write_items(con, plan, today, range(1))
        for unit in (u for u, n in plan.handovers.items() if n):
            successor = _person(con, 100 + unit)
            appointments.change_leader(
                con, unit_id=units[unit], role="principal", person_id=successor, post="书记", on=today
            )
        items = _write_items(con, plan, today, range(1, ITEMS_PER_UNIT))
        closed = items[0][0]
        rectification.request_close(con, item_id=closed, body="已完成整改", files=[("整改报告.txt", "已整改".encode())])
        for days in (120, 150, 180):
            rectification.extend_deadline(
                con, item_id=items[4][-1], deadline=today + timedelta(days=days), reason="情况复杂，需延期"
            )
        for unit in range(len(units)):
            rnd = unit // UNITS_PER_ROUND
            score = POOR.get((rnd, unit), Decimal(75 + unit % 4 * 6))
            rectification.evaluate(con, round_id=rounds[rnd], unit_id=units[unit], score=score, on=today)
        access.add_user(con, name=REVIEWER, display_name="陈审核", roles=["review"])
        access.grant_scope(con, name=REVIEWER, kind="all")
        access.add_user(con, name=SCOPED_USER, display_name="赵巡察", roles=["analyst"])
        access.grant_scope(con, name=SCOPED_USER, kind="unit", unit_id=units[int(SCOPED_UNIT[1:]) - 1])
    with db.write(path, action="审核销号", actor=REVIEWER) as con:
        rectification.review_close(con, item_id=closed, approve=True, note="同意销号")
    poor: dict[str, list[str]] = {}
    for rnd, unit in POOR:
        poor.setdefault(ROUNDS[rnd][0], []).append(UNIT_NAMES[unit])
    return RoundData(
        plan=plan,
        figures=figures(plan),
        unit_figures={unit_code(u): figures(plan, [u]) for u in range(len(units))},
        round_codes=[r[0] for r in ROUNDS],
        joint_round=ROUNDS[-1][0],
        units={unit_code(u): name for u, name in enumerate(UNIT_NAMES)},
        poor=poor,
    )


_BUILT: dict[str, tuple[Path, RoundData]] = {}


def built_once(factory: pytest.TempPathFactory) -> tuple[Path, RoundData]:
    """The data built once per test session (in a folder from `tmp_path_factory`), shared read-only.

    Test modules that write must copy the file first.
    """
    if "master" not in _BUILT:
        path = factory.mktemp("rounds") / "rounds.duckdb"
        _BUILT["master"] = (path, build_round_data(path))
    return _BUILT["master"]
