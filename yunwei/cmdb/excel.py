"""Excel exchange of the inventory (Art. 2): export, per-type templates, and the import of .xlsx / .csv.

The file's headers are Chinese, as the people who fill these sheets in write them; attribute columns
read `<label> [<code>]`, so the code, not the wording, names the attribute. Codes (unit, type, status,
team, vendor, contract number) identify what a cell refers to.

The import runs every row through `services`, each in its own savepoint, so it reports every row's
outcome (create, update, unchanged) and every error (row, column, reason); a dry run then rolls back,
and a real import commits only when no row has an error: all or nothing.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from yunwei.core import scoping, uploads
from yunwei.core.errors import DomainError
from yunwei.core.exports import FORMULA_START, as_text
from yunwei.core.exports import XLSX as XLSX
from yunwei.org.choices import UnitKind
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, Vendor

from . import services
from .choices import Criticality, ItemStatus
from .models import Item, ItemType

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a small file that unpacks to gigabytes is refused unread
MAX_ROWS = 20000

# field → header. Data headers of the file, in the language of the people who fill it in.
COLUMNS = [
    ("unit", "单位代码"),
    ("code", "编号"),
    ("name", "名称"),
    ("type", "类型代码"),
    ("status", "状态"),
    ("criticality", "重要程度"),
    ("owner_team", "负责班组代码"),
    ("responsible", "责任人"),
    ("site", "站点"),
    ("room", "机房"),
    ("rack", "机柜"),
    ("position", "位置"),
    ("vendor", "厂家代码"),
    ("contract", "维保合同编号"),
    ("ip", "IP地址"),
    ("hostname", "主机名"),
    ("description", "说明"),
]
HEADER_OF = dict(COLUMNS)
FIELD_OF = {header: name for name, header in COLUMNS}
ATTRIBUTE_HEADER = re.compile(r"^(?P<label>.*)\[(?P<code>[a-z][a-z0-9_]*)\]\s*$")
ROW_BAND = PatternFill("solid", fgColor="DDEBF7")


class ImportRefused(DomainError):
    """The file as a whole cannot be read as an inventory sheet."""

    def __init__(self, message):
        super().__init__(message, field="file")


@dataclass
class RowResult:
    sheet: str
    row: int
    code: str = ""
    action: str = ""  # create | update | unchanged | error
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, reason)


@dataclass
class ImportResult:
    rows: list[RowResult]
    dry_run: bool
    committed: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def errors(self) -> list[tuple[str, int, str, str]]:
        return [(r.sheet, r.row, column, reason) for r in self.rows for column, reason in r.errors]

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "committed": self.committed,
            "created": self.count("create"),
            "updated": self.count("update"),
            "unchanged": self.count("unchanged"),
            "errors": [
                {"sheet": sheet, "row": row, "column": column, "reason": reason}
                for sheet, row, column, reason in self.errors
            ],
            "rows": [{"sheet": r.sheet, "row": r.row, "code": r.code, "action": r.action} for r in self.rows],
        }


# -- export ---------------------------------------------------------------------------------------


def attribute_header(spec: dict) -> str:
    with translation.override("zh-hans"):
        return f"{_(spec['label'])} [{spec['code']}]"


def _sheet_title(item_type: ItemType, used: set) -> str:
    with translation.override("zh-hans"):
        base = re.sub(r"[\[\]:*?/\\]", " ", f"{item_type.label} {item_type.code}")[:31].strip()
    title, n = base, 2
    while title in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title)
    return title


def _headers(item_type: ItemType) -> list[str]:
    return [header for _name, header in COLUMNS] + [attribute_header(a) for a in item_type.attributes]


def _start_sheet(workbook: Workbook, item_type: ItemType, used: set):
    sheet = workbook.create_sheet(_sheet_title(item_type, used))
    headers = _headers(item_type)
    sheet.append(headers)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True)
        cell.fill = ROW_BAND
        sheet.column_dimensions[get_column_letter(column)].width = max(10, min(40, len(header) * 2))
    sheet.freeze_panes = "C2"
    return sheet


def _append(sheet, row: list) -> None:
    """Append `row`; a text that a spreadsheet would read as a formula is typed a string cell
    (`core.exports.as_text`), so the import reads back exactly the text that was written."""
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        as_text(cell)


def export_items(items) -> bytes:
    """`items` (already scoped and filtered) as a workbook: one sheet per type, attribute columns."""
    items = items.select_related("unit", "type", "owner_team", "responsible", "vendor", "contract").order_by(
        "type__domain", "type__code", "unit__code", "code"
    )
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets, used = {}, set()
    for item in items.iterator(chunk_size=2000):
        sheet = sheets.get(item.type_id)
        if sheet is None:
            sheet = sheets[item.type_id] = _start_sheet(workbook, item.type, used)
        row = [
            item.unit.code,
            item.code,
            item.name,
            item.type.code,
            item.status,
            item.criticality,
            item.owner_team.code if item.owner_team else "",
            item.responsible.name if item.responsible else "",
            item.site,
            item.room,
            item.rack,
            item.position,
            item.vendor.code if item.vendor else "",
            item.contract.number if item.contract else "",
            item.ip or "",
            item.hostname,
            item.description,
        ] + [item.attributes.get(a["code"], "") for a in item.type.attributes]
        _append(sheet, row)
    if not sheets:
        workbook.create_sheet("清单").append([header for _name, header in COLUMNS])
    return _save(workbook)


def template(item_type: ItemType) -> bytes:
    """An empty sheet for `item_type`: the headers, with a note on each attribute's kind and choices."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = _start_sheet(workbook, item_type, set())
    first = len(COLUMNS) + 1
    for offset, spec in enumerate(item_type.attributes):
        note = [spec["kind"]]
        if spec.get("required"):
            note.append("必填")
        if spec.get("choices"):
            note.append(" / ".join(spec["choices"]))
        sheet.cell(row=1, column=first + offset).comment = Comment("; ".join(note), "Yunwei")
    sheet.cell(row=1, column=4).comment = Comment(f"{item_type.code}", "Yunwei")
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- reading --------------------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number in the file, cell values)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # "'-5": the escape of a formula-like text (older exports, other tools) is not part of the value.
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def read_xlsx(data: bytes) -> list[Sheet]:
    # The zip's directory alone, before openpyxl inflates anything (a zip bomb is refused unread).
    try:
        uploads.check_xlsx(data, field="file", label=_("File"), max_unpacked=MAX_UNPACKED_BYTES)
    except DomainError as exc:
        raise ImportRefused(exc.message) from None
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # openpyxl raises many kinds on a broken file; each means the same to the user
        raise ImportRefused(_("This is not an Excel (.xlsx) file.")) from None
    sheets = []
    for ws in workbook.worksheets:
        if ws.merged_cells.ranges:
            ranges = ", ".join(str(r) for r in list(ws.merged_cells.ranges)[:5])
            raise ImportRefused(
                _("Sheet “%(sheet)s” has merged cells (%(ranges)s); unmerge them first.")
                % {"sheet": ws.title, "ranges": ranges}
            )
        if ws.max_row > MAX_ROWS + 1:
            raise ImportRefused(_("At most %(n)s rows per sheet.") % {"n": MAX_ROWS})
        rows = []
        headers = None
        for cells in ws.iter_rows():
            values = []
            for cell in cells:
                # Only a formula cell is refused: a string cell reading "=1+1" is text, never evaluated.
                if cell.data_type == "f":
                    raise ImportRefused(
                        _("Sheet “%(sheet)s”, cell %(cell)s holds a formula; paste values only.")
                        % {"sheet": ws.title, "cell": cell.coordinate}
                    )
                values.append(cell.value)
            if headers is None:
                headers = [_text(v) for v in values]
                continue
            if any(_text(v) for v in values):
                rows.append((cells[0].row, values))
        if headers and any(headers):
            sheets.append(Sheet(ws.title, headers, rows))
    return sheets


