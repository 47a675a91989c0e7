from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from kit import db
from kit.reports import assessment


class _Refs(HTMLParser):
    """Every URL the page would fetch: src, href (but data: and #), CSS url(), @import."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith(("data:", "#")):
                self.refs.append(value)


def external_references(page: str) -> list[str]:
    parser = _Refs()
    parser.feed(page)
    css = re.findall(r"url\(([^)]*)\)|@import", page)
    return parser.refs + [c for c in css if c and not c.strip("'\"").startswith("data:")]


def test_report_is_self_contained_chinese_and_printable(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        page = assessment.build(con, year=2025)
        schemes = con.scalar("SELECT count(DISTINCT scheme_id) FROM score_sheets WHERE year = 2025")
    assert external_references(page) == []
    assert "<script" not in page
    assert '<html lang="zh-CN">' in page
    assert "@page { size: A4" in page
    assert "2025年度党风廉政建设责任制考核结果报告" in page
    assert schemes == 2
    assert page.count("<svg") == schemes  # one chart per scheme scored that year


def test_report_states_the_followups_of_low_grades(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        page = assessment.build(con, year=2023)
    assert "共 6 家单位被评为基本合格或不合格，需对 9 名党政一把手进行诫勉谈话" in page


def test_report_lists_every_scored_unit_in_rank_order(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        page = assessment.build(con, year=2024, scheme_id=1)
        names = [
            r[0]
            for r in con.all(
                "SELECT u.name FROM score_sheets s JOIN units u ON u.id = s.unit_id"
                " WHERE s.year = 2024 AND s.scheme_id = 1 ORDER BY s.total DESC, u.sort_order, u.code"
            )
        ]
    positions = [page.index(f"<td>{name}</td>") for name in names]
    assert positions == sorted(positions)


def test_report_of_a_year_without_sheets_says_so(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        page = assessment.build(con, year=2019)
    assert "2019年度尚无任何考核评分记录" in page
