"""One Chart, two pictures: the ECharts option for the page and a PNG (matplotlib) for the files.

Both read the same `Chart`, so the page and the .docx/.pdf/.xlsx show one set of figures. The PNG uses the
shipped CJK font; a character the font lacks is written as [U+XXXX] before matplotlib sees it, so
matplotlib never draws an empty box or warns about a missing glyph.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from yunwei.reports.document import Chart  # noqa: E402

from .common import FONT_FAMILY, FONT_FILE, drawable  # noqa: E402

DPI = 150
SIZE_IN = (6.3, 3.4)  # 16 × 8.6 cm: the width of an A4 page's text
PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"]

_registered = False


def _register_font() -> None:
    global _registered
    if not _registered:
        font_manager.fontManager.addfont(str(FONT_FILE))
        _registered = True


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def chart_png(chart: Chart) -> bytes:
    """The chart as a PNG at 150 dpi, in the shipped CJK font."""
    _register_font()
    with matplotlib.rc_context(
        {"font.family": [FONT_FAMILY], "axes.unicode_minus": False, "font.size": 9, "svg.fonttype": "none"}
    ):
        figure = Figure(figsize=SIZE_IN, dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        categories = [drawable(c) for c in chart.categories]
        if chart.kind == "pie":
            _pie(axes, chart, categories)
        else:
            _cartesian(axes, chart, categories)
        axes.set_title(drawable(chart.title), fontsize=11)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _cartesian(axes, chart: Chart, categories: list[str]) -> None:
    positions = list(range(len(categories)))
    count = max(len(chart.series), 1)
    width = 0.8 / count
    for index, series in enumerate(chart.series):
        values = [_number(v) for v in series.values]
        colour = PALETTE[index % len(PALETTE)]
        if chart.kind == "line":
            axes.plot(positions, values, marker="o", markersize=3, color=colour, label=drawable(series.name))
        else:
            offset = (index - (count - 1) / 2) * width
            axes.bar(
                [p + offset for p in positions], values, width, color=colour, label=drawable(series.name)
            )
    axes.set_xticks(positions, categories)
    if len(categories) > 8:
        axes.tick_params(axis="x", labelrotation=45)
    if chart.unit:
        axes.set_ylabel(drawable(chart.unit))
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if len(chart.series) > 1:
        axes.legend(frameon=False, fontsize=8)


def _pie(axes, chart: Chart, categories: list[str]) -> None:
    values = chart.series[0].values if chart.series else []
    pairs = [(c, float(v)) for c, v in zip(categories, values, strict=False) if v]
    if not pairs:
        axes.text(0.5, 0.5, "—", ha="center", va="center")
        axes.set_axis_off()
        return
    labels, numbers = zip(*pairs, strict=True)
    axes.pie(numbers, labels=labels, autopct="%1.1f%%", colors=PALETTE, textprops={"fontsize": 8})
    axes.axis("equal")


def chart_option(chart: Chart) -> dict:
    """The ECharts option for the page (yunwei/web/static/vendor/echarts), from the same Chart."""
    title = {"text": chart.title, "left": "center", "textStyle": {"fontSize": 14}}
    if chart.kind == "pie":
        values = chart.series[0].values if chart.series else []
        return {
            "title": title,
            "tooltip": {"trigger": "item"},
            "legend": {"bottom": 0},
            "series": [
                {
                    "type": "pie",
                    "name": chart.series[0].name if chart.series else chart.title,
                    "radius": "60%",
                    "data": [
                        {"name": name, "value": value}
                        for name, value in zip(chart.categories, values, strict=False)
                    ],
                }
            ],
        }
    return {
        "title": title,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "data": [s.name for s in chart.series]},
        "grid": {"left": 48, "right": 24, "top": 48, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "category", "data": list(chart.categories)},
        "yAxis": {"type": "value", "name": chart.unit},
        "series": [
            {"type": chart.kind, "name": s.name, "data": list(s.values)}
            | ({"smooth": False, "connectNulls": False} if chart.kind == "line" else {})
            for s in chart.series
        ],
    }
