"""Settings that come from the deployment: database path, operator, time zone."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_DB = Path("data") / "kit.duckdb"
DEFAULT_OPERATOR = "本机操作员"
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_LOCK_WAIT_S = 15.0


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file: the explicit path, else `KIT_DB`, else `data/kit.duckdb`."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KIT_DB")
    if env:
        return Path(env)
    return DEFAULT_DB


def operator() -> str:
    """The configured operator who acts in single-machine mode (`KIT_OPERATOR`)."""
    return os.environ.get("KIT_OPERATOR", "").strip() or DEFAULT_OPERATOR


def timezone() -> ZoneInfo:
    """The office's time zone (`KIT_TZ`, default Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("KIT_TZ", DEFAULT_TZ))


def now() -> datetime:
    """Local wall-clock time of the office, without tzinfo, to the microsecond."""
    return datetime.now(timezone()).replace(tzinfo=None)


def lock_wait_s() -> float:
    """How long a read or write waits for the file before giving up (`KIT_LOCK_WAIT`)."""
    raw = os.environ.get("KIT_LOCK_WAIT")
    try:
        return float(raw) if raw else DEFAULT_LOCK_WAIT_S
    except ValueError:
        return DEFAULT_LOCK_WAIT_S
