from __future__ import annotations

from typing import Any

from kit import assessments, db, rankings, registry

from .conftest import save, scores_for


def test_ranking_shares_ranks_on_equal_totals(office: dict[str, Any]) -> None:
    with db.write(office["db"], action="准备") as con:
        c = registry.add_unit(con, code="C", name="丙县委", kind="county")
        assessments.save_sheet(
            con, scheme_id=office["scheme"], unit_id=c, year=2024, scores=scores_for(office, 40, 30, 30)
        )
    save(office, "a", "35", "20", "20")
    save(office, "b", "35", "20", "20")
    with db.read(office["db"]) as con:
        rows = rankings.ranking(con, scheme_id=office["scheme"], year=2024)
        dist = rankings.grade_distribution(con, scheme_id=office["scheme"], year=2024)
        cov = rankings.coverage(con, scheme_id=office["scheme"], year=2024)
    assert [(r["unit_name"], r["rank_label"]) for r in rows] == [
        ("丙县委", "1"),
        ("甲县委", "2（并列）"),
        ("乙县委", "2（并列）"),
    ]
    assert rows[1]["leader_name"] == "张一"
    assert [(d["grade"], d["units"]) for d in dist] == [
        ("优秀", 1),
        ("合格", 2),
        ("基本合格", 0),
        ("不合格", 0),
    ]
    assert (cov["expected"], cov["scored"], cov["missing"]) == (3, 3, [])
