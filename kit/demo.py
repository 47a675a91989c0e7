"""A believable demo office: a prefecture (云岭州, invented) with its counties, departments,
townships, their leaders with tenures, two assessment schemes and three years of scores.

The 2023 results reproduce the figure published by 大理州 (DOMAIN.md, seed 000):
six units graded 基本合格 or 不合格, whose nine 党政一把手 received 诫勉谈话.
Its inspection rounds 8–9 reproduce the same article's figures: 160 problems in
the 问题清单, 42 of them involving the 一把手, and a mid-term check that found 68
problems in 7 units.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from kit import access, appointments, assessments, config, db, inspections, rectification, registry
from kit.db import Connection

SEED = 20240301
COUNTIES = [
    "青松岭市",
    "白石滩县",
    "金沙湾县",
    "龙溪口县",
    "松风岭县",
    "梅花坞县",
    "桃溪坪县",
    "清河湾县",
    "石泉坝县",
    "凤鸣岗县",
    "云峰岭县",
    "玉湖湾县",
]
LEAD_DEPARTMENTS = ["州委组织部", "州委宣传部", "州委政法委", "州委统战部", "州人民政府办公室"]
DEPARTMENTS = [
    "州发展和改革委员会",
    "州教育体育局",
    "州科学技术局",
    "州工业和信息化局",
    "州公安局",
    "州民政局",
    "州司法局",
    "州财政局",
    "州人力资源和社会保障局",
    "州自然资源局",
    "州生态环境局",
    "州住房和城乡建设局",
    "州交通运输局",
    "州水务局",
    "州农业农村局",
    "州商务局",
    "州文化和旅游局",
    "州卫生健康委员会",
    "州退役军人事务局",
    "州应急管理局",
    "州审计局",
    "州市场监督管理局",
    "州统计局",
    "州医疗保障局",
    "州林业和草原局",
    "州乡村振兴局",
    "州能源局",
    "州国有资产监督管理委员会",
    "州信访局",
    "州民族宗教事务委员会",
    "州投资促进局",
    "州机关事务管理局",
]
TOWN_STEMS = [
    "龙门",
    "石桥",
    "青山",
    "花溪",
    "马街",
    "沙坪",
    "河口",
    "新村",
    "平坝",
    "江尾",
    "双廊",
    "古城",
    "银桥",
    "湾桥",
    "三营",
    "茈碧",
    "金牛",
    "凤羽",
    "西山",
    "东庄",
    "南诏",
    "北溪",
    "牛街",
    "太和",
]
SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
GIVEN = list(
    "建国华明伟强军平志勇杰涛斌超波辉刚健俊峰磊文红艳丽芳娟敏静霞燕玲梅云春海林宏亮成东晓丹雪琳慧颖婷佳鑫宇浩凯瑞翔鹏飞"
)

POINTS_INDICATORS = [
    ("落实主体责任", 15),
    ("一把手履行第一责任人职责", 15),
    ("班子成员落实“一岗双责”", 10),
    ("廉政谈话和提醒谈话", 10),
    ("作风建设", 10),
    ("巡察整改落实", 10),
    ("选人用人", 10),
    ("权力规范运行", 10),
    ("警示教育和廉洁文化", 5),
    ("群众满意度", 5),
]
WEIGHTED_INDICATORS = [
    ("党内政治生活", 20),
    ("选人用人", 20),
    ("权力规范运行", 20),
    ("党员干部勤政廉政", 20),
    ("群众满意度评价", 20),
]

# 2023: three counties (两名党政一把手 each) and three departments (one each) graded low.
LOW_2023 = {
    "C04": "基本合格",
    "C09": "不合格",
    "C11": "基本合格",
    "D07": "基本合格",
    "D15": "基本合格",
    "D26": "不合格",
}
LOW_2024 = {"C09": "基本合格", "D12": "基本合格", "D26": "基本合格", "L03": "不合格"}
LOW_2025 = {"C02": "基本合格", "D19": "不合格"}
UNSCORED_2025 = {"D30", "D31", "D32"}


DEMO_ACTOR = "演示数据"
# Sample users (login name, name, roles, scopes as (kind, unit code or None, from, until)).
# The configured operator is added too, with every role over every unit.
DEMO_USERS: list[tuple[str, str, list[str], list[tuple[str, str | None, date | None, date | None]]]] = [
    ("luru01", "王丽", ["entry"], [("supervised", "P01", None, None)]),
    ("shenhe01", "陈刚", ["review", "entry"], [("subordinate", "C01", None, None)]),
    ("fenxi01", "刘洋", ["analyst"], [("all", None, None, None)]),
    ("xuncha01", "赵磊", ["entry"], [("unit", "C03", date(2025, 3, 1), date(2025, 6, 30))]),
    ("xcb01", "孙敏", ["review", "entry"], [("all", None, None, None)]),
]
# 州委巡察办's reviewer: closes rectification items others asked to close.
DEMO_REVIEWER = "xcb01"


@dataclass
class DemoSummary:
    units: int = 0
    people: int = 0
    sheets: int = 0
    users: int = 0
    years: list[int] = field(default_factory=list)


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _unit_with_team(
    con: Connection,
    rng: random.Random,
    names: _Names,
    summary: DemoSummary,
    posts: list[tuple[str, str]],
    **unit: Any,
) -> int:
    """Register a unit and give it a leadership team, one invented person per post."""
    unit_id = registry.add_unit(con, **unit)
    for post, role in posts:
        person = registry.add_person(
            con, name=names(), gender=rng.choice("男男男女"), birth_year=rng.randrange(1966, 1985)
        )
        summary.people += 1
        registry.start_tenure(
            con,
            person_id=person,
            unit_id=unit_id,
            post=post,
            role=role,
            start=_day(rng, date(2018, 3, 1), date(2022, 12, 31)),
        )
    return unit_id


def _change(
    con: Connection,
    rng: random.Random,
    names: _Names,
    unit: int,
    role: str,
    post: str,
    on: date,
    summary: DemoSummary,
) -> None:
    person = registry.add_person(con, name=names(), gender=rng.choice("男男女"), birth_year=rng.randrange(1970, 1986))
    summary.people += 1
    appointments.change_leader(con, unit_id=unit, role=role, person_id=person, post=post, on=on)


def _build_units(con: Connection, rng: random.Random, summary: DemoSummary) -> dict[str, int]:
    names = _Names(rng)
    ids: dict[str, int] = {}
    root = registry.add_unit(con, code="YL", name="中共云岭州委", kind="prefecture")
    ids["YL"] = root
    groups = [
        registry.add_unit(
            con,
            code=f"P{n:02d}",
            name=f"州纪委监委第{'一二三四五'[n - 1]}派驻纪检监察组",
            kind="stationed",
            parent_id=root,
            sort_order=900 + n,
        )
        for n in range(1, 6)
    ]
    team = partial(_unit_with_team, con, rng, names, summary)
    for n, county in enumerate(COUNTIES, start=1):
        code = f"C{n:02d}"
        h = "市" if county.endswith("市") else "县"
        county_posts = [
            (f"{h}委书记", "principal"),
            (f"{h}长", "co_principal"),
            (f"{h}委副书记", "member"),
            (f"{h}纪委书记、监委主任", "member"),
            (f"{h}委组织部部长", "member"),
            (f"常务副{h}长", "member"),
        ]
        ids[code] = team(county_posts, code=code, name=f"中共{county}委", kind="county", parent_id=root, sort_order=n)
        for t in range(2):
            tcode = f"T{n:02d}{t + 1}"
            town_posts = [
                ("镇党委书记", "principal"),
                ("镇长", "co_principal"),
                ("镇党委副书记", "member"),
                ("镇纪委书记", "member"),
            ]
            ids[tcode] = team(
                town_posts,
                code=tcode,
                name=f"中共{county}{TOWN_STEMS[(n - 1) * 2 + t]}镇委",
                kind="township",
                parent_id=ids[code],
                sort_order=100 + n * 2 + t,
            )
    for n, dept in enumerate(LEAD_DEPARTMENTS, start=1):
        code = f"L{n:02d}"
        party = dept.endswith("部")
        lead_posts = [
            ("部长" if party else "秘书长", "principal"),
            ("常务副部长" if party else "副秘书长", "member"),
            ("机关纪委书记", "member"),
        ]
        ids[code] = team(
            lead_posts,
            code=code,
            name=dept,
            kind="department",
            parent_id=root,
            responsibility="lead",
            supervisor_id=groups[0],
            sort_order=20 + n,
        )
    for n, dept in enumerate(DEPARTMENTS, start=1):
        code = f"D{n:02d}"
        h = "主任" if dept.endswith(("委员会", "办公室")) else "局长"
        dept_posts = [
            (f"党组书记、{h}", "principal"),
            (f"党组成员、副{h}", "member"),
            (f"党组成员、副{h}", "member"),
            ("派驻纪检监察组组长", "member"),
        ]
        ids[code] = team(
            dept_posts,
            code=code,
            name=dept,
            kind="department",
            parent_id=root,
            responsibility="responsible",
            supervisor_id=groups[n % 5],
            sort_order=30 + n,
        )
    summary.units = len(ids) + len(groups)
    # Leaders who changed mid-year, so that tenures matter.
    for code, on in (
        ("C03", date(2024, 6, 18)),
        ("C09", date(2024, 9, 2)),
        ("D05", date(2024, 4, 8)),
        ("D26", date(2025, 3, 20)),
        ("C07", date(2025, 7, 1)),
        ("T052", date(2025, 5, 12)),
    ):
        post = {"C": "县委书记" if code != "C01" else "市委书记", "D": "党组书记、局长", "T": "镇党委书记"}[code[0]]
        _change(con, rng, names, ids[code], "principal", post, on, summary)
    _change(con, rng, names, ids["C04"], "co_principal", "县长", date(2024, 11, 15), summary)
    return ids


def _scheme_a(con: Connection) -> int:
    return assessments.add_scheme(
        con,
        code="ZZ-A",
        name="党风廉政建设责任制考核（县市、州级部门）",
        scoring="points",
        unit_kinds=["county", "department"],
        indicators=[{"name": n, "max_points": m} for n, m in POINTS_INDICATORS],
        bands=[
            {"label": "优秀", "min_total": 90},
            {"label": "合格", "min_total": 75},
            {"label": "基本合格", "min_total": 60, "triggers_followup": True},
            {"label": "不合格", "min_total": 0, "triggers_followup": True},
        ],
        description="州委对县（市）党委和州级部门党委（党组）落实全面从严治党主体责任的年度考核",
    )


def _scheme_b(con: Connection) -> int:
    return assessments.add_scheme(
        con,
        code="XZ-B",
        name="乡镇（街道）党委主体责任考核",
        scoring="weighted",
        unit_kinds=["township"],
        indicators=[{"name": n, "weight": w} for n, w in WEIGHTED_INDICATORS],
        bands=[
            {"label": "好", "min_total": 90},
            {"label": "较好", "min_total": 80},
            {"label": "一般", "min_total": 70},
            {"label": "差", "min_total": 0, "triggers_followup": True},
        ],
        description="按政治生态五个维度对乡镇（街道）党委的年度评价",
    )


def _scores(rng: random.Random, scheme: assessments.Scheme, grade: str) -> dict[int, Decimal]:
    """Scores whose total falls in the wanted grade, each indicator in half points."""
    band_index = [b.label for b in scheme.bands].index(grade)
    low = scheme.bands[band_index].min_total
    high = scheme.bands[band_index - 1].min_total if band_index else scheme.full_marks
    while True:
        centre = rng.uniform(
            float(max(low, Decimal(45))) / float(scheme.full_marks) + 0.01,
            float(high) / float(scheme.full_marks) - 0.01,
        )
        scores = {}
        for ind in scheme.indicators:
            frac = min(1.0, max(0.2, rng.gauss(centre, 0.05)))
            scores[ind.id] = Decimal(round(float(ind.maximum) * frac * 2)) / 2
        if scheme.grade(scheme.total(scores)).label == grade:
            return scores


def _score_year(
    con: Connection,
    rng: random.Random,
    scheme_id: int,
    ids: dict[str, int],
    year: int,
    low: dict[str, str],
    skip: set[str],
    summary: DemoSummary,
) -> None:
    scheme = assessments.get_scheme(con, scheme_id)
    usual = [b.label for b in scheme.bands if not b.triggers_followup]
    for code, unit in sorted(ids.items()):
        if code in skip or registry.get_unit(con, unit)["kind"] not in scheme.unit_kinds:
            continue
        grade = low.get(code) or rng.choices(usual, weights=[1, 3, 2][: len(usual)])[0]
        scores = _scores(rng, scheme, grade)
        notes = {scheme.indicators[0].id: "专题会议记录不全，扣分"} if grade in low.values() else {}
        with _on(con, date(year + 1, 1, 10) + timedelta(days=unit % 20), hour=9 + unit % 8):
            assessments.save_sheet(
                con,
                scheme_id=scheme_id,
                unit_id=unit,
                year=year,
                scores=scores,
                notes=notes,
                note=f"{year}年度考核组实地考核意见",
            )
        summary.sheets += 1


def build(path: str | Path | None = None) -> DemoSummary:
    """Create the demo database at `path` (which must not hold data yet) in one transaction.

    A new file is built directly, before any data service serves it.

    Raises:
        Busy: a data service already holds the file.
    """
    with db.embedded(path):
        return _build(path)


@contextmanager
def _on(con: Connection, day: date, hour: int = 10) -> Iterator[None]:
    """Within the block, what is written is stamped `day` (never later than now): the demo's events
    are spread over the days they happened, as an office's records would be, not all on the day
    the demo was built. The commit itself keeps the real time."""
    real = con.now
    minute = (day.toordinal() * 7) % 60
    con.now = min(datetime.combine(day, time(hour, minute)), real)
    try:
        yield
    finally:
        con.now = real


def _build(path: str | Path | None) -> DemoSummary:
    rng = random.Random(SEED)
    summary = DemoSummary(years=[2023, 2024, 2025])
    db.init(path, admin=DEMO_ACTOR)
    with db.write(path, action="生成演示数据", actor=DEMO_ACTOR) as con:
        if con.scalar("SELECT count(*) FROM units"):
            raise FileExistsError("the database already holds data")
        ids = _build_units(con, rng, summary)
        a, b = _scheme_a(con), _scheme_b(con)
        _score_year(con, rng, a, ids, 2023, LOW_2023, set(), summary)
        _score_year(con, rng, a, ids, 2024, LOW_2024, set(), summary)
        _score_year(con, rng, a, ids, 2025, LOW_2025, UNSCORED_2025, summary)
        _score_year(con, rng, b, ids, 2025, {"T092": "差"}, {"T121", "T122"}, summary)
        requested = _inspections(con, rng, ids, summary)
        _users(con, ids, summary)
    with db.write(path, action="生成演示数据（审核销号）", actor=DEMO_REVIEWER) as con:
        for item, approve, asked_on in requested:
            with _on(con, asked_on + timedelta(days=0 if asked_on == _SAME_DAY else 3), hour=15):
                rectification.review_close(
                    con,
                    item_id=item,
                    approve=approve,
                    note="佐证材料齐全，同意销号" if approve else "佐证不足，请补充整改前后对比材料",
                )
    return summary


def _users(con: Connection, ids: dict[str, int], summary: DemoSummary) -> None:
    """The operator and the sample users; the demo's own account is disabled at the end."""
    operator = config.operator()
    if operator != DEMO_ACTOR:
        access.add_user(con, name=operator, roles=list(access.ROLE_LABELS))
        access.grant_scope(con, name=operator, kind="all", note="本机操作员")
        summary.users += 1
    for name, shown, roles, scopes in DEMO_USERS:
        access.add_user(con, name=name, display_name=shown, roles=roles)
        for kind, code, start, end in scopes:
            unit = registry.unit_id(con, code) if code else None
            access.grant_scope(con, name=name, kind=kind, unit_id=unit, valid_from=start, valid_until=end)
        summary.users += 1
    if operator != DEMO_ACTOR:
        access.set_active(con, name=DEMO_ACTOR, active=False)


# --- 巡察 and 整改 (rounds 8 and 9) ------------------------------------------------------------

CATEGORIES = [  # (name, area, department responsible for it as a 共性问题)
    ("贯彻新发展理念不到位", "politics", "州发展和改革委员会"),
    ("乡村振兴政策落实不力", "politics", "州农业农村局"),
    ("生态环境保护责任落实不到位", "politics", "州生态环境局"),
    ("三资管理不规范", "discipline", "州财政局"),
    ("公务接待超标准", "discipline", "州财政局"),
    ("违规发放津补贴", "discipline", "州人力资源和社会保障局"),
    ("工程项目招投标不规范", "discipline", "州住房和城乡建设局"),
    ("选人用人不规范", "organization", "州委组织部"),
    ("基层党组织建设薄弱", "organization", "州委组织部"),
    ("干部档案管理不规范", "organization", "州委组织部"),
    ("上轮巡察整改不到位", "rectification", None),
]
ACTIONS = [
    "全面清查，建立问题台账，逐项明确责任人和完成时限",
    "修订完善相关制度，堵塞管理漏洞",
    "开展专项整治，对相关责任人进行批评教育",
    "组织专题学习，举一反三开展自查自纠",
    "追回违规资金，规范审批流程",
    "召开专题会议研究部署，建立长效机制",
]
COPIED_MEASURE = "召开专题民主生活会，深入对照检查，举一反三抓好整改"
ROUNDS = [  # code, name, kind, start, end, feedback day, units with their number of problems
    (
        "2025-8",
        "十一届州委第八轮巡察",
        "regular",
        date(2025, 3, 3),
        date(2025, 5, 30),
        date(2025, 7, 15),
        [("C03", 12), ("C05", 12), ("C08", 12), ("C10", 11), ("D03", 11), ("D08", 11), ("D15", 11)],
    ),
    (
        "2025-9",
        "十一届州委第九轮巡察（巡纪审联动）",
        "joint",
        date(2025, 9, 1),
        date(2025, 11, 28),
        date(2026, 1, 20),
        [("C02", 14), ("C06", 14), ("C11", 13), ("D12", 13), ("D19", 13), ("D21", 13)],
    ),
]
# Of each unit's problems, the first N involve the 一把手: 21 in each round, 42 in all.
TOP_INVOLVED = {"2025-8": [3, 3, 3, 3, 3, 3, 3], "2025-9": [4, 4, 4, 3, 3, 3]}
MIDTERM = [10, 10, 10, 10, 10, 9, 9]  # 68 problems in round 8's 7 units
EVALUATIONS = {"C03": 93, "C05": 86, "C08": 55, "C10": 78, "D03": 91, "D08": 58.5, "D15": 82}
POOR = {"C08", "D08"}
POOLS = (("leader", 4), ("deputy", 4), ("liaison", 6))


