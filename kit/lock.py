"""OS-level locks on sidecar files, taken before DuckDB opens the database.

DuckDB lets one process hold a read-write handle and then refuses every other
process, so we queue processes ourselves (DESIGN.md, decision 1): readers share
`<db>.lock`, a writer holds it alone. A second file, `<db>.gate`, gives writers
priority: a waiting writer holds the gate, so no new reader slips in ahead of it
and a stream of analysts' queries cannot starve the forms.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kit.errors import Busy, DatabaseError

_WINDOWS = sys.platform == "win32"
log = logging.getLogger(__name__)

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, exclusive: bool) -> bool:
        # msvcrt has no shared locks: on Windows readers queue like writers.
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, exclusive: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_paths(db: Path) -> tuple[Path, Path]:
    """The sidecar files of a database: the lock itself and the writers' gate."""
    return db.with_name(db.name + ".lock"), db.with_name(db.name + ".gate")


@dataclass
class Holder:
    """Who holds the file for writing, as written into the lock file."""

    pid: int
    actor: str
    action: str
    since: float

    def describe(self) -> str:
        held = max(0.0, time.time() - self.since)
        return f"{self.actor}（进程 {self.pid}）正在“{self.action}”，已占用 {held:.0f} 秒"


def _acquire(fd: int, exclusive: bool, since: float, deadline: float) -> bool:
    delay = 0.0005
    while not _try_lock(fd, exclusive):
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            return False
        # Tries come quickly at first (most waits are short), then every 20 ms, then more
        # often again the longer the process has waited (since `since`): 4 ms after 2 s,
        # 0.5 ms after 6 s. A freed lock then mostly goes to one of those waiting longest,
        # so under load no process waits out the whole limit while newer ones pass it.
        # Jitter keeps many waiting processes from retrying in step.
        aged = 0.02 / (1 + (now - since) ** 2)
        time.sleep(min(remaining, max(0.0005, min(delay, aged)) * (0.5 + random.random())))
        delay = min(delay * 2, 0.02)
    return True


def _open(path: Path) -> int:
    """The lock file, created if missing.

    Raises:
        DatabaseError: it cannot be opened (for example, created by another system user).
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, 0o664)
    except OSError as e:
        raise DatabaseError(
            f"无法打开锁文件 {path.name}（{e.strerror}）。请确认数据库所在目录及其中 .lock、.gate 文件"
            "属于运行监督台的系统用户，并可读写（见 docs/deployment.md）。"
        ) from e


def read_holder(lock_path: Path) -> Holder | None:
    """The writer recorded in a lock file, if it is still alive."""
    try:
        raw = lock_path.read_text(encoding="utf-8")
        data = json.loads(raw)
        holder = Holder(int(data["pid"]), str(data["actor"]), str(data["action"]), float(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _WINDOWS:
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
    return holder


class FileLock:
    """A shared (read) or exclusive (write) lock on a database's sidecar files."""

    def __init__(self, db: Path, *, exclusive: bool, wait_s: float, actor: str = "", action: str = "") -> None:
        self.db = db
        self.exclusive = exclusive
        self.wait_s = wait_s
        self.actor = actor
        self.action = action
        self.lock_path, self.gate_path = lock_paths(db)
        self._fd: int | None = None
        self.waited_s = 0.0

    def acquire(self) -> None:
        """Take the lock, waiting at most `wait_s`.

        Raises:
            Busy: the file stayed locked for the whole wait.
        """
        start = time.monotonic()
        deadline = start + self.wait_s
        gate = _open(self.gate_path)
        try:
            # Writers queue on the gate alone; readers only pass through it.
            if not _acquire(gate, self.exclusive, start, deadline):
                raise self._busy()
            fd = _open(self.lock_path)
            try:
                if not _acquire(fd, self.exclusive, start, deadline):
                    raise self._busy()
            except BaseException:
                os.close(fd)
                raise
            finally:
                _unlock(gate)
        finally:
            os.close(gate)
        self._fd = fd
        self.waited_s = time.monotonic() - start
        if self.exclusive:
            self._write_holder()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self.exclusive:
                os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)

    def _write_holder(self) -> None:
        assert self._fd is not None
        info = {"pid": os.getpid(), "actor": self.actor, "action": self.action, "since": time.time()}
        data = json.dumps(info, ensure_ascii=False).encode("utf-8")
        try:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, data)
        except OSError:
            # Only waiters read this, to name who holds the file. A full disk must neither
            # keep the lock taken (the caller never gets to release it) nor reach the caller
            # as an OSError: the action goes on, and DuckDB reports what it cannot write.
            log.warning("could not record the lock holder in %s", self.lock_path, exc_info=True)

    def _busy(self) -> Busy:
        holder = read_holder(self.lock_path)
        who = holder.describe() if holder else "其他用户正在读取或写入"
        return Busy(f"数据库正忙：{who}。已等待 {self.wait_s:.0f} 秒，本次操作未执行，请稍后重试。")

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
