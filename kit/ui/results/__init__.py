"""考核结果: ranking, grade distribution, follow-ups, and the report to download.

The app is a folder: `model` (`ResultsModel`) and `view` (`ResultsView`, and `show`,
which the notebook runs).
"""

from __future__ import annotations

from kit.ui.results.model import TITLE, ResultsModel
from kit.ui.results.view import PICKER_FIELDS, REVIEW_FIELDS, ResultsView, download_link, followups_summary_html, show

__all__ = [
    "PICKER_FIELDS",
    "REVIEW_FIELDS",
    "TITLE",
    "ResultsModel",
    "ResultsView",
    "download_link",
    "followups_summary_html",
    "show",
]
