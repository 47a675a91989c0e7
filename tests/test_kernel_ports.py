"""Kernels' ports (kit.kernel_ports): never where connections land by chance, new ones after a failed start."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kit import kernel_ports
from kit.kernel_ports import PORT_NAMES
from kit.voila_auth import KitKernelManager

IP = "127.0.0.1"


@contextmanager
def listening(port: int) -> Iterator[socket.socket]:
    holder = socket.socket()
    holder.bind((IP, port))
    holder.listen()
    try:
        yield holder
    finally:
        holder.close()


def test_kernels_get_ports_below_the_systems_range_or_above_it_or_jupyters_own() -> None:
    assert kernel_ports.kernel_range((32768, 60999)) == range(22768, 32768)
    assert kernel_ports.kernel_range((15000, 60999)) == range(5000, 15000)
    assert kernel_ports.kernel_range((1024, 50000)) == range(50001, 60001)
    assert kernel_ports.kernel_range((2000, 64000)) is None


def test_ports_taken_are_free_in_range_and_given_to_one_kernel_at_a_time() -> None:
    span = range(kernel_ports.kernel_range((32768, 60999)).start, 32768)  # type: ignore[union-attr]
    first = kernel_ports.take(IP, 5, span)
    second = kernel_ports.take(IP, 5, span)
    try:
        assert len(set(first)) == len(set(second)) == 5
        assert not set(first) & set(second)
        assert all(port in span for port in first + second)
    finally:
        kernel_ports.give_back(first + second)
    assert not set(first + second) & kernel_ports._used


def test_a_port_in_use_is_never_given_and_a_full_range_takes_nothing() -> None:
    with socket.socket() as probe:
        probe.bind((IP, 0))
        start = probe.getsockname()[1]
    span = range(start, start + 8)  # eight neighbours of a free port, some may be busy already
    busy = [p for p in span if not kernel_ports._free(IP, p)]
    with listening(span[0]), listening(span[3]):
        try:
            wanted = len(span) - len(set(busy) | {span[0], span[3]})
            taken = kernel_ports.take(IP, wanted, span)
        except OSError:
            pytest.skip("other programs took ports of the sample range meanwhile")
        try:
            assert span[0] not in taken
            assert span[3] not in taken
            with pytest.raises(OSError, match="no 1 free ports"):
                kernel_ports.take(IP, 1, span)
        finally:
            kernel_ports.give_back(taken)
    assert not set(taken) & kernel_ports._used


def test_voilas_kernels_are_managed_with_these_ports() -> None:
    assert KitKernelManager().kernel_manager_class == "kit.kernel_ports.KitServerKernelManager"


def test_a_kernel_whose_port_was_taken_before_it_started_is_restarted_on_new_ports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The race seen in CI: a port picked for a kernel, taken by someone else before the kernel binds it."""
    real_take = kernel_ports.take
    first = real_take(IP)
    kernel_ports.give_back(first[2:3])  # the stdin port: "someone else" holds it below
    calls: list[list[int]] = []

    def take(ip: str, count: int = 5, ports: range | None = None) -> list[int]:
        chosen = first if not calls else real_take(ip, count, ports)
        calls.append(chosen)
        return chosen

    monkeypatch.setattr(kernel_ports, "take", take)

    async def run() -> tuple[list[int], dict[str, object]]:
        manager = KitKernelManager(connection_dir=str(tmp_path))
        kernel_id = await manager.start_kernel(kernel_name="python3")
        kernel = manager.get_kernel(kernel_id)
        try:
            deadline = time.monotonic() + 240
            while len(calls) < 2 or not await kernel.is_alive():  # died on the held port, restarted
                assert time.monotonic() < deadline, f"kernel not restarted on new ports: {calls}"
                await asyncio.sleep(0.5)
            client = kernel.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=120)
                reply = await client.kernel_info(reply=True, timeout=60)  # type: ignore[func-returns-value]
            finally:
                client.stop_channels()
            return [getattr(kernel, name) for name in PORT_NAMES], reply["content"]
        finally:
            await manager.shutdown_kernel(kernel_id, now=True)

    with listening(first[2]):
        ports, info = asyncio.run(run())
    assert info["status"] == "ok"
    assert first[2] not in ports
    assert ports == calls[-1]
    assert not set(ports) & kernel_ports._used  # given back at shutdown
