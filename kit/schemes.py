"""考核方案: a scheme's indicators (maximum points or weights) and its grade bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kit import access, door, registry, trace, validate
from kit.db import Connection
from kit.errors import InvalidInput, NotFound
from kit.fields import Field, Record
from kit.formats import number

SCORING_LABELS = {"points": "分值制（各项满分相加）", "weighted": "权重制（百分制加权）"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Indicator:
    id: int
    ord: int
    name: str
    max_points: Decimal | None
    weight: Decimal | None
    description: str | None

    @property
    def maximum(self) -> Decimal:
        """The highest score a user may enter for this indicator."""
        return self.max_points if self.max_points is not None else Decimal(100)


@dataclass(frozen=True)
class Band:
    ord: int
    label: str
    min_total: Decimal
    triggers_followup: bool


@dataclass(frozen=True)
class Scheme:
    id: int
    code: str
    name: str
    scoring: str
    unit_kinds: list[str]
    indicators: list[Indicator]
    bands: list[Band]

    @property
    def full_marks(self) -> Decimal:
        if self.scoring == "weighted":
            return Decimal(100)
        return sum((i.maximum for i in self.indicators), Decimal(0))

    def grade(self, total: Decimal) -> Band:
        """The band a total falls in: the first (highest) whose minimum it reaches."""
        for band in self.bands:
            if total >= band.min_total:
                return band
        return self.bands[-1]

    def total(self, scores: Mapping[int, Decimal]) -> Decimal:
        """Total of a complete sheet: a sum of points, or a weighted mean of 0–100 scores."""
        if self.scoring == "weighted":
            weights = sum((i.weight or Decimal(0) for i in self.indicators), Decimal(0))
            raw = sum((scores[i.id] * (i.weight or 0) for i in self.indicators), Decimal(0))
            return (raw / weights).quantize(CENT, rounding=ROUND_HALF_UP)
        return sum((scores[i.id] for i in self.indicators), Decimal(0)).quantize(CENT)


@door.public
def add_scheme(
    con: Connection,
    *,
    code: str,
    name: str,
    scoring: str,
    unit_kinds: Sequence[str],
    indicators: Sequence[Mapping[str, Any]],
    bands: Sequence[Mapping[str, Any]],
    description: str | None = None,
) -> int:
    """Create a scheme with its indicators and grade bands (highest band first).

    Each indicator has `name` and `max_points` (points scoring) or `weight`
    (weighted scoring), optionally `description`. Each band has `label`,
    `min_total` and `triggers_followup`; the last band's minimum must be 0.

    Raises:
        InvalidInput: any part of the scheme breaks a rule.
        PermissionDenied: not an administrator of all units.
    """
    # Its labels reach every office's pages and reports: not for an administrator of some units only.
    access.require_all_units(con, access.ADMIN, what="新增考核方案")
    check = validate.Checker()
    code = check(validate.text, code, field="code", label="方案编码", required=True, max_length=32)
    name = check(validate.text, name, field="name", label="方案名称", required=True, max_length=100)
    scoring = check(validate.choice, scoring, field="scoring", label="计分方式", choices=SCORING_LABELS)
    description = check(validate.text, description, field="description", label="方案说明") or None
    kinds = [
        check(validate.choice, kind, field="unit_kinds", label="适用单位类别", choices=registry.KIND_LABELS)
        for kind in _items(check, unit_kinds, field="unit_kinds", label="适用单位类别")
    ]
    if not kinds and "unit_kinds" not in check.errors:
        check.fail("unit_kinds", "“适用单位类别”至少选择一项")
    clean_indicators = _check_indicators(check, scoring, _items(check, indicators, field="indicators", label="指标"))
    clean_bands = _check_bands(check, _items(check, bands, field="bands", label="等次"))
    check.done()
    unit_kinds = list(dict.fromkeys(kinds))  # keys, as units store their kind, not labels as typed
    if con.scalar("SELECT count(*) FROM assessment_schemes WHERE code = ?", [code]):
        raise InvalidInput.one("code", f"方案编码“{code}”已被使用")
    scheme_id = int(
        con.scalar(
            "INSERT INTO assessment_schemes (code, name, scoring, unit_kinds, description)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [code, name, scoring, unit_kinds, description],
        )
    )
    for ord_, ind in enumerate(clean_indicators, start=1):
        con.execute(
            "INSERT INTO assessment_indicators (scheme_id, ord, name, max_points, weight, description)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [scheme_id, ord_, ind["name"], ind["max_points"], ind["weight"], ind["description"]],
        )
    for ord_, band in enumerate(clean_bands, start=1):
        con.execute(
            "INSERT INTO grade_bands VALUES (?, ?, ?, ?, ?)",
            [scheme_id, ord_, band["label"], band["min_total"], band["triggers_followup"]],
        )
    trace.record(
        con,
        action="新增考核方案",
        table="assessment_schemes",
        key=code,
        before=None,
        after={
            "id": scheme_id,
            "code": code,
            "name": name,
            "scoring": scoring,
            "unit_kinds": unit_kinds,
            "indicators": clean_indicators,
            "bands": clean_bands,
        },
    )
    return scheme_id


def _flag(check: validate.Checker, raw: Any, *, field: str, label: Any) -> bool:
    """Yes or no, as a real bool: the text "false" must not count as yes."""
    if isinstance(raw, bool):
        return raw
    check.fail(field, f"等次“{label}”的“是否触发后续措施”必须为是或否")
    return False


def _items(check: validate.Checker, raw: Any, *, field: str, label: str) -> list[Any]:
    """The entries of a list field; anything else (text, None, a number) is refused."""
    if isinstance(raw, list | tuple):
        return list(raw)
    check.fail(field, f"“{label}”必须是列表")
    return []


def _check_indicators(check: validate.Checker, scoring: str | None, indicators: list[Any]) -> list[dict[str, Any]]:
    if not indicators and "indicators" not in check.errors:
        check.fail("indicators", "考核方案至少需要一个指标")
    clean = []
    names: set[str] = set()
    for n, ind in enumerate(indicators, start=1):
        label = f"第 {n} 个指标"
        if not isinstance(ind, Mapping):
            check.fail(f"indicator_{n}", f"{label}必须包含名称和{'权重' if scoring == 'weighted' else '满分'}")
            continue
        ind_name = check(
            validate.text,
            ind.get("name"),
            field=f"indicator_{n}",
            label=f"{label}名称",
            required=True,
            max_length=100,
        )
        if ind_name in names:
            check.fail(f"indicator_{n}", f"指标名称“{ind_name}”重复")
        names.add(ind_name)
        key, shown = ("weight", "权重") if scoring == "weighted" else ("max_points", "满分")
        amount = check(
            validate.number,
            ind.get(key),
            field=f"indicator_{n}",
            label=f"{label}{shown}",
            minimum=Decimal("0.01"),
            maximum=Decimal(1000),
        )
        description = check(
            validate.text, ind.get("description"), field=f"indicator_{n}", label=f"{label}说明", max_length=500
        )
        clean.append(
            {
                "name": ind_name,
                "description": description or None,
                "max_points": amount if key == "max_points" else None,
                "weight": amount if key == "weight" else None,
            }
        )
    return clean


def _check_bands(check: validate.Checker, bands: list[Any]) -> list[dict[str, Any]]:
    if not bands:
        if "bands" not in check.errors:
            check.fail("bands", "考核方案至少需要一个等次")
        return []
    clean = []
    previous: Decimal | None = None
    for n, band in enumerate(bands, start=1):
        if not isinstance(band, Mapping):
            check.fail(f"band_{n}", f"第 {n} 个等次必须包含名称和最低分")
            continue
        label = check(
            validate.text,
            band.get("label"),
            field=f"band_{n}",
            label=f"第 {n} 个等次名称",
            required=True,
            max_length=20,
        )
        minimum = check(
            validate.number,
            band.get("min_total"),
            field=f"band_{n}",
            label=f"等次“{label}”的最低分",
            minimum=0,
            maximum=Decimal(1000),
        )
        if minimum is not None and previous is not None and minimum >= previous:
            check.fail(f"band_{n}", "等次须按最低分从高到低排列，且最低分互不相同")
        previous = minimum if minimum is not None else previous
        clean.append(
            {
                "label": label,
                "min_total": minimum,
                "triggers_followup": _flag(check, band.get("triggers_followup", False), field=f"band_{n}", label=label),
            }
        )
    if clean and clean[-1]["min_total"] not in (None, Decimal(0)):
        check.fail("bands", "最低一个等次的最低分必须为 0，使每个总分都有等次")
    return clean


@door.public
def get_scheme(con: Connection, scheme_id: int) -> Scheme:
    """A scheme with its indicators and bands.

    Raises:
        NotFound: no scheme has this id.
        PermissionDenied: the user has no role.
    """
    access.require(con, access.READ)
    row = con.one("SELECT id, code, name, scoring, unit_kinds FROM assessment_schemes WHERE id = ?", [scheme_id])
    if row is None:
        raise NotFound(f"考核方案不存在（编号 {scheme_id}）")
    indicators = [
        Indicator(*r)
        for r in con.all(
            "SELECT id, ord, name, max_points, weight, description FROM assessment_indicators"
            " WHERE scheme_id = ? ORDER BY ord",
            [scheme_id],
        )
    ]
    bands = [
        Band(*r)
        for r in con.all(
            "SELECT ord, label, min_total, triggers_followup FROM grade_bands WHERE scheme_id = ? ORDER BY ord",
            [scheme_id],
        )
    ]
    return Scheme(row[0], row[1], row[2], row[3], list(row[4]), indicators, bands)


@door.public
def list_schemes(con: Connection) -> list[dict[str, Any]]:
    """Every scheme (schemes are not tied to units: every user with a role reads them)."""
    access.require(con, access.READ)
    return con.records("SELECT id, code, name, scoring, unit_kinds FROM assessment_schemes ORDER BY id")


def sheet_record(scheme: Scheme) -> Record:
    """A score sheet of `scheme`, declared like every record: per indicator a score and its note, then the overall note.

    Its fields follow the scheme (`score_<indicator id>`, `note_<indicator id>`, `note`), so
    the declaration is made from the scheme rather than written once at the top of a module.
    The sheet's check (`assessments.check_sheet`) and the score-entry form read it.
    """
    specs: list[Field] = []
    for ind in scheme.indicators:
        top = number(ind.maximum)
        specs.append(
            Field(
                f"score_{ind.id}",
                f"{ind.name}得分",
                "number",
                rule=f"0 到 {top} 分，最多两位小数" + ("（百分制）" if scheme.scoring == "weighted" else ""),
                required=True,
                maximum=ind.maximum,
                places=2,
                placeholder="得分",
                width="6em",
            )
        )
        specs.append(
            Field(
                f"note_{ind.id}",
                f"{ind.name}说明",
                rule="选填，500 字以内：扣分的依据",
                max_length=500,
                placeholder="扣分说明（选填）",
            )
        )
    specs.append(
        Field(
            "note",
            "总体评价",
            "textarea",
            rule="选填，2000 字以内",
            max_length=2000,
            placeholder="考核组总体意见（选填）",
            width="40em",
        )
    )
    return Record("sheets", "评分表", "score_sheets", tuple(specs), excel=False)
