"""Roles and scopes: every public function of kit refuses a user it must refuse.

The table below lists each public function of the modules that read or write an
office's records. `test_every_public_function_is_in_the_table` fails when a new
function appears without an entry, so no function can ship without its check.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kit import (
    access,
    analysis,
    appointments,
    assessments,
    audit,
    backup,
    closings,
    corrections,
    db,
    demo,
    door,
    excel,
    extract,
    followups,
    identity,
    inspections,
    integrity,
    rankings,
    rectification,
    registry,
    schemes,
    trace,
    users,
)
from kit.errors import InvalidInput, NotFound, PermissionDenied
from kit.reports import assessment as assessment_report
from kit.reports import inspection as inspection_report
from kit.service import server
from tests.conftest import SMALL_BANDS, SMALL_INDICATORS, build_inspection, build_office, copy_database, save


def _area(package: ModuleType) -> list[ModuleType]:
    """The modules of an area package (a new module is in the table the moment it exists)."""
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if m.name != "__main__"]  # a command, not an API
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


MODULES: list[ModuleType] = [
    access,
    appointments,
    analysis,
    assessments,
    backup,
    closings,
    *_area(corrections),
    demo,
    *_area(excel),
    extract,
    followups,
    *_area(inspections),
    integrity,
    rankings,
    *_area(rectification),
    *_area(registry),
    schemes,
    trace,
    users,
    audit,
    assessment_report,
    inspection_report,
]

# Functions that hold no office data of their own, with the reason.
EXEMPT = {
    "access.require": "the check itself",
    "access.require_all_units": "the check itself",
    "access.visible_units": "the check itself (asks require)",
    "access.scope_sql": "the check itself (asks require)",
    "assessments.check_sheet": "validates values given to it, reads nothing",
    "assessments.assessment_day": "date arithmetic",
    "assessments.sheet_key": "formats a key from values given to it",
    "followups.follow_grade": "changes follow-ups inside a checked write of their sheet",
    "assessments.describe_history": "formats trace entries given to it (read by sheet_history, which checks)",
    "inspections.clues.check_clue": "validates values only: reads nothing",
    "inspections.groups.check_group": "validates values only: reads nothing",
    "inspections.groups.check_member": "validates values only: reads nothing",
    "inspections.groups.check_target": "validates values only: reads nothing",
    "inspections.rounds.check_pool": "validates values only: reads nothing",
    "rectification.evaluation.check_evaluation": "validates values only: reads nothing",
    "assessments.write_sheet": "writes a sheet checked by save_sheet or by an approved correction",
    "assessments.void_written": "voids a sheet checked by corrections.void_sheet or by an approved request",
    "corrections.items.apply_request": "applies a request inside corrections.review, which checks the reviewer",
    "corrections.sheets.apply_request": "applies a request inside corrections.review, which checks the reviewer",
    "backup.table_digests": "returns hashes only, used inside checked functions",
    "backup.manifest_path": "a file name",
    "backup.generations": "lists backup files (the files themselves are checked by verify/restore)",
    "backup.prune": "deletes old backup files in a folder the caller names",
    "demo.build": "creates a new demo file, refuses one with data",
    "trace.record": "appends to the trace inside checked functions",
    "trace.record_many": "appends to the trace inside checked functions",
    "trace.insert_many": "inserts and traces rows inside checked functions",
    "trace.reserve_ids": "takes ids from a sequence inside checked functions",
    "trace.batch": "prepares rows given to it, reads nothing",
    "trace.insert_batch": "inserts and traces a prepared batch inside checked functions",
    "inspections.findings.findings_batch": "prepares rows given to it, reads nothing",
    "inspections.findings.store_findings": "writes a batch kit prepared (checked per unit; never through the door)",
    "rectification.items.items_batch": "prepares rows given to it, reads nothing",
    "rectification.items.store_items": "writes a batch kit prepared (checked per unit; never through the door)",
    "trace.row_hash": "hash arithmetic",
    "trace.to_json": "formatting",
    "users.state": "a user's row, read inside checked functions",
    "users.clean_name": "validates a name given to it, reads nothing",
    "users.record": "appends to the trace inside checked functions",
    "users.insert_scope": "inserts a scope row inside checked functions",
    "users.first_admin": "only in a file without users: run when a file is set up, and by access.bootstrap",
    "reports.assessment.band_text": "formats a scheme given to it",
    "reports.assessment.filename": "a file name",
    "excel.reading.read_workbook": "parses the bytes given to it, reads no database",
    "excel.exporting.export_rows": "formats rows given to it (read by checked functions)",
    "reports.inspection.round_filename": "a file name",
    "reports.inspection.notice_filename": "a file name",
    "trace.state": "reads one record for the trace inside checked functions",
    "inspections.common.traced": "appends to the trace inside checked functions",
    "inspections.common.require_round_admin": "the check itself (asks require_all_units)",
    "inspections.common.person_name": "a person's name, read inside checked functions",
    "inspections.rounds.live_round": "a round's row, read inside checked functions",
    "inspections.findings.finding_unit": "a finding's unit, read inside checked functions (which check that unit)",
    "inspections.findings.read_finding_context": "what a finding is checked against, read inside checked functions",
    "inspections.clues.check_outcome": "validates values only: reads nothing",
    "inspections.clues.check_outcome_on_clue": "reads the clue's rules inside checked functions",
    "inspections.clues.check_clue_on_finding": "reads the finding's rules inside checked functions",
    "inspections.clues.clue_unit": "a clue's unit, read inside checked functions (which check that unit)",
    "inspections.feedback.check_feedback": "validates values only: reads nothing",
    "inspections.feedback.check_feedback_in_round": "reads the round's rules inside checked functions",
    "inspections.findings.check_finding": "validates values against a context read by a checked function",
    "corrections.common.reason_text": "validates a reason given to it, reads nothing",
    "corrections.common.shown_value": "formatting",
    "corrections.common.log_correction": "writes a correction's row inside checked functions",
    "corrections.common.update_record": "changes a record inside checked functions",
    "corrections.common.asked_reason": "validates values given to it, reads nothing",
    "corrections.common.differences": "compares values given to it",
    "corrections.common.shown_changes": "formatting",
    "corrections.common.apply_correction": "changes a record and logs it inside checked functions",
    "corrections.common.apply_void": "voids a record and logs it inside checked functions",
    "excel.common.read_labels": "a declaration's labels",
    "excel.common.reference_labels": "a declaration's labels",
    "excel.common.required_keys": "a declaration's required keys",
    "excel.common.fields_of": "a declaration's labels (refuses an unknown kind)",
    "excel.common.error_rows": "an import's row errors given to it, as the rows of their list",
    "excel.exporting.formula_like": "a test on a value given to it",
    "excel.templates.template_columns": "a declaration's column headers",
    "excel.templates.column_label": "a declaration's column header",
    "excel.templates.write_blank": "writes the templates without any office data to a folder the caller names",
    "rectification.common.traced": "appends to the trace inside checked functions",
    "rectification.common.traced_state": "reads one record for the trace inside checked functions",
    "rectification.items.live_item": "an item's row, read inside checked functions (which check its unit)",
    "rectification.items.refuse_voided": "checks a row given to it, reads nothing",
    "rectification.items.read_item_context": "what an item is checked against, read inside checked functions",
    "rectification.progress.add_update": "writes an update inside checked functions",
    "rectification.progress.set_item": "changes an item inside checked functions",
    "rectification.progress.check_progress": "validates values only: reads nothing",
    "rectification.progress.check_extension": "validates values only: reads nothing",
    "rectification.progress.check_new_deadline": "compares dates given to it with today: reads nothing",
    "rectification.items.check_item": "validates values against a context read by a checked function",
    "inspections.rounds.check_round": "validates values only: reads nothing",
    "registry.units.check_unit": "validates values only: reads nothing",
    "schemes.sheet_record": "declares a scheme's sheet from the scheme given to it: reads nothing",
    "registry.people.check_person": "validates values only: reads nothing",
    "registry.tenures.check_tenure": "validates values only: reads nothing",
    "rectification.deadlines.add_months": "date arithmetic",
    "rectification.deadlines.deadline_flag": "date arithmetic",
    "rectification.evaluation.grade_for": "arithmetic",
}


@dataclass
class World:
    path: Path
    office: dict[str, Any]
    followup_b: int
    tenure_b: int
    scope_b: int
    backup_file: Path
    insp: dict[str, Any]


FINDING_B = {
    "round_id": None,
    "unit_id": 0,
    "stage": "inspection",
    "category_id": 1,
    "description": "乙县问题",
    "severity": "general",
    "involves_top": False,
    "source": "daily",
}


@dataclass(frozen=True)
class Case:
    """How one function is called on unit B, by whom that must fail, and what failing means.

    `who` is refused (PermissionDenied) — or, for functions that return many units'
    data, answered without unit B (`filtered` returns True when B is absent).
    """

    call: Callable[[Any, World], Any]
    who: str = "scoped"
    writes: bool = False
    filtered: Callable[[Any], bool] | None = None
    by_path: bool = False
    traced: bool = True  # whether the refusal lands in the live file's trace


def _no_b(result: Any) -> bool:
    return "乙县委" not in str(result) and "'B'" not in str(result)


def _xlsx_no_b(data: bytes) -> bool:
    """No cell of any sheet of the workbook names unit B."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row]
    return _no_b(cells)


