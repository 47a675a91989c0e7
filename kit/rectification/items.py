"""整改事项: the declaration, its checks against the findings the writer may see, writing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from kit import access, door, fields, inspections, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.listing import Column, Filter, Listing
from kit.rectification.deadlines import add_months

# The ledger as every app lists it (kit.ui.table): the rows of `list_items`.
ITEM_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=3.5),
        Column("unit_code", "单位", width=6.5, shown="unit_name"),
        Column("description", "问题", width=11),
        Column("measure", "整改措施", width=11),
        Column("leader_name", "责任领导", width=5.5),
        Column("responsible", "责任人", width=5),
        Column("deadline", "时限", "date", width=6.5),
        # most overdue first, closed last; 逾期 45 天 (the item's page names the reminder passed, 逾期满 30 天)
        Column("urgency", "预警", width=8, shown="flag_short", css="flag"),
        Column("progress", "进度", "percent", width=4),
        Column("status", "状态", width=5, shown="status_label"),
        Column("extensions", "延期", "number", width=3.5),
        Column("evidence", "佐证", "number", width=3.5),
    ),
    sort="deadline",
    filters=(
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("status", "状态", shown="status_label"),
        Filter("flag", "预警", shown="flag_name"),
        Filter("category", "问题类别"),
    ),
    search=("unit_name", "description", "measure", "leader_name", "responsible", "category"),
    empty="本轮在您可查看的单位中尚无整改事项。",
    row_css="flag",
)


# A ledger item: its fields (keys = add_item's arguments; 问题描述 shown in templates for
# reference only), list and Excel export.
ITEM = Record(
    kind="rectification",
    label="整改台账",
    table="rectification_items",
    fields=(
        Field(
            "finding",
            "问题编号",
            "id",
            rule="监督台中发现问题的编号（见导出的“发现问题”表，或按轮次生成的模板）；同一问题可分行填写多项措施",
            required=True,
            width="36em",
        ),
        Field("unit", "单位", "lookup", lookup="units", rule="可不填；填写时须与问题所属单位一致（编码或全称）"),
        Field("description", "问题描述", "textarea", rule="仅供参考，导入时不读取", reference=True),
        Field(
            "measure",
            "整改措施",
            "textarea",
            rule="不超过 2000 字",
            required=True,
            max_length=2000,
            placeholder="具体措施、完成标准",
            width="40em",
        ),
        Field(
            "leader",
            "责任领导",
            "lookup",
            lookup="leaders",
            rule="该单位现任领导班子成员的姓名；不填即为该单位现任一把手",
            width="12em",
        ),
        Field(
            "responsible",
            "责任人",
            rule="不超过 50 字",
            required=True,
            max_length=50,
            placeholder="姓名或职务",
            width="12em",
        ),
        Field(
            "deadline",
            "整改时限",
            "date",
            rule="日期，如 2024-12-31；不能早于问题发现日期，不能超过今天起 5 年",
            required=True,
            placeholder="如 2025-12-31",
            width="10em",
        ),
        Field(
            "progress",
            "整改进度（%）",
            "number",
            rule="0 至 100 之间的整数，不填为 0",
            minimum=0,
            maximum=100,
            placeholder="0–100",
            width="6em",
        ),
        Field(
            "opened_on",
            "立项日期",
            "date",
            rule="日期；不填即为导入当天（迁入旧台账时填原立项日期）；不能晚于今天，也不能早于问题发现日期",
            width="10em",
        ),
    ),
    listing=ITEM_LIST,
    export={
        "id": "整改事项编号",
        "finding_id": "问题编号",
        "round_code": "巡察轮次",
        "unit_name": "单位",
        "category": "问题类别",
        "description": "问题描述",
        "measure": "整改措施",
        "leader_name": "责任领导",
        "responsible": "责任人",
        "deadline": "整改时限",
        "first_deadline": "原定时限",
        "extensions": "延期次数",
        "progress": "整改进度（%）",
        "status_label": "状态",
        "flag_label": "时限提示",
        "opened_on": "立项日期",
        "closed_on": "销号日期",
        "evidence": "佐证材料数",
    },
)


@dataclass
class ItemContext:
    """What checking a ledger row needs, read once for many rows."""

    findings: dict[int, tuple[int, date]]  # finding id → (unit id, found on)
    units: dict[str, int]  # code and name → id
    unit_names: dict[int, str]
    leaders: dict[int, dict[str, int]]  # unit id → current leadership team name → person id
    top: dict[int, int]  # unit id → current 一把手 person id
    visible: frozenset[int] | None
    today: date


@door.public
def item_context(con: Connection, finding_ids: Iterable[int] | None = None) -> ItemContext:
    """Look-ups for `check_item` (all findings, or only `finding_ids`), in the acting user's scope.

    Only the caller's units: a finding, unit or leader outside the scope is not named in it at all.
    """
    access.require(con, access.READ)
    return read_item_context(con, finding_ids, whole=False)


def read_item_context(con: Connection, finding_ids: Iterable[int] | None, *, whole: bool) -> ItemContext:
    """`item_context`; `whole` for a write that refuses (and traces) a unit out of scope itself."""

    def limit(column: str) -> tuple[str, list[Any]]:
        return ("TRUE", []) if whole else access.scope_sql(con, column)

    scope, params = limit("unit_id")
    if finding_ids is None:
        rows = con.all(f"SELECT id, unit_id, found_on FROM findings WHERE voided_at IS NULL AND {scope}", params)
    else:
        rows = con.all(
            "SELECT id, unit_id, found_on FROM findings"
            f" WHERE list_contains(?::INTEGER[], id) AND voided_at IS NULL AND {scope}",
            [sorted(set(finding_ids)), *params],
        )
    findings = {int(i): (int(u), d) for i, u, d in rows}
    units: dict[str, int] = {}
    names: dict[int, str] = {}
    unit_scope, unit_params = limit("id")
    for ident, code, name in con.all(f"SELECT id, code, name FROM units WHERE {unit_scope}", unit_params):
        units[code] = ident
        units.setdefault(name, ident)
        names[ident] = name
    today = con.now.date()
    leaders: dict[int, dict[str, int]] = {}
    top: dict[int, int] = {}
    tenure_scope, tenure_params = limit("t.unit_id")
    for unit, person, name, role in con.all(
        "SELECT t.unit_id, p.id, p.name, t.role FROM tenures t JOIN people p ON p.id = t.person_id"
        f" WHERE t.start_date <= ? AND (t.end_date IS NULL OR t.end_date >= ?) AND {tenure_scope}",
        [today, today, *tenure_params],
    ):
        leaders.setdefault(int(unit), {})[name] = int(person)
        if role == "principal":
            top[int(unit)] = int(person)
    seen = access.visible_units(con)
    return ItemContext(findings, units, names, leaders, top, None if seen is None else frozenset(seen), today)


def check_item(raw: Mapping[str, Any], ctx: ItemContext) -> dict[str, Any]:
    """Parse one ledger row (form or Excel) into the values `add_items` stores.

    Keys of `raw` are ITEM's field keys. The 责任领导 defaults to the unit's 一把手 today;
    the 立项日期 (when the item entered the ledger) defaults to today — an older ledger
    moved into 监督台 keeps its own dates.

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    label = ITEM.label_of
    missing = "不存在" if ctx.visible is None else inspections.MISSING_OR_HIDDEN
    finding = fields.parse(check, ITEM, "finding", raw)
    info = None
    if finding is not None:
        info = ctx.findings.get(finding)
        if info is None:
            check.fail("finding", f"“{label('finding')}”{finding} {missing}")
        elif ctx.visible is not None and info[0] not in ctx.visible:
            check.fail("finding", f"“{label('finding')}”{finding} 所属单位不在您的授权范围内")
            info = None
    unit_text = validate._clean(raw.get("unit"))
    if unit_text:
        unit = ctx.units.get(unit_text)
        if unit is None:
            check.fail("unit", f"“{label('unit')}”中的单位“{unit_text[:30]}”{missing}")
        elif info is not None and unit != info[0]:
            check.fail("unit", f"“{label('unit')}”与问题所属单位（{ctx.unit_names.get(info[0], '')}）不一致")
    measure = fields.parse(check, ITEM, "measure", raw)
    responsible = fields.parse(check, ITEM, "responsible", raw)
    deadline = fields.parse(check, ITEM, "deadline", raw)
    progress = fields.parse(check, ITEM, "progress", raw)
    opened_on = fields.parse(check, ITEM, "opened_on", raw)
    if opened_on is not None and opened_on > ctx.today:
        check.fail("opened_on", f"“{label('opened_on')}”不能晚于今天")
    leader_id = None
    if info is not None:
        team = ctx.leaders.get(info[0], {})
        leader_text = validate._clean(raw.get("leader"))
        if leader_text:
            leader_id = team.get(leader_text)
            if leader_id is None:
                check.fail("leader", f"“{label('leader')}”{leader_text[:20]}不是该单位现任领导班子成员")
        else:
            leader_id = ctx.top.get(info[0])
        if deadline is not None and deadline < info[1]:
            check.fail("deadline", f"“{label('deadline')}”不能早于问题发现日期 {info[1].isoformat()}")
        if opened_on is not None and opened_on < info[1] and "opened_on" not in check.errors:
            check.fail("opened_on", f"“{label('opened_on')}”不能早于问题发现日期 {info[1].isoformat()}")
    if deadline is not None and deadline > add_months(ctx.today, 60):
        check.fail("deadline", f"“{label('deadline')}”不能超过 5 年")
    check.done()
    return {
        "finding_id": finding,
        "measure": measure,
        "leader_id": leader_id,
        "responsible": responsible,
        "deadline": deadline,
        "progress": progress or 0,
        "opened_on": opened_on or ctx.today,
    }


