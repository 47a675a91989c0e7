"""整改: the rectification ledger ("四张清单一张表") from the first measure to 销号.

Each item ties a problem (a finding) to its measure (措施), the leader and person who
answer for it (责任), and a deadline (时限). Progress updates carry text and evidence
files and are copied to the 分管领导 who attended the feedback (双向抄告). An item is
closed (销号) only with evidence and a reviewer's approval, by someone other than the
person who asked. Deadlines are flagged as they approach and pass; extensions are
counted. When a unit's 一把手 changes, open items pass to the successor through a
handover (整改交接) both sign. Evaluations (整改评估) score each unit of a round.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kit import access, door, fields, inspections, registry, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.formats import moment, number
from kit.listing import Column, Filter, Listing

STATUS_LABELS = {"open": "整改中", "pending": "待审核销号", "closed": "已销号"}
UPDATE_LABELS = {
    "progress": "进展",
    "extension": "延期",
    "request": "申请销号",
    "approve": "同意销号",
    "reject": "退回",
    "handover": "整改交接",
}
FLAG_NAMES = {"overdue": "逾期", "due_today": "今日到期", "due_soon": "临期", "ok": "未到期", "closed": "已销号"}
# The ledger as every app lists it (kit.ui.table): the rows of `list_items`.
ITEM_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_code", "单位", width=7, shown="unit_name"),
        Column("description", "问题", width=10),
        Column("measure", "整改措施", width=11),
        Column("leader_name", "责任领导", width=5.5),
        Column("responsible", "责任人", width=6),
        Column("deadline", "时限", "date", width=6.5),
        Column("days_over", "预警", width=9, shown="flag_label", css="flag"),
        Column("progress", "进度", "percent", width=4),
        Column("status", "状态", width=5.5, shown="status_label"),
        Column("extensions", "延期次数", "number", width=5),
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
    empty="本轮尚无整改事项。",
    row_css="flag",
)
# The units of a round as the rounds app lists them (反馈与整改评估): the rows of `overview`.
OVERVIEW_LIST = Listing(
    columns=(
        Column("position", "序号", "number", width=4),
        Column("unit_name", "单位", width=10),
        Column("top_leader", "现任一把手", width=7.5),
        Column("feedback", "反馈", width=18),
        Column("items", "整改事项", "number", width=6),
        Column("closed", "已销号", "number", width=5),
        Column("overdue", "逾期", "number", width=4),
        Column("rate", "完成率", "percent", width=5.5),
        Column("score", "整改评估", "number", width=7, shown="evaluation", css="grade_style"),
    ),
    sort="position",
    filters=(Filter("fed_back", "反馈"), Filter("grade_label", "整改评估")),
    search=("unit_name", "top_leader", "feedback"),
    empty="本轮尚未确定授权范围内的巡察对象。",
    key="unit_id",
)
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
DEFAULT_OFFSETS = (-7, 0, 7, 30)
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVALUATION_BANDS = ((Decimal(90), "好"), (Decimal(80), "较好"), (Decimal(60), "一般"), (Decimal(0), "差"))
POOR_GRADE = "差"
_OFFSETS_KEY = "reminder_offsets"

STATE_SQL = {
    "rectification_items": "SELECT id::VARCHAR AS _key, * FROM rectification_items",
    "rectification_updates": "SELECT id::VARCHAR AS _key, * FROM rectification_updates",
    # The content is compared through its hash, computed afresh from the stored bytes.
    "evidence_files": "SELECT id::VARCHAR AS _key, id, update_id, item_id, filename, size, sha256(content) AS sha256"
    " FROM evidence_files",
    "rectification_copies": "SELECT id::VARCHAR AS _key, * FROM rectification_copies",
    "rectification_evaluations": "SELECT round_id || '/' || unit_id AS _key, * FROM rectification_evaluations",
    "rectification_handovers": "SELECT id::VARCHAR AS _key, * FROM rectification_handovers",
    "settings": "SELECT key AS _key, * FROM settings",
}
TABLE_LABELS = {
    "rectification_items": "整改事项",
    "rectification_updates": "整改进展",
    "evidence_files": "佐证材料",
    "rectification_copies": "抄告",
    "rectification_evaluations": "整改评估",
    "rectification_handovers": "整改交接",
    "settings": "系统设置",
}


def _state(con: Connection, table: str, key: str) -> dict[str, Any] | None:
    return trace.state(con, STATE_SQL, table, key)


def _record(con: Connection, action: str, table: str, key: str, before: dict[str, Any] | None) -> None:
    trace.record(con, action=action, table=table, key=key, before=before, after=_state(con, table, key))


# --- dates and flags ------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Flag:
    """How an open item stands against its deadline on a day."""

    key: str  # ok, due_soon, due_today, overdue, closed
    days: int  # days past the deadline (negative: days left)
    label: str

    @property
    def alert(self) -> bool:
        return self.key in ("due_soon", "due_today", "overdue")


def deadline_flag(
    deadline: date, today: date, *, offsets: Sequence[int] = DEFAULT_OFFSETS, closed: bool = False
) -> Flag:
    """Flag an item: 临期 from the earliest negative offset, 今日到期, 逾期 (naming the highest offset passed)."""
    days = (today - deadline).days
    if closed:
        return Flag("closed", days, "已销号")
    before = [o for o in offsets if o < 0]
    if days < 0:
        if before and days >= min(before):
            return Flag("due_soon", days, f"临期（还剩 {-days} 天）")
        return Flag("ok", days, "未到期")
    if days == 0:
        return Flag("due_today", 0, "今日到期")
    passed = [o for o in offsets if 0 < o <= days]
    if passed:
        return Flag("overdue", days, f"逾期满 {max(passed)} 天（已逾期 {days} 天）")
    return Flag("overdue", days, f"逾期 {days} 天")


@door.public
def reminder_offsets(con: Connection) -> tuple[int, ...]:
    """The office's reminder offsets in days around a deadline (default −7, 0, 7, 30)."""
    access.require(con, access.READ)
    raw = con.scalar("SELECT value FROM settings WHERE key = ?", [_OFFSETS_KEY])
    if not raw:
        return DEFAULT_OFFSETS
    return tuple(int(v) for v in str(raw).split(","))


@door.public
def set_reminder_offsets(con: Connection, *, offsets: Any) -> tuple[int, ...]:
    """Change the reminder offsets (e.g. "-7,0,7,30"); returns them sorted.

    Raises:
        InvalidInput: not whole numbers between −365 and 365, or none given.
        PermissionDenied: not an administrator of all units.
    """
    if isinstance(offsets, str):
        text = offsets
    elif isinstance(offsets, Iterable) and not isinstance(offsets, bytes | bytearray | memoryview | Mapping):
        text = ",".join(map(str, offsets))
    else:  # None, a number, bytes: no list of days
        raise InvalidInput.one("offsets", "“提醒天数”应为以逗号分隔的整数，如 -7,0,7,30")
    values: set[int] = set()
    for part in validate._clean(text).split(","):  # a full-width comma（，）from a Chinese input method too
        if not validate._clean(part):
            continue
        value = validate.integer(part, field="offsets", label="提醒天数", minimum=-365, maximum=365)
        assert value is not None
        values.add(value)
    if not values:
        raise InvalidInput.one("offsets", "“提醒天数”至少填写一个，如 -7,0,7,30")
    access.require_all_units(con, access.ADMIN, what="设置整改提醒")
    chosen = tuple(sorted(values))
    before = _state(con, "settings", _OFFSETS_KEY)
    con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [_OFFSETS_KEY, ",".join(map(str, chosen))])
    _record(con, "设置整改提醒", "settings", _OFFSETS_KEY, before)
    return chosen


# --- items -----------------------------------------------------------------------------------


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
    return _item_context(con, finding_ids, whole=False)


def _item_context(con: Connection, finding_ids: Iterable[int] | None, *, whole: bool) -> ItemContext:
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
    parsed = check_item(raw, replace(_item_context(con, [ident] if ident else [], whole=True), visible=None))
    return add_items(con, [parsed])[0]


def _item(con: Connection, item_id: Any) -> dict[str, Any]:
    ident = validate.ident(item_id, field="item_id", label="整改事项编号")
    rows = con.records(
        "SELECT i.*, f.unit_id, f.round_id, f.found_on FROM rectification_items i"
        " JOIN findings f ON f.id = i.finding_id WHERE i.id = ?",
        [ident],
    )
    if not rows:
        raise NotFound(f"整改事项不存在（编号 {ident}）")
    return rows[0]


