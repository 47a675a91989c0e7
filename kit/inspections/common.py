"""巡察 labels, the tables the trace keeps, and the checks every part of the area shares."""

from __future__ import annotations

from typing import Any

from kit import access, trace
from kit.db import Connection
from kit.errors import NotFound

ROUND_KIND_LABELS = {"regular": "常规巡察", "special": "专项巡察", "mobile": "机动巡察", "joint": "巡纪审联动"}
POOL_LABELS = {"leader": "组长库", "deputy": "副组长库", "liaison": "联络员库"}
MEMBER_ROLE_LABELS = {"leader": "组长", "deputy": "副组长", "liaison": "联络员", "member": "组员"}
# Which pool each post in a group is drawn from (组员 may be anyone registered).
POOL_OF_ROLE = {"leader": "leader", "deputy": "deputy", "liaison": "liaison"}
AREA_LABELS = {
    "politics": "贯彻落实党的理论路线方针政策和重大决策部署",
    "discipline": "落实全面从严治党战略部署",
    "organization": "落实新时代党的组织路线",
    "rectification": "落实巡视巡察和审计等监督发现问题整改",
}
STAGE_LABELS = {"inspection": "巡察发现", "midterm": "中期监督检查"}
SEVERITY_LABELS = {"general": "一般", "serious": "较重", "grave": "严重"}
SOURCE_LABELS = {
    "inspection": "巡察",
    "daily": "日常监督",
    "special_check": "专项检查",
    "audit": "审计",
    "petition": "信访",
    "case": "案件",
}
YES_NO = {"yes": "是", "no": "否"}
RECEIVER_LABELS = {"commission": "纪委监委", "organization": "组织部"}
OUTCOME_LABELS = {
    "preliminary": "初核",
    "case_opened": "立案",
    "discipline": "党纪政务处分",
    "organizational": "组织处理",
    "judiciary": "移送司法",
    "closed": "了结",
}
# Outcomes whose 人次 count as "people handled" (处理处分).
HANDLED = ("discipline", "organizational", "judiciary")
FEEDBACK_MODE_LABELS = {"collective": "集中反馈", "one_on_one": "一对一反馈"}


STATE_SQL = {
    "inspector_pool": "SELECT pool || '/' || person_id AS _key, * FROM inspector_pool",
    "inspection_rounds": "SELECT code AS _key, * FROM inspection_rounds",
    "inspection_groups": "SELECT id::VARCHAR AS _key, * FROM inspection_groups",
    "group_members": "SELECT group_id || '/' || person_id AS _key, * FROM group_members",
    "inspection_targets": "SELECT round_id || '/' || unit_id AS _key, * FROM inspection_targets",
    "finding_categories": "SELECT name AS _key, * FROM finding_categories",
    "findings": "SELECT id::VARCHAR AS _key, * FROM findings",
    "clues": "SELECT id::VARCHAR AS _key, * FROM clues",
    "clue_outcomes": "SELECT id::VARCHAR AS _key, * FROM clue_outcomes",
    "feedbacks": "SELECT id::VARCHAR AS _key, * FROM feedbacks",
}
TABLE_LABELS = {
    "inspector_pool": "巡察人员库",
    "inspection_rounds": "巡察轮次",
    "inspection_groups": "巡察组",
    "group_members": "巡察组成员",
    "inspection_targets": "巡察对象",
    "finding_categories": "问题类别",
    "findings": "发现问题",
    "clues": "问题线索",
    "clue_outcomes": "线索处置",
    "feedbacks": "巡察反馈",
}


def traced(con: Connection, action: str, table: str, key: str, before: dict[str, Any] | None) -> None:
    trace.record(con, action=action, table=table, key=key, before=before, after=trace.state(con, STATE_SQL, table, key))


def require_round_admin(con: Connection, what: str) -> None:
    """Rounds, groups and pools belong to the 巡察办: 录入员 whose scope is every unit."""
    access.require_all_units(con, access.ENTER, what=what)


def person_name(con: Connection, person_id: int) -> str:
    name = con.scalar("SELECT name FROM people WHERE id = ?", [person_id])
    if name is None:
        raise NotFound(f"人员不存在（编号 {person_id}）")
    return str(name)