FINDING_ROW_B = {
    "_row": 2,
    "round": "2024-1",
    "unit": "B",
    "category": "三资管理不规范",
    "description": "乙县问题",
    "severity": "一般",
    "involves_top": "否",
    "source": "巡察",
    "found_on": "2024-04-02",
}


def _units_total(rows: list[dict[str, Any]]) -> bool:
    return sum(int(r["units"]) for r in rows) == 1


CASES: dict[str, Case] = {
    # registry
    "registry.units.add_unit": Case(
        lambda con, w: registry.add_unit(con, code="X", name="某镇", kind="township", parent_id=w.office["b"]),
        writes=True,
    ),
    "registry.units.get_unit": Case(lambda con, w: registry.get_unit(con, w.office["b"])),
    "registry.units.unit_id": Case(lambda con, w: registry.unit_id(con, "B")),
    "registry.units.list_units": Case(lambda con, w: registry.list_units(con), filtered=_no_b),
    "registry.people.add_person": Case(lambda con, w: registry.add_person(con, name="某人"), who="clerk", writes=True),
    "registry.people.list_people": Case(lambda con, w: registry.list_people(con), who="stranger"),
    "registry.tenures.start_tenure": Case(
        lambda con, w: registry.start_tenure(
            con,
            person_id=w.office["people"]["b2"],
            unit_id=w.office["b"],
            post="副县长",
            role="member",
            start="2024-01-01",
        ),
        writes=True,
    ),
    "registry.tenures.end_tenure": Case(
        lambda con, w: registry.end_tenure(con, tenure_id=w.tenure_b, end="2024-06-30"), writes=True
    ),
    "appointments.change_leader": Case(
        lambda con, w: appointments.change_leader(
            con,
            unit_id=w.office["b"],
            role="principal",
            person_id=w.office["people"]["a2"],
            post="县委书记",
            on="2024-07-01",
        ),
        writes=True,
    ),
    "registry.tenures.top_leader_at": Case(lambda con, w: registry.top_leader_at(con, w.office["b"], date(2024, 1, 1))),
    "registry.tenures.principal_leaders_at": Case(
        lambda con, w: registry.principal_leaders_at(con, w.office["b"], date(2024, 1, 1))
    ),
    "registry.tenures.leadership_at": Case(lambda con, w: registry.leadership_at(con, w.office["b"], date(2024, 1, 1))),
    "registry.tenures.principal_changes": Case(
        lambda con, w: registry.principal_changes(con, w.office["b"], date(2020, 1, 1), date(2025, 1, 1))
    ),
    # schemes (their grade labels are shown to every office: only an all-units administrator adds one)
    "schemes.add_scheme": Case(
        lambda con, w: schemes.add_scheme(
            con,
            code="S2",
            name="另一方案",
            scoring="points",
            unit_kinds=["county"],
            indicators=SMALL_INDICATORS,
            bands=SMALL_BANDS,
        ),
        who="scoped",  # an administrator of county A only
        writes=True,
    ),
    "schemes.get_scheme": Case(lambda con, w: schemes.get_scheme(con, w.office["scheme"]), who="stranger"),
    "schemes.list_schemes": Case(lambda con, w: schemes.list_schemes(con), who="stranger"),
    # assessments
    "assessments.load_sheet": Case(
        lambda con, w: assessments.load_sheet(con, scheme_id=w.office["scheme"], unit_id=w.office["b"], year=2024)
    ),
    "assessments.save_sheet": Case(
        lambda con, w: assessments.save_sheet(
            con,
            scheme_id=w.office["scheme"],
            unit_id=w.office["b"],
            year=2024,
            scores=dict(zip(w.office["indicators"], (40, 30, 30), strict=True)),
        ),
        writes=True,
    ),
    "assessments.sheet_history": Case(
        lambda con, w: assessments.sheet_history(con, scheme_id=w.office["scheme"], unit_id=w.office["b"], year=2024)
    ),
    # closing a year covers every unit of the scheme: only a 审核员 of all units closes one
    "closings.close_year": Case(
        lambda con, w: closings.close_year(con, scheme_id=w.office["scheme"], year=2024), writes=True
    ),
    "closings.closing": Case(
        lambda con, w: closings.closing(con, scheme_id=w.office["scheme"], year=2024), who="stranger"
    ),
    # follow-ups
    "followups.sync_for_sheet": Case(
        lambda con, w: followups.sync_for_sheet(
            con,
            sheet_id=1,
            sheet_key="S/B/2024",
            unit=registry.get_unit(con, w.office["b"]),
            triggered=False,
            on=date(2024, 12, 31),
        ),
        writes=True,
    ),
    "followups.list_followups": Case(
        lambda con, w: followups.list_followups(con, year=2024), filtered=lambda rows: rows == []
    ),
    "followups.complete": Case(
        lambda con, w: followups.complete(con, followup_id=w.followup_b, note="已谈话"), writes=True
    ),
    "followups.stats": Case(
        lambda con, w: followups.stats(con, year=2024), filtered=lambda s: s == {"units": 0, "leaders": 0}
    ),
    # rankings
    "rankings.ranking": Case(
        lambda con, w: rankings.ranking(con, scheme_id=w.office["scheme"], year=2024),
        filtered=lambda rows: [r["unit_code"] for r in rows] == ["A"],
    ),
    "rankings.grade_distribution": Case(
        lambda con, w: rankings.grade_distribution(con, scheme_id=w.office["scheme"], year=2024),
        filtered=_units_total,
    ),
    "rankings.coverage": Case(
        lambda con, w: rankings.coverage(con, scheme_id=w.office["scheme"], year=2025),
        filtered=lambda c: c["expected"] == 1 and [u["code"] for u in c["missing"]] == ["A"],
    ),
    "rankings.years": Case(lambda con, w: rankings.years(con, today=date(2025, 1, 1)), who="stranger"),
    "rankings.scored_units": Case(
        lambda con, w: rankings.scored_units(con, scheme_id=w.office["scheme"], year=2024),
        filtered=lambda units: len(units) == 1,
    ),
    "rankings.latest_year": Case(lambda con, w: rankings.latest_year(con), who="stranger"),
    # analysts' helpers (open the file themselves)
    "analysis.query": Case(lambda path, w: analysis.query("SELECT * FROM units", db_path=path), by_path=True),
    "analysis.sheets": Case(
        lambda path, w: analysis.sheets(year=2024, db_path=path),
        filtered=lambda frame: list(frame["unit_code"]) == ["A"],
        by_path=True,
    ),
    "analysis.followups_of": Case(
        lambda path, w: analysis.followups_of(year=2024, db_path=path),
        filtered=lambda frame: frame.empty,
        by_path=True,
    ),
    "analysis.findings": Case(
        lambda path, w: analysis.findings(rounds=["2024-1"], db_path=path),
        filtered=lambda frame: set(frame["unit_code"]) == {"A"},
        by_path=True,
    ),
    "analysis.ledger": Case(
        lambda path, w: analysis.ledger(db_path=path),
        filtered=lambda frame: set(frame["unit_code"]) == {"A"},
        by_path=True,
    ),
    "analysis.ranking": Case(
        lambda path, w: analysis.ranking(scheme_code="S", year=2024, db_path=path),
        filtered=lambda frame: list(frame["unit_code"]) == ["A"],
        by_path=True,
    ),
    # reports
    "reports.assessment.section": Case(
        lambda con, w: assessment_report.section(con, scheme_id=w.office["scheme"], year=2024),
        filtered=lambda s: [r["unit_code"] for r in s["ranking"]] == ["A"] and s["followups"] == [],
    ),
    "reports.assessment.build": Case(lambda con, w: assessment_report.build(con, year=2024), filtered=_no_b),
    "reports.assessment.page": Case(
        lambda con, w: assessment_report.page(con, year=2024, sections=[], one_scheme=False), who="stranger"
    ),
    "reports.inspection.round_report": Case(
        lambda con, w: inspection_report.round_report(con, round_ids=[w.insp["round"]]), filtered=_no_b
    ),
    "reports.inspection.notice": Case(
        lambda con, w: inspection_report.notice(con, round_id=w.insp["round"]), filtered=_no_b
    ),
    # Excel (row errors name units out of scope; the role is checked first)
    "excel.templates.template": Case(
        lambda con, w: excel.template("rectification", con=con, round_id=w.insp["round"]), filtered=_xlsx_no_b
    ),
    "excel.importing.import_rows": Case(
        lambda con, w: excel.import_rows(con, "findings", [FINDING_ROW_B]), who="reader", writes=True
    ),
    "excel.importing.import_parsed": Case(
        lambda path, w: excel.import_parsed([FINDING_ROW_B], "findings", path=path), who="reader", by_path=True
    ),
    "excel.importing.import_file": Case(
        lambda path, w: excel.import_file(
            excel.export_rows([FINDING_ROW_B], inspections.FINDING.labels),
            "findings",
            path=path,
        ),
        who="reader",
        by_path=True,
    ),
    "excel.exporting.export": Case(
        lambda con, w: excel.export(con, "rectification", round_ids=[w.insp["round"]]), filtered=_xlsx_no_b
    ),
    # trace
    "audit.verify": Case(lambda con, w: audit.verify(con)),
    "audit.history": Case(lambda con, w: audit.history(con, table="units", key="B")),
    # access administration
    "access.user": Case(lambda con, w: access.user(con), who="stranger"),
    "access.bootstrap": Case(lambda con, w: access.bootstrap(con, "新人"), writes=True),
    "access.add_user": Case(lambda con, w: access.add_user(con, name="新人"), who="clerk", writes=True),
    "access.set_active": Case(
        lambda con, w: access.set_active(con, name="reader", active=False), who="clerk", writes=True
    ),
    "access.grant_role": Case(
        lambda con, w: access.grant_role(con, name="reader", role="admin"), who="clerk", writes=True
    ),
    "access.revoke_role": Case(
        lambda con, w: access.revoke_role(con, name="reader", role="analyst"), who="clerk", writes=True
    ),
    "access.grant_scope": Case(
        lambda con, w: access.grant_scope(con, name="clerk", kind="unit", unit_id=w.office["b"]), writes=True
    ),
    "access.revoke_scope": Case(lambda con, w: access.revoke_scope(con, scope_id=w.scope_b), writes=True),
    "access.list_users": Case(lambda con, w: access.list_users(con), who="clerk"),
    "access.who_can_see": Case(lambda con, w: access.who_can_see(con, unit_id=w.office["b"])),
    # extracts (of one user's scope, made by an administrator of all units)
    "extract.scope_of": Case(lambda con, w: extract.scope_of(con, "reader")),
    "extract.note": Case(
        lambda con, w: extract.note(con, name="reader", file="x.duckdb", sha256="0" * 64, trace_seq=1, rows={}),
        writes=True,
    ),
    "extract.extract": Case(
        lambda path, w: extract.extract("reader", path.parent / "reader.duckdb", db_path=path), by_path=True
    ),
    # integrity and backups
    # inspections (rounds, groups and pools belong to the 巡察办: 录入员 over all units)
    "inspections.rounds.add_to_pool": Case(
        lambda con, w: inspections.add_to_pool(con, person_id=w.office["people"]["a2"], pool="liaison"), writes=True
    ),
    "inspections.rounds.remove_from_pool": Case(
        lambda con, w: inspections.remove_from_pool(con, person_id=w.insp["chief"], pool="leader"), writes=True
    ),
    "inspections.rounds.list_pool": Case(lambda con, w: inspections.list_pool(con), who="stranger"),
    "inspections.rounds.add_round": Case(
        lambda con, w: inspections.add_round(
            con, code="X", name="某轮", kind="regular", start="2024-01-01", end="2024-02-01"
        ),
        writes=True,
    ),
    "inspections.rounds.get_round": Case(lambda con, w: inspections.get_round(con, w.insp["round"]), who="stranger"),
    "inspections.rounds.round_id": Case(lambda con, w: inspections.round_id(con, "2024-1"), who="stranger"),
    "inspections.rounds.list_rounds": Case(lambda con, w: inspections.list_rounds(con), who="stranger"),
    "inspections.groups.add_group": Case(
        lambda con, w: inspections.add_group(con, round_id=w.insp["round"], name="第九巡察组"), writes=True
    ),
    "inspections.groups.recusal_conflicts": Case(
        lambda con, w: inspections.recusal_conflicts(con, person_ids=[w.insp["chief"]], unit_ids=[w.office["b"]])
    ),
    "inspections.groups.add_member": Case(
        lambda con, w: inspections.add_member(
            con, group_id=w.insp["group"], person_id=w.office["people"]["a2"], role="member"
        ),
        writes=True,
    ),
    "inspections.groups.assign_unit": Case(
        lambda con, w: inspections.assign_unit(con, group_id=w.insp["group"], unit_id=w.office["root"]), writes=True
    ),
    "inspections.groups.round_groups": Case(
        lambda con, w: inspections.round_groups(con, round_id=w.insp["round"]), filtered=_no_b
    ),
    "inspections.groups.grant_group_scope": Case(
        lambda con, w: inspections.grant_group_scope(con, group_id=w.insp["group"], user_name="clerk"),
        who="clerk",
        writes=True,
    ),
    "inspections.categories.add_category": Case(
        lambda con, w: inspections.add_category(con, name="新类别", area="politics"), who="clerk", writes=True
    ),
    "inspections.categories.list_categories": Case(lambda con, w: inspections.list_categories(con), who="stranger"),
    "inspections.findings.finding_context": Case(lambda con, w: inspections.finding_context(con), who="stranger"),
    "inspections.findings.add_findings": Case(
        lambda con, w: inspections.add_findings(
            con,
            [{**FINDING_B, "unit_id": w.office["b"], "category_id": w.insp["category"], "found_on": date(2024, 4, 2)}],
        ),
        writes=True,
    ),
    "inspections.findings.add_finding": Case(
        lambda con, w: inspections.add_finding(
            con,
            round="2024-1",
            unit="B",
            category="三资管理不规范",
            description="乙县问题",
            severity="一般",
            involves_top="否",
            source="巡察",
            found_on="2024-04-02",
        ),
        writes=True,
    ),
    "inspections.findings.list_findings": Case(lambda con, w: inspections.list_findings(con), filtered=_no_b),
    "inspections.findings.top_leader_when_found": Case(
        lambda con, w: inspections.top_leader_when_found(con, finding_id=w.insp["findings"]["b"])
    ),
    "inspections.clues.transfer_clue": Case(
        lambda con, w: inspections.transfer_clue(
            con, finding_id=w.insp["extra_finding_b"], receiver="commission", transferred_on="2024-05-01"
        ),
        writes=True,
    ),
    "inspections.clues.record_outcome": Case(
        lambda con, w: inspections.record_outcome(
            con, clue_id=w.insp["clue_b"], outcome="初核", decided_on="2024-06-01"
        ),
        writes=True,
    ),
    "inspections.clues.list_clues": Case(lambda con, w: inspections.list_clues(con), filtered=_no_b),
    "inspections.feedback.record_feedback": Case(
        lambda con, w: inspections.record_feedback(
            con,
            round_id=w.insp["round"],
            unit_id=w.office["b"],
            mode="one_on_one",
            held_on="2024-06-11",
            leader_id=w.insp["in_charge"],
        ),
        writes=True,
    ),
    "inspections.feedback.list_feedbacks": Case(
        lambda con, w: inspections.list_feedbacks(con, round_id=w.insp["round"]), filtered=_no_b
    ),
    "inspections.stats.stats": Case(
        lambda con, w: inspections.stats(con, round_ids=[w.insp["round"]]), filtered=lambda s: s["units"] == 1
    ),
    "inspections.stats.common_problems": Case(
        lambda con, w: inspections.common_problems(con, round_ids=[w.insp["round"]], min_units=1), filtered=_no_b
    ),
    "inspections.stats.assignment_sheets": Case(
        lambda con, w: inspections.assignment_sheets(con, round_ids=[w.insp["round"]], min_units=1), filtered=_no_b
    ),
    # rectification
    "rectification.deadlines.reminder_offsets": Case(
        lambda con, w: rectification.reminder_offsets(con), who="stranger"
    ),
    "rectification.deadlines.set_reminder_offsets": Case(
        lambda con, w: rectification.set_reminder_offsets(con, offsets="-3,0,3"), who="clerk", writes=True
    ),
    "rectification.items.item_context": Case(lambda con, w: rectification.item_context(con), who="stranger"),
    "rectification.items.add_items": Case(
        lambda con, w: rectification.add_items(
            con,
            [
                {
                    "finding_id": w.insp["findings"]["b"],
                    "measure": "某措施",
                    "leader_id": None,
                    "responsible": "某人",
                    "deadline": date(2024, 12, 31),
                    "progress": 0,
                }
            ],
        ),
        writes=True,
    ),
    "rectification.items.add_item": Case(
        lambda con, w: rectification.add_item(
            con, finding=w.insp["findings"]["b"], measure="某措施", responsible="某人", deadline="2024-12-31"
        ),
        writes=True,
    ),
    "rectification.progress.update_progress": Case(
        lambda con, w: rectification.update_progress(con, item_id=w.insp["items"]["b"], body="进展"), writes=True
    ),
    "rectification.progress.extend_deadline": Case(
        lambda con, w: rectification.extend_deadline(
            con, item_id=w.insp["items"]["b"], deadline="2025-12-31", reason="理由"
        ),
        writes=True,
    ),
    "rectification.progress.request_close": Case(
        lambda con, w: rectification.request_close(
            con, item_id=w.insp["items"]["b"], body="完成", files=[("a.pdf", b"x")]
        ),
        writes=True,
    ),
    "rectification.progress.review_close": Case(
        lambda con, w: rectification.review_close(con, item_id=w.insp["items"]["b"], approve=True, note="同意"),
        writes=True,
    ),
    "corrections.findings.correct_finding": Case(
        lambda con, w: corrections.correct_finding(
            con, finding_id=w.insp["extra_finding_b"], reason="录错", description="乙县另一问题（更正）"
        ),
        writes=True,
    ),
    "corrections.findings.void_finding": Case(
        lambda con, w: corrections.void_finding(con, finding_id=w.insp["extra_finding_b"], reason="重复录入"),
        writes=True,
    ),
    "corrections.rounds.correct_round": Case(
        lambda con, w: corrections.correct_round(con, round_id=w.insp["round"], reason="录错", name="某轮（更正）"),
        writes=True,
    ),
    "corrections.rounds.void_round": Case(
        lambda con, w: corrections.void_round(con, round_id=w.insp["round"], reason="误建"), writes=True
    ),
    "corrections.feedback.correct_feedback": Case(
        lambda con, w: corrections.correct_feedback(
            con, feedback_id=w.insp["feedbacks"]["b"], reason="录错", held_on="2024-06-12"
        ),
        writes=True,
    ),
    "corrections.feedback.void_feedback": Case(
        lambda con, w: corrections.void_feedback(con, feedback_id=w.insp["feedbacks"]["b"], reason="误登"),
        writes=True,
    ),
    "corrections.clues.correct_clue": Case(
        lambda con, w: corrections.correct_clue(con, clue_id=w.insp["clue_b"], reason="录错", note="补记备注"),
        writes=True,
    ),
    "corrections.clues.void_clue": Case(  # its step first: a clue with live steps is not voided
        lambda con, w: (
            corrections.void_outcome(con, outcome_id=w.insp["outcome_b"], reason="误登"),
            corrections.void_clue(con, clue_id=w.insp["clue_b"], reason="误移交"),
        ),
        writes=True,
    ),
    "corrections.outcomes.correct_outcome": Case(
        lambda con, w: corrections.correct_outcome(con, outcome_id=w.insp["outcome_b"], reason="录错", people="1"),
        writes=True,
    ),
    "corrections.outcomes.void_outcome": Case(
        lambda con, w: corrections.void_outcome(con, outcome_id=w.insp["outcome_b"], reason="误登"),
        writes=True,
    ),
    "corrections.items.correct_item": Case(
        lambda con, w: corrections.correct_item(con, item_id=w.insp["items"]["b"], reason="录错", responsible="乙办"),
        writes=True,
    ),
    "corrections.updates.correct_update": Case(
        lambda con, w: corrections.correct_update(con, update_id=w.insp["update_b"], reason="录错", body="进展"),
        writes=True,
    ),
    "corrections.updates.void_update": Case(
        lambda con, w: corrections.void_update(con, update_id=w.insp["update_b"], reason="误报"), writes=True
    ),
    "corrections.items.void_item": Case(
        lambda con, w: corrections.void_item(con, item_id=w.insp["items"]["b"], reason="重复录入"), writes=True
    ),
    "corrections.review.review": Case(
        lambda con, w: corrections.review(con, correction_id=w.insp["correction_b"], approve=True, note="同意"),
        writes=True,
    ),
    # a round's groups belong to the 巡察办: only a 录入员 over all units corrects them
    "corrections.evaluations.correct_evaluation": Case(
        lambda con, w: corrections.correct_evaluation(
            con, round_id=w.insp["round"], unit_id=w.office["b"], reason="录错", score=60
        ),
        writes=True,
    ),
    "corrections.evaluations.void_evaluation": Case(
        lambda con, w: corrections.void_evaluation(con, round_id=w.insp["round"], unit_id=w.office["b"], reason="误评"),
        writes=True,
    ),
    "corrections.groups.correct_group": Case(
        lambda con, w: corrections.correct_group(con, group_id=w.insp["group"], reason="录错", name="第二巡察组"),
        writes=True,
    ),
    "corrections.groups.void_group": Case(
        lambda con, w: corrections.void_group(con, group_id=w.insp["group"], reason="误建"), writes=True
    ),
    "corrections.groups.change_member": Case(
        lambda con, w: corrections.change_member(
            con, group_id=w.insp["group"], person_id=w.insp["deputy"], role="member", reason="录错"
        ),
        writes=True,
    ),
    "corrections.groups.remove_member": Case(
        lambda con, w: corrections.remove_member(
            con, group_id=w.insp["group"], person_id=w.insp["deputy"], reason="调配错了"
        ),
        writes=True,
    ),
    "corrections.groups.move_target": Case(
        lambda con, w: corrections.move_target(
            con, round_id=w.insp["round"], unit_id=w.office["b"], group_id=w.insp["group"], reason="录错"
        ),
        writes=True,
    ),
    "corrections.groups.remove_target": Case(
        lambda con, w: corrections.remove_target(con, round_id=w.insp["round"], unit_id=w.office["b"], reason="录错"),
        writes=True,
    ),
    "corrections.sheets.request_sheet_correction": Case(
        lambda con, w: corrections.request_sheet_correction(
            con,
            scheme_id=w.office["scheme"],
            unit_id=w.office["b"],
            year=2024,
            scores=dict(zip(w.office["indicators"], (21, 20, 20), strict=True)),
            reason="录错",
        ),
        writes=True,
    ),
    "corrections.sheets.void_sheet": Case(
        lambda con, w: corrections.void_sheet(
            con, scheme_id=w.office["scheme"], unit_id=w.office["b"], year=2024, reason="误录"
        ),
        writes=True,
    ),
    "corrections.history.corrections_of": Case(
        lambda con, w: corrections.corrections_of(con, table="rectification_items", record_id=w.insp["item_b2"]),
        filtered=_no_b,
    ),
    "corrections.history.item_corrections": Case(
        lambda con, w: corrections.item_corrections(con, item_id=w.insp["item_b2"])
    ),
    "corrections.history.sheet_corrections": Case(
        lambda con, w: corrections.sheet_corrections(
            con, scheme_id=w.office["scheme"], unit_id=w.office["b"], year=2024
        )
    ),
    "corrections.history.pending_requests": Case(lambda con, w: corrections.pending_requests(con), filtered=_no_b),
    "rectification.ledger.list_items": Case(lambda con, w: rectification.list_items(con), filtered=_no_b),
    "rectification.ledger.item_history": Case(
        lambda con, w: rectification.item_history(con, item_id=w.insp["items"]["b"])
    ),
    "rectification.ledger.evidence": Case(lambda con, w: rectification.evidence(con, evidence_id=w.insp["evidence_b"])),
    "rectification.copies.leaders_in_charge": Case(
        lambda con, w: rectification.leaders_in_charge(con), filtered=lambda rows: [r["units"] for r in rows] == [1]
    ),
    "rectification.copies.copies_for": Case(
        lambda con, w: rectification.copies_for(con, person_id=w.insp["in_charge"]), filtered=_no_b
    ),
    "rectification.copies.mark_copies_read": Case(
        lambda con, w: rectification.mark_copies_read(con, copy_ids=[w.insp["copy_b"]]), writes=True
    ),
    "rectification.evaluation.evaluate": Case(
        lambda con, w: rectification.evaluate(con, round_id=w.insp["round"], unit_id=w.office["b"], score=90),
        writes=True,
    ),
    "rectification.evaluation.overview": Case(
        lambda con, w: rectification.overview(con, round_ids=[w.insp["round"]]), filtered=_no_b
    ),
    "rectification.evaluation.poor_units": Case(
        lambda con, w: rectification.poor_units(con, round_id=w.insp["round"]), filtered=lambda rows: rows == []
    ),
    "rectification.handovers.handover_for_change": Case(
        lambda con, w: rectification.handover_for_change(con, unit_id=w.office["b"], on="2024-08-01"), writes=True
    ),
    "rectification.handovers.sign_handover": Case(
        lambda con, w: rectification.sign_handover(con, handover_id=w.insp["handover_b"], side="incoming"),
        writes=True,
    ),
    "rectification.handovers.list_handovers": Case(lambda con, w: rectification.list_handovers(con), filtered=_no_b),
    "rectification.paper.paper_flags": Case(lambda con, w: rectification.paper_flags(con), filtered=_no_b),
    "integrity.check": Case(lambda path, w: integrity.check(path), by_path=True),
    "integrity.compare": Case(lambda con, w: integrity.compare(con)),
    "backup.backup": Case(lambda path, w: backup.backup(path, path.parent / "more-backups"), by_path=True),
    # Checked against the users inside the backup: the live file may not even exist.
    "backup.verify": Case(lambda path, w: backup.verify(w.backup_file), by_path=True, traced=False),
    "backup.restore": Case(lambda path, w: backup.restore(w.backup_file, path), by_path=True),
}