def _refuse_voided(item: Mapping[str, Any]) -> None:
    if item["voided_at"] is not None:
        raise InvalidInput.one("item_id", "该事项已作废，不能再办理")


def _files(raw: Iterable[tuple[Any, Any]] | None) -> list[tuple[str, bytes]]:
    """Evidence files as (name, bytes), checked: a name, some content, at most 20 MB each."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes | bytearray | memoryview | Mapping) or not isinstance(raw, Iterable):
        raise InvalidInput.one("files", "“佐证材料”应为文件的列表，每个文件含文件名和内容")
    out = []
    for position, pair in enumerate(raw, start=1):
        label = f"佐证材料{position}"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidInput.one("files", f"“{label}”应含文件名和文件内容")
        name, content = pair
        filename = validate.filename(name, field="files", label=f"{label}的文件名")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise InvalidInput.one("files", f"“{label}”不是文件内容")
        data = bytes(content)
        if not data:
            raise InvalidInput.one("files", f"“{label}”（{filename}）是空文件")
        if len(data) > MAX_EVIDENCE_BYTES:
            raise InvalidInput.one("files", f"“{label}”（{filename}）超过 20 MB，请压缩或拆分后上传")
        out.append((filename, data))
    return out


def _add_update(
    con: Connection,
    item: dict[str, Any],
    *,
    kind: str,
    body: str,
    action: str,
    progress: int | None = None,
    deadline: date | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> int:
    """One step of an item, with its files, copied to the 分管领导 (双向抄告)."""
    update_id = int(
        con.scalar(
            "INSERT INTO rectification_updates (item_id, kind, body, progress, deadline, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [item["id"], kind, body, progress, deadline, con.now, con.actor],
        )
    )
    _record(con, action, "rectification_updates", str(update_id), None)
    for name, data in files:
        file_id = int(
            con.scalar(
                "INSERT INTO evidence_files (update_id, item_id, filename, size, sha256, content)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [update_id, item["id"], name, len(data), hashlib.sha256(data).hexdigest(), data],
            )
        )
        _record(con, "上传佐证材料", "evidence_files", str(file_id), None)
    for (leader,) in con.all(
        "SELECT DISTINCT leader_id FROM feedbacks WHERE round_id = ? AND unit_id = ? ORDER BY leader_id",
        [item["round_id"], item["unit_id"]],
    ):
        copy_id = int(
            con.scalar(
                "INSERT INTO rectification_copies (update_id, person_id) VALUES (?, ?) RETURNING id",
                [update_id, leader],
            )
        )
        _record(con, "抄告分管领导", "rectification_copies", str(copy_id), None)
    return update_id


def _set_item(con: Connection, item: dict[str, Any], action: str, **changes: Any) -> None:
    key = str(item["id"])
    before = _state(con, "rectification_items", key)
    assignments = ", ".join(f"{name} = ?" for name in changes)
    con.execute(f"UPDATE rectification_items SET {assignments} WHERE id = ?", [*changes.values(), item["id"]])
    _record(con, action, "rectification_items", key, before)


@door.public
def update_progress(
    con: Connection, *, item_id: Any, body: Any, progress: Any = None, files: Iterable[tuple[Any, Any]] | None = None
) -> int:
    """A progress update with text, an optional percentage and evidence files; returns the update id.

    Raises:
        InvalidInput: empty text, bad percentage or files, or the item is not being rectified.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    text = check(validate.text, body, field="body", label="进展情况", required=True)
    percent = check(
        validate.integer, progress, field="progress", label="整改进度（%）", minimum=0, maximum=100, required=False
    )
    evidence = check(_files, files)
    check.done()
    item = _item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="报送整改进展")
    _refuse_voided(item)
    if item["status"] != "open":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，不能再报送进展")
    update_id = _add_update(
        con, item, kind="progress", body=text, action="报送整改进展", progress=percent, files=evidence or ()
    )
    if percent is not None and percent != item["progress"]:
        _set_item(con, item, "报送整改进展", progress=percent)
    return update_id


