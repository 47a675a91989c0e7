from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import assessments, db, followups, rankings, registry, trace
from kit.errors import Conflict, InvalidInput, NotFound

from .conftest import SMALL_BANDS, scores_for


def _save(office: dict[str, Any], unit: str, *values: Any, year: int = 2024, **kwargs: Any) -> assessments.Sheet:
    with db.write(office["db"], action="保存评分表") as con:
        return assessments.save_sheet(
            con,
            scheme_id=office["scheme"],
            unit_id=office[unit],
            year=year,
            scores=scores_for(office, *values),
            **kwargs,
        )


def test_saved_sheet_has_total_grade_and_version(office: dict[str, Any]) -> None:
    sheet = _save(office, "a", "38", "27.5", "26")
    assert sheet.total == Decimal("91.5")
    assert sheet.grade == "优秀"
    assert sheet.version == 1
    with db.read(office["db"]) as con:
        again = assessments.load_sheet(con, scheme_id=office["scheme"], unit_id=office["a"], year=2024)
    assert again == sheet


@pytest.mark.parametrize(
    ("values", "grade"),
    [
        (("40", "30", "20"), "优秀"),
        (("40", "30", "19.99"), "合格"),
        (("35", "20", "20"), "合格"),
        (("34", "20", "20.99"), "基本合格"),
        (("30", "15", "15"), "基本合格"),
        (("29.99", "30", "0"), "不合格"),
        (("0", "0", "0"), "不合格"),
    ],
)
def test_grade_bands_include_their_minimum(office: dict[str, Any], values: tuple[str, ...], grade: str) -> None:
    assert _save(office, "a", *values).grade == grade


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "不能为空"),
        ("150", "不能超过满分 40"),
        ("-1", "不能小于 0"),
        ("abc", "必须是数字"),
        ("41", "不能超过满分 40"),
        ("12.345", "最多保留 2 位小数"),
        ("nan", "必须是数字"),
        ("1e3", "不能超过满分"),
    ],
)
def test_bad_score_is_refused_and_nothing_is_written(
    office: dict[str, Any], table_counts: Any, bad: str, message: str
) -> None:
    before = table_counts(office["db"])
    with pytest.raises(InvalidInput) as caught:
        _save(office, "a", bad, "20", "20")
    field = f"score_{office['indicators'][0]}"
    assert message in caught.value.errors[field]
    assert "落实主体责任得分" in caught.value.errors[field]
    assert table_counts(office["db"]) == before


