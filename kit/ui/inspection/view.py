"""The 巡察整改 app: the round picker and reports, and its tabs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from kit.markup import html, join
from kit.ui import app
from kit.ui.forms import FieldSpec, Form
from kit.ui.inspection.copies import CopiesTab
from kit.ui.inspection.findings import FindingsTab
from kit.ui.inspection.handovers import HandoverTab
from kit.ui.inspection.ledger import LedgerTab
from kit.ui.inspection.model import TITLE, InspectionModel
from kit.ui.inspection.parts import CSS
from kit.ui.widgets import Html, file_link

TAB_TITLES = ("发现问题", "整改台账", "抄告", "交接")


class InspectionView:
    """The app: round picker and reports on top, then the four tabs."""

    def __init__(self, model: InspectionModel) -> None:
        self.model = model
        self.picker = Form(
            [FieldSpec("round", "巡察轮次", "choice", width="30em", label_width="5em")], submit_label=None
        )
        self.refresh = w.Button(description="刷新", tooltip="重新读取最新数据")
        self.make_reports = w.Button(description="生成本轮报告", tooltip="巡察情况报告和整改情况通报（HTML）")
        self.reports = Html("").add_class("kit-links")
        self.status = Html("")
        self.notice = Html("")
        self.findings = FindingsTab(model)
        self.ledger = LedgerTab(model)
        self.copies = CopiesTab(model)
        self.handovers = HandoverTab(model)
        self.tabs = w.Tab(
            children=[self.findings.box, self.ledger.box, self.copies.box, self.handovers.box], titles=TAB_TITLES
        )
        self.picker.observe(self._on_pick)
        self.refresh.on_click(lambda _b: self._call(model.reload))
        self.make_reports.on_click(lambda _b: self._call(self._reports))
        model.observe(self._draw, names="revision")
        model.observe(lambda c: app.show_user(self.box, TITLE, c["new"], analyst=model.analyst), names="user_label")
        self.box = app.frame(
            TITLE,
            Html(CSS),
            w.HBox([self.picker.box, self.refresh, self.make_reports], layout=w.Layout(align_items="center")),
            self.reports,
            self.status,
            self.notice,
            self.tabs,
        )

    def _draw(self, _change: Any = None) -> None:
        m = self.model
        options = [(f"{r['code']} {r['name']}", r["id"]) for r in m.rounds]
        self.picker.set_choices({"round": (options, m.round_id)})
        self.notice.value = (
            "" if m.rounds else html('<div class="kit-info">尚未设置巡察轮次：请巡察办先设置巡察轮次和巡察对象。</div>')
        )
        self.reports.value = ""
        self.findings.draw()
        self.ledger.draw()
        self.handovers.draw()

    def _on_pick(self, picked: dict[str, Any]) -> None:
        if picked["round"] is not None and picked["round"] != self.model.round_id:
            # Another round's lists start unfiltered: a search for one round's leader finds nothing in the next.
            for table in (self.findings.table, self.ledger.table):
                table.reset()
            self._call(lambda: self.model.select_round(picked["round"]))

    def _call(self, action: Callable[[], None]) -> None:
        with app.errors_shown_in(self.status):
            action()

    def _reports(self) -> None:
        links = []
        for which, label in (("round", "下载巡察情况报告（HTML）"), ("notice", "下载整改情况通报（HTML）")):
            name, page = self.model.report(which)
            links.append(file_link(page.encode("utf-8"), name, label, mime="text/html;charset=utf-8"))
        self.reports.value = join(links)

    def load(self) -> None:
        self.model.load()


def show(db_path: str | Path | None = None) -> None:
    """Build the app, display it, and load its data once a user has opened the page."""
    from IPython.display import display

    view = InspectionView(InspectionModel(db_path))
    display(view.box)  # type: ignore[no-untyped-call]
    app.start(view.load, view.status)
