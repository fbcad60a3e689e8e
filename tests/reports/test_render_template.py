"""A group's own .docx template: filled as data in a sandbox; unusable ones raise TemplateError naming why."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from docx import Document as new_docx
from docx.oxml.ns import qn
from docx.shared import Pt

from yunwei.reports.render import TemplateError, render_docx

from .render_sample import HEADINGS, RARE_EXT_A, sample_document


def _template(
    *cover: str, header: str = "{{ organisation }} 运维月报（集团模板）", body_font: str = "楷体"
) -> bytes:
    word = new_docx()
    normal = word.styles["Normal"]
    normal.font.size = Pt(11)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), body_font)
    word.sections[0].header.paragraphs[0].text = header
    for line in cover:
        word.add_paragraph(line)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


GOOD = _template(
    "{{ organisation }}",
    "{{ title }}",
    "{{ subtitle }}",
    "{% for label, value in cover_lines %}{{ label }}：{{ value }}；{% endfor %}",
    "编制人：{{ cover['编制'] }}",
)


def test_a_good_template_gives_its_cover_header_and_styles():
    doc = dataclasses.replace(sample_document(), organisation="某集团 & 子公司 <信息中心>")
    word = new_docx_from(render_docx(doc, template=GOOD))
    texts = [p.text for p in word.paragraphs]
    assert texts[:5] == [
        "某集团 & 子公司 <信息中心>",
        "运维分析月报",
        "信息中心 · 2026年11月",
        f"编制：刘{RARE_EXT_A}；审核：王五；版本：V1；发布日期：2026-12-05；",
        f"编制人：刘{RARE_EXT_A}",
    ]
    assert word.sections[0].header.paragraphs[0].text == "某集团 & 子公司 <信息中心> 运维月报（集团模板）"
    # The report follows the cover: contents and numbered headings.
    assert all(h in texts for h in HEADINGS)
    assert texts.count("1 运行概况") == 2  # the contents entry and the heading
    # The template's body font stands, and the body's runs repeat it explicitly.
    assert word.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体"
    body = next(p for p in word.paragraphs if p.text.startswith("本月 OA 系统"))
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "楷体"
    assert len(word.tables) == 2 and len(word.inline_shapes) == 2


def new_docx_from(data: bytes):
    return new_docx(io.BytesIO(data))


def test_an_empty_template_keeps_its_styles_and_gets_the_standard_cover():
    word = new_docx_from(render_docx(sample_document(), template=_template()))
    texts = [p.text for p in word.paragraphs]
    assert "运维分析月报" in texts and f"编制：刘{RARE_EXT_A}" in texts


def test_not_a_docx_is_refused():
    with pytest.raises(TemplateError, match=r"not a \.docx"):
        render_docx(sample_document(), template=b"%PDF-1.7 not a word file")


def test_a_zip_without_a_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(TemplateError, match=r"no word/document\.xml"):
        render_docx(sample_document(), template=buffer.getvalue())


def test_a_template_over_five_megabytes_is_refused():
    with pytest.raises(TemplateError, match=r"more than the 5 MB allowed"):
        render_docx(sample_document(), template=GOOD + b"\0" * (5 * 1024 * 1024))


def test_a_zip_bomb_is_refused_before_it_is_read():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(GOOD)) as good:
            for name in good.namelist():
                archive.writestr(name, good.read(name))
        archive.writestr("word/media/padding.bin", b"\0" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < 5 * 1024 * 1024
    with pytest.raises(TemplateError, match=r"expands to 6\d MB"):
        render_docx(sample_document(), template=buffer.getvalue())


def test_broken_jinja_names_the_paragraph():
    template = _template("{{ title }}", "单位：{{ organisation ", "{{ subtitle }}")
    with pytest.raises(TemplateError) as caught:
        render_docx(sample_document(), template=template)
    message = str(caught.value)
    assert "paragraph 2" in message and "单位：{{ organisation" in message
    assert "TemplateSyntaxError" in message


def test_an_unknown_placeholder_names_itself_and_its_paragraph():
    template = _template("{{ title }}", "{{ approver_name }}")
    with pytest.raises(TemplateError) as caught:
        render_docx(sample_document(), template=template)
    message = str(caught.value)
    assert "approver_name" in message and "paragraph 2" in message


def test_an_unknown_placeholder_in_the_header_names_the_header():
    template = _template("{{ title }}", header="{{ logo_url }}")
    with pytest.raises(TemplateError, match=r"section 1 header paragraph 1.*logo_url"):
        render_docx(sample_document(), template=template)


def test_the_sandbox_refuses_reaching_python_internals():
    template = _template("{{ title }}", "{{ title.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match=r"paragraph 2 .*SecurityError: access to attribute '__class__'"):
        render_docx(sample_document(), template=template)


def test_a_block_spanning_paragraphs_is_fine_and_an_unclosed_one_is_named():
    spanning = _template("{% if title %}", "{{ title }}", "{% endif %}")
    word = new_docx_from(render_docx(sample_document(), template=spanning))
    assert "运维分析月报" in [p.text for p in word.paragraphs]
    with pytest.raises(TemplateError, match=r"paragraph 2 \(“{% if title %}x”\).*'endif'"):
        render_docx(sample_document(), template=_template("{{ title }}", "{% if title %}x"))


def test_a_huge_loop_is_refused_by_the_sandbox():
    template = _template("{% for i in range(10**9) %}{{ i }}{% endfor %}")
    with pytest.raises(TemplateError, match=r"paragraph 1 .*Range too big"):
        render_docx(sample_document(), template=template)


def test_a_template_that_eats_memory_is_stopped():
    template = _template("{{ title }}", "{{ 'x' * 10**9 }}")
    with pytest.raises(TemplateError, match=r"paragraph 2 .*MemoryError"):
        render_docx(sample_document(), template=template)


def test_a_template_that_eats_cpu_is_stopped(monkeypatch):
    from yunwei.reports.render import template as sandbox

    monkeypatch.setattr(sandbox, "CPU_SECONDS", 1)  # the same limit, sooner
    template = _template("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}")
    with pytest.raises(TemplateError, match=r"more than the 1 s of CPU time"):
        render_docx(sample_document(), template=template)