def _inspections(
    con: Connection, rng: random.Random, ids: dict[str, int], summary: DemoSummary
) -> list[tuple[int, bool, date]]:
    """Rounds 8 and 9 with groups, findings, clues, feedback and ledgers; returns the items to review."""
    names = _Names(rng)
    names.used.update(r[0] for r in con.all("SELECT name FROM people"))
    pool: dict[str, list[int]] = {}
    for kind, count in POOLS:
        for _ in range(count):
            person = registry.add_person(
                con, name=names(), gender=rng.choice("男男女"), birth_year=rng.randrange(1972, 1990)
            )
            summary.people += 1
            inspections.add_to_pool(con, person_id=person, pool=kind)
            pool.setdefault(kind, []).append(person)
    in_charge = []
    for post in ("州委副书记", "州委常委、常务副州长", "州委常委、副州长"):
        person = registry.add_person(con, name=names(), gender="男", birth_year=rng.randrange(1966, 1975))
        summary.people += 1
        registry.start_tenure(
            con, person_id=person, unit_id=ids["YL"], post=post, role="member", start=date(2021, 9, 1)
        )
        in_charge.append(person)
    categories = []
    for name, area, department in CATEGORIES:
        dept = con.scalar("SELECT id FROM units WHERE name = ?", [department]) if department else None
        categories.append(inspections.add_category(con, name=name, area=area, department_id=dept))
    requested: list[tuple[int, bool, date]] = []
    for code, name, kind, start, end, feedback_day, units in ROUNDS:
        round_id = inspections.add_round(con, code=code, name=name, kind=kind, start=start, end=end)
        groups = []
        for g in range(3):
            group = inspections.add_group(con, round_id=round_id, name=f"第{'一二三'[g]}巡察组")
            inspections.add_member(con, group_id=group, person_id=pool["leader"][g], role="leader")
            inspections.add_member(con, group_id=group, person_id=pool["deputy"][g], role="deputy")
            for person in pool["liaison"][g * 2 : g * 2 + 2]:
                inspections.add_member(con, group_id=group, person_id=person, role="liaison")
            groups.append(group)
        findings: dict[str, list[int]] = {}
        for n, (unit, count) in enumerate(units):
            inspections.assign_unit(con, group_id=groups[n % 3], unit_id=ids[unit])
            rows = [
                {
                    "round_id": round_id,
                    "unit_id": ids[unit],
                    "stage": "inspection",
                    "category_id": categories[(n * 3 + k * 5) % len(categories)],
                    "description": _describe(CATEGORIES[(n * 3 + k * 5) % len(categories)][0], k),
                    "severity": ("general", "general", "serious", "general", "grave")[k % 5],
                    "involves_top": k < TOP_INVOLVED[code][n],
                    "source": "inspection" if k % 6 else rng.choice(("petition", "audit")),
                    "found_on": _day(rng, start + timedelta(days=14), end),
                }
                for k in range(count)
            ]
            with _on(con, _entered(rows), hour=17):
                findings[unit] = inspections.add_findings(con, rows, action="生成演示数据")
            leader = in_charge[0] if unit.startswith("C") else in_charge[1 + n % 2]
            with _on(con, feedback_day, hour=16):
                inspections.record_feedback(
                    con, round_id=round_id, unit_id=ids[unit], mode="collective", held_on=feedback_day, leader_id=leader
                )
            if unit.startswith("C"):
                with _on(con, feedback_day + timedelta(days=1), hour=16):
                    inspections.record_feedback(
                        con,
                        round_id=round_id,
                        unit_id=ids[unit],
                        mode="one_on_one",
                        held_on=feedback_day + timedelta(days=1),
                        leader_id=leader,
                    )
        _clues(con, rng, findings)
        requested += _ledger(con, rng, findings, code, feedback_day)
        if code == "2025-8":
            for n, (unit, _) in enumerate(units):
                rows = [
                    {
                        "round_id": round_id,
                        "unit_id": ids[unit],
                        "stage": "midterm",
                        "category_id": categories[(n + k * 7) % len(categories)],
                        "description": "中期监督检查发现："
                        + _describe(CATEGORIES[(n + k * 7) % len(categories)][0], k),
                        "severity": "general",
                        "involves_top": False,
                        "source": "inspection",
                        "found_on": _day(rng, date(2025, 10, 9), date(2025, 10, 24)),
                    }
                    for k in range(MIDTERM[n])
                ]
                with _on(con, _entered(rows), hour=17):
                    inspections.add_findings(con, rows, action="生成演示数据")
            for unit, score in EVALUATIONS.items():
                with _on(con, date(2026, 2, 10), hour=11):
                    rectification.evaluate(con, round_id=round_id, unit_id=ids[unit], score=score, on=date(2026, 2, 10))
    # D15's 一把手 changes with items still open: the successor takes them over (整改交接).
    successor = registry.add_person(con, name=names(), gender="男", birth_year=1979)
    summary.people += 1
    with _on(con, date(2026, 1, 5)):
        appointments.change_leader(
            con, unit_id=ids["D15"], role="principal", person_id=successor, post="党组书记、局长", on=date(2026, 1, 5)
        )
    handover = int(con.scalar("SELECT max(id) FROM rectification_handovers"))
    with _on(con, date(2026, 1, 6)):
        rectification.sign_handover(con, handover_id=handover, side="outgoing", on=date(2026, 1, 6))
    return requested


