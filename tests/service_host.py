"""The suite's service mode: each database file a test uses is served by a real data service.

The services run in the test process (a Flight server and the held file each), so a
test needs no supervisor; worker processes the test spawns find them through the
address file beside the database, as any client does. Each test's services are
stopped when it ends.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from kit import db
from kit.errors import KitError
from kit.service import client, server

log = logging.getLogger(__name__)


class Host:
    """Starts a service for a file on first use (files under `root` only); stops them on request."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.running: dict[Path, server.Running] = {}
        self.fatal: list[str] = []
        self._lock = threading.Lock()

    def start(self, path: Path) -> client.Found | None:
        file = path.resolve()
        if not file.exists() or not file.is_relative_to(self.root):
            return None
        with self._lock:
            running = self.running.get(file)
            if running is None:
                running = server.Running(file, on_fatal=lambda e: self.fatal.append(f"{file.name}: {e}"))
                self.running[file] = running
        return client.Found(running.address, os.getpid())

    def stop(self, path: Path | None = None) -> None:
        with self._lock:
            files = [path.resolve()] if path is not None else list(self.running)
            stopping = [self.running.pop(f) for f in files if f in self.running]
        for running in stopping:
            running.stop()


_host: Host | None = None


def install(root: Path) -> Host:
    global _host
    _host = Host(root)
    client.starter = _host.start
    os.environ["KIT_MODE"] = "service"
    return _host


def host() -> Host | None:
    return _host


def ensure(path: Path) -> None:
    """In the service mode, a service for `path` runs now (for processes the test starts, which find it)."""
    if _host is not None and path.exists():
        _host.start(path)


@contextmanager
def offline(path: Path) -> Iterator[None]:
    """The file with no service running, opened directly (to tamper with it behind kit's back)."""
    if _host is not None:
        _host.stop(path)
    with db.embedded(path):
        yield


@contextmanager
def serving(path: Path) -> Iterator[None]:
    """A data service for `path` during the block, in either mode (the suite's own, in service mode)."""
    if _host is not None:
        _host.start(path)
        yield
        return
    running = server.Running(path.resolve(), on_fatal=lambda e: log.error("fatal: %s", e))
    try:
        yield
    finally:
        running.stop()


def spawn(path: Path, output: IO[bytes], **popen: Any) -> subprocess.Popen[bytes]:
    """The data service of `path` as a child process of its own (no supervisor), once it answers."""
    proc = subprocess.Popen(  # it stops by itself if this process dies
        [sys.executable, "-m", "kit.service.server", "--db", str(path), "--supervisor", str(os.getpid())],
        stdout=output,
        stderr=subprocess.STDOUT,
        **popen,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the data service exited with {proc.returncode} before answering")
        found = client.found(path)
        if found is not None and found.pid == proc.pid:
            try:
                client.ping(path)
                return proc
            except KitError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the data service did not answer in time")
