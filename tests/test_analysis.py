"""`analysis.query`: one read-only SELECT over the office's tables, nothing else, for all-units users only."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import analysis, backup, db
from kit.errors import DatabaseError, InvalidInput, PermissionDenied


@pytest.fixture
def office(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi01")  # the demo's analyst of all units
    return demo_db


def _state(path: Path) -> dict[str, str]:
    with db.read(path) as con:
        digests = backup.table_digests(con)
    digests.pop("write_outcomes", None)
    return digests


def test_an_analyst_of_all_units_reads_with_sql(office: Path) -> None:
    frame = analysis.query(
        "SELECT kind, count(*) AS n FROM units WHERE kind = ? GROUP BY kind", ["county"], db_path=office
    )
    with db.read(office) as con:
        expected = con.scalar("SELECT count(*) FROM units WHERE kind = 'county'")
    assert frame.to_dict("records") == [{"kind": "county", "n": expected}]


def _hostile(target: Path) -> list[str]:
    other = str(target.with_name("other.duckdb"))
    return [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('http://example.org/x.parquet')",
        f"COPY (SELECT * FROM users) TO '{target}'",
        f"EXPORT DATABASE '{target.parent / 'export'}'",
        f"ATTACH '{other}' AS other",
        "DETACH kit",
        "UPDATE user_roles SET role = 'admin' WHERE user_name = 'fenxi01'",
        "INSERT INTO user_roles VALUES ('fenxi01', 'admin')",
        "SELECT 1; UPDATE users SET active = false",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "PRAGMA database_list",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CREATE TABLE stolen AS SELECT * FROM users",
        "CALL pragma_version()",
    ]


@pytest.mark.parametrize("index", range(19))
def test_sql_that_reaches_outside_the_tables_or_writes_is_refused_and_changes_nothing(
    office: Path, tmp_path: Path, index: int
) -> None:
    target = tmp_path / "out.csv"
    sql = _hostile(target)[index]
    before = _state(office)
    with pytest.raises((InvalidInput, DatabaseError)) as refused:
        analysis.query(sql, db_path=office)
    assert refused.value.message.startswith(("自由 SQL 查询只能是一条 SELECT 语句", "数据库操作失败")), sql
    assert _state(office) == before, f"{sql} changed the office"
    assert not target.exists()
    assert not (tmp_path / "export").exists()
    with db.read(office) as con:
        assert con.all("SELECT role FROM user_roles WHERE user_name = 'fenxi01'") == [("analyst",)]


def test_the_list_of_hostile_sql_is_the_one_tested(tmp_path: Path) -> None:
    assert len(_hostile(tmp_path / "x")) == 19


def test_a_scoped_analyst_gets_no_sql_at_all(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru01")  # 王丽: the units of one stationed group only
    with pytest.raises(PermissionDenied) as refused:
        analysis.query("SELECT count(*) FROM units", db_path=office)
    assert "授权范围只含部分单位" in refused.value.message
