"""Every notebook runs headless against a temporary database, and app notebooks stay launchers."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests import service_host

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
APPS = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]


def _name(path: Path) -> str:
    return path.relative_to(ROOT / "notebooks").as_posix()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_notebook_runs_without_error(path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_DB", str(demo_db))
    service_host.ensure(demo_db)  # the kernel finds it, as an analyst's would
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert outputs, "the notebook showed nothing"


ANALYSIS = [p for p in NOTEBOOKS if p.parent.name == "analysis"]


@pytest.mark.slow
@pytest.mark.parametrize("user", ["luru01", "xuncha01"])  # one 派驻组's units; a scope that has lapsed
@pytest.mark.parametrize("path", ANALYSIS, ids=_name)
def test_analysis_notebook_runs_for_a_scoped_user(
    path: Path, user: str, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIT_DB", str(demo_db))
    monkeypatch.setenv("KIT_OPERATOR", user)
    service_host.ensure(demo_db)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "县（市）党委" not in shown  # no county is in either scope (the unscoped run lists counties first)
    assert "中共" not in shown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_notebook_is_committed_without_outputs_and_with_a_chinese_title(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(
        not cell.get("outputs") and not cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code"
    )
    title = nb.metadata.get("title", "")
    assert title
    assert any("\u4e00" <= ch <= "\u9fff" for ch in title)


@pytest.mark.parametrize("path", APPS, ids=_name)
def test_app_notebook_is_a_thin_launcher(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert 1 <= len(code) <= 2
    for source in code:
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]
        imported = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert all((n.module or "").startswith("kit") for n in imported)
