"""The report's data as .xlsx (openpyxl): a sheet per table and a sheet per chart's data.

Numbers stay numbers; text that Excel would read as a formula (starting with = + - @, or a tab/CR that
some readers strip) is stored as a string with quotePrefix, so opening the file never evaluates it.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from yunwei.reports.document import Chart, Document, Table

from .common import all_blocks, captions

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEAD_FONT = Font(name="黑体", bold=True)
BODY_FONT = Font(name="宋体")
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(doc: Document) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    labels = captions(doc)
    for block in all_blocks(doc):
        if isinstance(block, Table):
            sheet = workbook.create_sheet(_sheet_name(block.sheet, used))
            widths = [c.width_cm for c in block.columns]
            _write(
                sheet,
                f"{labels[id(block)]} {block.title}",
                [c.title for c in block.columns],
                block.rows,
                widths,
            )
        elif isinstance(block, Chart):
            sheet = workbook.create_sheet(_sheet_name(f"{labels[id(block)]} {block.title}", used))
            head = [block.unit or ""] + [s.name for s in block.series]
            rows = [
                [category] + [s.values[i] if i < len(s.values) else None for s in block.series]
                for i, category in enumerate(block.categories)
            ]
            widths = [max(3.0, 0.5 * max((len(str(c)) for c in block.categories), default=4))] + [3.0] * len(
                block.series
            )
            _write(sheet, f"{labels[id(block)]} {block.title}", head, rows, widths)
    if not workbook.sheetnames:
        workbook.create_sheet(_sheet_name(doc.title, used))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(wanted: str, used: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub("_", wanted).strip("'") or "Sheet"
    base = base[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def _write(sheet, title: str, head: list[str], rows, widths_cm: list[float]) -> None:
    _set(sheet.cell(row=1, column=1), title).font = Font(name="黑体", bold=True, size=12)
    for col, text in enumerate(head, start=1):
        cell = _set(sheet.cell(row=2, column=col), text)
        cell.font, cell.fill, cell.border = HEAD_FONT, HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(rows, start=3):
        for col, value in enumerate(row, start=1):
            cell = _set(sheet.cell(row=r, column=col), value)
            cell.font, cell.border = BODY_FONT, BORDER
    for col, width_cm in enumerate(widths_cm, start=1):
        # Excel's column width is in characters of the default font: about 0.19 cm each at 11 pt.
        sheet.column_dimensions[get_column_letter(col)].width = round(width_cm / 0.19, 1)
    sheet.freeze_panes = "A3"


def _set(cell, value):
    if isinstance(value, bool):
        cell.value = int(value)
    elif isinstance(value, int | float) or value is None:
        cell.value = value
    else:
        text = str(value)
        cell.value = text
        # openpyxl stores "=…" as a formula: force it back to a string and mark it so Excel shows it as text.
        cell.data_type = TYPE_STRING
        if text.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell
