"""The .docx read back with python-docx: contents, numbered headings, widths, pictures, fonts."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Cm

from yunwei.reports.render import render_docx

from .render_sample import HEADINGS, INCIDENTS_BY_GRADE, RARE_EXT_A, sample_document

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]|[\U00020000-\U0003ffff]")


@pytest.fixture(scope="module")
def word():
    return open_docx(io.BytesIO(render_docx(sample_document())))


def _runs(word):
    """Every w:r of the body (tables and fields included), the headers and the footers."""
    yield from word.element.body.iter(qn("w:r"))
    for section in word.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            yield from part._element.iter(qn("w:r"))


def _text(run) -> str:
    return "".join(t.text or "" for t in run.iter(qn("w:t")))


def test_cover_carries_title_subtitle_organisation_and_cover_lines(word):
    texts = [p.text for p in word.paragraphs]
    cover = texts[: texts.index("目　录")]
    for wanted in (
        "运维分析月报",
        "信息中心 · 2026年11月",
        "某集团有限公司",
        f"编制：刘{RARE_EXT_A}",
        "发布日期：2026-12-05",
    ):
        assert wanted in cover


def test_contents_lists_every_heading_as_text_inside_a_dirty_toc_field(word):
    texts = [p.text for p in word.paragraphs]
    start = texts.index("目　录")
    contents = [p for p in word.paragraphs[start + 1 : start + 1 + len(HEADINGS)]]
    assert [p.text for p in contents] == HEADINGS
    assert [p.style.name for p in contents] == ["TOC 1", "TOC 2", "TOC 2", "TOC 1", "TOC 1"]
    # The static list is the cached result of a TOC field that Word is told to refresh.
    first = contents[0]._p
    chars = first.findall(".//" + qn("w:fldChar"))
    assert chars[0].get(qn("w:fldCharType")) == "begin" and chars[0].get(qn("w:dirty")) == "true"
    assert "TOC" in "".join(t.text for t in first.iter(qn("w:instrText")))
    last = contents[-1]._p.findall(".//" + qn("w:fldChar"))
    assert last[-1].get(qn("w:fldCharType")) == "end"
    update = word.settings.element.find(qn("w:updateFields"))
    assert update is not None and update.get(qn("w:val")) == "true"


def test_headings_carry_their_numbers_in_heading_styles(word):
    found = [(p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert found == [
        ("Heading 1", "1 运行概况"),
        ("Heading 2", "1.1 事件统计"),
        ("Heading 2", "1.2 可用率"),
        ("Heading 1", "2 人员与值班"),
        ("Heading 1", "3 下月计划"),
    ]


def test_tables_have_grid_and_cell_widths_and_the_figures(word):
    incidents = word.tables[0]
    assert [c.text for c in incidents.rows[0].cells] == [
        "事件等级",
        "发生数",
        "已关闭",
        "平均恢复时长（小时）",
    ]
    expected = [[str(v) for v in row] for row in INCIDENTS_BY_GRADE]
    assert [[c.text for c in row.cells] for row in incidents.rows[1:]] == expected
    wanted = [Cm(4.5), Cm(2.5), Cm(2.5), Cm(4.0)]
    grid = [int(g.get(qn("w:w"))) for g in incidents._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid == [round(w / 635) for w in wanted]  # twips: 1 twip = 635 EMU
    for row in incidents.rows:
        for cell, width in zip(row.cells, wanted, strict=True):
            assert abs(cell.width - width) <= 635
    (layout,) = incidents._tbl.tblPr.findall(qn("w:tblLayout"))
    assert layout.get(qn("w:type")) == "fixed"
    people = word.tables[1]
    assert people.rows[1].cells[0].text == f"刘{RARE_EXT_A}"
    assert people.rows[1].cells[2].text == "=1+1"


def test_charts_are_png_pictures(word):
    pictures = [rel.target_part for rel in word.part.rels.values() if "image" in rel.reltype]
    assert len(pictures) == 2
    assert all(p.blob.startswith(b"\x89PNG") for p in pictures)
    assert len(word.inline_shapes) == 2


def test_every_run_names_its_east_asian_font(word):
    runs = list(_runs(word))
    assert sum(1 for r in runs if CJK.search(_text(r))) > 30
    for run in runs:
        fonts = run.rPr.find(qn("w:rFonts")) if run.rPr is not None else None
        assert fonts is not None, _text(run)
        assert fonts.get(qn("w:eastAsia")) in ("宋体", "黑体", "仿宋"), _text(run)
        assert fonts.get(qn("w:ascii")) and fonts.get(qn("w:hAnsi")), _text(run)
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    heading = next(p for p in word.paragraphs if p.style.name == "Heading 1")
    assert heading.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    toc = next(p for p in word.paragraphs if p.style.name == "TOC 1")
    assert toc.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    cover_line = next(p for p in word.paragraphs if p.style.name == "Cover Line")
    assert cover_line.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"


def test_styles_name_east_asian_fonts(word):
    for name, font in (
        ("Normal", "宋体"),
        ("Heading 1", "黑体"),
        ("Heading 2", "黑体"),
        ("Table Text", "宋体"),
    ):
        fonts = word.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font
        assert fonts.get(qn("w:asciiTheme")) is None


def test_header_and_page_number_field():
    data = render_docx(sample_document())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        footers = [archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer")]
        headers = [archive.read(n).decode() for n in archive.namelist() if n.startswith("word/header")]
    assert any(" PAGE " in f for f in footers)
    # The header names the report and its unit and month (the document's subtitle).
    assert any("运维分析月报　信息中心 · 2026年11月" in h for h in headers)


def test_pages_are_numbered_from_the_contents_on_as_in_the_pdf(word):
    cover, body = word.sections
    assert cover.different_first_page_header_footer and not body.different_first_page_header_footer
    assert body.header.is_linked_to_previous and body.footer.is_linked_to_previous
    assert body._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    # The cover section ends right after the cover, before the contents.
    texts = [p.text for p in word.paragraphs]
    breaks = [
        i for i, p in enumerate(word.paragraphs) if p._p.find(qn("w:pPr") + "/" + qn("w:sectPr")) is not None
    ]
    assert len(breaks) == 1 and breaks[0] < texts.index("目　录")


def test_a_twelve_chart_report_renders():
    word = open_docx(io.BytesIO(render_docx(sample_document(charts=12))))
    assert len(word.inline_shapes) == 12


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_an_office_suite_that_runs_no_fields_shows_the_contents(tmp_path):
    """Like WPS, LibreOffice shows a field's cached result: the static contents list must be there."""
    source = tmp_path / "report.docx"
    source.write_bytes(render_docx(sample_document()))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    lines = [line.strip() for line in (tmp_path / "report.txt").read_text(encoding="utf-8-sig").splitlines()]
    start = lines.index("目　录")
    listed = [line for line in lines[start + 1 :] if line][: len(HEADINGS)]
    assert listed == HEADINGS