@door.public
def extend_deadline(con: Connection, *, item_id: Any, deadline: Any, reason: Any) -> int:
    """延期: move an open item's deadline later, with a reason; the extensions are counted.

    Raises:
        InvalidInput: no reason, or the new deadline is not later than the current one.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    day = check(validate.day, deadline, field="deadline", label="新的整改时限")
    text = check(validate.text, reason, field="reason", label="延期理由", required=True)
    check.done()
    item = _item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="延长整改时限")
    _refuse_voided(item)
    if item["status"] == "closed":
        raise InvalidInput.one("item_id", "该事项已销号，不能延期")
    if day > add_months(con.now.date(), 60):
        raise InvalidInput.one("deadline", "“新的整改时限”不能超过 5 年")
    if day <= item["deadline"]:
        raise InvalidInput.one("deadline", f"“新的整改时限”必须晚于现时限 {item['deadline'].isoformat()}")
    update_id = _add_update(con, item, kind="extension", body=text, action="延长整改时限", deadline=day)
    _set_item(con, item, "延长整改时限", deadline=day, extensions=item["extensions"] + 1)
    return update_id


@door.public
def request_close(con: Connection, *, item_id: Any, body: Any, files: Iterable[tuple[Any, Any]] | None = None) -> int:
    """申请销号: the unit says the item is done; needs evidence (now or uploaded earlier).

    Raises:
        InvalidInput: no text, no evidence, or the item is not being rectified.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    text = check(validate.text, body, field="body", label="完成情况", required=True)
    evidence = check(_files, files)
    check.done()
    item = _item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="申请销号")
    _refuse_voided(item)
    if item["status"] != "open":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，不能申请销号")
    if not evidence and not con.scalar("SELECT count(*) FROM evidence_files WHERE item_id = ?", [item["id"]]):
        raise InvalidInput.one("files", "申请销号须上传佐证材料（如文件、照片、会议记录）")
    update_id = _add_update(con, item, kind="request", body=text, action="申请销号", files=evidence or ())
    _set_item(con, item, "申请销号", status="pending", close_requested_by=con.actor)
    return update_id


@door.public
def review_close(con: Connection, *, item_id: Any, approve: Any, note: Any) -> int:
    """审核销号: a 审核员 other than the one who asked approves (closed) or returns it (open again).

    Raises:
        InvalidInput: no note, the item is not waiting for review, or the reviewer asked for it.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    check = validate.Checker()
    if not isinstance(approve, bool):
        check.fail("approve", "“审核意见”必须是同意或退回")
    text = check(validate.text, note, field="note", label="审核意见", required=True)
    check.done()
    item = _item(con, item_id)
    access.require(con, access.REVIEW, unit_id=item["unit_id"], what="审核销号")
    _refuse_voided(item)
    if item["status"] != "pending":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，没有待审核的销号申请")
    if item["close_requested_by"] == con.actor:
        raise InvalidInput.one("item_id", "销号申请须由申请人以外的审核员审核")
    if not con.scalar("SELECT count(*) FROM evidence_files WHERE item_id = ?", [item["id"]]):
        raise InvalidInput.one("item_id", "该事项没有佐证材料，不能销号")
    if approve:
        update_id = _add_update(con, item, kind="approve", body=text, action="审核销号")
        _set_item(con, item, "审核销号", status="closed", closed_on=con.now.date(), closed_by=con.actor, progress=100)
    else:
        update_id = _add_update(con, item, kind="reject", body=text, action="退回销号申请")
        _set_item(con, item, "退回销号申请", status="open", close_requested_by=None)
    return update_id


_ITEMS_SQL = """
SELECT i.id, i.finding_id, f.round_id, r.code AS round_code, f.unit_id, u.code AS unit_code, u.name AS unit_name,
       c.name AS category, f.description, f.involves_top, f.found_on, i.measure, i.leader_id,
       p.name AS leader_name, i.responsible, i.deadline, i.first_deadline, i.extensions, i.progress, i.status,
       i.opened_on, i.closed_on, i.close_requested_by, i.closed_by, i.voided_at,
       coalesce(rq.display_name, i.close_requested_by) AS close_requested_by_name,
       (SELECT count(*) FROM evidence_files e WHERE e.item_id = i.id) AS evidence
