"""整改 labels and limits, and the tables the trace keeps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kit import trace
from kit.db import Connection

STATUS_LABELS = {"open": "整改中", "pending": "待审核销号", "closed": "已销号"}
UPDATE_LABELS = {
    "progress": "进展",
    "extension": "延期",
    "request": "申请销号",
    "approve": "同意销号",
    "reject": "退回",
    "handover": "整改交接",
}
FLAG_NAMES = {"overdue": "逾期", "due_today": "今日到期", "due_soon": "临期", "ok": "未到期", "closed": "已销号"}


DEFAULT_OFFSETS = (-7, 0, 7, 30)
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVALUATION_BANDS = ((Decimal(90), "好"), (Decimal(80), "较好"), (Decimal(60), "一般"), (Decimal(0), "差"))
POOR_GRADE = "差"
OFFSETS_KEY = "reminder_offsets"

STATE_SQL = {
    "rectification_items": "SELECT id::VARCHAR AS _key, * FROM rectification_items",
    "rectification_updates": "SELECT id::VARCHAR AS _key, * FROM rectification_updates",
    # The content is compared through its hash, computed afresh from the stored bytes.
    "evidence_files": "SELECT id::VARCHAR AS _key, id, update_id, item_id, filename, size, sha256(content) AS sha256"
    " FROM evidence_files",
    "rectification_copies": "SELECT id::VARCHAR AS _key, * FROM rectification_copies",
    "rectification_evaluations": "SELECT round_id || '/' || unit_id AS _key, * FROM rectification_evaluations",
    "rectification_handovers": "SELECT id::VARCHAR AS _key, * FROM rectification_handovers",
    "settings": "SELECT key AS _key, * FROM settings",
}
TABLE_LABELS = {
    "rectification_items": "整改事项",
    "rectification_updates": "整改进展",
    "evidence_files": "佐证材料",
    "rectification_copies": "抄告",
    "rectification_evaluations": "整改评估",
    "rectification_handovers": "整改交接",
    "settings": "系统设置",
}


def traced_state(con: Connection, table: str, key: str) -> dict[str, Any] | None:
    return trace.state(con, STATE_SQL, table, key)


def traced(con: Connection, action: str, table: str, key: str, before: dict[str, Any] | None) -> None:
    trace.record(con, action=action, table=table, key=key, before=before, after=traced_state(con, table, key))
