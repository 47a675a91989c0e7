"""整改: the rectification ledger ("四张清单一张表") from the first measure to 销号.

Each item ties a problem (a finding) to its measure (措施), the leader and person who
answer for it (责任), and a deadline (时限). Progress updates carry text and evidence
files and are copied to the 分管领导 who attended the feedback (双向抄告). An item is
closed (销号) only with evidence and a reviewer's approval, by someone other than the
person who asked. Deadlines are flagged as they approach and pass; extensions are
counted. When a unit's 一把手 changes, open items pass to the successor through a
handover (整改交接) both sign. Evaluations (整改评估) score each unit of a round.

The area is a package, one concept per module, each importing only those above it in
this list: `common` (labels, limits, traced tables), `deadlines`, `items`, `progress`,
`ledger`, `copies`, `evaluation`, `handovers`, `paper`. Callers use the names
re-exported here (`rectification.add_item`); inside it, a module imports the module
that defines a name, never this package.
"""

from __future__ import annotations

from kit.rectification.common import (
    DEFAULT_OFFSETS,
    EVALUATION_BANDS,
    FLAG_NAMES,
    MAX_EVIDENCE_BYTES,
    OFFSETS_KEY,
    POOR_GRADE,
    STATE_SQL,
    STATUS_LABELS,
    TABLE_LABELS,
    UPDATE_LABELS,
    traced,
    traced_state,
)
from kit.rectification.copies import COPY_LIST, READ_NAMES, copies_for, leaders_in_charge, mark_copies_read
from kit.rectification.deadlines import Flag, add_months, deadline_flag, reminder_offsets, set_reminder_offsets
from kit.rectification.evaluation import (
    EVALUATION,
    OVERVIEW_LIST,
    check_evaluation,
    evaluate,
    grade_for,
    overview,
    poor_units,
)
from kit.rectification.handovers import HANDOVER_LIST, SIDE_LABELS, handover_for_change, list_handovers, sign_handover
from kit.rectification.items import (
    ITEM,
    ITEM_LIST,
    ITEMS_SEQUENCE,
    ItemContext,
    add_item,
    add_items,
    check_item,
    item_context,
    items_batch,
    live_item,
    read_item_context,
    refuse_voided,
    store_items,
)
from kit.rectification.ledger import HISTORY_LIST, PENDING_LIST, evidence, item_history, list_items
from kit.rectification.paper import PAPER_REASONS, paper_flags
from kit.rectification.progress import (
    EXTENSION_LABELS,
    LIVE_EVIDENCE_SQL,
    PROGRESS_LABELS,
    add_update,
    check_extension,
    check_new_deadline,
    check_progress,
    extend_deadline,
    request_close,
    review_close,
    set_item,
    update_progress,
)

__all__ = [
    "COPY_LIST",
    "DEFAULT_OFFSETS",
    "EVALUATION",
    "EVALUATION_BANDS",
    "EXTENSION_LABELS",
    "FLAG_NAMES",
    "HANDOVER_LIST",
    "HISTORY_LIST",
    "ITEM",
    "ITEMS_SEQUENCE",
    "ITEM_LIST",
    "LIVE_EVIDENCE_SQL",
    "MAX_EVIDENCE_BYTES",
    "OFFSETS_KEY",
    "OVERVIEW_LIST",
    "PAPER_REASONS",
    "PENDING_LIST",
    "POOR_GRADE",
    "PROGRESS_LABELS",
    "READ_NAMES",
    "SIDE_LABELS",
    "STATE_SQL",
    "STATUS_LABELS",
    "TABLE_LABELS",
    "UPDATE_LABELS",
    "Flag",
    "ItemContext",
    "add_item",
    "add_items",
    "add_months",
    "add_update",
    "check_evaluation",
    "check_extension",
    "check_item",
    "check_new_deadline",
    "check_progress",
    "copies_for",
    "deadline_flag",
    "evaluate",
    "evidence",
    "extend_deadline",
    "grade_for",
    "handover_for_change",
    "item_context",
    "item_history",
    "items_batch",
    "leaders_in_charge",
    "list_handovers",
    "list_items",
    "live_item",
    "mark_copies_read",
    "overview",
    "paper_flags",
    "poor_units",
    "read_item_context",
    "refuse_voided",
    "reminder_offsets",
    "request_close",
    "review_close",
    "set_item",
    "set_reminder_offsets",
    "sign_handover",
    "store_items",
    "traced",
    "traced_state",
    "update_progress",
]