def _public_functions() -> Iterator[str]:
    for module in MODULES:
        short = module.__name__.removeprefix("kit.")
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
                continue
            yield f"{short}.{name}"


def test_every_public_function_is_in_the_table() -> None:
    found = set(_public_functions())
    missing = sorted(found - set(CASES) - set(EXEMPT))
    assert missing == [], f"add these functions to CASES (or EXEMPT, with a reason): {missing}"
    stale = sorted((set(CASES) | set(EXEMPT)) - found)
    assert stale == [], f"these entries name no function: {stale}"


# Checked functions that are not run by the data service, and why.
NOT_THROUGH_THE_DOOR = {
    "extract.extract": "writes the extract where it is run; its reads and its trace entry go through the door",
    "excel.importing.import_file": "reads the workbook where it was uploaded; the rows go through excel.import_rows",
    "backup.verify": "reads a backup file and its manifest, not the database",
    "backup.restore": "replaces the file: refused while a data service holds it",
}
# The checks themselves, run by the data service so that a refusal is traced where the file is.
CHECKS = {"access.require", "access.require_all_units", "access.visible_units", "access.scope_sql"}


def test_the_data_service_runs_every_checked_function_and_nothing_else() -> None:
    server.load_served()
    # kit.demo builds a new file before any service serves it; kit.trace and kit.users hold
    # only helpers that run inside checked functions.
    assert sorted(server.SERVED) == sorted(m.__name__ for m in MODULES if m not in (demo, trace, users))
    exposed = {name.removeprefix("kit.") for name in [*door.FUNCTIONS, *door.ACTIONS]}
    assert exposed == (set(CASES) - set(NOT_THROUGH_THE_DOOR)) | CHECKS
    assert not exposed & (set(EXEMPT) - CHECKS), "a helper that trusts its arguments must not be callable from outside"


