"""Backups: consistent, checked, restorable table by table; damaged ones refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kit import backup, cli, db, integrity
from kit.errors import Busy, DatabaseError, NotFound
from tests.conftest import save
from tests.service_host import offline, serving


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, ordered, read straight from the file (its service, if any, stopped first)."""
    with offline(path):
        con = duckdb.connect(str(path), read_only=True)
    names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    found = {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    con.close()
    return found


def test_a_restore_is_refused_while_a_data_service_holds_the_file(office: dict[str, Any], tmp_path: Path) -> None:
    info = backup.backup(office["db"], tmp_path / "backups")
    with serving(office["db"]), pytest.raises(Busy, match="数据服务正在使用"):
        backup.restore(info.file, office["db"])
    assert not list(office["db"].parent.glob("*.before-restore-*"))


def test_a_restored_file_equals_the_original_table_by_table(demo_db: Path, tmp_path: Path) -> None:
    info = backup.backup(demo_db, tmp_path / "backups")
    original = _tables(demo_db)
    target = tmp_path / "restored" / "kit.duckdb"
    target.parent.mkdir()
    with offline(target):
        backup.restore(info.file, target)
    assert _tables(target) == original
    assert set(original) >= {"units", "score_sheets", "scores", "trace_log", "users"}
    assert integrity.check(target).ok  # the anchor was set from the backup


def test_the_manifest_describes_the_copy(demo_db: Path, tmp_path: Path) -> None:
    info = backup.backup(demo_db, tmp_path)
    manifest = json.loads(backup.manifest_path(info.file).read_text(encoding="utf-8"))
    assert manifest["sha256"] == info.manifest["sha256"]
    assert manifest["tables"]["units"]["rows"] == 79
    with db.read(demo_db) as con:
        assert manifest["trace"]["seq"] == con.scalar("SELECT max(seq) FROM trace_log")


def test_restore_replaces_a_changed_file_and_keeps_it_aside(office: dict[str, Any], tmp_path: Path) -> None:
    save(office, "a", 30, 20, 20)
    info = backup.backup(office["db"], tmp_path / "backups")
    saved = _tables(office["db"])
    save(office, "b", 40, 30, 30)  # after the backup
    with offline(office["db"]):
        backup.restore(info.file, office["db"])
    assert _tables(office["db"]) == saved
    kept = list(office["db"].parent.glob("kit.duckdb.before-restore-*"))
    assert len(kept) == 1
    assert len(_tables(kept[0])["score_sheets"]) == 2
    save(office, "b", 39, 30, 30)  # the restored file takes new saves, the chain goes on
    assert integrity.check(office["db"]).ok


@pytest.mark.parametrize("damage", ["byte", "truncate", "manifest", "no-manifest", "tables"])
def test_a_damaged_backup_is_refused_and_nothing_changes(office: dict[str, Any], tmp_path: Path, damage: str) -> None:
    info = backup.backup(office["db"], tmp_path / "backups")
    save(office, "a", 30, 20, 20)
    before = _tables(office["db"])
    manifest = backup.manifest_path(info.file)
    if damage == "byte":
        with open(info.file, "r+b") as f:
            f.seek(info.file.stat().st_size // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "truncate":
        with open(info.file, "r+b") as f:
            f.truncate(info.file.stat().st_size // 2)
    elif damage == "manifest":
        manifest.write_text("{not json", encoding="utf-8")
    elif damage == "no-manifest":
        manifest.unlink()
    else:  # a consistent checksum over altered contents: the table digests catch it
        data = json.loads(manifest.read_text(encoding="utf-8"))
        data["tables"]["units"]["rows"] += 1
        manifest.write_text(json.dumps(data), encoding="utf-8")
    with offline(office["db"]), pytest.raises((DatabaseError, NotFound), match="拒绝"):
        backup.restore(info.file, office["db"])
    assert _tables(office["db"]) == before
    assert not list(office["db"].parent.glob("*.before-restore-*"))


def test_scheduled_backups_keep_n_generations(office: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    made = [backup.backup(office["db"], folder, keep=3).file for _ in range(5)]
    assert backup.generations(folder, "kit") == made[-3:]
    assert len(list(folder.glob("*.json"))) == 3


def test_backup_and_restore_commands(
    office: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "backups"
    assert cli.main(["backup", "--db", str(office["db"]), "--dir", str(folder), "--keep", "2"]) == 0
    [file] = backup.generations(folder, "kit")
    assert cli.main(["restore", "--db", str(office["db"]), "--check-only", str(file)]) == 0
    assert "核验通过" in capsys.readouterr().out
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(file, copy)
    assert cli.main(["restore", "--db", str(tmp_path / "new.duckdb"), str(file)]) == 0
    assert _tables(tmp_path / "new.duckdb") == _tables(copy)
    file.write_bytes(b"not a database")
    with offline(office["db"]):
        assert cli.main(["restore", "--db", str(office["db"]), str(file)]) == 1
    assert "校验和" in capsys.readouterr().err
