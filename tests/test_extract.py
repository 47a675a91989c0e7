"""`kit extract`: a file holding one user's scope and nothing else, with its manifest, recorded in the trace."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from kit import access, cli, db, extract
from kit.errors import InvalidInput, NotFound, PermissionDenied

# Tables whose rows belong to one unit, by the column that says which.
BY_UNIT = {
    "units": "id",
    "tenures": "unit_id",
    "score_sheets": "unit_id",
    "findings": "unit_id",
    "feedbacks": "unit_id",
    "inspection_targets": "unit_id",
    "rectification_evaluations": "unit_id",
    "rectification_handovers": "unit_id",
}
# Tables whose rows belong to a row of another: (column, parent table).
BY_PARENT = {
    "scores": ("sheet_id", "score_sheets"),
    "followups": ("sheet_id", "score_sheets"),
    "clues": ("finding_id", "findings"),
    "clue_outcomes": ("clue_id", "clues"),
    "rectification_items": ("finding_id", "findings"),
    "rectification_updates": ("item_id", "rectification_items"),
    "rectification_copies": ("update_id", "rectification_updates"),
    "evidence_files": ("item_id", "rectification_items"),
}


def _units_of(path: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setenv("KIT_OPERATOR", user)
    with db.read(path) as con:
        units = access.visible_units(con)
    monkeypatch.delenv("KIT_OPERATOR")
    assert units is not None
    return units


def test_an_extract_holds_the_users_units_whole_and_nothing_else(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    units = _units_of(demo_db, "luru01", monkeypatch)  # 王丽: the units one stationed group supervises
    made = extract.extract("luru01", tmp_path / "wangli.duckdb", db_path=demo_db)
    out = duckdb.connect(str(made.path), read_only=True)
    with db.read(demo_db) as con:
        for table, column in BY_UNIT.items():
            inside = sorted(r[0] for r in out.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall())
            assert set(inside) <= set(units), f"{table} holds a unit outside the scope"
            expected = con.scalar(f"SELECT count(*) FROM {table} WHERE list_contains(?, {column})", [units])
            assert out.execute(f"SELECT count(*) FROM {table}").fetchone() == (expected,), f"{table} is not whole"
        for table, (column, parent) in BY_PARENT.items():
            parent_key = "id"
            orphans = out.execute(
                f"SELECT count(*) FROM {table} WHERE {column} NOT IN (SELECT {parent_key} FROM {parent})"
            ).fetchone()
            assert orphans == (0,), f"{table} holds rows of another unit's {parent}"
            expected = con.scalar(
                f"SELECT count(*) FROM {table} WHERE {column} IN"
                f" (SELECT id FROM {parent} WHERE id IN ({_rows_in_scope(parent)}))",
                [units],
            )
            assert out.execute(f"SELECT count(*) FROM {table}").fetchone() == (expected,), f"{table} is not whole"
        others = con.all(
            "SELECT name FROM people p WHERE NOT EXISTS (SELECT 1 FROM tenures t"
            " WHERE t.person_id = p.id AND list_contains(?, t.unit_id))",
            [units],
        )
    names = {r[0] for r in out.execute("SELECT name FROM people").fetchall()}
    served = {r[0] for r in out.execute("SELECT DISTINCT person_id FROM tenures").fetchall()}
    assert served <= {r[0] for r in out.execute("SELECT id FROM people").fetchall()}
    strangers = names & {r[0] for r in others}
    # Only people the scope's own rows name (a leader who attended a feedback, a copied reader…) are extra.
    referenced = {
        r[0]
        for r in out.execute(f"SELECT name FROM people WHERE id IN ({extract._PEOPLE})", {"units": units}).fetchall()
    }
    assert strangers <= referenced
    tables = {r[0] for r in out.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(extract.TABLES) | {extract.MANIFEST_TABLE}
    assert out.execute("SELECT count(*) FROM evidence_files WHERE content IS NOT NULL").fetchone() == (0,)
    out.close()
    assert made.path.stat().st_mode & 0o777 == 0o600


def _rows_in_scope(table: str) -> str:
    """The ids of `table`'s rows in the scope ($1 the unit ids), through its parents."""
    if table in BY_UNIT:
        return f"SELECT id FROM {table} WHERE list_contains($1, unit_id)"
    column, parent = BY_PARENT[table]
    return f"SELECT id FROM {table} WHERE {column} IN ({_rows_in_scope(parent)})"


def test_the_manifest_says_who_when_and_which_trace_entry(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.read(demo_db) as con:
        last = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1")
    made = extract.extract("luru01", tmp_path / "wangli.duckdb", db_path=demo_db)
    out = duckdb.connect(str(made.path), read_only=True)
    manifest = dict(out.execute("SELECT key, value FROM extract_manifest").fetchall())
    out.close()
    assert (manifest["user"], manifest["display_name"], manifest["made_by"]) == ("luru01", "王丽", "本机操作员")
    assert (int(manifest["trace_seq"]), manifest["trace_hash"]) == (last[0], last[1])
    assert json.loads(manifest["rows"])["findings"] == made.manifest["rows"]["findings"]
    assert manifest["made_at"][:4].isdigit()
    with db.read(demo_db) as con:
        entry = con.one("SELECT seq, actor, action, row_key, after_json FROM trace_log ORDER BY seq DESC LIMIT 1")
    assert entry[:4] == (last[0] + 1, "本机操作员", "导出范围副本", "luru01")
    assert json.loads(entry[4])["sha256"] == made.manifest["sha256"]


def test_only_an_administrator_of_all_units_makes_extracts(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "mine.duckdb"
    for user in ("luru01", "fenxi01"):  # a scoped 录入员; an analyst of all units (not an administrator)
        monkeypatch.setenv("KIT_OPERATOR", user)
        with pytest.raises(PermissionDenied):
            extract.extract("luru01", out, db_path=demo_db)
        assert not out.exists()
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
    with pytest.raises(NotFound):
        extract.extract("nobody", out, db_path=demo_db)
    out.write_bytes(b"kept")
    with pytest.raises(InvalidInput) as refused:
        extract.extract("luru01", out, db_path=demo_db)
    assert "已存在" in refused.value.message
    assert out.read_bytes() == b"kept"


def test_every_table_is_in_extracts_or_left_out_on_purpose(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        tables = {r[0] for r in con.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")}
    assert set(extract.TABLES) | set(extract.EXCLUDED) == tables
    assert not set(extract.TABLES) & set(extract.EXCLUDED)


def test_the_command_writes_it_and_says_what(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "wangli.duckdb"
    assert cli.main(["--db", str(demo_db), "extract", "--user", "luru01", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "给 luru01（王丽）" in said
    assert "导出已记入留痕第" in said
    assert out.exists()
