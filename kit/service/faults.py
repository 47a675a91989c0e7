"""Deterministic failures of the data service, for the fault tests only.

`KIT_SERVICE_FAULT=point:n` makes the service kill itself (SIGKILL, as a power cut
or the OOM killer would) the n-th time it reaches `point`. With `KIT_SERVICE_FAULT_ONCE`
naming a file, only the first service started arms itself (it creates the file), so the
one its supervisor starts next runs normally. Unset, nothing happens.
"""

from __future__ import annotations

import os
import signal
import threading

POINTS = ("before-commit", "during-commit", "after-commit", "after-reply", "in-checkpoint")
# How long after reaching "during-commit" the kill comes: while DuckDB writes a large commit.
DURING_S = 0.002
_armed: dict[str, int] = {}


def arm_from_env() -> None:
    raw = os.environ.get("KIT_SERVICE_FAULT", "").strip()
    if not raw:
        return
    point, _, count = raw.partition(":")
    if point not in POINTS:
        raise ValueError(f"KIT_SERVICE_FAULT: unknown point {point!r}")
    once = os.environ.get("KIT_SERVICE_FAULT_ONCE", "").strip()
    if once:
        try:
            os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
    _armed[point] = int(count or 1)


def reached(point: str) -> None:
    """Called at each point; dies here if this is the armed occurrence ("during-commit": a moment later)."""
    left = _armed.get(point)
    if left is None:
        return
    _armed[point] = left - 1
    if left - 1 > 0:
        return
    if point == "during-commit":
        threading.Timer(DURING_S, os.kill, (os.getpid(), signal.SIGKILL)).start()
    else:
        os.kill(os.getpid(), signal.SIGKILL)
