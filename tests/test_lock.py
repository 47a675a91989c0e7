from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.errors import Busy
from kit.lock import FileLock, lock_paths, read_holder


def test_exclusive_lock_keeps_readers_out(tmp_path: Path) -> None:
    target = tmp_path / "x.duckdb"
    with FileLock(target, exclusive=True, wait_s=1), pytest.raises(Busy):
        FileLock(target, exclusive=False, wait_s=0.1).acquire()


def test_shared_locks_coexist_and_keep_writers_out(tmp_path: Path) -> None:
    target = tmp_path / "x.duckdb"
    with (
        FileLock(target, exclusive=False, wait_s=1),
        FileLock(target, exclusive=False, wait_s=0.1),
        pytest.raises(Busy),
    ):
        FileLock(target, exclusive=True, wait_s=0.1).acquire()


def test_writer_records_itself_and_clears_on_release(tmp_path: Path) -> None:
    target = tmp_path / "x.duckdb"
    lock_file, _gate = lock_paths(target)
    with FileLock(target, exclusive=True, wait_s=1, actor="审核员乙", action="销号"):
        holder = read_holder(lock_file)
        assert holder is not None
        assert (holder.actor, holder.action) == ("审核员乙", "销号")
    assert read_holder(lock_file) is None
    assert lock_file.read_bytes() == b""


def test_holder_of_a_dead_process_is_ignored(tmp_path: Path) -> None:
    lock_file, _gate = lock_paths(tmp_path / "x.duckdb")
    lock_file.write_text(json.dumps({"pid": 2**22 + 12345, "actor": "甲", "action": "乙", "since": 0}))
    assert read_holder(lock_file) is None


def test_lock_can_be_taken_again_after_release(tmp_path: Path) -> None:
    target = tmp_path / "x.duckdb"
    lock = FileLock(target, exclusive=True, wait_s=1)
    lock.acquire()
    lock.release()
    with FileLock(target, exclusive=True, wait_s=0.1) as again:
        assert again.waited_s < 0.1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to drop privileges")
def test_a_lock_file_of_another_user_gives_a_chinese_message(tmp_path: Path) -> None:
    db = tmp_path / "kit.duckdb"
    db.touch()
    gate = db.with_name(db.name + ".gate")
    gate.touch()
    gate.chmod(0o600)  # root's, as when a command was once run as root
    tmp_path.chmod(0o777)
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from kit.lock import FileLock\n"
        "from kit.errors import DatabaseError\n"
        "os.setuid(65534)\n"
        "try:\n"
        f"    FileLock(Path({str(db)!r}), exclusive=True, wait_s=1).acquire()\n"
        "except DatabaseError as e:\n"
        "    print(e.message); sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "无法打开锁文件 kit.duckdb.gate" in done.stdout
