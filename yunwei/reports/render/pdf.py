"""The monthly report as PDF (ReportLab, pip-only), with the shipped CJK font embedded as a subset.

The font is Noto Sans CJK SC (SIL OFL 1.1) cut down by fonts/build_font.py. A character it lacks (one
beyond the BMP such as 𠀀 U+20000, say) is never dropped: it is drawn as [U+20000] and named in the
generation log that `render_pdf` returns with the bytes. Contents with page numbers (two passes,
multiBuild), page numbers in the footer, PDF bookmarks for the headings, tables with their column widths,
charts as the same PNG images as the .docx.
"""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable
from reportlab.platypus.tableofcontents import TableOfContents

from yunwei.reports.document import Chart, Document, Paragraph, Table

from .charts import chart_png
from .common import FONT_FILE, captions, cell_text, contents_title, drawable, headings, replacement

FONT = "YunweiSans"
MARGIN = 2.5 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
CHART_WIDTH = 15 * cm


def _register() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))


def _style(name: str, size: float, *, align=TA_LEFT, leading: float | None = None, **extra) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=FONT,
        fontSize=size,
        leading=leading or size * 1.5,
        alignment=align,
        wordWrap="CJK",  # break between any two CJK characters, as Chinese text is set
        **extra,
    )


STYLES = {
    "title": _style("title", 26, align=TA_CENTER, leading=36, spaceAfter=12),
    "subtitle": _style("subtitle", 16, align=TA_CENTER, spaceAfter=8),
    "cover": _style("cover", 14, leftIndent=4 * cm, spaceAfter=4),
    "h1": _style("h1", 16, spaceBefore=14, spaceAfter=6),
    "h2": _style("h2", 14, spaceBefore=10, spaceAfter=4),
    "h3": _style("h3", 12, spaceBefore=8, spaceAfter=4),
    "body": _style("body", 11, firstLineIndent=22, leading=18),
    "caption": _style("caption", 10.5, align=TA_CENTER, spaceBefore=4, spaceAfter=6),
    "cell": _style("cell", 9.5, leading=13),
    "cell_right": _style("cell_right", 9.5, align=TA_RIGHT, leading=13),
    "cell_head": _style("cell_head", 9.5, align=TA_CENTER, leading=13),
    "contents": _style("contents", 16, align=TA_CENTER, spaceAfter=12),
}
TOC_LEVELS = [
    _style("toc1", 12, leftIndent=0, firstLineIndent=0, leading=20),
    _style("toc2", 11, leftIndent=0.8 * cm, firstLineIndent=0, leading=18),
    _style("toc3", 10.5, leftIndent=1.6 * cm, firstLineIndent=0, leading=16),
]


class _Heading(RLParagraph):
    """A heading paragraph that the document template reports to the contents and the bookmarks."""

    def __init__(self, text: str, style, level: int, key: str):
        super().__init__(text, style)
        self.toc_level = level
        self.toc_key = key


