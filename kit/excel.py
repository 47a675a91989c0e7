"""Excel ledgers (台账): templates, import through the forms' own validators, export of any table.

An import reads the workbook first (python-calamine, outside the database lock, in a
child process under a memory cap: `xlsx_parse`), then checks every row with the same
function a form uses (`inspections.check_finding`, `rectification.check_item`) against
look-ups read once, and writes the good rows in one bulk insert with their trace.
Either every row goes in or none does; with `good_only` exactly the good rows go in
and the bad ones come back as a workbook with a 错误原因 column, ready to be corrected
and imported again.
"""

from __future__ import annotations

import contextlib
import io
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kit import access, db, door, inspections, rectification, registry, trace, validate, xlsx_guard, xlsx_parse
from kit.db import Connection
from kit.errors import InvalidInput
from kit.fields import Record

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


def _read(kind: str) -> dict[str, str]:
    """Key → label of the columns an import reads and stores."""
    return {f.key: f.label for f in RECORDS[kind].excel_fields if not f.reference}


def _reference(kind: str) -> dict[str, str]:
    """Key → label of the columns a template shows for reference (an import reads past them)."""
    return {f.key: f.label for f in RECORDS[kind].excel_fields if f.reference}


def _required(kind: str) -> tuple[str, ...]:
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


def _fields(kind: str) -> dict[str, str]:
    if kind not in RECORDS:
        raise InvalidInput.one("kind", f"导入类型必须是以下之一：{'、'.join(KINDS.values())}")
    return _read(kind)


# --- reading -----------------------------------------------------------------------------------


def _norm(text: Any) -> str:
    """A header as written: full-width signs folded, spaces and the required mark dropped."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).strip("*")


def _data_rows(grid: list[list[Any]], start: int, columns: dict[int, str]) -> list[dict[str, Any]]:
    """Rows below the header as the validators take them: empty cells as None, whole floats as
    int, booleans as 是/否; rows with nothing in them left out. Written for speed (100,000 rows)."""
    items = list(columns.items())
    width = max(columns) + 1
    out: list[dict[str, Any]] = []
    for number, row in enumerate(grid[start:], start=start + 1):
        if len(row) < width:
            row = [*row, *[""] * (width - len(row))]
        values: dict[str, Any] = {}
        filled = False
        for col, key in items:
            value = row[col]
            kind = type(value)
            if kind is str:
                if not value or value.isspace():
                    value = None
                else:
                    filled = True
            elif kind is float:
                filled = True
                if value.is_integer():
                    value = int(value)
            elif kind is bool:
                filled = True
                value = "是" if value else "否"
            elif value is not None:
                filled = True
            values[key] = value
        if filled:
            values["_row"] = number
            out.append(values)
    return out


def _sheet_rows(data: bytes, kind: str) -> list[list[Any]]:
    """The ledger's sheet (by its name, else the first that is not ours) as a grid from A1,
    built by python-calamine in a child process under a memory cap (`xlsx_parse`)."""
    return xlsx_parse.sheet_rows(data, KINDS[kind], (GUIDE_SHEET, CHOICES_SHEET))


def _header(rows: list[list[Any]], kind: str) -> tuple[int, dict[int, str]]:
    """The header row's index and column → key, found by the Chinese labels."""
    fields, context, required = _read(kind), _reference(kind), _required(kind)
    known = {_norm(label): key for key, label in {**fields, **context}.items()}
    ignored = {_norm(ROW_LABEL), _norm(REASON_LABEL), NUMBER_LABEL}
    best = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = sum(_norm(v) in known for v in row if isinstance(v, str))
        if hits >= 2 and (best is None or hits > best[1]):
            best = (index, hits)
    if best is None:
        sample = "、".join(f"“{fields[k]}”" for k in required[:3])
        raise InvalidInput.one(
            "file", f"前 {HEADER_SCAN_ROWS} 行中找不到{KINDS[kind]}的表头（如 {sample}）。请使用导入模板填写。"
        )
    index = best[0]
    columns: dict[int, str] = {}
    unknown, repeated = [], []
    for col, value in enumerate(rows[index]):
        text = _norm(value) if value not in (None, "") else ""
        if not text or text in ignored:
            continue
        key = known.get(text)
        if key is None:
            unknown.append(f"“{str(value).strip()[:20]}”")
        elif key in columns.values():
            repeated.append(f"“{fields.get(key) or context[key]}”")
        else:
            columns[col] = key
    missing = [f"“{fields[k]}”" for k in required if k not in columns.values()]
    problems = []
    if missing:
        problems.append(f"缺少必填列 {'、'.join(missing)}")
    if unknown:
        problems.append(f"有无法识别的列 {'、'.join(unknown)}（可用的列：{'、'.join(fields.values())}）")
    if repeated:
        problems.append(f"列 {'、'.join(repeated)} 出现了不止一次")
    if problems:
        raise InvalidInput.one("file", f"第 {index + 1} 行表头有误：" + "；".join(problems) + "。")
    return index, columns


