"""更正 and 作废 of a clue transfer (移交问题线索): checked as at entry, in the history, out of the statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit import corrections, db, inspections, integrity
from kit.errors import InvalidInput, NotFound
from tests.conftest import as_operator, build_inspection


@pytest.fixture
def insp(office: dict[str, Any]) -> dict[str, Any]:
    """The round of build_inspection; unit A's finding (found 2024-04-01) transferred 2024-05-01, 立案 2024-06-01."""
    found = build_inspection(office)
    with db.write(office["db"], action="准备") as con:
        found["clue"] = inspections.transfer_clue(
            con, finding_id=found["findings"]["a"], receiver="commission", transferred_on="2024-05-01"
        )
        found["case"] = inspections.record_outcome(
            con, clue_id=found["clue"], outcome="立案", people=1, decided_on="2024-06-01"
        )
    return found


def _clue(path: Path, clue_id: int, *, voided_too: bool = False) -> dict[str, Any] | None:
    with db.read(path) as con:
        return next((c for c in inspections.list_clues(con, include_voided=voided_too) if c["id"] == clue_id), None)


def _stats(path: Path, round_id: int) -> tuple[int, int]:
    """(clues, cases opened) of the round, as the 巡察情况 statistics count them."""
    with db.read(path) as con:
        found = inspections.stats(con, round_ids=[round_id])
    return int(found["clues"]), int(found["cases_opened"])


def _clean(path: Path) -> None:
    with as_operator(), db.read(path) as con:
        checked, problems = integrity.compare(con)
    assert checked > 0
    assert problems == []


