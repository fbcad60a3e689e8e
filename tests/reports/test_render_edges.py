"""Thin and odd documents render in every format: nothing to show is not an error."""

from __future__ import annotations

import io
import warnings

from docx import Document as open_docx
from openpyxl import load_workbook
from pypdf import PdfReader

from yunwei.reports.document import Chart, Column, Document, Paragraph, Section, Series, Table
from yunwei.reports.render import chart_option, chart_png, render_docx, render_pdf, render_xlsx


def _odd() -> Document:
    empty_table = Table(
        "无数据的表", [Column("名称", 3), Column("数量", 2, numeric=True)], [], sheet="数据:2026/11?"
    )
    wide = Table(
        "很宽的表",
        [Column(f"列{n}", 4.0, numeric=True) for n in range(8)],
        [[n * 1.5 for n in range(8)], [None] * 8, [1] * 3],  # a short row: the missing cells are blank
        sheet="数据:2026/11?",  # the same name again, with characters a sheet name may not hold
    )
    return Document(
        title="Monthly O&M report <draft>",
        subtitle="Unit & month",
        organisation="Group",
        language="en",
        sections=[
            Section("Empty"),
            Section(
                "Odd",
                blocks=[
                    Paragraph("Line one\nLine two with <angle> & ampersand"),
                    empty_table,
                    wide,
                    Chart("none", "No categories", "line", [], []),
                    Chart("zero", "All zero", "pie", ["a", "b"], [Series("s", [0, 0])]),
                    Chart("gaps", "Gaps", "bar", ["a", "b", "c"], [Series("s", [None, 2, None])]),
                ],
                sections=[Section("Deeper", sections=[Section("Deepest", blocks=[Paragraph("x")])])],
            ),
        ],
    )


def test_odd_documents_render_in_every_format():
    doc = _odd()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        word = open_docx(io.BytesIO(render_docx(doc)))
        data, log = render_pdf(doc)
        book = load_workbook(io.BytesIO(render_xlsx(doc)))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["1 Empty", "2 Odd", "2.1 Deeper", "2.1.1 Deepest"]
    assert "Contents" in [p.text for p in word.paragraphs]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "2.1.1 Deepest" in text and "<angle> & ampersand" in text
    assert any("很宽的表" in line and "scaled" in line for line in log)
    assert book.sheetnames[:2] == ["数据_2026_11_", "数据_2026_11_ (2)"]
    assert book["数据_2026_11_ (2)"]["A4"].value is None


def test_charts_without_data_still_draw():
    for chart in _odd().sections[1].blocks[3:]:
        assert chart_png(chart).startswith(b"\x89PNG")
        assert "series" in chart_option(chart)
