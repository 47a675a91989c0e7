"""The demo's 巡察 and 整改 (rounds 8 and 9), reproducing the published figures."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import partial
from typing import Any

from kit import appointments, inspections, rectification, registry
from kit.db import Connection
from kit.demo.common import DemoSummary, day_between, stamped_on
from kit.demo.units import Names

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


def build_inspections(
    con: Connection, rng: random.Random, ids: dict[str, int], summary: DemoSummary
) -> list[tuple[int, bool, date]]:
    """Rounds 8 and 9 with groups, findings, clues, feedback and ledgers; returns the items to review."""
    names = Names(rng)
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
                    "found_on": day_between(rng, start + timedelta(days=14), end),
                }
                for k in range(count)
            ]
            with stamped_on(con, _entered(rows), hour=17):
                findings[unit] = inspections.add_findings(con, rows, action="生成演示数据")
            leader = in_charge[0] if unit.startswith("C") else in_charge[1 + n % 2]
            with stamped_on(con, feedback_day, hour=16):
                inspections.record_feedback(
                    con, round_id=round_id, unit_id=ids[unit], mode="collective", held_on=feedback_day, leader_id=leader
                )
            if unit.startswith("C"):
                with stamped_on(con, feedback_day + timedelta(days=1), hour=16):
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
                        "found_on": day_between(rng, date(2025, 10, 9), date(2025, 10, 24)),
                    }
                    for k in range(MIDTERM[n])
                ]
                with stamped_on(con, _entered(rows), hour=17):
                    inspections.add_findings(con, rows, action="生成演示数据")
            for unit, score in EVALUATIONS.items():
                with stamped_on(con, date(2026, 2, 10), hour=11):
                    rectification.evaluate(con, round_id=round_id, unit_id=ids[unit], score=score, on=date(2026, 2, 10))
    # D15's 一把手 changes with items still open: the successor takes them over (整改交接).
    successor = registry.add_person(con, name=names(), gender="男", birth_year=1979)
    summary.people += 1
    with stamped_on(con, date(2026, 1, 5)):
        appointments.change_leader(
            con, unit_id=ids["D15"], role="principal", person_id=successor, post="党组书记、局长", on=date(2026, 1, 5)
        )
    handover = int(con.scalar("SELECT max(id) FROM rectification_handovers"))
    with stamped_on(con, date(2026, 1, 6)):
        rectification.sign_handover(con, handover_id=handover, side="outgoing", on=date(2026, 1, 6))
    return requested


def _entered(rows: list[dict[str, Any]]) -> date:
    """The day a batch of problems was entered: when the last of them was found."""
    return max(r["found_on"] for r in rows if isinstance(r["found_on"], date))


# The item opened, asked to be closed and closed on one day (纸面整改?).
SAME_DAY = date(2026, 3, 2)


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
            with stamped_on(con, day):
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
    with stamped_on(con, day, hour=14):
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
        with stamped_on(con, opened, hour=9):
            items = rectification.add_items(con, rows, action="生成演示数据")
        closes = (4 if unit in POOR else 9) if early else 2
        for k, item in enumerate(items):
            worked = opened + timedelta(days=40 + 5 * k + n % 7)  # the unit reports over the weeks after
            asked = worked + timedelta(days=14)
            if k < closes:
                with stamped_on(con, worked):
                    rectification.update_progress(con, item_id=item, body="已完成主要整改措施", progress=80)
                with stamped_on(con, asked):
                    rectification.request_close(con, item_id=item, body="整改措施已全部落实，申请销号", files=evidence)
                requested.append((item, not (early and k == 0 and unit in POOR), asked))
            elif k == closes:
                with stamped_on(con, asked):
                    rectification.request_close(con, item_id=item, body="已完成整改，申请销号", files=evidence)
            elif k % 3 == 0:
                with stamped_on(con, worked):
                    rectification.update_progress(
                        con, item_id=item, body="正在推进，已完成阶段性任务", progress=rng.choice((30, 50, 60))
                    )
            if early and unit in POOR and k == len(items) - 1:  # extended again and again: 纸面整改?
                deadline = rectification.add_months(feedback_day, 6)
                for extra in (2, 4, 6):
                    with stamped_on(con, rectification.add_months(deadline, extra - 2) - timedelta(days=5)):
                        rectification.extend_deadline(
                            con,
                            item_id=item,
                            deadline=rectification.add_months(deadline, extra),
                            reason="情况复杂，申请延期",
                        )
    if not early:  # opened and closed the same day: 纸面整改?
        first = next(iter(findings.values()))[-1]
        with stamped_on(con, SAME_DAY, hour=9):
            item = rectification.add_item(
                con, finding=first, measure="已当场整改完毕", responsible="办公室主任", deadline=date(2026, 12, 31)
            )
        with stamped_on(con, SAME_DAY, hour=11):
            rectification.request_close(con, item_id=item, body="当场整改", files=evidence)
        requested.append((item, True, SAME_DAY))
    return requested
