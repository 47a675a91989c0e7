"""The demo's units (云岭州 with its counties, departments and townships) and their leaders over time."""

from __future__ import annotations

import random
from datetime import date
from functools import partial
from typing import Any

from kit import appointments, registry
from kit.db import Connection
from kit.demo.common import DemoSummary, day_between

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


class Names:
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


def _unit_with_team(
    con: Connection,
    rng: random.Random,
    names: Names,
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
            start=day_between(rng, date(2018, 3, 1), date(2022, 12, 31)),
        )
    return unit_id


def _change(
    con: Connection,
    rng: random.Random,
    names: Names,
    unit: int,
    role: str,
    post: str,
    on: date,
    summary: DemoSummary,
) -> None:
    person = registry.add_person(con, name=names(), gender=rng.choice("男男女"), birth_year=rng.randrange(1970, 1986))
    summary.people += 1
    appointments.change_leader(con, unit_id=unit, role=role, person_id=person, post=post, on=on)


def build_units(con: Connection, rng: random.Random, summary: DemoSummary) -> dict[str, int]:
    names = Names(rng)
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
