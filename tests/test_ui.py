"""The apps' models and the form builder, driven without a browser (the views are thin)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from kit import access, db, validate
from kit.errors import Busy, InvalidInput, PermissionDenied
from kit.listing import Column, Listing
from kit.markup import html
from kit.ui import app, forms, results, rounds, score_entry, table
from kit.ui.inspection import InspectionModel, InspectionView
from tests import service_host


def _unit(path: Path, code: str) -> int:
    with db.read(path) as con:
        return int(con.scalar("SELECT id FROM units WHERE code = ?", [code]))


def test_score_entry_opens_on_the_latest_scored_year(demo_db: Path) -> None:
    model = score_entry.ScoreEntryModel(demo_db)
    model.load()
    assert model.year == 2025
    assert model.scheme is not None
    assert model.scheme.code == "ZZ-A"
    labels = [label for label, _id in model.unit_options]
    assert "中共青松岭市委（已评分）" in labels
    assert "州机关事务管理局" in labels  # not scored in 2025


def test_leaders_show_the_year_end_and_todays_leader(demo_db: Path) -> None:
    model = score_entry.ScoreEntryModel(demo_db)
    model.load()
    model.select(year=2024, scheme_id=model.scheme_id, unit_id=_unit(demo_db, "D26"))
    assert model.leaders.startswith("一把手（2024年年末）：")
    assert "现任一把手：" in model.leaders
    assert "（2025年3月20日起）" in model.leaders


def test_preview_counts_what_is_filled_and_grades_a_full_sheet(demo_db: Path) -> None:
    model = score_entry.ScoreEntryModel(demo_db)
    model.load()
    ids = [i.id for i in model.scheme.indicators]
    assert model.preview({f"score_{ids[0]}": "12", f"score_{ids[1]}": "abc"}) == "已填 1/10 项，已填得分合计 12 分"
    full = {f"score_{i.id}": str(i.maximum) for i in model.scheme.indicators}
    assert model.preview(full) == "合计 100 分（满分 100），等次：优秀"


def test_save_reports_total_grade_version_and_followups(demo_db: Path) -> None:
    model = score_entry.ScoreEntryModel(demo_db)
    model.load()
    model.select(year=2025, scheme_id=model.scheme_id, unit_id=_unit(demo_db, "D31"))
    values = {f"score_{i.id}": str(i.maximum / 2) for i in model.scheme.indicators}
    message = model.save(values)
    assert message == "已保存：合计 50 分，等次“不合格”（第 1 版）；该等次须跟进，现有待办后续措施 2 项"
    assert model.sheet.version == 1
    assert [h["action"] for h in model.history] == ["新建评分表"]
    assert model.save(values) == "内容没有变化，无需保存（仍为第 1 版）"


def test_the_saved_sheet_names_who_saved_it_not_their_login(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.write(demo_db, action="准备用户") as con:
        access.add_user(con, name="kp01", display_name="周考评", roles=["entry"])
        access.grant_scope(con, name="kp01", kind="all")
    monkeypatch.setenv("KIT_OPERATOR", "kp01")
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(demo_db))
    app.start(view.model.load, view.status, prepare=view.prepare)
    view.picker.inputs["unit"].value = _unit(demo_db, "D31")
    values = {f"score_{i.id}": str(i.maximum / 2) for i in view.model.scheme.indicators}
    view.model.save(values)
    view.picker.inputs["unit"].value = _unit(demo_db, "C02")
    view.picker.inputs["unit"].value = _unit(demo_db, "D31")
    assert "周考评 于" in view.sheet_state.value
    assert "kp01" not in view.sheet_state.value


def test_history_names_the_indicators_that_changed() -> None:
    entries = [
        {
            "logged_at": _dt(),
            "actor": "甲",
            "action": "新建评分表",
            "before": None,
            "after": {"total": "80.00", "grade": "合格", "scores": {"作风建设": "8.00"}},
        },
        {
            "logged_at": _dt(),
            "actor": "乙",
            "action": "修改评分表",
            "before": {"total": "80.00", "grade": "合格", "scores": {"作风建设": "8.00"}},
            "after": {"total": "79.50", "grade": "合格", "scores": {"作风建设": "7.50"}},
        },
    ]
    lines = score_entry.describe_history(entries)
    assert lines[0]["total"] == "80"
    assert lines[1]["total"] == "80 → 79.5"
    assert lines[1]["changes"] == "作风建设 8→7.5"


def _dt() -> datetime:
    return datetime(2025, 1, 10, 9, 30)


def test_results_model_offers_the_report_as_a_download_from_memory(demo_db: Path) -> None:
    model = results.ResultsModel(demo_db)
    model.load()
    model.select(year=2023, scheme_id=model.scheme_id)
    assert model.followup_stats == {"units": 6, "leaders": 9}
    link = results.download_link(model.report_html, model.report_filename())
    data = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"', link)
    assert data is not None
    assert base64.b64decode(data.group(1)).decode("utf-8") == model.report_html
    assert 'download="2023年度考核结果报告.html"' in link


def _form(on_submit: Any) -> forms.Form:
    check = partial(validate.number, field="a", label="甲", maximum=10)
    return forms.Form([forms.FieldSpec("a", "甲", "number", required=True, check=check)], on_submit=on_submit)


def test_the_page_mark_says_whether_a_saving_form_holds_unsaved_input() -> None:
    def refuse(values: dict[str, Any]) -> str:
        raise InvalidInput.one("a", "“甲”有误")

    forms._SAVING_FORMS.clear()  # one kernel serves one page; this process has run other tests' apps
    mark = forms.unsaved_mark()
    saving = forms.Form([forms.FieldSpec("a", "甲")], submit_label="保存", on_submit=lambda values: "已保存")
    refusing = forms.Form([forms.FieldSpec("a", "甲")], submit_label="保存", on_submit=refuse)
    picker = forms.Form([forms.FieldSpec("a", "甲")], submit_label=None)  # chooses what to show, saves nothing
    picker.inputs["a"].value = "x"
    assert mark.value == ""
    saving.inputs["a"].value = "1"
    assert "kit-unsaved" in mark.value
    saving.run_submit()
    assert mark.value == ""
    refusing.inputs["a"].value = "2"
    refusing.run_submit()
    assert "kit-unsaved" in mark.value  # refused: the input is still not saved
    refusing.set_values({})  # filled anew (another record opened)
    assert mark.value == ""


def test_submit_disables_itself_while_saving_and_shows_success() -> None:
    seen: list[bool] = []

    def save(values: dict[str, Any]) -> str:
        seen.append(form.submit.disabled)
        return "已保存"

    form = _form(save)
    form.run_submit()
    assert seen == [True]
    assert "已保存" in form.status.value


def test_a_second_click_saves_nothing_until_the_user_changes_a_field() -> None:
    saved: list[dict[str, Any]] = []

    def save(values: dict[str, Any]) -> str:
        saved.append(values)
        return f"已保存第 {len(saved)} 次"

    form = _form(save)
    form.inputs["a"].value = "3"
    form.submit.click()
    form.submit.click()  # a double click, or a click queued while the first was saving
    assert saved == [{"a": "3"}]
    # Not greyed: a text field sends its value when it loses focus, that is when the button is
    # pressed; a disabled button would swallow the click that comes with an edit.
    assert not form.submit.disabled
    assert "已保存第 1 次" in form.status.value  # the outcome the user saw stays true
    form.inputs["a"].value = "5"  # the user edits: the old outcome goes, the form may be saved again
    assert form.status.value == ""
    form.submit.click()
    assert saved == [{"a": "3"}, {"a": "5"}]
    form.set_values({"a": "6"})  # another record shown by the app: a fresh form, its old outcome gone
    assert form.status.value == ""
    form.submit.click()
    assert saved == [{"a": "3"}, {"a": "5"}, {"a": "6"}]


def test_refusal_is_shown_beside_the_field_and_in_the_status() -> None:
    def save(values: dict[str, Any]) -> str:
        raise InvalidInput.one("a", "“甲”不能为空")

    form = _form(save)
    form.run_submit()
    assert "不能为空" in form.row_errors["a"].value
    assert "未保存" in form.status.value


@pytest.mark.parametrize(
    ("error", "shown"),
    [(Busy("数据库正忙：某某正在保存"), "数据库正忙"), (ZeroDivisionError(), "程序错误")],
)
def test_other_failures_are_shown_in_the_status_and_the_button_comes_back(error: Exception, shown: str) -> None:
    def save(values: dict[str, Any]) -> str:
        raise error

    form = _form(save)
    form.run_submit()
    assert shown in form.status.value
    assert not form.submit.disabled


def test_a_bad_value_is_flagged_as_soon_as_it_is_typed() -> None:
    form = _form(lambda values: "x")
    form.inputs["a"].value = "11"
    assert "不能超过满分 10" in form.row_errors["a"].value
    form.inputs["a"].value = "9"
    assert form.row_errors["a"].value == ""


def test_an_app_on_a_missing_database_says_so_instead_of_a_traceback(tmp_path: Path) -> None:
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(tmp_path / "missing.duckdb"))
    app.start(view.model.load, view.status, prepare=view.prepare)
    assert "数据库文件" in view.status.value
    assert "kit init" in view.status.value


def test_picking_a_unit_in_the_view_loads_its_sheet(demo_db: Path) -> None:
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(demo_db))
    app.start(view.model.load, view.status, prepare=view.prepare)
    view.picker.inputs["unit"].value = _unit(demo_db, "C02")
    assert view.model.sheet is not None
    assert "已保存的评分表" in view.sheet_state.value
    first = view.model.scheme.indicators[0]
    assert view._forms[view.model.scheme_id][1].inputs[f"score_{first.id}"].value != ""


def test_a_reviewer_closes_a_follow_up_in_the_results_app(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    view = results.ResultsView(results.ResultsModel(demo_db))
    view.model.load()
    view.model.select(year=2023, scheme_id=view.model.scheme_id)
    assert view.review_box.layout.display is None  # the operator holds every role
    options = view.review.inputs["followup"].options
    label, chosen = options[0]
    view.review.set_values({"followup": chosen, "note": ""})
    view.review.run_submit()
    assert "办理情况" in view.review.row_errors["note"].value  # refused beside the field, nothing written
    view.review.set_values({"followup": chosen, "note": "已于 3 月 5 日谈话，记录存档"})
    view.review.run_submit()
    assert "已办结" in view.review.status.value
    assert chosen not in [v for _, v in view.review.inputs["followup"].options]
    done = [r for r in view.model.followups if r["id"] == chosen]
    assert done[0]["status"] == "done"
    assert done[0]["note"] == "已于 3 月 5 日谈话，记录存档"
    assert label.split("：")[0] in done[0]["unit_name"]


def test_the_closing_form_is_only_for_reviewers(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi01")  # 分析员 of every unit
    view = results.ResultsView(results.ResultsModel(demo_db))
    view.model.load()
    view.model.select(year=2023, scheme_id=view.model.scheme_id)
    assert view.model.followups  # sees them
    assert view.review_box.layout.display == "none"  # but cannot close them
    assert view.review is None  # the form was never built
    assert view.review_box.children == ()
    with pytest.raises(PermissionDenied):
        view.model.complete({"followup": view.model.followups[0]["id"], "note": "越权"})


# --- widgets a role cannot use are not built at all ------------------------------------------

# Buttons that only read (or mark a copy read, which any role in scope may): in every user's app.
READ_ONLY_BUTTONS = {"刷新", "生成本轮报告", "准备下载", "全部标记已阅", "放弃修改并切换", "继续编辑"}
# The buttons of each app's entry (录入员) and review (审核员) parts, and how many file uploads
# its entry part has (Excel ledgers, evidence).
ROLE_PARTS: dict[str, dict[str, Any]] = {
    "inspection": {
        access.ENTER: {"保存", "移交线索", "登记处置结果", "导入", "建立整改事项"}
        | {"报送进展", "延期", "申请销号", "签字", "保存更正", "作废此问题", "作废此事项", "作废此线索", "作废此记录"},
        access.REVIEW: {"同意销号", "退回", "同意", "不同意"},
        "uploads": 4,
    },
    "rounds": {
        access.ENTER: {"新建轮次", "新建巡察组", "调配", "确定", "入库", "登记反馈", "登记", "保存更正", "作废本轮"}
        | {"作废此反馈", "移出人员库", "作废此处置", "作废本组", "保存组员更正", "保存巡察对象更正"},
        access.REVIEW: {"保存评估", "保存更正", "作废此评估"},
        "uploads": 0,
    },
    "results": {access.ENTER: set(), access.REVIEW: {"办结"}, "uploads": 0},
    # 结束本年度考核: the operator reviews every unit; the demo's latest year is still open.
    "score_entry": {access.ENTER: {"保存评分表"}, access.REVIEW: {"结束本年度考核"}, "uploads": 0},
}
# Demo users: 分析员 (reads only), 录入员, and the operator who holds every role.
USER_ROLES = {"fenxi01": set(), "luru01": {access.ENTER}, "本机操作员": {access.ENTER, access.REVIEW}}


def _build(name: str, path: Path) -> tuple[w.Widget, Any]:
    """The app as its `show()` builds it (before anyone is known), and its load step."""
    if name == "inspection":
        inspection = InspectionView(InspectionModel(path))
        return inspection.box, inspection.load
    if name == "rounds":
        organisation = rounds.RoundsView(rounds.RoundsModel(path))
        return organisation.box, organisation.model.load
    if name == "results":
        outcome = results.ResultsView(results.ResultsModel(path))
        return outcome.box, outcome.model.load
    entry = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(path))
    return entry.box, lambda: app.start(entry.model.load, entry.status, prepare=entry.prepare)


def _tree(root: w.Widget) -> list[w.Widget]:
    """Every widget shown under `root` (hidden ones included), children of children too."""
    found, todo = [], [root]
    while todo:
        widget = todo.pop()
        found.append(widget)
        todo.extend(getattr(widget, "children", ()))
    return found


def _role_buttons(widgets: list[w.Widget]) -> set[str]:
    buttons = [x for x in widgets if isinstance(x, w.Button) and table.CONTROL not in x._dom_classes]
    return {x.description for x in buttons} - READ_ONLY_BUTTONS - {""}


def _uploads(widgets: list[w.Widget]) -> list[w.FileUpload]:
    return [x for x in widgets if isinstance(x, w.FileUpload)]


@pytest.mark.parametrize("user", list(USER_ROLES))
@pytest.mark.parametrize("name", list(ROLE_PARTS))
def test_an_app_builds_the_entry_and_review_parts_only_for_users_with_the_role(
    name: str, user: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", user)
    parts, roles = ROLE_PARTS[name], USER_ROLES[user]
    before = set(_instances)
    box, load = _build(name, demo_db)
    # As a preheated kernel builds it: no user known yet, so no part of any role.
    assert _role_buttons(_tree(box)) == set()
    assert _uploads(_tree(box)) == []
    load()
    shown = _tree(box)
    expected = set().union(*(parts[role] for role in roles))
    assert _role_buttons(shown) == expected
    assert len(_uploads(shown)) == (parts["uploads"] if access.ENTER in roles else 0)
    # Nor do they exist in the kernel, shown or not, where the widget protocol could reach them.
    made = [widget for key, widget in _instances.items() if key not in before]
    assert _role_buttons(made) == expected
    assert len(_uploads(made)) == len(_uploads(shown))


def test_a_reader_still_sees_the_saved_sheet_without_a_way_to_save_it(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "fenxi01")
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(demo_db))
    app.start(view.model.load, view.status, prepare=view.prepare)
    view.picker.inputs["unit"].value = _unit(demo_db, "C02")
    form = view._forms[view.model.scheme_id][1]
    first = view.model.scheme.indicators[0]
    assert form.inputs[f"score_{first.id}"].value != ""
    assert form.box.layout.display is None
    assert "您没有录入员角色，只能查看评分表，不能保存" in view.sheet_state.value
    form.run_submit()  # what a crafted message to its (never shown) button would do: nothing
    assert form.status.value == ""
    assert all(widget.disabled for widget in form.inputs.values())  # values to read, not boxes to type in
    monkeypatch.setenv("KIT_OPERATOR", "luru01")
    clerk = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(demo_db))
    app.start(clerk.model.load, clerk.status, prepare=clerk.prepare)
    clerk.picker.inputs["unit"].value = next(v for _label, v in clerk.picker.inputs["unit"].options if v)
    assert not any(widget.disabled for widget in clerk._forms[clerk.model.scheme_id][1].inputs.values())


# Run in a process of its own, as an app's kernel runs its notebook: what it has loaded once
# its app is shown and has read the office, whether an error was shown, and (results) its chart.
KERNEL_PROBE = """
import json, sys
import ipywidgets as w
from kit.ui import forms, {app} as shown
shown.show()
error = f"kit-status-{{forms.ERROR}}"
failed = [str(x.value) for x in list(w.Widget.widgets.values()) if error in str(getattr(x, "value", ""))]
chart = ""
if "{app}" == "results":
    model = shown.ResultsModel(None)
    model.load()
    chart = model.chart_svg
