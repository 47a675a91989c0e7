"""Registry: units (单位), people (干部) and tenures (任职); the 一把手 is derived, never stored.

Callers use the names re-exported here (`registry.add_unit`).
"""

from __future__ import annotations

from kit.registry.tenures import (
    KIND_LABELS,
    PRINCIPAL_ROLES,
    RESPONSIBILITY_LABELS,
    ROLE_LABELS,
    Leader,
    add_person,
    add_unit,
    end_tenure,
    get_unit,
    leadership_at,
    list_people,
    list_units,
    principal_changes,
    principal_leaders_at,
    start_tenure,
    top_leader_at,
    unit_id,
)

# Not public: a holder looked up without a check, for appointments and rectification to use
# inside their own checked functions.
from kit.registry.tenures import _holder_at as _holder_at

__all__ = [
    "KIND_LABELS",
    "PRINCIPAL_ROLES",
    "RESPONSIBILITY_LABELS",
    "ROLE_LABELS",
    "Leader",
    "add_person",
    "add_unit",
    "end_tenure",
    "get_unit",
    "leadership_at",
    "list_people",
    "list_units",
    "principal_changes",
    "principal_leaders_at",
    "start_tenure",
    "top_leader_at",
    "unit_id",
]
