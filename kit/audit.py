"""Reading the 留痕 back: the whole chain checked link by link, and one record's history.

Above kit.access (both reads are checked there); kit.trace below writes the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kit import access, door
from kit.db import Connection
from kit.trace import GENESIS, row_hash

_BATCH = 5000  # rows read at a time


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
    """Every entry for one record, oldest first, with before/after decoded and the actor's 姓名.

    A record of a unit (`unit_id`) may be read by whoever sees that unit; any other
    record only by an administrator of all units (the trace holds every unit's data).

    Raises:
        PermissionDenied: the user may not read this record's history.
    """
    if unit_id is None:
        access.require_all_units(con, access.ADMIN, what="查看留痕")
    else:
        access.require(con, access.READ, unit_id=unit_id, what="查看修改记录")
    rows = con.records(
        "SELECT t.seq, t.logged_at, t.actor, coalesce(u.display_name, t.actor) AS actor_name, t.action,"
        " t.before_json, t.after_json FROM trace_log t LEFT JOIN users u ON u.name = t.actor"
        " WHERE t.table_name = ? AND t.row_key = ? ORDER BY t.seq",
        [table, key],
    )
    for row in rows:
        before, after = row.pop("before_json"), row.pop("after_json")
        row["before"] = json.loads(before) if before else None
        row["after"] = json.loads(after) if after else None
    return rows
