"""纸面整改: items whose progress reads like paperwork, flagged for a closer look."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kit import door, validate
from kit.db import Connection
from kit.rectification.ledger import list_items

PAPER_REASONS = {
    "no_evidence": "销号但没有佐证材料",
    "same_day": "立项当天即销号",
    "copied_measure": "整改措施与其他单位逐字相同",
    "extended": "整改时限延期超过两次",
}


@door.public
def paper_flags(con: Connection, *, round_ids: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """纸面整改: items that look rectified on paper only, each with every reason that applies."""
    items = list_items(con, round_ids=round_ids)
    by_measure: dict[str, set[int]] = {}
    for item in items:
        by_measure.setdefault(_normal(item["measure"]), set()).add(item["unit_id"])
    out = []
    for item in items:
        reasons = []
        if item["status"] == "closed" and not item["evidence"]:
            reasons.append("no_evidence")
        if item["status"] == "closed" and item["closed_on"] == item["opened_on"]:
            reasons.append("same_day")
        if len(by_measure[_normal(item["measure"])]) > 1:
            reasons.append("copied_measure")
        if item["extensions"] > 2:
            reasons.append("extended")
        if reasons:
            out.append({**item, "reasons": reasons, "reason_labels": [PAPER_REASONS[r] for r in reasons]})
    return out


def _normal(text: str) -> str:
    return "".join(validate._clean(text).split())
