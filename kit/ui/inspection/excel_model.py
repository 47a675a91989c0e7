"""The 巡察整改 model's Excel files: the round's findings or ledger out, a workbook of either in."""

from __future__ import annotations

from kit import excel, inspections, rectification
from kit.errors import InvalidInput
from kit.ui.inspection.state_model import InspectionState


class ExcelActions(InspectionState):
    """Export what is shown, import with progress (the `import_done` / `import_total` traits)."""

    def export(self, kind: str) -> bytes:
        """The round's findings or ledger as shown, as .xlsx."""
        if kind == "findings":
            return excel.export_rows(self.findings, inspections.FINDING.export, sheet="发现问题")
        return excel.export_rows(self.items, rectification.ITEM.export, sheet="整改台账")

    def import_file(self, kind: str, data: bytes | None, *, good_only: bool) -> str:
        """Import an .xlsx of findings or ledger items; the progress traits follow the rows checked.

        Returns the message; row errors are kept in `import_result`.

        Raises:
            InvalidInput: no file, or the file itself is refused; PermissionDenied, Busy.
        """
        self.import_kind, self.import_result = kind, None
        self.import_done, self.import_total = 0, 0
        if not data:
            raise InvalidInput.one("file", "请先选择要导入的 Excel 文件（.xlsx）")
        result = excel.import_file(data, kind, path=self.db_path, good_only=good_only, progress=self._progress)
        self.import_result = result
        self.import_total = self.import_done = max(result.total, 1)
        self.reload()
        if result.ok:
            return f"已导入 {len(result.imported)} 行"
        if result.imported or result.rejects is not None:
            return f"已导入 {len(result.imported)} 行；{len(result.bad_rows)} 行有误未导入，可下载后改正再导入"
        return f"共 {result.total} 行，其中 {len(result.bad_rows)} 行有误，未导入任何数据"

    def _progress(self, done: int, total: int) -> None:
        self.import_total, self.import_done = max(total, 1), done
