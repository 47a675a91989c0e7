"""留痕: an append-only, hash-chained log of every change.

Each row's hash covers its own fields and the previous row's hash, so editing or
deleting any row breaks the chain from that row on, and `kit.audit.verify` finds it.
This module only writes; reading the log back (the chain, a record's history) is kit.audit's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from kit.connection import Connection

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


def _encoded(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
    payload = _encoded(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _chain(
    con: Connection, head: str, keys: Sequence[str], befores: Sequence[str], afters: Sequence[str]
) -> tuple[list[int], list[str], list[str]]:
    """Sequence numbers, previous hashes and hashes of new entries that follow the trace's tail.

    `head` is the encoded actor, action and table they share; `keys`, `befores` and
    `afters` are already encoded as they stand in the hashed payload, so that only
    the chaining itself is left: it gives exactly `row_hash` of each entry.
    """
    if con.trace_tail is None:
        last = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1")
        con.trace_tail = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    seq, prev = con.trace_tail
    when = _encoded(con.now.isoformat())
    seqs, prevs, hashes = [], [], []
    for key, before, after in zip(keys, befores, afters, strict=True):
        seq += 1
        payload = f'[{seq},{when},{head},{key},{before},{after},"{prev}"]'
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        seqs.append(seq)
        prevs.append(prev)
        hashes.append(digest)
        prev = digest
    if seqs:
        con.trace_tail = (seq, prev)
    return seqs, prevs, hashes


def state(con: Connection, sql_by_table: Mapping[str, str], table: str, key: str) -> dict[str, Any] | None:
    """One record as the trace keeps it: the row `_key = key` of the table's state query (None if none).

    `sql_by_table` is an area's `STATE_SQL`: per table, a query giving every record with its `_key`.
    """
    rows = con.records(f"SELECT * EXCLUDE (_key) FROM ({sql_by_table[table]}) WHERE _key = ?", [key])
    return rows[0] if rows else None


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


def _append(
    con: Connection,
    *,
    action: str,
    table: str,
    keys: list[str],
    afters: list[str | None],
    befores: list[str | None] | None = None,
    encoded_keys: list[str] | None = None,
    encoded_afters: list[str] | None = None,
) -> None:
    """Append one entry per key in order, in one bulk insert; states are canonical JSON already.

    `befores` None: none of the records existed before. The encoded forms, when given,
    were made ahead (see Batch) so that only the chaining is left to do here.
    """
    head = f"{_encoded(con.actor)},{_encoded(action)},{_encoded(table)}"
    n = len(keys)
    seqs, prevs, hashes = _chain(
        con,
        head,
        encoded_keys if encoded_keys is not None else [_encoded(k) for k in keys],
        ["null"] * n if befores is None else [_encoded(b) for b in befores],
        encoded_afters if encoded_afters is not None else [_encoded(a) for a in afters],
    )
    rows = pa.table(
        {
            "seq": pa.array(seqs, pa.int64()),
            "logged_at": pa.array([con.now] * n, pa.timestamp("us")),
            "actor": pa.array([con.actor] * n, pa.string()),
            "action": pa.array([action] * n, pa.string()),
            "table_name": pa.array([table] * n, pa.string()),
            "row_key": pa.array(keys, pa.string()),
            "before_json": pa.array(befores, pa.string()) if befores is not None else pa.nulls(n, pa.string()),
            "after_json": pa.array(afters, pa.string()),
            "prev_hash": pa.array(prevs, pa.string()),
            "hash": pa.array(hashes, pa.string()),
        }
    )
    con.insert_columns("trace_log", rows)


def record_many(con: Connection, *, action: str, table: str, entries: Sequence[tuple[str, Any, Any]]) -> None:
    """Append one entry per (key, before, after) in order, in one bulk insert (for imports)."""
    if not con.writable:
        raise RuntimeError("trace.record_many needs a write connection")
    if not entries:
        return
    _append(
        con,
        action=action,
        table=table,
        keys=[key for key, _, _ in entries],
        befores=[to_json(before) for _, before, _ in entries],
        afters=[to_json(after) for _, _, after in entries],
    )


@dataclass(frozen=True)
class Batch:
    """New rows of one table with their ids, and the state the trace will record for each.

    Made without the database (`batch`), so that a large import does its heavy work
    outside the write turn; inside it, `insert_batch` only chains and inserts.
    """

    table: str
    action: str
    rows: pa.Table  # "id" first
    afters: list[str]
    keys: list[str]
    encoded_keys: list[str]  # each key and state as it stands in its entry's hashed payload
    encoded_afters: list[str]

    @property
    def ids(self) -> list[int]:
        return [int(i) for i in self.rows.column("id").to_pylist()]

    def column(self, name: str) -> list[Any]:
        return list(self.rows.column(name).to_pylist())

    def only(self, positions: Sequence[int]) -> Batch:
        """The same batch with only the rows at `positions` (their ids stay theirs)."""
        return Batch(
            self.table,
            self.action,
            self.rows.take(pa.array(positions, pa.int64())),
            [self.afters[p] for p in positions],
            [self.keys[p] for p in positions],
            [self.encoded_keys[p] for p in positions],
            [self.encoded_afters[p] for p in positions],
        )


def reserve_ids(con: Connection, sequence: str, count: int) -> int:
    """Take `count` ids from `sequence` (which comes from code, never from input); returns the first.

    Ids taken by an import refused later are skipped, never reused.
    """
    first = int(con.scalar(f"SELECT nextval('{sequence}')"))
    if count > 1:  # take the sequence past the ids used here
        con.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [count - 1])
    return first


def batch(*, table: str, action: str, columns: Mapping[str, Sequence[Any]], first_id: int) -> Batch:
    """The rows given column by column, numbered from `first_id`, each with its state for the trace."""
    count = len(next(iter(columns.values()), ()))
    ids = list(range(first_id, first_id + count))
    rows: dict[str, list[Any]] = {"id": ids, **{name: list(values) for name, values in columns.items()}}
    names = list(rows)
    afters = [to_json(dict(zip(names, values, strict=True))) or "" for values in zip(*rows.values(), strict=True)]
    keys = [str(i) for i in ids]
    return Batch(
        table, action, pa.table(rows), afters, keys, [_encoded(k) for k in keys], [_encoded(a) for a in afters]
    )


def insert_batch(con: Connection, prepared: Batch) -> list[int]:
    """Insert a prepared batch and trace each row's full state (`table` comes from code, never from input)."""
    if not con.writable:
        raise RuntimeError("trace.insert_batch needs a write connection")
    if not prepared.afters:
        return []
    con.insert_columns(prepared.table, prepared.rows)
    _append(
        con,
        action=prepared.action,
        table=prepared.table,
        keys=prepared.keys,
        afters=list(prepared.afters),
        encoded_keys=prepared.encoded_keys,
        encoded_afters=prepared.encoded_afters,
    )
    return prepared.ids


def insert_many(
    con: Connection, *, table: str, sequence: str, columns: Mapping[str, Sequence[Any]], action: str
) -> list[int]:
    """Insert new rows given column by column, with ids from `sequence`; each row's full state is traced.

    `table` and `sequence` come from code, never from input; returns the new ids in order.
    """
    count = len(next(iter(columns.values()), ()))
    if not count:
        return []
    first = reserve_ids(con, sequence, count)
    return insert_batch(con, batch(table=table, action=action, columns=columns, first_id=first))