class _Report(BaseDocTemplate):
    def __init__(self, buffer, doc: Document, missing: set[str]):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=doc.title,
            subject=doc.subtitle,
            author=doc.organisation,
            creator="Yunwei",
            # The canvas's own initial font would otherwise be Helvetica, listed (unembedded) on every page.
            initialFontName=FONT,
        )
        self.report = doc
        self.missing = missing
        frame = Frame(MARGIN, MARGIN, FRAME_WIDTH, A4[1] - 2 * MARGIN, id="body")
        self.header_text = drawable(f"{doc.title}　{doc.subtitle}", missing)
        self.addPageTemplates(
            [PageTemplate("cover", [frame]), PageTemplate("body", [frame], onPage=self._decorate)]
        )

    def _decorate(self, canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.setStrokeColor(colors.grey)
        top = A4[1] - MARGIN + 0.6 * cm
        canvas.drawCentredString(A4[0] / 2, top + 0.15 * cm, self.header_text)
        canvas.line(MARGIN, top, A4[0] - MARGIN, top)
        canvas.drawCentredString(A4[0] / 2, MARGIN - 1.2 * cm, f"— {canvas.getPageNumber() - 1} —")
        canvas.restoreState()

    def afterFlowable(self, flowable) -> None:
        if isinstance(flowable, _Heading):
            text = flowable.getPlainText()
            self.canv.bookmarkPage(flowable.toc_key)
            self.canv.addOutlineEntry(text, flowable.toc_key, level=flowable.toc_level - 1, closed=False)
            # The page number printed in the footer: the cover is not counted.
            self.notify(
                "TOCEntry",
                (flowable.toc_level - 1, escape(text, quote=False), self.page - 1, flowable.toc_key),
            )


def render_pdf(doc: Document) -> tuple[bytes, list[str]]:
    """The report as PDF bytes and the generation log (every character drawn as a replacement is named)."""
    _register()
    missing: set[str] = set()
    log: list[str] = []

    def text(value: str) -> str:
        return escape(drawable(value, missing), quote=False)

    story: list = [Spacer(1, 4 * cm)]
    story.append(RLParagraph(text(doc.organisation), STYLES["subtitle"]))
    story.append(RLParagraph(text(doc.title), STYLES["title"]))
    story.append(RLParagraph(text(doc.subtitle), STYLES["subtitle"]))
    story.append(Spacer(1, 5 * cm))
    for label, value in doc.cover_lines:
        story.append(RLParagraph(f"{text(label)}：{text(value)}", STYLES["cover"]))
    story += [NextPageTemplate("body"), PageBreak()]

    contents = TableOfContents(
        levelStyles=TOC_LEVELS,
        dotsMinLevel=0,
        # The contents' table names a cell font of its own (Helvetica) unless told otherwise.
        tableStyle=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    story += [RLParagraph(text(contents_title(doc)), STYLES["contents"]), contents, PageBreak()]

    labels = captions(doc)
    for index, heading in enumerate(headings(doc)):
        style = STYLES[f"h{min(heading.level, 3)}"]
        story.append(_Heading(text(heading.text), style, min(heading.level, 3), f"h{index}"))
        for block in heading.section.blocks:
            if isinstance(block, Paragraph):
                for line in block.text.split("\n"):
                    story.append(RLParagraph(text(line), STYLES["body"]))
            elif isinstance(block, Table):
                caption = RLParagraph(text(f"{labels[id(block)]}　{block.title}"), STYLES["caption"])
                story += [caption, _table(block, text, log), Spacer(1, 0.3 * cm)]
            elif isinstance(block, Chart):
                # The PNG writes these characters as [U+XXXX] too: the log names them all the same.
                for label in [block.title, block.unit, *block.categories, *(s.name for s in block.series)]:
                    drawable(label, missing)
                story.append(
                    KeepTogether(
                        [
                            _image(block),
                            RLParagraph(text(f"{labels[id(block)]}　{block.title}"), STYLES["caption"]),
                        ]
                    )
                )

    buffer = io.BytesIO()
    report = _Report(buffer, doc, missing)
    report.multiBuild(story)
    for char in sorted(missing):
        log.append(
            f"U+{ord(char):04X} ({char}) is not in the shipped font (Noto Sans CJK SC subset);"
            f" drawn as {replacement(char)}"
        )
    return buffer.getvalue(), log


def _table(block: Table, text, log: list[str]) -> RLTable:
    widths = [c.width_cm * cm for c in block.columns]
    total = sum(widths)
    if total > FRAME_WIDTH:
        log.append(f"table {block.title!r}: {total / cm:.1f} cm wide, scaled to {FRAME_WIDTH / cm:.1f} cm")
        widths = [w * FRAME_WIDTH / total for w in widths]
    head = [RLParagraph(text(c.title), STYLES["cell_head"]) for c in block.columns]
    rows = [head]
    for row in block.rows:
        cells = []
        for col, column in enumerate(block.columns):
            value = row[col] if col < len(row) else None
            style = STYLES["cell_right"] if column.numeric else STYLES["cell"]
            cells.append(RLParagraph(text(cell_text(value)), style))
        rows.append(cells)
    table = RLTable(rows, colWidths=widths, repeatRows=1, hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _image(chart: Chart) -> Image:
    png = chart_png(chart)
    image = Image(io.BytesIO(png))
    # Keep the aspect ratio: the PNG is drawn at the chart width whatever its pixel size.
    scale = CHART_WIDTH / image.imageWidth
    image.drawWidth = CHART_WIDTH
    image.drawHeight = image.imageHeight * scale
    image.hAlign = "CENTER"
    return image