FROM rectification_items i
JOIN findings f ON f.id = i.finding_id
JOIN units u ON u.id = f.unit_id
JOIN finding_categories c ON c.id = f.category_id
LEFT JOIN inspection_rounds r ON r.id = f.round_id
LEFT JOIN people p ON p.id = i.leader_id
LEFT JOIN users rq ON rq.name = i.close_requested_by
WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id)) AND (? IS NULL OR f.unit_id = ?)
  AND (? IS NULL OR list_contains(?::VARCHAR[], i.status)) AND (? OR i.voided_at IS NULL) AND {scope}
ORDER BY u.sort_order, u.code, i.deadline, i.id
"""


@door.public
def list_items(
    con: Connection,
    *,
    round_ids: Sequence[Any] | None = None,
    unit_id: Any = None,
    statuses: Sequence[str] | None = None,
    today: date | None = None,
    include_voided: bool = False,
) -> list[dict[str, Any]]:
    """Ledger items in the user's scope with labels and their deadline flag on `today` (default: today).

    Voided ones (作废) are left out, unless `include_voided` (then their status is "voided", 已作废,
    and they are flagged nothing).
    """
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    unit = None if unit_id is None else validate.ident(unit_id, field="unit_id", label="单位编号")
    wanted = None if statuses is None else list(statuses)
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        _ITEMS_SQL.format(scope=scope), [rounds, rounds, unit, unit, wanted, wanted, include_voided is True, *params]
    )
    offsets = reminder_offsets(con)
    day = today or con.now.date()
    for row in rows:
        flag = deadline_flag(row["deadline"], day, offsets=offsets, closed=row["status"] == "closed")
        row["flag"], row["flag_label"], row["days_over"] = flag.key, flag.label, flag.days
        row["flag_name"] = FLAG_NAMES[flag.key]
        row["status_label"] = STATUS_LABELS[row["status"]]
        if row["voided_at"]:  # shown struck out, flagged nothing
            row["flag"], row["flag_label"], row["flag_name"] = "voided", "", "已作废"
            row["status"], row["status_label"] = "voided", "已作废"
    return rows


@door.public
def item_history(con: Connection, *, item_id: Any) -> list[dict[str, Any]]:
    """Every step of an item, oldest first, each with its evidence files (names and sizes)."""
    item = _item(con, item_id)
    access.require(con, access.READ, unit_id=item["unit_id"])
    steps = con.records(
        "SELECT r.id, r.kind, r.body, r.progress, r.deadline, r.created_at, r.created_by,"
        " coalesce(u.display_name, r.created_by) AS created_by_name"
        " FROM rectification_updates r LEFT JOIN users u ON u.name = r.created_by"
        " WHERE r.item_id = ? ORDER BY r.id",
        [item["id"]],
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for row in con.records(
        "SELECT id, update_id, filename, size FROM evidence_files WHERE item_id = ? ORDER BY id", [item["id"]]
    ):
        files.setdefault(row["update_id"], []).append(row)
    for step in steps:
        step["kind_label"] = UPDATE_LABELS[step["kind"]]
        step["files"] = files.get(step["id"], [])
    return steps


@door.public
def evidence(con: Connection, *, evidence_id: Any) -> tuple[str, bytes]:
    """One evidence file's name and bytes.

    Raises:
        NotFound: no such file.
        PermissionDenied: its unit is outside the user's scope.
    """
    ident = validate.ident(evidence_id, field="evidence_id", label="佐证材料编号")
    row = con.one(
        "SELECT e.filename, e.content, f.unit_id FROM evidence_files e JOIN rectification_items i ON i.id = e.item_id"
        " JOIN findings f ON f.id = i.finding_id WHERE e.id = ?",
        [ident],
    )
    if row is None:
        raise NotFound(f"佐证材料不存在（编号 {ident}）")
    access.require(con, access.READ, unit_id=int(row[2]), what="查看佐证材料")
    return str(row[0]), bytes(row[1])


# --- 双向抄告 -----------------------------------------------------------------------------------


@door.public
def leaders_in_charge(con: Connection) -> list[dict[str, Any]]:
    """The 分管领导 who attended a feedback of a unit in the user's scope, and their unread copies."""
    scope, params = access.scope_sql(con, "fb.unit_id")
    return con.records(
        "SELECT p.id AS person_id, p.name, count(DISTINCT fb.unit_id) AS units,"
        " (SELECT count(*) FROM rectification_copies c WHERE c.person_id = p.id AND c.read_at IS NULL) AS unread"
        f" FROM feedbacks fb JOIN people p ON p.id = fb.leader_id WHERE {scope} GROUP BY p.id, p.name ORDER BY p.id",
        params,
    )


