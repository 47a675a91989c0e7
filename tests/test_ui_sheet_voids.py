"""作废评分表 in the 年度考核评分 app, as 王丽 (luru01, 录入员) and 孙敏 (xcb01, 审核员) meet it on the demo.

The demo's 2025 is open; 2023 and 2024 of its first scheme are closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import db, rankings
from tests.conftest import as_operator
from tests.test_ui_closed_years import _buttons, _open, _pick, _unit


def _ranked(path: Path, scheme: int, year: int) -> set[int]:
    with as_operator(), db.read(path) as con:
        return {r["unit_id"] for r in rankings.ranking(con, scheme_id=scheme, year=year)}


def test_a_clerk_voids_an_open_years_sheet_and_may_score_the_unit_again(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = _open(demo_db, "luru01", monkeypatch)
    scheme = clerk.model.scheme_id
    unit = next(v for label, v in clerk.model.unit_options if label.endswith("（已评分）"))
    _pick(clerk, 2025, unit)
    assert clerk.model.sheet is not None
    assert "作废此评分表" in _buttons(clerk.box)
    assert unit in _ranked(demo_db, scheme, 2025)
    form = clerk.void_forms["void"]
    form.run_submit()  # no reason: refused beside the field, nothing written
    assert "作废理由" in form.row_errors["reason"].value
    assert unit in _ranked(demo_db, scheme, 2025)
    form.inputs["reason"].value = "误录：该单位本年度不参加此方案考核"
    form.run_submit()
    assert "已作废该评分表" in clerk.outcome.value
    assert clerk.model.sheet is None
    assert unit not in _ranked(demo_db, scheme, 2025)
    label = next(label for label, v in clerk.model.unit_options if v == unit)
    assert not label.endswith("（已评分）")
    assert "该单位本年度的评分表已于" in clerk.sheet_state.value  # why it has none now, and what may follow
    assert "由王丽作废（理由：误录：该单位本年度不参加此方案考核）" in clerk.sheet_state.value
    assert "请逐项填写后重新评分" in clerk.sheet_state.value
    assert clerk.model.log[-1]["kind"] == "void"
    assert "误录：该单位本年度不参加此方案考核" in clerk.log.table.page_html()  # its 更正与作废记录
    assert "作废此评分表" not in _buttons(clerk.box)
    assert "保存评分表" in _buttons(clerk.box)
    assert clerk.model.history[-1]["action"] == "作废评分表"
    assert clerk.model.history[-1]["actor"] == "王丽"
    assert "已作废" in clerk.model.history[-1]["grade"]


def test_in_a_closed_year_a_clerk_asks_to_void_and_another_reviewer_agrees(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = _open(demo_db, "luru01", monkeypatch)
    scheme = clerk.model.scheme_id
    clerk.picker.inputs["year"].value = 2024
    asked = _unit(demo_db, "L01")  # the demo's own request waits on this one
    unit = next(v for label, v in clerk.model.unit_options if label.endswith("（已评分）") and v != asked)
    _pick(clerk, 2024, unit)
    assert clerk.model.mode == "ask"
    assert "提交作废申请" in _buttons(clerk.box)
    form = clerk.void_forms["ask"]
    form.inputs["reason"].value = "误录：该单位2024年度不参加此方案考核"
    form.run_submit()
    assert "已提交作废申请" in clerk.outcome.value
    assert "待审核的作废申请" in clerk.request_info.value
    assert "2024年度“" in clerk.model.request["summary"]  # which of the unit's sheets, in the ledger's list too
    assert unit in _ranked(demo_db, scheme, 2024)  # nothing changes before a 审核员 agrees
    assert _buttons(clerk.box) & {"提交作废申请", "提交更正申请", "同意作废"} == set()

    checker = _open(demo_db, "xcb01", monkeypatch)
    _pick(checker, 2024, unit)
    assert checker.review_form is not None
    assert "同意作废" in _buttons(checker.box)
    checker.review_form.inputs["note"].value = "核实确属误录"
    checker.review_form.run_submit()
    assert "已同意作废申请" in checker.outcome.value
    assert checker.model.sheet is None
    assert unit not in _ranked(demo_db, scheme, 2024)
    assert checker.model.history[-1]["action"] == "作废评分表（王丽申请，经审核）"
    assert "经审核员孙敏同意（理由：误录：该单位2024年度不参加此方案考核）" in checker.sheet_state.value
    assert "不能再补评" in checker.sheet_state.value
    assert "同意：核实确属误录" in checker.log.table.page_html()
    # The same review form decides the next request at once: nothing of the last one stays.
    _pick(checker, 2024, asked)
    assert "待审核的更正申请" in checker.request_info.value
    assert checker.review_form.status.value == ""
    assert checker.review_form.inputs["note"].value == ""
    checker.review_form.inputs["note"].value = "核实无误"
    checker.review_form.run_submit()
    assert "已同意更正申请" in checker.outcome.value


def test_a_saved_sheets_message_goes_when_another_unit_is_opened(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = _open(demo_db, "luru01", monkeypatch)
    scored = [v for label, v in clerk.model.unit_options if label.endswith("（已评分）")]
    _pick(clerk, 2025, scored[0])
    form = clerk._forms[clerk.model.scheme_id][1]
    first = clerk.model.scheme.indicators[0]
    form.inputs[f"score_{first.id}"].value = "1"
    form.run_submit()
    assert "已保存" in form.status.value
    _pick(clerk, 2025, scored[1])
    assert form.status.value == ""  # the message was about the other unit
    form.inputs[f"score_{first.id}"].value = "2"
    form.run_submit()  # and this unit's form saves at the first click
    assert "已保存" in form.status.value
    assert clerk.model.sheet.scores[first.id] == 2