def read_csv(data: bytes) -> list[Sheet]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(_("This CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise ImportRefused(_("This is not a CSV text file."))
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ImportRefused(_("This CSV file cannot be read: %(reason)s") % {"reason": exc}) from None
    if len(table) > MAX_ROWS + 1:
        raise ImportRefused(_("At most %(n)s rows per sheet.") % {"n": MAX_ROWS})
    if not table:
        raise ImportRefused(_("The file is empty."))
    for number, row in enumerate(table, start=1):
        for column, value in enumerate(row, start=1):
            if value.startswith("="):
                raise ImportRefused(
                    _("Row %(row)s, column %(column)s holds a formula; paste values only.")
                    % {"row": number, "column": column}
                )
    headers = [h.strip() for h in table[0]]
    rows = [(n, row) for n, row in enumerate(table[1:], start=2) if any(v.strip() for v in row)]
    return [Sheet("CSV", headers, rows)]


def read(name: str, data: bytes) -> list[Sheet]:
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB; split it."))
    if name.lower().endswith(".csv"):
        return read_csv(data)
    if not name.lower().endswith(".xlsx"):
        raise ImportRefused(_("Upload an .xlsx or .csv file."))
    return read_xlsx(data)


def _check_headers(sheet: Sheet) -> dict[str, int]:
    """Column index of each field and attribute (`attributes.<code>`); wrong headers refuse the file."""
    index, unknown = {}, []
    for position, header in enumerate(sheet.headers):
        if not header:
            continue
        if header in FIELD_OF:
            index[FIELD_OF[header]] = position
            continue
        match = ATTRIBUTE_HEADER.match(header)
        if match:
            index[f"attributes.{match['code']}"] = position
        else:
            unknown.append(header)
    missing = [header for name, header in COLUMNS if name not in index]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(_("missing: %(headers)s") % {"headers": "、".join(missing)})
        if unknown:
            parts.append(_("unknown: %(headers)s") % {"headers": "、".join(unknown)})
        raise ImportRefused(
            _("Sheet “%(sheet)s” has the wrong headers (%(detail)s). Start from the template.")
            % {"sheet": sheet.name, "detail": "; ".join(parts)}
        )
    return index


# -- import ---------------------------------------------------------------------------------------


class _Lookups:
    """Codes in the file → records the actor may use, read once per import."""

    def __init__(self, actor):
        self.units = {u.code: u for u in scoping.writable(Unit.objects.all(), actor)}
        self.types = {t.code: t for t in ItemType.objects.all()}
        self.actor = actor

    def _in_unit(self, model, unit, **lookup):
        rows = scoping.visible(model.objects.filter(**lookup), self.actor).select_related("unit")
        own = [r for r in rows if r.unit_id == unit.pk]
        return own or [r for r in rows if r.unit.kind == UnitKind.GROUP]

    def one(self, model, unit, value, **lookup):
        found = self._in_unit(model, unit, **lookup)
        if not found:
            raise ValueError(_("“%(value)s” is not known in this unit.") % {"value": value})
        if len(found) > 1:
            raise ValueError(_("“%(value)s” names more than one record.") % {"value": value})
        return found[0]


def _choice(choices, value: str) -> str:
    for code, label in choices.choices:
        if value in (code, str(label)):
            return code
        with translation.override("zh-hans"):
            if value == str(label):
                return code
    raise ValueError(
        _("“%(value)s” is not one of: %(choices)s") % {"value": value, "choices": ", ".join(choices.values)}
    )


def _row_fields(values: list, index: dict, lookups: _Lookups, result: RowResult):
    """The row as service fields; every cell that cannot be read adds an error. None when any did."""

    def cell(name):
        position = index.get(name)
        return _text(values[position]) if position is not None and position < len(values) else ""

    def fail(name, reason):
        header = HEADER_OF.get(name) or name
        if name.startswith("attributes."):
            spec = item_type.attribute(name.split(".", 1)[1]) if item_type else None
            header = attribute_header(spec) if spec else name
        result.errors.append((header, str(reason)))

    item_type = None
    unit = lookups.units.get(cell("unit"))
    if unit is None:
        fail("unit", _("“%(value)s” is not a unit you manage.") % {"value": cell("unit")})
    item_type = lookups.types.get(cell("type"))
    if item_type is None:
        fail("type", _("Unknown item type “%(value)s”.") % {"value": cell("type")})
    result.code = cell("code")
    fields = {
        name: cell(name)
        for name in ("code", "name", "site", "room", "rack", "position", "ip", "hostname", "description")
    }
    for name, choices, default in (
        ("status", ItemStatus, ItemStatus.IN_SERVICE),
        ("criticality", Criticality, Criticality.MEDIUM),
    ):
        try:
            fields[name] = _choice(choices, cell(name)) if cell(name) else default
        except ValueError as exc:
            fail(name, exc)
    if unit is not None:
        references = (
            ("owner_team", Team, "code"),
            ("responsible", Person, "name"),
            ("vendor", Vendor, "code"),
            ("contract", MaintenanceContract, "number"),
        )
        for name, model, key in references:
            value = cell(name)
            if not value:
                fields[name] = None
                continue
            try:
                fields[name] = lookups.one(model, unit, value, **{key: value})
            except ValueError as exc:
                fail(name, exc)
    if item_type is not None:
        attributes = {}
        known = {a["code"] for a in item_type.attributes}
        for name in index:
            if name.startswith("attributes.") and cell(name) and name.split(".", 1)[1] not in known:
                fail(name, _("“%(type)s” has no attribute of this name.") % {"type": item_type})
        for spec in item_type.attributes:
            if f"attributes.{spec['code']}" not in index:
                continue  # no column: the stored value stays (run_import), a new item's is checked there
            value = cell(f"attributes.{spec['code']}")
            if not value:
                if spec.get("required"):
                    fail(f"attributes.{spec['code']}", _("This attribute is required."))
                continue
            try:
                attributes[spec["code"]] = services.parse_attribute(spec, value)
            except ValueError as exc:
                fail(f"attributes.{spec['code']}", exc)
        fields["attributes"] = attributes
    if result.errors:
        return None
    return {"unit": unit, "type": item_type, **fields}


def _kept_attributes(item: Item, fields: dict, index: dict) -> dict:
    """The row's attributes over the stored ones: a column the sheet leaves out keeps its value.

    Only the columns present are applied (an empty cell in one clears it), so a sheet of a few
    columns never wipes the rest. Stored values the (new) type does not have are dropped.
    """
    known = {spec["code"] for spec in fields["type"].attributes}
    kept = {
        code: value
        for code, value in (item.attributes or {}).items()
        if code in known and f"attributes.{code}" not in index
    }
    return {**kept, **fields["attributes"]}


def _unchanged(item: Item, fields: dict) -> bool:
    for name, value in fields.items():
        current = getattr(item, name)
        if isinstance(current, str) or current is None:
            current = current or ""
        if (value if value is not None else "") != current:
            return False
    return True


def run_import(name: str, data: bytes, *, actor, dry_run: bool = True) -> ImportResult:
    """Read the file and put every row through the services; commit only a clean, real run."""
    sheets = read(name, data)
    indexes = [(sheet, _check_headers(sheet)) for sheet in sheets]
    if not any(sheet.rows for sheet in sheets):
        raise ImportRefused(_("The file has no rows to import."))
    result = ImportResult(rows=[], dry_run=dry_run)
    lookups = _Lookups(actor)
    first_row: dict[tuple, tuple[str, int]] = {}  # (unit, code) → where the file first names it
    with transaction.atomic():
        for sheet, index in indexes:
            for number, values in sheet.rows:
                row = RowResult(sheet=sheet.name, row=number)
                result.rows.append(row)
                fields = _row_fields(values, index, lookups, row)
                if fields is None:
                    row.action = "error"
                    continue
                key = (fields["unit"].pk, fields["code"])
                if key in first_row:
                    sheet_name, first = first_row[key]
                    row.errors.append(
                        (
                            HEADER_OF["code"],
                            _("“%(code)s” is already in row %(row)s of “%(sheet)s”.")
                            % {"code": fields["code"], "row": first, "sheet": sheet_name},
                        )
                    )
                    row.action = "error"
                    continue
                first_row[key] = (sheet.name, number)
                existing = Item.objects.filter(unit=fields["unit"], code=fields["code"]).first()
                if existing is not None:
                    fields["attributes"] = _kept_attributes(existing, fields, index)
                try:
                    with transaction.atomic():
                        if existing is None:
                            services.create(Item, actor=actor, **fields)
                            row.action = "create"
                        elif _unchanged(existing, {k: v for k, v in fields.items() if k != "unit"}):
                            row.action = "unchanged"
                        else:
                            services.update(existing, actor=actor, **fields)
                            row.action = "update"
                except DomainError as exc:
                    header = HEADER_OF.get(exc.field or "", exc.field or "")
                    if exc.field and exc.field.startswith("attributes."):
                        spec = fields["type"].attribute(exc.field.split(".", 1)[1])
                        header = attribute_header(spec) if spec else exc.field
                    row.errors.append((header, exc.message))
                    row.action = "error"
        if dry_run or result.errors:
            transaction.set_rollback(True)
        else:
            result.committed = True
    return result
