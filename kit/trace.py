"""留痕: an append-only, hash-chained log of every change.

Each row's hash covers its own fields and the previous row's hash, so editing or
deleting any row breaks the chain from that row on, and `verify` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kit import door
from kit.db import Connection

GENESIS = "0" * 64
_BATCH = 5000


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the trace")


def to_json(value: Mapping[str, Any] | None) -> str | None:
    """Canonical JSON for a row state: sorted keys, exact decimals, ISO dates."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


def row_hash(
    seq: int,
    logged_at: datetime,
    actor: str,
    action: str,
    table: str,
    key: str,
    before: str | None,
    after: str | None,
    prev_hash: str,
) -> str:
    fields = [seq, logged_at.isoformat(), actor, action, table, key, before, after, prev_hash]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    con: Connection,
    *,
    action: str,
    table: str,
    key: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> int:
    """Append one entry for a change made in this transaction; returns its sequence number."""
    if not con.writable:
        raise RuntimeError("trace.record needs a write connection")
    if con.trace_tail is None:
        last = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1")
        con.trace_tail = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    prev_seq, prev_hash = con.trace_tail
    seq = prev_seq + 1
    before_json, after_json = to_json(before), to_json(after)
    digest = row_hash(seq, con.now, con.actor, action, table, key, before_json, after_json, prev_hash)
    con.execute(
        "INSERT INTO trace_log (seq, logged_at, actor, action, table_name, row_key,"
        " before_json, after_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, con.now, con.actor, action, table, key, before_json, after_json, prev_hash, digest],
    )
    con.trace_tail = (seq, digest)
    return seq


def record_many(con: Connection, *, action: str, table: str, entries: Sequence[tuple[str, Any, Any]]) -> None:
    """Append one entry per (key, before, after) in order, in one bulk insert (for imports)."""
    if not con.writable:
        raise RuntimeError("trace.record_many needs a write connection")
    if not entries:
        return
    if con.trace_tail is None:
        last = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1")
        con.trace_tail = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    seq, prev_hash = con.trace_tail
    columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    for key, before, after in entries:
        seq += 1
        before_json, after_json = to_json(before), to_json(after)
        digest = row_hash(seq, con.now, con.actor, action, table, key, before_json, after_json, prev_hash)
        for name, value in zip(
            _COLUMNS,
            (seq, con.now, con.actor, action, table, key, before_json, after_json, prev_hash, digest),
            strict=True,
        ):
            columns[name].append(value)
        prev_hash = digest
    con.insert_columns("trace_log", columns)
    con.trace_tail = (seq, prev_hash)


def insert_many(
    con: Connection, *, table: str, sequence: str, columns: Mapping[str, Sequence[Any]], action: str
) -> list[int]:
    """Insert new rows given column by column, with ids from `sequence`; each row's full state is traced.

    `table` and `sequence` come from code, never from input; returns the new ids in order.
    """
    count = len(next(iter(columns.values()), ()))
    if not count:
        return []
    first = int(con.scalar(f"SELECT nextval('{sequence}')"))
    if count > 1:  # take the sequence past the ids used here
        con.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [count - 1])
    rows = {"id": list(range(first, first + count)), **{name: list(values) for name, values in columns.items()}}
    con.insert_columns(table, rows)
    entries = [(str(ident), None, {name: rows[name][i] for name in rows}) for i, ident in enumerate(rows["id"])]
    record_many(con, action=action, table=table, entries=entries)
    return rows["id"]


_COLUMNS = (
    "seq",
    "logged_at",
    "actor",
    "action",
    "table_name",
    "row_key",
    "before_json",
    "after_json",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class ChainReport:
    """What `verify` found: rows checked and, if broken, the first bad row and why."""

    rows: int
    first_broken: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


@door.public
def verify(con: Connection) -> ChainReport:
    """Walk the whole log in order and recompute every link.

    Raises:
        PermissionDenied: the user is not an administrator of all units.
    """
    from kit import access  # access records through this module

    access.require_all_units(con, access.ADMIN, what="检查留痕")
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    cursor = con.execute(
        "SELECT seq, logged_at, actor, action, table_name, row_key, before_json, after_json,"
        " prev_hash, hash FROM trace_log ORDER BY seq"
    )
    while rows := cursor.fetchmany(_BATCH):
        for seq, logged_at, actor, action, table, key, before, after, prev, digest in rows:
            if seq != expected_seq:
                return ChainReport(checked, expected_seq, f"缺少第 {expected_seq} 条记录（下一条为第 {seq} 条）")
            if prev != prev_hash:
                return ChainReport(checked, seq, f"第 {seq} 条记录与上一条的链接不符")
            if row_hash(seq, logged_at, actor, action, table, key, before, after, prev) != digest:
                return ChainReport(checked, seq, f"第 {seq} 条记录的内容与其哈希不符（已被改动）")
            prev_hash, expected_seq, checked = digest, seq + 1, checked + 1
    return ChainReport(checked)


@door.public
def history(con: Connection, *, table: str, key: str, unit_id: int | None = None) -> list[dict[str, Any]]:
    """Every entry for one record, oldest first, with before/after decoded.

    A record of a unit (`unit_id`) may be read by whoever sees that unit; any other
    record only by an administrator of all units (the trace holds every unit's data).

    Raises:
        PermissionDenied: the user may not read this record's history.
    """
    from kit import access  # access records through this module

    if unit_id is None:
        access.require_all_units(con, access.ADMIN, what="查看留痕")
    else:
        access.require(con, access.READ, unit_id=unit_id, what="查看修改记录")
    rows = con.records(
        "SELECT seq, logged_at, actor, action, before_json, after_json FROM trace_log"
        " WHERE table_name = ? AND row_key = ? ORDER BY seq",
        [table, key],
    )
    for row in rows:
        before, after = row.pop("before_json"), row.pop("after_json")
        row["before"] = json.loads(before) if before else None
        row["after"] = json.loads(after) if after else None
    return rows
