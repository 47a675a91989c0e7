"""Templates: the declared columns with ＊ marks, dropdowns, a 填写说明 sheet, prefilled rows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kit import door, inspections, rectification, registry
from kit.db import Connection
from kit.errors import InvalidInput
from kit.excel.common import CHOICES_SHEET, GUIDE_SHEET, KINDS, NOTES, RECORDS, REQUIRED_MARK, fields_of
from kit.excel.exporting import formula_like


def template_columns(kind: str) -> list[str]:
    """Keys of a template's columns, in the declaration's order (reference columns included)."""
    return [f.key for f in RECORDS[kind].excel_fields]


def column_label(kind: str, key: str) -> str:
    spec = RECORDS[kind].field(key)
    return (REQUIRED_MARK if spec.required else "") + spec.label


def _static_choices(kind: str) -> dict[str, list[str]]:
    """The fixed choices of the declaration's choice fields, as the template's dropdowns offer them."""
    return {f.key: list(f.choices.values()) for f in RECORDS[kind].excel_fields if f.kind == "choice"}


def _office_choices(con: Connection, kind: str) -> dict[str, list[str]]:
    """Values from the database: units in the user's scope, categories, rounds."""
    units = [u["name"] for u in registry.list_units(con)]
    if kind == "rectification":
        return {"unit": units}
    return {
        "round": [r["code"] for r in inspections.list_rounds(con)],
        "unit": units,
        "category": [c["name"] for c in inspections.list_categories(con)],
    }


def _prefill(con: Connection, round_id: int) -> list[dict[str, Any]]:
    """One ledger row per finding of the round (in scope) that has no item yet."""
    inspections.get_round(con, round_id)
    done = {i["finding_id"] for i in rectification.list_items(con, round_ids=[round_id])}
    return [
        {"finding": f["id"], "unit": f["unit_name"], "description": f["description"]}
        for f in inspections.list_findings(con, round_ids=[round_id])
        if f["id"] not in done
    ]


def _dropdowns(book: Any, sheet: Any, kind: str, static: dict[str, list[str]], office: dict[str, list[str]]) -> None:
    """Lists to pick from: fixed labels inline, the office's values from a 可选值 sheet."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fields = RECORDS[kind]
    lists = book.create_sheet(CHOICES_SHEET) if office else None
    listed = 0
    last = max(sheet.max_row, 1000)
    for col, key in enumerate(template_columns(kind), start=1):
        if key in static:
            rule = DataValidation(type="list", formula1='"' + ",".join(static[key]) + '"', allow_blank=True)
        elif lists is not None and office.get(key):
            listed += 1
            lists.cell(row=1, column=listed, value=fields.label_of(key)).font = Font(bold=True)
            for n, value in enumerate(office[key], start=2):
                lists.cell(row=n, column=listed, value=value)
            where = get_column_letter(listed)
            ref = f"'{CHOICES_SHEET}'!${where}$2:${where}${len(office[key]) + 1}"
            # Units may also be written by code: the list suggests, it does not forbid.
            rule = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=key != "unit")
        else:
            continue
        rule.error = f"请从下拉列表中选择“{fields.label_of(key)}”"
        rule.errorTitle = "输入有误"
        letter = get_column_letter(col)
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)


def _guide(book: Any, kind: str, choices: dict[str, list[str]]) -> None:
    """The 填写说明 sheet: each column's rule and allowed values, then general notes."""
    from openpyxl.styles import Alignment, Font

    guide = book.create_sheet(GUIDE_SHEET, 1)
    guide.append(["列名", "是否必填", "填写规则", "可选值"])
    for spec in RECORDS[kind].excel_fields:
        required = "仅供参考" if spec.reference else ("必填" if spec.required else "选填")
        guide.append([column_label(kind, spec.key), required, spec.rule, "、".join(choices.get(spec.key, []))])
    guide.append([])
    for note in NOTES:
        guide.append([note])
    for name, width in zip("ABCD", (18, 10, 60, 60), strict=True):
        guide.column_dimensions[name].width = width
    for row in guide.iter_rows(min_row=1, max_row=len(template_columns(kind)) + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(bold=cell.row == 1)


@door.public
def template(kind: str, *, con: Connection | None = None, round_id: int | None = None) -> bytes:
    """An .xlsx import template: the header row, dropdowns, a 填写说明 sheet; optionally prefilled.

    With `con`, the units in scope, categories and rounds become dropdown values; for the
    rectification ledger with `round_id`, one row per finding of that round without an item.

    Raises:
        InvalidInput: unknown kind, or a round asked for without a connection or for findings.
        NotFound: no such round.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    fields_of(kind)
    if round_id is not None and (con is None or kind != "rectification"):
        raise InvalidInput.one("round", "只有整改台账模板可以按巡察轮次预填，且需要打开数据库")
    keys = template_columns(kind)
    office = _office_choices(con, kind) if con is not None else {}
    static = _static_choices(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = KINDS[kind]
    sheet.append([column_label(kind, k) for k in keys])
    sheet.freeze_panes = "A2"
    for col, key in enumerate(keys, start=1):
        spec = RECORDS[kind].field(key)
        cell = sheet.cell(row=1, column=col)
        cell.font = Font(bold=True, color="808080" if spec.reference else "000000")
        cell.fill = PatternFill("solid", fgColor="EEEEEE" if spec.reference else "DDEBF7")
        sheet.column_dimensions[get_column_letter(col)].width = 40 if spec.kind == "textarea" else 16
    if con is not None and round_id is not None:
        for row in _prefill(con, round_id):
            sheet.append([row.get(k) for k in keys])
    _dropdowns(book, sheet, kind, static, office)
    _guide(book, kind, {**office, **static})
    for ws in book.worksheets:  # office values (descriptions, category names) fill these sheets
        for row in ws.iter_rows():
            for cell in row:
                if formula_like(cell.value):
                    cell.data_type = "s"  # never a formula: the cell holds what someone typed
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_blank(folder: str | Path) -> list[Path]:
    """Write the blank import templates (no office data) into `folder`, as `data/templates/` keeps them."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in RECORDS:
        path = target / f"{kind}.xlsx"
        path.write_bytes(template(kind))
        written.append(path)
    return written
