"""An 整改评估 corrected (score, opinion, date) or voided by a 审核员, traced, and out of the 通报 when voided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import corrections, db, integrity, rectification
from kit.errors import InvalidInput
from tests.conftest import as_operator, build_inspection


@pytest.fixture
def insp(office: dict[str, Any]) -> dict[str, Any]:
    found = build_inspection(office)
    with db.write(office["db"], action="评估") as con:
        rectification.evaluate(con, round_id=found["round"], unit_id=office["a"], score=92, on="2024-12-01")
        rectification.evaluate(con, round_id=found["round"], unit_id=office["b"], score="55.5", on="2024-12-01")
    return found


def _overview(path: Path, round_id: int) -> dict[str, dict[str, Any]]:
    with db.read(path) as con:
        return {u["unit_name"]: u for u in rectification.overview(con, round_ids=[round_id], today=date(2024, 12, 10))}


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def test_a_corrected_score_changes_the_grade_and_the_notice_and_says_why(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.read(path) as con:
        assert [u["unit_name"] for u in rectification.poor_units(con, round_id=insp["round"])] == ["乙县委"]
    with db.write(path, action="更正") as con:
        corrections.correct_evaluation(
            con, round_id=insp["round"], unit_id=office["b"], reason="得分录错", score="65", note="复核后改正"
        )
    b = _overview(path, insp["round"])["乙县委"]
    assert (b["score"], b["grade"], b["evaluation_note"]) == (Decimal("65.00"), "一般", "复核后改正")
    with db.read(path) as con:
        assert rectification.poor_units(con, round_id=insp["round"]) == []
        log = corrections.corrections_of(con, table="rectification_evaluations", record_id=b["evaluation_id"])
    assert (
        log[0]["summary"] == "更正 评估得分：55.5 → 65；等次：差 → 一般；评估意见：（空） → 复核后改正。理由：得分录错"
    )
    _clean(path)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"score": "55.5"}, "reason", "没有要更正的内容"),
        ({"score": "101"}, "score", "不能超过满分 100"),
        ({"grade": "好"}, "grade", "由评估得分决定"),
        ({"evaluated_by": "某"}, "evaluated_by", "不是整改评估可以更正的字段"),
    ],
)
def test_a_bad_correction_names_its_field_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any, changes: dict[str, Any], field: str, words: str
) -> None:
    before = table_counts(office["db"])
    with pytest.raises(InvalidInput) as refused, db.write(office["db"], action="更正") as con:
        corrections.correct_evaluation(con, round_id=insp["round"], unit_id=office["b"], reason="录错", **changes)
    assert words in refused.value.errors[field]
    assert table_counts(office["db"]) == before


def test_a_voided_evaluation_leaves_the_overview_until_the_unit_is_evaluated_again(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="作废") as con:
        corrections.void_evaluation(con, round_id=insp["round"], unit_id=office["b"], reason="评错了单位")
    b = _overview(path, insp["round"])["乙县委"]
    assert (b["evaluation"], b["grade_label"]) == ("未评估", "未评估")
    with db.read(path) as con:
        assert rectification.poor_units(con, round_id=insp["round"]) == []
    with pytest.raises(InvalidInput, match="没有有效的整改评估"), db.write(path, action="更正") as con:
        corrections.correct_evaluation(con, round_id=insp["round"], unit_id=office["b"], reason="录错", score="70")
    with db.write(path, action="再评估") as con:
        rectification.evaluate(con, round_id=insp["round"], unit_id=office["b"], score=81, on="2024-12-20")
    b = _overview(path, insp["round"])["乙县委"]
    assert (b["score"], b["grade"]) == (Decimal("81.00"), "较好")
    with db.read(path) as con:
        log = corrections.corrections_of(con, table="rectification_evaluations", record_id=b["evaluation_id"])
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "评错了单位")]
    _clean(path)
