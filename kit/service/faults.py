"""Deterministic failures of the data service, for the fault tests only.

`KIT_SERVICE_FAULT=point:n` makes the service kill itself (SIGKILL, as a power cut
or the OOM killer would) the n-th time it reaches `point`. Unset, nothing happens.
"""

from __future__ import annotations

import os
import signal

POINTS = ("before-commit", "after-commit", "after-reply", "in-checkpoint")
_armed: dict[str, int] = {}


def arm_from_env() -> None:
    raw = os.environ.get("KIT_SERVICE_FAULT", "").strip()
    if not raw:
        return
    point, _, count = raw.partition(":")
    if point not in POINTS:
        raise ValueError(f"KIT_SERVICE_FAULT: unknown point {point!r}")
    _armed[point] = int(count or 1)


def reached(point: str) -> None:
    """Called at each point; dies here if this is the armed occurrence."""
    left = _armed.get(point)
    if left is None:
        return
    _armed[point] = left - 1
    if left - 1 <= 0:
        os.kill(os.getpid(), signal.SIGKILL)
