"""Charts: PNGs in the shipped CJK font without a missing-glyph warning, and the page's ECharts option."""

from __future__ import annotations

import io
import json
import warnings

import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from yunwei.reports.document import Chart, Series
from yunwei.reports.render import chart_option, chart_png
from yunwei.reports.render.common import FONT_FAMILY, FONT_FILE

from .render_sample import BEYOND_BMP, MONTHS, RARE_EXT_A, sample_document

LINE = Chart(
    key="line",
    title="近十二个月事件数量",
    kind="line",
    categories=MONTHS,
    series=[Series("事件", [12, 9, 14, 20, 17, 11, 8, 15, 19, 22, 18, 30]), Series("问题", [1, None] * 6)],
    unit="件",
)
BAR = Chart(
    key="bar",
    title=f"值班时长（刘{RARE_EXT_A}、张{BEYOND_BMP}）",
    kind="bar",
    categories=[f"刘{RARE_EXT_A}", f"张{BEYOND_BMP}", "李四"],
    series=[Series("小时", [160, 152.5, 88]), Series("加班", [12, 0, None])],
    unit="小时",
)
PIE = Chart(
    key="pie",
    title="事件等级分布",
    kind="pie",
    categories=["一级", "二级", "三级", "四级"],
    series=[Series("事件", [0, 1, 6, 23])],
)


@pytest.mark.parametrize("chart", [LINE, BAR, PIE], ids=["line", "bar", "pie"])
def test_png_draws_every_character_without_a_warning(chart):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" fails the test
        png = chart_png(chart)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert round(image.info["dpi"][0]) == 150
    assert image.size[0] > 900  # 6.3 inches at 150 dpi
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 20  # something was drawn


def test_the_warning_filter_would_catch_a_missing_glyph():
    """The guard above is real: drawing 𠀀 in the shipped font does warn, which chart_png avoids."""
    chart_png(PIE)  # registers the font
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, BEYOND_BMP, family=FONT_FAMILY)
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="missing from font"):
        warnings.simplefilter("error")
        figure.canvas.draw()


def test_charts_use_the_shipped_font():
    chart_png(LINE)
    found = font_manager.findfont(font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False)
    assert found == str(FONT_FILE)


def test_option_line_carries_the_same_figures():
    option = chart_option(LINE)
    assert option["xAxis"] == {"type": "category", "data": MONTHS}
    assert option["yAxis"]["name"] == "件"
    assert [(s["type"], s["name"], s["data"]) for s in option["series"]] == [
        ("line", "事件", [12, 9, 14, 20, 17, 11, 8, 15, 19, 22, 18, 30]),
        ("line", "问题", [1, None] * 6),
    ]
    assert option["title"]["text"] == "近十二个月事件数量"
    json.dumps(option)  # what the page embeds


def test_option_bar_keeps_rare_characters_for_the_browser():
    option = chart_option(BAR)
    assert option["xAxis"]["data"] == [f"刘{RARE_EXT_A}", f"张{BEYOND_BMP}", "李四"]
    assert [s["type"] for s in option["series"]] == ["bar", "bar"]
    assert option["series"][1]["data"] == [12, 0, None]


def test_option_pie_pairs_names_and_values():
    option = chart_option(PIE)
    (series,) = option["series"]
    assert series["type"] == "pie"
    assert series["data"] == [
        {"name": "一级", "value": 0},
        {"name": "二级", "value": 1},
        {"name": "三级", "value": 6},
        {"name": "四级", "value": 23},
    ]


def test_every_chart_of_a_twelve_chart_report_renders():
    doc = sample_document(charts=12)
    charts = [b for s in doc.sections for sub in [s, *s.sections] for b in sub.blocks if isinstance(b, Chart)]
    assert len(charts) == 12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for chart in charts:
            assert chart_png(chart).startswith(b"\x89PNG")
            assert chart_option(chart)["series"]
