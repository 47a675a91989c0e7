from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kit import assessments, db, registry
from kit.errors import InvalidInput

from .conftest import SMALL_BANDS


def test_weighted_scheme_total_is_the_weighted_mean(db_path: Path) -> None:
    with db.write(db_path, action="准备") as con:
        town = registry.add_unit(con, code="T", name="某镇党委", kind="township")
        scheme_id = assessments.add_scheme(
            con,
            code="W",
            name="乡镇考核",
            scoring="weighted",
            unit_kinds=["township"],
            indicators=[{"name": "甲", "weight": 30}, {"name": "乙", "weight": 70}],
            bands=[
                {"label": "好", "min_total": 90},
                {"label": "差", "min_total": 0, "triggers_followup": True},
            ],
        )
        ids = [i.id for i in assessments.get_scheme(con, scheme_id).indicators]
        sheet = assessments.save_sheet(
            con, scheme_id=scheme_id, unit_id=town, year=2024, scores={ids[0]: "80", ids[1]: "95"}
        )
    assert sheet.total == Decimal("90.50")
    assert sheet.grade == "好"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"indicators": []}, "indicators", "至少需要一个指标"),
        ({"indicators": [{"name": "甲", "max_points": 0}]}, "indicator_1", "不能小于 0.01"),
        (
            {"indicators": [{"name": "甲", "max_points": 10}, {"name": "甲", "max_points": 10}]},
            "indicator_2",
            "重复",
        ),
        ({"bands": [{"label": "好", "min_total": 60}]}, "bands", "最低分必须为 0"),
        (
            {
                "bands": [
                    {"label": "好", "min_total": 60},
                    {"label": "中", "min_total": 80},
                    {"label": "差", "min_total": 0},
                ]
            },
            "band_2",
            "从高到低",
        ),
        ({"unit_kinds": []}, "unit_kinds", "至少选择一项"),
        ({"scoring": "magic"}, "scoring", "必须是以下之一"),
    ],
)
def test_bad_scheme_is_refused(db_path: Path, change: dict[str, Any], field: str, message: str) -> None:
    spec: dict[str, Any] = {
        "code": "X",
        "name": "方案",
        "scoring": "points",
        "unit_kinds": ["county"],
        "indicators": [{"name": "甲", "max_points": 100}],
        "bands": SMALL_BANDS,
    }
    with pytest.raises(InvalidInput) as caught, db.write(db_path, action="新增方案") as con:
        assessments.add_scheme(con, **{**spec, **change})
    assert message in caught.value.errors[field]
    with db.read(db_path) as con:
        assert con.scalar("SELECT count(*) FROM assessment_schemes") == 0
