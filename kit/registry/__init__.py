"""Registry: units (单位), people (干部) and tenures (任职); the 一把手 is derived, never stored.

The area is a package, one concept per module, each importing only those above it in
this list: `units`, `people`, `tenures` (a tenure names a person and a unit). Callers
use the names re-exported here (`registry.add_unit`); inside it, a module imports the
module that defines a name, never this package.
"""

from __future__ import annotations

from kit.registry.people import PERSON, add_person, check_person, list_people
from kit.registry.tenures import (
    PRINCIPAL_ROLES,
    ROLE_LABELS,
    TENURE,
    Leader,
    check_tenure,
    end_tenure,
    leadership_at,
    principal_changes,
    principal_leaders_at,
    start_tenure,
    top_leader_at,
)

# Not public: a holder looked up without a check, for appointments and rectification to use
# inside their own checked functions.
from kit.registry.tenures import _holder_at as _holder_at
from kit.registry.units import (
    KIND_LABELS,
    RESPONSIBILITY_LABELS,
    UNIT,
    add_unit,
    check_unit,
    get_unit,
    list_units,
    unit_id,
)

__all__ = [
    "KIND_LABELS",
    "PERSON",
    "PRINCIPAL_ROLES",
    "RESPONSIBILITY_LABELS",
    "ROLE_LABELS",
    "TENURE",
    "UNIT",
    "Leader",
    "add_person",
    "add_unit",
    "check_person",
    "check_tenure",
    "check_unit",
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
