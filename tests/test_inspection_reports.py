"""The round report (巡察情况报告) and the rectification notice (整改情况通报)."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kit import cli, config, db, inspections, rectification
from kit.errors import InvalidInput, NotFound
from kit.formats import number
from kit.reports import inspection
from tests import inspection_data
from tests.inspection_data import RoundData
from tests.test_reports import external_references

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Structure(HTMLParser):
    """Every element closed, in order (SVG's self-closing elements count as closed)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.seen: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '—'}>")
        else:
            self.stack.pop()


def assert_standalone_html(page: str) -> None:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    assert parser.doctype.lower() == "doctype html"
    assert parser.errors == []
    assert parser.stack == []
    assert [parser.seen.count(t) for t in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    assert '<meta charset="utf-8">' in page
    assert '<html lang="zh-CN">' in page
    assert external_references(page) == []
    for forbidden in ("http://", "https://", "//cdn", "<script", "<link", "<iframe"):
        assert forbidden not in page, forbidden


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RoundData]:
    return inspection_data.built_once(tmp_path_factory)


@pytest.fixture(scope="module")
def pages(built: tuple[Path, RoundData]) -> dict[str, str]:
    """Each document once: the report of every round, and the notice of each round (as the office)."""
    path, data = built
    with db.read(path) as con:
        ids = [inspections.round_id(con, c) for c in data.round_codes]
        found = {"round": inspection.round_report(con, round_ids=ids)}
        for code, ident in zip(data.round_codes, ids, strict=True):
            found[code] = inspection.notice(con, round_id=ident)
    return found


@pytest.fixture(scope="module")
def scoped_pages(built: tuple[Path, RoundData]) -> dict[str, str]:
    """The report of every round and the notice of the first round, as a user who sees one unit."""
    path, data = built
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIT_OPERATOR", data.scoped_user)
        with db.read(path) as con:
            ids = [inspections.round_id(con, c) for c in data.round_codes]
            return {
                "round": inspection.round_report(con, round_ids=ids),
                "notice": inspection.notice(con, round_id=ids[0]),
            }


def _figure_sentences(f: dict[str, int]) -> list[str]:
    return [
        f"共开展巡察 {f['rounds']} 轮，巡察单位 {f['units']} 家，发现问题 {f['problems']} 个，"
        f"移交问题线索 {f['clues']} 件，"
        f"推动处理处分 {f['people_handled']} 人次，其中移送司法 {f['judiciary']} 人次。",
        f"涉及一把手的问题线索 {f['top_leader_clues']} 件，处理处分 {f['top_leader_sanctioned']} 人次。",
        f"一把手调整时整改交接 {f['handovers']} 次；梳理共性问题 {f['common_problems']} 个。",
    ]


@pytest.mark.parametrize("which", ["round", "2023-1", "2024-1"])
def test_documents_are_standalone_offline_html(pages: dict[str, str], which: str) -> None:
    assert_standalone_html(pages[which])


@pytest.mark.parametrize("which", ["round", "notice"])
def test_scoped_documents_are_standalone_offline_html(scoped_pages: dict[str, str], which: str) -> None:
    assert_standalone_html(scoped_pages[which])


def test_round_report_states_the_figures(pages: dict[str, str], built: tuple[Path, RoundData]) -> None:
    _, data = built
    page = pages["round"]
    for sentence in _figure_sentences(data.figures):
        assert sentence in page
    f = data.figures
    assert f"巡纪审联动发现问题 {f['joint_problems']} 个、移交问题线索 {f['joint_clues']} 件。" in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>5轮巡察情况报告</title>" in page


def test_round_report_has_one_inline_chart(pages: dict[str, str]) -> None:
    assert pages["round"].count("<svg") == 1
    assert "各类问题数量" in pages["round"]


def test_round_report_names_every_unit_round_and_common_problem(
    pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    _, data = built
    page = pages["round"]
    for name in data.units.values():
        assert f"<td>{name}</td>" in page
    for _, name, _, _, _ in inspection_data.ROUNDS:
        assert name in page
    for name, _, _ in inspection_data.COMMON_CATEGORIES:
        assert name in page
    for department in ("市委组织部", "市财政局", "市审计局"):
        assert f"共性问题交办单：{department}" in page


def test_round_report_lists_top_leader_problems_with_the_leader_of_the_day(
    pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    path, data = built
    page = pages["round"]
    with db.read(path) as con:
        ids = [inspections.round_id(con, c) for c in data.round_codes]
        top = [f for f in inspections.list_findings(con, round_ids=ids, stage="inspection") if f["involves_top"]]
    assert len(top) == data.figures["top_leader_problems"]
    assert f"共 {len(top)} 个问题涉及被巡察单位一把手" in page
    first = top[0]
    assert f'<td>{first["unit_name"]}</td><td style="white-space: nowrap">{first["top_leader"]}</td>' in page
    assert first["description"] in page


def test_round_report_shows_rectification_overdue_paper_and_handovers(
    pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    _, data = built
    page = pages["round"]
    for label in ("整改措施与其他单位逐字相同", "立项当天即销号", "整改时限延期超过两次"):
        assert label in page
    assert "逾期满 30 天" in page or "逾期超过 30 天" in page
    assert page.count("待签字") == data.figures["handovers"]
    assert "（差）" in page


def test_round_report_for_a_scoped_user_has_only_that_unit(
    scoped_pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    _, data = built
    page = scoped_pages["round"]
    assert "本文件只含操作人授权范围内的单位（1 家）" in page
    assert data.units[data.scoped_unit] in page
    for code, name in data.units.items():
        if code != data.scoped_unit:
            assert name not in page, name
    for sentence in _figure_sentences(data.unit_figures[data.scoped_unit]):
        assert sentence in page


def test_full_scope_documents_have_no_scope_note(pages: dict[str, str]) -> None:
    assert "授权范围内的单位" not in pages["round"]
    assert "授权范围内的单位" not in pages["2023-1"]


def test_notice_names_poor_units_with_leader_score_and_paper_flags(
    pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    path, data = built
    with db.read(path) as con:
        poor = rectification.poor_units(con, round_id=inspections.round_id(con, "2023-1"))
    page = pages["2023-1"]
    assert [u["unit_name"] for u in poor] == data.poor["2023-1"]
    assert "<title>关于十二届市委第一轮巡察整改情况的通报</title>" in page
    assert f"以下 {len(poor)} 家单位整改评估等次为“差”" in page
    for unit in poor:
        assert f"{unit['unit_name']}（一把手：{unit['top_leader']}）：整改评估得分 {number(unit['score'])} 分" in page
    assert "整改措施与其他单位逐字相同" in page  # 柳泉县委 copied its measure from 青河县委
    assert f"〔{config.now().year}〕" in page
    assert "中共滨河市委巡察工作领导小组办公室" in page


@pytest.mark.parametrize("code", ["2023-2", "2025-1"])
def test_notice_of_each_round_names_its_poor_units(
    pages: dict[str, str], built: tuple[Path, RoundData], code: str
) -> None:
    _, data = built
    for name in data.poor[code]:
        assert f'<td class="name">{name}</td>' in pages[code]
    others = [n for c, names in data.poor.items() if c != code for n in names]
    for name in others:
        assert name not in pages[code]


def test_notice_without_poor_units_says_so(pages: dict[str, str], built: tuple[Path, RoundData]) -> None:
    _, data = built
    assert "2024-1" not in data.poor
    page = pages["2024-1"]
    assert "没有整改评估等次为“差”的单位" in page
    assert "<table>" not in page


def test_notice_for_a_scoped_user_leaves_out_other_units(
    scoped_pages: dict[str, str], built: tuple[Path, RoundData]
) -> None:
    _, data = built
    page = scoped_pages["notice"]
    assert "本文件只含操作人授权范围内的单位（1 家）" in page
    for name in data.poor["2023-1"]:
        assert name not in page
    assert "没有整改评估等次为“差”的单位" in page
    assert "滨河市委" not in page  # the top unit is outside the scope: a generic issuer instead
    assert inspection.DEFAULT_ISSUER in page


def test_notice_takes_the_issuer_and_day_given(built: tuple[Path, RoundData]) -> None:
    path, _ = built
    with db.read(path) as con:
        page = inspection.notice(
            con, round_id=inspections.round_id(con, "2023-1"), today=date(2026, 12, 1), issuer="某某巡察办"
        )
    assert "<p>某某巡察办</p>" in page
    assert "<p>2026年12月1日</p>" in page


def test_unknown_or_missing_rounds_are_refused(built: tuple[Path, RoundData]) -> None:
    path, _ = built
    with db.read(path) as con:
        with pytest.raises(NotFound):
            inspection.round_report(con, round_ids=[9999])
        with pytest.raises(InvalidInput):
            inspection.round_report(con, round_ids=[])
        with pytest.raises(NotFound):
            inspection.notice(con, round_id=9999)


def test_cli_writes_the_round_report_and_the_notice(
    built: tuple[Path, RoundData], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, data = built
    report, notice = tmp_path / "round.html", tmp_path / "notice.html"
    codes = ",".join(data.round_codes[:2])
    assert cli.main(["report", "round", "--rounds", codes, "--out", str(report), "--db", str(path)]) == 0
    assert cli.main(["report", "notice", "--round", "2023-1", "--out", str(notice), "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"报告已写入：{report}" in out
    assert f"通报已写入：{notice}" in out
    assert_standalone_html(report.read_text(encoding="utf-8"))
    assert "<title>2轮巡察情况报告</title>" in report.read_text(encoding="utf-8")
    assert data.poor["2023-1"][0] in notice.read_text(encoding="utf-8")


def test_cli_default_file_names(built: tuple[Path, RoundData], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = built
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", "round", "--rounds", "2025-1", "--db", str(path)]) == 0
    assert cli.main(["report", "notice", "--round", "2025-1", "--db", str(path)]) == 0
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {"巡察情况报告（2025-1）.html", "巡察整改情况通报（2025-1）.html"}


def test_cli_notice_takes_one_round_only(built: tuple[Path, RoundData], capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = built
    assert cli.main(["report", "notice", "--round", "2023-1,2023-2", "--db", str(path)]) == 1
    assert "只针对一个巡察轮次" in capsys.readouterr().err


def test_a_round_without_data_renders_empty_sections(db_path: Path) -> None:
    with db.write(db_path, action="设置巡察轮次") as con:
        ident = inspections.add_round(
            con, code="2026-1", name="十三届市委第一轮巡察", kind="regular", start="2026-03-01", end="2026-05-31"
        )
    with db.read(db_path) as con:
        page = inspection.round_report(con, round_ids=[ident])
        notice = inspection.notice(con, round_id=ident)
    assert_standalone_html(page)
    assert_standalone_html(notice)
    assert "所选轮次尚未录入发现问题" in page
    assert "<svg" not in page
    assert "本轮共有被巡察单位 0 家" in notice
    assert "没有整改评估等次为“差”的单位" in notice


def test_demo_rounds_render_and_the_issuer_is_named_once(demo_db: Path) -> None:
    with db.read(demo_db) as con:
        ids = [int(r["id"]) for r in inspections.list_rounds(con)]
        page = inspection.round_report(con, round_ids=ids)
        notices = [inspection.notice(con, round_id=i) for i in ids]
    assert_standalone_html(page)
    for notice in notices:
        assert_standalone_html(notice)
        assert "中共云岭州委巡察工作领导小组办公室" in notice
        assert "中共中共" not in notice
