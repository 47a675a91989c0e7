"""巡察: rounds, groups (with recusal), findings, clues and their outcomes, feedback, statistics.

A round (轮) sends groups (巡察组) to units; each group's 组长, 副组长 and 联络员 come
from the office's pools. A group finds problems (发现问题); a problem may become a
clue (问题线索) transferred to 纪委监委 or 组织部, whose outcome is recorded step by
step. The group gives feedback (反馈) to each unit, attended by a 分管领导; the
unit's rectification ledger (kit.rectification) starts from its findings.

Every write records the row's full new state in the trace (`STATE_SQL`), so
`kit check` compares the data with the trace table by table.

The area is a package, one concept per module, each importing only those above it in
this list: `common` (labels, traced tables, shared checks), `rounds` (and the pools),
`categories`, `groups`, `findings`, `clues`, `feedback`, `stats`. Callers use the
names re-exported here (`inspections.add_finding`); inside it, a module imports the
module that defines a name, never this package.
"""

from __future__ import annotations

from kit.inspections.categories import add_category, list_categories
from kit.inspections.clues import (
    CLUE,
    CLUE_LIST,
    OUTCOME,
    OUTCOME_LIST,
    check_clue,
    check_outcome,
    check_outcome_on_clue,
    clue_unit,
    list_clues,
    record_outcome,
    transfer_clue,
)
from kit.inspections.common import (
    AREA_LABELS,
    FEEDBACK_MODE_LABELS,
    HANDLED,
    MEMBER_ROLE_LABELS,
    OUTCOME_LABELS,
    POOL_LABELS,
    POOL_OF_ROLE,
    RECEIVER_LABELS,
    ROUND_KIND_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    STATE_SQL,
    TABLE_LABELS,
    YES_NO,
    person_name,
    require_round_admin,
    traced,
)
from kit.inspections.feedback import (
    FEEDBACK,
    FEEDBACK_LIST,
    check_feedback,
    check_feedback_in_round,
    list_feedbacks,
    record_feedback,
)
from kit.inspections.findings import (
    FINDING,
    FINDING_LIST,
    FINDING_RULES,
    FINDINGS_SEQUENCE,
    MISSING_OR_HIDDEN,
    FindingContext,
    add_finding,
    add_findings,
    check_finding,
    finding_context,
    finding_unit,
    findings_batch,
    list_findings,
    read_finding_context,
    store_findings,
    top_leader_when_found,
)
from kit.inspections.groups import (
    GROUP_LIST,
    add_group,
    add_member,
    assign_unit,
    grant_group_scope,
    recusal_conflicts,
    round_groups,
)
from kit.inspections.rounds import (
    POOL_LIST,
    ROUND,
    add_round,
    add_to_pool,
    check_round,
    get_round,
    list_pool,
    list_rounds,
    live_round,
    remove_from_pool,
    round_id,
)
from kit.inspections.stats import STAT_LABELS, assignment_sheets, common_problems, stats

__all__ = [
    "AREA_LABELS",
    "CLUE",
    "CLUE_LIST",
    "FEEDBACK",
    "FEEDBACK_LIST",
    "FEEDBACK_MODE_LABELS",
    "FINDING",
    "FINDINGS_SEQUENCE",
    "FINDING_LIST",
    "FINDING_RULES",
    "GROUP_LIST",
    "HANDLED",
    "MEMBER_ROLE_LABELS",
    "MISSING_OR_HIDDEN",
    "OUTCOME",
    "OUTCOME_LABELS",
    "OUTCOME_LIST",
    "POOL_LABELS",
    "POOL_LIST",
    "POOL_OF_ROLE",
    "RECEIVER_LABELS",
    "ROUND",
    "ROUND_KIND_LABELS",
    "SEVERITY_LABELS",
    "SOURCE_LABELS",
    "STAGE_LABELS",
    "STATE_SQL",
    "STAT_LABELS",
    "TABLE_LABELS",
    "YES_NO",
    "FindingContext",
    "add_category",
    "add_finding",
    "add_findings",
    "add_group",
    "add_member",
    "add_round",
    "add_to_pool",
    "assign_unit",
    "assignment_sheets",
    "check_clue",
    "check_feedback",
    "check_feedback_in_round",
    "check_finding",
    "check_outcome",
    "check_outcome_on_clue",
    "check_round",
    "clue_unit",
    "common_problems",
    "finding_context",
    "finding_unit",
    "findings_batch",
    "get_round",
    "grant_group_scope",
    "list_categories",
    "list_clues",
    "list_feedbacks",
    "list_findings",
    "list_pool",
    "list_rounds",
    "live_round",
    "person_name",
    "read_finding_context",
    "record_feedback",
    "record_outcome",
    "recusal_conflicts",
    "remove_from_pool",
    "require_round_admin",
    "round_groups",
    "round_id",
    "stats",
    "store_findings",
    "top_leader_when_found",
    "traced",
    "transfer_clue",
]
