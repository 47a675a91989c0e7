"""Settings that come from the deployment: database path, operator, time zone, the data service."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kit.errors import KitError

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


# --- the data service (DESIGN.md, decision 1) ------------------------------------------------

MODES = ("auto", "embedded", "service")
DEFAULT_CHECKPOINT_WAL_MB = 16.0
DEFAULT_CHECKPOINT_IDLE_S = 5.0


def mode() -> str:
    """How this process reaches the office file (`KIT_MODE`).

    `embedded` opens the file itself, one action at a time (a stopped office, a copy
    on a laptop); `service` only ever asks the data service, and waits for it while it
    restarts; `auto` (the default) asks the service when one runs for the file, else
    opens it itself.
    """
    raw = os.environ.get("KIT_MODE", "").strip().lower()
    if raw and raw not in MODES:
        raise KitError(f"部署配置有误：KIT_MODE 的值“{raw}”无效，应为 auto、embedded 或 service 之一。")
    return raw or "auto"


def service_address() -> str:
    """The data service's address if the deployment names it (`KIT_SERVICE`), else ""."""
    return os.environ.get("KIT_SERVICE", "").strip()


def secret_path(db: Path) -> Path:
    """The data service's signing key: `KIT_SECRET_FILE`, else `<db>.secret` beside the file."""
    explicit = os.environ.get("KIT_SECRET_FILE", "").strip()
    return Path(explicit) if explicit else db.with_name(db.name + ".secret")


def _positive(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def checkpoint_wal_bytes() -> int:
    """The service merges its log into the file once the log passes this size (`KIT_CHECKPOINT_WAL_MB`)."""
    return int(_positive("KIT_CHECKPOINT_WAL_MB", DEFAULT_CHECKPOINT_WAL_MB) * 1024 * 1024)


def checkpoint_idle_s() -> float:
    """… or once no save has come for this long (`KIT_CHECKPOINT_IDLE_S`)."""
    return _positive("KIT_CHECKPOINT_IDLE_S", DEFAULT_CHECKPOINT_IDLE_S)
