"""The demo office, and the published figure it must reproduce (DOMAIN.md, 大理州 000)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kit import audit, db, followups, inspections, rectification, registry


def test_demo_has_the_shape_of_the_prefecture(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        kinds = dict(con.all("SELECT kind, count(*) FROM units GROUP BY kind"))
        duties = dict(con.all("SELECT responsibility, count(*) FROM units WHERE kind = 'department' GROUP BY 1"))
        schemes = con.scalar("SELECT count(*) FROM assessment_schemes")
    assert kinds["county"] == 12
    assert duties == {"lead": 5, "responsible": 32}
    assert kinds["township"] > 0
    assert schemes == 2


def test_every_assessed_unit_has_a_top_leader_at_each_year_end(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        units = registry.list_units(con, kinds=["county", "department", "township"])
        for year in (2023, 2024, 2025):
            missing = [u["name"] for u in units if registry.top_leader_at(con, u["id"], date(year, 12, 31)) is None]
            assert missing == []


def test_some_leaders_changed_mid_year(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        ended = con.scalar("SELECT count(*) FROM tenures WHERE role <> 'member' AND end_date IS NOT NULL")
    assert ended >= 5


def test_2023_grades_send_six_units_and_nine_top_leaders_to_admonition(demo_db: Path) -> None:
    """对2023年度考核为“基本合格”“不合格”等次6家单位的9位党政“一把手”进行集体诫勉谈话."""
    with db.read(demo_db) as con:
        low_units = con.scalar(
            "SELECT count(*) FROM score_sheets WHERE year = 2023 AND grade IN ('基本合格', '不合格')"
        )
        assert followups.stats(con, year=2023) == {"units": 6, "leaders": 9}
    assert low_units == 6


def test_demo_trace_chain_is_valid(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        report = audit.verify(con)
        sheets = con.scalar("SELECT count(*) FROM score_sheets")
    assert report.ok
    assert report.rows > sheets


def test_rounds_8_and_9_reproduce_the_published_inspection_figures(demo_db: Path) -> None:
    """大理州 (000): 160 problems in the 问题清单, 42 involving the 一把手; a mid-term check found 68 in 7 units."""
    with db.read(demo_db) as con:
        rounds = [inspections.round_id(con, "2025-8"), inspections.round_id(con, "2025-9")]
        figures = inspections.stats(con, round_ids=rounds)
        midterm_units = con.scalar("SELECT count(DISTINCT unit_id) FROM findings WHERE stage = 'midterm'")
    assert (figures["problems"], figures["top_leader_problems"], figures["midterm_problems"]) == (160, 42, 68)
    assert midterm_units == 7


def test_the_demo_ledger_shows_every_state_an_office_meets(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        rounds = [r["id"] for r in inspections.list_rounds(con)]
        items = rectification.list_items(con, round_ids=rounds)
        flags = {reason for f in rectification.paper_flags(con, round_ids=rounds) for reason in f["reasons"]}
        poor = rectification.poor_units(con, round_id=inspections.round_id(con, "2025-8"))
        handovers = rectification.list_handovers(con)
        copies = rectification.leaders_in_charge(con)
    assert {i["status"] for i in items} == {"open", "pending", "closed"}
    assert {"overdue", "closed"} <= {i["flag"] for i in items}
    assert flags == {"same_day", "copied_measure", "extended"}
    assert [p["unit_name"] for p in poor] == ["中共清河湾县委", "州财政局"]
    assert len(handovers) == 1
    assert not handovers[0]["complete"]
    assert all(c["unread"] > 0 for c in copies)
    closed = [i for i in items if i["status"] == "closed"]
    assert all(i["closed_by"] == "xcb01" and i["evidence"] > 0 for i in closed)
