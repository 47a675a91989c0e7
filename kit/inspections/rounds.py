"""巡察轮次 and the office's pools of inspectors (组长库, 副组长库, 联络员库)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import access, door, fields, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.inspections.common import POOL_LABELS, ROUND_KIND_LABELS, STATE_SQL, person_name, require_round_admin, traced
from kit.listing import Column, Filter, Listing

# A person in one of the pools of inspectors (入库).
POOL = Record(
    kind="pool",
    label="巡察人员库",
    table="inspector_pool",
    fields=(
        Field("person_id", "人员", "id", rule="已登记的人员；同一库中只入一次", required=True, width="26em"),
        Field("pool", "人员库", "choice", choices=POOL_LABELS, rule="从下拉列表中选择", required=True, width="10em"),
    ),
    excel=False,
)


def check_pool(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a pool entry (form or API) by POOL's fields.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    return fields.parse_all(POOL, raw)


@door.public
def add_to_pool(con: Connection, *, person_id: Any, pool: Any) -> None:
    """Put a registered person into the 组长库, 副组长库 or 联络员库.

    Raises:
        InvalidInput: unknown pool or person id, or already in that pool.
        NotFound: no such person.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_pool({"person_id": person_id, "pool": pool})
    person, which = parsed["person_id"], parsed["pool"]
    require_round_admin(con, "调整巡察人员库")
    person_name(con, person)
    key = f"{which}/{person}"
    if trace.state(con, STATE_SQL, "inspector_pool", key):
        raise InvalidInput.one("pool", f"该人员已在{POOL_LABELS[which]}中")
    con.execute("INSERT INTO inspector_pool VALUES (?, ?)", [person, which])
    traced(con, "入库", "inspector_pool", key, None)


@door.public
def remove_from_pool(con: Connection, *, person_id: Any, pool: Any) -> None:
    """动态调整: take a person out of a pool (groups already formed keep them).

    Raises:
        InvalidInput: bad ids, or the person is not in that pool.
        PermissionDenied: not a 录入员 over all units.
    """
    check = validate.Checker()
    person = check(validate.ident, person_id, field="person_id", label="人员编号")
    which = check(validate.choice, pool, field="pool", label="人员库", choices=POOL_LABELS)
    check.done()
    require_round_admin(con, "调整巡察人员库")
    key = f"{which}/{person}"
    before = trace.state(con, STATE_SQL, "inspector_pool", key)
    if before is None:
        raise InvalidInput.one("pool", f"该人员不在{POOL_LABELS[which]}中")
    con.execute("DELETE FROM inspector_pool WHERE person_id = ? AND pool = ?", [person, which])
    trace.record(con, action="出库", table="inspector_pool", key=key, before=before, after=None)


_POOL_RANK = {pool: rank for rank, pool in enumerate(POOL_LABELS)}
# The pools as the rounds app lists them: the rows of `list_pool`, 组长库 first.
POOL_LIST = Listing(
    columns=(
        Column("pool_rank", "人员库", width=6, shown="pool_label"),
        Column("name", "姓名", width=6),
        Column("person_id", "人员编号", "number", width=5),
    ),
    sort="pool_rank",
    filters=(Filter("pool_rank", "人员库", shown="pool_label"),),
    search=("name",),
    empty="人员库为空。",
    key="key",
)


@door.public
def list_pool(con: Connection) -> list[dict[str, Any]]:
    """Everyone in the pools, with pool labels (names only: the pools hold no unit's records)."""
    access.require(con, access.READ, what="查看巡察人员库")
    rows = con.records(
        "SELECT ip.pool, p.id AS person_id, p.name FROM inspector_pool ip JOIN people p ON p.id = ip.person_id"
        " ORDER BY CASE ip.pool WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, p.id"
    )
    for row in rows:
        row["pool_label"] = POOL_LABELS[row["pool"]]
        row["pool_rank"] = _POOL_RANK[row["pool"]]
        row["key"] = f"{row['pool']}/{row['person_id']}"
    return rows


