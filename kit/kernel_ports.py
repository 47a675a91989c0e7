"""The TCP ports of Voilà's kernels: outside the range the system hands out, new ones after a failed start.

Jupyter picks a kernel's five ports by binding port 0 and closing the socket; the
kernel binds them a second or more later. Port 0 and every outgoing connection (the
browser's, the kernels' clients) draw from the same range (`ip_local_port_range`), so
on a busy machine a port could be taken in between: the kernel died on start with
"Address already in use". Jupyter then restarts it "with new random ports" but, with
its port cache, on the very same ports: five restarts later the kernel is dead and
its page shows only the app's title (seen here, and once in CI).

Here a kernel's ports are picked below the system's range, where nothing is handed
out by chance, each checked free and never given to two kernels of this process; a
kernel that dies before it has started gets new ones.
"""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path
from typing import Any

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import default

PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "hb_port", "control_port")
SYSTEM_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# How many ports below the system's range kernels may use (5 per kernel).
SPAN = 10_000
LOWEST = 1024

_used: set[int] = set()
_lock = threading.Lock()


def kernel_range(system_range: tuple[int, int] | None = None) -> range | None:
    """The ports kernels are given: just below the system's range, or None where there is no room."""
    low, high = system_range or _system_range()
    if low - LOWEST >= SPAN // 2:
        return range(max(LOWEST, low - SPAN), low)
    if 65535 - high >= SPAN // 2:
        return range(high + 1, min(65536, high + 1 + SPAN))
    return None


def _system_range() -> tuple[int, int]:
    try:
        low, high = (int(part) for part in SYSTEM_RANGE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def _free(ip: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((ip, port))
        except OSError:
            return False
    return True


def take(ip: str, count: int = len(PORT_NAMES), ports: range | None = None) -> list[int]:
    """`count` free ports for a kernel on `ip`, none of them given to another kernel of this process."""
    ports = ports if ports is not None else kernel_range()
    if ports is None:
        return [0] * count  # Jupyter picks them (port 0), as it would without kit
    chosen: list[int] = []
    with _lock:
        for port in random.sample(ports, len(ports)):
            if port not in _used and _free(ip, port):
                _used.add(port)
                chosen.append(port)
                if len(chosen) == count:
                    return chosen
        _used.difference_update(chosen)
    raise OSError(f"no {count} free ports in {ports.start}-{ports.stop - 1} for a kernel")


def give_back(ports: list[int]) -> None:
    with _lock:
        _used.difference_update(ports)


class KitServerKernelManager(ServerKernelManager):
    """One kernel's manager: its ports taken by `take`, new ones when it died before starting."""

    @default("cache_ports")
    def _default_cache_ports(self) -> bool:
        return False  # Jupyter's port cache would give a restarted kernel the same ports

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.transport == "tcp" and not any(getattr(self, name) for name in PORT_NAMES):
            for name, port in zip(PORT_NAMES, take(self.ip), strict=True):
                setattr(self, name, port)
        return await super()._async_pre_start_kernel(**kw)

    def cleanup_random_ports(self) -> None:
        """Before a restart "with new ports" (the kernel died before it was alive): really new ones."""
        if self.transport != "tcp":
            super().cleanup_random_ports()
            return
        self._give_back_ports()
        self.cleanup_connection_file()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self.transport == "tcp":
            self._give_back_ports()

    def _give_back_ports(self) -> None:
        give_back([getattr(self, name) for name in PORT_NAMES])
        for name in PORT_NAMES:
            setattr(self, name, 0)
