"""A round with a large ledger, imported as an office would (an Excel ledger through kit.excel).

20 counties, one finding per item; deadlines spread from 120 days ago to 120 days ahead of
today, so the ledger holds overdue, due-soon and not-yet-due items. Used by the browser test
of the ledger's table and by benchmarks/table_view.py.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from benchmarks.import_ledger import build as build_findings

# What the items' measures say (tests find rows by it).
MEASURE = "针对问题 {} 修订制度并开展专题学习"


def build(path: Path, items: int) -> None:
    """A new office file at `path` with one round of `items` findings and as many ledger items."""
    from openpyxl import Workbook

    from kit import excel, rectification

    findings = build_findings(path, items)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("整改台账")
    fields = rectification.ITEM.labels
    sheet.append([fields[k] for k in ("finding", "unit", "measure", "leader", "responsible", "deadline", "progress")])
    today = date.today()
    for i, (ident, unit, leader) in enumerate(findings):
        deadline = today + timedelta(days=(i * 37) % 241 - 120)
        sheet.append([ident, unit, MEASURE.format(ident), leader, f"责任人{i % 97}", deadline, (i * 7) % 101])
    data = io.BytesIO()
    book.save(data)
    result = excel.import_file(data.getvalue(), "rectification", path=path)
    if not result.ok:
        raise RuntimeError(f"ledger refused: {[str(e) for e in result.errors[:3]]}")
