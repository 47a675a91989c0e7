"""The one validation path: forms, Excel rows and API calls all parse values here.

Each function takes the raw value as the user gave it (usually text), returns the
parsed value, or raises `InvalidInput` for that field with a Chinese message that
names the field and the rule.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kit.errors import InvalidInput

MAX_TEXT = 2000
MAX_ID = 2**31 - 1  # ids are DuckDB INTEGERs
# Lone surrogates cannot be stored as UTF-8; they come from broken copy-paste or files.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(raw: Any) -> str:
    """Text as typed: full-width digits and signs from Chinese input methods made ASCII."""
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def number(
    raw: Any,
    *,
    field: str,
    label: str,
    minimum: Decimal | int = 0,
    maximum: Decimal | int | None = None,
    places: int = 2,
    required: bool = True,
) -> Decimal | None:
    """A decimal number within [minimum, maximum] with at most `places` decimals.

    Raises:
        InvalidInput: empty, not a number, out of range or too precise.
    """
    if isinstance(raw, bool):
        raise InvalidInput.one(field, f"“{label}”必须是数字")
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        parsed = _parse(raw, field=field, label=label, required=required, bad="“{label}”必须是数字，不能是“{text}”")
        if parsed is None:
            return None
        value = parsed
    if not value.is_finite():
        raise InvalidInput.one(field, f"“{label}”必须是数字")
    if value < minimum:
        raise InvalidInput.one(field, f"“{label}”不能小于 {_fmt(Decimal(minimum))}")
    if maximum is not None and value > maximum:
        raise InvalidInput.one(field, f"“{label}”不能超过满分 {_fmt(Decimal(maximum))}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidInput.one(field, f"“{label}”最多保留 {places} 位小数")
    if isinstance(exponent, int) and exponent > 0:  # "1E+1": the trace must say 10, as the database does
        value = value.quantize(Decimal(1))
    return value


def _parse(raw: Any, *, field: str, label: str, required: bool, bad: str) -> Decimal | None:
    """Typed text as a Decimal (None when empty and allowed); `bad` may name `{label}` and `{text}`."""
    text = _clean(raw)
    if not text:
        if required:
            raise InvalidInput.one(field, f"“{label}”不能为空")
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput.one(field, bad.format(label=label, text=text[:20])) from None


def integer(raw: Any, *, field: str, label: str, minimum: int, maximum: int, required: bool = True) -> int | None:
    """A whole number within [minimum, maximum]: an id, a year, a sort order.

    Raises:
        InvalidInput: empty when required, not a whole number, or out of range.
    """
    rule = f"“{label}”必须是 {minimum} 至 {maximum} 之间的整数"
    if isinstance(raw, bool):
        raise InvalidInput.one(field, rule)
    if isinstance(raw, int):
        value = Decimal(raw)
    elif raw is None or isinstance(raw, str | float | Decimal):
        template = f"“{{label}}”必须是 {minimum} 至 {maximum} 之间的整数"  # the label goes in as a value
        parsed = _parse(raw, field=field, label=label, required=required, bad=template)
        if parsed is None:
            return None
        value = parsed
    else:
        raise InvalidInput.one(field, rule)
    if not value.is_finite() or value != value.to_integral_value() or not minimum <= value <= maximum:
        raise InvalidInput.one(field, rule)
    return int(value)


def ident(raw: Any, *, field: str, label: str) -> int:
    """The id of a record (a unit, person, tenure …): a positive whole number.

    Raises:
        InvalidInput: empty, not a whole number, or out of range.
    """
    value = integer(raw, field=field, label=label, minimum=1, maximum=MAX_ID)
    assert value is not None  # required
    return value


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def text(raw: Any, *, field: str, label: str, required: bool = False, max_length: int = MAX_TEXT) -> str:
    """Free text: trimmed, no control characters, at most `max_length` characters.

    Raises:
        InvalidInput: empty when required, too long, or with control characters.
    """
    value = "" if raw is None else unicodedata.normalize("NFC", str(raw)).strip()
    if required and not value:
        raise InvalidInput.one(field, f"“{label}”不能为空")
    if len(value) > max_length:
        raise InvalidInput.one(field, f"“{label}”不能超过 {max_length} 个字（现有 {len(value)} 个）")
    if _CONTROL.search(value):
        raise InvalidInput.one(field, f"“{label}”含有不可见的控制字符，请删除后重试")
    return value


# Characters a file system or Windows treats as structure (separators, streams, wildcards),
# with the full-width and look-alike slashes that read as a path on screen.
_FILE_STRUCTURE = re.compile(r'[/\\:*?"<>|\uff0f\uff3c\u2215\u2044\u29f8\u29f9]')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}


def filename(raw: Any, *, field: str, label: str, max_length: int = 200) -> str:
    """A file's name as an office keeps it: a plain name that opens as what it shows.

    Raises:
        InvalidInput: empty, too long, a path or stream, a device name, invisible or
            direction-changing characters, or spaces hiding the real extension.
    """
    value = text(raw, field=field, label=label, required=True, max_length=max_length)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp") for ch in value):
        raise InvalidInput.one(field, f"“{label}”不能含不可见的字符或改变文字方向的字符")
    if _FILE_STRUCTURE.search(value):
        raise InvalidInput.one(field, f'“{label}”不能含路径符号或 : * ? " < > | 等字符')
    if set(value) <= {"."}:
        raise InvalidInput.one(field, f"“{label}”不能只由点组成")
    if value.split(".")[0].strip().upper() in _WINDOWS_DEVICES:
        raise InvalidInput.one(field, f"“{label}”不能用 CON、NUL、COM1 等系统保留的名称")
    if re.search(r"\s{2,}|\s\.|\.$", value):
        raise InvalidInput.one(field, f"“{label}”不能含连续的空格、点前的空格或以点结尾（会遮住真实的扩展名）")
    return value


def year(raw: Any, *, field: str = "year", label: str = "年度") -> int:
    """A four-digit year between 2000 and 2100.

    Raises:
        InvalidInput: not a whole year in range.
    """
    value = _clean(raw)
    if not value:
        raise InvalidInput.one(field, f"“{label}”不能为空")
    if not re.fullmatch(r"\d{4}", value) or not 2000 <= int(value) <= 2100:
        raise InvalidInput.one(field, f"“{label}”必须是 2000 至 2100 之间的四位年份")
    return int(value)


def day(raw: Any, *, field: str, label: str, required: bool = True) -> date | None:
    """A calendar date, as a `date` or text `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYY年M月D日`).

    Raises:
        InvalidInput: empty when required, or not a real date.
    """
    if isinstance(raw, datetime):  # an Excel cell; the trace must say the day the database keeps
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = _clean(raw)
    if not value:
        if required:
            raise InvalidInput.one(field, f"“{label}”不能为空")
        return None
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value)
    if not match:
        raise InvalidInput.one(field, f"“{label}”应为日期，格式如 2024-03-31")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput.one(field, f"“{label}”不是真实存在的日期：{value}") from None


def choice(raw: Any, *, field: str, label: str, choices: dict[str, str]) -> str:
    """One key of `choices` (key → Chinese label); the Chinese label is accepted too.

    Raises:
        InvalidInput: not one of the choices.
    """
    value = _clean(raw)
    if value in choices:
        return value
    for key, shown in choices.items():
        if value == _clean(shown):
            return key
    allowed = "、".join(choices.values())
    raise InvalidInput.one(field, f"“{label}”必须是以下之一：{allowed}")


class Checker:
    """Runs many field checks and raises once with every failure.

    Usage: `check = Checker(); x = check(validate.number, raw, field=…); check.done()`.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as e:
            self.errors.update(e.errors)
            return None

    def fail(self, field: str, message: str) -> None:
        self.errors[field] = message

    def done(self) -> None:
        """Raises: InvalidInput: if any check failed."""
        if self.errors:
            raise InvalidInput(self.errors)
