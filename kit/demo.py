"""A believable demo office: a prefecture (云岭州, invented) with its counties, departments,
townships, their leaders with tenures, two assessment schemes and three years of scores.

The 2023 results reproduce the figure published by 大理州 (DOMAIN.md, seed 000):
six units graded 基本合格 or 不合格, whose nine 党政一把手 received 诫勉谈话.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from kit import access, assessments, config, db, registry
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
]


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
    registry.change_leader(con, unit_id=unit, role=role, person_id=person, post=post, on=on)


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
    """Create the demo database at `path` (which must not hold data yet) in one transaction."""
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
        _users(con, ids, summary)
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
