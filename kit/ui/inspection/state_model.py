"""What the 巡察整改 model's actions share: the state they read and the model's steps they call.

`InspectionModel` (model.py) holds this state and defines these steps; each group of actions
(findings_model, ledger_model, excel_model, copies_model) is a class over `InspectionState`,
so that it names what it relies on and is type-checked against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kit import excel
from kit.db import Connection
from kit.errors import InvalidInput


class InspectionState:
    """The model's attributes and steps its actions use; `InspectionModel` sets and defines each one."""

    db_path: str | Path | None
    round_id: int | None
    units: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    items: list[dict[str, Any]]
    teams: dict[int, list[str]]
    item_id: int | None
    item: dict[str, Any] | None
    history: list[dict[str, Any]]
    finding: dict[str, Any] | None
    clue: dict[str, Any] | None
    leaders: list[dict[str, Any]]
    leader_id: int | None
    copies: list[dict[str, Any]]
    import_kind: str
    import_result: excel.ImportResult | None
    import_done: int  # traits of InspectionModel
    import_total: int

    @property
    def round(self) -> dict[str, Any] | None:
        """The selected round."""
        raise NotImplementedError

    def reload(self) -> None:
        """Read everything again."""
        raise NotImplementedError

    def _after_save(self, round_id: int | None, *, template: bool = False) -> None:
        """Show what is stored, once a save is committed."""
        raise NotImplementedError

    def _load_copies(self, con: Connection, person_id: int | None) -> None:
        """Read the copies sent to a 分管领导."""
        raise NotImplementedError


def required(values: Mapping[str, Any], key: str, message: str) -> Any:
    """`values[key]`, refused with `message` beside the field when it is missing or empty."""
    value = values.get(key)
    if value is None or value == "":
        raise InvalidInput.one(key, message)
    return value