def test_every_bad_field_is_reported_at_once(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        _save(office, "a", "", "31", "x")
    assert len(caught.value.errors) == 3


def test_full_width_digits_from_chinese_input_are_accepted(office: dict[str, Any]) -> None:
    assert _save(office, "a", "３８", "２７．５", " 26 ").total == Decimal("91.5")


def test_resave_updates_the_sheet_and_keeps_its_history(office: dict[str, Any]) -> None:
    _save(office, "a", "38", "27", "26", expected_version=0)
    second = _save(office, "a", "30", "27", "26", expected_version=1, notes={office["indicators"][0]: "台账不全"})
    assert (second.version, second.total, second.grade) == (2, Decimal("83"), "合格")
    with db.read(office["db"]) as con:
        history = assessments.sheet_history(con, scheme_id=office["scheme"], unit_id=office["a"], year=2024)
        assert trace.verify(con).ok
    assert [h["action"] for h in history] == ["新建评分表", "修改评分表"]
    assert Decimal(history[1]["before"]["scores"]["落实主体责任"]) == 38
    assert Decimal(history[1]["after"]["scores"]["落实主体责任"]) == 30
    assert history[1]["after"]["notes"] == {"落实主体责任": "台账不全"}


def test_saving_the_same_sheet_again_makes_no_new_version(office: dict[str, Any]) -> None:
    first = _save(office, "a", "38", "27", "26", expected_version=0)
    again = _save(office, "a", "38.0", "27.00", "26", expected_version=1)
    assert again.version == first.version == 1
    with db.read(office["db"]) as con:
        entries = con.scalar("SELECT count(*) FROM trace_log WHERE table_name = 'score_sheets'")
    assert entries == 1


def test_stale_version_is_refused(office: dict[str, Any], table_counts: Any) -> None:
    _save(office, "a", "38", "27", "26", expected_version=0)
    before = table_counts(office["db"])
    with pytest.raises(Conflict, match="重新打开"):
        _save(office, "a", "10", "10", "10", expected_version=0)
    assert table_counts(office["db"]) == before


def test_low_grade_opens_talks_for_both_principals_and_a_lookback(office: dict[str, Any]) -> None:
    _save(office, "a", "30", "20", "15")
    with db.read(office["db"]) as con:
        todo = followups.list_followups(con, year=2024)
        stats = followups.stats(con, year=2024)
    assert sorted((r["kind_label"], r["person_name"]) for r in todo) == [
        ("回头看", None),
        ("诫勉谈话", "张一"),
        ("诫勉谈话", "李二"),
    ]
    assert stats == {"units": 1, "leaders": 2}


def test_raising_the_grade_cancels_open_followups(office: dict[str, Any]) -> None:
    _save(office, "a", "30", "20", "15")
    _save(office, "a", "38", "27", "26")
    with db.read(office["db"]) as con:
        assert followups.list_followups(con, year=2024) == []
        cancelled = followups.list_followups(con, year=2024, statuses=("cancelled",))
    assert len(cancelled) == 3


def test_completed_followup_stays_done_when_the_grade_is_lowered_again(office: dict[str, Any]) -> None:
    _save(office, "b", "30", "20", "15")
    with db.write(office["db"], action="办结") as con:
        [lookback] = [r for r in followups.list_followups(con, year=2024) if r["kind"] == "lookback"]
        followups.complete(con, followup_id=lookback["id"], note="已开展回头看")
    _save(office, "b", "30", "20", "14")
    with db.read(office["db"]) as con:
        done = followups.list_followups(con, year=2024, statuses=("done",))
        still_open = followups.list_followups(con, year=2024)
        history = trace.history(con, table="followups", key="S/B/2024/lookback")
    assert [r["kind"] for r in done] == ["lookback"]
    assert [h["action"] for h in history] == ["生成后续措施", "办结后续措施"]
    assert [r["person_name"] for r in still_open] == ["王三"]


def test_completing_needs_a_note(office: dict[str, Any]) -> None:
    _save(office, "b", "30", "20", "15")
    with db.write(office["db"], action="办结") as con:
        first = followups.list_followups(con, year=2024)[0]
        with pytest.raises(InvalidInput, match="办理情况"):
            followups.complete(con, followup_id=first["id"], note="  ")


def test_ranking_shares_ranks_on_equal_totals(office: dict[str, Any]) -> None:
    with db.write(office["db"], action="准备") as con:
        c = registry.add_unit(con, code="C", name="丙县委", kind="county")
        assessments.save_sheet(
            con, scheme_id=office["scheme"], unit_id=c, year=2024, scores=scores_for(office, 40, 30, 30)
        )
    _save(office, "a", "35", "20", "20")
    _save(office, "b", "35", "20", "20")
    with db.read(office["db"]) as con:
        rows = rankings.ranking(con, scheme_id=office["scheme"], year=2024)
        dist = rankings.grade_distribution(con, scheme_id=office["scheme"], year=2024)
        cov = rankings.coverage(con, scheme_id=office["scheme"], year=2024)
    assert [(r["unit_name"], r["rank_label"]) for r in rows] == [
        ("丙县委", "1"),
        ("甲县委", "2（并列）"),
        ("乙县委", "2（并列）"),
    ]
    assert rows[1]["leader_name"] == "张一"
    assert [(d["grade"], d["units"]) for d in dist] == [
        ("优秀", 1),
        ("合格", 2),
        ("基本合格", 0),
        ("不合格", 0),
    ]
    assert (cov["expected"], cov["scored"], cov["missing"]) == (3, 3, [])


def test_weighted_scheme_total_is_the_weighted_mean(db_path: Path) -> None:
    with db.write(db_path, action="准备") as con:
        town = registry.add_unit(con, code="T", name="某镇党委", kind="township")
        scheme_id = assessments.add_scheme(
            con,
            code="W",
            name="乡镇考核",
            scoring="weighted",
            unit_kinds=["township"],
            indicators=[{"name": "甲", "weight": 30}, {"name": "乙", "weight": 70}],
            bands=[
                {"label": "好", "min_total": 90},
                {"label": "差", "min_total": 0, "triggers_followup": True},
            ],
        )
        ids = [i.id for i in assessments.get_scheme(con, scheme_id).indicators]
        sheet = assessments.save_sheet(
            con, scheme_id=scheme_id, unit_id=town, year=2024, scores={ids[0]: "80", ids[1]: "95"}
        )
    assert sheet.total == Decimal("90.50")
    assert sheet.grade == "好"


def test_scheme_not_for_this_kind_of_unit_is_refused(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="不适用于"):
        _save(office, "root", "1", "1", "1")


def test_year_after_the_current_one_is_refused(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="不能晚于当前年度"):
        _save(office, "a", "1", "1", "1", year=2099)


def test_unknown_scheme_is_not_found(office: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="考核方案不存在"), db.write(office["db"], action="保存") as con:
        assessments.save_sheet(con, scheme_id=777, unit_id=office["a"], year=2024, scores={})


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"indicators": []}, "indicators", "至少需要一个指标"),
        ({"indicators": [{"name": "甲", "max_points": 0}]}, "indicator_1", "不能小于 0.01"),
        (
            {"indicators": [{"name": "甲", "max_points": 10}, {"name": "甲", "max_points": 10}]},
            "indicator_2",
            "重复",
        ),
        ({"bands": [{"label": "好", "min_total": 60}]}, "bands", "最低分必须为 0"),
        (
            {
                "bands": [
                    {"label": "好", "min_total": 60},
                    {"label": "中", "min_total": 80},
                    {"label": "差", "min_total": 0},
                ]
            },
            "band_2",
            "从高到低",
        ),
        ({"unit_kinds": []}, "unit_kinds", "至少选择一项"),
        ({"scoring": "magic"}, "scoring", "必须是以下之一"),
    ],
)
def test_bad_scheme_is_refused(db_path: Path, change: dict[str, Any], field: str, message: str) -> None:
    spec: dict[str, Any] = {
        "code": "X",
        "name": "方案",
        "scoring": "points",
        "unit_kinds": ["county"],
        "indicators": [{"name": "甲", "max_points": 100}],
        "bands": SMALL_BANDS,
    }
    with pytest.raises(InvalidInput) as caught, db.write(db_path, action="新增方案") as con:
        assessments.add_scheme(con, **{**spec, **change})
    assert message in caught.value.errors[field]
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM assessment_schemes") == 0
