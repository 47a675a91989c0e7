"""发现问题: the declaration, its checks against what the writer may see, writing and listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from kit import access, door, fields, registry, trace, validate
from kit.db import Connection
from kit.errors import NotFound
from kit.fields import Field, Record
from kit.inspections.common import RECEIVER_LABELS, SEVERITY_LABELS, SOURCE_LABELS, STAGE_LABELS, YES_NO
from kit.listing import Column, Filter, Listing

FINDING_LIST = Listing(
    columns=(
        Column("id", "编号", "number", width=4),
        Column("unit_code", "单位", width=7, shown="unit_name"),
        Column("category", "问题类别", width=8),
        Column("description", "问题描述", width=16),
        Column("severity", "严重程度", width=5.5, shown="severity_label"),
        Column("involves_top", "涉及一把手", width=6, shown="involves_top_label"),
        Column("top_leader", "时任一把手", width=6),
        Column("source", "来源", width=5, shown="source_label"),
        Column("found_on", "发现日期", "date", width=6.5),
        Column("stage", "发现环节", width=7, shown="stage_label"),
        Column("receiver", "移交线索", width=7, shown="receiver_label"),
        Column("state", "状态", width=4.5, shown="state_label"),
    ),
    sort="id",
    descending=True,
    filters=(
        Filter("unit_id", "单位", shown="unit_name"),
        Filter("category", "问题类别"),
        Filter("severity", "严重程度", shown="severity_label"),
        Filter("involves_top", "涉及一把手", shown="involves_top_label"),
        Filter("stage", "发现环节", shown="stage_label"),
        Filter("state", "状态", shown="state_label"),
    ),
    search=("unit_name", "category", "description", "top_leader"),
    empty="本轮在您可查看的单位中尚无发现问题。",
    row_css="state",
)


@dataclass
class FindingContext:
    """What checking a finding needs to know, read once for many rows (an Excel file)."""

    units: dict[str, int]  # code and name → id
    categories: dict[str, int]  # name → id
    rounds: dict[str, tuple[int, date, date]]  # code and id → (id, start, end)
    visible: frozenset[int] | None
    today: date
    unit_names: dict[int, str] = field(default_factory=dict)


@door.public
def finding_context(con: Connection) -> FindingContext:
    """Look-ups for `check_finding`, in the acting user's scope (a unit outside it is not named at all)."""
    access.require(con, access.READ)
    return read_finding_context(con, whole=False)


def read_finding_context(con: Connection, *, whole: bool) -> FindingContext:
    """`finding_context`; `whole` for a write that refuses (and traces) a unit out of scope itself."""
    units: dict[str, int] = {}
    names: dict[int, str] = {}
    scope, params = ("TRUE", []) if whole else access.scope_sql(con, "id")
    for ident, code, name in con.all(f"SELECT id, code, name FROM units WHERE {scope}", params):
        units[code] = ident
        units.setdefault(name, ident)
        names[ident] = name
    categories = {name: ident for ident, name in con.all("SELECT id, name FROM finding_categories")}
    rounds: dict[str, tuple[int, date, date]] = {}
    for ident, code, start, end in con.all(
        "SELECT id, code, start_date, end_date FROM inspection_rounds WHERE voided_at IS NULL"
    ):
        rounds[code] = (ident, start, end)
        rounds[str(ident)] = (ident, start, end)
    units_seen = access.visible_units(con)
    return FindingContext(
        units=units,
        categories=categories,
        rounds=rounds,
        visible=None if units_seen is None else frozenset(units_seen),
        today=con.now.date(),
        unit_names=names,
    )


FINDING_RULES = {
    "round": "轮次编号，如 2024-1；巡察以外发现的问题（日常监督、信访等）可不填，中期监督检查发现的问题必须填写",
    "unit": "单位编码或全称，须在您的授权范围内",
    "found_on": "日期，如 2024-03-31；不能晚于今天，也不能早于本轮巡察开始日期",
}
# A problem found: its fields (keys = add_finding's arguments), list and Excel export.
FINDING = Record(
    kind="findings",
    label="发现问题",
    table="findings",
    fields=(
        Field("round", "巡察轮次", "lookup", lookup="rounds", rule=FINDING_RULES["round"], width="14em"),
        Field("unit", "被巡察单位", "lookup", lookup="units", rule=FINDING_RULES["unit"], required=True, width="20em"),
        Field("stage", "发现环节", "choice", choices=STAGE_LABELS, rule="不填即为“巡察发现”", width="12em"),
        Field(
            "category",
            "问题类别",
            "lookup",
            lookup="categories",
            rule="已设置的问题类别名称",
            required=True,
            width="20em",
        ),
        Field(
            "description",
            "问题描述",
            "textarea",
            rule="不超过 2000 字",
            required=True,
            max_length=2000,
            placeholder="问题的具体表现",
            width="40em",
        ),
        Field(
            "severity",
            "严重程度",
            "choice",
            choices=SEVERITY_LABELS,
            rule="从下拉列表中选择",
            required=True,
            width="8em",
        ),
        Field("involves_top", "是否涉及一把手", "choice", choices=YES_NO, rule="是或否", required=True, width="8em"),
        Field(
            "source", "问题来源", "choice", choices=SOURCE_LABELS, rule="从下拉列表中选择", required=True, width="12em"
        ),
        Field(
            "found_on",
            "发现日期",
            "date",
            rule=FINDING_RULES["found_on"],
            required=True,
            placeholder="如 2025-03-31",
            width="10em",
        ),
    ),
    listing=FINDING_LIST,
    export={
        "id": "问题编号",
        "round_code": "巡察轮次",
        "unit_name": "被巡察单位",
        "stage_label": "发现环节",
        "category": "问题类别",
        "description": "问题描述",
        "severity_label": "严重程度",
        "involves_top_label": "是否涉及一把手",
        "source_label": "问题来源",
        "found_on": "发现日期",
        "top_leader": "时任一把手",
        "receiver_label": "移交线索",
    },
)


