"""The 巡察组织 app's model: the chosen round, its groups, targets, clues, pools, and every write (no widgets)."""

from __future__ import annotations

import logging
from typing import Any

import traitlets as t

from kit import access, corrections, db, inspections, rectification, registry
from kit.db import Connection
from kit.errors import InvalidInput, KitError
from kit.ui import app
from kit.ui.rounds.evaluation_model import EvaluationActions
from kit.ui.rounds.groups_model import GroupActions, changed, opened

log = logging.getLogger(__name__)

TITLE = "巡察组织"


def person_label(person: dict[str, Any]) -> str:
    """A person as the pool form lists them: name, latest unit and post (the same name twice is told apart)."""
    where = " ".join(part for part in (person.get("unit_name"), person.get("post")) if part) or "暂无任职"
    return f"{person['name']}（{where}，编号 {person['id']}）"


class RoundsModel(GroupActions, EvaluationActions, app.AppModel):
    """The rounds, the chosen round's groups and targets, and what the forms may choose from."""

    revision = t.Int(0)
    round_id = t.Int(None, allow_none=True)
    rounds: t.List[Any] = t.List()
    groups: t.List[Any] = t.List()
    targets: t.List[Any] = t.List()
    pool: t.List[Any] = t.List()
    clues: t.List[Any] = t.List()
    round_corrections: t.List[Any] = t.List()  # the chosen round's 更正 and 作废
    feedbacks: t.List[Any] = t.List()  # the chosen round's feedback meetings (voided ones left out)
    feedback_id = t.Int(None, allow_none=True)  # the feedback opened for 更正或作废
    feedback_corrections: t.List[Any] = t.List()  # its 更正 and 作废
    group_id = t.Int(None, allow_none=True)  # the group opened for 更正或作废
    evaluation_unit = t.Int(None, allow_none=True)  # the unit whose 整改评估 is opened for 更正或作废
    evaluation_corrections: t.List[Any] = t.List()  # its 更正 and 作废
    outcome_id = t.Int(None, allow_none=True)  # the clue's step opened for 更正或作废
    outcome_corrections: t.List[Any] = t.List()  # its 更正 and 作废
    units: t.List[Any] = t.List()
    people: t.List[Any] = t.List()
    leaders: t.List[Any] = t.List()
    can_enter = t.Bool(False)
    can_review = t.Bool(False)

    def load(self) -> None:
        with db.read(self.db_path) as con:
            me = self.identify(con)
            self.can_enter = me.has(access.ENTER)
            self.can_review = me.has(access.REVIEW)
            self._refresh(con, None)

    def select(self, round_id: int | None) -> None:
        with db.read(self.db_path) as con:
            self._refresh(con, round_id)

    def _refresh(self, con: Connection, round_id: int | None) -> None:
        self.rounds = inspections.list_rounds(con)
        known = {r["id"] for r in self.rounds}
        chosen = round_id if round_id in known else (self.rounds[0]["id"] if self.rounds else None)
        self.round_id = chosen
        self.pool = inspections.list_pool(con)
        self.units = [(f"{u['name']}（{u['code']}）", u["id"]) for u in registry.list_units(con)]
        self.people = [(person_label(p), p["id"]) for p in registry.list_people(con)]
        self.leaders = self._leaders(con)
        if chosen is None:
            self.groups, self.targets, self.clues, self.round_corrections, self.feedbacks = [], [], [], [], []
        else:
            self.groups = inspections.round_groups(con, round_id=chosen)
            self.targets = rectification.overview(con, round_ids=[chosen])
            self.clues = inspections.list_clues(con, round_ids=[chosen], include_voided=True)  # struck out
            self.round_corrections = sorted(  # the round's, and those of its units the user sees
                corrections.corrections_of(con, table="inspection_rounds", record_id=chosen)
                + corrections.corrections_of(con, table="inspection_targets", record_id=chosen),
                key=lambda c: c["id"],
            )
            self.feedbacks = inspections.list_feedbacks(con, round_id=chosen)
        if self.group_id not in {g["id"] for g in self.groups}:
            self.group_id = None  # voided, or another round chosen: nothing is open
        opened_evaluation = self.evaluation()
        if opened_evaluation is None:
            self.evaluation_unit = None  # voided, or another round chosen: nothing is open
        else:
            self.evaluation_corrections = corrections.corrections_of(
                con, table="rectification_evaluations", record_id=opened_evaluation["evaluation_id"]
            )
        if self.outcome_id is not None:
            self.outcome_corrections = corrections.corrections_of(con, table="clue_outcomes", record_id=self.outcome_id)
        if self.outcome_id not in {o["id"] for o in self.outcomes()}:
            self.outcome_id = None  # voided, or another round chosen: nothing is open
        if self.feedback_id is not None:
            self.feedback_corrections = corrections.corrections_of(con, table="feedbacks", record_id=self.feedback_id)
        if self.feedback_id not in {f["id"] for f in self.feedbacks}:
            self.feedback_id = None  # voided, or another round chosen: nothing is open
        self.revision += 1

    def _leaders(self, con: Connection) -> list[tuple[str, int]]:
        """分管领导 to choose from: the teams of the top units today, and whoever attended a feedback."""
        today = con.now.date()
        found: dict[int, str] = {}
        for unit in registry.list_units(con):  # those the user sees
            if unit["parent_id"] is None:
                for leader in registry.leadership_at(con, unit["id"], today):
                    found.setdefault(leader.person_id, f"{leader.name}（{leader.post}）")
        for row in rectification.leaders_in_charge(con):
            found.setdefault(row["person_id"], row["name"])
        return [(label, person) for person, label in found.items()]

    # --- writes: each is one transaction through kit ------------------------------------------

    def _write(self, action: str, call: Any) -> Any:
        """One save; the screen then shows what is stored (never a change still being written).

        The save has succeeded once the block ends: if the file cannot be read just then, the
        screen keeps what it showed rather than telling the user their save failed.
        """
        with db.write(self.db_path, action=action) as con:
            result = call(con)
        try:
            self.select(self.round_id)
        except KitError:
            log.warning("not re-read after a save", exc_info=True)
        return result

    def _history(self, table: str, record_id: int | None) -> list[dict[str, Any]]:
        """The 更正 and 作废 of one record opened for correction (the round itself is not read again)."""
        if record_id is None:
            return []
        with db.read(self.db_path) as con:
            return corrections.corrections_of(con, table=table, record_id=record_id)

    def add_round(self, values: dict[str, Any]) -> str:
        """新建轮次; returns the message. Raises: InvalidInput, PermissionDenied, Busy."""
        new = self._write("设置巡察轮次", lambda con: inspections.add_round(con, **values))
        self.select(new)
        return f"已新建轮次：{values.get('name')}"

    def _need_round(self) -> int:
        if self.round_id is None:
            raise InvalidInput.one("round", "请先新建或选择巡察轮次")
        return int(self.round_id)

    def round_values(self) -> dict[str, Any]:
        """The chosen round's fields as its correction form shows them (dates as text)."""
        chosen = next((r for r in self.rounds if r["id"] == self.round_id), None)
        if chosen is None:
            return {}
        return {
            "name": chosen["name"],
            "kind": chosen["kind"],
            "start": chosen["start_date"].isoformat(),
            "end": chosen["end_date"].isoformat(),
            "note": chosen["note"] or "",
        }

    def correct_round(self, values: dict[str, Any]) -> str:
        """更正 the chosen round (what differs from what is stored, with the reason); returns the message."""
        round_id = self._need_round()
        changes = changed(self.round_values(), values)
        self._write(
            "更正巡察轮次",
            lambda con: corrections.correct_round(con, round_id=round_id, reason=values.get("reason"), **changes),
        )
        return "已更正本轮，更正记录见下方"

    def void_round(self, values: dict[str, Any]) -> str:
        """作废 the chosen round (only while nothing belongs to it); returns the message."""
        round_id = self._need_round()
        code = next((r["code"] for r in self.rounds if r["id"] == round_id), "")
        self._write(
            "作废巡察轮次", lambda con: corrections.void_round(con, round_id=round_id, reason=values.get("reason"))
        )
        return f"已作废轮次 {code}，它不再出现在轮次列表中"

    def open_group(self, group_id: int | None) -> None:
        """Open one group of the round for 更正或作废 (its corrections are the round's, listed with them)."""
        self.group_id = group_id
        self.revision += 1

    def group(self) -> dict[str, Any] | None:
        return next((g for g in self.groups if g["id"] == self.group_id), None)

    def outcomes(self) -> list[dict[str, Any]]:
        """The live steps taken on the round's clues (处置记录), each with its clue's unit."""
        return [step for clue in self.clues for step in clue["outcomes"]]

    def open_outcome(self, outcome_id: int | None) -> None:
        """Open one step for 更正或作废, with its corrections so far."""
        self.outcome_id, self.outcome_corrections = outcome_id, self._history("clue_outcomes", outcome_id)
        self.revision += 1

    def outcome(self) -> dict[str, Any] | None:
        return next((o for o in self.outcomes() if o["id"] == self.outcome_id), None)

    def outcome_values(self) -> dict[str, Any]:
        """The opened step's fields as its correction form shows them (numbers and dates as text)."""
        found = self.outcome()
        if found is None:
            return {}
        return {
            "outcome": found["outcome"],
            "people": str(found["people"]),
            "decided_on": found["decided_on"].isoformat(),
            "note": found["note"] or "",
        }

    def _need_outcome(self) -> dict[str, Any]:
        return opened(self.outcome(), "outcome_id", "请先在上方的处置记录中选择要更正或作废的一条")

    def correct_outcome(self, values: dict[str, Any]) -> str:
        """更正 the opened step (what differs from what is stored, with the reason); returns the message."""
        found = self._need_outcome()
        changes = changed(self.outcome_values(), values)
        self._write(
            "更正线索处置",
            lambda con: corrections.correct_outcome(
                con, outcome_id=found["id"], reason=values.get("reason"), **changes
            ),
        )
        return f"已更正{found['unit_name']}线索的“{found['outcome_label']}”，统计随之改变"

    def void_outcome(self, values: dict[str, Any]) -> str:
        """作废 the opened step; returns the message."""
        found = self._need_outcome()
        self._write(
            "作废线索处置",
            lambda con: corrections.void_outcome(con, outcome_id=found["id"], reason=values.get("reason")),
        )
        return f"已作废{found['unit_name']}线索的“{found['outcome_label']}”"

    def open_feedback(self, feedback_id: int | None) -> None:
        """Open one feedback of the round for 更正或作废, with its corrections so far."""
        self.feedback_id, self.feedback_corrections = feedback_id, self._history("feedbacks", feedback_id)
        self.revision += 1

    def feedback(self) -> dict[str, Any] | None:
        return next((f for f in self.feedbacks if f["id"] == self.feedback_id), None)

    def feedback_values(self) -> dict[str, Any]:
        """The opened feedback's fields as its correction form shows them (dates as text)."""
        found = self.feedback()
        if found is None:
            return {}
        return {
            "mode": found["mode"],
            "held_on": found["held_on"].isoformat(),
            "leader_id": found["leader_id"],
            "note": found["note"] or "",
        }

    def _need_feedback(self) -> dict[str, Any]:
        return opened(self.feedback(), "feedback_id", "请先在上方的反馈列表中选择要更正或作废的反馈")

    def correct_feedback(self, values: dict[str, Any]) -> str:
        """更正 the opened feedback (what differs from what is stored, with the reason); returns the message."""
        found = self._need_feedback()
        changes = changed(self.feedback_values(), values)
        self._write(
            "更正巡察反馈",
            lambda con: corrections.correct_feedback(
                con, feedback_id=found["id"], reason=values.get("reason"), **changes
            ),
        )
        return f"已更正{found['unit_name']}的{found['mode_label']}，更正记录见下方"

    def void_feedback(self, values: dict[str, Any]) -> str:
        """作废 the opened feedback; returns the message."""
        found = self._need_feedback()
        self._write(
            "作废巡察反馈",
            lambda con: corrections.void_feedback(con, feedback_id=found["id"], reason=values.get("reason")),
        )
        return f"已作废{found['unit_name']}的{found['mode_label']}，可以重新登记"

    def add_group(self, values: dict[str, Any]) -> str:
        """新建巡察组; returns the message. Raises: InvalidInput, NotFound, PermissionDenied, Busy."""
        round_id = self._need_round()
        self._write("设置巡察组", lambda con: inspections.add_group(con, round_id=round_id, name=values.get("name")))
        return f"已新建：{values.get('name')}"

    def add_member(self, values: dict[str, Any]) -> str:
        """调配组员 (pools and recusal are checked by kit); returns the message."""
        self._need_round()
        if values.get("group_id") is None:
            raise InvalidInput.one("group_id", "请选择巡察组")
        if values.get("person_id") is None:
            raise InvalidInput.one("person_id", "请选择人员")
        self._write(
            "设置巡察组成员",
            lambda con: inspections.add_member(
                con, group_id=values["group_id"], person_id=values["person_id"], role=values.get("role")
            ),
        )
        return "已调配"

    def assign_unit(self, values: dict[str, Any]) -> str:
        """确定巡察对象 (recusal is checked by kit); returns the message."""
        self._need_round()
        if values.get("group_id") is None:
            raise InvalidInput.one("group_id", "请选择巡察组")
        if values.get("unit_id") is None:
            raise InvalidInput.one("unit_id", "请选择被巡察单位")
        self._write(
            "确定巡察对象",
            lambda con: inspections.assign_unit(con, group_id=values["group_id"], unit_id=values["unit_id"]),
        )
        return "已确定巡察对象"

    def add_to_pool(self, values: dict[str, Any]) -> str:
        """入库; returns the message."""
        if values.get("person_id") is None:
            raise InvalidInput.one("person_id", "请选择人员")
        self._write(
            "入库", lambda con: inspections.add_to_pool(con, person_id=values["person_id"], pool=values.get("pool"))
        )
        return "已入库"

    def remove_from_pool(self, values: dict[str, Any]) -> str:
        """移出人员库 (groups already formed keep the person); returns the message."""
        if values.get("person_id") is None:
            raise InvalidInput.one("person_id", "请选择人员")
        pool = values.get("pool")
        self._write("出库", lambda con: inspections.remove_from_pool(con, person_id=values["person_id"], pool=pool))
        return f"已移出{inspections.POOL_LABELS.get(str(pool), '人员库')}"

    def pool_entry(self, key: str) -> dict[str, Any] | None:
        return next((row for row in self.pool if row["key"] == key), None)

    def record_feedback(self, values: dict[str, Any]) -> str:
        """登记反馈; returns the message."""
        round_id = self._need_round()
        if values.get("unit") is None:
            raise InvalidInput.one("unit_id", "请选择被巡察单位")
        if values.get("leader") is None:
            raise InvalidInput.one("leader_id", "请选择出席的分管领导")
        self._write(
            "登记巡察反馈",
            lambda con: inspections.record_feedback(
                con,
                round_id=round_id,
                unit_id=values["unit"],
                mode=values.get("mode"),
                held_on=values.get("held_on"),
                leader_id=values["leader"],
                note=values.get("note"),
            ),
        )
        return "已登记反馈"

    def evaluate(self, values: dict[str, Any]) -> str:
        """整改评估 (审核员); returns the message with the grade."""
        round_id = self._need_round()
        if values.get("unit") is None:
            raise InvalidInput.one("unit_id", "请选择被评估单位")
        grade = self._write(
            "整改评估",
            lambda con: rectification.evaluate(
                con, round_id=round_id, unit_id=values["unit"], score=values.get("score"), note=values.get("note")
            ),
        )
        return f"已评估：{grade}"

    def record_outcome(self, values: dict[str, Any]) -> str:
        """登记线索处置; returns the message."""
        if values.get("clue") is None:
            raise InvalidInput.one("clue_id", "请选择问题线索")
        self._write(
            "登记线索处置结果",
            lambda con: inspections.record_outcome(
                con,
                clue_id=values["clue"],
                outcome=values.get("outcome"),
                people=values.get("people") or 0,
                decided_on=values.get("decided_on"),
                note=values.get("note"),
            ),
        )
        return "已登记处置结果"
