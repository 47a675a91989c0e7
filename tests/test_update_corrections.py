"""更正 and 作废 of an item's progress reports and extensions (corrections.correct_update, void_update)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kit import access, corrections, db, integrity, rectification
from kit.db import Connection
from kit.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import as_operator, build_inspection


@pytest.fixture
def insp(office: dict[str, Any]) -> dict[str, Any]:
    found = build_inspection(office)
    with db.write(office["db"], action="准备用户") as con:
        access.add_user(con, name="clerk", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="clerk", kind="all")
        access.add_user(con, name="checker", display_name="审核员乙", roles=["review"])
        access.grant_scope(con, name="checker", kind="all")
        access.add_user(con, name="a_only", display_name="甲县录入员", roles=["entry"])
        access.grant_scope(con, name="a_only", kind="unit", unit_id=office["a"])
    return found


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def _write(path: Path, call: Callable[[Connection], Any]) -> Any:
    with db.write(path, action="测试") as con:
        return call(con)


def _item(path: Path, item_id: int) -> dict[str, Any]:
    with db.read(path) as con:
        return next(i for i in rectification.list_items(con) if i["id"] == item_id)


def _report(path: Path, item_id: int, progress: Any, body: str = "进展", files: Any = None) -> int:
    def call(con: Connection) -> Any:
        return rectification.update_progress(con, item_id=item_id, body=body, progress=progress, files=files)

    return int(_write(path, call))


def _extend(path: Path, item_id: int, deadline: str) -> int:
    return int(
        _write(path, lambda con: rectification.extend_deadline(con, item_id=item_id, deadline=deadline, reason="延期"))
    )


# -- progress reports -----------------------------------------------------------------------------


def test_correcting_the_latest_report_moves_the_items_progress(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path, item = office["db"], insp["items"]["a"]
    first = _report(path, item, 30)
    latest = _report(path, item, 60, body="已清查一半")
    _write(path, lambda con: corrections.correct_update(con, update_id=latest, reason="进度报高了", progress="50"))
    assert _item(path, item)["progress"] == 50
    _write(path, lambda con: corrections.correct_update(con, update_id=first, reason="录错", progress=40))
    assert _item(path, item)["progress"] == 50  # an earlier report does not set it
    _write(path, lambda con: corrections.correct_update(con, update_id=latest, reason="不报进度", progress=""))
    assert _item(path, item)["progress"] == 40  # the latest live report with a percentage
    with db.read(path) as con:
        steps = {s["id"]: s for s in rectification.item_history(con, item_id=item)}
        log = corrections.item_corrections(con, item_id=item)
        trace = con.all(
            "SELECT action FROM trace_log WHERE table_name = 'rectification_updates' AND row_key = ? ORDER BY seq",
            [str(latest)],
        )
    assert (steps[latest]["body"], steps[latest]["progress"], steps[first]["progress"]) == ("已清查一半", None, 40)
    assert [c["changes"] for c in log] == [
        {"整改进度（%）": ["60", "50"]},
        {"整改进度（%）": ["30", "40"]},
        {"整改进度（%）": ["50", ""]},
    ]
    assert log[0]["summary"].startswith("进展（")
    assert log[0]["summary"].endswith("报送）：更正 整改进度（%）：60 → 50。理由：进度报高了")
    assert log[0]["record_label"] == "整改进展"
    assert [t[0] for t in trace] == ["报送整改进展", "更正进展报告", "更正进展报告"]
    _clean(path)


def test_correcting_a_reports_text_leaves_the_items_progress(office: dict[str, Any], insp: dict[str, Any]) -> None:
    path, item = office["db"], insp["items"]["a"]
    report = _report(path, item, 30, body="清查资产")
    _write(path, lambda con: corrections.correct_update(con, update_id=report, reason="错字", body="清查集体资产"))
    with db.read(path) as con:
        (step,) = rectification.item_history(con, item_id=item)
        (copy,) = rectification.copies_for(con, person_id=insp["in_charge"])
    assert (step["body"], _item(path, item)["progress"]) == ("清查集体资产", 30)
    assert copy["body"] == "清查集体资产"  # the 分管领导 reads the corrected text
    _clean(path)


def test_a_voided_report_stays_in_the_history_marked_and_leaves_copies_and_progress(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path, item = office["db"], insp["items"]["a"]
    kept = _report(path, item, 30)
    wrong = _report(path, item, 80, body="报到了别的事项", files=[("照片.jpg", b"jpg")])
    with db.read(path) as con:
        unread = {r["person_id"]: r["unread"] for r in rectification.leaders_in_charge(con)}
    assert (_item(path, item)["progress"], _item(path, item)["evidence"], unread[insp["in_charge"]]) == (80, 1, 2)
    _write(path, lambda con: corrections.void_update(con, update_id=wrong, reason="报错了事项"))
    with db.read(path) as con:
        steps = rectification.item_history(con, item_id=item)
        copies = rectification.copies_for(con, person_id=insp["in_charge"])
        unread = {r["person_id"]: r["unread"] for r in rectification.leaders_in_charge(con)}
        log = corrections.corrections_of(con, table="rectification_updates", record_id=wrong)
    listed = _item(path, item)
    assert [(s["id"], s["kind_label"], s["voided"]) for s in steps] == [
        (kept, "进展", False),
        (wrong, "进展（已作废）", True),
    ]
    assert steps[1]["evidence_names"] == "照片.jpg"  # still visible in the history
    assert [c["body"] for c in copies] == ["进展"]
    assert unread[insp["in_charge"]] == 1
    assert (listed["progress"], listed["evidence"]) == (30, 0)
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "报错了事项")]
    _clean(path)


def test_voiding_the_only_report_with_a_percentage_puts_progress_back_to_zero(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path, item = office["db"], insp["items"]["a"]
    _report(path, item, None)
    counted = _report(path, item, 40)
    _report(path, item, None)
    _write(path, lambda con: corrections.void_update(con, update_id=counted, reason="误报"))
    assert _item(path, item)["progress"] == 0
    _clean(path)


def test_voiding_the_only_report_puts_back_the_progress_an_imported_item_was_entered_with(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    item = _write(
        path,
        lambda con: rectification.add_item(
            con,
            finding=insp["findings"]["b"],
            measure="台账带来的事项",
            responsible="办公室",
            deadline="2024-12-31",
            progress="60",
        ),
    )
    assert _item(path, item)["progress"] == 60
    wrong = _report(path, item, 70, body="报错了事项")
    assert _item(path, item)["progress"] == 70
    _write(path, lambda con: corrections.void_update(con, update_id=wrong, reason="报错了事项"))
    assert _item(path, item)["progress"] == 60
    _clean(path)


def test_evidence_of_a_voided_report_does_not_count_for_a_close_request(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path, item = office["db"], insp["items"]["a"]
    report = _report(path, item, 90, files=[("验收.pdf", b"%PDF")])
    _write(path, lambda con: corrections.void_update(con, update_id=report, reason="材料传错"))
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: rectification.request_close(con, item_id=item, body="完成"))
    assert "佐证材料" in refused.value.errors["files"]
    _write(path, lambda con: rectification.request_close(con, item_id=item, body="完成", files=[("新.pdf", b"%PDF")]))
    assert _item(path, item)["status"] == "pending"


# -- extensions -----------------------------------------------------------------------------------


def test_the_latest_extensions_deadline_is_corrected_and_the_item_follows(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path, item = office["db"], insp["items"]["a"]
    _extend(path, item, "2025-06-30")
    latest = _extend(path, item, "2025-12-31")
    _write(
        path,
        lambda con: corrections.correct_update(
            con, update_id=latest, reason="时限录错", deadline="2026-03-31", body="资产清查需跨年"
        ),
    )
    listed = _item(path, item)
    assert (listed["deadline"], listed["first_deadline"], listed["extensions"]) == (
        date(2026, 3, 31),
        date(2024, 9, 30),
        2,
    )
    with db.read(path) as con:
        step = next(s for s in rectification.item_history(con, item_id=item) if s["id"] == latest)
        (logged,) = corrections.item_corrections(con, item_id=item)
    assert (step["deadline"], step["body"]) == (date(2026, 3, 31), "资产清查需跨年")
    assert logged["changes"] == {
        "延期理由": ["延期", "资产清查需跨年"],
        "新的整改时限": ["2025-12-31", "2026-03-31"],
    }
    assert logged["summary"].startswith("延期（")
    _clean(path)


def test_an_earlier_extension_keeps_its_deadline_but_its_reason_may_be_corrected(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any
) -> None:
    path, item = office["db"], insp["items"]["a"]
    earlier = _extend(path, item, "2025-06-30")
    _extend(path, item, "2025-12-31")
    before = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.correct_update(con, update_id=earlier, reason="错", deadline="2025-07-31"))
    assert "只能更正最近一次延期" in refused.value.errors["deadline"]
    assert table_counts(path) == before
    _write(path, lambda con: corrections.correct_update(con, update_id=earlier, reason="理由不清", body="汛期停工"))
    assert _item(path, item)["deadline"] == date(2025, 12, 31)
    _clean(path)


@pytest.mark.parametrize(
    ("deadline", "words"),
    [
        ("2025-06-30", "必须晚于此前的时限 2025-06-30"),
        ("2025-01-31", "必须晚于此前的时限 2025-06-30"),
        ("2099-12-31", "不能超过 5 年"),
        ("明年", "新的整改时限"),
    ],
)
def test_a_corrected_deadline_stays_later_than_the_one_before_and_within_five_years(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any, deadline: str, words: str
) -> None:
    path, item = office["db"], insp["items"]["a"]
    _extend(path, item, "2025-06-30")
    latest = _extend(path, item, "2025-12-31")
    before = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.correct_update(con, update_id=latest, reason="录错", deadline=deadline))
    assert words in refused.value.errors["deadline"]
    assert table_counts(path) == before
    assert _item(path, item)["deadline"] == date(2025, 12, 31)


def test_the_first_extensions_deadline_is_checked_against_the_first_deadline(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path, item = office["db"], insp["items"]["a"]
    only = _extend(path, item, "2025-06-30")
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.correct_update(con, update_id=only, reason="录错", deadline="2024-09-30"))
    assert "2024-09-30" in refused.value.errors["deadline"]
    _write(path, lambda con: corrections.correct_update(con, update_id=only, reason="录错", deadline="2024-10-31"))
    assert _item(path, item)["deadline"] == date(2024, 10, 31)


def test_only_the_latest_extension_is_voided_and_the_deadline_goes_back(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any
) -> None:
    path, item = office["db"], insp["items"]["a"]
    first = _extend(path, item, "2025-06-30")
    second = _extend(path, item, "2025-12-31")
    before = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.void_update(con, update_id=first, reason="误延"))
    assert "只能作废最近一次延期（至 2025-12-31）" in refused.value.errors["update_id"]
    assert table_counts(path) == before
    _write(path, lambda con: corrections.void_update(con, update_id=second, reason="误延"))
    listed = _item(path, item)
    assert (listed["deadline"], listed["extensions"]) == (date(2025, 6, 30), 1)
    _write(path, lambda con: corrections.void_update(con, update_id=first, reason="误延"))
    listed = _item(path, item)
    assert (listed["deadline"], listed["extensions"]) == (date(2024, 9, 30), 0)
    with db.read(path) as con:
        overview = rectification.overview(con, round_ids=[insp["round"]])
        kinds = [s["kind_label"] for s in rectification.item_history(con, item_id=item)]
    assert sum(row["extended"] for row in overview) == 0  # the statistics count live extensions only
    assert kinds == ["延期（已作废）", "延期（已作废）"]
    # extended again after the voids: later than the first deadline, counted from the live ones
    _extend(path, item, "2025-03-31")
    listed = _item(path, item)
    assert (listed["deadline"], listed["extensions"]) == (date(2025, 3, 31), 1)
    _clean(path)


# -- refusals -------------------------------------------------------------------------------------


def _refusals(insp: dict[str, Any], path: Path) -> dict[str, tuple[Callable[[Connection], Any], str, str]]:
    """Each bad call: (call, the field named, words of its message)."""
    item = insp["items"]["a"]
    report = _report(path, item, 30)
    extension = _extend(path, item, "2025-06-30")
    voided = _report(path, item, 40)
    _write(path, lambda con: corrections.void_update(con, update_id=voided, reason="误报"))
    other = insp["items"]["b"]
    _report(path, other, 50, files=[("a.pdf", b"%PDF")])
    waiting = _report(path, other, 60)
    _write(path, lambda con: rectification.request_close(con, item_id=other, body="完成"))
    request = int(_write(path, lambda con: con.scalar("SELECT max(id) FROM rectification_updates")))
    fix = corrections.correct_update
    return {
        "no reason": (lambda con: fix(con, update_id=report, reason=" ", body="新"), "reason", "更正理由"),
        "no change": (lambda con: fix(con, update_id=report, reason="录错", progress=30), "reason", "没有要更正的内容"),
        "empty text": (lambda con: fix(con, update_id=report, reason="录错", body=""), "body", "进展情况"),
        "over 100": (lambda con: fix(con, update_id=report, reason="录错", progress=101), "progress", "整改进度（%）"),
        "deadline of a report": (
            lambda con: fix(con, update_id=report, reason="录错", deadline="2025-01-01"),
            "deadline",
            "进展报告没有",
        ),
        "progress of an extension": (
            lambda con: fix(con, update_id=extension, reason="录错", progress=10),
            "progress",
            "延期记录没有",
        ),
        "empty reason of an extension": (
            lambda con: fix(con, update_id=extension, reason="录错", body=""),
            "body",
            "延期理由",
        ),
        "unknown field": (lambda con: fix(con, update_id=report, reason="录错", item_id=2), "item_id", "不是进展报告"),
        "a request": (lambda con: fix(con, update_id=request, reason="录错", body="新"), "update_id", "“申请销号”记录"),
        "voiding a request": (
            lambda con: corrections.void_update(con, update_id=request, reason="误"),
            "update_id",
            "只有报送的进展和延期",
        ),
        "voided already": (
            lambda con: corrections.void_update(con, update_id=voided, reason="误"),
            "update_id",
            "已作废",
        ),
        "correcting a voided one": (
            lambda con: fix(con, update_id=voided, reason="录错", body="新"),
            "update_id",
            "已作废",
        ),
        "item waiting for 销号": (
            lambda con: fix(con, update_id=waiting, reason="录错", body="新"),
            "update_id",
            "待审核销号",
        ),
        "voiding on an item waiting for 销号": (
            lambda con: corrections.void_update(con, update_id=waiting, reason="误"),
            "update_id",
            "只有整改中的事项",
        ),
        "no void reason": (
            lambda con: corrections.void_update(con, update_id=report, reason=""),
            "reason",
            "作废理由",
        ),
        "bad id": (lambda con: corrections.void_update(con, update_id="x", reason="误"), "update_id", "进展记录编号"),
    }


REFUSALS = [
    "no reason",
    "no change",
    "empty text",
    "over 100",
    "deadline of a report",
    "progress of an extension",
    "empty reason of an extension",
    "unknown field",
    "a request",
    "voiding a request",
    "voided already",
    "correcting a voided one",
    "item waiting for 销号",
    "voiding on an item waiting for 销号",
    "no void reason",
    "bad id",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_correction_or_void_names_the_field_and_rule_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any, case: str
) -> None:
    path = office["db"]
    call, field, words = _refusals(insp, path)[case]
    before = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _write(path, call)
    assert words in refused.value.errors[field], refused.value.errors
    assert table_counts(path) == before


def test_steps_of_a_closed_or_voided_item_are_refused(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, item, other = office["db"], insp["items"]["a"], insp["items"]["b"]
    closed = _report(path, item, 50, files=[("a.pdf", b"%PDF")])
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    _write(path, lambda con: rectification.request_close(con, item_id=item, body="完成"))
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    _write(path, lambda con: rectification.review_close(con, item_id=item, approve=True, note="同意"))
    monkeypatch.setenv("KIT_OPERATOR", "clerk")
    gone = _report(path, other, 50)
    _write(path, lambda con: corrections.void_item(con, item_id=other, reason="重复录入"))
    before = table_counts(path)
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.correct_update(con, update_id=closed, reason="录错", body="新"))
    assert "已销号" in refused.value.errors["update_id"]
    assert "申请更正事项本身" in refused.value.errors["update_id"]
    with pytest.raises(InvalidInput) as refused:
        _write(path, lambda con: corrections.void_update(con, update_id=gone, reason="误"))
    assert "该事项已作废" in refused.value.errors["update_id"]
    assert table_counts(path) == before


def test_a_user_of_another_county_is_refused_and_sees_nothing(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, item = office["db"], insp["items"]["b"]
    report = _report(path, item, 30, body="乙县清查")
    _write(path, lambda con: corrections.correct_update(con, update_id=report, reason="录错", progress=35))
    before = table_counts(path)
    monkeypatch.setenv("KIT_OPERATOR", "a_only")
    with pytest.raises(PermissionDenied):
        _write(path, lambda con: corrections.correct_update(con, update_id=report, reason="录错", body="改"))
    with pytest.raises(PermissionDenied):
        _write(path, lambda con: corrections.void_update(con, update_id=report, reason="误"))
    with pytest.raises(PermissionDenied), db.read(path) as con:
        corrections.item_corrections(con, item_id=item)
    with db.read(path) as con:
        assert corrections.pending_requests(con) == []
        assert rectification.copies_for(con, person_id=insp["in_charge"]) == []
    monkeypatch.delenv("KIT_OPERATOR")
    assert {k: v for k, v in table_counts(path).items() if k != "trace_log"} == {
        k: v for k, v in before.items() if k != "trace_log"
    }


def test_a_reviewer_without_the_entry_role_is_refused(
    office: dict[str, Any], insp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = office["db"]
    report = _report(path, insp["items"]["a"], 30)
    monkeypatch.setenv("KIT_OPERATOR", "checker")
    with pytest.raises(PermissionDenied):
        _write(path, lambda con: corrections.void_update(con, update_id=report, reason="误"))


def test_an_unknown_step_is_not_found_and_nothing_is_written(
    office: dict[str, Any], insp: dict[str, Any], table_counts: Any
) -> None:
    path = office["db"]
    before = table_counts(path)
    with pytest.raises(NotFound) as missing:
        _write(path, lambda con: corrections.void_update(con, update_id=9999, reason="误"))
    assert "9999" in missing.value.message
    assert table_counts(path) == before
