"""Record declarations (kit.fields): each one holds what its form, checks, list and Excel need."""

from __future__ import annotations

import importlib
import io
import pkgutil
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import kit
from kit import assessments, excel, fields, inspections, rectification, registry, validate
from kit.errors import InvalidInput
from kit.fields import Field, Record
from kit.ui import score_entry
from kit.ui.forms import Form, declared

TODAY = date(2025, 6, 30)
ROOT = Path(__file__).resolve().parents[1]


def all_records() -> list[Record]:
    """Every Record declared at the top of a kit module (ui and the Voilà config aside)."""
    found: dict[str, Record] = {}
    for module in pkgutil.walk_packages(kit.__path__, "kit."):
        if module.name.startswith(("kit.ui", "kit.share", "kit.voila_auth")):
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, Record):
                found[value.kind] = value
    return sorted(found.values(), key=lambda r: r.kind)


class Reads(dict[str, Any]):
    """Raw values that remember which keys the check asked for."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)


CHECKS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "findings": lambda raw: inspections.check_finding(
        raw, inspections.FindingContext(units={}, categories={}, rounds={}, visible=None, today=TODAY)
    ),
    "rectification": lambda raw: rectification.check_item(
        raw, rectification.ItemContext({1: (10, TODAY)}, {}, {10: "县委"}, {10: {}}, {}, None, TODAY)
    ),
    "rounds": inspections.check_round,
    "feedback": inspections.check_feedback,
    "outcomes": inspections.check_outcome,
    "evaluations": rectification.check_evaluation,
    "clues": inspections.check_clue,
    "groups": inspections.check_group,
    "members": inspections.check_member,
    "targets": inspections.check_target,
    "pool": inspections.check_pool,
    "units": registry.check_unit,
    "people": registry.check_person,
    "tenures": registry.check_tenure,
}
# Values that get a check past its first look-ups (a ledger item's 责任领导 is looked up in its finding's unit).
GIVEN: dict[str, dict[str, Any]] = {
    "findings": {},
    "rectification": {"finding": "1"},
    "rounds": {},
    "feedback": {},
    "outcomes": {},
    "evaluations": {},
    "clues": {},
    "groups": {},
    "members": {},
    "targets": {},
    "pool": {},
    "units": {},
    "people": {},
    "tenures": {},
}


def test_every_declared_record_has_a_check_and_the_importable_ones_are_excels() -> None:
    assert [r.kind for r in all_records()] == sorted(CHECKS)
    assert [r.kind for r in all_records() if r.excel] == sorted(excel.RECORDS)


@pytest.fixture(params=sorted(CHECKS))
def record(request: pytest.FixtureRequest) -> Record:
    return next(r for r in all_records() if r.kind == request.param)


@pytest.fixture(params=sorted(excel.RECORDS))
def importable(request: pytest.FixtureRequest) -> Record:
    return excel.RECORDS[request.param]


def test_the_check_reads_every_declared_field_and_no_other(record: Record) -> None:
    raw = Reads(GIVEN[record.kind])
    with pytest.raises(InvalidInput):
        CHECKS[record.kind](raw)
    assert raw.asked == set(record.labels)


def test_an_empty_entry_is_refused_on_every_required_field_and_only_on_declared_ones(record: Record) -> None:
    with pytest.raises(InvalidInput) as refused:
        CHECKS[record.kind]({})
    assert set(record.required) <= set(refused.value.errors)
    assert set(refused.value.errors) <= set(record.labels)
    for key, message in refused.value.errors.items():
        assert f"“{record.label_of(key)}”" in message


def test_every_field_says_its_rule_for_the_excel_guide_and_the_forms(record: Record) -> None:
    assert [f.key for f in record.fields if not f.rule] == []


def test_the_template_is_the_declaration(importable: Record) -> None:
    record = importable
    book = load_workbook(io.BytesIO(excel.template(record.kind)))
    header = [c.value for c in book.worksheets[0][1]]
    assert header == [("＊" if f.required else "") + f.label for f in record.excel_fields]
    guide = {row[0]: row for row in book[excel.GUIDE_SHEET].iter_rows(min_row=2, values_only=True) if row[0]}
    for spec in record.excel_fields:
        label = ("＊" if spec.required else "") + spec.label
        assert guide[label][2] == spec.rule
        assert guide[label][1] == ("仅供参考" if spec.reference else "必填" if spec.required else "选填")
        if spec.kind == "choice":
            assert guide[label][3] == "、".join(spec.choices.values())


def test_the_blank_templates_kept_in_data_are_the_declarations(importable: Record) -> None:
    kept = load_workbook(ROOT / "data" / "templates" / f"{importable.kind}.xlsx")
    fresh = load_workbook(io.BytesIO(excel.template(importable.kind)))
    assert kept.sheetnames == fresh.sheetnames
    for sheet in fresh.sheetnames:
        values = [list(row) for row in fresh[sheet].iter_rows(values_only=True)]
        assert [list(row) for row in kept[sheet].iter_rows(values_only=True)] == values, (
            f"data/templates/{importable.kind}.xlsx differs from its declaration in “{sheet}”: python -m kit.excel"
        )


def test_a_form_built_from_the_declaration_has_its_labels_marks_and_choices(record: Record) -> None:
    keys = list(record.labels)
    form = Form(declared(record, keys), submit_label="保存", on_submit=lambda values: "")
    for key in keys:
        spec = record.field(key)
        widget = form.inputs[key]
        assert widget.description == spec.label + ("＊" if spec.required else "")
        if spec.kind == "choice":
            assert [label for label, _value in widget.options] == list(spec.choices.values())


def test_the_export_names_only_keys_its_list_rows_have(importable: Record) -> None:
    record = importable
    assert record.listing is not None
    listed = {c.key for c in record.listing.columns} | {c.shown for c in record.listing.columns if c.shown}
    assert set(record.export) & listed, "the export shares no column with the list it exports"
    assert all(label for label in record.export.values())


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: Field("a", "甲", "choice"), "choices"),
        (lambda: Field("a", "甲", "lookup", lookup="weather"), "lookup"),
        (lambda: Field("a", "甲", "number"), "minimum"),
        (lambda: Field("a", "甲", "colour"), "kind"),
        (lambda: Record("x", "某", "x", (Field("a", "甲"), Field("a", "乙"))), "twice"),
    ],
)
def test_a_declaration_that_lacks_what_it_needs_is_refused_when_loaded(build: Callable[[], Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        build()


SAMPLE = Record(
    "sample",
    "样例",
    "samples",
    (
        Field("note", "备注", max_length=5),
        Field("count", "件数", "number", minimum=0, maximum=9, required=True),
        Field("day", "日期", "date"),
        Field("colour", "颜色", "choice", choices={"red": "红", "blue": "蓝"}),
        Field("unit", "单位", "lookup", lookup="units"),
    ),
)


KEYS = ("note", "count", "day", "colour")


def test_parse_reads_each_kind_by_its_declaration() -> None:
    check = validate.Checker()
    raw = {"note": "一二三", "count": "３", "day": "2025年6月1日", "colour": "蓝"}
    assert tuple(fields.parse(check, SAMPLE, key, raw) for key in KEYS) == ("一二三", 3, date(2025, 6, 1), "blue")
    assert check.errors == {}


def test_parse_names_the_declared_label_and_rule_of_each_field_it_refuses() -> None:
    check = validate.Checker()
    raw = {"note": "一二三四五六", "count": "", "day": "2025-02-30", "colour": "绿"}
    assert tuple(fields.parse(check, SAMPLE, key, raw) for key in KEYS) == (None, None, None, None)
    assert check.errors == {
        "note": "“备注”不能超过 5 个字（现有 6 个）",
        "count": "“件数”不能为空",
        "day": "“日期”不是真实存在的日期：2025-02-30",
        "colour": "“颜色”必须是以下之一：红、蓝",
    }


def test_a_lookup_is_left_to_the_records_check() -> None:
    with pytest.raises(ValueError, match="looks it up"):
        fields.parse(validate.Checker(), SAMPLE, "unit", {"unit": "县委"})


def test_every_declared_key_is_an_identifier_the_write_function_can_take() -> None:
    for record in all_records():
        assert all(f.key.isidentifier() for f in record.fields), record.kind


def _scheme(scoring: str = "points") -> assessments.Scheme:
    weighted = scoring == "weighted"
    return assessments.Scheme(
        id=1,
        code="S",
        name="测试考核",
        scoring=scoring,
        unit_kinds=["county"],
        indicators=[
            assessments.Indicator(
                7, 1, "组织领导", None if weighted else Decimal(40), Decimal(60) if weighted else None, None
            ),
            assessments.Indicator(
                8, 2, "制度建设", None if weighted else Decimal("12.5"), Decimal(40) if weighted else None, None
            ),
        ],
        bands=[assessments.Band(1, "合格", Decimal(0), False)],
    )


@pytest.mark.parametrize("scoring", ["points", "weighted"])
def test_a_schemes_score_sheet_is_declared_and_checked_by_its_declaration(scoring: str) -> None:
    scheme = _scheme(scoring)
    record = assessments.sheet_record(scheme)
    assert [f.key for f in record.fields] == ["score_7", "note_7", "score_8", "note_8", "note"]
    assert record.required == ("score_7", "score_8")
    assert [f.key for f in record.fields if not f.rule] == []
    assert record.field("score_8").maximum == (Decimal(100) if scoring == "weighted" else Decimal("12.5"))
    with pytest.raises(InvalidInput) as refused:
        assessments.check_sheet(scheme, {}, {}, None)
    assert set(refused.value.errors) == set(record.required)
    for key, message in refused.value.errors.items():
        assert f"“{record.label_of(key)}”" in message
    too_much = {7: "1", 8: "100.5"}
    with pytest.raises(InvalidInput) as refused:
        assessments.check_sheet(scheme, too_much, {8: "长" * 501}, "评" * 2001)
    assert set(refused.value.errors) == {"score_8", "note_8", "note"}
    assert "“制度建设说明”" in refused.value.errors["note_8"]
    assert "“总体评价”" in refused.value.errors["note"]
    scores, notes, note = assessments.check_sheet(scheme, {7: " 35.5 ", 8: 10}, {7: " 会议记录不全 "}, "")
    assert (scores, notes, note) == ({7: Decimal("35.5"), 8: Decimal(10)}, {7: "会议记录不全"}, "")


def test_the_score_form_is_the_sheets_declaration() -> None:
    scheme = _scheme()
    record = assessments.sheet_record(scheme)
    specs = score_entry.score_fields(scheme)
    assert [s.key for s in specs] == [f.key for f in record.fields]
    assert [s.key for s in specs if s.required] == list(record.required)
    assert specs[0].label == "1. 组织领导"  # numbered as the scheme orders it; messages use the declared label
    check = specs[0].check
    assert check is not None
    with pytest.raises(InvalidInput) as refused:
        check("41")
    assert refused.value.errors == {"score_7": "“组织领导得分”不能超过满分 40"}
    assert check("39.25") == Decimal("39.25")
