"""Inventory pages: list and filters, detail with graph and history, the type's own form fields,
relations, export and import."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import load_workbook

from yunwei.cmdb import excel, views
from yunwei.cmdb.models import Item, Relation

pytestmark = pytest.mark.django_db


def test_list_filters_and_searches(chain, client, group_admin):
    client.force_login(group_admin)
    page = client.get("/cmdb/", {"domain": "network"}).content.decode()
    assert 'data-testid="item-row-SW"' in page and 'data-testid="item-row-SRV"' not in page
    page = client.get("/cmdb/", {"q": "UPS"}).content.decode()
    assert 'data-testid="item-row-UPS"' in page and 'data-testid="item-row-OA"' not in page
    partial = client.get("/cmdb/", {"q": "UPS"}, headers={"HX-Request": "true", "HX-Target": "results"})
    assert b"<html" not in partial.content


def test_detail_shows_attributes_relations_impact_and_history(chain, client, group_admin):
    client.force_login(group_admin)
    page = client.get(f"/cmdb/items/{chain['sw'].pk}/").content.decode()
    assert 'data-testid="impact-down-OA"' in page
    assert "echarts.min.js" in page
    assert 'data-testid="item-history"' in page
    graph = client.get(f"/cmdb/items/{chain['sw'].pk}/graph/").json()
    assert {n["name"] for n in graph["nodes"]} >= {"SW", "SRV", "OA", "UPS"}
    assert {(link["source"], link["target"]) for link in graph["links"]} >= {
        (str(chain["srv"].pk), str(chain["sw"].pk))
    }


def test_create_server_through_the_type_form(unit_a, client, unit_admin_a, item_types):
    client.force_login(unit_admin_a)
    picker = client.get("/cmdb/items/new/").content.decode()
    assert 'data-testid="type-server"' in picker
    url = f"/cmdb/items/new/?type={item_types['server'].pk}"
    form = client.get(url).content.decode()
    assert 'name="attr_cpu_cores"' in form
    response = client.post(
        url,
        {
            "code": "SRV-P",
            "name": "页面服务器",
            "status": "in_service",
            "criticality": "high",
            "attr_cpu_cores": "32",
            "attr_virtual": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = Item.objects.get(code="SRV-P")
    assert item.unit == unit_a
    assert item.attributes == {"cpu_cores": 32, "virtual": True}


def test_required_attribute_error_lands_on_its_field(unit_a, client, unit_admin_a, item_types):
    client.force_login(unit_admin_a)
    url = f"/cmdb/items/new/?type={item_types['switch'].pk}"
    response = client.post(
        url, {"code": "SW-P", "name": "交换机", "status": "in_service", "criticality": "low"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("attr_ports")
    assert not Item.objects.filter(code="SW-P").exists()


def test_edit_with_a_stale_version_is_refused(chain, client, group_admin):
    client.force_login(group_admin)
    url = f"/cmdb/items/{chain['ups'].pk}/edit/"
    data = {
        "code": "UPS",
        "name": "新UPS",
        "status": "in_service",
        "criticality": "high",
        "attr_capacity_kva": "80",
        "unit": chain["ups"].unit_id,
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "name": "旧"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert any(
        "Someone else saved this record first" in e for e in response.context["form"].non_field_errors()
    )
    assert 'data-testid="form-errors"' in response.content.decode()
    item = Item.objects.get(pk=chain["ups"].pk)
    assert (item.name, item.version) == ("新UPS", 2)


def test_relation_added_and_removed_on_the_item_page(
    chain, client, group_admin, relation_types, make_item, unit_a
):
    client.force_login(group_admin)
    db = make_item(unit_a, "database", "DB")
    response = client.post(
        f"/cmdb/items/{db.pk}/relations/",
        {
            "relation-type": relation_types["runs-on"].pk,
            "relation-direction": "out",
            "relation-other": "OS",
            "relation-note": "",
        },
    )
    assert response.status_code == 302
    relation = Relation.objects.get(source=db, target=chain["os"])
    # a cycle is refused with its path, shown as a message
    response = client.post(
        f"/cmdb/items/{chain['ups'].pk}/relations/",
        {
            "relation-type": relation_types["depends-on"].pk,
            "relation-direction": "out",
            "relation-other": "OA",
        },
        follow=True,
    )
    assert "UPS → OA" in response.content.decode()
    assert client.post(f"/cmdb/relations/{relation.pk}/delete/", {"item": db.pk}).status_code == 302
    assert not Relation.objects.filter(pk=relation.pk).exists()


def test_export_page_carries_only_visible_rows(chain, unit_b, make_item, client, unit_admin_b):
    make_item(unit_b, "server", "B-SRV")
    client.force_login(unit_admin_b)
    response = client.get("/cmdb/export/")
    workbook = load_workbook(io.BytesIO(response.content))
    cells = {c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row}
    assert "B-SRV" in cells and "SRV" not in cells


def test_import_page_dry_run_then_import(chain, client, group_admin):
    client.force_login(group_admin)
    data = excel.export_items(Item.objects.filter(code="SW"))
    workbook = load_workbook(io.BytesIO(data))
    workbook.active["B2"] = "SW-NEW"
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("items.xlsx", buffer.getvalue())
    page = client.post("/cmdb/import/", {"file": upload, "mode": "dry-run"}).content.decode()
    assert 'data-testid="import-row-2"' in page
    assert not Item.objects.filter(code="SW-NEW").exists()
    upload = SimpleUploadedFile("items.xlsx", buffer.getvalue())
    client.post("/cmdb/import/", {"file": upload, "mode": "import"})
    assert Item.objects.filter(code="SW-NEW").exists()
    garbage = SimpleUploadedFile("items.xlsx", b"\x00garbage" * 1000)
    page = client.post("/cmdb/import/", {"file": garbage, "mode": "dry-run"}).content.decode()
    assert 'data-testid="import-refused"' in page


def test_template_download(client, unit_admin_a, item_types):
    client.force_login(unit_admin_a)
    response = client.get("/cmdb/import/template/database/")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active["A1"].value == "单位代码"


def test_plain_user_sees_but_cannot_create(chain, client, unit_user_a):
    client.force_login(unit_user_a)
    assert 'data-testid="item-create"' not in client.get("/cmdb/").content.decode()
    assert client.get("/cmdb/items/new/").status_code == 403
    assert client.get(f"/cmdb/items/{chain['oa'].pk}/edit/").status_code == 403


def test_import_page_refuses_an_oversize_file(client, group_admin):
    client.force_login(group_admin)
    upload = SimpleUploadedFile("big.xlsx", b"0" * (excel.MAX_BYTES + 1))
    response = client.post("/cmdb/import/", {"file": upload, "mode": "import"})
    assert response.status_code == 200
    assert response.context["refused"] and "5 MB" in response.context["refused"]
    assert 'data-testid="import-refused"' in response.content.decode()


def test_import_page_refuses_a_zip_bomb(client, group_admin):

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (excel.MAX_UNPACKED_BYTES + 1))
    client.force_login(group_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    upload = SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    response = client.post("/cmdb/import/", {"file": upload, "mode": "dry-run"})
    assert "unpacks to more than" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's")
def test_the_inventory_search_can_use_the_trigram_indexes(rf, group_admin):
    """The search asks UPPER(column) LIKE UPPER('%term%') of code, name, IP address and hostname, the
    expressions of migration 0005's trigram indexes: with the table's scans priced out, the plan reads
    all four (without them, a million items were read for each search)."""
    request = rf.get("/cmdb/", {"q": "srv-0042"})
    request.user = group_admin
    _filterset, rows, _q = views._filtered(request)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = rows.order_by().explain()
    for index in (
        "cmdb_item_code_trgm",
        "cmdb_item_name_trgm",
        "cmdb_item_ip_trgm",
        "cmdb_item_hostname_trgm",
    ):
        assert index in plan, plan
