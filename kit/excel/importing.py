"""Importing rows: checked by the forms' own functions, written all or none (or the good ones only)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kit import access, db, door, inspections, rectification, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.excel.common import (
    KINDS,
    PROGRESS_EVERY,
    REASON_LABEL,
    ROW_LABEL,
    WHOLE_ROW,
    ImportResult,
    Progress,
    RowError,
    fields_of,
)
from kit.excel.exporting import export_rows
from kit.excel.reading import read_workbook
from kit.excel.templates import column_label, template_columns


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
    fields = fields_of(kind)
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
    fields_of(kind)
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
    fields_of(kind)
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
    fields_of(kind)
    with db.read(path) as con:  # who may import at all, before anything of the file is read
        access.require(con, access.ENTER, what=f"导入{KINDS[kind]}")
    rows = read_workbook(data, kind)
    return import_parsed(rows, kind, path=path, good_only=good_only, progress=progress)


def _rejects(kind: str, bad: Sequence[tuple[Mapping[str, Any], list[RowError]]]) -> bytes:
    """The rejected rows as they were read, with their row number and 错误原因, re-importable once corrected."""
    keys = template_columns(kind)
    columns = {"_row": ROW_LABEL, **{k: column_label(kind, k) for k in keys}, "_reason": REASON_LABEL}
    rows = [{**raw, "_reason": "；".join(f"〔{e.label}〕{e.message}" for e in errs)} for raw, errs in bad]
    return export_rows(rows, columns, sheet=KINDS[kind])
