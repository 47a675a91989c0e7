"""`kit extract`: a DuckDB file holding one user's scope only, for an analyst who works offline.

A scoped analyst may not read the office file (whoever can read it reads every unit:
docs/security.md). An administrator of all units makes them an extract instead: every
table the analyst's work needs, limited to the units their scopes cover today, with a
manifest of who it is for, who made it, when, and the last trace entry of the snapshot
it was taken from. Tables that are not any one unit's (users, the trace, settings, the
inspection office's own pools) are left out. The extract is recorded in the trace.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kit import access, config, db, door, trace
from kit.db import Connection
from kit.errors import InvalidInput, NotFound

# $units: the ids of the user's units. Each table, with the rows of those units only.
_FINDINGS = "SELECT id FROM findings WHERE list_contains($units, unit_id)"
_SHEETS = "SELECT id FROM score_sheets WHERE list_contains($units, unit_id)"
_ITEMS = f"SELECT id FROM rectification_items WHERE finding_id IN ({_FINDINGS})"
_UPDATES = f"SELECT id FROM rectification_updates WHERE item_id IN ({_ITEMS})"
_ROUNDS = (
    "SELECT round_id FROM inspection_targets WHERE list_contains($units, unit_id)"
    " UNION SELECT round_id FROM findings WHERE list_contains($units, unit_id) AND round_id IS NOT NULL"
)
_PEOPLE = " UNION ".join(
    [
        "SELECT person_id FROM tenures WHERE list_contains($units, unit_id)",
        f"SELECT leader_id FROM rectification_items WHERE id IN ({_ITEMS})",
        "SELECT leader_id FROM feedbacks WHERE list_contains($units, unit_id)",
        f"SELECT person_id FROM followups WHERE sheet_id IN ({_SHEETS})",
        "SELECT from_person_id FROM rectification_handovers WHERE list_contains($units, unit_id)",
        "SELECT to_person_id FROM rectification_handovers WHERE list_contains($units, unit_id)",
        f"SELECT person_id FROM rectification_copies WHERE update_id IN ({_UPDATES})",
    ]
)
TABLES: dict[str, str] = {
    "schema_migrations": "SELECT * FROM schema_migrations",
    "units": "SELECT * FROM units WHERE list_contains($units, id)",
    "people": f"SELECT * FROM people WHERE id IN ({_PEOPLE})",
    "tenures": "SELECT * FROM tenures WHERE list_contains($units, unit_id)",
    "assessment_schemes": "SELECT * FROM assessment_schemes",
    "assessment_indicators": "SELECT * FROM assessment_indicators",
    "grade_bands": "SELECT * FROM grade_bands",
    "assessment_closings": "SELECT * FROM assessment_closings",
    "score_sheets": "SELECT * FROM score_sheets WHERE list_contains($units, unit_id)",
    "scores": f"SELECT * FROM scores WHERE sheet_id IN ({_SHEETS})",
    "followups": f"SELECT * FROM followups WHERE sheet_id IN ({_SHEETS})",
    "finding_categories": "SELECT * FROM finding_categories",
    "inspection_rounds": f"SELECT * FROM inspection_rounds WHERE id IN ({_ROUNDS})",
    "inspection_targets": "SELECT * FROM inspection_targets WHERE list_contains($units, unit_id)",
    "inspection_groups": (
        "SELECT * FROM inspection_groups WHERE id IN"
        " (SELECT group_id FROM inspection_targets WHERE list_contains($units, unit_id))"
    ),
    "findings": "SELECT * FROM findings WHERE list_contains($units, unit_id)",
    "clues": f"SELECT * FROM clues WHERE finding_id IN ({_FINDINGS})",
    "clue_outcomes": (
        f"SELECT * FROM clue_outcomes WHERE clue_id IN (SELECT id FROM clues WHERE finding_id IN ({_FINDINGS}))"
    ),
    "feedbacks": "SELECT * FROM feedbacks WHERE list_contains($units, unit_id)",
    "rectification_items": f"SELECT * FROM rectification_items WHERE id IN ({_ITEMS})",
    "rectification_updates": f"SELECT * FROM rectification_updates WHERE id IN ({_UPDATES})",
    "rectification_copies": f"SELECT * FROM rectification_copies WHERE update_id IN ({_UPDATES})",
    "rectification_evaluations": "SELECT * FROM rectification_evaluations WHERE list_contains($units, unit_id)",
    "rectification_handovers": "SELECT * FROM rectification_handovers WHERE list_contains($units, unit_id)",
    "record_corrections": (
        "SELECT * FROM record_corrections WHERE list_contains($units, unit_id)"
        f" OR (record_table = 'inspection_rounds' AND record_id IN ({_ROUNDS}))"
    ),
    # The files' names, sizes and digests; their content stays in the office file.
    "evidence_files": (
        "SELECT id, update_id, item_id, filename, size, sha256, NULL::BLOB AS content"
        f" FROM evidence_files WHERE item_id IN ({_ITEMS})"
    ),
}
# Not any one unit's, so in no extract.
EXCLUDED = {
    "trace_log": "整个监督台的留痕（含所有单位的修改前后内容）",
    "write_outcomes": "保存请求的结果记录",
    "settings": "全局设置",
    "users": "用户名单",
    "user_roles": "用户角色",
    "user_scopes": "用户授权范围",
    "inspector_pool": "巡察干部人才库（巡察办自己的）",
    "group_members": "巡察组成员（巡察办自己的）",
}
MANIFEST_TABLE = "extract_manifest"
_UNIT_NAMES = "SELECT name FROM units WHERE list_contains($units, id) ORDER BY sort_order, code"
ACTION = "导出范围副本"


@dataclass(frozen=True)
class Extract:
    path: Path
    manifest: dict[str, Any]


@door.public
def scope_of(con: Connection, name: str) -> dict[str, Any]:
    """Who `name` is and the units their scopes cover today (None: every unit); all-units administrators only.

    Raises:
        NotFound: no such user.
        PermissionDenied: the acting user is not an administrator of all units.
    """
    access.require_all_units(con, access.ADMIN, what=ACTION)
    row = con.one("SELECT display_name, active FROM users WHERE name = ?", [name])
    if row is None:
        raise NotFound(f"用户“{name}”不存在")
    units = access._scope_units(con, name, con.now.date())
    return {
        "name": name,
        "display_name": row[0],
        "active": bool(row[1]),
        "units": None if units is None else sorted(units),
    }


@door.public
def note(con: Connection, *, name: str, file: str, sha256: str, trace_seq: int, rows: dict[str, int]) -> int:
    """Record in the trace that an extract was made for `name`; returns the entry's sequence number.

    Raises:
        PermissionDenied: the acting user is not an administrator of all units.
    """
    access.require_all_units(con, access.ADMIN, what=ACTION)
    after = {"file": file, "sha256": sha256, "snapshot_trace_seq": trace_seq, "rows": rows}
    return trace.record(con, action=ACTION, table="users", key=name, before=None, after=after)


def extract(name: str, out: str | Path, *, db_path: str | Path | None = None) -> Extract:
    """Write `out`: the office's tables limited to `name`'s scope, with its manifest; record it in the trace.

    Raises:
        InvalidInput: `out` exists already (an extract is never written over a file).
        NotFound: no such user.
        PermissionDenied: the acting user is not an administrator of all units.
    """
    target = Path(out).resolve()
    if target.exists():
        raise InvalidInput.one("out", f"“输出文件”{target.name} 已存在：不覆盖已有文件，请换一个文件名")
    with db.read(db_path) as con:
        who = access.require_all_units(con, access.ADMIN, what=ACTION)
        scope = scope_of(con, name)
        tail = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1") or (0, trace.GENESIS)
        version = con.scalar("SELECT max(version) FROM schema_migrations")
        units = scope["units"]
        if units is None:  # every unit: the same queries, with every unit's id
            units = [int(r[0]) for r in con.all("SELECT id FROM units ORDER BY id")]
        params = {"units": units}
        tables = {table: con.arrow(sql, params if "$units" in sql else None) for table, sql in TABLES.items()}
        unit_names = [str(r[0]) for r in con.all(_UNIT_NAMES, params)]
        made_at = con.now
    rows = {table: int(data.num_rows) for table, data in tables.items()}
    manifest: dict[str, Any] = {
        "user": name,
        "display_name": scope["display_name"],
        "units": "全部单位" if scope["units"] is None else "、".join(unit_names),
        "unit_count": len(unit_names),
        "made_by": who.name,
        "made_at": made_at.isoformat(timespec="seconds"),
        "source": config.db_path(db_path).name,
        "schema_version": int(version or 0),
        "trace_seq": int(tail[0]),
        "trace_hash": str(tail[1]),
        "rows": rows,
        "excluded": EXCLUDED,
        "note": "evidence_files 只含文件名、大小和摘要，不含文件内容",
    }
    _write(target, tables, manifest)
    digest = _sha256(target)
    with db.write(db_path, action=ACTION) as con:
        manifest["recorded_seq"] = note(
            con, name=name, file=target.name, sha256=digest, trace_seq=int(tail[0]), rows=rows
        )
    manifest["sha256"] = digest
    return Extract(target, manifest)


def _write(target: Path, tables: dict[str, pa.Table], manifest: dict[str, Any]) -> None:
    """The extract, whole or not at all: written beside `target`, readable by its owner only, then renamed."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        out = duckdb.connect(str(partial))
        try:
            os.chmod(partial, 0o600)  # before any row is in it
            for table, data in tables.items():
                out.register("incoming", data)
                out.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
                out.unregister("incoming")
            out.execute(f"CREATE TABLE {MANIFEST_TABLE} (key VARCHAR, value VARCHAR)")
            out.executemany(
                f"INSERT INTO {MANIFEST_TABLE} VALUES (?, ?)",
                [[k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)] for k, v in manifest.items()],
            )
            out.execute("CHECKPOINT")
        finally:
            out.close()
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
