"""The file's structure: the migrations shipped in kit/migrations, the version a file is at, upgrading it.

Each migration runs in its own transaction with its row in `schema_migrations` (version,
name, checksum, when). A file written by a newer program is refused, never opened.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from kit import config
from kit.connection import first_line
from kit.errors import DatabaseError, SchemaError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def migrations() -> list[Migration]:
    """The migrations shipped with this program, in order."""
    found = []
    for entry in resources.files("kit.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            sql = entry.read_text(encoding="utf-8")
            found.append(Migration(int(match.group(1)), match.group(2), sql))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("kit/migrations must be numbered 0001, 0002, … without gaps")
    return found


def latest_version() -> int:
    return len(migrations())


def version(raw: duckdb.DuckDBPyConnection) -> int:
    # Asking the table directly is much faster than information_schema on every open.
    try:
        row = raw.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0


def check_not_newer(version: int, path: Path) -> None:
    latest = latest_version()
    if version > latest:
        raise SchemaError(
            f"数据库文件 {path.name} 的结构版本为 {version}，高于本程序支持的版本 {latest}："
            "它由更新的监督台写入，已拒绝打开，以免损坏数据。请升级程序后再使用。"
        )


def migrate(raw: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Apply pending migrations, each with its record in one transaction."""
    current = version(raw)
    check_not_newer(current, path)
    raw.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for migration in migrations()[current:]:
        raw.execute("BEGIN TRANSACTION")
        try:
            raw.execute(migration.sql)
            raw.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [migration.version, migration.name, migration.checksum, config.now()],
            )
            raw.execute("COMMIT")
        except duckdb.Error as e:
            raw.execute("ROLLBACK")
            raise DatabaseError(f"数据库升级到版本 {migration.version}（{migration.name}）失败：{first_line(e)}") from e
    return latest_version()
