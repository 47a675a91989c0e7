from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from kit import db, registry, schema
from kit.errors import Busy, DatabaseError, NotFound, SchemaError
from kit.lock import FileLock


def test_init_from_empty_applies_every_migration_with_its_record(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    assert db.init(path) == schema.latest_version()
    with db.read(path) as con:
        recorded = con.all("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        tables = {r[0] for r in con.all("SELECT table_name FROM information_schema.tables")}
    assert [(v, n, c) for v, n, c in recorded] == [(m.version, m.name, m.checksum) for m in schema.migrations()]
    assert {"units", "people", "tenures", "score_sheets", "scores", "followups", "trace_log"} <= tables


def test_init_twice_changes_nothing(db_path: Path) -> None:
    assert db.init(db_path) == schema.latest_version()
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM schema_migrations") == schema.latest_version()


def test_read_of_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="kit init"), db.read(tmp_path / "none.duckdb"):
        pass


def test_write_of_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none.duckdb"
    with pytest.raises(NotFound), db.write(path, action="测试"):
        pass
    assert not path.exists()


def test_a_query_after_a_half_read_result_gets_its_own_rows(db_path: Path) -> None:
    # A function that reads one row of a long result and then asks for a table must get that table
    # (DuckDB 2 refuses new work on a connection with an unfinished result).
    with db.read(db_path) as con:
        assert con.execute("SELECT * FROM range(100000)").fetchone() == (0,)
        assert con.arrow("SELECT 41 + 1 AS answer").to_pylist() == [{"answer": 42}]
        assert con.scalar("SELECT count(*) FROM range(7)") == 7


def _make_newer(path: Path) -> None:
    raw = duckdb.connect(str(path))
    raw.execute(
        "INSERT INTO schema_migrations VALUES (?, 'from_the_future', 'x', now())", [schema.latest_version() + 1]
    )
    raw.close()


def test_newer_file_is_refused_for_reading(db_path: Path) -> None:
    _make_newer(db_path)
    with pytest.raises(SchemaError, match="高于本程序支持的版本"), db.read(db_path):
        pass


def test_newer_file_is_refused_for_writing_and_left_untouched(db_path: Path) -> None:
    _make_newer(db_path)
    before = db_path.read_bytes()
    with pytest.raises(SchemaError), db.write(db_path, action="测试"):
        pass
    with pytest.raises(SchemaError):
        db.init(db_path)
    assert db_path.read_bytes() == before


def test_exception_inside_write_rolls_everything_back(db_path: Path) -> None:
    with pytest.raises(RuntimeError), db.write(db_path, action="测试") as con:
        registry.add_person(con, name="甲")
        raise RuntimeError("boom")
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM people") == 0


def test_commit_on_clean_exit(db_path: Path) -> None:
    with db.write(db_path, action="测试") as con:
        registry.add_person(con, name="甲")
    with db.read(db_path) as con:
        assert con.all("SELECT name FROM people") == [("甲",)]


def test_sql_error_becomes_database_error_in_chinese(db_path: Path) -> None:
    with pytest.raises(DatabaseError, match="数据库操作失败"), db.read(db_path) as con:
        con.execute("SELECT no_such_column FROM people")


def test_read_connection_cannot_write(db_path: Path) -> None:
    with pytest.raises(DatabaseError), db.read(db_path) as con:
        registry.add_person(con, name="甲")
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM people") == 0


@pytest.mark.embedded_only("the sidecar lock of the embedded path (tests/test_service.py: the write turn)")
def test_busy_message_names_the_writer_and_nothing_runs(db_path: Path) -> None:
    holder = FileLock(db_path, exclusive=True, wait_s=1, actor="录入员甲", action="保存评分表")
    with holder:
        started = time.monotonic()
        with pytest.raises(Busy) as caught, db.write(db_path, action="测试", wait_s=0.3) as con:
            con.execute("INSERT INTO people (name) VALUES ('不应写入')")
        assert time.monotonic() - started < 2
    assert "录入员甲" in caught.value.message
    assert "保存评分表" in caught.value.message
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM people") == 0


def _hold(db_path: Path, how: str) -> subprocess.Popen[str]:
    """Another process that holds the database (`read` or `write`) until killed."""
    script = (
        "import sys, time\n"
        "from kit import db\n"
        f"ctx = db.read({str(db_path)!r}) if {how!r} == 'read' else db.write({str(db_path)!r}, action='长时间操作')\n"
        "with ctx:\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.embedded_only("processes sharing the sidecar lock; the service has one reader per session")
def test_readers_in_two_processes_share_the_file(db_path: Path) -> None:
    other = _hold(db_path, "read")
    try:
        with db.read(db_path, wait_s=0.5) as con:
            assert con.scalar("SELECT 1") == 1
    finally:
        other.kill()
        other.wait()


@pytest.mark.embedded_only("a writer locks readers out of the file; the service's readers never wait")
def test_a_writer_in_another_process_makes_readers_wait_then_busy(db_path: Path) -> None:
    other = _hold(db_path, "write")
    try:
        with pytest.raises(Busy, match="长时间操作"), db.read(db_path, wait_s=0.3):
            pass
    finally:
        other.kill()
        other.wait()
    with db.read(db_path, wait_s=2) as con:  # the killed writer's lock is gone with it
        assert con.scalar("SELECT 1") == 1


@pytest.mark.embedded_only("one attached file per process; sessions of the service may overlap")
def test_nested_actions_in_one_process_are_a_programming_error(db_path: Path) -> None:
    with db.read(db_path), pytest.raises(RuntimeError, match="nested"), db.read(db_path):
        pass


@pytest.mark.embedded_only("kit attaching a file another program holds; the service holds it itself")
def test_a_program_outside_kit_holding_the_file_gives_busy(db_path: Path) -> None:
    script = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(db_path)!r})\n"
        "print('ready', flush=True)\n"
        "time.sleep(20)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(Busy, match="监督台以外的程序"), db.read(db_path, wait_s=0.5):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_failed_migration_leaves_no_trace_of_itself(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = schema.Migration(
        schema.latest_version() + 1, "broken", "CREATE TABLE half_done (x INTEGER); SELECT * FROM nowhere;"
    )
    shipped = schema.migrations()
    monkeypatch.setattr(schema, "migrations", lambda: [*shipped, broken])
    with pytest.raises(DatabaseError, match="broken"):
        db.init(db_path)
    monkeypatch.setattr(schema, "migrations", lambda: shipped)
    with db.read(db_path) as con:
        assert con.scalar("SELECT max(version) FROM schema_migrations") == len(shipped)
        assert not con.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'")


def test_reading_an_older_file_upgrades_it_first(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = schema.migrations()
    extra = schema.Migration(len(shipped) + 1, "extra", "CREATE TABLE extra_table (x INTEGER);")
    monkeypatch.setattr(schema, "migrations", lambda: [*shipped, extra])
    with db.read(db_path) as con:
        assert con.scalar("SELECT max(version) FROM schema_migrations") == len(shipped) + 1
        assert con.scalar("SELECT count(*) FROM extra_table") == 0


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in schema.migrations()]
    assert versions == list(range(1, len(versions) + 1))