def read_workbook(data: bytes, kind: str) -> list[dict[str, Any]]:
    """The data rows of an .xlsx ledger as {field key: cell value, "_row": Excel row number}.

    The header row is found by its Chinese labels (a title above it is allowed); entirely
    empty rows are skipped. Values are raw: the validators parse them.

    Raises:
        InvalidInput: too big, not an .xlsx, unreadable, too big to parse within the memory cap or
            the time allowed (`xlsx_parse`), headers unknown or missing, or no data rows.
    """
    _fields(kind)
    xlsx_guard.check(data)
    grid = _sheet_rows(data, kind)
    index, columns = _header(grid, kind)
    out = _data_rows(grid, index + 1, columns)
    if not out:
        raise InvalidInput.one("file", f"表头（第 {index + 1} 行）以下没有数据行。")
    return out


# --- importing ---------------------------------------------------------------------------------


def _parsed_ids(rows: Sequence[Mapping[str, Any]]) -> set[int] | None:
    """The 问题编号 of a ledger, parsed as the checker will (bad ones it reports); None for all."""
    # Past a few thousand rows, reading every finding once is cheaper than a long list filter.
    if len(rows) > 5000:
        return None
    ids: set[int] = set()
    for row in rows:
        with contextlib.suppress(InvalidInput):
            ids.add(validate.ident(row.get("finding"), field="finding", label="问题编号"))
    return ids


def _checker(con: Connection, kind: str, rows: Sequence[Mapping[str, Any]]) -> Callable[[Mapping[str, Any]], Any]:
    if kind == "findings":
        found = inspections.finding_context(con)
        return lambda raw: inspections.check_finding(raw, found)
    items = rectification.item_context(con, _parsed_ids(rows))
    return lambda raw: rectification.check_item(raw, items)


