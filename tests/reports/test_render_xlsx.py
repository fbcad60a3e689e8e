"""The .xlsx read back with openpyxl: sheets per table and per chart, numbers as numbers, no formulas."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from yunwei.reports.render import render_xlsx

from .render_sample import INCIDENTS_BY_GRADE, MONTHS, RARE_EXT_A, sample_document


@pytest.fixture(scope="module")
def book():
    return load_workbook(io.BytesIO(render_xlsx(sample_document())))


def test_one_sheet_per_table_and_per_chart(book):
    assert book.sheetnames[0] == "事件按等级"
    assert "值班人员" in book.sheetnames
    assert any("近十二个月事件数量" in name for name in book.sheetnames)
    assert any("本月事件等级分布" in name for name in book.sheetnames)
    assert len(book.sheetnames) == 4
    assert all(len(name) <= 31 for name in book.sheetnames)


def test_table_header_numbers_and_widths(book):
    sheet = book["事件按等级"]
    assert [c.value for c in sheet[2]] == ["事件等级", "发生数", "已关闭", "平均恢复时长（小时）"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert rows == INCIDENTS_BY_GRADE
    assert sheet["B4"].data_type == "n" and sheet["B4"].value == 1
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width


def test_formula_looking_text_stays_text(book):
    sheet = book["值班人员"]
    assert sheet["A3"].value == f"刘{RARE_EXT_A}"
    for ref, text in (("C3", "=1+1"), ("C4", "+86 010 1234"), ("C5", "@note")):
        assert sheet[ref].value == text
        assert sheet[ref].data_type == "s"
        assert sheet[ref].quotePrefix


def test_chart_data_behind_the_figure(book):
    sheet = book[next(n for n in book.sheetnames if "近十二个月" in n)]
    assert [c.value for c in sheet[2]] == ["件", "事件", "问题"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[0] for r in rows] == MONTHS
    assert [r[1] for r in rows] == [12, 9, 14, 20, 17, 11, 8, 15, 19, 22, 18, 30]
    assert rows[3][2] is None


def test_formula_text_is_not_stored_as_formula():
    import zipfile

    with zipfile.ZipFile(io.BytesIO(render_xlsx(sample_document()))) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
