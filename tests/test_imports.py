"""The house's layering: kit's modules import one way only.

Parses every module under kit/ (imports inside functions and under `if TYPE_CHECKING:`
included) and checks two things:
no module reaches a module of a higher layer, and no circle of imports exists at
all, not even inside one layer. docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1] / "kit"

# Lowest first. A module belongs to the first entry whose prefix it matches
# (a prefix ending in "." names a package). Order matters within the list only
# where a prefix is a prefix of another.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "plumbing",
        (
            "kit",
            "kit.errors",
            "kit.config",
            "kit.validate",
            "kit.formats",
            "kit.markup",
            "kit.listing",
            "kit.fields",
            "kit.identity",
            "kit.lock",
            "kit.kernel_ports",
            "kit.preheat",
            "kit.xlsx_guard",
            "kit.xlsx_parse",
            "kit.connection",
            "kit.schema",
            "kit.anchor",
            "kit.trace",
            "kit.users",
            "kit.migrations",
            "kit.service.codec",
            "kit.service.tokens",
            "kit.service.faults",
            "kit.service.client",
            "kit.service.owner",
            "kit.engine",
            "kit.commits",
            "kit.free_sql",
            "kit.remote",
            "kit.db",
            "kit.door",
        ),
    ),
    ("access", ("kit.scopes", "kit.user_admin", "kit.access")),
    (
        "areas",
        (
            "kit.registry",
            "kit.registry.",
            "kit.schemes",
            "kit.closings",
            "kit.followups",
            "kit.assessments",
            "kit.rankings",
            "kit.inspections",
            "kit.inspections.",
            "kit.rectification",
            "kit.rectification.",
            "kit.corrections",
            "kit.corrections.",
            "kit.appointments",
            "kit.audit",
            "kit.backup",
            "kit.extract",
            "kit.integrity",
            "kit.analysis",
        ),
    ),
    (
        "outputs",
        (
            "kit.charts",
            "kit.excel",
            "kit.excel.",
            "kit.reports",
            "kit.reports.",
            "kit.demo",
            "kit.demo.",
            "kit.cli",
            "kit.cli.",
            "kit.serve",
            "kit.voila_auth",
            "kit.service.sessions",
            "kit.service.server",
            "kit.service.supervisor",
            "kit.share.",
        ),
    ),
    ("ui", ("kit.ui", "kit.ui.")),
)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    in_function: bool


def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in KIT.rglob("*.py"):
        parts = path.relative_to(KIT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def layer_of(module: str) -> int | None:
    for rank, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix.endswith(".") and module.startswith(prefix)):
                return rank
    return None


def _targets(node: ast.Import | ast.ImportFrom, source: str, modules: dict[str, Path]) -> list[str]:
    """The kit modules an import statement loads (a `from pkg import name` may name a module)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = source.split(".")
            if modules[source].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    found = []
    for name in names:
        if not (name == "kit" or name.startswith("kit.")):
            continue
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name != source and name != "kit":
            found.append(name)
    return found


def import_edges() -> list[Edge]:
    modules = module_names()
    edges: list[Edge] = []

    def visit(node: ast.AST, source: str, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(child, source, modules):
                    edges.append(Edge(source, target, child.lineno, in_function))
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, source, nested)

    for name, path in modules.items():
        visit(ast.parse(path.read_text(encoding="utf-8")), name, False)
    return edges


def cycles(edges: list[Edge], nodes: list[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    graph: dict[str, list[str]] = {node: [] for node in nodes}
    for edge in edges:
        graph[edge.source].append(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_every_module_has_a_layer() -> None:
    missing = sorted(name for name in module_names() if layer_of(name) is None)
    assert missing == [], f"place these modules in a layer (tests/test_imports.py, docs/architecture.md): {missing}"


def test_no_module_imports_a_higher_layer() -> None:
    def name(module: str) -> str:
        return f"{module} ({LAYERS[layer_of(module) or 0][0]})"

    upward = [
        f"{e.source}:{e.line} {name(e.source)} -> {name(e.target)}"
        for e in import_edges()
        if (layer_of(e.target) or 0) > (layer_of(e.source) or 0)
    ]
    assert upward == []


def test_no_circle_of_imports_even_through_imports_inside_functions() -> None:
    assert cycles(import_edges(), sorted(module_names())) == []


def test_imports_inside_functions_only_put_off_loading_heavy_modules() -> None:
    """A late import is allowed for load time (charts, the CLI's commands), never for a cycle.

    The circle test above already counts late imports; this one keeps their list short
    and known, so a new one is a decision someone wrote down.
    """
    # Every command module of kit.cli loads what its commands need when they run.
    allowed_sources = {"kit.cli.office", "kit.cli.reports", "kit.cli.ledgers", "kit.cli.users", "kit.ui.app"}
    allowed_sources.add("kit.ui.inspection.model")  # the reports, only when asked for
    allowed_targets = {"kit.charts"}
    late = sorted(
        {
            f"{e.source} -> {e.target}"
            for e in import_edges()
            if e.in_function and e.source not in allowed_sources and e.target not in allowed_targets
        }
    )
    assert late == []


def _fake_package(tmp_path: Path, files: dict[str, str]) -> list[Edge]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    modules = {}
    for path in tmp_path.rglob("*.py"):
        parts = path.relative_to(tmp_path).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    edges: list[Edge] = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges += [Edge(name, t, node.lineno, False) for t in _targets(node, name, modules)]
    return edges


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "kit/__init__.py": "",
                "kit/a.py": "def f():\n    from kit import b\n",
                "kit/b.py": "from kit import a\n",
            },
            [["kit.a", "kit.b"]],
        ),
        ({"kit/__init__.py": "", "kit/a.py": "from . import b\n", "kit/b.py": "import kit.c\n", "kit/c.py": ""}, []),
    ],
)
def test_the_circle_finder_sees_a_circle_hidden_in_a_function(
    tmp_path: Path, files: dict[str, str], expected: list[list[str]]
) -> None:
    edges = _fake_package(tmp_path, files)
    nodes = sorted({e.source for e in edges} | {e.target for e in edges} | {"kit.c"})
    assert cycles(edges, nodes) == expected