def _key(kind: str, values: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two rows the same record: a unit's problem on a day, or a problem's measure."""
    if kind == "findings":
        return (values["unit_id"], values["found_on"], values["description"])
    return (values["finding_id"], values["measure"])


# Each kind's table and the columns of `_key`, in its order.
_KEYS = {
    "findings": ("findings", "unit_id, found_on, description"),
    "rectification": ("rectification_items", "finding_id, measure"),
}


def _existing(con: Connection, kind: str, keys: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    """Records already stored with one of `keys` (an import run twice must not double the ledger)."""
    firsts = {k[0] for k in keys}
    if not firsts:
        return {}
    # A range, not the list of ids: binding 100,000 ids costs more than reading a few rows too many.
    table, columns = _KEYS[kind]
    first = columns.split(",")[0]
    # A voided record (作废) may be entered again.
    sql = f"SELECT {columns}, min(id) FROM {table} WHERE {first} BETWEEN ? AND ? AND voided_at IS NULL GROUP BY ALL"
    return {tuple(r[:-1]): int(r[-1]) for r in con.all(sql, [min(firsts), max(firsts)])}


def _newest_id(con: Connection, kind: str) -> int:
    table, _ = _KEYS[kind]
    return int(con.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))


def _saved_meanwhile(
    con: Connection, kind: str, rows: Sequence[Mapping[str, Any]], checked: Mapping[int, Mapping[str, Any]], since: int
) -> dict[int, list[RowError]]:
    """Row errors for checked rows whose record someone else stored after id `since` (after they were checked).

    Writers take turns and their ids come from one sequence, so whatever was stored
    after a check has a higher id than any record the check could see.
    """
    table, columns = _KEYS[kind]
    sql = f"SELECT {columns}, min(id) FROM {table} WHERE id > ? AND voided_at IS NULL GROUP BY ALL"
    stored = {tuple(r[:-1]): int(r[-1]) for r in con.all(sql, [since])}
    if not stored:
        return {}
    return {
        i: [_stored_error(kind, int(rows[i].get("_row", i + 1)), stored[_key(kind, values)])]
        for i, values in checked.items()
        if _key(kind, values) in stored
    }


def _check_rows(
    con: Connection, kind: str, rows: Sequence[Mapping[str, Any]], progress: Progress | None
) -> tuple[dict[int, dict[str, Any]], dict[int, list[RowError]]]:
    """Every row checked: parsed values of the good ones and errors of the others, by row index."""
    fields = _fields(kind)
    check = _checker(con, kind, rows)
    good: dict[int, dict[str, Any]] = {}
    errors: dict[int, list[RowError]] = {}
    first_seen: dict[tuple[Any, ...], int] = {}
    numbers = [int(raw.get("_row", index + 1)) for index, raw in enumerate(rows)]
    for index, raw in enumerate(rows):
        if progress and index and index % PROGRESS_EVERY == 0:
            progress(index, len(rows))
        try:
            values = check(raw)
        except InvalidInput as e:
            errors[index] = [RowError(numbers[index], f, fields.get(f, f), m) for f, m in e.errors.items()]
            continue
        key = _key(kind, values)
        if key in first_seen:
            errors[index] = [RowError(numbers[index], "row", WHOLE_ROW, f"与第 {first_seen[key]} 行重复")]
            continue
        first_seen[key] = numbers[index]
        good[index] = values
    stored = _existing(con, kind, first_seen)
    for index in [i for i, values in good.items() if _key(kind, values) in stored]:
        errors[index] = [_stored_error(kind, numbers[index], stored[_key(kind, good.pop(index))])]
    return good, errors


_BUILD = {"findings": inspections.findings_batch, "rectification": rectification.items_batch}
_STORE = {"findings": inspections.store_findings, "rectification": rectification.store_items}
_SEQUENCE = {"findings": inspections.FINDINGS_SEQUENCE, "rectification": rectification.ITEMS_SEQUENCE}


def _result(
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    good: Mapping[int, Mapping[str, Any]],
    errors: Mapping[int, list[RowError]],
    good_only: bool,
) -> tuple[ImportResult, list[int]]:
    """What will be imported (row indexes) and the result so far: all or nothing unless `good_only`."""
    result = ImportResult(kind, len(rows), errors=[e for i in sorted(errors) for e in errors[i]])
    keep = sorted(good) if good_only or not errors else []
    if errors and good_only:
        result.rejects = _rejects(kind, [(rows[i], errors[i]) for i in sorted(errors)])
    return result, keep


@door.public
def import_rows(
    con: Connection,
    kind: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    good_only: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row with the forms' validator and write them in bulk, all or none (or the good ones),
    in the transaction of `con`.

    Rows are those of `read_workbook` (without "_row", a row is numbered by its place from 1).
    A row repeating an earlier row, or a record already stored, is an error too.
    `progress(done, total)` is called every 1000 rows checked and with (total, total) at the end.
    `import_parsed` does the same with the write turn held only while writing.

    Raises:
        InvalidInput: unknown kind.
        PermissionDenied: the user is not a 录入员 (units outside the scope are row errors).
    """
    _fields(kind)
    action = f"导入{KINDS[kind]}"
    access.require(con, access.ENTER, what=action)
    good, errors = _check_rows(con, kind, rows, progress)
    result, keep = _result(kind, rows, good, errors, good_only)
    if keep:
        first = trace.reserve_ids(con, _SEQUENCE[kind], len(keep))
        prepared = _BUILD[kind]([good[i] for i in keep], actor=con.actor, now=con.now, first_id=first, action=action)
        result.imported = _STORE[kind](con, prepared)
    if progress:
        progress(len(rows), len(rows))
    return result


@door.action("path")
def import_parsed(
    rows: Sequence[Mapping[str, Any]],
    kind: str,
    *,
    path: str | Path | None = None,
    good_only: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """`import_rows` on the database at `path`, holding other writers up only while it writes.

    Every row is checked in a read of the file, which keeps no one waiting; ids are
    taken, and each record's state for the trace is made, with no lock held; the one
    write transaction then checks again only what others may have saved meanwhile
    (the same record again: such rows become errors too) and inserts. A large import
    so holds the write turn for the inserts alone (benchmarks/service.py).

    Raises:
        InvalidInput: unknown kind.
        PermissionDenied: the user is not a 录入员.
        Busy: the file stayed locked.
    """
    _fields(kind)
    action = f"导入{KINDS[kind]}"
    with db.read(path) as con:
        access.require(con, access.ENTER, what=action)
        good, errors = _check_rows(con, kind, rows, progress)
        actor, now, since = con.actor, con.now, _newest_id(con, kind)
    result, keep = _result(kind, rows, good, errors, good_only)
    if keep:
        with db.write(path, action=f"{action}（编号）") as con:
            first = trace.reserve_ids(con, _SEQUENCE[kind], len(keep))
        prepared = _BUILD[kind]([good[i] for i in keep], actor=actor, now=now, first_id=first, action=action)
        with db.write(path, action=action) as con:
            late = _saved_meanwhile(con, kind, rows, {i: good[i] for i in keep}, since)
            if late:
                kept = keep
                result, keep = _result(
                    kind, rows, {i: v for i, v in good.items() if i not in late}, {**errors, **late}, good_only
                )
                keeping = set(keep)
                prepared = prepared.only([n for n, i in enumerate(kept) if i in keeping])
            if keep:
                result.imported = _STORE[kind](con, prepared)
    if progress:
        progress(len(rows), len(rows))
    return result


def _stored_error(kind: str, row: int, ident: int) -> RowError:
    what = "发现问题" if kind == "findings" else "整改事项"
    return RowError(row, "row", WHOLE_ROW, f"与已录入的{what}（编号 {ident}）重复")


def import_file(
    data: bytes,
    kind: str,
    *,
    path: str | Path | None = None,
    good_only: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an .xlsx ledger into the database at `path`: the user's role checked, the file
    read here, then `import_parsed`.

    Raises:
        InvalidInput: the file itself is refused (size, format, memory or time its parsing
            took, headers, no rows): nothing is written.
        PermissionDenied: the user is not a 录入员.
        Busy: the database stayed locked.
    """
    _fields(kind)
    with db.read(path) as con:  # who may import at all, before anything of the file is read
        access.require(con, access.ENTER, what=f"导入{KINDS[kind]}")
    rows = read_workbook(data, kind)
    return import_parsed(rows, kind, path=path, good_only=good_only, progress=progress)


def _rejects(kind: str, bad: Sequence[tuple[Mapping[str, Any], list[RowError]]]) -> bytes:
    """The rejected rows as they were read, with their row number and 错误原因, re-importable once corrected."""
    keys = _columns(kind)
    columns = {"_row": ROW_LABEL, **{k: _label(kind, k) for k in keys}, "_reason": REASON_LABEL}
    rows = [{**raw, "_reason": "；".join(f"〔{e.label}〕{e.message}" for e in errs)} for raw, errs in bad]
    return export_rows(rows, columns, sheet=KINDS[kind])


# --- templates ---------------------------------------------------------------------------------


def _columns(kind: str) -> list[str]:
    """Keys of a template's columns, in the declaration's order (reference columns included)."""
    return [f.key for f in RECORDS[kind].excel_fields]


def _label(kind: str, key: str) -> str:
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
    for col, key in enumerate(_columns(kind), start=1):
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
        guide.append([_label(kind, spec.key), required, spec.rule, "、".join(choices.get(spec.key, []))])
    guide.append([])
    for note in NOTES:
        guide.append([note])
    for name, width in zip("ABCD", (18, 10, 60, 60), strict=True):
        guide.column_dimensions[name].width = width
    for row in guide.iter_rows(min_row=1, max_row=len(_columns(kind)) + 1):
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

    _fields(kind)
    if round_id is not None and (con is None or kind != "rectification"):
        raise InvalidInput.one("round", "只有整改台账模板可以按巡察轮次预填，且需要打开数据库")
    keys = _columns(kind)
    office = _office_choices(con, kind) if con is not None else {}
    static = _static_choices(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = KINDS[kind]
    sheet.append([_label(kind, k) for k in keys])
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
                if _formula_like(cell.value):
                    cell.data_type = "s"  # never a formula: the cell holds what someone typed
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- exporting ---------------------------------------------------------------------------------

_EXCEL_TEXT_LIMIT = 32767


def _excel_value(value: Any, illegal: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(str(_excel_value(v, illegal)) for v in value if v is not None)
    if not isinstance(value, str):
        value = str(value)
    return illegal.sub("", value)[:_EXCEL_TEXT_LIMIT]


def _formula_like(value: Any) -> bool:
    """Whether openpyxl would store this text as a formula or an error value rather than as text."""
    from openpyxl.cell.cell import ERROR_CODES

    return isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES)


def _width(value: Any) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def export_rows(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str], *, sheet: str = "数据") -> bytes:
    """Any table as an .xlsx: `columns` maps row keys to Chinese headers, in order.

    Dates stay Excel dates, booleans become 是/否, lists are joined with “、”; text that
    looks like a formula stays text.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    keys = list(columns)
    widths = [_width(columns[k]) for k in keys]
    for row in rows[:200]:
        for i, key in enumerate(keys):
            if row.get(key) is not None:
                widths[i] = max(widths[i], min(_width(_excel_value(row[key], ILLEGAL_CHARACTERS_RE)), 60))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width + 2
    ws.freeze_panes = "A2"
    header = []
    for key in keys:
        cell = WriteOnlyCell(ws, value=columns[key])
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in rows:
        values = []
        for key in keys:
            value = _excel_value(row.get(key), ILLEGAL_CHARACTERS_RE)
            if _formula_like(value):
                text = WriteOnlyCell(ws, value=value)
                text.data_type = "s"  # never a formula: the cell holds what the user typed
                value = text
            values.append(value)
        ws.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CLUE_COLUMNS = {
    "id": "线索编号",
    "finding_id": "问题编号",
    "round_code": "巡察轮次",
    "unit_name": "单位",
    "description": "问题描述",
    "involves_top": "是否涉及一把手",
    "receiver_label": "移交对象",
    "transferred_on": "移交日期",
    "steps": "处置经过",
    "latest": "最新处置",
}
OVERVIEW_COLUMNS = {
    "round_code": "巡察轮次",
    "unit_name": "单位",
    "feedback": "反馈",
    "items": "整改事项",
    "closed": "已销号",
    "overdue": "逾期",
    "extended": "延期事项",
    "rate": "销号率（%）",
    "score": "评估得分",
    "grade": "评估等次",
    "top_leader": "现任一把手",
}


@door.public
def export(con: Connection, what: str, *, round_ids: Sequence[int] | None = None) -> bytes:
    """The findings, ledger, clues or per-unit overview (all rounds, or `round_ids`) as .xlsx.

    Only units in the user's scope appear.

    Raises:
        InvalidInput: unknown table.
        NotFound: no such round.
        PermissionDenied: the user cannot be identified or has no role.
    """
    if what not in EXPORTS:
        raise InvalidInput.one("what", f"导出内容必须是以下之一：{'、'.join(EXPORTS.values())}")
    rounds = None if round_ids is None else list(round_ids)
    for ident in rounds or []:
        inspections.get_round(con, ident)
    if what == "findings":
        return export_rows(
            inspections.list_findings(con, round_ids=rounds), inspections.FINDING.export, sheet=EXPORTS[what]
        )
    if what == "rectification":
        return export_rows(
            rectification.list_items(con, round_ids=rounds), rectification.ITEM.export, sheet=EXPORTS[what]
        )
    if what == "clues":
        return export_rows(inspections.list_clues(con, round_ids=rounds), CLUE_COLUMNS, sheet=EXPORTS[what])
    codes = {r["id"]: r["code"] for r in inspections.list_rounds(con)}
    units = rectification.overview(con, round_ids=rounds if rounds is not None else sorted(codes))
    for unit in units:
        unit["round_code"] = codes.get(unit["round_id"], "")
    return export_rows(units, OVERVIEW_COLUMNS, sheet=EXPORTS[what])
