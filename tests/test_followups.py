from __future__ import annotations

from typing import Any

import pytest

from kit import audit, db, followups
from kit.errors import InvalidInput

from .conftest import save


def test_low_grade_opens_talks_for_both_principals_and_a_lookback(office: dict[str, Any]) -> None:
    save(office, "a", "30", "20", "15")
    with db.read(office["db"]) as con:
        todo = followups.list_followups(con, year=2024)
        stats = followups.stats(con, year=2024)
    assert sorted((r["kind_label"], r["person_name"]) for r in todo) == [
        ("回头看", None),
        ("诫勉谈话", "张一"),
        ("诫勉谈话", "李二"),
    ]
    assert stats == {"units": 1, "leaders": 2}


def test_raising_the_grade_cancels_open_followups(office: dict[str, Any]) -> None:
    save(office, "a", "30", "20", "15")
    save(office, "a", "38", "27", "26")
    with db.read(office["db"]) as con:
        assert followups.list_followups(con, year=2024) == []
        cancelled = followups.list_followups(con, year=2024, statuses=("cancelled",))
    assert len(cancelled) == 3


def test_completed_followup_stays_done_when_the_grade_is_lowered_again(office: dict[str, Any]) -> None:
    save(office, "b", "30", "20", "15")
    with db.write(office["db"], action="办结") as con:
        [lookback] = [r for r in followups.list_followups(con, year=2024) if r["kind"] == "lookback"]
        followups.complete(con, followup_id=lookback["id"], note="已开展回头看")
    save(office, "b", "30", "20", "14")
    with db.read(office["db"]) as con:
        done = followups.list_followups(con, year=2024, statuses=("done",))
        still_open = followups.list_followups(con, year=2024)
        history = audit.history(con, table="followups", key="S/B/2024/lookback")
    assert [r["kind"] for r in done] == ["lookback"]
    assert [h["action"] for h in history] == ["生成后续措施", "办结后续措施"]
    assert [r["person_name"] for r in still_open] == ["王三"]


def test_completing_needs_a_note(office: dict[str, Any]) -> None:
    save(office, "b", "30", "20", "15")
    with db.write(office["db"], action="办结") as con:
        first = followups.list_followups(con, year=2024)[0]
        with pytest.raises(InvalidInput, match="办理情况"):
            followups.complete(con, followup_id=first["id"], note="  ")
