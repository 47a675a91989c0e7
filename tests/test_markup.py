"""HTML is built one way only (kit.markup), and hostile text in any field the apps show stays text.

Two halves: the source of `kit/` is read to keep every other way of building HTML out,
and every app and report is rendered from a demo office (its real sizes) in which every
free-text field (unit, person, scheme, grade label, indicator, category, finding, measure,
note, file name, user's name…) starts with a payload that would run script if it were not
escaped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest

import kit
from kit import db
from kit.markup import Markup, html, join, svg, text
from kit.reports import assessment as assessment_report
from kit.reports import inspection as inspection_report
from kit.ui import app, inspection, results, rounds, score_entry
from kit.ui.inspection import InspectionView
from kit.ui.inspection.findings import clue_html
from kit.ui.widgets import Html
from tests import hostile
from tests.hostile import HOSTILE, MARK

KIT = Path(kit.__file__).parent
# Tags and attributes that only hostile text could have put into a page of ours.
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "foreignobject", "base", "form", "link"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def inert(page: str, where: str) -> str:
    """The page's text, once shown to hold no tag or attribute that hostile text could have made."""
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.bad == [], f"{where}: hostile text became markup: {parser.bad[:5]}"
    assert "</script>`" not in page, f"{where}: the payload is in the page unescaped"
    assert "<img src=x" not in page, f"{where}: the payload is in the page unescaped"
    return "".join(parser.text)


# --- the source of kit/ ----------------------------------------------------------------


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(KIT.rglob("*.py")):
        yield path.relative_to(KIT.parent).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def forbidden(name: str, tree: ast.Module) -> list[str]:
    """Each way of building HTML other than kit.markup's in one module's source."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "html" for a in node.names):
            found.append(f"{name}:{node.lineno}: import html (use kit.markup)")
        elif isinstance(node, ast.ImportFrom) and node.module in ("html", "markupsafe") and name != "kit/markup.py":
            found.append(f"{name}:{node.lineno}: from {node.module} import … (use kit.markup)")
        elif isinstance(node, ast.ImportFrom) and node.module == "ipywidgets":
            if any(a.name in ("HTML", "HTMLMath") for a in node.names):
                found.append(f"{name}:{node.lineno}: ipywidgets' own HTML widget (use kit.ui.widgets.Html)")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("HTML", "HTMLMath") and name != "kit/ui/widgets.py":
                found.append(f"{name}:{node.lineno}: {called}(…) (use kit.ui.widgets.Html)")
            elif called == "Markup" and name != "kit/markup.py":
                found.append(f"{name}:{node.lineno}: Markup(…) trusts its argument (use kit.markup.html)")
            elif called == "html" and isinstance(func, ast.Name):
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append(f"{name}:{node.lineno}: html(…)'s template must be a literal, values go in fields")
            for keyword in node.keywords:
                if keyword.arg == "description_allow_html":
                    found.append(f"{name}:{node.lineno}: description_allow_html")
    return found


def test_no_other_way_of_building_html_in_kit() -> None:
    assert [hit for name, tree in _modules() for hit in forbidden(name, tree)] == []


@pytest.mark.parametrize(
    "source",
    [
        "import html\n",
        "from markupsafe import Markup\n",
        "from ipywidgets import HTML\n",
        "import ipywidgets as w\nw.HTML('<b>x</b>')\n",
        "Markup(value)\n",
        "from kit.markup import html\nhtml(f'<b>{value}</b>')\n",
        "from kit.markup import html\nhtml('<b>' + value + '</b>')\n",
        "w.Label('x', description_allow_html=True)\n",
    ],
)
def test_the_source_check_finds_each_form_it_forbids(source: str) -> None:
    assert len(forbidden("kit/ui/planted.py", ast.parse(source))) == 1


def test_the_report_templates_escape_everything() -> None:
    for template in sorted((KIT / "reports" / "templates").glob("*.j2")):
        source = template.read_text(encoding="utf-8")
        assert "|safe" not in source.replace(" ", ""), template.name
        assert "autoescape false" not in source, template.name
    from kit.reports import _ENV

    assert _ENV.autoescape("x.html.j2") is True


# --- the helper and the widget -----------------------------------------------------------


def test_html_escapes_every_value_in_every_context() -> None:
    page = html("<a title=\"{}\" data-x='{}'>{}</a>{}", HOSTILE, HOSTILE, HOSTILE, 3)
    assert isinstance(page, Markup)
    text_of = inert(page, "html()")
    assert text_of == HOSTILE + "3"  # shown exactly as typed
    assert page.count("&lt;img") == 3
    assert "&#34;" in page
    assert "&#39;" in page


def test_html_keeps_markup_built_with_it_and_join_escapes_the_rest() -> None:
    inner = html("<b>{}</b>", "<i>")
    assert html("<p>{}</p>", inner) == "<p><b>&lt;i&gt;</b></p>"
    assert join([inner, "<u>"], "、") == "<b>&lt;i&gt;</b>、&lt;u&gt;"
    assert text("a&b") == "a&amp;b"
    assert html("<style>.a { color: red; }</style>") == "<style>.a { color: red; }</style>"


def test_the_widget_shows_plain_text_as_text() -> None:
    widget = Html("<b>x</b>")
    assert widget.value == "&lt;b&gt;x&lt;/b&gt;"
    widget.value = html("<b>{}</b>", HOSTILE)
    assert widget.value.startswith("<b>")
    assert "<img" not in widget.value
    widget.value = HOSTILE
    inert(widget.value, "Html.value")


def test_a_clues_detail_shows_hostile_text_as_text() -> None:
    """The clue opened from its row (a list the app visit below may not reach)."""
    clue = {
        "id": 1,
        "state": "voided",
        "unit_name": HOSTILE,
        "receiver_label": "纪委监委",
        "transferred_on": date(2025, 5, 1),
        "steps": HOSTILE,
        "description": HOSTILE,
        "note": HOSTILE,
    }
    shown = inert(str(clue_html(clue)), "clue_html")
    assert shown.count(MARK + "<img") == 4


@pytest.mark.parametrize(
    "document",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>x</div></foreignObject></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.org/x.png"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://example.org/a)"/></svg>',
        "<div>not a chart</div>",
        "<svg><unclosed>",
    ],
)
def test_a_chart_that_could_run_or_fetch_anything_is_refused(document: str) -> None:
    with pytest.raises(ValueError, match="SVG"):
        svg(document)


def test_charts_with_hostile_labels_are_inert_and_hold_no_url() -> None:
    from kit import charts

    chart = charts.to_svg(charts.grade_distribution([{"grade": HOSTILE, "units": 2}, {"grade": "良好", "units": 1}]))
    assert isinstance(chart, Markup)
    assert "http" not in chart
    assert svg(str(chart)) == chart  # a chart that came back as text is accepted again
    inert(chart, "grade chart")


# --- every app and report on a hostile office ----------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "kit.duckdb"
    hostile.build(path)
    return path


def _pages(widget: w.Widget) -> Iterator[str]:
    if isinstance(widget, w.HTML):
        yield str(widget.value)
    for child in getattr(widget, "children", ()):
        yield from _pages(child)


def _pickers(widget: w.Widget) -> Iterator[w.Dropdown]:
    if isinstance(widget, w.Dropdown | w.Select):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _pickers(child)


def _openers(widget: w.Widget) -> Iterator[w.Button]:
    """The 查看 buttons of listed rows (kit.ui.table), which open a record's details."""
    if isinstance(widget, w.Button) and widget.description == "查看":
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _openers(child)