@door.public
def copies_for(con: Connection, *, person_id: Any, unread_only: bool = False) -> list[dict[str, Any]]:
    """What was copied to a 分管领导, newest first, limited to units in the user's scope."""
    person = validate.ident(person_id, field="person_id", label="人员编号")
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        "SELECT c.id, c.read_at, up.kind, up.body, up.progress, up.deadline, up.created_at, up.created_by,"
        " coalesce(us.display_name, up.created_by) AS created_by_name,"
        " i.id AS item_id, i.measure, i.status, f.unit_id, u.name AS unit_name, f.description"
        " FROM rectification_copies c JOIN rectification_updates up ON up.id = c.update_id"
        " JOIN rectification_items i ON i.id = up.item_id JOIN findings f ON f.id = i.finding_id"
        " JOIN units u ON u.id = f.unit_id LEFT JOIN users us ON us.name = up.created_by"
        f" WHERE c.person_id = ? AND (NOT ? OR c.read_at IS NULL) AND {scope} ORDER BY c.id DESC",
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
            before = _state(con, "rectification_copies", str(ident))
            con.execute("UPDATE rectification_copies SET read_at = ? WHERE id = ?", [con.now, ident])
            _record(con, "阅知抄告", "rectification_copies", str(ident), before)
            changed += 1
    return changed


# --- evaluation, 通报 -------------------------------------------------------------------------


def grade_for(score: Decimal) -> str:
    """整改评估 grade of a score out of 100: 好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60, else 差."""
    return next(label for floor, label in EVALUATION_BANDS if score >= floor)


