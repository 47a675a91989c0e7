"""The annual assessment report (考核结果报告) of one year, all schemes or one."""

from __future__ import annotations

from typing import Any

from kit import access, assessments, door, followups, rankings
from kit.db import Connection
from kit.formats import number
from kit.markup import svg
from kit.reports import render


def band_text(scheme: assessments.Scheme) -> str:
    """Grade bands as offices state them: 优秀：90 分及以上；合格：75 分至 90 分以下；…"""
    parts = []
    upper = None
    for band in scheme.bands:
        if upper is None:
            parts.append(f"{band.label}：{number(band.min_total)} 分及以上")
        elif band.min_total > 0:
            parts.append(f"{band.label}：{number(band.min_total)} 分至 {number(upper)} 分以下")
        else:
            parts.append(f"{band.label}：{number(upper)} 分以下")
        upper = band.min_total
    return "；".join(parts)


@door.public
def section(con: Connection, *, scheme_id: int, year: int) -> dict[str, Any]:
    """Everything the report shows for one scheme in one year, for the units in the user's scope."""
    from kit import charts  # Altair and its renderer: only where a chart is drawn (the data service, if any)

    access.require(con, access.READ, what="生成报告")
    scheme = assessments.get_scheme(con, scheme_id)
    distribution = rankings.grade_distribution(con, scheme_id=scheme_id, year=year)
    return {
        "scheme": scheme,
        "band_text": band_text(scheme),
        "coverage": rankings.coverage(con, scheme_id=scheme_id, year=year),
        "distribution": distribution,
        "chart_svg": charts.to_svg(charts.grade_distribution(distribution, title=f"{year}年度等次分布")),
        "ranking": rankings.ranking(con, scheme_id=scheme_id, year=year),
        "low_grades": [b.label for b in scheme.bands if b.triggers_followup],
        "followups": followups.list_followups(con, year=year, scheme_id=scheme_id, statuses=("open", "done")),
        "followup_stats": followups.stats(con, year=year, scheme_id=scheme_id),
    }


@door.public
def build(con: Connection, *, year: int, scheme_id: int | None = None) -> str:
    """The whole report as one HTML document (schemes without sheets that year are left out)."""
    access.require(con, access.READ, what="生成报告")
    if scheme_id is None:
        ids = [
            int(r[0])
            for r in con.all(
                "SELECT DISTINCT scheme_id FROM score_sheets WHERE year = ? AND voided_at IS NULL ORDER BY scheme_id",
                [year],
            )
        ]
    else:
        ids = [scheme_id]
    return page(
        con,
        year=year,
        sections=[section(con, scheme_id=i, year=year) for i in ids],
        one_scheme=scheme_id is not None,
    )


@door.public
def page(con: Connection, *, year: int, sections: list[dict[str, Any]], one_scheme: bool) -> str:
    """Render sections already computed into the report document."""
    who = access.require(con, access.READ, what="生成报告")
    title = f"{year}年度党风廉政建设责任制考核结果报告"
    if one_scheme and sections:
        title = f"{year}年度{sections[0]['scheme'].name}结果报告"
    return render(
        "assessment.html.j2",
        title=title,
        subtitle=f"考核年度：{year}年",
        year=year,
        # A section may have come back from the data service, where its chart became plain text.
        sections=[{**s, "chart_svg": svg(s["chart_svg"])} for s in sections],
        generated_at=con.now,
        generated_by=who.display_name,
        partial_scope=who.units is not None,
    )


def filename(year: int) -> str:
    return f"{year}年度考核结果报告.html"
