"""The demo's assessment schemes and three years of score sheets, with the published 2023 figure.

2023 and 2024 of the first scheme are closed (结束考核), and one 录入员's correction of a 2024
sheet waits for a 审核员, as in an office that has worked with the product for a while.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from kit import access, assessments, corrections, registry
from kit.db import Connection
from kit.demo.common import DemoSummary, stamped_on
from kit.formats import number

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


def scheme_a(con: Connection) -> int:
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


def scheme_b(con: Connection) -> int:
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


def score_year(
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
        with stamped_on(con, date(year + 1, 1, 10) + timedelta(days=unit % 20), hour=9 + unit % 8):
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


# The years of the first scheme the office has closed, each at the end of the March after.
CLOSED_YEARS = (2023, 2024)


def close_years(con: Connection, scheme_id: int) -> None:
    """结束考核 of the closed years (by the demo's 审核员 of every unit)."""
    for year in CLOSED_YEARS:
        with stamped_on(con, date(year + 1, 3, 31), hour=17):
            assessments.close_year(con, scheme_id=scheme_id, year=year, note="经考核工作领导小组审定")


def ask_correction(con: Connection, scheme_id: int) -> int:
    """A 录入员's request to correct a closed year's sheet in their scope (it waits for a 审核员)."""
    scheme = assessments.get_scheme(con, scheme_id)
    seen = access.visible_units(con)
    sheets = con.all(
        "SELECT unit_id FROM score_sheets WHERE scheme_id = ? AND year = ? AND voided_at IS NULL ORDER BY unit_id",
        [scheme_id, 2024],
    )
    unit = next(int(r[0]) for r in sheets if seen is None or int(r[0]) in seen)
    sheet = assessments.load_sheet(con, scheme_id=scheme_id, unit_id=unit, year=2024)
    assert sheet is not None
    first = scheme.indicators[0]
    added = min(first.maximum, sheet.scores[first.id] + 1) - sheet.scores[first.id]
    scores = {**sheet.scores, first.id: sheet.scores[first.id] + added}
    with stamped_on(con, con.now.date() - timedelta(days=2), hour=11):
        return corrections.request_sheet_correction(
            con,
            scheme_id=scheme_id,
            unit_id=unit,
            year=2024,
            scores=scores,
            notes=sheet.notes,
            note=sheet.note,
            reason=f"复核时发现“{first.name}”漏计 {number(added)} 分（见考核组复核意见）",
        )
