"""Altair charts in the house look, rendered to inline SVG so nothing is fetched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import altair as alt
import vl_convert

from kit.markup import Markup, svg

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, SimHei, sans-serif"
# 绿 蓝 黄 红 from best to worst, the office's four-colour convention.
GRADE_COLOURS = ["#2e7d32", "#1565c0", "#f9a825", "#c62828"]
INK = "#333333"


@alt.theme.register("kit", enable=True)
def house_theme() -> alt.theme.ThemeConfig:
    """One look for every chart: CJK fonts, quiet axes, no border."""
    return {
        "config": {
            "font": FONT,
            "view": {"stroke": None},
            "title": {"font": FONT, "fontSize": 15, "color": INK, "anchor": "start"},
            "axis": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "labelColor": INK,
                "titleColor": INK,
                "gridColor": "#e6e6e6",
            },
            "legend": {"labelFont": FONT, "titleFont": FONT},
            "bar": {"color": "#1565c0"},
        }
    }


def grade_colours(n: int) -> list[str]:
    """Colours for n grades from best to worst: green first, red last."""
    if n <= len(GRADE_COLOURS):
        return [GRADE_COLOURS[0], *GRADE_COLOURS[len(GRADE_COLOURS) - n + 1 :]][:n]
    return GRADE_COLOURS + ["#6d4c41"] * (n - len(GRADE_COLOURS))


def grade_distribution(rows: Sequence[dict[str, Any]], *, title: str = "考核等次分布") -> alt.LayerChart:
    """Bar per grade (in band order) with the number of units above each bar."""
    data = alt.Data(values=[{"等次": r["grade"], "单位数": int(r["units"])} for r in rows])  # type: ignore[no-untyped-call]
    order = [r["grade"] for r in rows]
    base = alt.Chart(data, title=title).encode(
        x=alt.X("等次:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("单位数:Q", title="单位数", axis=alt.Axis(tickMinStep=1)),
    )
    bars = base.mark_bar(size=36).encode(
        color=alt.Color(
            "等次:N", sort=order, scale=alt.Scale(domain=order, range=grade_colours(len(order))), legend=None
        )
    )
    labels = base.mark_text(dy=-7, color=INK).encode(text="单位数:Q")
    return cast(alt.LayerChart, (bars + labels).properties(width=320, height=200))


def counts_bar(
    rows: Sequence[tuple[str, int]], *, title: str, label: str = "类别", value: str = "数量"
) -> alt.LayerChart:
    """Horizontal bar per label (most first) with its count at the bar's end; rows already aggregated."""
    data = alt.Data(values=[{label: name, value: int(count)} for name, count in rows])  # type: ignore[no-untyped-call]
    order = [name for name, _ in sorted(rows, key=lambda r: -int(r[1]))]
    base = alt.Chart(data, title=title).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{value}:Q", title=value, axis=alt.Axis(tickMinStep=1)),
    )
    bars = base.mark_bar(size=14)
    labels = base.mark_text(align="left", dx=3, color=INK).encode(text=f"{value}:Q")
    return cast(alt.LayerChart, (bars + labels).properties(width=360, height=max(60, 20 * len(rows))))


def to_svg(chart: alt.TopLevelMixin) -> Markup:
    """The chart as one inline <svg> element, with no external reference, checked inert (kit.markup.svg)."""
    return svg(str(vl_convert.vegalite_to_svg(chart.to_dict())))


def warm_up() -> None:
    """Start the chart renderer once (about 2 s the first time) so users never wait for it."""
    to_svg(grade_distribution([{"grade": "优秀", "units": 1}]))