def _lookup(
    check: validate.Checker,
    raw: Any,
    table: Mapping[str, Any],
    *,
    field: str,
    label: str,
    what: str,
    missing: str = "不存在",
) -> Any:
    text = validate._clean(raw)
    if not text:
        check.fail(field, f"“{label}”不能为空")
        return None
    if text not in table:
        check.fail(field, f"“{label}”中的{what}“{text[:30]}”{missing}")
        return None
    return table[text]


# What a user who sees some units only is told of a unit not among them (whether it exists is not theirs to know).
MISSING_OR_HIDDEN = "不存在或不在您的授权范围内"


def check_finding(raw: Mapping[str, Any], ctx: FindingContext) -> dict[str, Any]:
    """Parse one finding (from a form or an Excel row) into the values `add_findings` stores.

    Keys of `raw` are FINDING's field keys; `round` may be empty for problems found
    outside a round (日常监督, 信访 …).

    Raises:
        InvalidInput: every field that breaks a rule, each with a Chinese message.
    """
    check = validate.Checker()
    label = FINDING.label_of
    round_info = None
    if validate._clean(raw.get("round")):
        round_info = _lookup(check, raw.get("round"), ctx.rounds, field="round", label=label("round"), what="轮次")
    missing = "不存在" if ctx.visible is None else MISSING_OR_HIDDEN
    unit = _lookup(check, raw.get("unit"), ctx.units, field="unit", label=label("unit"), what="单位", missing=missing)
    if unit is not None and ctx.visible is not None and unit not in ctx.visible:
        check.fail("unit", f"“{label('unit')}”{ctx.unit_names.get(unit, unit)}不在您的授权范围内")
    stage = fields.parse(check, FINDING, "stage", raw) if validate._clean(raw.get("stage")) else "inspection"
    category = _lookup(
        check, raw.get("category"), ctx.categories, field="category", label=label("category"), what="类别"
    )
    description = fields.parse(check, FINDING, "description", raw)
    severity = fields.parse(check, FINDING, "severity", raw)
    involves = fields.parse(check, FINDING, "involves_top", raw)
    source = fields.parse(check, FINDING, "source", raw)
    found_on = fields.parse(check, FINDING, "found_on", raw)
    if found_on is not None and found_on > ctx.today:
        check.fail("found_on", f"“{label('found_on')}”不能晚于今天")
    if stage == "midterm" and round_info is None and "round" not in check.errors:
        check.fail("round", f"中期监督检查发现的问题必须注明“{label('round')}”")
    if round_info is not None and found_on is not None and found_on < round_info[1]:
        check.fail("found_on", f"“{label('found_on')}”不能早于本轮巡察开始日期 {round_info[1].isoformat()}")
    check.done()
    return {
        "round_id": round_info[0] if round_info else None,
        "unit_id": unit,
        "stage": stage,
        "category_id": category,
        "description": description,
        "severity": severity,
        "involves_top": involves == "yes",
        "source": source,
        "found_on": found_on,
    }


FINDINGS_SEQUENCE = "findings_id_seq"


def findings_batch(
    rows: Sequence[Mapping[str, Any]], *, actor: str, now: datetime, first_id: int, action: str
) -> trace.Batch:
    """Findings already parsed by `check_finding`, as new rows numbered from `first_id` (no database needed)."""
    names = ("round_id", "unit_id", "stage", "category_id", "description", "severity", "involves_top", "source")
    columns: dict[str, list[Any]] = {name: [r[name] for r in rows] for name in (*names, "found_on")}
    columns["created_at"] = [now] * len(rows)
    columns["created_by"] = [actor] * len(rows)
    return trace.batch(table="findings", action=action, columns=columns, first_id=first_id)


