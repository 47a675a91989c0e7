"""作废 a score sheet: it leaves rankings, counts, reports and follow-ups, stays in its history; in a
closed year only when a 审核员 agrees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit import access, analysis, assessments, corrections, db, followups, integrity, rankings
from kit.errors import InvalidInput, PermissionDenied
from kit.reports import assessment as assessment_report
from tests.conftest import as_operator, save, scores_for


@pytest.fixture
def scored(office: dict[str, Any]) -> dict[str, Any]:
    """A (优秀) and B (基本合格, two follow-ups) scored for 2024; a clerk of all units and one of A only."""
    save(office, "a", 38, 28, 28)
    save(office, "b", 20, 20, 20, note="整体较弱")
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="clerk", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="clerk", kind="all")
        access.add_user(con, name="clerk_a", display_name="录入员丁", roles=["entry"])
        access.grant_scope(con, name="clerk_a", kind="unit", unit_id=office["a"])
        access.add_user(con, name="checker", display_name="审核员乙", roles=["review"])
        access.grant_scope(con, name="checker", kind="all")
        access.add_user(con, name="reader", display_name="分析员戊", roles=["analyst"])
        access.grant_scope(con, name="reader", kind="all")
    return office


def _void(office: dict[str, Any], unit: str = "b", reason: Any = "误录：乙县委本年度不参加该方案考核") -> int:
    with db.write(office["db"], action="作废评分表") as con:
        return corrections.void_sheet(con, scheme_id=office["scheme"], unit_id=office[unit], year=2024, reason=reason)


def _results(office: dict[str, Any]) -> dict[str, Any]:
    """What every reader of the year's results sees, read as the operator."""
    with as_operator(), db.read(office["db"]) as con:
        return {
            "ranking": [r["unit_name"] for r in rankings.ranking(con, scheme_id=office["scheme"], year=2024)],
            "grades": {
                r["grade"]: r["units"] for r in rankings.grade_distribution(con, scheme_id=office["scheme"], year=2024)
            },
            "missing": [r["name"] for r in rankings.coverage(con, scheme_id=office["scheme"], year=2024)["missing"]],
            "scored": rankings.scored_units(con, scheme_id=office["scheme"], year=2024),
            "open": sorted(
                (f["unit_name"], f["kind"])
                for f in followups.list_followups(con, year=2024, scheme_id=office["scheme"])
            ),
            "sheet": assessments.load_sheet(con, scheme_id=office["scheme"], unit_id=office["b"], year=2024),
        }


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def _history(office: dict[str, Any]) -> list[dict[str, Any]]:
    with as_operator(), db.read(office["db"]) as con:
        entries = assessments.sheet_history(con, scheme_id=office["scheme"], unit_id=office["b"], year=2024)
    return assessments.describe_history(entries)


