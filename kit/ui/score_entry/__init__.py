"""年度考核评分: pick year, scheme and unit; enter each indicator's score; save.

`ScoreEntryModel` holds the state and talks to kit (no widgets, testable without a
browser); `ScoreEntryView` only draws it.

The app is a folder: `model` (`ScoreEntryModel`) and `view` (`ScoreEntryView`, and
`show`, which the notebook runs).
"""

from __future__ import annotations

from kit.assessments import describe_history
from kit.ui.score_entry.model import TITLE, ScoreEntryModel
from kit.ui.score_entry.view import PICKER_FIELDS, ScoreEntryView, score_fields, show

__all__ = [
    "PICKER_FIELDS",
    "TITLE",
    "ScoreEntryModel",
    "ScoreEntryView",
    "describe_history",
    "score_fields",
    "show",
]
