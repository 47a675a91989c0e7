"""Every list of every app: a declared list (`kit.listing.Listing`) as a table that sorts,
filters, searches and pages in the kernel, and sends the browser one page of rows.

Each header is a button (click: sort by it; again: the other way round). Each row is a
real table row beside one button: 查看 (open its record) or the list's own row action
(抄告's 标记已阅). "导出Excel" writes exactly the rows the filters and search select, in
their order. A cell is the row's text, escaped; an app may draw one column's cells itself
(an item's 佐证材料 as download links), with markup built by `kit.markup`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import ipywidgets as w

from kit import excel
from kit.formats import number
from kit.listing import Column, Listing, Page, View, options, page, select
from kit.markup import Markup, html, join
from kit.ui.widgets import Html, file_link

# Widths are declared in em of the table's 13 px text; headers are buttons, sized alike in px.
EM_PX = 13
OPEN_PX = 56
ALL = "全部"
ALL_VALUE = ""  # a filter's "全部" (a Dropdown shows no label for the value None)
CONTROL = "kit-list-control"
CSS = html("""
<style>
.kit-rows { table-layout:fixed; border-collapse:collapse; font-size:13px; margin:0; }
.kit-rows td { box-sizing:border-box; border:1px solid #ddd; padding:0 6px; height:28px;
               overflow:hidden; white-space:nowrap; text-overflow:ellipsis; }
