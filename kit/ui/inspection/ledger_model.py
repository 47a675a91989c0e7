"""The 巡察整改 model's actions on the ledger: items, progress, extensions, 销号, corrections and reviews."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from kit import corrections, db, rectification
from kit.db import Connection
from kit.errors import InvalidInput
from kit.ui.inspection.state_model import InspectionState, required


class LedgerActions(InspectionState):
    """整改台账 of the selected round: the selected item's steps, and a 审核员's reviews."""

    # -- 整改台账 ----------------------------------------------------------------
    @property
    def findings_without_item(self) -> list[dict[str, Any]]:
        done = {i["finding_id"] for i in self.items if i["status"] != "voided"}
        return [f for f in self.findings if f["id"] not in done and f["state"] == "live"]

    def team_of(self, finding_id: int | None) -> list[str]:
        """Names of the current leadership team of a finding's unit (choices for 责任领导)."""
        finding = next((f for f in self.findings if f["id"] == finding_id), None)
        return self.teams.get(finding["unit_id"], []) if finding else []

    def add_item(self, values: Mapping[str, Any]) -> str:
        """Add a ledger item for a finding; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        with db.write(self.db_path, action="录入整改事项") as con:
            ident = rectification.add_item(
                con,
                finding=required(values, "finding", "请选择问题"),
                measure=values.get("measure"),
                leader=values.get("leader"),
                responsible=values.get("responsible"),
                deadline=values.get("deadline"),
            )
            self.item_id = ident
        self._after_save(self.round_id, template=True)
        return f"已建立整改事项（编号 {ident}）"

    def evidence(self, evidence_id: int) -> tuple[str, bytes]:
        """One evidence file (those too big to travel with the history)."""
        with db.read(self.db_path) as con:
            return rectification.evidence(con, evidence_id=evidence_id)

    def _item_action(self, action: str, call: Callable[[Connection, int], Any]) -> None:
        if self.item_id is None:
            raise InvalidInput.one("item_id", "请先选择整改事项")
        with db.write(self.db_path, action=action) as con:
            call(con, self.item_id)
        self._after_save(self.round_id)

    def report_progress(self, values: Mapping[str, Any], files: Sequence[tuple[str, bytes]] = ()) -> str:
        """报送整改进展 with evidence files; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "报送整改进展",
            lambda con, item: rectification.update_progress(
                con, item_id=item, body=values.get("body"), progress=values.get("progress"), files=files
            ),
        )
        return "已报送进展" + (f"，上传佐证材料 {len(files)} 份" if files else "")

    def extend(self, values: Mapping[str, Any]) -> str:
        """延期; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "延长整改时限",
            lambda con, item: rectification.extend_deadline(
                con, item_id=item, deadline=values.get("deadline"), reason=values.get("reason")
            ),
        )
        assert self.item is not None
        return f"已延期至 {self.item['deadline']:%Y-%m-%d}（第 {self.item['extensions']} 次延期）"

    def request_close(self, values: Mapping[str, Any], files: Sequence[tuple[str, bytes]] = ()) -> str:
        """申请销号 (evidence needed, now or uploaded before); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        self._item_action(
            "申请销号",
            lambda con, item: rectification.request_close(con, item_id=item, body=values.get("body"), files=files),
        )
        return "已申请销号，等待审核员审核"

    def review(self, values: Mapping[str, Any], *, approve: bool) -> str:
        """审核销号: approve (已销号) or return (整改中) a pending item; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item_id = required(values, "review_item", "请选择待审核的整改事项")
        action = "审核销号" if approve else "退回销号申请"
        with db.write(self.db_path, action=action) as con:
            try:
                rectification.review_close(con, item_id=item_id, approve=approve, note=values.get("note"))
            except InvalidInput as e:  # the item is chosen in this form's own field
                raise InvalidInput({("review_item" if k == "item_id" else k): m for k, m in e.errors.items()}) from e
        self._after_save(self.round_id)
        return f"已同意销号（编号 {item_id}）" if approve else f"已退回（编号 {item_id}），该事项继续整改"

    # -- 更正与作废 ---------------------------------------------------------------
    def correct_item(self, values: Mapping[str, Any]) -> str:
        """更正 the selected item (a 销号 one: a request for a 审核员); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item = self.item
        if item is None:
            raise InvalidInput.one("reason", "请先在台账中点击要更正的事项")
        stored = item_values(item)
        changes = {k: values.get(k) for k in stored if (values.get(k) or "") != (stored[k] or "")}
        with db.write(self.db_path, action="更正整改事项") as con:
            corrections.correct_item(con, item_id=item["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id)
        if item["status"] == "closed":
            return "已提交更正申请，待另一位审核员同意后生效"
        return f"已更正整改事项 {item['id']}，更正记录见下方"

    def void_item(self, values: Mapping[str, Any]) -> str:
        """作废 the selected item (a 销号 one: a request for a 审核员); returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        item = self.item
        if item is None:
            raise InvalidInput.one("reason", "请先在台账中点击要作废的事项")
        with db.write(self.db_path, action="作废整改事项") as con:
            corrections.void_item(con, item_id=item["id"], reason=values.get("reason"))
        self._after_save(self.round_id, template=True)
        if item["status"] == "closed":
            return "已提交作废申请，待另一位审核员同意后生效"
        return f"已作废整改事项 {item['id']}，它不再计入台账统计"

    # -- 更正与作废：进展和延期 ---------------------------------------------------------
    @property
    def live_steps(self) -> list[dict[str, Any]]:
        """The selected item's live progress reports and extensions, latest first, while it is 整改中."""
        if self.item is None or self.item["status"] != "open":
            return []
        return [s for s in reversed(self.history) if s["kind"] in STEP_FIELDS and not s["voided"]]

    def _chosen_step(self, values: Mapping[str, Any]) -> dict[str, Any]:
        ident = required(values, "update", "请选择要更正或作废的进展或延期")
        step = next((s for s in self.live_steps if s["id"] == ident), None)
        if step is None:
            raise InvalidInput.one("update", "该记录已不能更正或作废，请刷新后重新选择")
        return step

    def correct_step(self, values: Mapping[str, Any]) -> str:
        """更正 a progress report or extension of the selected item; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        step = self._chosen_step(values)
        stored = step_values(step)
        changes = {k: values.get(k) for k in STEP_FIELDS[step["kind"]] if (values.get(k) or "") != stored[k]}
        with db.write(self.db_path, action="更正整改进展") as con, _step_errors():
            corrections.correct_update(con, update_id=step["id"], reason=values.get("reason"), **changes)
        self._after_save(self.round_id)
        return f"已更正{step['kind_label']}记录，更正记录见上方"

    def void_step(self, values: Mapping[str, Any]) -> str:
        """作废 a progress report or the latest extension of the selected item; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        step = self._chosen_step(values)
        with db.write(self.db_path, action="作废整改进展") as con, _step_errors():
            corrections.void_update(con, update_id=step["id"], reason=values.get("reason"))
        self._after_save(self.round_id)
        return f"已作废{step['kind_label']}记录，它仍列在进展记录中（已作废），不再计入进度、时限和抄告"

    def review_request(self, values: Mapping[str, Any], *, approve: bool) -> str:
        """审核 a request to correct or void a reviewed record; returns the message.

        Raises:
            InvalidInput, NotFound, PermissionDenied, Busy: nothing was written.
        """
        ident = required(values, "request", "请选择待审核的申请")
        with db.write(self.db_path, action="审核更正作废申请") as con:
            try:
                corrections.review(con, correction_id=ident, approve=approve, note=values.get("note"))
            except InvalidInput as e:  # the request is chosen in this form's own field
                raise InvalidInput({("request" if k == "correction_id" else k): m for k, m in e.errors.items()}) from e
        self._after_save(self.round_id, template=True)
        return f"已同意申请 {ident}，已生效" if approve else f"已不同意申请 {ident}，记录保持原样"


def item_values(i: Mapping[str, Any]) -> dict[str, Any]:
    """A listed item's correctable values as its form shows them."""
    return {
        "measure": i["measure"],
        "leader": i["leader_name"] or "",
        "responsible": i["responsible"],
        "opened_on": i["opened_on"].isoformat(),
    }


# The fields of a step the correction form shows, by its kind (the others stay empty and locked).
STEP_FIELDS = {"progress": ("body", "progress"), "extension": ("body", "deadline")}


def step_values(step: Mapping[str, Any]) -> dict[str, str]:
    """A step's correctable values as the form shows them."""
    return {
        "update": step["id"],
        "body": step["body"],
        "progress": "" if step["progress"] is None else str(step["progress"]),
        "deadline": "" if step["deadline"] is None else step["deadline"].isoformat(),
    }


def step_label(step: Mapping[str, Any]) -> str:
    """A step as the picker lists it: kind, when, and what it says."""
    what = f"至 {step['deadline']:%Y-%m-%d}" if step["kind"] == "extension" else f"进度 {step['progress']}%"
    if step["kind"] == "progress" and step["progress"] is None:
        what = "未报进度"
    return f"{step['kind_label']}｜{step['created_at']:%Y-%m-%d %H:%M}｜{what}｜{step['body'][:20]}"


@contextmanager
def _step_errors() -> Iterator[None]:
    """The step is chosen in the form's own field: an error naming `update_id` shows beside it."""
    try:
        yield
    except InvalidInput as e:
        raise InvalidInput({("update" if k == "update_id" else k): m for k, m in e.errors.items()}) from e
