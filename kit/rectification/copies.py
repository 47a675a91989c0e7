"""双向抄告: progress copied to the 分管领导 who attended the feedback, and marked read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.formats import moment
from kit.listing import Column, Filter, Listing
from kit.rectification.common import UPDATE_LABELS, traced, traced_state

READ_NAMES = {"unread": "未阅", "read": "已阅"}
# What was copied to a 分管领导, as the 抄告 tab lists it: the rows of `copies_for`, newest first.
COPY_LIST = Listing(
    columns=(
        Column("created_at", "时间", "moment", width=8.5),
        Column("unit_name", "单位", width=7),
        Column("measure", "整改事项", width=12),
        Column("kind_label", "类型", width=4),
        Column("body", "内容", width=16),
        Column("created_by_name", "报送人", width=5),
        Column("read_at", "阅知", width=10, shown="read_label"),
    ),
    sort="created_at",
    descending=True,
    filters=(
        Filter("read_state", "阅知", shown="read_name"),
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("kind", "类型", shown="kind_label"),
    ),
    search=("unit_name", "measure", "body", "created_by_name"),
    empty="没有抄告给该领导的事项。",
    row_css="read_state",
)


@door.public
def leaders_in_charge(con: Connection) -> list[dict[str, Any]]:
    """The 分管领导 who attended a feedback of a unit in the user's scope, and their unread copies
    of those units' items (a leader in charge of several counties: only the user's are counted)."""
    scope, params = access.scope_sql(con, "fb.unit_id")
    copied_scope, copied_params = access.scope_sql(con, "f.unit_id")
    return con.records(
        "SELECT p.id AS person_id, p.name, count(DISTINCT fb.unit_id) AS units,"
        " (SELECT count(*) FROM rectification_copies c JOIN rectification_updates up ON up.id = c.update_id"
        "  JOIN rectification_items i ON i.id = up.item_id JOIN findings f ON f.id = i.finding_id"
        f"  WHERE c.person_id = p.id AND c.read_at IS NULL AND up.voided_at IS NULL AND {copied_scope}) AS unread"
        " FROM feedbacks fb JOIN people p ON p.id = fb.leader_id"
        # A voided feedback's 分管领导 stays listed while copies sent to them remain to be read.
        f" WHERE {scope} AND (fb.voided_at IS NULL OR EXISTS"
        " (SELECT 1 FROM rectification_copies c JOIN rectification_updates up ON up.id = c.update_id"
        "  WHERE c.person_id = p.id AND up.voided_at IS NULL))"
        " GROUP BY p.id, p.name ORDER BY p.id",
        [*copied_params, *params],
    )


@door.public
def copies_for(con: Connection, *, person_id: Any, unread_only: bool = False) -> list[dict[str, Any]]:
    """What was copied to a 分管领导, newest first, in the user's scope; a voided step's copy leaves."""
    person = validate.ident(person_id, field="person_id", label="人员编号")
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id, c.read_at, up.kind, up.body, up.progress, up.deadline, up.created_at, up.created_by,"
        " coalesce(us.display_name, up.created_by) AS created_by_name,"
        " i.id AS item_id, i.measure, i.status, f.unit_id, u.name AS unit_name, f.description"
        " FROM rectification_copies c JOIN rectification_updates up ON up.id = c.update_id"
        " JOIN rectification_items i ON i.id = up.item_id JOIN findings f ON f.id = i.finding_id"
        " JOIN units u ON u.id = f.unit_id LEFT JOIN users us ON us.name = up.created_by"
        f" WHERE c.person_id = ? AND (NOT ? OR c.read_at IS NULL) AND up.voided_at IS NULL AND {scope}"
        " ORDER BY c.id DESC",
        [person, unread_only, *params],
    )
    for row in rows:
        row["kind_label"] = UPDATE_LABELS[row["kind"]]
        row["read_state"] = "unread" if row["read_at"] is None else "read"
        row["read_label"] = "未阅" if row["read_at"] is None else f"已阅（{moment(row['read_at'])}）"
        row["read_name"] = READ_NAMES[row["read_state"]]
    return rows


@door.public
def mark_copies_read(con: Connection, *, copy_ids: Sequence[Any]) -> int:
    """已阅: mark copies as read; returns how many changed.

    Raises:
        InvalidInput: a bad id.
        NotFound: no such copy.
        PermissionDenied: a copy's unit is outside the user's scope.
    """
    if isinstance(copy_ids, str | bytes | bytearray | memoryview | Mapping) or not isinstance(copy_ids, Iterable):
        raise InvalidInput.one("copy_ids", "“抄告编号”应为编号的列表")  # "12" would be copies 1 and 2
    ids = [validate.ident(c, field="copy_ids", label="抄告编号") for c in copy_ids]
    changed = 0
    for ident in ids:
        row = con.one(
            "SELECT f.unit_id, c.read_at FROM rectification_copies c"
            " JOIN rectification_updates up ON up.id = c.update_id"
            " JOIN rectification_items i ON i.id = up.item_id JOIN findings f ON f.id = i.finding_id WHERE c.id = ?",
            [ident],
        )
        if row is None:
            raise NotFound(f"抄告不存在（编号 {ident}）")
        access.require(con, access.READ, unit_id=int(row[0]), what="阅知抄告")
        if row[1] is None:
            before = traced_state(con, "rectification_copies", str(ident))
            con.execute("UPDATE rectification_copies SET read_at = ? WHERE id = ?", [con.now, ident])
            traced(con, "阅知抄告", "rectification_copies", str(ident), before)
            changed += 1
    return changed