@pytest.fixture(scope="module")
def _world_master(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Units A and B scored (B low, with follow-ups); users of every kind; a backup."""
    folder = tmp_path_factory.mktemp("world")
    path = folder / "kit.duckdb"
    db.init(path)
    office = build_office(path)
    save(office, "a", 38, 28, 28)
    save(office, "b", 20, 20, 20)
    with db.write(path, action="准备用户") as con:
        access.add_user(con, name="scoped", display_name="甲县专员", roles=list(access.ROLE_LABELS))
        access.grant_scope(con, name="scoped", kind="unit", unit_id=office["a"])
        access.add_user(con, name="clerk", display_name="录入员甲", roles=["entry"])
        access.grant_scope(con, name="clerk", kind="all")
        access.add_user(con, name="reader", display_name="分析员乙", roles=["analyst"])
        scope_b = access.grant_scope(con, name="reader", kind="unit", unit_id=office["b"])
        access.add_user(con, name="gone", display_name="已调离", roles=["entry"])
        access.grant_scope(con, name="gone", kind="all")
        access.set_active(con, name="gone", active=False)
        followup_b = int(
            con.scalar(
                "SELECT min(f.id) FROM followups f JOIN score_sheets s ON s.id = f.sheet_id WHERE s.unit_id = ?",
                [office["b"]],
            )
        )
        tenure_b = int(con.scalar("SELECT min(id) FROM tenures WHERE unit_id = ?", [office["b"]]))
    insp = _inspection_world(path, office)
    info = backup.backup(path, folder / "backups")
    return World(path, office, followup_b, tenure_b, scope_b, info.file, insp)


def _inspection_world(path: Path, office: dict[str, Any]) -> dict[str, Any]:
    """Unit B with a clue, a 待审核销号 item with evidence and copies, a poor evaluation and a handover."""
    insp = build_inspection({**office, "db": path})
    with db.write(path, action="准备巡察数据") as con:
        for unit in ("a", "b"):  # the same measure in both units: 纸面整改
            rectification.add_item(
                con, finding=insp["findings"][unit], measure="召开专题会议", responsible="办公室", deadline="2024-12-31"
            )
        insp["extra_finding_b"] = inspections.add_finding(
            con,
            round="2024-1",
            unit="B",
            category="三资管理不规范",
            description="乙县另一问题",
            severity="较重",
            involves_top="是",
            source="巡察",
            found_on="2024-04-03",
        )
        insp["clue_b"] = inspections.transfer_clue(
            con, finding_id=insp["findings"]["b"], receiver="commission", transferred_on="2024-05-01"
        )
        insp["outcome_b"] = inspections.record_outcome(
            con, clue_id=insp["clue_b"], outcome="preliminary", decided_on="2024-05-20"
        )
        rectification.request_close(con, item_id=insp["items"]["b"], body="完成", files=[("验收.pdf", b"%PDF")])
        insp["evidence_b"] = int(con.scalar("SELECT max(id) FROM evidence_files"))
        insp["copy_b"] = int(con.scalar("SELECT max(id) FROM rectification_copies"))
        insp["update_b"] = int(con.scalar("SELECT max(id) FROM rectification_updates"))
        rectification.evaluate(con, round_id=insp["round"], unit_id=office["b"], score=50)
        successor = registry.add_person(con, name="乙县新书记")
        appointments.change_leader(
            con, unit_id=office["b"], role="principal", person_id=successor, post="县委书记", on="2024-08-01"
        )
        insp["handover_b"] = int(con.scalar("SELECT max(id) FROM rectification_handovers"))
        insp["item_b2"] = rectification.add_item(
            con, finding=insp["extra_finding_b"], measure="建立制度", responsible="办公室", deadline="2024-12-31"
        )
    # A 销号 item of B with a correction waiting for a 审核员: asked for by one user, 销号 by another.
    with _acting("clerk"), db.write(path, action="准备巡察数据") as con:
        rectification.request_close(con, item_id=insp["item_b2"], body="完成", files=[("制度.pdf", b"%PDF")])
    with db.write(path, action="准备巡察数据") as con:
        rectification.review_close(con, item_id=insp["item_b2"], approve=True, note="同意")
        insp["correction_b"] = corrections.correct_item(
            con, item_id=insp["item_b2"], reason="措施写错", measure="建立并执行制度"
        )
    return insp


@contextmanager
def _acting(user: str) -> Iterator[None]:
    before = os.environ.get("KIT_OPERATOR")
    os.environ["KIT_OPERATOR"] = user
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KIT_OPERATOR")
        else:
            os.environ["KIT_OPERATOR"] = before


@pytest.fixture
def world(_world_master: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A private copy of the world (its file and anchor); the backup is shared, read only."""
    path = tmp_path / "kit.duckdb"
    copy_database(_world_master.path, path)
    return replace(_world_master, path=path, office={**_world_master.office, "db": path})


def _run(case: Case, w: World, monkeypatch: pytest.MonkeyPatch, user: str) -> Any:
    monkeypatch.setenv("KIT_OPERATOR", user)
    if case.by_path:
        return case.call(w.path, w)
    if case.writes:
        with db.write(w.path, action="测试") as con:
            return case.call(con, w)
    with db.read(w.path) as con:
        return case.call(con, w)


def _refusals(path: Path) -> int:
    with db.read(path, wait_s=5) as con:
        return int(con.scalar("SELECT count(*) FROM trace_log WHERE action = '拒绝访问'"))


def _data(path: Path) -> dict[str, Any]:
    with db.read(path) as con:
        digests = backup.table_digests(con)
    digests.pop("trace_log")
    digests.pop("write_outcomes")  # a refusal's trace entry is a write of its own
    return digests


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_user_it_must_refuse_is_refused(name: str, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    before, refusals = _data(world.path), _refusals(world.path)
    if case.filtered is not None:
        result = _run(case, world, monkeypatch, case.who)
        assert case.filtered(result), f"{name} returned unit B to a user who does not see it: {result!r}"
        monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
        full = _run(case, world, monkeypatch, "本机操作员")
        assert not case.filtered(full), f"{name}: the check cannot fail, B is absent even for an administrator"
        return
    with pytest.raises(PermissionDenied) as refused:
        _run(case, world, monkeypatch, case.who)
    assert refused.value.message
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")
    assert _data(world.path) == before, f"{name} wrote something although it was refused"
    assert _refusals(world.path) == refusals + case.traced, f"{name}: the refusal left no trace entry"


# What only unit B's data holds: its name, its people, its own finding (tests/inspection_data.py gives both units one).
B_MARKS = ("乙县委", "王三", "赵四", "乙县新书记", "乙县另一问题")


def _text_of(result: Any) -> str:
    """Everything a result shows, as text (each cell of a workbook; a file's name and content)."""
    if isinstance(result, bytes | bytearray) and bytes(result[:2]) == b"PK":
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(bytes(result)), read_only=True)
        return " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)
    if isinstance(result, bytes | bytearray):
        return bytes(result).decode("utf-8", errors="replace")
    if isinstance(result, tuple | list) and any(isinstance(v, bytes | bytearray) for v in result):
        return " ".join(_text_of(v) for v in result)
    return repr(result)


READS = sorted(name for name, case in CASES.items() if not case.writes)
# Not marked `writes` (they take a path), but an administrator's call changes files: not run as one here.
CHANGES_FILES = {
    "backup.backup",
    "backup.restore",
    "excel.importing.import_file",
    "excel.importing.import_parsed",
    "extract.extract",
}


@pytest.mark.parametrize("name", READS)
def test_what_a_scoped_user_reads_holds_nothing_outside_their_scope(
    name: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every public read, called by a user who sees only unit A: refused, or nothing of unit B in what it returns."""
    try:
        result = _run(CASES[name], world, monkeypatch, "scoped")
    except PermissionDenied:
        return
    leaked = [mark for mark in B_MARKS if mark in _text_of(result)]
    assert leaked == [], f"{name} showed a user of unit A what only unit B holds: {leaked}"


def test_the_content_check_sees_unit_b_where_it_is(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """For an administrator of all units, the same reads do show unit B (the check above can fail)."""
    shown = set()
    for name in sorted(set(READS) - CHANGES_FILES):
        try:
            text = _text_of(_run(CASES[name], world, monkeypatch, "本机操作员"))
        except PermissionDenied:
            continue
        shown |= {mark for mark in B_MARKS if mark in text}
    assert shown == set(B_MARKS)


@pytest.mark.parametrize("user", ["stranger", "gone"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_unknown_and_disabled_users_are_refused_everywhere(
    name: str, user: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _run(CASES[name], world, monkeypatch, user)
    assert user in refused.value.message


def test_a_scope_limited_in_time_lapses(office: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with db.write(office["db"], action="准备") as con:
        access.add_user(con, name="round", display_name="巡察组员", roles=["entry"])
        access.grant_scope(
            con,
            name="round",
            kind="unit",
            unit_id=office["a"],
            valid_from="2020-01-01",
            valid_until="2020-12-31",
            note="第一轮巡察",
        )
    monkeypatch.setenv("KIT_OPERATOR", "round")
    with db.read(office["db"]) as con:
        assert registry.list_units(con) == []
        with pytest.raises(PermissionDenied):
            registry.get_unit(con, office["a"])


def test_subordinate_and_supervised_scopes(office: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with db.write(office["db"], action="准备") as con:
        group = registry.add_unit(con, code="P1", name="派驻组", kind="stationed", parent_id=office["root"])
        dept = registry.add_unit(
            con, code="D1", name="某局", kind="department", parent_id=office["root"], supervisor_id=group
        )
        access.add_user(con, name="county", display_name="州委专员", roles=["analyst"])
        access.grant_scope(con, name="county", kind="subordinate", unit_id=office["root"])
        access.add_user(con, name="group", display_name="派驻组员", roles=["analyst"])
        access.grant_scope(con, name="group", kind="supervised", unit_id=group)
    monkeypatch.setenv("KIT_OPERATOR", "county")
    with db.read(office["db"]) as con:
        assert {u["code"] for u in registry.list_units(con)} == {"R", "A", "B", "P1", "D1"}
    monkeypatch.setenv("KIT_OPERATOR", "group")
    with db.read(office["db"]) as con:
        assert {u["id"] for u in registry.list_units(con)} == {group, dept}


def test_a_scoped_admin_cannot_hand_out_what_they_do_not_see(
    office: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.write(office["db"], action="准备") as con:
        access.add_user(con, name="local", display_name="甲县管理员", roles=["admin"])
        access.grant_scope(con, name="local", kind="subordinate", unit_id=office["a"])
        access.add_user(con, name="new", roles=["entry"])
    monkeypatch.setenv("KIT_OPERATOR", "local")
    with db.write(office["db"], action="授权") as con:
        access.grant_scope(con, name="new", kind="unit", unit_id=office["a"])
    for kind, unit in (("unit", office["b"]), ("all", None), ("subordinate", office["root"])):
        with pytest.raises(PermissionDenied), db.write(office["db"], action="授权") as con:
            access.grant_scope(con, name="new", kind=kind, unit_id=unit)


def test_the_last_administrator_cannot_be_removed(db_path: Path) -> None:
    with pytest.raises(InvalidInput, match="管理员"), db.write(db_path, action="停用") as con:
        access.set_active(con, name="本机操作员", active=False)
    with pytest.raises(InvalidInput, match="管理员"), db.write(db_path, action="收回") as con:
        access.revoke_role(con, name="本机操作员", role="管理员")
    with db.read(db_path) as con:
        assert access.user(con).has(access.ADMIN)


def test_who_can_see_a_unit(world: World) -> None:
    with db.read(world.path) as con:
        seeing_b = {u["name"] for u in access.who_can_see(con, unit_id=world.office["b"])}
        seeing_a = {u["name"] for u in access.who_can_see(con, unit_id=world.office["a"])}
    assert seeing_b == {"本机操作员", "clerk", "reader"}
    assert seeing_a == {"本机操作员", "clerk", "scoped"}


def test_unknown_user_or_unit_in_admin_functions(db_path: Path) -> None:
    with pytest.raises(NotFound), db.write(db_path, action="授权") as con:
        access.grant_role(con, name="无此人", role="录入员")
    with pytest.raises(InvalidInput, match="角色"), db.write(db_path, action="授权") as con:
        access.add_user(con, name="甲", roles=["校长"])
    with pytest.raises(InvalidInput, match="已被使用"), db.write(db_path, action="登记") as con:
        access.add_user(con, name="本机操作员")


@pytest.mark.parametrize(
    "raw", ["luru01%0a", "luru01%0D", "%0aluru01", "lu%00ru01", "%E2%80%AEluru01", "luru01%E2%80%A8", "luru01%E3%80%80"]
)
def test_a_header_name_with_hidden_characters_is_nobody(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    # "luru01%0a" must not become luru01: the proxy sent a name no user was given.
    monkeypatch.setenv("KIT_AUTH", "header")
    monkeypatch.setenv("HTTP_X_KIT_USER", raw)
    assert identity.clean(raw) is None
    with pytest.raises(PermissionDenied, match="X-Kit-User"):
        identity.current()


@pytest.mark.parametrize(
    ("raw", "name"), [("luru01", "luru01"), (" luru01 ", "luru01"), ("%E7%8E%8B%E4%BA%94", "王五")]
)
def test_a_plain_header_name_is_that_user(monkeypatch: pytest.MonkeyPatch, raw: str, name: str) -> None:
    monkeypatch.setenv("KIT_AUTH", "header")
    monkeypatch.setenv("HTTP_X_KIT_USER", raw)
    assert identity.current() == name


def test_identity_comes_from_the_deployment(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.write(db_path, action="登记") as con:
        access.add_user(con, name="王五", roles=["analyst"])
        access.grant_scope(con, name="王五", kind="all")
    # Behind a proxy: the header Voilà hands to the kernel, percent-encoded non-ASCII.
    monkeypatch.setenv("KIT_AUTH", "header")
    monkeypatch.setenv("HTTP_X_KIT_USER", "%E7%8E%8B%E4%BA%94")
    monkeypatch.setenv("KIT_OPERATOR", "本机操作员")  # ignored in header mode
    with db.read(db_path) as con:
        assert access.user(con).name == "王五"
    monkeypatch.delenv("HTTP_X_KIT_USER")
    with pytest.raises(PermissionDenied, match="X-Kit-User"), db.read(db_path):
        pass
    # Under JupyterHub.
    monkeypatch.delenv("KIT_AUTH")
    monkeypatch.setenv("JUPYTERHUB_USER", "王五")
    with db.read(db_path) as con:
        assert con.actor == "王五"
    monkeypatch.setenv("KIT_AUTH", "nonsense")
    with pytest.raises(PermissionDenied, match="KIT_AUTH"), db.read(db_path):
        pass