# A round: its fields (keys = add_round's arguments). The code names it for good (the trace,
# Excel and the command line know it by its code): a correction changes the others only.
ROUND = Record(
    kind="rounds",
    label="巡察轮次",
    table="inspection_rounds",
    fields=(
        Field(
            "code",
            "轮次编号",
            rule="如 2024-1，不超过 30 字，不能与已有轮次相同",
            required=True,
            max_length=30,
            placeholder="如 2025-10",
            width="10em",
        ),
        Field(
            "name",
            "轮次名称",
            rule="如 十一届州委第八轮巡察",
            required=True,
            max_length=100,
            placeholder="如 十一届州委第十轮巡察",
        ),
        Field("kind", "巡察方式", "choice", choices=ROUND_KIND_LABELS, rule="从下拉列表中选择", required=True),
        Field(
            "start",
            "开始日期",
            "date",
            rule="日期，如 2025-03-01",
            required=True,
            placeholder="2025-03-01",
            width="10em",
        ),
        Field(
            "end",
            "结束日期",
            "date",
            rule="日期；不能早于开始日期",
            required=True,
            placeholder="2025-05-31",
            width="10em",
        ),
        Field("note", "备注", "textarea", rule="不超过 500 字", max_length=500),
    ),
    excel=False,
)


def check_round(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parse a round (form or API) into the values stored: code, name, kind, start_date, end_date, note.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    parsed = {key: fields.parse(check, ROUND, key, raw) for key in ("code", "name", "kind", "start", "end", "note")}
    if parsed["start"] and parsed["end"] and parsed["end"] < parsed["start"]:
        check.fail("end", f"“{ROUND.label_of('end')}”不能早于“{ROUND.label_of('start')}”")
    check.done()
    return {
        "code": parsed["code"],
        "name": parsed["name"],
        "kind": parsed["kind"],
        "start_date": parsed["start"],
        "end_date": parsed["end"],
        "note": parsed["note"] or None,
    }


@door.public
def add_round(con: Connection, *, code: Any, name: Any, kind: Any, start: Any, end: Any, note: Any = None) -> int:
    """Set up a round (e.g. code 2024-1, name 十四届市委第一轮巡察); returns its id.

    Raises:
        InvalidInput: a field is missing or invalid, the code is taken, or the end is before the start.
        PermissionDenied: not a 录入员 over all units.
    """
    parsed = check_round({"code": code, "name": name, "kind": kind, "start": start, "end": end, "note": note})
    code_text = parsed["code"]
    require_round_admin(con, "设置巡察轮次")
    taken = con.one("SELECT voided_at IS NOT NULL FROM inspection_rounds WHERE code = ?", [code_text])
    if taken is not None:
        voided = "（被一个已作废的轮次占用）" if taken[0] else ""
        raise InvalidInput.one("code", f"轮次编号“{code_text}”已被使用{voided}")
    new_id = int(
        con.scalar(
            "INSERT INTO inspection_rounds (code, name, kind, start_date, end_date, note)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [code_text, parsed["name"], parsed["kind"], parsed["start_date"], parsed["end_date"], parsed["note"]],
        )
    )
    traced(con, "设置巡察轮次", "inspection_rounds", code_text, None)
    return new_id


def live_round(con: Connection, round_id: int) -> dict[str, Any]:
    rows = con.records("SELECT * FROM inspection_rounds WHERE id = ? AND voided_at IS NULL", [round_id])
    if not rows:
        raise NotFound(f"巡察轮次不存在或已作废（编号 {round_id}）")
    row = rows[0]
    row["kind_label"] = ROUND_KIND_LABELS[row["kind"]]
    return row


@door.public
def get_round(con: Connection, round_id: Any) -> dict[str, Any]:
    """One round with its kind label (rounds are office-wide: any registered user may read them).

    Raises:
        InvalidInput: not an id.
        NotFound: no such round.
    """
    ident = validate.ident(round_id, field="round_id", label="轮次编号")
    access.require(con, access.READ)
    return live_round(con, ident)


@door.public
def round_id(con: Connection, code: Any) -> int:
    """The id of the round with this code.

    Raises:
        NotFound: no round has that code.
    """
    access.require(con, access.READ)
    text = validate.text(code, field="round", label="轮次编号", required=True, max_length=30)
    found = con.scalar("SELECT id FROM inspection_rounds WHERE code = ? AND voided_at IS NULL", [text])
    if found is None:
        raise NotFound(f"巡察轮次“{text}”不存在")
    return int(found)


@door.public
def list_rounds(con: Connection) -> list[dict[str, Any]]:
    """Every round, latest first, with labels and how many units each inspects."""
    access.require(con, access.READ)
    rows = con.records(
        "SELECT r.*, (SELECT count(*) FROM inspection_targets t WHERE t.round_id = r.id) AS units"
        " FROM inspection_rounds r WHERE r.voided_at IS NULL ORDER BY r.start_date DESC, r.id DESC"
    )
    for row in rows:
        row["kind_label"] = ROUND_KIND_LABELS[row["kind"]]
    return rows