@door.public
def evaluate(con: Connection, *, round_id: Any, unit_id: Any, score: Any, note: Any = None, on: Any = None) -> str:
    """整改评估: score a unit's rectification in a round (0–100); returns the grade. A new score replaces the old.

    Raises:
        InvalidInput: bad score or date, or the unit was not inspected in the round.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    check = validate.Checker()
    rnd = check(validate.ident, round_id, field="round_id", label="轮次编号")
    unit = check(validate.ident, unit_id, field="unit_id", label="单位编号")
    value = check(validate.number, score, field="score", label="评估得分", minimum=0, maximum=100, places=2)
    text = check(validate.text, note, field="note", label="评估意见", max_length=2000)
    day = check(validate.day, on, field="on", label="评估日期", required=False)
    check.done()
    access.require(con, access.REVIEW, unit_id=unit, what="整改评估")
    if not con.scalar("SELECT count(*) FROM inspection_targets WHERE round_id = ? AND unit_id = ?", [rnd, unit]):
        raise InvalidInput.one("unit_id", "该单位不是本轮巡察对象，不能评估")
    grade = grade_for(value)
    key = f"{rnd}/{unit}"
    before = _state(con, "rectification_evaluations", key)
    con.execute(
        "INSERT OR REPLACE INTO rectification_evaluations VALUES (?, ?, ?, ?, ?, ?)",
        [rnd, unit, value, grade, text or None, day or con.now.date()],
    )
    _record(con, "整改评估", "rectification_evaluations", key, before)
    return grade


@door.public
def overview(con: Connection, *, round_ids: Sequence[Any], today: date | None = None) -> list[dict[str, Any]]:
    """Per unit of the rounds (in scope), in the office's order: feedback meetings, items, closed, overdue,
    completion rate, evaluation, 一把手 today (listed as OVERVIEW_LIST)."""
    items = list_items(con, round_ids=round_ids, today=today)
    rounds = sorted({validate.ident(r, field="round_id", label="轮次编号") for r in round_ids})
    scope, params = access.scope_sql(con, "t.unit_id")
    units = con.records(
        "SELECT t.round_id, t.unit_id, u.name AS unit_name, e.score, e.grade FROM inspection_targets t"
        " JOIN units u ON u.id = t.unit_id"
        " LEFT JOIN rectification_evaluations e ON e.round_id = t.round_id AND e.unit_id = t.unit_id"
        f" WHERE list_contains(?::INTEGER[], t.round_id) AND {scope} ORDER BY t.round_id, u.sort_order, u.code",
        [rounds, *params],
    )
    day = today or con.now.date()
    feedback: dict[tuple[int, int], list[str]] = {}
    for round_id, unit_id, mode, held_on, leader in con.all(
        "SELECT fb.round_id, fb.unit_id, fb.mode, fb.held_on, p.name FROM feedbacks fb"
        " JOIN people p ON p.id = fb.leader_id WHERE list_contains(?::INTEGER[], fb.round_id)"
        " ORDER BY fb.held_on, fb.mode",
        [rounds],
    ):
        shown = f"{inspections.FEEDBACK_MODE_LABELS[mode]} {held_on.isoformat()}（{leader}出席）"
        feedback.setdefault((round_id, unit_id), []).append(shown)
    for position, row in enumerate(units, start=1):
        row["position"] = position
        row["feedback"] = "；".join(feedback.get((row["round_id"], row["unit_id"]), [])) or "未反馈"
        row["fed_back"] = "未反馈" if row["feedback"] == "未反馈" else "已反馈"
        row["evaluation"] = f"{number(row['score'])}（{row['grade']}）" if row["grade"] else "未评估"
        row["grade_label"] = row["grade"] or "未评估"
        row["grade_style"] = "low" if row["grade"] == POOR_GRADE else "ok"
        mine = [i for i in items if i["unit_id"] == row["unit_id"] and i["round_id"] == row["round_id"]]
        row["items"] = len(mine)
        row["closed"] = sum(i["status"] == "closed" for i in mine)
        row["overdue"] = sum(i["flag"] == "overdue" for i in mine)
        row["extended"] = sum(i["extensions"] > 0 for i in mine)
        row["rate"] = round(100 * row["closed"] / row["items"], 1) if mine else None
        leader = registry._holder_at(con, row["unit_id"], "principal", day)
        row["top_leader"] = leader.name if leader else ""
    return units


@door.public
def poor_units(con: Connection, *, round_id: Any, today: date | None = None) -> list[dict[str, Any]]:
    """整改不力: units of a round graded 差, for the 通报, with their open and overdue items."""
    return [u for u in overview(con, round_ids=[round_id], today=today) if u["grade"] == POOR_GRADE]


# --- 整改交接 ------------------------------------------------------------------------------------


@door.public
def handover_for_change(con: Connection, *, unit_id: Any, on: Any) -> int | None:
    """When the unit's 一把手 changed on `on`: hand every open item to the new one; returns the handover id.

    Called by `appointments.change_leader`. Items still open (整改中 or 待审核销号) move to the
    successor at once; the handover lists them until both leaders sign. None when
    nothing is open.

    Raises:
        InvalidInput: no 一把手 holds the post on that day.
        PermissionDenied: not an administrator of the unit.
    """
    unit = validate.ident(unit_id, field="unit_id", label="单位编号")
    day = validate.day(on, field="on", label="调整日期")
    assert day is not None
    access.require(con, access.ADMIN, unit_id=unit, what="整改交接")
    successor = registry._holder_at(con, unit, "principal", day)
    if successor is None:
        raise InvalidInput.one("on", "该日期没有在任的一把手，无法交接整改事项")
    # Nobody can have held the post before the first day a date can hold.
    predecessor = registry._holder_at(con, unit, "principal", day - timedelta(days=1)) if day > date.min else None
    if predecessor is not None and predecessor.person_id == successor.person_id:
        return None  # the same 一把手 on both days: nothing changed hands
    items = con.records(
        "SELECT i.id, i.leader_id FROM rectification_items i JOIN findings f ON f.id = i.finding_id"
        " WHERE f.unit_id = ? AND i.status <> 'closed' AND i.voided_at IS NULL ORDER BY i.id",
        [unit],
    )
    if not items:
        return None
    item_ids = [int(i["id"]) for i in items]
    handover = int(
        con.scalar(
            "INSERT INTO rectification_handovers"
            " (unit_id, from_person_id, to_person_id, changed_on, item_ids, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [unit, predecessor.person_id if predecessor else None, successor.person_id, day, item_ids, con.now],
        )
    )
    _record(con, "整改交接", "rectification_handovers", str(handover), None)
    was = predecessor.name if predecessor else "（空缺）"
    for ident in item_ids:
        item = _item(con, ident)
        _add_update(
            con, item, kind="handover", body=f"一把手由{was}调整为{successor.name}，本事项移交接任者", action="整改交接"
        )
        if item["leader_id"] in (None, predecessor.person_id if predecessor else None):
            _set_item(con, item, "整改交接", leader_id=successor.person_id)
    return handover


SIDE_LABELS = {"outgoing": "交出方", "incoming": "接收方"}


@door.public
def sign_handover(con: Connection, *, handover_id: Any, side: Any, on: Any = None) -> None:
    """A leader signs the handover: side 'outgoing' (交出) or 'incoming' (接收).

    Raises:
        InvalidInput: bad side or date, or that side already signed.
        NotFound: no such handover.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    ident = check(validate.ident, handover_id, field="handover_id", label="交接编号")
    which = check(
        validate.choice, side, field="side", label="签字方", choices={"outgoing": "交出方", "incoming": "接收方"}
    )
    day = check(validate.day, on, field="on", label="签字日期", required=False)
    check.done()
    row = con.records("SELECT * FROM rectification_handovers WHERE id = ?", [ident])
    if not row:
        raise NotFound(f"整改交接不存在（编号 {ident}）")
    access.require(con, access.ENTER, unit_id=row[0]["unit_id"], what="整改交接签字")
    column = f"{which}_signed"
    if row[0][column] is not None:
        raise InvalidInput.one("side", "该方已签字")
    signed = day or con.now.date()
    if signed < row[0]["changed_on"]:
        raise InvalidInput.one("on", "“签字日期”不能早于职务调整日期")
    before = _state(con, "rectification_handovers", str(ident))
    con.execute(f"UPDATE rectification_handovers SET {column} = ? WHERE id = ?", [signed, ident])
    _record(con, "整改交接签字", "rectification_handovers", str(ident), before)


