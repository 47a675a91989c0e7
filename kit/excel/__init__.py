"""Excel ledgers (台账): templates, import through the forms' own validators, export of any table.

An import reads the workbook first (python-calamine, outside the database lock, in a
child process under a memory cap: `xlsx_parse`), then checks every row with the same
function a form uses (`inspections.check_finding`, `rectification.check_item`) against
look-ups read once, and writes the good rows in one bulk insert with their trace.
Either every row goes in or none does; with `good_only` exactly the good rows go in
and the bad ones come back as a workbook with a 错误原因 column, ready to be corrected
and imported again.

The package works over the record declarations (`kit.fields`), one module per task, each
importing only those above it in this list: `common` (the record types carried, marks and
labels, row errors, results), `reading`, `exporting`, `templates`, `importing`. Callers use
the names re-exported here (`excel.template`, `excel.import_file`).
"""

from __future__ import annotations

from kit.excel.common import (
    CHOICES_SHEET,
    ERROR_LIST,
    EXPORTS,
    GUIDE_SHEET,
    HEADER_SCAN_ROWS,
    KINDS,
    MAX_BYTES,
    NOTES,
    NUMBER_LABEL,
    PROGRESS_EVERY,
    REASON_LABEL,
    RECORDS,
    REQUIRED_MARK,
    ROW_LABEL,
    WHOLE_ROW,
    ImportResult,
    Progress,
    RowError,
    error_rows,
    fields_of,
    read_labels,
    reference_labels,
    required_keys,
)
from kit.excel.exporting import CLUE_COLUMNS, OVERVIEW_COLUMNS, export, export_rows, formula_like
from kit.excel.importing import import_file, import_parsed, import_rows
from kit.excel.reading import read_workbook
from kit.excel.templates import column_label, template, template_columns

__all__ = [
    "CHOICES_SHEET",
    "CLUE_COLUMNS",
    "ERROR_LIST",
    "EXPORTS",
    "GUIDE_SHEET",
    "HEADER_SCAN_ROWS",
    "KINDS",
    "MAX_BYTES",
    "NOTES",
    "NUMBER_LABEL",
    "OVERVIEW_COLUMNS",
    "PROGRESS_EVERY",
    "REASON_LABEL",
    "RECORDS",
    "REQUIRED_MARK",
    "ROW_LABEL",
    "WHOLE_ROW",
    "ImportResult",
    "Progress",
    "RowError",
    "column_label",
    "error_rows",
    "export",
    "export_rows",
    "fields_of",
    "formula_like",
    "import_file",
    "import_parsed",
    "import_rows",
    "read_labels",
    "read_workbook",
    "reference_labels",
    "required_keys",
    "template",
    "template_columns",
]
