"""An item's life: progress with evidence, extensions, 销号 requested and reviewed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from kit import access, door, validate
from kit.db import Connection
from kit.errors import InvalidInput
from kit.rectification.common import MAX_EVIDENCE_BYTES, STATUS_LABELS, traced, traced_state
from kit.rectification.deadlines import add_months
from kit.rectification.items import live_item, refuse_voided

# The fields of a progress report and of an extension as entered and as corrected (keys = columns).
PROGRESS_LABELS = {"body": "进展情况", "progress": "整改进度（%）"}
EXTENSION_LABELS = {"body": "延期理由", "deadline": "新的整改时限"}
# Evidence of a voided step no longer counts for 销号.
LIVE_EVIDENCE_SQL = (
    "SELECT count(*) FROM evidence_files e JOIN rectification_updates up ON up.id = e.update_id"
    " WHERE e.item_id = ? AND up.voided_at IS NULL"
)


def _files(raw: Iterable[tuple[Any, Any]] | None) -> list[tuple[str, bytes]]:
    """Evidence files as (name, bytes), checked: a name, some content, at most 20 MB each."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes | bytearray | memoryview | Mapping) or not isinstance(raw, Iterable):
        raise InvalidInput.one("files", "“佐证材料”应为文件的列表，每个文件含文件名和内容")
    out = []
    for position, pair in enumerate(raw, start=1):
        label = f"佐证材料{position}"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidInput.one("files", f"“{label}”应含文件名和文件内容")
        name, content = pair
        filename = validate.filename(name, field="files", label=f"{label}的文件名")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise InvalidInput.one("files", f"“{label}”不是文件内容")
        data = bytes(content)
        if not data:
            raise InvalidInput.one("files", f"“{label}”（{filename}）是空文件")
        if len(data) > MAX_EVIDENCE_BYTES:
            raise InvalidInput.one("files", f"“{label}”（{filename}）超过 20 MB，请压缩或拆分后上传")
        out.append((filename, data))
    return out


def add_update(
    con: Connection,
    item: dict[str, Any],
    *,
    kind: str,
    body: str,
    action: str,
    progress: int | None = None,
    deadline: date | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> int:
    """One step of an item, with its files, copied to the 分管领导 (双向抄告)."""
    update_id = int(
        con.scalar(
            "INSERT INTO rectification_updates (item_id, kind, body, progress, deadline, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [item["id"], kind, body, progress, deadline, con.now, con.actor],
        )
    )
    traced(con, action, "rectification_updates", str(update_id), None)
    for name, data in files:
        file_id = int(
            con.scalar(
                "INSERT INTO evidence_files (update_id, item_id, filename, size, sha256, content)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [update_id, item["id"], name, len(data), hashlib.sha256(data).hexdigest(), data],
            )
        )
        traced(con, "上传佐证材料", "evidence_files", str(file_id), None)
    for (leader,) in con.all(
        "SELECT DISTINCT leader_id FROM feedbacks WHERE round_id = ? AND unit_id = ? AND voided_at IS NULL"
        " ORDER BY leader_id",
        [item["round_id"], item["unit_id"]],
    ):
        copy_id = int(
            con.scalar(
                "INSERT INTO rectification_copies (update_id, person_id) VALUES (?, ?) RETURNING id",
                [update_id, leader],
            )
        )
        traced(con, "抄告分管领导", "rectification_copies", str(copy_id), None)
    return update_id


def check_progress(check: validate.Checker, body: Any, progress: Any) -> tuple[Any, Any]:
    """A progress report's text and percentage (0–100 or none), errors gathered in `check`."""
    text = check(validate.text, body, field="body", label=PROGRESS_LABELS["body"], required=True)
    percent = check(
        validate.integer,
        progress,
        field="progress",
        label=PROGRESS_LABELS["progress"],
        minimum=0,
        maximum=100,
        required=False,
    )
    return text, percent


def check_extension(check: validate.Checker, deadline: Any, reason: Any, *, reason_field: str) -> tuple[Any, Any]:
    """An extension's new deadline and reason (`reason_field`: its key where it is entered), errors in `check`."""
    day = check(validate.day, deadline, field="deadline", label=EXTENSION_LABELS["deadline"])
    text = check(validate.text, reason, field=reason_field, label=EXTENSION_LABELS["body"], required=True)
    return day, text


def check_new_deadline(con: Connection, day: date, previous: date, *, previous_label: str = "现时限") -> None:
    """A new deadline is later than the one it replaces and at most 5 years from today.

    Raises:
        InvalidInput: either rule broken, naming `deadline`.
    """
    label = EXTENSION_LABELS["deadline"]
    if day > add_months(con.now.date(), 60):
        raise InvalidInput.one("deadline", f"“{label}”不能超过 5 年")
    if day <= previous:
        raise InvalidInput.one("deadline", f"“{label}”必须晚于{previous_label} {previous.isoformat()}")


def set_item(con: Connection, item: dict[str, Any], action: str, **changes: Any) -> None:
    key = str(item["id"])
    before = traced_state(con, "rectification_items", key)
    assignments = ", ".join(f"{name} = ?" for name in changes)
    con.execute(f"UPDATE rectification_items SET {assignments} WHERE id = ?", [*changes.values(), item["id"]])
    traced(con, action, "rectification_items", key, before)


@door.public
def update_progress(
    con: Connection, *, item_id: Any, body: Any, progress: Any = None, files: Iterable[tuple[Any, Any]] | None = None
) -> int:
    """A progress update with text, an optional percentage and evidence files; returns the update id.

    Raises:
        InvalidInput: empty text, bad percentage or files, or the item is not being rectified.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    text, percent = check_progress(check, body, progress)
    evidence = check(_files, files)
    check.done()
    item = live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="报送整改进展")
    refuse_voided(item)
    if item["status"] != "open":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，不能再报送进展")
    update_id = add_update(
        con, item, kind="progress", body=text, action="报送整改进展", progress=percent, files=evidence or ()
    )
    if percent is not None and percent != item["progress"]:
        set_item(con, item, "报送整改进展", progress=percent)
    return update_id


@door.public
def extend_deadline(con: Connection, *, item_id: Any, deadline: Any, reason: Any) -> int:
    """延期: move an open item's deadline later, with a reason; the extensions are counted.

    Raises:
        InvalidInput: no reason, or the new deadline is not later than the current one.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    day, text = check_extension(check, deadline, reason, reason_field="reason")
    check.done()
    item = live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="延长整改时限")
    refuse_voided(item)
    if item["status"] == "closed":
        raise InvalidInput.one("item_id", "该事项已销号，不能延期")
    check_new_deadline(con, day, item["deadline"])
    update_id = add_update(con, item, kind="extension", body=text, action="延长整改时限", deadline=day)
    set_item(con, item, "延长整改时限", deadline=day, extensions=item["extensions"] + 1)
    return update_id


