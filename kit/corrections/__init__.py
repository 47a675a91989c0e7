"""更正 and 作废: what a clerk entered wrongly is corrected or voided, with a reason, never erased.

A correction runs the record's own checks (`inspections.check_finding`,
`rectification.check_item`) over its current values with the changed ones put in, so
it obeys the same rules as the entry did. A void marks the record (`voided_at`,
`voided_by`): it stays in its table, its history and the trace, and leaves lists,
statistics and reports. Each correction or void is a row of `record_corrections` with
its reason and every changed field before and after, shown in the record's history.

A reviewed record, a ledger item already 销号 or a score sheet of a closed year, is
not changed by the clerk: the correction or void waits as a request until a 审核员
other than the requester approves it (then it is applied, checked again) or rejects it.

The area is a package, one module per kind of record corrected, each importing only
those above it in this list: `common` (what can be corrected, labels, logging and
applying a correction), `findings`, `rounds`, `feedback`, `clues`, `outcomes`, `groups` (a
round's groups, members and units: corrections of the round), `evaluations`, `items`,
`updates` (an item's progress reports and extensions, while it is 整改中), `sheets` (a
closed year's score sheets, by request only), `review` (a 审核员's decision on a
request), `history`. Callers use the names re-exported here (`corrections.correct_finding`).
"""

from __future__ import annotations

from kit.corrections.clues import correct_clue, void_clue
from kit.corrections.common import (
    CLUE,
    CORRECTABLE,
    EVALUATION,
    FEEDBACK,
    FINDING,
    ITEM,
    KIND_LABELS,
    OUTCOME,
    RECORD_LABELS,
    ROUND,
    SHEET,
    STATE_SQL,
    STATUS_LABELS,
    TABLE_LABELS,
    TARGET,
    UNITLESS,
    UPDATE,
    Correctable,
    apply_correction,
    apply_void,
    asked_reason,
    differences,
    log_correction,
    reason_text,
    shown_changes,
    shown_value,
    update_record,
)
from kit.corrections.evaluations import correct_evaluation, void_evaluation
from kit.corrections.feedback import correct_feedback, void_feedback
from kit.corrections.findings import correct_finding, void_finding
from kit.corrections.groups import (
    change_member,
    correct_group,
    move_target,
    remove_member,
    remove_target,
    void_group,
)
from kit.corrections.history import (
    CORRECTION_LIST,
    REQUEST_LIST,
    corrections_of,
    item_corrections,
    pending_requests,
    sheet_corrections,
)
from kit.corrections.items import correct_item, void_item
from kit.corrections.outcomes import correct_outcome, void_outcome
from kit.corrections.review import review
from kit.corrections.rounds import correct_round, void_round
from kit.corrections.sheets import request_sheet_correction, void_sheet
from kit.corrections.updates import correct_update, void_update

__all__ = [
    "CLUE",
    "CORRECTABLE",
    "CORRECTION_LIST",
    "EVALUATION",
    "FEEDBACK",
    "FINDING",
    "ITEM",
    "KIND_LABELS",
    "OUTCOME",
    "RECORD_LABELS",
    "REQUEST_LIST",
    "ROUND",
    "SHEET",
    "STATE_SQL",
    "STATUS_LABELS",
    "TABLE_LABELS",
    "TARGET",
    "UNITLESS",
    "UPDATE",
    "Correctable",
    "apply_correction",
    "apply_void",
    "asked_reason",
    "change_member",
    "correct_clue",
    "correct_evaluation",
    "correct_feedback",
    "correct_finding",
    "correct_group",
    "correct_item",
    "correct_outcome",
    "correct_round",
    "correct_update",
    "corrections_of",
    "differences",
    "item_corrections",
    "log_correction",
    "move_target",
    "pending_requests",
    "reason_text",
    "remove_member",
    "remove_target",
    "request_sheet_correction",
    "review",
    "sheet_corrections",
    "shown_changes",
    "shown_value",
    "update_record",
    "void_clue",
    "void_evaluation",
    "void_feedback",
    "void_finding",
    "void_group",
    "void_item",
    "void_outcome",
    "void_round",
    "void_sheet",
    "void_update",
]
