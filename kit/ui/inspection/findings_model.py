"""The 巡察整改 model's actions on findings and clues: entry, transfer, outcome, correction and void."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit import corrections, db, inspections
from kit.errors import InvalidInput
from kit.ui.inspection.state_model import InspectionState, required


class FindingActions(InspectionState):
    """发现问题 and 问题线索 of the selected round, and 更正 or 作废 of the selected finding."""

    # -- 发现问题 ----------------------------------------------------------------
    def add_finding(self, values: Mapping[str, Any]) -> str:
        """Save one finding of the selected round; returns the message for the user.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        chosen = self.round
        if chosen is None:
            raise InvalidInput.one("round", "请先选择巡察轮次")
        unit = next((u for u in self.units if u["id"] == values.get("unit")), None)
        with db.write(self.db_path, action="录入发现问题") as con:
            ident = inspections.add_finding(
                con,
                round=chosen["code"],
                unit=unit["code"] if unit else "",
                stage=values.get("stage"),
                category=values.get("category"),
                description=values.get("description"),
                severity=values.get("severity"),
                involves_top=values.get("involves_top"),
                source=values.get("source"),
                found_on=values.get("found_on"),
            )
        self._after_save(chosen["id"], template=True)
        return f"已保存：问题编号 {ident}（{unit['name'] if unit else ''}）"

    def transfer_clue(self, values: Mapping[str, Any]) -> str:
        """移交问题线索 for a finding of the round; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="移交问题线索") as con:
            ident = inspections.transfer_clue(
                con,
                finding_id=required(values, "finding_id", "请选择要移交的问题"),
                receiver=values.get("receiver"),
                transferred_on=values.get("transferred_on"),
                note=values.get("note"),
            )
        self._after_save(self.round_id)
        return f"已移交：线索编号 {ident}"

    def record_outcome(self, values: Mapping[str, Any]) -> str:
        """登记线索处置结果; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="登记线索处置结果") as con:
            inspections.record_outcome(
                con,
                clue_id=required(values, "clue_id", "请选择线索"),
                outcome=values.get("outcome"),
                people=values.get("people"),
                decided_on=values.get("decided_on"),
                note=values.get("note"),
            )
        self._after_save(self.round_id)
        return "已登记处置结果"

    # -- 更正与作废 ---------------------------------------------------------------
    def correct_finding(self, values: Mapping[str, Any]) -> str:
        """更正 the selected finding: the fields the user changed, with the reason; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        found = self.finding
        if found is None:
            raise InvalidInput.one("reason", "请先在表中点击要更正的问题")
        unit = next((u for u in self.units if u["id"] == values.get("unit")), None)
        stored = finding_values(found)
        wanted = {**{k: values.get(k) for k in stored}, "unit": unit["id"] if unit else values.get("unit")}
        changes = {k: v for k, v in wanted.items() if (v or "") != (stored[k] or "")}
        if "unit" in changes:
            changes["unit"] = unit["code"] if unit else ""
        with db.write(self.db_path, action="更正发现问题") as con:
            corrections.correct_finding(con, finding_id=found["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id, template=True)
        return f"已更正问题 {found['id']}，更正记录见下方"

    def void_finding(self, values: Mapping[str, Any]) -> str:
        """作废 the selected finding (with the reason); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        found = self.finding
        if found is None:
            raise InvalidInput.one("reason", "请先在表中点击要作废的问题")
        with db.write(self.db_path, action="作废发现问题") as con:
            corrections.void_finding(con, finding_id=found["id"], reason=values.get("reason"))
        self._after_save(self.round_id, template=True)
        return f"已作废问题 {found['id']}，它不再计入统计和报告"

    def correct_clue(self, values: Mapping[str, Any]) -> str:
        """更正 the selected clue's transfer (to whom, when, note), with the reason; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        clue = self.clue
        if clue is None:
            raise InvalidInput.one("reason", "请先在线索表中点击要更正的线索")
        stored = clue_values(clue)
        changes = {k: values.get(k) for k in stored if (values.get(k) or "") != (stored[k] or "")}
        with db.write(self.db_path, action="更正问题线索") as con:
            corrections.correct_clue(con, clue_id=clue["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id)
        return f"已更正线索 {clue['id']}，更正记录见下方"

    def void_clue(self, values: Mapping[str, Any]) -> str:
        """作废 the selected clue (with the reason); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        clue = self.clue
        if clue is None:
            raise InvalidInput.one("reason", "请先在线索表中点击要作废的线索")
        with db.write(self.db_path, action="作废问题线索") as con:
            corrections.void_clue(con, clue_id=clue["id"], reason=values.get("reason"))
        self._after_save(self.round_id)
        return f"已作废线索 {clue['id']}，它不再计入统计和报告；该问题可重新移交"


def clue_values(c: Mapping[str, Any]) -> dict[str, Any]:
    """A listed clue's stored values as its correction form shows them."""
    return {"receiver": c["receiver"], "transferred_on": c["transferred_on"].isoformat(), "note": c["note"] or ""}


def finding_values(f: Mapping[str, Any]) -> dict[str, Any]:
    """A listed finding's stored values as its form shows them (keys of the form's fields)."""
    return {
        "unit": f["unit_id"],
        "category": f["category"],
        "description": f["description"],
        "severity": f["severity"],
        "involves_top": "yes" if f["involves_top"] else "no",
        "source": f["source"],
        "found_on": f["found_on"].isoformat(),
        "stage": f["stage"],
    }
