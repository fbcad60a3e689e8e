"""What every renderer shares: the heading numbers, the shipped font and the figure/table captions."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from yunwei.reports.document import Block, Chart, Document, Section, Table

FONT_DIR = Path(__file__).with_name("fonts")
# Noto Sans CJK SC, subset (fonts/build_font.py) to Latin, symbols, CJK Ext-A and the unified ideographs.
FONT_FILE = FONT_DIR / "YunweiSans-Regular.ttf"
FONT_FAMILY = "Yunwei Sans"


class TemplateError(ValueError):
    """A group's .docx template cannot be used; the message names the problem and where it is."""


@dataclass(frozen=True)
class Heading:
    number: str  # "2" or "2.1"
    title: str
    level: int  # 1 for a section, 2 for a sub-section …
    section: Section

    @property
    def text(self) -> str:
        return f"{self.number} {self.title}"


def headings(doc: Document) -> Iterator[Heading]:
    """Every section in reading order with its number: 1, 1.1, 1.1.1 … (the same in every format)."""

    def walk(sections: list[Section], prefix: str, level: int) -> Iterator[Heading]:
        for index, section in enumerate(sections, start=1):
            number = f"{prefix}{index}"
            yield Heading(number, section.title, level, section)
            yield from walk(section.sections, f"{number}.", level + 1)

    yield from walk(doc.sections, "", 1)


def captions(doc: Document) -> dict[int, str]:
    """表 n / 图 n numbers by block identity, counted through the whole document."""
    numbers: dict[int, str] = {}
    tables = charts = 0
    for heading in headings(doc):
        for block in heading.section.blocks:
            if isinstance(block, Table):
                tables += 1
                numbers[id(block)] = caption_label(doc, "table", tables)
            elif isinstance(block, Chart):
                charts += 1
                numbers[id(block)] = caption_label(doc, "chart", charts)
    return numbers


def caption_label(doc: Document, kind: str, number: int) -> str:
    chinese = doc.language.lower().startswith("zh")
    if kind == "table":
        return f"表 {number}" if chinese else f"Table {number}"
    return f"图 {number}" if chinese else f"Figure {number}"


def contents_title(doc: Document) -> str:
    return "目　录" if doc.language.lower().startswith("zh") else "Contents"


def all_blocks(doc: Document) -> Iterator[Block]:
    for heading in headings(doc):
        yield from heading.section.blocks


@functools.cache
def font_cmap() -> frozenset[int]:
    """The code points the shipped font draws."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_FILE), lazy=True) as font:
        return frozenset(font.getBestCmap())


def replacement(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def drawable(text: str, missing: set[str] | None = None) -> str:
    """The text with every character the font lacks written as [U+XXXX]; those characters go to `missing`.

    Nothing is dropped silently: a reader sees where a character was, and the log names it.
    """
    cmap = font_cmap()
    out = []
    for char in text:
        if ord(char) in cmap or char in "\n\t":
            out.append(char)
        else:
            out.append(replacement(char))
            if missing is not None:
                missing.add(char)
    return "".join(out)


def cell_text(value: object) -> str:
    """A table cell as printed in the .docx and the PDF (the .xlsx keeps the raw number)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