def _visit(box: w.Widget, where: str) -> str:
    """Every HTML the app shows now, after opening the first rows of each list, and after
    picking each of the first few options of each picker."""
    shown = [inert(page, where) for page in _pages(box)]
    for opener in list(_openers(box))[:4]:
        opener.click()
        shown += [inert(page, f"{where} after opening a row") for page in _pages(box)]
    for picker in list(_pickers(box)):
        for value in [v for v in _options(picker) if v is not None][:4]:
            try:
                picker.value = value
            except Exception:  # a picker may refuse a choice its form no longer offers
                continue
            shown += [inert(page, f"{where} after picking {picker.description}") for page in _pages(box)]
    return "".join(shown)


def _options(picker: w.Dropdown) -> list[Any]:
    return [o[1] if isinstance(o, tuple) else o for o in picker.options]


APPS = {
    "score_entry": lambda path: score_entry.ScoreEntryView(score_entry.ScoreEntryModel(path)),
    "results": lambda path: results.ResultsView(results.ResultsModel(path)),
    "rounds": lambda path: rounds.RoundsView(rounds.RoundsModel(path)),
    "inspection": lambda path: InspectionView(inspection.InspectionModel(path)),
}


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_app_shows_hostile_text_as_text(name: str, hostile_db: Path) -> None:
    view = APPS[name](hostile_db)
    prepare = getattr(view, "prepare", None)
    load = view.load if hasattr(view, "load") else view.model.load
    app.start(load, view.status, prepare=prepare)
    assert str(view.status.value) == "", view.status.value  # loaded without an error
    shown = _visit(view.box, name)
    assert MARK + "<img" in shown, f"{name}: no hostile field was shown at all (the test would prove nothing)"


def test_every_report_shows_hostile_text_as_text(hostile_db: Path) -> None:
    with db.read(hostile_db) as con:
        year = int(con.scalar("SELECT max(year) FROM score_sheets"))
        round_ids = [int(r[0]) for r in con.all("SELECT id FROM inspection_rounds ORDER BY id")]
        pages = {
            "assessment": assessment_report.build(con, year=year),
            "round": inspection_report.round_report(con, round_ids=round_ids),
            "notice": inspection_report.notice(con, round_id=round_ids[0]),
        }
    for where, page in pages.items():
        assert MARK + "<img" in inert(page, where), f"{where}: no hostile field was shown at all"