def store_findings(con: Connection, prepared: trace.Batch) -> list[int]:
    """Write findings prepared by `findings_batch` (kit's own import only: never through the door).

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=prepared.action)
    for unit in sorted({int(u) for u in prepared.column("unit_id")}):
        access.require(con, access.ENTER, unit_id=unit, what=prepared.action)
    return trace.insert_batch(con, prepared)


@door.public
def add_findings(con: Connection, rows: Sequence[Mapping[str, Any]], *, action: str = "录入发现问题") -> list[int]:
    """Store findings already parsed by `check_finding`, in bulk; returns their ids in order.

    Raises:
        PermissionDenied: a unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what=action)
    if not rows:
        return []
    first = trace.reserve_ids(con, FINDINGS_SEQUENCE, len(rows))
    return store_findings(con, findings_batch(rows, actor=con.actor, now=con.now, first_id=first, action=action))


@door.public
def add_finding(con: Connection, **raw: Any) -> int:
    """Record one problem found (keyword arguments: FINDING's field keys); returns its id.

    Raises:
        InvalidInput: a field breaks a rule (all are reported at once).
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    access.require(con, access.ENTER, what="录入发现问题")
    # A unit out of scope is refused (and the refusal traced) by the write itself.
    parsed = check_finding(raw, replace(read_finding_context(con, whole=True), visible=None))
    return add_findings(con, [parsed])[0]


_FINDINGS_SQL = """
SELECT f.id, f.round_id, r.code AS round_code, r.name AS round_name, r.kind AS round_kind,
       f.unit_id, u.code AS unit_code, u.name AS unit_name, f.stage, c.name AS category, c.area,
       f.description, f.severity, f.involves_top, f.source, f.found_on, f.created_by, f.voided_at,
       (SELECT p.name FROM tenures t JOIN people p ON p.id = t.person_id
         WHERE t.unit_id = f.unit_id AND t.role = 'principal' AND t.start_date <= f.found_on
           AND (t.end_date IS NULL OR t.end_date >= f.found_on)
         ORDER BY t.start_date DESC LIMIT 1) AS top_leader,
       cl.id AS clue_id, cl.receiver
FROM findings f
JOIN units u ON u.id = f.unit_id
JOIN finding_categories c ON c.id = f.category_id
LEFT JOIN inspection_rounds r ON r.id = f.round_id
LEFT JOIN clues cl ON cl.finding_id = f.id AND cl.voided_at IS NULL
WHERE (? IS NULL OR list_contains(?::INTEGER[], f.round_id))
  AND (? IS NULL OR f.unit_id = ?) AND (? IS NULL OR f.stage = ?) AND (? OR f.voided_at IS NULL) AND {scope}
ORDER BY f.found_on, f.id
"""


@door.public
def list_findings(
    con: Connection,
    *,
    round_ids: Sequence[int] | None = None,
    unit_id: int | None = None,
    stage: str | None = None,
    include_voided: bool = False,
) -> list[dict[str, Any]]:
    """Findings in the user's scope, with labels and the unit's 一把手 on the day each was found.

    Voided ones (作废) are left out, unless `include_voided` (then `voided_at` says which).
    """
    access.require(con, access.READ)
    rounds = None if round_ids is None else [validate.ident(r, field="round_id", label="轮次编号") for r in round_ids]
    unit = None if unit_id is None else validate.ident(unit_id, field="unit_id", label="单位编号")
    scope, params = access.scope_sql(con, "f.unit_id")
    rows = con.records(
        _FINDINGS_SQL.format(scope=scope), [rounds, rounds, unit, unit, stage, stage, include_voided is True, *params]
    )
    for row in rows:
        row["stage_label"] = STAGE_LABELS[row["stage"]]
        row["severity_label"] = SEVERITY_LABELS[row["severity"]]
        row["source_label"] = SOURCE_LABELS[row["source"]]
        row["involves_top_label"] = YES_NO["yes" if row["involves_top"] else "no"]
        row["receiver_label"] = RECEIVER_LABELS.get(row["receiver"] or "", "")
        row["state"] = "voided" if row["voided_at"] else "live"
        row["state_label"] = "已作废" if row["voided_at"] else "有效"
    return rows


def finding_unit(con: Connection, finding_id: int) -> int:
    unit = con.scalar("SELECT unit_id FROM findings WHERE id = ?", [finding_id])
    if unit is None:
        raise NotFound(f"发现问题不存在（编号 {finding_id}）")
    return int(unit)


@door.public
def top_leader_when_found(con: Connection, *, finding_id: Any) -> registry.Leader | None:
    """The unit's 一把手 on the day the problem was found (from tenures)."""
    ident = validate.ident(finding_id, field="finding_id", label="问题编号")
    unit = finding_unit(con, ident)
    access.require(con, access.READ, unit_id=unit)
    day = con.scalar("SELECT found_on FROM findings WHERE id = ?", [ident])
    return registry.top_leader_at(con, unit, day)
