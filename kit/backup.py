"""备份与恢复: consistent copies taken while the apps run, checked before they are trusted.

While the data service runs, a backup is made there: saves wait only while the log is
merged into the file, then go on while the file is copied (kit.service.owner). Without
the service, it is taken under the shared lock every reader takes: a save waits until
the copy is done. Either way the manifest is read from a view of exactly what was
copied. A restore replaces the file, so it needs the service stopped. Next to
each copy goes a manifest with the file's SHA-256, the trace's last (seq, hash) and
a digest of every table, so a restore can refuse a damaged or altered copy and prove
that what it put back equals what was saved, table by table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit import access, anchor, audit, config, db, door, schema, trace
from kit.db import Connection
from kit.errors import DatabaseError, InvalidInput, NotFound

FORMAT = 1
SUFFIX = ".duckdb"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BackupInfo:
    file: Path
    manifest: dict[str, Any]

    @property
    def summary(self) -> str:
        m = self.manifest
        rows = sum(t["rows"] for t in m["tables"].values())
        tables, seq, digest = len(m["tables"]), m["trace"]["seq"], m["sha256"][:16]
        return f"{self.file.name}：{tables} 张表共 {rows} 行，留痕至第 {seq} 条，SHA-256 {digest}…"


def table_digests(con: Connection) -> dict[str, dict[str, Any]]:
    """Row count and a digest of the ordered contents of every table."""
    names = [r[0] for r in con.all("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")]
    found = {}
    for name in sorted(names):
        digest, rows = hashlib.sha256(), 0
        cursor = con.execute(f'SELECT * FROM "{name}" ORDER BY ALL')
        while batch := cursor.fetchmany(5000):
            for row in batch:
                digest.update(repr(row).encode("utf-8"))
                digest.update(b"\n")
            rows += len(batch)
        found[name] = {"rows": rows, "digest": digest.hexdigest()}
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path | db.Source, target: Path) -> None:
    """Copy a file (or what `source` reads) and flush it to disk, so a power cut after this cannot leave half a file.

    Raises:
        DatabaseError: the copy could not be written (a full disk, no permission); nothing of it is left.
    """
    try:
        with contextlib.ExitStack() as files:
            src = files.enter_context(open(source, "rb")) if isinstance(source, Path) else source
            dst = files.enter_context(open(target, "wb"))
            shutil.copyfileobj(src, dst, _CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as e:
        target.unlink(missing_ok=True)
        raise DatabaseError(
            f"无法把 {Path(source.name).name} 复制到 {target.parent}（{e.strerror or e}）：磁盘可能已满或没有写入权限。"
            "未留下不完整的副本，原有文件未被改动。"
        ) from e


def _tail(con: Connection) -> dict[str, Any]:
    row = con.one("SELECT seq, hash FROM trace_log ORDER BY seq DESC LIMIT 1")
    return {"seq": int(row[0]), "hash": str(row[1])} if row else {"seq": 0, "hash": trace.GENESIS}


def manifest_path(file: Path) -> Path:
    return file.with_suffix(".json")


@door.action("path")
def backup(path: str | Path | None, folder: str | Path, *, keep: int | None = None) -> BackupInfo:
    """Copy the database into `folder` with its manifest; keep only the newest `keep` copies.

    Raises:
        PermissionDenied: the user is not an administrator of all units.
        Busy: a save held the file past the wait.
        DatabaseError: the copy could not be written (a full disk) or did not read back the same as the original.
    """
    source = config.db_path(path)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    if keep is not None and keep < 1:
        raise InvalidInput.one("keep", "“保留份数”至少为 1")
    with db.read(source) as con:
        access.require_all_units(con, access.ADMIN, what="备份数据库")
        stamp = con.now.strftime("%Y%m%d-%H%M%S-%f")
    target = out / f"{source.stem}-{stamp}{SUFFIX}"
    aside = target.with_name(target.name + ".part")
    with db.copied(source, aside, _copy) as con:  # `con` sees exactly what was copied
        manifest = {
            "format": FORMAT,
            "created_at": con.now.isoformat(),
            "created_by": con.actor,
            "source": source.name,
            "schema_version": schema.latest_version(),
            "size": aside.stat().st_size,
            "sha256": _sha256(aside),
            "trace": _tail(con),
            "tables": table_digests(con),
        }
    with db.open_private(aside) as copy:
        if table_digests(copy) != manifest["tables"]:
            aside.unlink()
            raise DatabaseError("备份副本读回后与原库不一致，已删除该副本。请检查磁盘后重试。")
    os.replace(aside, target)
    manifest_file = manifest_path(target)
    try:
        manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as e:
        target.unlink(missing_ok=True)
        manifest_file.unlink(missing_ok=True)
        raise DatabaseError(f"无法写入备份清单（{e.strerror or e}）：磁盘可能已满，已删除这份备份。") from e
    if keep is not None:
        prune(out, source.stem, keep)
    return BackupInfo(target, manifest)


def generations(folder: Path, stem: str) -> list[Path]:
    """The backups of one database in a folder, oldest first."""
    return sorted(p for p in folder.glob(f"{stem}-*{SUFFIX}") if manifest_path(p).exists())


def prune(folder: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of a database; returns what was deleted."""
    old = generations(folder, stem)[:-keep]
    for file in old:
        file.unlink()
        manifest_path(file).unlink(missing_ok=True)
    return old


