"""The trace's anchor: its last (seq, hash), kept outside the database after each commit.

`kit check` compares it with the trace, so rows cut off the end of the trace are seen.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from kit.errors import DatabaseError

log = logging.getLogger(__name__)


def path_of(db: Path) -> Path:
    """The file that keeps the trace's last (seq, hash), outside the database (`KIT_ANCHOR_DIR`)."""
    folder = os.environ.get("KIT_ANCHOR_DIR", "").strip()
    return (Path(folder) if folder else db.parent) / (db.name + ".anchor")


def read(db: Path) -> tuple[int, str] | None:
    """The last (seq, hash) written by a commit, or None if no anchor was kept."""
    try:
        data = json.loads(path_of(db).read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DatabaseError(f"留痕锚点文件 {path_of(db).name} 已损坏，无法读取。") from e


def write(db: Path, tail: tuple[int, str] | None) -> None:
    """Replace the anchor atomically (write aside, flush to disk, rename over)."""
    if tail is None:
        return
    target = path_of(db)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with open(aside, "w", encoding="utf-8") as f:
        json.dump({"seq": tail[0], "hash": tail[1]}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(aside, target)


def write_after_commit(db: Path, tail: tuple[int, str] | None) -> None:
    # The commit has happened: a failure here must not turn it into an error.
    # A lagging anchor only weakens the truncation check until the next write.
    try:
        write(db, tail)
    except OSError:
        log.warning("could not update the trace anchor", exc_info=True)
