"""The monthly report as .docx (python-docx), readable alike in Microsoft Word and WPS Office.

Contents. WPS shows a table-of-contents field that was never updated as an empty block, and Word shows
one only after "Update field". So the contents are written as ordinary paragraphs — every heading with its
number ("2.1 事件统计") — and those paragraphs are the cached result of a real TOC field, with
w:updateFields set in settings.xml: WPS (and any viewer that does not run fields) reads the static list;
Word offers to update fields on opening and replaces the same list with one that has page numbers.

Heading numbers are written into the heading text (not Word list numbering): the numbers then read the
same in Word, WPS, the static contents, the PDF and the page, and a group's template cannot renumber them
through a numbering definition of its own.

Fonts. Every run names its East Asian font (w:rFonts w:eastAsia) besides ascii/hAnsi, and so do the styles
(Normal, headings, table text, captions, contents): 宋体 for the body, 黑体 for headings, 仿宋 for the
cover's lines and captions — fonts every Chinese Windows PC has. With a group's template, a run takes the
fonts of its style in that template (falling back to these), so the template's choice stands.

Tables carry explicit widths twice — the tblGrid's gridCol widths (WPS sizes a table by them) and each
cell's tcW (Word) — with a fixed layout. Charts are PNG images from `charts.chart_png`.

A group's template (`template` bytes) is filled as data in a sandboxed subprocess (`template.py`); its
styles, header, footer and cover (its body, with {{ title }}-style placeholders filled) are kept and the
report is appended after the cover.
"""

from __future__ import annotations

import io

from docx import Document as open_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from yunwei.reports.document import Chart, Document, Paragraph, Table

from .charts import chart_png
from .common import captions, cell_text, contents_title, headings
from .template import fill_template

BODY = "宋体"
HEADING = "黑体"
FANGSONG = "仿宋"
LATIN_BODY = "Times New Roman"
LATIN_HEADING = "Arial"

# style name → (eastAsia, ascii/hAnsi, size in pt, bold)
STYLE_FONTS = {
    "Normal": (BODY, LATIN_BODY, 12, False),
    "Title": (HEADING, LATIN_HEADING, 26, False),
    "Subtitle": (HEADING, LATIN_HEADING, 16, False),
    "Heading 1": (HEADING, LATIN_HEADING, 16, False),
    "Heading 2": (HEADING, LATIN_HEADING, 14, False),
    "Heading 3": (HEADING, LATIN_HEADING, 12, False),
    "Heading 4": (HEADING, LATIN_HEADING, 12, False),
    "Caption": (HEADING, LATIN_HEADING, 10.5, False),
    "Table Text": (BODY, LATIN_BODY, 10.5, False),
    "Table Head": (HEADING, LATIN_HEADING, 10.5, False),
    "Cover Line": (FANGSONG, LATIN_BODY, 14, False),
    "Contents Title": (HEADING, LATIN_HEADING, 16, False),
    "TOC 1": (BODY, LATIN_BODY, 12, False),
    "TOC 2": (BODY, LATIN_BODY, 12, False),
    "TOC 3": (BODY, LATIN_BODY, 12, False),
    "Header": (BODY, LATIN_BODY, 9, False),
    "Footer": (BODY, LATIN_BODY, 9, False),
}
TEXT_WIDTH_CM = 16.0  # A4 less 2.5 cm margins


def render_docx(doc: Document, template: bytes | None = None) -> bytes:
    """The report as .docx bytes; `template` is a group's own .docx (raises TemplateError when unusable)."""
    if template is not None:
        word = open_docx(io.BytesIO(fill_template(template, doc)))
        writer = _Writer(word, doc, own_styles=False)
        if not _has_text(word):
            writer.cover()
        else:
            writer.page_break()
    else:
        word = open_docx()
        writer = _Writer(word, doc, own_styles=True)
        writer.page_setup()
        writer.cover()
    writer.contents()
    writer.body()
    _update_fields_on_open(word)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _has_text(word) -> bool:
    return any(p.text.strip() for p in word.paragraphs) or bool(word.tables)


