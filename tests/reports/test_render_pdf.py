"""The PDF read back: its text (pypdf), its pages as images (pypdfium2), the font and the warnings."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
from pypdf import PdfReader

from yunwei.reports.render import render_pdf

from .render_sample import BEYOND_BMP, HEADINGS, RARE_EXT_A, sample_document


@pytest.fixture(scope="module")
def rendered():
    return render_pdf(sample_document())


@pytest.fixture(scope="module")
def reader(rendered):
    return PdfReader(io.BytesIO(rendered[0]))


def _pages_text(reader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_text_has_the_chinese_headings_and_the_ext_a_character(reader):
    text = "\n".join(_pages_text(reader))
    for heading in HEADINGS:
        assert heading in text
    assert f"刘{RARE_EXT_A}" in text
    assert "运维分析月报" in text and "某集团有限公司" in text
    assert "事件等级" in text and "平均恢复时长（小时）" in text


def test_a_character_no_font_has_is_marked_and_logged_never_dropped(rendered, reader):
    _data, log = rendered
    text = "\n".join(_pages_text(reader))
    assert BEYOND_BMP not in text
    assert "张[U+20000]" in text
    assert any("U+20000" in line and BEYOND_BMP in line for line in log)
    assert len(log) == 1  # nothing else was replaced: 䶮 is in the font


def test_contents_give_the_page_each_heading_is_printed_on(reader):
    pages = _pages_text(reader)
    contents_index = next(i for i, t in enumerate(pages) if "目 录" in t or "目　录" in t)
    # Layout mode keeps each contents line whole: the title, the dots, the page number.
    contents = reader.pages[contents_index].extract_text(extraction_mode="layout")
    footer = re.compile(r"—\s*(\d+)\s*—")
    for heading in HEADINGS:
        line = re.search(rf"^\s*{re.escape(heading)}[\s.]+(\d+)\s*$", contents, re.M)
        assert line, heading
        listed = int(line.group(1))
        # The page the heading really is on (after the contents page), by its printed footer number.
        body = next(
            i
            for i, text in enumerate(pages)
            if i > contents_index and re.search(rf"^{re.escape(heading)}$", text, re.M)
        )
        assert int(footer.search(pages[body]).group(1)) == listed, heading
    assert re.search(r"^\s*1 运行概况[\s.]+2\s*$", contents, re.M)  # the contents page is page 1


def test_page_numbers_and_bookmarks(reader):
    pages = _pages_text(reader)
    assert "— 1 —" not in pages[0]  # the cover carries no number
    assert all("运维分析月报\u3000信息中心 · 2026年11月" in page for page in pages[1:])  # the header
    assert [int(n) for n in re.findall(r"—\s*(\d+)\s*—", "\n".join(pages[1:]))] == list(range(1, len(pages)))
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    assert titles == HEADINGS


def test_only_the_shipped_font_embedded_as_a_subset(reader):
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"]  # embedded TrueType
    assert len(fonts) == 1
    assert re.fullmatch(r"/[A-Z]{6}\+YunweiSans-Regular", fonts.pop())


def test_pages_render_to_images(rendered, tmp_path):
    pdf = pypdfium2.PdfDocument(rendered[0])
    try:
        for index in range(len(pdf)):
            image = pdf[index].render(scale=1).to_pil().convert("L")
            image.save(tmp_path / f"page-{index + 1}.png")
            dark = sum(1 for value in image.get_flattened_data() if value < 128)
            assert dark > 500, f"page {index + 1} looks empty"
    finally:
        pdf.close()


def test_pictures_are_in_the_pdf(reader):
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2


def test_a_twelve_chart_report_stays_under_three_megabytes():
    data, log = render_pdf(sample_document(charts=12))
    reader = PdfReader(io.BytesIO(data))
    assert sum(len(page.images) for page in reader.pages) == 12
    assert len(data) < 3 * 1024 * 1024
    assert [line for line in log if "U+20000" not in line] == []


def test_a_character_missing_in_a_chart_is_logged_too():
    from yunwei.reports.document import Chart, Document, Section, Series

    chart = Chart("c", "值班", "bar", [f"刘{RARE_EXT_A}", "𠀁"], [Series("小时", [1, 2])])
    doc = Document("月报", "2026年11月", "集团", "zh-hans", [Section("值班", blocks=[chart])])
    _data, log = render_pdf(doc)
    assert len(log) == 1 and "U+20001" in log[0]
