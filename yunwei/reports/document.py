"""The monthly report as a document model: what the figures say, independent of the file format.

The report's figures are turned into one `Document`; the renderers (`yunwei.reports.render`) turn the
same document into .docx, .pdf and .xlsx, and each `Chart` feeds both the page (ECharts) and the files
(matplotlib), so a figure has one source whatever shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    title: str
    # Explicit widths: WPS sizes a table by its grid columns, not by its cells' content.
    width_cm: float
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    # The .xlsx sheet this table's data goes to (at most 31 characters, unique in the document).
    sheet: str


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: Literal["line", "bar", "pie"]
    categories: list[str]
    series: list[Series]
    unit: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: str


Block = Paragraph | Table | Chart


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    # Sub-sections are numbered under their section (2.1, 2.2 …).
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    title: str
    # e.g. the unit's name and the month, shown on the cover and in the header.
    subtitle: str
    organisation: str
    language: str
    sections: list[Section]
    # Label/value pairs on the cover (prepared by, signed by, version, issued on …).
    cover_lines: list[tuple[str, str]] = field(default_factory=list)