loaded = sorted(m for m in ("pandas", "altair", "vl_convert") if m in sys.modules)
print(json.dumps({{"loaded": loaded, "failed": failed, "chart": chart[:200]}}))
"""


@pytest.mark.service_only("through the data service, reports and their charts are made there")
@pytest.mark.parametrize("name", ["score_entry", "results", "inspection", "rounds"])  # as the notebooks show them
def test_an_apps_kernel_loads_neither_pandas_nor_the_chart_renderer(name: str, demo_db: Path) -> None:
    service_host.ensure(demo_db)
    done = subprocess.run(
        [sys.executable, "-c", KERNEL_PROBE.format(app=name)],
        capture_output=True,
        text=True,
        env={**os.environ, "KIT_DB": str(demo_db)},
        cwd=Path(__file__).resolve().parents[1],
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["failed"] == []  # the app did read the office
    assert found["loaded"] == []  # about 40 MB of pandas, 50 of Altair, more once the renderer runs
    if name == "results":
        assert found["chart"].startswith("<svg")  # drawn by the service, shown here as it came


def test_typed_scores_are_not_dropped_without_asking_when_another_unit_is_chosen(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_OPERATOR", "luru01")
    view = score_entry.ScoreEntryView(score_entry.ScoreEntryModel(demo_db))
    app.start(view.model.load, view.status, prepare=view.prepare)
    units = [v for _label, v in view.picker.inputs["unit"].options if v]
    first, second = units[0], units[1]
    view.picker.inputs["unit"].value = first
    form = view._forms[view.model.scheme_id][1]
    score = form.inputs[f"score_{view.model.scheme.indicators[0].id}"]
    view.picker.inputs["unit"].value = second  # nothing typed: no question
    assert view.model.unit_id == second
    assert view.ask.layout.display == "none"
    score.value = "7"  # the user types
    view.picker.inputs["unit"].value = first
    assert view.model.unit_id == second  # still the sheet being typed
    assert view.picker.inputs["unit"].value == second
    assert score.value == "7"
    assert view.ask.layout.display == "flex"
    assert "有修改尚未保存" in view.unsaved.value
    view.keep.click()
    assert (view.ask.layout.display, view.model.unit_id, score.value) == ("none", second, "7")
    view.picker.inputs["unit"].value = first
    view.discard.click()
    assert (view.ask.layout.display, view.model.unit_id, view.picker.inputs["unit"].value) == ("none", first, first)
    assert not form.dirty  # the first unit's sheet, as saved


def test_the_bar_names_this_app_links_the_others_and_the_notebooks_only_for_an_analyst() -> None:
    bar = str(app.nav_html("考核结果"))
    assert '<a href="../../">首页</a>' in bar
    assert "<span>考核结果</span>" in bar
    assert all(f'href="{name}.ipynb"' in bar for name, title in app.APPS if title != "考核结果")
    assert 'href="results.ipynb"' not in bar
    assert "分析笔记本" not in bar
    assert '<a href="../tree/analysis">分析笔记本</a>' in str(app.nav_html("考核结果", analyst=True))
    assert {title for _name, title in app.APPS} == {"年度考核评分", "考核结果", "巡察组织", "巡察整改"}
    assert all((Path(__file__).parents[1] / "notebooks" / f"{name}.ipynb").is_file() for name, _t in app.APPS)


FILES = Listing(
    columns=(Column("name", "名称"), Column("files", "附件", width=12)),
    sort="name",
    search=("name", "files"),
)


def test_a_column_the_app_draws_shows_its_markup_and_keeps_its_text_for_search_and_tooltip() -> None:
    rows = [{"id": 1, "name": "甲", "files": "a.pdf"}, {"id": 2, "name": "乙", "files": "<b>.pdf"}]
    view = table.TableView(
        FILES, css="kit-files", drawn={"files": lambda r: html('<a href="#{}">{}</a>', r["id"], "↓")}
    )
    view.show(rows)
    assert '<a href="#1">↓</a>' in view.page_html()
    assert 'title="&lt;b&gt;.pdf"' in view.page_html()  # the cell's text, escaped, as its tooltip
    view.search.value = "<b>"
    assert [r["id"] for r in view.shown.rows] == [2]
    with pytest.raises(ValueError, match="no column"):
        table.TableView(FILES, css="kit-files", drawn={"size": lambda r: html("")})
