"""巡察整改: findings of a round, the rectification ledger, copies to the 分管领导, handovers.

The app is a folder: `model` (`InspectionModel`: the state, and every call to kit; no
widgets, testable without a browser; its actions in `findings_model`, `ledger_model`,
`excel_model` and `copies_model`, over `state_model`), `parts` (small widgets shared by its tabs), one
module per tab (`findings`, `ledger`, `copies`, `handovers`) and `view` (the page:
round picker, reports, tabs; `show` is what the notebook runs). Views draw the model and
send it what the user did; they never touch SQL. Every action opens the database for
itself (`db.read` / `db.write`) and never keeps it.
"""

from __future__ import annotations

from kit.ui.inspection.model import TITLE, InspectionModel, finding_values, item_values, step_values, uploaded
from kit.ui.inspection.view import TAB_TITLES, InspectionView, show

__all__ = [
    "TAB_TITLES",
    "TITLE",
    "InspectionModel",
    "InspectionView",
    "finding_values",
    "item_values",
    "show",
    "step_values",
    "uploaded",
]
