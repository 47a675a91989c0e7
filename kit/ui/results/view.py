"""The 考核结果 app's page: pickers, ranking table, chart, follow-ups and the report to download."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets as w

from kit import db, followups, rankings
from kit.markup import Markup, html, svg
from kit.ui import app
from kit.ui.forms import FieldSpec, Form
from kit.ui.results.model import TITLE, ResultsModel
from kit.ui.table import TableView
from kit.ui.widgets import Html

PICKER_FIELDS = [
    FieldSpec("year", "考核年度", "choice", row="pick", width="9em", label_width="5em"),
    FieldSpec("scheme", "考核方案", "choice", row="pick", width="24em", label_width="5em"),
]


REVIEW_FIELDS = [
    FieldSpec("followup", "待办措施", "choice", required=True, width="30em"),
    FieldSpec(
        "note", "办理情况", "textarea", required=True, width="30em", placeholder="如：已于某日谈话，谈话记录存档"
    ),
]


class ResultsView:
    """Widgets of the results app.

    The form that closes follow-ups is built (`_build_review`) only once the model knows the
    user is a 审核员; for anyone else its section stays empty.
    """

    def __init__(self, model: ResultsModel) -> None:
        self.model = model
        self.picker = Form(PICKER_FIELDS, submit_label=None)
        self.refresh = w.Button(description="刷新", tooltip="重新读取最新数据")
        self.download = Html("")
        self.summary = Html("")
        self.chart = Html("")
        self.ranking = TableView(
            rankings.RANKING_LIST,
            css="kit-ranking",
            export_name=lambda: f"{model.year}年度考核排名.xlsx",
            sheet="排名",
        )
        self.followup_summary = Html("")
        self.followups = TableView(
            followups.FOLLOWUP_LIST,
            css="kit-followups",
            on_open=self._pick_followup,
            open_label="选中",
            can_open=lambda row: self.review is not None and row["status"] == "open",
            export_name=lambda: f"{model.year}年度后续措施.xlsx",
            sheet="后续措施",
        )
        self.status = Html("")
        self.review: Form | None = None
        self.review_box = w.VBox([], layout=w.Layout(display="none"))
        self._build_review()
        model.observe(self._build_review, names="can_review")
        self.picker.observe(self._on_pick)
        self.refresh.on_click(lambda _b: self._on_pick(self.picker.values()))
        model.observe(self._draw, names="revision")
        model.observe(lambda c: app.show_user(self.box, TITLE, c["new"], analyst=model.analyst), names="user_label")
        self.box = app.frame(
            TITLE,
            w.HBox([self.picker.box, self.refresh, self.download], layout=w.Layout(align_items="center")),
            self.status,
            self.summary,
            Html(html('<div class="kit-section-title">等次分布</div>')),
            self.chart,
            Html(html('<div class="kit-section-title">后续措施（待办与已完成）</div>')),
            self.followup_summary,
            self.followups.box,
            self.review_box,
            Html(html('<div class="kit-section-title">排名</div>')),
            self.ranking.box,
        )

    def _build_review(self, _change: Any = None) -> None:
        if not self.model.can_review or self.review is not None:
            return
        self.review = Form(REVIEW_FIELDS, submit_label="办结", on_submit=self.model.complete)
        self.review_box.children = [
            Html(html('<div class="kit-section-title">办结后续措施（审核员）</div>')),
            self.review.box,
        ]

    def _draw(self, _change: Any = None) -> None:
        m = self.model
        self.picker.set_choices({"year": (m.year_options, m.year or None), "scheme": (m.scheme_options, m.scheme_id)})
        cov = m.coverage
        missing = "、".join(u["name"] for u in cov.get("missing", []))
        self.summary.value = html(
            '<div class="kit-info">应参加考核 {} 家，已评分 {} 家{}。</div>',
            cov.get("expected", 0),
            cov.get("scored", 0),
            f"；尚未评分：{missing}" if missing else "",
        )
        # The chart may have come back from the data service as plain text: checked again here.
        self.chart.value = svg(m.chart_svg) if m.chart_svg else ""
        self.ranking.show(m.ranking)
        self.followup_summary.value = followups_summary_html(m.followup_stats, m.low_grades)
        self.followups.show(m.followups)
        still_open = [(_followup_label(r), r["id"]) for r in m.followups if r["status"] == "open"]
        if self.review is not None:  # a 审核员's app
            self.review.set_choices({"followup": (still_open, None)})
            self.review.set_values({"note": ""})
        self.review_box.layout.display = None if m.can_review and still_open else "none"
        self.download.value = download_link(m.report_html, m.report_filename()) if m.report_html else ""

    def _pick_followup(self, followup_id: Any) -> None:
        """A row's 选中 puts that follow-up in the form below (a 审核员's app)."""
        if self.review is not None:
            self.review.inputs["followup"].value = followup_id

    def _on_pick(self, picked: dict[str, Any]) -> None:
        if picked["year"] is None:
            return
        with app.errors_shown_in(self.status):
            self.model.select(year=picked["year"], scheme_id=picked["scheme"])


def _followup_label(row: dict[str, Any]) -> str:
    return f"{row['unit_name']}：{row['kind_label']}" + (f"（{row['person_name']}）" if row["person_name"] else "")


def download_link(page: str, filename: str) -> Markup:
    """A link that saves the report from memory: no request leaves the browser."""
    data = base64.b64encode(page.encode("utf-8")).decode("ascii")
    return html(
        '<a class="kit-download" download="{name}" title="{name}"'
        ' href="data:text/html;charset=utf-8;base64,{data}" data-filename="{quoted}">下载报告（HTML）</a>',
        name=filename,
        data=data,
        quoted=quote(filename),
    )


def followups_summary_html(stats: dict[str, int], low: list[str]) -> Markup:
    """How many units the year's low grades sent to follow-up, and how many 一把手 to 诫勉谈话."""
    if not stats.get("units"):
        return html('<div class="kit-info">没有因“{}”等次触发的后续措施。</div>', "、".join(low))
    return html(
        '<div class="kit-info">{} 家单位被评为{}，涉及诫勉谈话党政一把手 {} 人。</div>',
        stats.get("units", 0),
        "或".join(low),
        stats.get("leaders", 0),
    )


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    if not db.through_service(db_path):
        # Charts are drawn in this process: start the renderer now, not at the first chart.
        # Through the data service they are drawn there, and this kernel never loads it.
        from kit import charts

        charts.warm_up()
    view = ResultsView(ResultsModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.model.load, view.status)