def verify(file: str | Path) -> BackupInfo:
    """Check a backup against its manifest: checksum, trace chain, every table.

    Raises:
        NotFound: the backup or its manifest is missing.
        DatabaseError: the backup is damaged or does not match its manifest.
    """
    backup_file = Path(file)
    if not backup_file.exists():
        raise NotFound(f"备份文件 {backup_file} 不存在")
    try:
        manifest = json.loads(manifest_path(backup_file).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise NotFound(
            f"备份文件 {backup_file.name} 缺少清单 {manifest_path(backup_file).name}，无法核验，已拒绝。"
        ) from e
    except ValueError as e:
        raise DatabaseError(f"备份清单 {manifest_path(backup_file).name} 已损坏，已拒绝。") from e
    if manifest.get("format") != FORMAT:
        raise DatabaseError(f"备份清单 {manifest_path(backup_file).name} 的格式不受支持，已拒绝。")
    if backup_file.stat().st_size != manifest["size"] or _sha256(backup_file) != manifest["sha256"]:
        raise DatabaseError(f"备份文件 {backup_file.name} 的校验和与清单不符（文件已损坏或被改动），已拒绝恢复。")
    with db.open_private(backup_file) as con:
        chain = audit.verify(con)
        if not chain.ok:
            raise DatabaseError(f"备份文件 {backup_file.name} 中的留痕不完整：{chain.reason}，已拒绝恢复。")
        if _tail(con) != manifest["trace"] or table_digests(con) != manifest["tables"]:
            raise DatabaseError(f"备份文件 {backup_file.name} 的内容与清单不符，已拒绝恢复。")
    return BackupInfo(backup_file, manifest)


def restore(file: str | Path, path: str | Path | None = None) -> BackupInfo:
    """Put a checked backup in place of the database; the replaced file is kept beside it.

    Raises:
        NotFound, DatabaseError: the backup is missing, damaged, altered or cannot be copied (nothing was changed).
        PermissionDenied: the user is not an administrator of all units of the current database.
        Busy: a data service holds the file (stop it first), or the apps kept it past the wait.
    """
    target = config.db_path(path)
    if target.exists():
        try:
            with db.read(target) as con:  # through its data service, if one runs: a refusal is traced there
                access.require_all_units(con, access.ADMIN, what="从备份恢复")
        except DatabaseError:
            pass  # a file too damaged to open is exactly what a restore is for
    with db.embedded(target, doing="从备份恢复"):  # a restore replaces the file: no service may hold it
        return _restore(file, target)


def _restore(file: str | Path, target: Path) -> BackupInfo:
    info = verify(file)
    aside = target.with_name(target.name + ".restoring")
    _copy(info.file, aside)
    if _sha256(aside) != info.manifest["sha256"]:
        aside.unlink()
        raise DatabaseError("复制备份时出错（校验和不符），数据库未被改动。请检查磁盘空间后重试。")
    with db.hold(target, action="从备份恢复"):
        if target.exists():
            kept = target.with_name(f"{target.name}.before-restore-{config.now():%Y%m%d-%H%M%S}")
            os.replace(target, kept)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(aside, target)
        tail = info.manifest["trace"]
        anchor.write(target, (int(tail["seq"]), str(tail["hash"])))
    with db.read(target) as con:
        if table_digests(con) != info.manifest["tables"]:
            raise DatabaseError("恢复后的数据库与备份清单不符，请立即联系管理员。")
    return info
