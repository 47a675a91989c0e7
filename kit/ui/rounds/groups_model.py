"""The 巡察组织 app's group corrections: rename or void the opened group, correct its members and units (no widgets)."""

from __future__ import annotations

from typing import Any

from kit import corrections
from kit.errors import InvalidInput

# A member's post chosen as this in the group's correction form takes them out of the group;
# a unit handed to this group is taken off the round.
REMOVE_MEMBER = "remove"
REMOVE_TARGET = 0


def changed(stored: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The fields of a correction form that differ from what is stored (an empty box and nothing are alike)."""
    return {k: values.get(k) for k in stored if (values.get(k) or "") != (stored[k] or "")}


def opened(found: dict[str, Any] | None, field: str, message: str) -> dict[str, Any]:
    """The record opened for 更正或作废.

    Raises:
        InvalidInput: none is (on `field`, with `message`).
    """
    if found is None:
        raise InvalidInput.one(field, message)
    return found


class GroupActions:
    """What the rounds model does for the group opened from its list (mixed into `RoundsModel`)."""

    groups: list[dict[str, Any]]

    def group(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def _write(self, action: str, call: Any) -> Any:
        raise NotImplementedError

    def _need_round(self) -> int:
        raise NotImplementedError

    def _need_group(self) -> dict[str, Any]:
        return opened(self.group(), "group_id", "请先在上方的巡察组列表中选择要更正的组")

    def correct_group(self, values: dict[str, Any]) -> str:
        """更正 the opened group's name; returns the message."""
        found = self._need_group()
        name = values.get("name")
        self._write(
            "更正巡察组",
            lambda con: corrections.correct_group(con, group_id=found["id"], reason=values.get("reason"), name=name),
        )
        return f"已把“{found['name']}”更正为“{name}”，更正记录见本轮的更正与作废记录"

    def void_group(self, values: dict[str, Any]) -> str:
        """作废 the opened group (once it has no members and no units); returns the message."""
        found = self._need_group()
        self._write(
            "作废巡察组",
            lambda con: corrections.void_group(con, group_id=found["id"], reason=values.get("reason")),
        )
        return f"已作废{found['name']}，它的名称可以再用"

    def fix_member(self, values: dict[str, Any]) -> str:
        """更正 a member of the opened group: another post, or out of the group; returns the message."""
        found = self._need_group()
        person, role, reason = values.get("person_id"), values.get("role"), values.get("reason")
        if person is None:
            raise InvalidInput.one("person_id", "请选择要更正的组员")
        name = next((m["name"] for m in found["members"] if m["person_id"] == person), "")
        if role == REMOVE_MEMBER:
            self._write(
                "更正巡察组成员",
                lambda con: corrections.remove_member(con, group_id=found["id"], person_id=person, reason=reason),
            )
            return f"已把{name}移出{found['name']}"
        self._write(
            "更正巡察组成员",
            lambda con: corrections.change_member(
                con, group_id=found["id"], person_id=person, role=role, reason=reason
            ),
        )
        return f"已更正{name}在{found['name']}的职务"

    def fix_target(self, values: dict[str, Any]) -> str:
        """Hand a unit of the opened group to another group, or take it off the round; returns the message."""
        found = self._need_group()
        round_id = self._need_round()
        unit, group, reason = values.get("unit_id"), values.get("group_id"), values.get("reason")
        if unit is None:
            raise InvalidInput.one("unit_id", "请选择要更正的巡察对象")
        if group is None:
            raise InvalidInput.one("group_id", "请选择改由哪个巡察组巡察，或撤销")
        name = next((u["name"] for u in found["units"] if u["id"] == unit), "")
        if group == REMOVE_TARGET:
            self._write(
                "撤销巡察对象",
                lambda con: corrections.remove_target(con, round_id=round_id, unit_id=unit, reason=reason),
            )
            return f"已撤销巡察对象{name}"
        self._write(
            "更正巡察对象",
            lambda con: corrections.move_target(con, round_id=round_id, unit_id=unit, group_id=group, reason=reason),
        )
        return f"已把{name}交给{next((g['name'] for g in self.groups if g['id'] == group), '')}"
