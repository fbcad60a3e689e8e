"""Excel exchange: round trip, dry run, all-or-nothing import, refusals of bad files, generated rows."""

import io
import zipfile

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from yunwei.cmdb import excel
from yunwei.cmdb.models import Item, ItemType

pytestmark = pytest.mark.django_db

HEADERS = [header for _name, header in excel.COLUMNS]


def _workbook(rows, headers=None, extra=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers or HEADERS + (extra or []))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(unit="unit-a", code="SW-1", type_code="switch", **fields):
    values = {
        "unit": unit,
        "code": code,
        "name": fields.pop("name", "接入交换机"),
        "type": type_code,
        **fields,
    }
    return [values.get(name, "") for name, _header in excel.COLUMNS]


def test_export_then_import_is_unchanged(chain, group_admin):
    data = excel.export_items(Item.objects.all())
    result = excel.run_import("items.xlsx", data, actor=group_admin, dry_run=False)
    assert result.errors == []
    assert result.count("unchanged") == 7


def test_dry_run_reports_create_and_update_and_writes_nothing(chain, group_admin):
    ports = excel.attribute_header(ItemType.objects.get(code="switch").attribute("ports"))
    data = _workbook([_row(code="SW") + [48], _row(code="SW-NEW") + [24]], extra=[ports])
    result = excel.run_import("items.xlsx", data, actor=group_admin, dry_run=True)
    assert [(r.code, r.action) for r in result.rows] == [("SW", "update"), ("SW-NEW", "create")]
    assert not Item.objects.filter(code="SW-NEW").exists()
    assert Item.objects.get(code="SW").name == "SW"


def test_every_error_is_reported_and_nothing_is_imported(unit_a, group_admin):
    ports = excel.attribute_header(ItemType.objects.get(code="switch").attribute("ports"))
    rows = [
        _row(code="OK-1") + [24],
        _row(code="BAD-1", status="kaput") + ["many"],
        _row(code="BAD-2", unit="nowhere") + [8],
        _row(code="OK-1") + [8],  # the same code twice in one file
    ]
    result = excel.run_import("items.xlsx", _workbook(rows, extra=[ports]), actor=group_admin, dry_run=False)
    assert not result.committed
    errors = {(row, column) for _sheet, row, column, _reason in result.errors}
    assert errors == {(3, "状态"), (3, ports), (4, "单位代码"), (5, "编号")}
    assert not Item.objects.exists()


def test_unit_admin_cannot_import_into_another_unit(unit_a, unit_b, unit_admin_a):
    ports = excel.attribute_header(ItemType.objects.get(code="switch").attribute("ports"))
    result = excel.run_import(
        "items.xlsx", _workbook([_row(unit="unit-b") + [8]], extra=[ports]), actor=unit_admin_a, dry_run=False
    )
    assert result.errors[0][2] == "单位代码"
    assert not Item.objects.exists()


def test_csv_in_gb18030_is_imported(unit_a, group_admin):
    ports = excel.attribute_header(ItemType.objects.get(code="switch").attribute("ports"))
    lines = [",".join([*HEADERS, ports]), ",".join([*_row(code="SW-CSV"), "48"])]
    data = "\n".join(lines).encode("gb18030")
    result = excel.run_import("items.csv", data, actor=group_admin, dry_run=False)
    assert result.committed, result.errors
    assert Item.objects.get(code="SW-CSV").attributes == {"ports": 48}


def test_template_has_the_type_attributes(item_types):
    workbook = load_workbook(io.BytesIO(excel.template(item_types["database"])))
    headers = [c.value for c in workbook.active[1]]
    assert headers[: len(HEADERS)] == HEADERS
    assert any(h.endswith("[port]") for h in headers)


def _refused(name, data, group_admin) -> str:
    with translation.override("en"), pytest.raises(excel.ImportRefused) as exc:
        excel.run_import(name, data, actor=group_admin)
    return exc.value.message


