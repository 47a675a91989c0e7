"""The demo office, and the published figure it must reproduce (DOMAIN.md, 大理州 000)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kit import db, followups, registry, trace


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
        report = trace.verify(con)
        sheets = con.scalar("SELECT count(*) FROM score_sheets")
    assert report.ok
    assert report.rows > sheets
