"""The 巡察组织 app's 整改评估 corrections: the evaluation opened from the overview, corrected or voided."""

from __future__ import annotations

from typing import Any

from kit import corrections
from kit.formats import number
from kit.ui.rounds.groups_model import changed, opened


class EvaluationActions:
    """What the rounds model does for the evaluation opened from its overview (mixed into `RoundsModel`)."""

    targets: list[dict[str, Any]]
    evaluation_unit: int | None
    evaluation_corrections: list[dict[str, Any]]
    revision: int

    def _write(self, action: str, call: Any) -> Any:
        raise NotImplementedError

    def _need_round(self) -> int:
        raise NotImplementedError

    def _history(self, table: str, record_id: int | None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def open_evaluation(self, unit_id: int | None) -> None:
        """Open a unit's evaluation in the chosen round for 更正或作废, with its corrections so far."""
        self.evaluation_unit = unit_id
        found = self.evaluation()
        self.evaluation_corrections = self._history(
            "rectification_evaluations", found["evaluation_id"] if found else None
        )
        self.revision += 1

    def evaluation(self) -> dict[str, Any] | None:
        """The opened unit's row of the overview, while it has a live evaluation."""
        return next(
            (r for r in self.targets if r["unit_id"] == self.evaluation_unit and r["evaluation_id"] is not None), None
        )

    def evaluation_values(self) -> dict[str, Any]:
        """The opened evaluation's fields as its correction form shows them (numbers and dates as text)."""
        found = self.evaluation()
        if found is None:
            return {}
        return {
            "score": number(found["score"]),
            "note": found["evaluation_note"] or "",
            "on": found["evaluated_on"].isoformat(),
        }

    def _need_evaluation(self) -> dict[str, Any]:
        return opened(self.evaluation(), "unit_id", "请先在上方的表中选择要更正或作废的整改评估")

    def correct_evaluation(self, values: dict[str, Any]) -> str:
        """更正 the opened evaluation (what differs from what is stored, with the reason); returns the message."""
        found = self._need_evaluation()
        round_id = self._need_round()
        changes = changed(self.evaluation_values(), values)
        self._write(
            "更正整改评估",
            lambda con: corrections.correct_evaluation(
                con, round_id=round_id, unit_id=found["unit_id"], reason=values.get("reason"), **changes
            ),
        )
        return f"已更正{found['unit_name']}的整改评估，更正记录见下方"

    def void_evaluation(self, values: dict[str, Any]) -> str:
        """作废 the opened evaluation; returns the message."""
        found = self._need_evaluation()
        round_id = self._need_round()
        self._write(
            "作废整改评估",
            lambda con: corrections.void_evaluation(
                con, round_id=round_id, unit_id=found["unit_id"], reason=values.get("reason")
            ),
        )
        return f"已作废{found['unit_name']}的整改评估，它现为“未评估”，可以重新评估"
