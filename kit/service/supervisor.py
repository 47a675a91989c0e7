"""Keeps the data service running: starts it as a child process and starts it again when it dies.

`kit serve` runs one of these beside Voilà. Under systemd, `kit service` runs the
service itself and systemd restarts it (docs/deployment.md). The port stays the same
across restarts, so clients that were told the address keep finding it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from kit import config
from kit.errors import ServiceUnavailable
from kit.service import client

_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
_STABLE_S = 30.0  # a service that ran this long before dying is restarted at once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Supervisor:
    """The data service of one file, as a child process, restarted whenever it exits."""

    def __init__(self, db: Path, *, port: int | None = None, output: IO[bytes] | None = None) -> None:
        self.db = db.resolve()
        self.port = port or free_port()
        self.address = f"grpc+tcp://127.0.0.1:{self.port}"
        self.output = output
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "kit.service.server",
            "--db",
            str(self.db),
            "--port",
            str(self.port),
            "--supervisor",
            str(os.getpid()),
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("KIT_MODE", "KIT_SERVICE")}
        return subprocess.Popen(command, env=env, stdout=self.output, stderr=subprocess.STDOUT if self.output else None)

    def start(self, timeout_s: float = 60.0) -> str:
        """Start the service and wait until it answers; returns its address.

        Raises:
            ServiceUnavailable: it did not answer in time (its output says why).
        """
        self._stopping.clear()  # (again, after a stop)
        with self._lock:
            self._proc = self._spawn()
        self.wait_ready(timeout_s)
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="kit-supervisor")
        self._watcher.start()
        return self.address

    def wait_ready(self, timeout_s: float) -> None:
        """Until the service of this file answers a ping (started by us, with our pid in its address file)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            proc = self._proc
            if proc is not None and proc.poll() is not None and self._watcher is None:
                raise ServiceUnavailable(f"数据服务未能启动（退出代码 {proc.returncode}），请查看上方日志。")
            found = client.found(self.db)
            if found is not None and found.address == self.address and found.pid == self.pid:
                try:
                    client.ping(self.db, wait_s=0, actor=config.operator())  # the service's own operator asks
                    return
                except ServiceUnavailable:
                    pass
            time.sleep(0.1)
        raise ServiceUnavailable("数据服务未能在规定时间内启动，请查看上方日志。")

    def _watch(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            proc = self._proc
            if proc is None:
                return
            started = time.monotonic()
            code = proc.wait()
            if self._stopping.is_set():
                return
            attempt = 0 if time.monotonic() - started > _STABLE_S else attempt + 1
            pause = _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
            print(f"数据服务已退出（代码 {code}），{pause:.1f} 秒后重新启动。", file=sys.stderr, flush=True)
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._proc = self._spawn()
                self.restarts += 1

    def wait_restarted(self, count: int, *, timeout_s: float) -> None:
        """Until the service has been restarted `count` times in all and answers again.

        Raises:
            ServiceUnavailable: not within `timeout_s`.
        """
        deadline = time.monotonic() + timeout_s
        while self.restarts < count:
            if time.monotonic() >= deadline:
                raise ServiceUnavailable("数据服务未能在规定时间内重新启动。")
            time.sleep(0.05)
        self.wait_ready(max(0.1, deadline - time.monotonic()))

    def kill(self) -> None:
        """Kill the running service at once, as a crash would (for tests); the watcher restarts it."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the service (it merges its log and lets go of the file) and do not restart it."""
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
