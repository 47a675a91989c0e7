"""Pieces the 巡察整改 app's tabs share: its style, evidence uploads, the Excel import area."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from kit import excel
from kit.errors import describe
from kit.markup import html
from kit.ui.forms import ERROR, OK, WORKING, status_html
from kit.ui.inspection.model import InspectionModel, uploaded
from kit.ui.parts import chosen_files_html, show_if, upload_widget
from kit.ui.table import TableView
from kit.ui.widgets import Html, file_link

CSS = html("""
<style>
.kit-flag-overdue { color:#b71c1c; font-weight:bold; }
.kit-flag-due_soon, .kit-flag-due_today { color:#e65100; font-weight:bold; }
.kit-links a { margin-right:8px; }
.kit-file { margin-right:8px; }
</style>
""")


def with_files(
    upload: w.FileUpload, action: Callable[[dict[str, Any], list[tuple[str, bytes]]], str]
) -> Callable[[dict[str, Any]], str]:
    """A form's submit that also sends the files chosen in `upload`, and clears them once saved."""

    def submit(values: dict[str, Any]) -> str:
        message = action(values, uploaded(upload.value))
        upload.value = ()
        return message

    return submit


# --- Excel import ----------------------------------------------------------------------------


class ImportArea:
    """下载模板, choose an .xlsx, 只导入无误的行, 导入, progress, then the count or the row errors."""

    def __init__(self, model: InspectionModel, kind: str) -> None:
        self.model, self.kind = model, kind
        self.template = Html("")
        self.upload = upload_widget(f"kit-upload-{kind}", multiple=False, accept=".xlsx")
        self.chosen = Html("")
        self.good_only = w.Checkbox(description="只导入无误的行（有误的行另存为文件返回）", indent=False, value=False)
        self.button = w.Button(description="导入", button_style="primary")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="导入进度", style={"description_width": "5em"})
        self.status = Html("")
        # every row error, a page at a time (a large workbook may break thousands of rules)
        self.errors = TableView(excel.ERROR_LIST, css="kit-import-errors")
        self.rejects = Html("")
        self.upload.observe(lambda c: setattr(self.chosen, "value", chosen_files_html(c["new"])), names="value")
        self.button.on_click(lambda _b: self.run())
        model.observe(self._progress, names=["import_done", "import_total"])
        show_if(self.progress, False)
        show_if(self.errors.box, False)
        self.box = w.VBox(
            [
                w.HBox([self.template], layout=w.Layout(margin="0 0 6px 0")),
                w.HBox([self.upload, self.chosen], layout=w.Layout(align_items="center")),
                self.good_only,
                w.HBox([self.button, self.progress, self.status], layout=w.Layout(align_items="center")),
                self.errors.box,
                self.rejects,
            ]
        ).add_class(f"kit-import-{kind}")

    def _progress(self, _change: Any = None) -> None:
        if self.model.import_kind != self.kind:
            return
        self.progress.max = max(self.model.import_total, 1)
        self.progress.value = min(self.model.import_done, self.progress.max)

    def run(self) -> None:
        """Import the chosen file; never lets an error escape (it is shown instead)."""
        if self.button.disabled:
            return
        data = bytes(self.upload.value[0]["content"]) if self.upload.value else None
        self.button.disabled = True
        self._show_errors([])
        self.rejects.value = ""
        show_if(self.progress, True)
        self.progress.value, self.progress.max = 0, 1
        self.status.value = status_html(WORKING, "正在导入，请稍候…")
        try:
            message = self.model.import_file(self.kind, data, good_only=self.good_only.value)
        except Exception as e:
            title, text = describe(e)
            self.status.value = status_html(ERROR, title, text)
            show_if(self.progress, False)
        else:
            result = self.model.import_result
            ok = result is not None and result.ok
            self.status.value = status_html(OK if ok else ERROR, message)
            self._show_errors(result.errors if result is not None else [])
            if result is not None and result.rejects:
                name = f"有误的行-{inspections_kind_label(self.kind)}.xlsx"
                self.rejects.value = file_link(result.rejects, name, "下载有误的行（含错误原因）")
            if ok or (result is not None and result.imported):
                self.upload.value = ()
        finally:
            self.button.disabled = False

    def _show_errors(self, errors: Sequence[excel.RowError]) -> None:
        """The import's row errors in their list, from its first page; none: the list hides."""
        self.errors.reset()
        self.errors.show(excel.error_rows(errors))
        show_if(self.errors.box, bool(errors))

    def draw(self, template: bytes | None) -> None:
        label = f"导入模板-{inspections_kind_label(self.kind)}.xlsx"
        self.template.value = file_link(template, label, "下载模板") if template else ""


def inspections_kind_label(kind: str) -> str:
    return "发现问题" if kind == "findings" else "整改台账"