.kit-rows tr.kit-row-overdue td { background:#ffebee; }
.kit-rows tr.kit-row-due_soon td, .kit-rows tr.kit-row-due_today td { background:#fff8e1; }
.kit-rows tr.kit-row-unread td { font-weight:bold; }
.kit-rows tr.kit-row-voided td { color:#757575; text-decoration:line-through; }
.kit-rows .kit-flag-low { color:#b71c1c; font-weight:bold; }
.kit-rows td.num { text-align:right; font-variant-numeric:tabular-nums; }
.kit-head button { font-weight:bold; background:#f5f5f5; border:1px solid #ddd; padding:0 6px;
                   text-align:left; }
.kit-list-row button { height:28px; }
.kit-count { color:#555; font-size:13px; margin:0 10px; }
</style>
""")


def _px(column: Column) -> int:
    return round(column.width * EM_PX)


Drawn = Callable[[dict[str, Any]], Markup]  # an app's own cell for a row (links), built with kit.markup


def _cell(column: Column, row: dict[str, Any], drawn: Drawn | None = None) -> Markup:
    value = row.get(column.shown or column.key)
    if value is None:
        shown = ""
    elif column.kind == "date":
        shown = f"{value:%Y-%m-%d}"
    elif column.kind == "moment":
        shown = f"{value:%Y-%m-%d %H:%M}"
    elif column.kind == "percent":
        shown = f"{value}%"
    elif column.kind == "number" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        shown = number(value)  # 91.5, 88: as offices write scores
    else:
        shown = str(value)
    full = shown
    if column.limit is not None and len(shown) > column.limit:
        shown = shown[: column.limit - 1] + "…"
    if drawn is not None:
        body = drawn(row)
    elif column.css:
        body = html('<span class="kit-flag-{}">{}</span>', row.get(column.css), shown)
    else:
        body = html("{}", shown)
    return html(
        '<td style="width:{px}px;max-width:{px}px" class="{cls}" title="{full}">{body}</td>',
        px=_px(column),
        cls="num" if column.kind in ("number", "percent") else "",
        full=full,
        body=body,
    )


def row_html(listing: Listing, row: dict[str, Any], css: str, drawn: Mapping[str, Drawn] | None = None) -> Markup:
    """One row as a table row of its own, its cells as wide as their headers.

    A column named in `drawn` shows the markup its function builds for the row (an item's
    evidence as download links); its text stays the row's value: the cell's tooltip, the
    search and the Excel export read that.
    """
    cells = join(_cell(c, row, (drawn or {}).get(c.key)) for c in listing.columns)
    style = row.get(listing.row_css) if listing.row_css else None
    classes = html(' class="kit-row-{}"', style) if style else html("")
    width = sum(_px(c) for c in listing.columns)  # fixed: every row's columns line up with the headers
    return html('<table class="kit-rows {}" style="width:{}px"><tr{}>{}</tr></table>', css, width, classes, cells)


class TableView:
    """A list's filters, search, sortable headers, one page of rows, pages and its Excel export."""

    def __init__(
        self,
        listing: Listing,
        *,
        css: str,
        on_open: Callable[[Any], None] | None = None,
        open_label: str = "查看",
        can_open: Callable[[dict[str, Any]], bool] | None = None,
        export_name: Callable[[], str] | None = None,
        export_columns: Mapping[str, str] | None = None,
        sheet: str = "数据",
        drawn: Mapping[str, Drawn] | None = None,
    ) -> None:
        unknown = set(drawn or {}) - {c.key for c in listing.columns}
        if unknown:
            raise ValueError(f"drawn cells of no column: {sorted(unknown)}")
        self.listing = listing
        self.drawn = dict(drawn or {})
        self.css = css
        self.on_open = on_open
        self.open_label = open_label
        self.can_open = can_open
        self.export_name = export_name
        self.export_columns = export_columns or listing.export_columns()
        self.sheet = sheet
        self.rows: list[dict[str, Any]] = []
        self.view = View.first(listing)
        self._quiet = False  # while the pickers are refilled: their changes are not the user's
        self.shown: Page = page(listing, [], self.view)
        self.filters = {
            f.key: w.Dropdown(
                description=f.label,
                options=[(ALL, ALL_VALUE)],
                value=ALL_VALUE,
                style={"description_width": "initial"},
                layout=w.Layout(width="auto", max_width="22em"),
            )
            for f in listing.filters
        }
        for key, picker in self.filters.items():
            picker.observe(lambda c, k=key: self._chose(k, c["new"]), names="value")
        searched = "、".join(c.label for c in listing.columns if c.key in listing.search or c.shown in listing.search)
        self.search = w.Text(
            description="搜索",
            placeholder=searched[:40],
            continuous_update=False,
            style={"description_width": "initial"},
            layout=w.Layout(width="22em"),
        )
        self.search.observe(lambda c: self._searched(str(c["new"] or "")), names="value")
        self.clear = w.Button(description="清除条件", tooltip="显示全部记录")
        self.clear.on_click(lambda _b: self.reset())
        self.headers = [self._header(c) for c in listing.columns]
        spacer = max(OPEN_PX, 16 * len(open_label) + 16)
        head = [Html("", layout=w.Layout(width=f"{spacer}px", margin="0", flex="0 0 auto"))] if on_open else []
        self.head = w.HBox(head + self.headers, layout=w.Layout(margin="0"))
        self.head.add_class("kit-head")
        self.lines: list[tuple[w.Button, Html, w.HBox]] = [self._line(n) for n in range(listing.page_size)]
        self.empty = Html("")
        self.previous = w.Button(description="上一页", layout=w.Layout(width="6em"))
        self.next = w.Button(description="下一页", layout=w.Layout(width="6em"))
        self.previous.on_click(lambda _b: self._set(self.view.at(self.shown.number - 1)))
        self.next.on_click(lambda _b: self._set(self.view.at(self.shown.number + 1)))
        self.count = Html("")
        self.export = w.Button(description="导出Excel", tooltip="导出当前筛选、搜索结果的全部行")
        self.export.on_click(lambda _b: self._export())
        self.export_link = Html("")
        tools = [*self.filters.values(), self.search, self.clear]
        pager = [self.previous, self.next, self.count] + ([self.export, self.export_link] if export_name else [])
        self.box = w.VBox(
            [
                Html(CSS),
                w.HBox(tools, layout=w.Layout(flex_flow="row wrap", align_items="center")),
                # Wider than the window: the list scrolls sideways, its columns stay in line.
                w.VBox([self.head, *(box for _b, _h, box in self.lines)], layout=w.Layout(overflow="auto hidden")),
                self.empty,
                w.HBox(pager, layout=w.Layout(align_items="center")),
            ]
        )
        self.box.add_class(f"kit-list-{css}")
        for button in (
            *self.headers,
            *(o for o, _c, _b in self.lines),
            self.clear,
            self.previous,
            self.next,
            self.export,
        ):
            # Not a role's part: every reader's list has them (a row action is one any reader
            # may take, as 标记已阅 a copy sent to them)
            button.add_class(CONTROL)
        self.draw()

    # -- building ----------------------------------------------------------------
    def _header(self, column: Column) -> w.Button:
        button = w.Button(
            description=column.label, layout=w.Layout(width=f"{_px(column)}px", margin="0", flex="0 0 auto")
        )
        button.on_click(lambda _b: self._set(self.view.sorted_by(column.key)))
        return button

    def _line(self, n: int) -> tuple[w.Button, Html, w.HBox]:
        width = max(OPEN_PX, 16 * len(self.open_label) + 16)
        opener = w.Button(description=self.open_label, layout=w.Layout(width=f"{width}px", margin="0", flex="0 0 auto"))
        opener.on_click(lambda _b: self._open(n))
        cells = Html("", layout=w.Layout(margin="0", flex="0 0 auto"))
        parts: list[w.Widget] = [opener, cells] if self.on_open else [cells]
        line = w.HBox(parts, layout=w.Layout(display="none", margin="0", align_items="stretch"))
        line.add_class("kit-list-row")
        return opener, cells, line

    # -- state -------------------------------------------------------------------
    def show(self, rows: Sequence[dict[str, Any]]) -> None:
        """New rows (the record type's list as the user may read it): choices, filters and page kept."""
        self.rows = list(rows)
        choices = options(self.listing, self.rows)
        filters = dict(self.view.filters)
        self._quiet = True
        try:
            for key, picker in self.filters.items():
                offered = [(ALL, ALL_VALUE), *choices.get(key, [])]
                chosen = filters.get(key)
                if chosen not in {v for _l, v in offered}:
                    chosen = None
                filters[key] = chosen
                picker.options = offered
                picker.value = ALL_VALUE if chosen is None else chosen
        finally:
            self._quiet = False
        self.view = View(self.view.sort, self.view.descending, filters, self.view.text, self.view.page)
        self.draw()

    def reset(self) -> None:
        """No filter, no search, the default order, the first page."""
        self._quiet = True
        try:
            for picker in self.filters.values():
                picker.value = ALL_VALUE
            self.search.value = ""
        finally:
            self._quiet = False
        self._set(View.first(self.listing))

    def _searched(self, text: str) -> None:
        if not self._quiet:
            self._set(self.view.searched(text))

    def _chose(self, key: str, value: Any) -> None:
        if not self._quiet:
            self._set(self.view.filtered(key, None if value == ALL_VALUE else value))

    def page_html(self) -> str:
        """The rows on the page as the browser receives them (hidden lines left out)."""
        return "".join(str(cells.value) for _o, cells, box in self.lines if box.layout.display != "none")

    def selected(self) -> list[dict[str, Any]]:
        """Every row the filters and search select, in the table's order (all pages)."""
        return select(self.listing, self.rows, self.view)

    def _set(self, view: View) -> None:
        self.view = view
        self.draw()

    def _open(self, n: int) -> None:
        if self.on_open is None or n >= len(self.shown.rows):
            return
        row = self.shown.rows[n]
        if self.can_open is None or self.can_open(row):
            self.on_open(row[self.listing.key])

    def _export(self) -> None:
        if self.export_name is None:
            return
        data = excel.export_rows(self.selected(), self.export_columns, sheet=self.sheet)
        self.export_link.value = file_link(data, self.export_name(), "下载")

    # -- drawing -----------------------------------------------------------------
    def draw(self) -> None:
        listing, view = self.listing, self.view
        self.shown = shown = page(listing, self.rows, view)
        for column, button in zip(listing.columns, self.headers, strict=True):
            arrow = ("▼" if view.descending else "▲") if column.key == view.sort else ""
            button.description = f"{column.label}{arrow}"
            button.tooltip = f"按“{column.label}”排序（再点一次反过来）"
        for n, (opener, cells, box) in enumerate(self.lines):
            if n < len(shown.rows):
                row = shown.rows[n]
                cells.value = row_html(listing, row, self.css, self.drawn)
                opener.tooltip = f"{self.open_label}：第 {row.get(listing.key)} 号"
                opener.disabled = self.can_open is not None and not self.can_open(row)
                box.layout.display = "flex"
            elif box.layout.display != "none":
                cells.value = ""  # no stale row stays in the page, hidden or not
                box.layout.display = "none"
        filtered = bool(view.text) or any(v is not None for v in view.filters.values())
        if not self.rows:
            self.empty.value = html('<div class="kit-info">{}</div>', listing.empty)
        elif not shown.rows:
            self.empty.value = html('<div class="kit-info">没有符合条件的记录。</div>')
        else:
            self.empty.value = ""
        self.head.layout.display = "flex" if shown.rows else "none"
        self.count.value = html(
            '<span class="kit-count">第 {} / {} 页，{}</span>',
            shown.number,
            shown.pages,
            f"符合条件 {shown.matching} 条（共 {shown.total} 条）" if filtered else f"共 {shown.total} 条",
        )
        self.previous.disabled = shown.number <= 1
        self.next.disabled = shown.number >= shown.pages
        self.export_link.value = ""