def _entered(rows: list[dict[str, Any]]) -> date:
    """The day a batch of problems was entered: when the last of them was found."""
    return max(r["found_on"] for r in rows if isinstance(r["found_on"], date))


# The item opened, asked to be closed and closed on one day (纸面整改?).
_SAME_DAY = date(2026, 3, 2)


def _describe(category: str, k: int) -> str:
    details = [
        "相关制度执行不严格，存在薄弱环节",
        "台账资料不完整，底数不清",
        "监督检查流于形式，问题整改不彻底",
        "责任落实层层递减，压力传导不到位",
        "个别干部纪律意识淡薄，执行规定打折扣",
    ]
    return f"{category}：{details[k % len(details)]}"


def _clues(con: Connection, rng: random.Random, findings: dict[str, list[int]]) -> None:
    """Two problems of each unit become clues: the first (involving the 一把手) to 纪委监委 (立案, 处分),
    the last to 组织部; in each round one case also goes to the judiciary."""
    for n, ids in enumerate(findings.values()):
        for k, finding in enumerate((ids[0], ids[-1])):
            found_on = con.scalar("SELECT found_on FROM findings WHERE id = ?", [finding])
            day = found_on + timedelta(days=10)
            with _on(con, day):
                clue = inspections.transfer_clue(
                    con, finding_id=finding, receiver="commission" if k == 0 else "organization", transferred_on=day
                )
            outcome = partial(_outcome, con, clue)
            outcome("preliminary", day + timedelta(days=20))
            if k == 0:
                outcome("case_opened", day + timedelta(days=45), 1)
                outcome("discipline", day + timedelta(days=120), rng.choice((1, 1, 2)))
                if n == 0:
                    outcome("judiciary", day + timedelta(days=130), 1)
            else:
                outcome("organizational", day + timedelta(days=60), 1)
            outcome("closed", day + timedelta(days=150))


