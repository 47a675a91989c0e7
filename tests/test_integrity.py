"""`kit check`: any edit or deletion of a trace row, or of a data row behind the trace's back, is reported."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kit import cli, db, integrity
from tests.conftest import copy_database


@pytest.fixture
def checked_demo(_demo_master: Path, tmp_path: Path) -> Path:
    """A copy of the demo file with its anchor, as the office's machine holds them."""
    path = tmp_path / "kit.duckdb"
    copy_database(_demo_master, path)
    return path


def _raw(path: Path, *statements: str) -> None:
    """Change the file the way someone with the file and a DuckDB shell could, bypassing kit."""
    con = duckdb.connect(str(path))
    for sql in statements:
        con.execute(sql)
    con.close()


def _rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    found = con.execute("SELECT max(seq) FROM trace_log").fetchone()
    con.close()
    assert found is not None
    return int(found[0])


def test_an_untouched_file_passes(checked_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = integrity.check(checked_demo)
    assert report.ok, report.lines()
    assert report.records > 900
    assert cli.main(["check", "--db", str(checked_demo)]) == 0
    assert "检查通过" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("how", ["edit", "delete", "rehash"])
def test_any_trace_row_edited_or_deleted_is_reported(checked_demo: Path, where: str, how: str) -> None:
    last = _rows(checked_demo)
    seq = {"first": 1, "middle": last // 2, "last": last}[where]
    statement = {
        "edit": f"UPDATE trace_log SET actor = '别人' WHERE seq = {seq}",
        "delete": f"DELETE FROM trace_log WHERE seq = {seq}",
        "rehash": f"UPDATE trace_log SET after_json = '{{}}', hash = repeat('a', 64) WHERE seq = {seq}",
    }[how]
    _raw(checked_demo, statement)
    report = integrity.check(checked_demo)
    assert not report.ok
    assert not report.chain.ok or report.anchor


def test_cutting_off_the_end_of_the_trace_is_seen_by_the_anchor(checked_demo: Path) -> None:
    last = _rows(checked_demo)
    _raw(checked_demo, f"DELETE FROM trace_log WHERE seq > {last - 5}")
    report = integrity.check(checked_demo)
    assert report.chain.ok  # the chain alone cannot see this
    assert f"第 {last} 条" in report.anchor
    assert not report.ok


def test_a_whole_forged_trace_does_not_match_the_anchor(checked_demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    db.init(other)  # a fresh, valid chain of its own
    _raw(
        checked_demo,
        "DELETE FROM trace_log",
        f"INSERT INTO trace_log SELECT * FROM read_parquet('{_export(other, tmp_path)}')",
    )
    report = integrity.check(checked_demo)
    assert report.chain.ok
    assert report.anchor


def _export(path: Path, folder: Path) -> Path:
    out = folder / "trace.parquet"
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"COPY trace_log TO '{out}' (FORMAT parquet)")
    con.close()
    return out


BEHIND_THE_TRACE = {
    "score_sheets": "UPDATE score_sheets SET total = total + 5 WHERE id = (SELECT min(id) FROM score_sheets)",
    "scores": "UPDATE scores SET score = score - 1 WHERE sheet_id = (SELECT max(sheet_id) FROM scores)",
    "scores deleted": "DELETE FROM scores WHERE sheet_id = (SELECT min(sheet_id) FROM scores)"
    " AND indicator_id = (SELECT min(indicator_id) FROM scores)",
    "grade": "UPDATE score_sheets SET grade = '优秀' WHERE grade = '不合格'",
    "units": "UPDATE units SET name = '改名单位' WHERE code = 'C05'",
    "unit added": "INSERT INTO units (code, name, kind) VALUES ('ZZ', '凭空单位', 'county')",
    "people": "UPDATE people SET name = '冒名' WHERE id = 7",
    "tenures": "UPDATE tenures SET end_date = start_date + 30 WHERE id = 12",
    "followups": "UPDATE followups SET status = 'done', note = '已办' WHERE status = 'open'",
    "followup deleted": "DELETE FROM followups WHERE id = (SELECT max(id) FROM followups)",
    "bands": "UPDATE grade_bands SET min_total = 50 WHERE label = '基本合格'",
    "indicators": "UPDATE assessment_indicators SET max_points = 99 WHERE id = 1",
    "users": "UPDATE users SET active = TRUE WHERE name = '演示数据'",
    "roles": "INSERT INTO user_roles VALUES ('fenxi01', 'admin')",
    "scopes": "UPDATE user_scopes SET kind = 'all', unit_id = NULL"
    " WHERE id = (SELECT max(id) FROM user_scopes WHERE kind <> 'all')",
    "findings": "UPDATE findings SET involves_top = NOT involves_top WHERE id = 7",
    "finding deleted": "DELETE FROM findings WHERE id = (SELECT max(id) FROM findings WHERE stage = 'midterm')",
    "clue_outcomes": "UPDATE clue_outcomes SET people = people + 3 WHERE outcome = 'discipline'",
    "rectification_items": "UPDATE rectification_items SET status = 'closed' WHERE status = 'pending'",
    "deadline": "UPDATE rectification_items SET deadline = deadline + 90, extensions = 0 WHERE extensions > 2",
    "evidence_files": "UPDATE evidence_files SET content = 'forged'::BLOB WHERE id = 1",
    "rectification_evaluations": "UPDATE rectification_evaluations SET score = 95, grade = '好' WHERE grade = '差'",
    "rectification_handovers": "UPDATE rectification_handovers SET incoming_signed = DATE '2026-01-07'",
    "inspection_targets": "DELETE FROM inspection_targets"
    " WHERE unit_id = (SELECT min(unit_id) FROM inspection_targets)",
    "group_members": "UPDATE group_members SET role = 'member' WHERE role = 'leader'",
    "rectification_copies": "UPDATE rectification_copies SET read_at = now()::TIMESTAMP WHERE id < 5",
}
# Where each change shows (a person's name is also recorded in their tenures).
TABLE_OF = {
    "scores": {"score_sheets"},
    "scores deleted": {"score_sheets"},
    "grade": {"score_sheets"},
    "unit added": {"units"},
    "people": {"people", "tenures"},
    "followup deleted": {"followups"},
    "bands": {"assessment_schemes"},
    "indicators": {"assessment_schemes"},
    "roles": {"users"},
    "scopes": {"user_scopes"},
    "finding deleted": {"findings"},
    "deadline": {"rectification_items"},
}


@pytest.mark.parametrize("change", sorted(BEHIND_THE_TRACE))
def test_data_changed_behind_the_trace_is_reported(checked_demo: Path, change: str) -> None:
    _raw(checked_demo, BEHIND_THE_TRACE[change])
    report = integrity.check(checked_demo)
    assert report.chain.ok
    assert not report.anchor
    assert not report.ok
    assert {f.table for f in report.findings} == TABLE_OF.get(change, {change}), report.findings


def test_the_command_names_what_was_changed(checked_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _raw(checked_demo, BEHIND_THE_TRACE["units"])
    assert cli.main(["check", "--db", str(checked_demo)]) == 1
    err = capsys.readouterr().err
    assert "单位“C05”：字段 name 与留痕记载不同" in err
    assert "检查未通过" in err


def test_a_file_without_anchor_passes_with_a_warning(demo_db: Path) -> None:
    report = integrity.check(demo_db)  # copied without its anchor
    assert report.ok
    assert report.anchor_missing
    assert any("锚点" in line for line in report.lines())


def test_saves_through_kit_keep_the_file_consistent(office: dict[str, object]) -> None:
    from tests.conftest import save

    save(office, "a", 30, 20, 20)
    save(office, "a", 35, 20, 20)
    save(office, "b", 10, 10, 10)  # low: follow-ups raised
    save(office, "b", 40, 30, 30)  # high again: follow-ups cancelled
    report = integrity.check(Path(str(office["db"])))
    assert report.ok, report.lines()
