"""The 巡察整改 model's actions on copies to the 分管领导 (阅知) and on handovers (签字)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kit import db, rectification
from kit.errors import InvalidInput, KitError
from kit.ui.inspection.state_model import InspectionState, required

log = logging.getLogger(__name__)


class CopyActions(InspectionState):
    """抄告 to the chosen 分管领导 marked read, and 整改交接 signed by one side."""

    # -- 抄告 ---------------------------------------------------------------------
    def mark_read(self, copy_ids: Iterable[int] | None = None) -> str:
        """标记已阅: the unread copies among `copy_ids` (default: every one shown); returns the message.

        Raises:
            InvalidInput: nothing unread; NotFound, PermissionDenied, Busy.
        """
        wanted = None if copy_ids is None else set(copy_ids)
        unread = [c["id"] for c in self.copies if c["read_at"] is None and (wanted is None or c["id"] in wanted)]
        if not unread:
            raise InvalidInput.one("copies", "没有未阅的抄告")
        with db.write(self.db_path, action="阅知抄告") as con:
            changed = rectification.mark_copies_read(con, copy_ids=unread)
        try:  # saved: only the copies change on screen
            with db.read(self.db_path) as con:
                self.leaders = rectification.leaders_in_charge(con)
                self._load_copies(con, self.leader_id)
        except KitError:
            log.warning("copies not re-read after a save", exc_info=True)
        return f"已标记 {changed} 条为已阅"

    # -- 交接 ---------------------------------------------------------------------
    def sign_handover(self, values: Mapping[str, Any]) -> str:
        """One side signs a handover; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        side = values.get("side")
        with db.write(self.db_path, action="整改交接签字") as con:
            rectification.sign_handover(
                con, handover_id=required(values, "handover_id", "请选择交接记录"), side=side, on=values.get("on")
            )
        self._after_save(self.round_id)
        return f"{rectification.SIDE_LABELS.get(str(side), '')}已签字"
