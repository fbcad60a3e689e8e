"""Exports of a list as an .xlsx workbook, shared by every app (the inventory, the problem log, the
incident, problem, change and audit lists).

A list's export takes the same scoped, filtered queryset as the page shows, so another unit's rows never
reach a file. The workbook is written in openpyxl's write-only mode to a temporary file and streamed
from there: rows go to disk as they are read (`iterator()`), so a 100,000-row export holds one chunk of
rows in memory, not the sheet (bench/exports.py measures it).
"""

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# A spreadsheet reads a text starting with one of these as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def as_text(cell) -> None:
    """Type a formula-like text cell as a string: a string cell is never evaluated, so it needs no
    apostrophe escape, and reading the file back gives exactly the text written ("=1+1", "+86 10")."""
    if is_formula_like(cell.value):
        cell.data_type = "s"


def _styled(sheet, row: Sequence, font: Font) -> list:
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = font
        as_text(cell)
        cells.append(cell)
    return cells


def _row(sheet, row: Sequence) -> list:
    """Plain values as they are (the writer's fast path); an empty one as no cell at all; a formula-like
    text as a cell typed text."""
    values = []
    for value in row:
        if value == "":
            value = None
        elif is_formula_like(value):
            value = WriteOnlyCell(sheet, value=value)
            value.data_type = "s"
        values.append(value)
    return values


def write_xlsx(
    target,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title: str = "",
    sheet_name: str = "Sheet",
    widths: Sequence[int] = (),
) -> None:
    """Write one sheet to `target` (a path or a binary file): an optional title line, the bold header,
    then `rows` as they come (an iterator is never held whole)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31] or "Sheet")
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    if title:
        sheet.append(_styled(sheet, [title], Font(bold=True, size=14)))
    sheet.freeze_panes = "A3" if title else "A2"
    sheet.append(_styled(sheet, headers, Font(bold=True)))
    for row in rows:
        sheet.append(_row(sheet, row))
    workbook.save(target)


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence], **options) -> FileResponse:
    """The workbook as a download, written to a temporary file first (deleted once sent)."""
    # Not a `with`: FileResponse closes (and so deletes) the file once the last byte is sent.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    write_xlsx(spool, headers, rows, **options)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


@dataclass
class ListSource:
    """What a list exports: its scoped, filtered rows (the same queryset as the page shows), how a row
    reads in the sheet, and the sheet's names. Small lists stream at once (`xlsx_response`); large ones are
    built in the background from the same source (`yunwei.web.export_jobs`)."""

    filename: str
    headers: Sequence[str]
    queryset: object  # a QuerySet
    to_rows: Callable[[object], Iterable[Sequence]]
    sheet_name: str = "Sheet"
    widths: Sequence[int] = field(default_factory=tuple)

    def options(self) -> dict:
        return {"sheet_name": self.sheet_name, "widths": self.widths}

    def response(self) -> FileResponse:
        return xlsx_response(self.filename, self.headers, self.to_rows(self.queryset), **self.options())


def file_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A document made in memory (a one-page report) as a download."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
