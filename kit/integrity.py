"""`kit check`: is the record whole? The trace chain, its anchor, and the data against the trace.

Three questions, each answered by comparing with something the tamperer must also forge:

1. Every trace row links to the one before (kit.audit.verify).
2. The trace still reaches the anchor: the last (seq, hash) kept outside the database
   at each commit (kit.anchor.write), so cutting the last rows off is seen.
3. Every traced record is in the state its latest trace entry says: a row edited,
   added or deleted behind the trace's back no longer matches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from kit import access, anchor, audit, closings, config, corrections, db, door, inspections, rectification, trace
from kit.db import Connection

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_LISTED = 50


@dataclass
class Finding:
    """One thing wrong: where (table and key) and what."""

    table: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{TABLE_LABELS.get(self.table, self.table)}“{self.key}”：{self.problem}"


@dataclass
class IntegrityReport:
    chain: audit.ChainReport
    anchor: str = ""  # empty when the anchor agrees
    anchor_missing: bool = False
    records: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.anchor and not self.findings

    def lines(self) -> list[str]:
        """What `kit check` prints, in Chinese."""
        out = []
        if self.chain.ok:
            out.append(f"留痕哈希链完整：共 {self.chain.rows} 条记录。")
        else:
            out.append(f"留痕哈希链断裂：{self.chain.reason}（自第 {self.chain.first_broken} 条起不可信）。")
        if self.anchor:
            out.append(f"留痕锚点不符：{self.anchor}")
        elif self.anchor_missing:
            out.append("提示：未找到留痕锚点文件，无法确认留痕末尾是否被截去（从备份恢复或复制的文件会如此）。")
        else:
            out.append("留痕锚点相符：末尾未被截去。")
        if self.findings:
            out.append(f"数据与留痕不符 {len(self.findings)} 处（可能在监督台之外被改动）：")
            out.extend(f"  {f}" for f in self.findings[:MAX_LISTED])
            if len(self.findings) > MAX_LISTED:
                out.append(f"  ……另有 {len(self.findings) - MAX_LISTED} 处未列出")
        else:
            out.append(f"数据与留痕相符：核对 {self.records} 条记录。")
        return out


TABLE_LABELS = {
    "units": "单位",
    "people": "人员",
    "tenures": "任职",
    "assessment_schemes": "考核方案",
    "score_sheets": "评分表",
    "followups": "后续措施",
    "users": "用户",
    "user_scopes": "授权范围",
    **closings.TABLE_LABELS,
    **inspections.TABLE_LABELS,
    **rectification.TABLE_LABELS,
    **corrections.TABLE_LABELS,
}


@door.action("path")
def check(path: str | Path | None = None) -> IntegrityReport:
    """Check one database file: chain, anchor and data (an administrator of all units only).

    Raises:
        PermissionDenied: the user is not an administrator of all units.
    """
    file = config.db_path(path)
    with db.read(file) as con:
        access.require_all_units(con, access.ADMIN, what="检查数据完整性")
        report = IntegrityReport(chain=audit.verify(con))
        report.anchor, report.anchor_missing = _check_anchor(con, anchor.read(file))
        report.records, report.findings = compare(con)
    return report


def _check_anchor(con: Connection, anchor: tuple[int, str] | None) -> tuple[str, bool]:
    if anchor is None:
        has_rows = bool(con.scalar("SELECT count(*) FROM trace_log"))
        return "", has_rows
    seq, digest = anchor
    found = con.scalar("SELECT hash FROM trace_log WHERE seq = ?", [seq])
    if found is None:
        last = con.scalar("SELECT coalesce(max(seq), 0) FROM trace_log")
        return f"锚点记录到第 {seq} 条，库中留痕只到第 {last} 条：末尾的留痕被删除了。", False
    if found != digest:
        return f"第 {seq} 条留痕与锚点记下的哈希不同：留痕被改写或整体替换了。", False
    return "", False


# --- data against the trace ----------------------------------------------------


def _norm(value: Any) -> Any:
    """One form for values that went through JSON and values read from the database."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return _decimal_text(Decimal(str(value)))
    if isinstance(value, str) and _NUMBER.match(value):
        return _decimal_text(Decimal(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    return value


def _decimal_text(value: Decimal) -> str:
    try:
        text = format(value.normalize(), "f")
    except InvalidOperation:
        return str(value)
    return "0" if text in ("-0", "") else text


def _as_json(value: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(trace.to_json(value) or "{}")
    return loaded


def _traced(con: Connection, table: str, by_id: bool) -> dict[str, dict[str, Any] | None]:
    """The state the latest trace entry of each record says (None: deleted)."""
    states: dict[str, dict[str, Any] | None] = {}
    rows = con.all("SELECT row_key, before_json, after_json FROM trace_log WHERE table_name = ? ORDER BY seq", [table])
    for key, before, after in rows:
        state = json.loads(after) if after else None
        if by_id:  # records whose key is reused (a follow-up cancelled and raised again): match by id
            ident = (state or (json.loads(before) if before else {})).get("id")
            key = str(ident)
        states[key] = state
    return states


def _current(con: Connection) -> Iterator[tuple[str, bool, dict[str, dict[str, Any]]]]:
    """(table, matched by id, key → state as the trace would record it) for every traced table."""
    yield "units", False, {r["code"]: r for r in con.records("SELECT * FROM units")}
    yield "people", False, {str(r["id"]): r for r in con.records("SELECT * FROM people")}
    yield (
        "tenures",
        False,
        {
            str(r["id"]): r
            for r in con.records(
                "SELECT t.*, p.name AS person, u.code AS unit FROM tenures t"
                " JOIN people p ON p.id = t.person_id JOIN units u ON u.id = t.unit_id"
            )
        },
    )
    yield "assessment_schemes", False, _schemes(con)
    yield "score_sheets", False, _sheets(con)
    yield "followups", True, {str(r["id"]): r for r in con.records("SELECT * FROM followups")}
    users = {}
    for name, display_name, active in con.all("SELECT name, display_name, active FROM users"):
        roles = sorted(r[0] for r in con.all("SELECT role FROM user_roles WHERE user_name = ?", [name]))
        users[name] = {"name": name, "display_name": display_name, "active": active, "roles": roles}
    yield "users", False, users
    yield "user_scopes", False, {str(r["id"]): r for r in con.records("SELECT * FROM user_scopes")}
    for states in (closings.STATE_SQL, inspections.STATE_SQL, rectification.STATE_SQL, corrections.STATE_SQL):
        for table, sql in states.items():
            yield table, False, {r.pop("_key"): r for r in con.records(sql)}


def _schemes(con: Connection) -> dict[str, dict[str, Any]]:
    found = {}
    for row in con.records("SELECT id, code, name, scoring, unit_kinds FROM assessment_schemes"):
        row["indicators"] = con.records(
            "SELECT name, description, max_points, weight FROM assessment_indicators WHERE scheme_id = ? ORDER BY ord",
            [row["id"]],
        )
        row["bands"] = con.records(
            "SELECT label, min_total, triggers_followup FROM grade_bands WHERE scheme_id = ? ORDER BY ord",
            [row["id"]],
        )
        found[row["code"]] = row
    return found


def _sheets(con: Connection) -> dict[str, dict[str, Any]]:
    found = {}
    rows = con.records(
        "SELECT s.id, sc.code || '/' || u.code || '/' || s.year AS key, s.total, s.grade,"
        " coalesce(s.note, '') AS note, s.version, s.voided_at, s.voided_by FROM score_sheets s"
        " JOIN assessment_schemes sc ON sc.id = s.scheme_id JOIN units u ON u.id = s.unit_id"
    )
    lines: dict[int, list[tuple[str, Any, str | None]]] = {}
    for sheet_id, name, score, note in con.all(
        "SELECT sc.sheet_id, i.name, sc.score, sc.note FROM scores sc"
        " JOIN assessment_indicators i ON i.id = sc.indicator_id"
    ):
        lines.setdefault(sheet_id, []).append((name, score, note))
    for row in rows:
        mine = lines.get(row.pop("id"), [])
        key = row.pop("key")
        row["scores"] = {name: score for name, score, _ in mine}
        row["notes"] = {name: note for name, _, note in mine if note}
        found[key] = row
    return found


@door.public
def compare(con: Connection) -> tuple[int, list[Finding]]:
    """Every traced record against its latest trace entry; returns (records checked, findings).

    Raises:
        PermissionDenied: the user is not an administrator of all units.
    """
    access.require_all_units(con, access.ADMIN, what="检查数据完整性")
    checked, findings = 0, []
    for table, by_id, current in _current(con):
        traced = _traced(con, table, by_id)
        for key in sorted(set(traced) | set(current)):
            checked += key in current
            said, now = traced.get(key), current.get(key)
            problem = _difference(said, now, key in traced)
            if problem:
                findings.append(Finding(table, key, problem))
    return checked, findings


def _difference(said: dict[str, Any] | None, now: dict[str, Any] | None, in_trace: bool) -> str:
    if not in_trace:
        return "库中有此记录，留痕中却没有（未经监督台写入）"
    if said is None:
        return "" if now is None else "留痕记载已删除，库中却仍有此记录"
    if now is None:
        return "留痕中有此记录，库中却没有（被删除）"
    current = _norm(_as_json(now))
    expected = _norm(said)
    changed = [name for name, value in expected.items() if current.get(name, _Missing) != value]
    return f"字段 {'、'.join(changed)} 与留痕记载不同（被改动）" if changed else ""


class _Missing:
    """A field the database no longer has."""
