"""巡察组织: rounds, groups (from the pools, with recusal), targets, feedback, 整改评估 and clue outcomes.

The 巡察办's own app. Everything it writes goes through kit.inspections and
kit.rectification, so the rules (pools, one 组长, 回避, one group per unit and
round …) and their Chinese messages are those of the functions, shown beside the
fields they name. `model` holds the state and every call to kit (no widgets);
`view` draws it (`show` is what the notebook runs).
"""

from __future__ import annotations

from kit.ui.rounds.model import TITLE, RoundsModel, person_label
from kit.ui.rounds.view import (
    ENTRY_TITLES,
    EVALUATION_FIELDS,
    FEEDBACK_FIELDS,
    GROUP_FIELDS,
    MEMBER_FIELDS,
    OUTCOME_FIELDS,
    POOL_FIELDS,
    ROUND_FIELDS,
    ROUND_FIX_FIELDS,
    TARGET_FIELDS,
    RoundsView,
    show,
)

__all__ = [
    "ENTRY_TITLES",
    "EVALUATION_FIELDS",
    "FEEDBACK_FIELDS",
    "GROUP_FIELDS",
    "MEMBER_FIELDS",
    "OUTCOME_FIELDS",
    "POOL_FIELDS",
    "ROUND_FIELDS",
    "ROUND_FIX_FIELDS",
    "TARGET_FIELDS",
    "TITLE",
    "RoundsModel",
    "RoundsView",
    "person_label",
    "show",
]