# One concept per module: about 400 lines at most. The modules still longer, each with the
# reason it has not been split yet; the test fails when another grows past the limit, and
# when one of these has become short (take it off the list).
MAX_LINES = 450
LONG_MODULES: dict[str, str] = {}


def test_each_module_holds_one_concept_of_about_400_lines() -> None:
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in module_names().items()}
    too_long = sorted(f"{name} ({n})" for name, n in lengths.items() if n > MAX_LINES and name not in LONG_MODULES)
    assert too_long == [], "split these modules, one concept each (docs/architecture.md)"
    short_now = sorted(name for name in LONG_MODULES if lengths.get(name, 0) <= MAX_LINES)
    assert short_now == [], "these are short now: take them off LONG_MODULES"


UI_SHARED = ("kit.ui.widgets", "kit.ui.forms", "kit.ui.table", "kit.ui.parts", "kit.ui.correction_panel")
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", ".records(", ".scalar(", ".execute(", "db.read(", "db.write(")


def is_model(path: Path) -> bool:
    """An app's model is `model.py` and the modules it is made of, each named `<part>_model.py`."""
    return path.name == "model.py" or path.stem.endswith("_model")


def widgets_imported(source: str) -> list[str]:
    """The widget modules a module imports: ipywidgets, or a shared widget module of kit.ui."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            imported |= {base} | {f"{base}.{a.name}" for a in node.names}  # `from kit.ui import forms`
    found = {"ipywidgets" for m in imported if m.split(".")[0] == "ipywidgets"}
    found |= {shared for m in imported for shared in UI_SHARED if m == shared or m.startswith(f"{shared}.")}
    return sorted(found)


def test_an_apps_model_holds_no_widget_and_its_views_no_sql() -> None:
    """Each app is a folder under kit/ui/: its model (state and calls to kit) and its views."""
    apps = [p for p in (KIT / "ui").iterdir() if p.is_dir() and (p / "model.py").is_file()]
    assert len(apps) >= 4
    for folder in apps:
        for module in folder.glob("*.py"):
            source = module.read_text(encoding="utf-8")
            if is_model(module):
                widgets = widgets_imported(source)
                assert widgets == [], f"{folder.name}/{module.name} imports widgets: {widgets}"
            elif module.name != "__init__.py":
                assert [w for w in SQL_WORDS if w in source] == [], f"{folder.name}/{module.name} touches the database"


@pytest.mark.parametrize(
    ("name", "source", "widgets"),
    [
        ("model.py", "import ipywidgets as w\n", ["ipywidgets"]),
        ("ledger_model.py", "from ipywidgets import HTML\n", ["ipywidgets"]),
        ("copies_model.py", "from kit.ui.widgets import Html\n", ["kit.ui.widgets"]),
        ("state_model.py", "from kit.ui import app, forms\n", ["kit.ui.forms"]),
        ("ledger_model.py", "import traitlets\nfrom kit.ui import app\n", []),
    ],
)
def test_every_part_of_a_model_is_held_to_no_widgets(name: str, source: str, widgets: list[str]) -> None:
    assert is_model(Path("kit/ui/inspection") / name)
    assert widgets_imported(source) == widgets


def test_a_view_is_not_taken_for_a_model() -> None:
    assert not any(is_model(Path("kit/ui/inspection") / n) for n in ("view.py", "ledger.py", "parts.py", "models.py"))
