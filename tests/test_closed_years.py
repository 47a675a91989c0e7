"""A closed year's score sheets (结束考核): saved no more, corrected only when a 审核员 agrees."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import access, assessments, corrections, db, followups, integrity, rankings
from kit.errors import InvalidInput, PermissionDenied
from tests.conftest import as_operator, save, scores_for


@pytest.fixture
def closed(office: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Units A (优秀) and B (基本合格, with follow-ups) scored for 2024, the year closed by 审核员乙."""
    save(office, "a", 38, 28, 28)
    save(office, "b", 20, 20, 20, note="整体较弱")
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="clerk", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="clerk", kind="all")
        access.add_user(con, name="checker", display_name="审核员乙", roles=["review"])
        access.grant_scope(con, name="checker", kind="all")
        access.add_user(con, name="both", display_name="录审丙", roles=["entry", "review"])
        access.grant_scope(con, name="both", kind="all")
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(office["db"], action="结束考核年度") as con:
        office["closing"] = assessments.close_year(con, scheme_id=office["scheme"], year=2024, note="年度考核结束")
    return office


def _sheet(office: dict[str, Any], unit: str) -> assessments.Sheet:
    with db.read(office["db"]) as con:
        found = assessments.load_sheet(con, scheme_id=office["scheme"], unit_id=office[unit], year=2024)
    assert found is not None
    return found


def _ask(office: dict[str, Any], *values: Any, reason: Any = "第一项得分录错", **kwargs: Any) -> int:
    with db.write(office["db"], action="申请更正评分表") as con:
        return corrections.request_sheet_correction(
            con,
            scheme_id=office["scheme"],
            unit_id=office["b"],
            year=2024,
            scores=scores_for(office, *values),
            reason=reason,
            **kwargs,
        )


def _review(office: dict[str, Any], request: int, *, approve: bool, note: str = "核实无误") -> None:
    with db.write(office["db"], action="审核更正作废申请") as con:
        corrections.review(con, correction_id=request, approve=approve, note=note)


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def test_a_closed_year_is_saved_no_more_and_its_refusal_writes_nothing(
    closed: dict[str, Any], monkeypatch: pytest.MonkeyPatch, table_counts: Any
) -> None:
    path = closed["db"]
    assert closed["closing"].closed_by_name == "审核员乙"
    assert closed["closing"].note == "年度考核结束"
    before = table_counts(path)
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with pytest.raises(InvalidInput) as refused, db.write(path, action="保存评分表") as con:
        assessments.save_sheet(
            con, scheme_id=closed["scheme"], unit_id=closed["b"], year=2024, scores=scores_for(closed, 30, 25, 25)
        )
    assert "年度" in refused.value.errors["year"]
    assert "审核员乙" in refused.value.errors["year"]
    assert "更正申请" in refused.value.errors["year"]
    assert table_counts(path) == before
    assert _sheet(closed, "b").total == Decimal(60)
    # another year of the same scheme is still open
    with db.write(path, action="保存评分表") as con:
        assessments.save_sheet(
            con, scheme_id=closed["scheme"], unit_id=closed["b"], year=2025, scores=scores_for(closed, 30, 25, 25)
        )
    _clean(path)