ITEMS_SEQUENCE = "items_id_seq"


def items_batch(
    rows: Sequence[Mapping[str, Any]], *, actor: str, now: datetime, first_id: int, action: str
) -> trace.Batch:
    """Ledger rows already parsed by `check_item`, as new items numbered from `first_id` (no database needed)."""
    n = len(rows)
    columns: dict[str, list[Any]] = {
        "finding_id": [r["finding_id"] for r in rows],
        "measure": [r["measure"] for r in rows],
        "leader_id": [r["leader_id"] for r in rows],
        "responsible": [r["responsible"] for r in rows],
        "deadline": [r["deadline"] for r in rows],
        "first_deadline": [r["deadline"] for r in rows],
        "extensions": [0] * n,
        "progress": [r["progress"] for r in rows],
        "status": ["open"] * n,
        "opened_on": [r.get("opened_on") or now.date() for r in rows],
        "closed_on": [None] * n,
        "close_requested_by": [None] * n,
        "closed_by": [None] * n,
        "created_at": [now] * n,
        "created_by": [actor] * n,
    }
    return trace.batch(table="rectification_items", action=action, columns=columns, first_id=first_id)


def store_items(con: Connection, prepared: trace.Batch) -> list[int]:
    """Write items prepared by `items_batch` (kit's own import only: never through the door).

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=prepared.action)
    finding_ids = sorted({int(f) for f in prepared.column("finding_id")})
    units = {
        u
        for (u,) in con.all(
            "SELECT DISTINCT f.unit_id FROM findings f SEMI JOIN (SELECT unnest(?::INTEGER[]) AS id) w ON w.id = f.id",
            [finding_ids],
        )
    }
    for unit in sorted(units):
        access.require(con, access.ENTER, unit_id=unit, what=prepared.action)
    return trace.insert_batch(con, prepared)


@door.public
def add_items(con: Connection, rows: Sequence[Mapping[str, Any]], *, action: str = "录入整改事项") -> list[int]:
    """Store ledger rows already parsed by `check_item`, in bulk; returns their ids in order.

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=action)
    if not rows:
        return []
    first = trace.reserve_ids(con, ITEMS_SEQUENCE, len(rows))
    return store_items(con, items_batch(rows, actor=con.actor, now=con.now, first_id=first, action=action))


@door.public
def add_item(con: Connection, **raw: Any) -> int:
    """Add one ledger item (keyword arguments: ITEM's field keys); returns its id.

    Raises:
        InvalidInput: a field breaks a rule (all are reported at once).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="录入整改事项")
    ident = validate.integer(raw.get("finding"), field="finding", label="问题编号", minimum=1, maximum=validate.MAX_ID)
    # A unit out of scope is refused (and the refusal traced) by the write itself.
    parsed = check_item(raw, replace(read_item_context(con, [ident] if ident else [], whole=True), visible=None))
    return add_items(con, [parsed])[0]


def live_item(con: Connection, item_id: Any) -> dict[str, Any]:
    ident = validate.ident(item_id, field="item_id", label="整改事项编号")
    rows = con.records(
        "SELECT i.*, f.unit_id, f.round_id, f.found_on FROM rectification_items i"
        " JOIN findings f ON f.id = i.finding_id WHERE i.id = ?",
        [ident],
    )
    if not rows:
        raise NotFound(f"整改事项不存在（编号 {ident}）")
    return rows[0]


def refuse_voided(item: Mapping[str, Any]) -> None:
    if item["voided_at"] is not None:
        raise InvalidInput.one("item_id", "该事项已作废，不能再办理")
