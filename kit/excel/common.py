"""What every Excel ledger shares: the record types it carries, its marks and labels, row errors and results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kit import inspections, rectification, xlsx_guard
from kit.errors import InvalidInput
from kit.fields import Record
from kit.listing import Column, Filter, Listing

MAX_BYTES = xlsx_guard.MAX_BYTES
EXPORTS = {"findings": "发现问题", "rectification": "整改台账", "clues": "问题线索", "overview": "整改情况总览"}
HEADER_SCAN_ROWS = 20
PROGRESS_EVERY = 1000
REQUIRED_MARK = "＊"
ROW_LABEL = "原行号"
NUMBER_LABEL = "序号"  # the row-number column most office ledgers start with: read past, never stored
REASON_LABEL = "错误原因"
GUIDE_SHEET = "填写说明"
CHOICES_SHEET = "可选值"
WHOLE_ROW = "整行"

# The record types that can be imported: each one's declaration gives the template's columns,
# labels, required marks, rules and dropdowns, and what an import reads.
RECORDS: dict[str, Record] = {"findings": inspections.FINDING, "rectification": rectification.ITEM}
KINDS = {kind: record.label for kind, record in RECORDS.items()}  # kind → its Chinese name (the sheet's)


def read_labels(kind: str) -> dict[str, str]:
    """Key → label of the columns an import reads and stores."""
    return {f.key: f.label for f in RECORDS[kind].excel_fields if not f.reference}


def reference_labels(kind: str) -> dict[str, str]:
    """Key → label of the columns a template shows for reference (an import reads past them)."""
    return {f.key: f.label for f in RECORDS[kind].excel_fields if f.reference}


def required_keys(kind: str) -> tuple[str, ...]:
    return tuple(f.key for f in RECORDS[kind].excel_fields if f.required)


NOTES = (
    "1. 第一张表的表头（第一行）请勿改动；带“＊”的列必须填写，其余可不填。",
    "2. 日期可以是 Excel 日期，也可以写成 2024-03-31、2024/3/31 或 2024年3月31日。",
    "3. 导入时逐行检查，规则与录入表单相同。任何一行有误，整个文件都不导入，并逐行列出错误；"
    "也可以选择只导入无误的行，有误的行连同“错误原因”另存为文件，改正后再导入。",
    "4. 单个文件不超过 30 MB；行数较多时可拆分成几个文件。",
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    """One broken rule: the Excel row, the field key, its column label, and the Chinese message."""

    row: int
    field: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 〔{self.label}〕：{self.message}"


# An import's row errors as the apps list them: the rows of `error_rows`, in the workbook's order.
ERROR_LIST = Listing(
    columns=(
        Column("row", "行", width=6, shown="row_label"),
        Column("label", "列", width=9),
        Column("message", "原因", width=36),
    ),
    sort="row",
    filters=(Filter("label", "列"),),
    search=("label", "message"),
    empty="没有错误。",
)


def error_rows(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    """Row errors as the rows of `ERROR_LIST` (numbered in their order: one row's errors stay in order)."""
    return [
        {"id": n, "row": e.row, "row_label": f"第 {e.row} 行", "label": e.label, "message": e.message}
        for n, e in enumerate(errors, 1)
    ]


@dataclass
class ImportResult:
    """What an import did: rows read, ids written, every row error, and the rejected rows as .xlsx."""

    kind: str
    total: int
    imported: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejects: bytes | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        """The Excel rows that broke a rule, in order."""
        return sorted({e.row for e in self.errors})


def fields_of(kind: str) -> dict[str, str]:
    if kind not in RECORDS:
        raise InvalidInput.one("kind", f"导入类型必须是以下之一：{'、'.join(KINDS.values())}")
    return read_labels(kind)
