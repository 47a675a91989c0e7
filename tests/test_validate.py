from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from kit import validate
from kit.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Decimal(12)),
        ("12.5", Decimal("12.5")),
        (" 7 ", Decimal(7)),
        ("０.５", Decimal("0.5")),
        (3, Decimal(3)),
        (2.5, Decimal("2.5")),
        ("15", Decimal(15)),
        ("0", Decimal(0)),
    ],
)
def test_number_accepts(raw: Any, expected: Decimal) -> None:
    assert validate.number(raw, field="f", label="得分", maximum=15) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "“得分”不能为空"),
        (None, "不能为空"),
        ("abc", "必须是数字"),
        ("15.01", "不能超过满分 15"),
        ("-0.5", "不能小于 0"),
        ("inf", "必须是数字"),
        (True, "必须是数字"),
        ("1.234", "最多保留 2 位小数"),
        ("1,5", "必须是数字"),
    ],
)
def test_number_refuses(raw: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate.number(raw, field="f", label="得分", maximum=15)
    assert message in caught.value.errors["f"]


def test_optional_number_may_be_empty() -> None:
    assert validate.number("  ", field="f", label="x", required=False) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-31", date(2024, 3, 31)),
        ("2024/3/1", date(2024, 3, 1)),
        ("2024年3月1日", date(2024, 3, 1)),
        (date(2020, 1, 2), date(2020, 1, 2)),
    ],
)
def test_day_accepts(raw: Any, expected: date) -> None:
    assert validate.day(raw, field="d", label="日期") == expected


@pytest.mark.parametrize(
    ("raw", "message"), [("2023-02-29", "不是真实存在的日期"), ("昨天", "应为日期"), ("", "不能为空")]
)
def test_day_refuses(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate.day(raw, field="d", label="日期")


@pytest.mark.parametrize(
    ("raw", "message"), [("", "不能为空"), ("a\x00b", "控制字符"), ("长" * 11, "不能超过 10 个字")]
)
def test_text_refuses(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate.text(raw, field="t", label="说明", required=True, max_length=10)


def test_text_keeps_newlines_and_tabs_and_trims() -> None:
    assert validate.text("  第一行\n第二行\t完 ", field="t", label="说明") == "第一行\n第二行\t完"


@pytest.mark.parametrize(
    ("raw", "ok"), [("2024", True), ("２０２４", True), ("24", False), ("2101", False), ("", False)]
)
def test_year(raw: str, ok: bool) -> None:
    if ok:
        assert validate.year(raw) == 2024
    else:
        with pytest.raises(InvalidInput):
            validate.year(raw)


def test_checker_collects_every_failure() -> None:
    check = validate.Checker()
    check(validate.number, "x", field="a", label="甲")
    check(validate.text, "", field="b", label="乙", required=True)
    check(validate.number, "3", field="c", label="丙")
    with pytest.raises(InvalidInput) as caught:
        check.done()
    assert set(caught.value.errors) == {"a", "b"}
    assert caught.value.message.startswith("有 2 项输入不符合要求")
