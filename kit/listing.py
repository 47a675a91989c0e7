"""Lists as their record type declares them: columns, default order, filters, search, pages.

A record type's module declares its list once (`Listing`, plain data beside the functions
that own its table); every app shows it through `kit.ui.table`, and the Excel export of
"what the list shows" takes the same rows. The state a user has chosen (`View`) and the
page it selects (`page`) are computed here, without widgets: the browser receives one
page of rows, never the whole list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

KINDS = ("text", "number", "date", "moment", "percent")  # moment: a date and time of day


@dataclass(frozen=True)
class Column:
    """One column: the row key it sorts by, its Chinese header, how it is shown."""

    key: str
    label: str
    kind: str = "text"  # one of KINDS
    width: float = 8.0  # em
    shown: str | None = None  # the row key of the text shown, when it differs from the sorting key
    limit: int | None = None  # characters shown; the whole text stays searchable
    css: str | None = None  # a row key whose value names the cell's style (e.g. the 预警 state)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind must be one of {KINDS}")


@dataclass(frozen=True)
class Filter:
    """A choice among the values a row key takes in the list ("全部" first)."""

    key: str
    label: str
    shown: str | None = None  # the row key of each option's text, when it differs


@dataclass(frozen=True)
class Listing:
    """How a record type is listed: columns, default order, filters, searched keys, page size."""

    columns: tuple[Column, ...]
    sort: str  # the default sorting key (a column's key)
    descending: bool = False
    filters: tuple[Filter, ...] = ()
    search: tuple[str, ...] = ()  # row keys searched by the text box
    page_size: int = 20
    empty: str = "没有记录。"
    key: str = "id"  # the row key that names a record (what opening a row passes on)
    row_css: str | None = None  # a row key whose value names the row's style (逾期 rows stand out)

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if self.sort not in keys:
            raise ValueError(f"default sort {self.sort!r} is not a column")
        if len(set(keys)) != len(keys):
            raise ValueError("two columns with one key")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def export_columns(self) -> dict[str, str]:
        """Row keys → headers for an Excel of the list: the text shown under each header."""
        return {(c.shown or c.key): c.label for c in self.columns}


@dataclass(frozen=True)
class View:
    """What a user has chosen: order, filter values (None: all), search text, page (from 1)."""

    sort: str
    descending: bool = False
    filters: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    page: int = 1

    @classmethod
    def first(cls, listing: Listing) -> View:
        return cls(sort=listing.sort, descending=listing.descending)

    def sorted_by(self, key: str) -> View:
        """Sort by `key`; the same key again reverses the order. Back to the first page."""
        descending = not self.descending if key == self.sort else False
        return replace(self, sort=key, descending=descending, page=1)

    def filtered(self, key: str, value: Any) -> View:
        return replace(self, filters={**self.filters, key: value}, page=1)

    def searched(self, text: str) -> View:
        return replace(self, text=text, page=1)

    def at(self, page: int) -> View:
        return replace(self, page=page)


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]  # this page's rows, in order
    number: int  # from 1
    pages: int  # at least 1
    matching: int  # rows that pass the filters and the search
    total: int  # rows in the list


def _words(text: str) -> list[str]:
    return [w.casefold() for w in text.replace("\u3000", " ").split() if w]


def _sort_value(value: Any) -> tuple[int, Any]:
    """Missing values last whatever the direction is handled by the caller; comparable values here."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float | Decimal):
        return (0, value)
    if isinstance(value, datetime):
        return (1, value.isoformat())
    if isinstance(value, date):
        return (1, value.isoformat())
    return (2, str(value))


def select(listing: Listing, rows: Sequence[Mapping[str, Any]], view: View) -> list[dict[str, Any]]:
    """The rows that pass the view's filters and search, in its order (every page)."""
    chosen = {k: v for k, v in view.filters.items() if v is not None}
    words = _words(view.text)
    keys = listing.search
    kept = []
    for row in rows:
        if any(row.get(k) != v for k, v in chosen.items()):
            continue
        if words:
            haystack = " ".join(str(row.get(k) or "") for k in keys).casefold()
            if not all(w in haystack for w in words):
                continue
        kept.append(dict(row))
    sort = view.sort if view.sort in {c.key for c in listing.columns} else listing.sort
    present = [r for r in kept if r.get(sort) is not None]
    missing = [r for r in kept if r.get(sort) is None]
    present.sort(key=lambda r: (_sort_value(r[sort]), _sort_value(r.get(listing.key))), reverse=view.descending)
    return present + missing  # rows without a value always last


def page(listing: Listing, rows: Sequence[Mapping[str, Any]], view: View) -> Page:
    """One page of `select` (a page past the last shows the last)."""
    matching = select(listing, rows, view)
    pages = max(1, math.ceil(len(matching) / listing.page_size))
    number = min(max(1, view.page), pages)
    start = (number - 1) * listing.page_size
    return Page(matching[start : start + listing.page_size], number, pages, len(matching), len(rows))


def options(listing: Listing, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[str, Any]]]:
    """Each filter's choices: the values its key takes in `rows`, by their shown text."""
    found: dict[str, list[tuple[str, Any]]] = {}
    for f in listing.filters:
        seen: dict[Any, str] = {}
        for row in rows:
            value = row.get(f.key)
            if value is not None and value not in seen:
                seen[value] = str(row.get(f.shown or f.key) or value)
        found[f.key] = sorted(((label, value) for value, label in seen.items()), key=lambda o: o[0])
    return found
