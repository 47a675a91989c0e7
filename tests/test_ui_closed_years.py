"""The 年度考核评分 app on a closed year: 申请更正, the 审核员's decision, 结束考核 — as each user meets them.

The demo has closed 2023 and 2024 of its first scheme, and 王丽 (luru01) has asked to
correct 州委组织部's 2024 sheet.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ipywidgets as w
import pytest

from kit import assessments, db, rankings
from kit.ui import app, score_entry
from tests.conftest import as_operator


def _unit(path: Path, code: str) -> int:
    with as_operator(), db.read(path) as con:
        return int(con.scalar("SELECT id FROM units WHERE code = ?", [code]))


def _open(path: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> score_entry.ScoreEntryView:
    monkeypatch.setenv("KIT_OPERATOR", user)
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(path))
    app.start(view.model.load, view.status, prepare=view.prepare)
    return view


def _pick(view: score_entry.ScoreEntryView, year: int, unit: int) -> None:
    view.picker.inputs["year"].value = year
    view.picker.inputs["unit"].value = unit


def _buttons(box: w.Widget) -> set[str]:
    found, todo = set(), [box]
    while todo:
        widget = todo.pop()
        if isinstance(widget, w.Button) and widget.layout.display != "none":
            found.add(widget.description)
        todo.extend(getattr(widget, "children", ()))
    return found


def test_a_clerk_asks_to_correct_a_closed_year_and_nothing_changes_until_a_reviewer_agrees(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = _open(demo_db, "luru01", monkeypatch)
    # The sheet already asked about: its request shown, the form only to read.
    _pick(clerk, 2024, _unit(demo_db, "L01"))
    assert clerk.model.mode == "read"
    assert "待审核的更正申请" in clerk.request_info.value
    assert "王丽" in clerk.request_info.value
    assert "2024年度考核已由孙敏于2025-03-31结束" in clerk.sheet_state.value
    assert _buttons(clerk.box) & {"提交更正申请", "保存评分表"} == set()
    # Another of the clerk's units: the form asks for a correction with a reason.
    other = next(v for _, v in clerk.model.unit_options if v != _unit(demo_db, "L01"))
    _pick(clerk, 2024, other)
    assert clerk.model.mode == "ask"
    form = clerk._forms[clerk.model.scheme_id][1]
    assert _buttons(clerk.box) & {"提交更正申请", "保存评分表"} == {"提交更正申请"}
    assert "如需更正，请改正各项、填写更正理由后提交更正申请" in clerk.sheet_state.value
    first = clerk.model.scheme.indicators[0]
    before = clerk.model.sheet
    form.inputs[f"score_{first.id}"].value = "1"
    form.run_submit()  # no reason: refused beside the field, nothing written
    assert "更正理由" in form.row_errors["reason"].value
    assert "未保存" in form.status.value
    form.inputs["reason"].value = "得分录错"
    form.run_submit()
    assert "已提交更正申请" in clerk.outcome.value
    assert clerk.model.mode == "read"
    assert f"{first.name}得分：{before.scores[first.id].normalize():f} → 1" in clerk.request_info.value
    assert clerk.model.sheet.version == before.version  # the sheet waits as it was
    assert "同意更正" not in _buttons(clerk.box)  # a 录入员 decides nothing

    checker = _open(demo_db, "xcb01", monkeypatch)
    _pick(checker, 2024, other)
    assert checker.review_form is not None
    assert {"同意更正", "不同意"} <= _buttons(checker.box)
    checker.review_form.run_submit()  # no opinion: refused beside the field
    assert "审核意见" in checker.review_form.row_errors["note"].value
    checker.review_form.inputs["note"].value = "核实无误"
    checker.review_form.run_submit()
    assert "已同意更正申请" in checker.outcome.value
    assert checker.model.request is None
    assert checker.model.sheet.scores[first.id] == Decimal(1)
    assert checker.model.sheet.version == before.version + 1
    assert "同意更正" not in _buttons(checker.box)
    assert any(line["action"] == "更正评分表（王丽申请，经审核）" for line in checker.model.history)
    with db.read(demo_db) as con:
        ranked = {r["unit_id"]: r["total"] for r in rankings.ranking(con, scheme_id=checker.model.scheme_id, year=2024)}
    assert ranked[other] == checker.model.sheet.total


def test_a_reviewer_of_every_unit_closes_the_open_year(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = _open(demo_db, "xcb01", monkeypatch)
    assert view.model.year == 2025
    assert view.close_box.layout.display is None
    with db.read(demo_db) as con:
        scored = con.scalar(
            "SELECT count(*) FROM score_sheets WHERE scheme_id = ? AND year = 2025", [view.model.scheme_id]
        )
        units = con.scalar("SELECT count(*) FROM units WHERE kind IN ('county', 'department')")
    assert f"已评分 {scored} 个单位，未评分 {units - scored} 个单位" in view.close_info.value
    assert view.close_form is not None
    view.close_form.inputs["note"].value = "经考核工作领导小组审定"
    view.close_form.run_submit()  # not without saying so: it cannot be undone
    assert f"未评分的 {units - scored} 个单位本年度将不再评分" in view.close_form.row_errors["confirm"].value
    with db.read(demo_db) as con:
        assert assessments.closing(con, scheme_id=view.model.scheme_id, year=2025) is None
    view.close_form.inputs["confirm"].value = "yes"
    view.close_form.run_submit()
    assert "已结束2025年度考核" in view.outcome.value
    assert view.close_box.layout.display == "none"
    with db.read(demo_db) as con:
        closed = assessments.closing(con, scheme_id=view.model.scheme_id, year=2025)
    assert closed is not None
    assert closed.note == "经考核工作领导小组审定"
    _pick(view, 2025, _unit(demo_db, "C02"))
    assert view.model.mode == "ask"  # 孙敏 is a 录入员 too: her form now asks
    assert view.outcome.value == ""  # the closing's message stayed with the page it was made on
    unscored = next(v for label, v in view.model.unit_options if "（已评分）" not in label)
    _pick(view, 2025, unscored)
    assert "该单位本年度未评分，不能再补评" in view.sheet_state.value
    assert "请逐项填写后保存" not in view.sheet_state.value


@pytest.mark.parametrize("user", ["fenxi01", "luru01", "shenhe01"])
def test_only_a_reviewer_of_every_unit_is_offered_the_closing(
    user: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _open(demo_db, user, monkeypatch)
    assert view.close_form is None  # never built
    assert "结束本年度考核" not in _buttons(view.box)


def test_a_reader_sees_a_closed_years_sheet_and_its_request_without_any_button(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _open(demo_db, "fenxi01", monkeypatch)
    _pick(view, 2024, _unit(demo_db, "L01"))
    assert "评分表不能再直接修改" in view.sheet_state.value
    assert "待审核的更正申请" in view.request_info.value
    assert _buttons(view.box) & {"保存评分表", "提交更正申请", "同意更正", "不同意", "结束本年度考核"} == set()


def test_the_ledgers_request_list_offers_a_reviewer_only_the_requests_of_others(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kit import corrections
    from kit.ui.inspection import InspectionModel, InspectionView

    monkeypatch.setenv("KIT_OPERATOR", "xcb01")  # 审核员 and 录入员 of every unit
    unit = _unit(demo_db, "C02")
    with db.write(demo_db, action="申请更正评分表") as con:
        scheme = assessments.list_schemes(con)[0]["id"]
        sheet = assessments.load_sheet(con, scheme_id=scheme, unit_id=unit, year=2024)
        assert sheet is not None
        first = next(iter(sheet.scores))
        mine = corrections.request_sheet_correction(
            con,
            scheme_id=scheme,
            unit_id=unit,
            year=2024,
            scores={**sheet.scores, first: sheet.scores[first] - 1},
            notes=sheet.notes,
            note=sheet.note,
            reason="得分录错",
        )
    view = InspectionView(InspectionModel(demo_db))
    view.load()
    requests = view.ledger.requests
    lines = requests.lines[: len(requests.shown.rows)]  # the page's rows, on as many lines
    offered = {row["id"]: not opener.disabled for row, (opener, _c, _b) in zip(requests.shown.rows, lines, strict=True)}
    assert offered[mine] is False  # 孙敏's own: another 审核员 decides it
    assert True in offered.values()  # 王丽's, from the demo, is hers to decide