def test_a_voided_sheet_leaves_every_result_and_cancels_its_follow_ups(
    scored: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _results(scored)
    assert before["ranking"] == ["甲县委", "乙县委"]
    assert before["open"] == [("乙县委", "admonition_talk"), ("乙县委", "lookback")]
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    ident = _void(scored)

    after = _results(scored)
    assert after["ranking"] == ["甲县委"]
    assert after["grades"]["基本合格"] == 0
    assert after["grades"]["优秀"] == 1
    assert after["missing"] == ["乙县委"]
    assert after["scored"] == {scored["a"]}
    assert after["open"] == []
    assert after["sheet"] is None
    frame = analysis.sheets(year=2024, db_path=scored["db"])
    assert list(frame["unit_name"]) == ["甲县委"]

    with as_operator(), db.read(scored["db"]) as con:
        done = corrections.corrections_of(con, table="score_sheets", record_id=before["sheet"].id)
        kept = con.one("SELECT total, voided_by FROM score_sheets WHERE id = ?", [before["sheet"].id])
        cancelled = con.scalar(
            "SELECT count(*) FROM followups WHERE sheet_id = ? AND status = 'cancelled'", [before["sheet"].id]
        )
    assert [(c["id"], c["kind"], c["status"], c["requested_by_name"]) for c in done] == [
        (ident, "void", "applied", "录入员甲")
    ]
    assert "误录：乙县委本年度不参加该方案考核" in done[0]["summary"]
    assert kept == (before["sheet"].total, "clerk")  # the sheet stays in its table, marked
    assert cancelled == 2
    last = _history(scored)[-1]
    assert last["action"] == "作废评分表"
    assert last["actor"] == "录入员甲"
    assert last["grade"] == "基本合格 → 已作废"
    assert last["total"] == "60"
    _clean(scored["db"])


def test_a_done_follow_up_of_a_voided_sheet_leaves_the_list_and_the_report_and_stays_in_its_table(
    scored: dict[str, Any],
) -> None:
    with db.read(scored["db"]) as con:
        talk = next(f["id"] for f in followups.list_followups(con, year=2024) if f["kind"] == "admonition_talk")
    with db.write(scored["db"], action="办结") as con:
        followups.complete(con, followup_id=talk, note="已诫勉谈话")

    def listed() -> list[int]:
        with db.read(scored["db"]) as con:
            return [f["id"] for f in followups.list_followups(con, year=2024, statuses=("open", "done"))]

    def reported() -> str:
        with db.read(scored["db"]) as con:
            return assessment_report.build(con, year=2024, scheme_id=scored["scheme"])

    assert talk in listed()
    assert "已诫勉谈话" in reported()
    _void(scored)
    assert listed() == []
    assert "已诫勉谈话" not in reported()
    with db.read(scored["db"]) as con:
        assert con.one("SELECT status, note FROM followups WHERE id = ?", [talk]) == ("done", "已诫勉谈话")
    _clean(scored["db"])


def test_scoring_the_unit_again_brings_its_sheet_back_as_a_new_version(
    scored: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _results(scored)["sheet"]
    _void(scored)
    again = save(scored, "b", 30, 25, 25, expected_version=0)  # the form of an unscored unit opens at 0
    assert again.id == first.id
    assert again.version == first.version + 1
    assert again.total == 80
    after = _results(scored)
    assert after["ranking"] == ["甲县委", "乙县委"]
    assert after["sheet"] == again
    assert after["open"] == []  # 良好 calls for no follow-up
    assert _history(scored)[-1]["action"] == "重新录入评分表（原表已作废）"
    _void(scored, reason="再次误录")
    save(scored, "b", 20, 20, 20)  # 基本合格 again: its follow-ups open again, as new ones
    assert _results(scored)["open"] == [("乙县委", "admonition_talk"), ("乙县委", "lookback")]
    _clean(scored["db"])


def test_a_void_refused_names_its_field_and_writes_nothing(
    scored: dict[str, Any], monkeypatch: pytest.MonkeyPatch, table_counts: Any
) -> None:
    path = scored["db"]
    before = table_counts(path)
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with pytest.raises(InvalidInput) as refused:
        _void(scored, reason="  ")
    assert refused.value.errors["reason"] == "“作废理由”不能为空"
    _void(scored)
    counts = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _void(scored)  # already voided: the unit has no sheet now
    assert "没有可作废的评分表" in refused.value.errors["unit"]
    assert table_counts(path) == counts
    monkeypatch.setenv("KIT_OPERATOR", "clerk_a")
    with pytest.raises(PermissionDenied):
        _void(scored, "b")
    monkeypatch.setenv("KIT_OPERATOR", "reader")
    with pytest.raises(PermissionDenied):
        _void(scored, "a")
    refusals = table_counts(path).pop("trace_log") - counts.pop("trace_log")
    assert refusals == 2  # each refusal is traced, and nothing else is written
    assert {k: v for k, v in table_counts(path).items() if k != "trace_log"} == counts
    assert before != counts  # the one void that passed wrote its row


def test_in_a_closed_year_a_void_waits_for_another_reviewer(
    scored: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(scored["db"], action="结束考核年度") as con:
        assessments.close_year(con, scheme_id=scored["scheme"], year=2024)
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    request = _void(scored)
    waiting = _results(scored)
    assert waiting["ranking"] == ["甲县委", "乙县委"]  # nothing changes before a 审核员 agrees
    assert len(waiting["open"]) == 2
    with pytest.raises(InvalidInput) as refused:
        _void(scored)
    assert "待审核" in refused.value.errors["reason"]
    with pytest.raises(InvalidInput), db.write(scored["db"], action="申请更正评分表") as con:
        corrections.request_sheet_correction(
            con,
            scheme_id=scored["scheme"],
            unit_id=scored["b"],
            year=2024,
            scores=scores_for(scored, 30, 25, 25),
            reason="第一项录错",
        )
    with db.read(scored["db"]) as con:
        listed = [(r["id"], r["kind_label"], r["record_label"]) for r in corrections.pending_requests(con)]
    assert listed == [(request, "作废", "评分表")]

    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(scored["db"], action="审核更正作废申请") as con:
        corrections.review(con, correction_id=request, approve=True, note="核实确属误录")
    after = _results(scored)
    assert after["ranking"] == ["甲县委"]
    assert after["open"] == []
    assert _history(scored)[-1]["action"] == "作废评分表（录入员甲申请，经审核）"
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    with pytest.raises(InvalidInput) as refused:
        save(scored, "b", 30, 25, 25)  # a closed year is not scored again
    assert "更正申请" in refused.value.errors["year"]
    _clean(scored["db"])


def test_a_rejected_void_leaves_the_sheet_as_it_was(scored: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(scored["db"], action="结束考核年度") as con:
        assessments.close_year(con, scheme_id=scored["scheme"], year=2024)
    before = _results(scored)
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    request = _void(scored)
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with db.write(scored["db"], action="审核更正作废申请") as con:
        corrections.review(con, correction_id=request, approve=False, note="该单位确应参加考核")
    assert _results(scored) == before
    with db.read(scored["db"]) as con:
        done = corrections.corrections_of(con, table="score_sheets", record_id=before["sheet"].id)
    assert [(c["status"], c["note"]) for c in done] == [("rejected", "该单位确应参加考核")]
    _clean(scored["db"])
