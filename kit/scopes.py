"""The units a scope covers, and so the units a user sees on a day.

A scope is all units, one unit, a unit and everything under it (所辖), or the units a
派驻纪检组 supervises (派驻监督), each optionally limited to a period. kit.access asks
which units the acting user sees today; the user administration asks which units a
scope it grants or takes away covers.
"""

from __future__ import annotations

from datetime import date

from kit.db import Connection


def unit_tree(con: Connection) -> list[tuple[int, int | None, int | None]]:
    """Every unit as (id, parent, supervisor), read once per action."""
    key = "access.units"
    if key not in con.cache:
        con.cache[key] = [(int(r[0]), r[1], r[2]) for r in con.all("SELECT id, parent_id, supervisor_id FROM units")]
    tree: list[tuple[int, int | None, int | None]] = con.cache[key]
    return tree


def covered(con: Connection, kind: str, unit_id: int | None) -> frozenset[int] | None:
    """The units one scope covers; None for all."""
    if kind == "all":
        return None
    assert unit_id is not None
    tree = unit_tree(con)
    if kind == "unit":
        return frozenset({unit_id})
    if kind == "supervised":
        return frozenset({unit_id} | {u for u, _, sup in tree if sup == unit_id})
    found, frontier = {unit_id}, {unit_id}
    while frontier:  # subordinate: the unit and everything below it
        frontier = {u for u, parent, _ in tree if parent in frontier and u not in found}
        found |= frontier
    return frozenset(found)


def units_of(con: Connection, name: str, on: date) -> frozenset[int] | None:
    """The units the scopes of user `name` valid on `on` cover together; None for all."""
    rows = con.all(
        "SELECT kind, unit_id FROM user_scopes WHERE user_name = ?"
        " AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until >= ?)",
        [name, on, on],
    )
    units: set[int] = set()
    for kind, unit_id in rows:
        part = covered(con, kind, unit_id)
        if part is None:
            return None
        units |= part
    return frozenset(units)
