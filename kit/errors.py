"""The project's own errors: each carries a Chinese message and title for the user."""

from __future__ import annotations

from collections.abc import Mapping


class KitError(Exception):
    """Base class: `message` is shown to the user as it is, `title` heads it."""

    title = "操作失败"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class NotFound(KitError):
    """A unit, person, scheme or record that was asked for does not exist."""

    title = "未找到"


class InvalidInput(KitError):
    """One or more fields broke a rule; `errors` maps field key to its message."""

    title = "输入有误"

    def __init__(self, errors: Mapping[str, str], *, title: str | None = None) -> None:
        self.errors = dict(errors)
        lines = list(self.errors.values())
        message = lines[0] if len(lines) == 1 else f"有 {len(lines)} 项输入不符合要求：" + "；".join(lines)
        super().__init__(message, title=title)

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls({field: message})


class Conflict(KitError):
    """The record changed since the user opened it, or the change clashes with another."""

    title = "数据冲突"


class Busy(KitError):
    """The database file stayed locked past the allowed wait."""

    title = "数据库忙"


class PermissionDenied(KitError):
    """The acting user may not do this; `action` and `target` say what was refused, for the trace."""

    title = "无权操作"

    def __init__(self, message: str, *, action: str = "", target: str = "", title: str | None = None) -> None:
        super().__init__(message, title=title)
        self.action = action
        self.target = target


class ServiceUnavailable(Busy):
    """The data service could not be reached within the wait (it may be restarting); nothing was done."""

    title = "数据服务暂不可用"


class OutcomeUnknown(KitError):
    """A save was handed to the data service, which went away before saying whether it was kept."""

    title = "结果不明"


class SchemaError(KitError):
    """The database file's schema does not match this program."""

    title = "数据库版本不符"


class DatabaseError(KitError):
    """DuckDB failed in a way the user cannot fix by changing input."""

    title = "数据库错误"


def describe(exc: BaseException) -> tuple[str, str]:
    """Title and message for showing any exception to a user; a bug is named as one."""
    if isinstance(exc, KitError):
        return exc.title, exc.message
    return "程序错误", f"出现了未预料的程序错误（{type(exc).__name__}），操作未完成。请将此信息告知管理员。"
