"""Declared lists (kit.listing): order, filters, search and pages, and each declaration against its rows."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import kit
from kit import assessments, corrections, db, excel, followups, inspections, listing, rankings, rectification
from kit.listing import Column, Filter, Listing, View
from kit.listing import page as listing_page

PEOPLE = Listing(
    columns=(
        Column("id", "编号", "number"),
        Column("name", "姓名"),
        Column("born", "出生日期", "date"),
        Column("unit", "单位", shown="unit_name"),
    ),
    sort="id",
    filters=(Filter("unit", "单位", shown="unit_name"),),
    search=("name", "unit_name"),
    page_size=2,
)
ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "张伟", "born": date(1970, 5, 1), "unit": 2, "unit_name": "乙县委"},
    {"id": 2, "name": "李娜", "born": None, "unit": 1, "unit_name": "甲县委"},
    {"id": 3, "name": "王五 Wang", "born": date(1965, 1, 9), "unit": 1, "unit_name": "甲县委"},
    {"id": 4, "name": "赵六", "born": date(1980, 12, 30), "unit": 3, "unit_name": "丙县委"},
    {"id": 5, "name": "孙敏", "born": date(1975, 3, 3), "unit": 2, "unit_name": "乙县委"},
]


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


def test_rows_come_in_the_declared_order_and_a_header_twice_reverses_it() -> None:
    view = View.first(PEOPLE)
    assert ids(listing.select(PEOPLE, ROWS, view)) == [1, 2, 3, 4, 5]
    by_birth = view.sorted_by("born")
    assert ids(listing.select(PEOPLE, ROWS, by_birth)) == [3, 1, 5, 4, 2]  # no date: last
    assert ids(listing.select(PEOPLE, ROWS, by_birth.sorted_by("born"))) == [4, 5, 1, 3, 2]  # still last
    by_unit = view.sorted_by("unit")  # sorts by the key, shows the name
    assert ids(listing.select(PEOPLE, ROWS, by_unit)) == [2, 3, 1, 5, 4]  # ties in id order


def test_filters_and_search_narrow_the_rows_and_go_back_to_the_first_page() -> None:
    view = View.first(PEOPLE).at(3)
    narrowed = view.filtered("unit", 1)
    assert narrowed.page == 1
    assert ids(listing.select(PEOPLE, ROWS, narrowed)) == [2, 3]
    assert ids(listing.select(PEOPLE, ROWS, narrowed.filtered("unit", None))) == [1, 2, 3, 4, 5]
    # every word must be found, in any searched field, whatever the case; full-width spaces split words
    assert ids(listing.select(PEOPLE, ROWS, View.first(PEOPLE).searched("wang　甲县"))) == [3]
    assert ids(listing.select(PEOPLE, ROWS, View.first(PEOPLE).searched("乙县委"))) == [1, 5]
    assert ids(listing.select(PEOPLE, ROWS, View.first(PEOPLE).searched("1970"))) == []  # born is not searched


def test_a_page_holds_at_most_page_size_rows_and_past_the_end_shows_the_last() -> None:
    first = listing.page(PEOPLE, ROWS, View.first(PEOPLE))
    assert (ids(first.rows), first.number, first.pages, first.matching, first.total) == ([1, 2], 1, 3, 5, 5)
    last = listing.page(PEOPLE, ROWS, View.first(PEOPLE).at(99))
    assert (ids(last.rows), last.number) == ([5], 3)
    none = listing.page(PEOPLE, ROWS, View.first(PEOPLE).searched("没有这个人"))
    assert (none.rows, none.number, none.pages, none.matching, none.total) == ([], 1, 1, 0, 5)


def test_a_filter_offers_the_values_its_rows_take_by_their_names() -> None:
    assert listing.options(PEOPLE, ROWS) == {"unit": [("丙县委", 3), ("乙县委", 2), ("甲县委", 1)]}


def test_a_declaration_that_names_no_column_to_sort_by_is_refused() -> None:
    with pytest.raises(ValueError, match="default sort"):
        Listing(columns=(Column("id", "编号"),), sort="name")
    with pytest.raises(ValueError, match="two columns"):
        Listing(columns=(Column("id", "编号"), Column("id", "号")), sort="id")
    with pytest.raises(ValueError, match="kind"):
        Column("id", "编号", "money")


# Each declared list, and how to read the rows it lists from the demo office.
DECLARED = {
    "rectification.ITEM_LIST": (rectification.ITEM_LIST, lambda con: rectification.list_items(con)),
    "inspections.FINDING_LIST": (inspections.FINDING_LIST, lambda con: inspections.list_findings(con)),
    "inspections.CLUE_LIST": (inspections.CLUE_LIST, lambda con: inspections.list_clues(con)),
    "rectification.OVERVIEW_LIST": (
        rectification.OVERVIEW_LIST,
        lambda con: rectification.overview(con, round_ids=[r["id"] for r in inspections.list_rounds(con)]),
    ),
    "rankings.RANKING_LIST": (
        rankings.RANKING_LIST,
        lambda con: [
            {**r, "grade_style": "ok"}  # added by the results app (whether the grade calls for follow-up)
            for r in rankings.ranking(con, scheme_id=assessments.list_schemes(con)[0]["id"], year=2023)
        ],
    ),
    "rectification.COPY_LIST": (
        rectification.COPY_LIST,
        lambda con: rectification.copies_for(con, person_id=rectification.leaders_in_charge(con)[0]["person_id"]),
    ),
    "inspections.FEEDBACK_LIST": (
        inspections.FEEDBACK_LIST,
        lambda con: inspections.list_feedbacks(con, round_id=inspections.list_rounds(con)[0]["id"]),
    ),
    "inspections.GROUP_LIST": (
        inspections.GROUP_LIST,
        lambda con: inspections.round_groups(con, round_id=inspections.list_rounds(con)[0]["id"]),
    ),
    "inspections.POOL_LIST": (inspections.POOL_LIST, lambda con: inspections.list_pool(con)),
    "rectification.HANDOVER_LIST": (rectification.HANDOVER_LIST, lambda con: rectification.list_handovers(con)),
    "rectification.PENDING_LIST": (
        rectification.PENDING_LIST,
        lambda con: rectification.list_items(con, statuses=["pending"]),
    ),
    # the demo holds a 录入员's request to correct a closed year's score sheet
    "corrections.REQUEST_LIST": (corrections.REQUEST_LIST, lambda con: corrections.pending_requests(con)),
    "assessments.SHEET_HISTORY_LIST": (
        assessments.SHEET_HISTORY_LIST,
        lambda con: assessments.describe_history(
            assessments.sheet_history(
                con, scheme_id=1, unit_id=rankings.ranking(con, scheme_id=1, year=2024)[0]["unit_id"], year=2024
            )
        ),
    ),
    "followups.FOLLOWUP_LIST": (
        followups.FOLLOWUP_LIST,
        lambda con: followups.list_followups(con, year=2023, statuses=("open", "done")),
    ),
    "inspections.OUTCOME_LIST": (
        inspections.OUTCOME_LIST,
        lambda con: next(c["outcomes"] for c in inspections.list_clues(con) if c["outcomes"]),
    ),
    "rectification.HISTORY_LIST": (
        rectification.HISTORY_LIST,
        lambda con: next(
            steps
            for steps in (rectification.item_history(con, item_id=i["id"]) for i in rectification.list_items(con))
            if any(s["files"] for s in steps)
        ),
    ),
    # the demo's waiting request is a correction of a score sheet: that sheet's record
    "corrections.CORRECTION_LIST": (
        corrections.CORRECTION_LIST,
        lambda con: next(
            corrections.corrections_of(con, table=r["record_table"], record_id=r["record_id"])
            for r in corrections.pending_requests(con)
        ),
    ),
    # an import of two broken rows into the demo office (all or nothing: nothing is written)
    "excel.ERROR_LIST": (
        excel.ERROR_LIST,
        lambda con: excel.error_rows(
            excel.import_rows(con, "findings", [{"unit": "没有这个单位", "category": "没有这个类别"}, {}]).errors
        ),
    ),
}


def test_every_list_declared_in_kit_is_checked_here() -> None:
    found = set()
    for module in pkgutil.walk_packages(kit.__path__, "kit."):
        if module.name.startswith(("kit.ui", "kit.share", "kit.voila_auth")):
            continue
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, Listing):
                found.add(id(value))
    assert found == {id(declared) for declared, _read in DECLARED.values()}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_key_a_declaration_names_is_in_the_rows_it_lists(name: str, demo_db: Path) -> None:
    declared, read = DECLARED[name]
    with db.read(demo_db) as con:
        rows = read(con)
    assert rows, "the demo office lists nothing: the check would prove nothing"
    named = {declared.key, *declared.search}
    for column in declared.columns:
        named |= {column.key, column.shown or column.key, column.css or column.key}
    for choice in declared.filters:
        named |= {choice.key, choice.shown or choice.key}
    missing = named - set(rows[0])
    assert not missing, f"{name} names keys its rows do not have: {sorted(missing)}"
    assert all(listing.options(declared, rows).values()), "a filter with nothing to choose"


def test_the_ledger_sorted_by_its_warning_puts_the_most_overdue_first_and_closed_items_last(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        rows = rectification.list_items(con, include_voided=True)
    listing = rectification.ITEM_LIST
    shown = listing_page(replace(listing, page_size=len(rows)), rows, View(sort="urgency", descending=True)).rows
    rank = {"overdue": 0, "due_today": 1, "due_soon": 2, "ok": 3, "closed": 4, "voided": 5}
    order = [rank[r["flag"]] for r in shown]
    assert order == sorted(order)
    assert {"overdue", "closed", "ok"} <= {r["flag"] for r in shown}  # the demo holds each kind
    overdue = [r["days_over"] for r in shown if r["flag"] == "overdue"]
    assert overdue == sorted(overdue, reverse=True)
    first = shown[0]  # the column says how late, the item's page which reminder was passed too
    assert first["flag_short"] == f"逾期 {first['days_over']} 天"
    assert first["flag_label"].startswith("逾期满")