def test_a_correction_waits_for_a_reviewer_then_changes_the_grade_and_the_follow_ups(
    closed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = closed["db"]
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with db.read(path) as con:
        open_before = followups.stats(con, year=2024)["units"]
    assert open_before == 1  # unit B, 基本合格
    # the request carries the whole sheet as it should be: its overall note stays as it was
    asked = _ask(closed, 38, 20, 20, notes={closed["indicators"][0]: "复核后加分"}, note="整体较弱")
    # waiting: nothing changed yet, and the ranking still has the old grade
    assert _sheet(closed, "b").version == 1
    with db.read(path) as con:
        waiting = corrections.pending_requests(con)
        ranked = {r["unit_name"]: r["grade"] for r in rankings.ranking(con, scheme_id=closed["scheme"], year=2024)}
    assert [(r["id"], r["record_label"], r["unit_name"]) for r in waiting] == [(asked, "评分表", "乙县委")]
    assert waiting[0]["changes"]["落实主体责任得分"] == ["20", "38"]
    assert waiting[0]["changes"]["合计"] == ["60", "78"]
    assert waiting[0]["changes"]["等次"] == ["基本合格", "合格"]
    assert waiting[0]["changes"]["落实主体责任扣分说明"] == ["", "复核后加分"]
    assert "总体评价" not in waiting[0]["changes"]
    assert "待审核员同意" in waiting[0]["summary"]
    assert ranked["乙县委"] == "基本合格"
    with pytest.raises(PermissionDenied), db.write(path, action="审核") as con:  # a 录入员 reviews nothing
        corrections.review(con, correction_id=asked, approve=True, note="同意")
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    _review(closed, asked, approve=True)
    sheet = _sheet(closed, "b")
    assert (sheet.total, sheet.grade, sheet.version) == (Decimal(78), "合格", 2)
    assert sheet.notes == {closed["indicators"][0]: "复核后加分"}
    assert sheet.note == "整体较弱"
    assert sheet.updated_by_name == "审核员乙"
    with db.read(path) as con:
        history = assessments.sheet_history(con, scheme_id=closed["scheme"], unit_id=closed["b"], year=2024)
        log = corrections.corrections_of(con, table="score_sheets", record_id=sheet.id)
        ranked = {r["unit_name"]: r["grade"] for r in rankings.ranking(con, scheme_id=closed["scheme"], year=2024)}
        open_after = followups.stats(con, year=2024)["units"]
    assert [h["action"] for h in history] == ["新建评分表", "更正评分表（录入员甲申请，经审核）"]
    assert Decimal(history[-1]["before"]["total"]) == 60
    assert history[-1]["after"]["grade"] == "合格"
    assert [(c["status_label"], c["decided_by_name"]) for c in log] == [("已生效", "审核员乙")]
    assert ranked["乙县委"] == "合格"
    assert open_after == 0  # 合格 needs no 诫勉谈话 or 回头看: the open ones are withdrawn
    _clean(path)


def test_the_requester_never_reviews_and_a_rejection_changes_nothing(
    closed: dict[str, Any], monkeypatch: pytest.MonkeyPatch, table_counts: Any
) -> None:
    path = closed["db"]
    monkeypatch.setenv("KIT_OPERATOR", "both")
    asked = _ask(closed, 25, 20, 20)
    with pytest.raises(InvalidInput, match="申请人以外"), db.write(path, action="审核") as con:
        corrections.review(con, correction_id=asked, approve=True, note="自己同意")
    with pytest.raises(InvalidInput, match="待审核"):
        _ask(closed, 26, 20, 20)
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    _review(closed, asked, approve=False, note="原分有据")
    sheet = _sheet(closed, "b")
    assert (sheet.total, sheet.version) == (Decimal(60), 1)
    with db.read(path) as con:
        log = corrections.corrections_of(con, table="score_sheets", record_id=sheet.id)
    assert log[0]["status_label"] == "未同意"
    assert "不同意：原分有据" in log[0]["summary"]
    # decided: a new request may follow
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    assert _ask(closed, 26, 20, 20) > asked
    _clean(path)


@pytest.mark.parametrize(
    ("values", "kwargs", "field", "words"),
    [
        ((20, 20, 20), {"note": "整体较弱"}, "reason", "没有要更正的内容"),
        ((41, 20, 20), {}, "score_", "40"),
        ((25, 20, 20), {"reason": " "}, "reason", "更正理由"),
    ],
)
def test_a_bad_request_names_its_field_and_writes_nothing(
    closed: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    table_counts: Any,
    values: tuple[int, ...],
    kwargs: dict[str, Any],
    field: str,
    words: str,
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    before = table_counts(closed["db"])
    with pytest.raises(InvalidInput) as refused:
        _ask(closed, *values, **kwargs)
    message = next(m for k, m in refused.value.errors.items() if k.startswith(field))
    assert words in message
    assert table_counts(closed["db"]) == before


def test_an_open_year_is_saved_not_asked_for_and_a_closing_happens_once(
    closed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = closed["db"]
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    save(closed, "b", 20, 20, 20, year=2025)
    with pytest.raises(InvalidInput, match="尚未结束"), db.write(path, action="申请") as con:
        corrections.request_sheet_correction(
            con,
            scheme_id=closed["scheme"],
            unit_id=closed["b"],
            year=2025,
            scores=scores_for(closed, 25, 20, 20),
            reason="录错",
        )
    with pytest.raises(PermissionDenied), db.write(path, action="结束") as con:  # a 录入员 closes nothing
        assessments.close_year(con, scheme_id=closed["scheme"], year=2025)
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with pytest.raises(InvalidInput, match="不必再次结束"), db.write(path, action="结束") as con:
        assessments.close_year(con, scheme_id=closed["scheme"], year=2024)
    with pytest.raises(InvalidInput, match="晚于"), db.write(path, action="结束") as con:
        assessments.close_year(con, scheme_id=closed["scheme"], year=2099)
    with db.read(path) as con:
        assert assessments.closing(con, scheme_id=closed["scheme"], year=2025) is None
        assert assessments.closing(con, scheme_id=closed["scheme"], year=2024) is not None
    _clean(path)


def test_a_unit_not_scored_before_the_closing_is_not_scored_by_request(
    office: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    save(office, "a", 38, 28, 28)
    with db.write(office["db"], action="结束考核年度") as con:
        assessments.close_year(con, scheme_id=office["scheme"], year=2024)
    with pytest.raises(InvalidInput) as refused, db.write(office["db"], action="申请") as con:
        corrections.request_sheet_correction(
            con,
            scheme_id=office["scheme"],
            unit_id=office["b"],
            year=2024,
            scores=scores_for(office, 1, 1, 1),
            reason="补评",
        )
    assert "没有评分表" in refused.value.errors["unit"]