@door.public
def list_handovers(con: Connection) -> list[dict[str, Any]]:
    """Handovers of units in scope, newest first, with both leaders' names and whether both signed."""
    scope, params = access.scope_sql(con, "h.unit_id")
    rows = con.records(
        "SELECT h.*, u.name AS unit_name, a.name AS from_name, b.name AS to_name FROM rectification_handovers h"
        " JOIN units u ON u.id = h.unit_id LEFT JOIN people a ON a.id = h.from_person_id"
        f" JOIN people b ON b.id = h.to_person_id WHERE {scope} ORDER BY h.changed_on DESC, h.id DESC",
        params,
    )
    for row in rows:
        row["items"] = len(row["item_ids"])
        row["complete"] = row["outgoing_signed"] is not None and row["incoming_signed"] is not None
    return rows


# --- 纸面整改 --------------------------------------------------------------------------------------

PAPER_REASONS = {
    "no_evidence": "销号但没有佐证材料",
    "same_day": "立项当天即销号",
    "copied_measure": "整改措施与其他单位逐字相同",
    "extended": "整改时限延期超过两次",
}


@door.public
def paper_flags(con: Connection, *, round_ids: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """纸面整改: items that look rectified on paper only, each with every reason that applies."""
    items = list_items(con, round_ids=round_ids)
    by_measure: dict[str, set[int]] = {}
    for item in items:
        by_measure.setdefault(_normal(item["measure"]), set()).add(item["unit_id"])
    out = []
    for item in items:
        reasons = []
        if item["status"] == "closed" and not item["evidence"]:
            reasons.append("no_evidence")
        if item["status"] == "closed" and item["closed_on"] == item["opened_on"]:
            reasons.append("same_day")
        if len(by_measure[_normal(item["measure"])]) > 1:
            reasons.append("copied_measure")
        if item["extensions"] > 2:
            reasons.append("extended")
        if reasons:
            out.append({**item, "reasons": reasons, "reason_labels": [PAPER_REASONS[r] for r in reasons]})
    return out


def _normal(text: str) -> str:
    return "".join(validate._clean(text).split())