@door.public
def request_close(con: Connection, *, item_id: Any, body: Any, files: Iterable[tuple[Any, Any]] | None = None) -> int:
    """申请销号: the unit says the item is done; needs evidence (now or uploaded earlier).

    Raises:
        InvalidInput: no text, no evidence, or the item is not being rectified.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 录入员.
    """
    check = validate.Checker()
    text = check(validate.text, body, field="body", label="完成情况", required=True)
    evidence = check(_files, files)
    check.done()
    item = live_item(con, item_id)
    access.require(con, access.ENTER, unit_id=item["unit_id"], what="申请销号")
    refuse_voided(item)
    if item["status"] != "open":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，不能申请销号")
    if not evidence and not con.scalar(LIVE_EVIDENCE_SQL, [item["id"]]):
        raise InvalidInput.one("files", "申请销号须上传佐证材料（如文件、照片、会议记录）")
    update_id = add_update(con, item, kind="request", body=text, action="申请销号", files=evidence or ())
    set_item(con, item, "申请销号", status="pending", close_requested_by=con.actor)
    return update_id


@door.public
def review_close(con: Connection, *, item_id: Any, approve: Any, note: Any) -> int:
    """审核销号: a 审核员 other than the one who asked approves (closed) or returns it (open again).

    Raises:
        InvalidInput: no note, the item is not waiting for review, or the reviewer asked for it.
        NotFound: no such item.
        PermissionDenied: the unit is outside the user's scope or the user is not a 审核员.
    """
    check = validate.Checker()
    if not isinstance(approve, bool):
        check.fail("approve", "“审核意见”必须是同意或退回")
    text = check(validate.text, note, field="note", label="审核意见", required=True)
    check.done()
    item = live_item(con, item_id)
    access.require(con, access.REVIEW, unit_id=item["unit_id"], what="审核销号")
    refuse_voided(item)
    if item["status"] != "pending":
        raise InvalidInput.one("item_id", f"该事项状态为“{STATUS_LABELS[item['status']]}”，没有待审核的销号申请")
    if item["close_requested_by"] == con.actor:
        raise InvalidInput.one("item_id", "销号申请须由申请人以外的审核员审核")
    if not con.scalar(LIVE_EVIDENCE_SQL, [item["id"]]):
        raise InvalidInput.one("item_id", "该事项没有佐证材料，不能销号")
    if approve:
        update_id = add_update(con, item, kind="approve", body=text, action="审核销号")
        set_item(con, item, "审核销号", status="closed", closed_on=con.now.date(), closed_by=con.actor, progress=100)
    else:
        update_id = add_update(con, item, kind="reject", body=text, action="退回销号申请")
        set_item(con, item, "退回销号申请", status="open", close_requested_by=None)
    return update_id
