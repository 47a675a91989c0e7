"""A record type's fields, declared once: what forms, Excel and the checks read.

Plain data beside the functions that own the record's table (e.g. `kit.inspections.FINDING`):
each field's key (the argument name of the write function and the key of its errors),
Chinese label, the rule in words, whether it is required, its choices or what its value is
looked up in, and whether Excel templates and imports carry it. The record adds how it is
listed (`kit.listing.Listing`) and the columns of its Excel export.

`parse` reads one plain field (text, number, date, choice) the one way every path reads it,
with the declared label in its messages; look-ups against the office's own data (units,
categories, rounds …) and rules across fields stay in the record's check function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kit import validate
from kit.listing import Listing

KINDS = ("text", "textarea", "number", "date", "choice", "lookup", "id")
# What a "lookup" field's value is found in; each app fills the choices from the office's data.
LOOKUPS = ("units", "categories", "rounds", "findings", "leaders")


@dataclass(frozen=True)
class Field:
    """One field of a record type."""

    key: str
    label: str
    kind: str = "text"  # one of KINDS
    rule: str = ""  # the rule in words: the Excel guide's 填写要求, a form's hint
    required: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)  # stored value → Chinese label ("choice")
    lookup: str = ""  # one of LOOKUPS ("lookup")
    max_length: int = validate.MAX_TEXT  # "text", "textarea"
    minimum: Decimal | int = 0  # "number"
    maximum: Decimal | int = 0  # "number"
    places: int = 0  # "number": decimals allowed (0: a whole number)
    placeholder: str = ""
    width: str = "22em"  # a form's input width
    excel: bool = True  # Excel templates and imports carry it
    reference: bool = False  # a template shows it for reference; imports read past it

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.key}: kind must be one of {KINDS}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"field {self.key}: a choice needs its choices")
        if self.kind == "lookup" and self.lookup not in LOOKUPS:
            raise ValueError(f"field {self.key}: a lookup names one of {LOOKUPS}")
        if self.kind == "number" and self.minimum >= self.maximum:
            raise ValueError(f"field {self.key}: a number needs minimum < maximum")


@dataclass(frozen=True)
class Record:
    """A record type: its fields in form and template order, its list, its Excel export."""

    kind: str  # the name Excel and the command line use ("findings")
    label: str  # Chinese name (发现问题)
    table: str
    fields: tuple[Field, ...]
    listing: Listing | None = None
    export: Mapping[str, str] = field(default_factory=dict)  # row key → column header of the Excel export
    excel: bool = True  # whether Excel templates and imports carry this record type at all

    def __post_init__(self) -> None:
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"record {self.kind}: a field key appears twice")

    def field(self, key: str) -> Field:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(f"record {self.kind} has no field {key}")

    def label_of(self, key: str) -> str:
        return self.field(key).label

    @property
    def labels(self) -> dict[str, str]:
        """Key → label of every field that is read (reference columns left out)."""
        return {f.key: f.label for f in self.fields if not f.reference}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required)

    @property
    def excel_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.excel) if self.excel else ()


def parse(check: validate.Checker, record: Record, key: str, raw: Mapping[str, Any]) -> Any:
    """One plain field of `raw` read by its declaration; a broken rule is noted in `check`, giving None."""
    spec = record.field(key)
    value = raw.get(key)
    if spec.kind in ("text", "textarea"):
        return check(
            validate.text, value, field=key, label=spec.label, required=spec.required, max_length=spec.max_length
        )
    if spec.kind == "number" and spec.places:
        return check(
            validate.number,
            value,
            field=key,
            label=spec.label,
            minimum=spec.minimum,
            maximum=spec.maximum,
            places=spec.places,
            required=spec.required,
        )
    if spec.kind == "number":
        return check(
            validate.integer,
            value,
            field=key,
            label=spec.label,
            minimum=spec.minimum,
            maximum=spec.maximum,
            required=spec.required,
        )
    if spec.kind == "date":
        return check(validate.day, value, field=key, label=spec.label, required=spec.required)
    if spec.kind == "choice":
        return check(validate.choice, value, field=key, label=spec.label, choices=dict(spec.choices))
    if spec.kind == "id":
        return check(validate.ident, value, field=key, label=spec.label)
    raise ValueError(f"field {key} is a {spec.kind}: the record's check looks it up")


def parse_all(record: Record, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every plain field of `raw` read by its declaration: a record whose check has no rule across fields.

    Raises:
        InvalidInput: every field that breaks its rule, each with a Chinese message.
    """
    check = validate.Checker()
    parsed = {key: parse(check, record, key, raw) for key in record.labels}
    check.done()
    return parsed


def parser(record: Record, key: str) -> Callable[[Any], Any]:
    """One plain field read alone by its declaration (a form's check as the user types).

    The function raises InvalidInput with the declared label, as `parse` notes it.
    """

    def read(value: Any) -> Any:
        check = validate.Checker()
        parsed = parse(check, record, key, {key: value})
        check.done()
        return parsed

    return read
