from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kit import assessments, audit, db
from kit.errors import Conflict, InvalidInput, NotFound

from .conftest import save


def test_saved_sheet_has_total_grade_and_version(office: dict[str, Any]) -> None:
    sheet = save(office, "a", "38", "27.5", "26")
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
    assert save(office, "a", *values).grade == grade


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
        save(office, "a", bad, "20", "20")
    field = f"score_{office['indicators'][0]}"
    assert message in caught.value.errors[field]
    assert "落实主体责任得分" in caught.value.errors[field]
    assert table_counts(office["db"]) == before


def test_every_bad_field_is_reported_at_once(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        save(office, "a", "", "31", "x")
    assert len(caught.value.errors) == 3


def test_full_width_digits_from_chinese_input_are_accepted(office: dict[str, Any]) -> None:
    assert save(office, "a", "３８", "２７．５", " 26 ").total == Decimal("91.5")


def test_resave_updates_the_sheet_and_keeps_its_history(office: dict[str, Any]) -> None:
    save(office, "a", "38", "27", "26", expected_version=0)
    second = save(office, "a", "30", "27", "26", expected_version=1, notes={office["indicators"][0]: "台账不全"})
    assert (second.version, second.total, second.grade) == (2, Decimal("83"), "合格")
    with db.read(office["db"]) as con:
        history = assessments.sheet_history(con, scheme_id=office["scheme"], unit_id=office["a"], year=2024)
        assert audit.verify(con).ok
    assert [h["action"] for h in history] == ["新建评分表", "修改评分表"]
    assert Decimal(history[1]["before"]["scores"]["落实主体责任"]) == 38
    assert Decimal(history[1]["after"]["scores"]["落实主体责任"]) == 30
    assert history[1]["after"]["notes"] == {"落实主体责任": "台账不全"}


def test_saving_the_same_sheet_again_makes_no_new_version(office: dict[str, Any]) -> None:
    first = save(office, "a", "38", "27", "26", expected_version=0)
    again = save(office, "a", "38.0", "27.00", "26", expected_version=1)
    assert again.version == first.version == 1
    with db.read(office["db"]) as con:
        entries = con.scalar("SELECT count(*) FROM trace_log WHERE table_name = 'score_sheets'")
    assert entries == 1


def test_stale_version_is_refused(office: dict[str, Any], table_counts: Any) -> None:
    save(office, "a", "38", "27", "26", expected_version=0)
    before = table_counts(office["db"])
    with pytest.raises(Conflict, match="重新打开"):
        save(office, "a", "10", "10", "10", expected_version=0)
    assert table_counts(office["db"]) == before


def test_scheme_not_for_this_kind_of_unit_is_refused(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="不适用于"):
        save(office, "root", "1", "1", "1")


def test_year_after_the_current_one_is_refused(office: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="不能晚于当前年度"):
        save(office, "a", "1", "1", "1", year=2099)


def test_unknown_scheme_is_not_found(office: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="考核方案不存在"), db.write(office["db"], action="保存") as con:
        assessments.save_sheet(con, scheme_id=777, unit_id=office["a"], year=2024, scores={})