def set_run_fonts(rpr_parent, east_asia: str, latin: str) -> None:
    """w:rFonts with eastAsia, ascii, hAnsi and cs named, and no theme font left to override them."""
    fonts = rpr_parent.get_or_add_rPr().get_or_add_rFonts()  # in its schema place, after any rStyle
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


class _Writer:
    def __init__(self, word, doc: Document, *, own_styles: bool):
        self.word = word
        self.doc = doc
        self.own_styles = own_styles
        self.captions = captions(doc)
        self._style_fonts: dict[str, tuple[str, str]] = {}
        self._prepare_styles()

    # Styles -----------------------------------------------------------------------------------------

    def _prepare_styles(self) -> None:
        styles = self.word.styles
        for name, (east_asia, latin, size, bold) in STYLE_FONTS.items():
            try:
                style = styles[name]
                existed = True
            except KeyError:
                style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
                style.base_style = styles["Normal"]
                existed = False
            if self.own_styles or not existed:
                set_run_fonts(style.element, east_asia, latin)
                style.font.size = Pt(size)
                style.font.bold = bold
                style.font.italic = False
                if name.startswith("Heading") or name in ("Title", "Subtitle", "Caption"):
                    style.font.color.rgb = RGBColor(0, 0, 0)  # the default template's are blue
                self._style_fonts[name] = (east_asia, latin)
            else:
                self._style_fonts[name] = self._declared_fonts(style, (east_asia, latin))
        if self.own_styles:
            normal = styles["Normal"].paragraph_format
            normal.line_spacing = 1.5
            normal.space_after = Pt(0)
            for level, before in ((1, 18), (2, 12), (3, 8)):
                fmt = styles[f"Heading {level}"].paragraph_format
                fmt.space_before = Pt(before)
                fmt.space_after = Pt(6)
                fmt.keep_with_next = True
            styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            styles["Contents Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            styles["Table Head"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for name in ("Table Text", "Table Head"):
                fmt = styles[name].paragraph_format
                fmt.line_spacing = 1.0
                fmt.space_before = fmt.space_after = Pt(2)
            title_pr = styles["Title"].element.pPr
            if title_pr is not None and title_pr.find(qn("w:pBdr")) is not None:
                title_pr.remove(title_pr.find(qn("w:pBdr")))  # the default template underlines it in blue
            for level in (1, 2, 3):
                styles[f"TOC {level}"].paragraph_format.left_indent = Cm(0.74 * (level - 1))

    def _declared_fonts(self, style, default: tuple[str, str]) -> tuple[str, str]:
        """A template style's own fonts (following its base styles), so runs repeat what the template says."""
        east_asia = latin = None
        current = style
        while current is not None and (east_asia is None or latin is None):
            rpr = current.element.rPr
            fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
            if fonts is not None:
                east_asia = east_asia or fonts.get(qn("w:eastAsia"))
                latin = latin or fonts.get(qn("w:ascii"))
            current = current.base_style
        return (east_asia or default[0], latin or default[1])

    # Writing helpers --------------------------------------------------------------------------------

    def paragraph(self, text: str, style: str, *, bold: bool = False, container=None):
        container = container or self.word
        paragraph = container.add_paragraph(style=style)
        self.run(paragraph, text, style, bold=bold)
        return paragraph

    def run(self, paragraph, text: str, style: str, *, bold: bool = False):
        run = paragraph.add_run(text)
        east_asia, latin = self._style_fonts.get(style, (BODY, LATIN_BODY))
        set_run_fonts(run._r, east_asia, latin)
        if bold:
            run.bold = True
        return run

    def page_break(self) -> None:
        paragraph = self.word.add_paragraph()
        self.run(paragraph, "", "Normal").add_break(WD_BREAK.PAGE)

    # Parts ----------------------------------------------------------------------------------------

    def page_setup(self) -> None:
        section = self.word.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.5)
        section.different_first_page_header_footer = True  # no header or page number on the cover
        header = section.header.paragraphs[0]
        header.style = self.word.styles["Header"]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.run(header, f"{self.doc.title}　{self.doc.subtitle}", "Header")
        footer = section.footer.paragraphs[0]
        footer.style = self.word.styles["Footer"]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._field(footer, "PAGE", "1", "Footer")

    def cover(self) -> None:
        for _ in range(5):
            self.word.add_paragraph()
        self.paragraph(self.doc.organisation, "Subtitle").alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.paragraph(self.doc.title, "Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.paragraph(self.doc.subtitle, "Subtitle").alignment = WD_ALIGN_PARAGRAPH.CENTER
        for _ in range(6):
            self.word.add_paragraph()
        for label, value in self.doc.cover_lines:
            line = self.word.add_paragraph(style="Cover Line")
            line.paragraph_format.left_indent = Cm(4)
            self.run(line, f"{label}：", "Cover Line", bold=True)
            self.run(line, value, "Cover Line")
        if self.own_styles:
            self.numbered_section()
        else:
            self.page_break()

    def numbered_section(self) -> None:
        """The cover is a section of its own: pages are numbered from the contents on, as in the PDF."""
        section = self.word.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False  # the header and footer come back
        sect_pr = section._sectPr
        numbering = OxmlElement("w:pgNumType")
        numbering.set(qn("w:start"), "1")
        later = {
            qn(f"w:{t}")
            for t in (
                "cols",
                "formProt",
                "vAlign",
                "noEndnote",
                "titlePg",
                "textDirection",
                "bidi",
                "rtlGutter",
                "docGrid",
                "printerSettings",
            )
        }
        following = next((child for child in sect_pr if child.tag in later), None)
        if following is None:
            sect_pr.append(numbering)
        else:
            following.addprevious(numbering)

    def contents(self) -> None:
        self.paragraph(contents_title(self.doc), "Contents Title")
        entries = list(headings(self.doc))
        levels = max((h.level for h in entries), default=1)
        # A TOC field whose cached result is the static list: begin … separate, the entries, … end.
        first = self.word.add_paragraph(style="TOC 1")
        for kind in ("begin", "instr", "separate"):
            run = self._bare_run("TOC 1")
            if kind == "instr":
                text = OxmlElement("w:instrText")
                text.set(qn("xml:space"), "preserve")
                text.text = f' TOC \\o "1-{min(levels, 3)}" \\h \\z \\u '
                run.append(text)
            else:
                run.append(_fld_char(kind, dirty=kind == "begin"))
            first._p.append(run)
        paragraph = first
        for index, heading in enumerate(entries):
            style = f"TOC {min(heading.level, 3)}"
            if index:
                paragraph = self.word.add_paragraph(style=style)
            else:
                paragraph.style = self.word.styles[style]
            self.run(paragraph, heading.text, style)
        end = self._bare_run(paragraph.style.name)
        end.append(_fld_char("end"))
        paragraph._p.append(end)
        self.page_break()

    def body(self) -> None:
        for heading in headings(self.doc):
            self.paragraph(heading.text, f"Heading {min(heading.level, 4)}")
            for block in heading.section.blocks:
                if isinstance(block, Paragraph):
                    self.text(block)
                elif isinstance(block, Table):
                    self.table(block)
                elif isinstance(block, Chart):
                    self.chart(block)

    def text(self, block: Paragraph) -> None:
        for line in block.text.split("\n"):
            paragraph = self.paragraph(line, "Normal")
            paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters

    def table(self, block: Table) -> None:
        self.paragraph(
            f"{self.captions[id(block)]}　{block.title}", "Caption"
        ).paragraph_format.keep_with_next = True
        widths = _fit(block)
        table = self.word.add_table(rows=1 + len(block.rows), cols=len(block.columns))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _fix_layout(table, widths)
        for col, column in enumerate(block.columns):
            cell = table.rows[0].cells[col]
            self._cell(cell, column.title, "Table Head", widths[col], align=WD_ALIGN_PARAGRAPH.CENTER)
            shading = OxmlElement("w:shd")
            shading.set(qn("w:val"), "clear")
            shading.set(qn("w:color"), "auto")
            shading.set(qn("w:fill"), "DDE4EE")  # the PDF's and the .xlsx's header colour
            tc_pr = cell._tc.get_or_add_tcPr()
            v_align = tc_pr.find(qn("w:vAlign"))  # shd comes before vAlign in tcPr's sequence
            if v_align is None:
                tc_pr.append(shading)
            else:
                v_align.addprevious(shading)
        _repeat_header(table.rows[0])
        for r, row in enumerate(block.rows, start=1):
            cells = table.rows[r].cells
            for col, column in enumerate(block.columns):
                value = row[col] if col < len(row) else None
                align = WD_ALIGN_PARAGRAPH.RIGHT if column.numeric else WD_ALIGN_PARAGRAPH.LEFT
                self._cell(cells[col], cell_text(value), "Table Text", widths[col], align=align)
        self.word.add_paragraph()

    def _cell(self, cell, text: str, style: str, width_cm: float, *, align) -> None:
        cell.width = Cm(width_cm)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.style = self.word.styles[style]
        paragraph.alignment = align
        self.run(paragraph, text, style)

    def chart(self, block: Chart) -> None:
        picture = self.word.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        self.run(picture, "", "Normal").add_picture(io.BytesIO(chart_png(block)), width=Cm(15))
        self.paragraph(f"{self.captions[id(block)]}　{block.title}", "Caption")

    def _bare_run(self, style: str):
        """A w:r for field characters, with the style's fonts named like every other run."""
        run = OxmlElement("w:r")
        east_asia, latin = self._style_fonts.get(style, (BODY, LATIN_BODY))
        set_run_fonts(run, east_asia, latin)
        return run

    def _field(self, paragraph, code: str, shown: str, style: str) -> None:
        for kind in ("begin", "instr", "separate", "shown", "end"):
            run = self._bare_run(style)
            if kind == "instr":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = f" {code} "
                run.append(instr)
            elif kind == "shown":
                t = OxmlElement("w:t")
                t.text = shown
                run.append(t)
            else:
                run.append(_fld_char(kind))
            paragraph._p.append(run)


def _fld_char(kind: str, *, dirty: bool = False):
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if dirty:
        element.set(qn("w:dirty"), "true")
    return element


def _fit(block: Table) -> list[float]:
    """The columns' widths, scaled down proportionally when they would not fit the text width."""
    widths = [max(c.width_cm, 0.5) for c in block.columns]
    total = sum(widths)
    if total > TEXT_WIDTH_CM:
        widths = [w * TEXT_WIDTH_CM / total for w in widths]
    return widths


def _twips(cm: float) -> str:
    return str(round(cm / 2.54 * 1440))


def _fix_layout(table, widths: list[float]) -> None:
    """Fixed layout, total width, grid columns and borders written out (not left to a table style)."""
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:w"), _twips(sum(widths)))
    width.set(qn("w:type"), "dxa")
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tbl_pr.append(layout)
    layout.set(qn("w:type"), "fixed")
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), "000000")
        borders.append(line)
    tbl_pr.append(borders)
    # tblPr children have a schema order; Word is strict about it: put them where they belong.
    order = [
        "tblStyle",
        "tblpPr",
        "tblOverlap",
        "bidiVisual",
        "tblStyleRowBandSize",
        "tblStyleColBandSize",
        "tblW",
        "jc",
        "tblCellSpacing",
        "tblInd",
        "tblBorders",
        "shd",
        "tblLayout",
        "tblCellMar",
        "tblLook",
    ]
    children = sorted(
        tbl_pr, key=lambda e: order.index(e.tag.split("}")[1]) if e.tag.split("}")[1] in order else 99
    )
    for child in children:
        tbl_pr.remove(child)
        tbl_pr.append(child)
    grid = tbl.tblGrid
    for col, grid_col in enumerate(grid.findall(qn("w:gridCol"))):
        grid_col.set(qn("w:w"), _twips(widths[col]))


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _update_fields_on_open(word) -> None:
    settings = word.settings.element
    update = settings.find(qn("w:updateFields"))
    if update is None:
        update = OxmlElement("w:updateFields")
        # settings.xml is an ordered sequence: updateFields goes before the first of these that exists.
        later = [qn(f"w:{t}") for t in _AFTER_UPDATE_FIELDS] + [qn("m:mathPr")]
        following = next((child for child in settings if child.tag in later), None)
        if following is None:
            settings.append(update)
        else:
            following.addprevious(update)
    update.set(qn("w:val"), "true")


_AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults",
    "footnotePr",
    "endnotePr",
    "compat",
    "docVars",
    "rsids",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
)
