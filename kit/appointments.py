"""职务调整: a leader leaves a post and another takes it, with what follows from it, in one transaction.

The registry keeps tenures; what a change of 一把手 sets off in other areas (today the
handover of open rectification items, 整改交接) is composed here, above both, so that
the registry imports nothing that builds on it.
"""

from __future__ import annotations

from datetime import date, timedelta

from kit import access, door, rectification, registry, validate
from kit.db import Connection
from kit.errors import InvalidInput


@door.public
def change_leader(con: Connection, *, unit_id: int, role: str, person_id: int, post: str, on: date | str) -> int:
    """职务调整: the unit's holder of `role` leaves the day before `on`; `person_id` starts on `on`.

    Both happen in the caller's transaction, so the unit is never without a record
    and never has two. A new 一把手 takes over the unit's open rectification items
    through a handover (整改交接). Returns the new tenure's id.

    Raises:
        InvalidInput: the role is not a principal one or the date is invalid.
        NotFound: the unit or person does not exist.
        PermissionDenied: not an administrator of the unit.
    """
    unit_id = validate.ident(unit_id, field="unit_id", label="单位编号")
    access.require(con, access.ADMIN, unit_id=unit_id, what="职务调整")
    if role not in registry.PRINCIPAL_ROLES:
        raise InvalidInput.one("role", "“职务调整”只适用于一把手或行政主要负责人")
    day = validate.day(on, field="on", label="调整日期")
    assert day is not None
    current = registry._holder_at(con, unit_id, role, day)
    if current is not None:
        if current.start >= day:
            raise InvalidInput.one("on", f"“调整日期”必须晚于现任{current.name}的任职开始日期")
        registry.end_tenure(con, tenure_id=current.tenure_id, end=day - timedelta(days=1))
    tenure = registry.start_tenure(con, person_id=person_id, unit_id=unit_id, post=post, role=role, start=day)
    if role == "principal":
        rectification.handover_for_change(con, unit_id=unit_id, on=day)
    return tenure
