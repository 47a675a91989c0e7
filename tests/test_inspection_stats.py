"""巡察 statistics reproduce 聊城市's published figures (seed 004) from data built to match them.

The expected figures are counted from the plan in tests/inspection_data.py, never
measured from the file; `PUBLISHED_004` pins the plan to the published figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit import cli, db, inspections, integrity
from tests import inspection_data
from tests.inspection_data import PUBLISHED_004, RoundData


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RoundData]:
    return inspection_data.built_once(tmp_path_factory)


def _stats(path: Path, codes: list[str]) -> dict[str, int]:
    with db.read(path) as con:
        return inspections.stats(con, round_ids=[inspections.round_id(con, c) for c in codes])


@pytest.mark.parametrize("key", sorted(PUBLISHED_004))
def test_the_data_reproduces_the_published_figure(built: tuple[Path, RoundData], key: str) -> None:
    path, data = built
    assert data.figures[key] == PUBLISHED_004[key]
    assert _stats(path, data.round_codes)[key] == PUBLISHED_004[key]


def test_stats_reports_every_figure_of_the_data(built: tuple[Path, RoundData]) -> None:
    path, data = built
    found = _stats(path, data.round_codes)
    assert set(found) == set(inspections.STAT_LABELS)
    assert found == data.figures


@pytest.mark.parametrize("index", range(len(inspection_data.ROUNDS)))
def test_stats_of_one_round(built: tuple[Path, RoundData], index: int) -> None:
    path, data = built
    code = data.round_codes[index]
    assert _stats(path, [code]) == data.expected(rounds=[code])


def test_the_joint_round_alone_holds_every_joint_figure(built: tuple[Path, RoundData]) -> None:
    path, data = built
    found = _stats(path, [data.joint_round])
    assert (found["problems"], found["clues"]) == (PUBLISHED_004["joint_problems"], PUBLISHED_004["joint_clues"])
    assert (found["joint_problems"], found["joint_clues"]) == (found["problems"], found["clues"])


def test_midterm_findings_are_counted_apart(built: tuple[Path, RoundData]) -> None:
    path, data = built
    found = _stats(path, data.round_codes)
    assert found["midterm_problems"] == inspection_data.MIDTERM_PROBLEMS
    with db.read(path) as con:
        assert len(inspections.list_findings(con)) == found["problems"] + found["midterm_problems"]


def test_a_category_in_two_units_is_not_a_common_problem(built: tuple[Path, RoundData]) -> None:
    path, data = built
    with db.read(path) as con:
        ids = [inspections.round_id(con, c) for c in data.round_codes]
        common = {c["category"] for c in inspections.common_problems(con, round_ids=ids)}
    assert common == {name for name, _, _ in inspection_data.COMMON_CATEGORIES}
    assert inspection_data.OWN_CATEGORIES[0][0] not in common


def test_a_user_scoped_to_one_unit_gets_only_its_figures(
    built: tuple[Path, RoundData], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data = built
    monkeypatch.setenv("KIT_OPERATOR", data.scoped_user)
    found = _stats(path, data.round_codes)
    assert found == data.unit_figures[data.scoped_unit]
    assert found["units"] == 1
    assert 0 < found["problems"] < data.figures["problems"]
    assert found["common_problems"] == 0  # one unit cannot share a problem with two others


def test_the_data_written_in_bulk_agrees_with_its_trace(built: tuple[Path, RoundData]) -> None:
    path, _ = built
    report = integrity.check(path)
    assert report.ok, report.lines()


def test_cli_json_has_the_stats_keys_and_the_round_codes(
    built: tuple[Path, RoundData], capsys: pytest.CaptureFixture[str]
) -> None:
    path, data = built
    assert cli.main(["stats", "inspection", "--rounds", "all", "--json", "--db", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {**data.figures, "rounds_codes": data.round_codes}


def test_cli_json_of_some_rounds_for_a_scoped_user(
    built: tuple[Path, RoundData], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data = built
    monkeypatch.setenv("KIT_OPERATOR", data.scoped_user)
    codes = data.round_codes[:2]
    assert cli.main(["stats", "inspection", "--rounds", "，".join(codes), "--json", "--db", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {**data.expected(rounds=codes, unit=data.scoped_unit), "rounds_codes": codes}


def test_cli_prints_every_figure_with_its_chinese_label(
    built: tuple[Path, RoundData], capsys: pytest.CaptureFixture[str]
) -> None:
    path, data = built
    assert cli.main(["stats", "inspection", "--rounds", ",".join(data.round_codes), "--db", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"巡察轮次：{'、'.join(data.round_codes)}"
    assert lines[1:] == [f"{label}：{data.figures[key]}" for key, label in inspections.STAT_LABELS.items()]


def test_cli_names_an_unknown_round_in_one_chinese_line(
    built: tuple[Path, RoundData], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = built
    assert cli.main(["stats", "inspection", "--rounds", "2023-1,1999-9", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert "巡察轮次“1999-9”不存在" in err
    assert "Traceback" not in err