def test_a_clues_receiver_date_and_note_are_corrected_with_before_after_and_reason(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with db.write(path, action="更正") as con:
        corrections.correct_clue(
            con, clue_id=insp["clue"], reason="移交对象录错", receiver="组织部", transferred_on="2024-05-06", note="补"
        )
    shown = _clue(path, insp["clue"])
    assert shown is not None
    assert (shown["receiver_label"], shown["transferred_on"].isoformat(), shown["note"]) == (
        "组织部",
        "2024-05-06",
        "补",
    )
    with db.read(path) as con:
        log = corrections.corrections_of(con, table="clues", record_id=insp["clue"])
        actions = [a for (a,) in con.all("SELECT action FROM trace_log WHERE table_name = 'clues' ORDER BY seq")]
    assert [(c["kind_label"], c["reason"]) for c in log] == [("更正", "移交对象录错")]
    assert log[0]["changes"] == {
        "移交对象": ["纪委监委", "组织部"],
        "移交日期": ["2024-05-01", "2024-05-06"],
        "移交备注": ["", "补"],
    }
    assert actions == ["移交问题线索", "更正问题线索"]
    assert _stats(path, insp["round"]) == (1, 1)
    _clean(path)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"transferred_on": "2024-03-31"}, "transferred_on", "“移交日期”不能早于发现日期 2024-04-01"),
        ({"transferred_on": "2024-06-02"}, "transferred_on", "“移交日期”不能晚于该线索最早的处置日期 2024-06-01"),
        ({"transferred_on": "2999-01-01"}, "transferred_on", "“移交日期”不能晚于今天"),
        ({"receiver": "检察院"}, "receiver", "“移交对象”必须是以下之一：纪委监委、组织部"),
        (
            {"finding_id": "2"},
            "finding_id",
            "“移交的问题”不能更正：移交错了问题的线索请作废后重新移交",
        ),
        ({"receiver": "纪委监委"}, "reason", "没有要更正的内容：各项与原记录相同"),
    ],
)
def test_a_clue_correction_that_breaks_a_rule_names_it_and_writes_nothing(
    office: dict[str, Any], insp: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    path = office["db"]
    with db.read(path) as con:
        before = con.scalar("SELECT max(seq) FROM trace_log")
    with pytest.raises(InvalidInput) as refused, db.write(path, action="更正") as con:
        corrections.correct_clue(con, clue_id=insp["clue"], reason="试", **changes)
    assert refused.value.errors == {field: message}
    with db.read(path) as con:
        assert con.scalar("SELECT max(seq) FROM trace_log") == before
        assert corrections.corrections_of(con, table="clues", record_id=insp["clue"]) == []
    assert _clue(path, insp["clue"])["receiver"] == "commission"  # type: ignore[index]


def test_a_clue_with_live_steps_is_not_voided_and_nothing_is_written(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    with pytest.raises(InvalidInput) as refused, db.write(path, action="作废") as con:
        corrections.void_clue(con, clue_id=insp["clue"], reason="误移交")
    assert refused.value.errors == {"clue_id": "该线索已有 1 条处置记录，请先在“巡察组织”中作废这些处置记录"}
    assert _clue(path, insp["clue"]) is not None
    with pytest.raises(InvalidInput) as no_reason, db.write(path, action="作废") as con:
        corrections.void_clue(con, clue_id=insp["clue"], reason=" ")
    assert list(no_reason.value.errors) == ["reason"]
    with pytest.raises(NotFound), db.write(path, action="作废") as con:
        corrections.void_clue(con, clue_id=999, reason="误移交")


def test_a_voided_clue_leaves_lists_and_statistics_stays_in_history_and_its_finding_is_free_again(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    finding = insp["findings"]["a"]
    with db.write(path, action="作废") as con:
        corrections.void_outcome(con, outcome_id=insp["case"], reason="误登")
        corrections.void_clue(con, clue_id=insp["clue"], reason="不应移交")
    assert _clue(path, insp["clue"]) is None
    kept = _clue(path, insp["clue"], voided_too=True)
    assert kept is not None
    assert (kept["state"], kept["state_label"], kept["latest"]) == ("voided", "已作废", "已作废")
    assert _stats(path, insp["round"]) == (0, 0)
    with db.read(path) as con:
        listed = next(f for f in inspections.list_findings(con) if f["id"] == finding)
        log = corrections.corrections_of(con, table="clues", record_id=insp["clue"])
    assert (listed["clue_id"], listed["receiver_label"]) == (None, "")
    assert [(c["kind_label"], c["reason"]) for c in log] == [("作废", "不应移交")]
    with pytest.raises(NotFound), db.write(path, action="登记") as con:  # nothing more on a voided clue
        inspections.record_outcome(con, clue_id=insp["clue"], outcome="初核", decided_on="2024-07-01")
    with pytest.raises(InvalidInput) as again, db.write(path, action="更正") as con:
        corrections.correct_clue(con, clue_id=insp["clue"], reason="试", note="x")
    assert again.value.errors == {"clue_id": "该线索已作废，不能更正"}
    _clean(path)

    # transferred again, to the other receiver: the same row, live, without the voided steps
    with db.write(path, action="移交") as con:
        again_id = inspections.transfer_clue(
            con, finding_id=finding, receiver="organization", transferred_on="2024-07-01"
        )
        actions = [a for (a,) in con.all("SELECT action FROM trace_log WHERE table_name = 'clues' ORDER BY seq")]
    assert again_id == insp["clue"]
    shown = _clue(path, again_id)
    assert shown is not None
    assert (shown["receiver_label"], shown["steps"], shown["state"]) == ("组织部", "待处置", "live")
    assert actions[-1] == "重新移交问题线索（原线索已作废）"
    assert _stats(path, insp["round"]) == (1, 0)
    _clean(path)


def test_the_finding_of_a_voided_clue_may_be_voided_and_one_with_a_live_clue_not(
    office: dict[str, Any], insp: dict[str, Any]
) -> None:
    path = office["db"]
    finding = insp["findings"]["a"]
    with db.write(path, action="作废") as con:  # its ledger item first
        corrections.void_item(con, item_id=insp["items"]["a"], reason="重复")
    with pytest.raises(InvalidInput) as refused, db.write(path, action="作废") as con:
        corrections.void_finding(con, finding_id=finding, reason="重复")
    assert refused.value.errors == {"finding_id": "该问题已移交问题线索，不能作废；确属移交错误的，请先作废该线索"}
    with db.write(path, action="作废") as con:
        corrections.void_outcome(con, outcome_id=insp["case"], reason="误登")
        corrections.void_clue(con, clue_id=insp["clue"], reason="重复")
        corrections.void_finding(con, finding_id=finding, reason="重复")
    with db.read(path) as con:
        assert finding not in {f["id"] for f in inspections.list_findings(con)}
    _clean(path)