def _outcome(con: Connection, clue: int, outcome: str, day: date, people: int = 0) -> None:
    with _on(con, day, hour=14):
        inspections.record_outcome(con, clue_id=clue, outcome=outcome, people=people, decided_on=day)


def _ledger(
    con: Connection, rng: random.Random, findings: dict[str, list[int]], code: str, feedback_day: date
) -> list[tuple[int, bool, date]]:
    """One ledger item per problem, in every state an office sees; returns (item, approve) to review."""
    early = code == "2025-8"
    opened = feedback_day + timedelta(days=10)
    requested: list[tuple[int, bool, date]] = []
    evidence = [("整改完成情况说明.txt", "整改完成情况说明（演示）：已按措施逐项完成，附相关制度文件。".encode())]
    for n, (unit, ids) in enumerate(findings.items()):
        rows: list[dict[str, Any]] = []
        short = str(con.scalar("SELECT name FROM units WHERE code = ?", [unit])).removeprefix("中共")
        for k, finding in enumerate(ids):
            action = ACTIONS[(n + k) % len(ACTIONS)]
            measure = COPIED_MEASURE if (not early and k == 0 and n < 3) else f"{short}针对第{k + 1}项问题：{action}"
            months = (3, 6, 6, 10, 12)[k % 5] if early else (3, 6, 10, 12, 12)[k % 5]
            rows.append(
                {
                    "finding_id": finding,
                    "measure": measure,
                    "leader_id": None,
                    "responsible": ("办公室主任", "财务科科长", "人事科科长", "分管副职")[k % 4],
                    "deadline": rectification.add_months(feedback_day, months),
                    "progress": 0,
                    "opened_on": opened,
                }
            )
        ctx = rectification.item_context(con, ids)
        for row in rows:  # the 责任领导 is the unit's 一把手 today, as check_item gives it
            row["leader_id"] = ctx.top.get(ctx.findings[row["finding_id"]][0])
        with _on(con, opened, hour=9):
            items = rectification.add_items(con, rows, action="生成演示数据")
        closes = (4 if unit in POOR else 9) if early else 2
        for k, item in enumerate(items):
            worked = opened + timedelta(days=40 + 5 * k + n % 7)  # the unit reports over the weeks after
            asked = worked + timedelta(days=14)
            if k < closes:
                with _on(con, worked):
                    rectification.update_progress(con, item_id=item, body="已完成主要整改措施", progress=80)
                with _on(con, asked):
                    rectification.request_close(con, item_id=item, body="整改措施已全部落实，申请销号", files=evidence)
                requested.append((item, not (early and k == 0 and unit in POOR), asked))
            elif k == closes:
                with _on(con, asked):
                    rectification.request_close(con, item_id=item, body="已完成整改，申请销号", files=evidence)
            elif k % 3 == 0:
                with _on(con, worked):
                    rectification.update_progress(
                        con, item_id=item, body="正在推进，已完成阶段性任务", progress=rng.choice((30, 50, 60))
                    )
            if early and unit in POOR and k == len(items) - 1:  # extended again and again: 纸面整改?
                deadline = rectification.add_months(feedback_day, 6)
                for extra in (2, 4, 6):
                    with _on(con, rectification.add_months(deadline, extra - 2) - timedelta(days=5)):
                        rectification.extend_deadline(
                            con,
                            item_id=item,
                            deadline=rectification.add_months(deadline, extra),
                            reason="情况复杂，申请延期",
                        )
    if not early:  # opened and closed the same day: 纸面整改?
        first = next(iter(findings.values()))[-1]
        with _on(con, _SAME_DAY, hour=9):
            item = rectification.add_item(
                con, finding=first, measure="已当场整改完毕", responsible="办公室主任", deadline=date(2026, 12, 31)
            )
        with _on(con, _SAME_DAY, hour=11):
            rectification.request_close(con, item_id=item, body="当场整改", files=evidence)
        requested.append((item, True, _SAME_DAY))
    return requested