def test_bad_files_are_refused_with_a_clear_message(unit_a, group_admin):
    assert "wrong headers" in _refused("x.xlsx", _workbook([["a"]], headers=["名字", "编号"]), group_admin)
    assert "5 MB" in _refused("x.xlsx", b"0" * (excel.MAX_BYTES + 1), group_admin)
    assert "not an Excel" in _refused("x.xlsx", b"PK\x03\x04garbage" * 100, group_admin)
    assert ".xlsx or .csv" in _refused("x.exe", b"MZ", group_admin)
    assert "no rows" in _refused("x.xlsx", _workbook([]), group_admin)

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(_row())
    sheet.merge_cells("C2:D2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "merged cells" in _refused("x.xlsx", buffer.getvalue(), group_admin)

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(_row(name="=1+1"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "formula" in _refused("x.xlsx", buffer.getvalue(), group_admin)
    assert "formula" in _refused("x.csv", (",".join(HEADERS) + "\n=cmd|x,b\n").encode(), group_admin)


cell_text = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).filter(
        lambda s: not s.startswith("=")
    ),
    st.sampled_from(["switch", "server", "unit-a", "L2", "L7", "是", "2024-02-30", "10.0.0.1"]),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(st.lists(cell_text, min_size=len(HEADERS) + 2, max_size=len(HEADERS) + 2), max_size=6))
def test_generated_rows_never_crash_and_never_half_import(rows, unit_a, group_admin):
    switch = ItemType.objects.get(code="switch")
    extra = [
        excel.attribute_header(switch.attribute("ports")),
        excel.attribute_header(switch.attribute("layer")),
    ]
    before = Item.objects.count()
    try:
        result = excel.run_import("g.xlsx", _workbook(rows, extra=extra), actor=group_admin, dry_run=False)
    except excel.ImportRefused:
        assert Item.objects.count() == before
        return
    if result.errors:
        assert not result.committed
        assert Item.objects.count() == before
    else:
        assert result.committed
        assert Item.objects.count() == before + result.count("create")
        Item.objects.all().delete()


def _header(type_code, code) -> str:
    return excel.attribute_header(ItemType.objects.get(code=type_code).attribute(code))


def test_reimport_without_an_attribute_column_keeps_the_stored_value(unit_a, make_item, group_admin):
    server = make_item(
        unit_a, "server", "SRV-K", attributes={"serial": "SN-1", "cpu_cores": 16, "model": "R740"}
    )
    # Only the CPU column (changed) and the model column (emptied): the serial has no column at all.
    rows = [_row(code="SRV-K", type_code="server", name="SRV-K") + [32, ""]]
    data = _workbook(rows, extra=[_header("server", "cpu_cores"), _header("server", "model")])
    result = excel.run_import("items.xlsx", data, actor=group_admin, dry_run=False)
    assert result.committed, result.errors
    server.refresh_from_db()
    assert server.attributes == {"serial": "SN-1", "cpu_cores": 32}


def test_reimport_without_any_attribute_column_is_unchanged(unit_a, make_item, group_admin):
    make_item(unit_a, "switch", "SW-K", attributes={"ports": 48, "layer": "L3"})
    result = excel.run_import("items.xlsx", _workbook([_row(code="SW-K", name="SW-K")]), actor=group_admin)
    assert [r.action for r in result.rows] == ["unchanged"], result.errors


def test_new_item_without_its_required_attribute_column_is_an_error(unit_a, group_admin):
    result = excel.run_import("items.xlsx", _workbook([_row(code="SW-NEW")]), actor=group_admin)
    assert [(column, r.action) for r in result.rows for column, _reason in r.errors] == [
        (_header("switch", "ports"), "error")
    ]


FORMULA_LIKE = ["-5", "=1+1", "+86 10", "@x"]


def test_formula_like_text_survives_export_and_reimport(unit_a, make_item, group_admin):
    for number, text in enumerate(FORMULA_LIKE):
        make_item(
            unit_a,
            "server",
            f"SRV-F{number}",
            description=text,
            site=text,
            attributes={"model": text, "disk_tb": "-5"},
        )
    data = excel.export_items(Item.objects.all())
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value in FORMULA_LIKE]
    assert cells and all(c.data_type == "s" for c in cells)  # text cells, no apostrophe, no formula
    result = excel.run_import("items.xlsx", data, actor=group_admin, dry_run=False)
    assert result.errors == []
    assert result.count("unchanged") == len(FORMULA_LIKE)
    for number, text in enumerate(FORMULA_LIKE):
        item = Item.objects.get(code=f"SRV-F{number}")
        assert (item.description, item.site, item.attributes["model"]) == (text, text, text)
        assert item.attributes["disk_tb"] == "-5"


def test_an_apostrophe_escape_is_stripped_on_import(unit_a, make_item, group_admin):
    make_item(unit_a, "server", "SRV-Q")
    extra = [_header("server", "disk_tb"), _header("server", "model")]
    lines = [
        ",".join([*HEADERS, *extra]),
        ",".join([*_row(code="SRV-Q", type_code="server", description="'=x"), "'-5", "'+86"]),
    ]
    result = excel.run_import("items.csv", "\n".join(lines).encode(), actor=group_admin, dry_run=False)
    assert result.committed, result.errors
    item = Item.objects.get(code="SRV-Q")
    assert item.description == "=x"
    assert item.attributes == {"disk_tb": "-5", "model": "+86"}


def test_a_zip_bomb_is_refused_unread(unit_a, group_admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (excel.MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < excel.MAX_BYTES
    assert "unpacks to more than" in _refused("bomb.xlsx", buffer.getvalue(), group_admin)
