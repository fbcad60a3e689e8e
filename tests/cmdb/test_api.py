"""The inventory API: CRUD through the services, field-named errors, impact, blast radius, export."""

import io

import pytest
from openpyxl import load_workbook

from yunwei.cmdb.models import Item, ItemType
from yunwei.org import services as org_services
from yunwei.org.models import MaintenanceContract, Vendor

pytestmark = pytest.mark.django_db


def test_list_rows_carry_id_code_unit_type_domain(chain, group_admin, api_client_for):
    body = api_client_for(group_admin).get("/api/cmdb/items/", {"ordering": "code"}).json()
    assert body["count"] == 7
    row = body["results"][0]
    assert {"id", "code", "unit", "type", "domain"} <= row.keys()
    assert row["code"] == "MW" and row["domain"] == "base_software"


def test_unit_admin_creates_a_server_and_the_attributes_are_typed(
    unit_a, unit_admin_a, item_types, api_client_for
):
    response = api_client_for(unit_admin_a).post(
        "/api/cmdb/items/",
        {
            "unit": unit_a.pk,
            "type": item_types["server"].pk,
            "code": "SRV-9",
            "name": "应用服务器",
            "ip": "10.1.2.3",
            "attributes": {"cpu_cores": "16", "memory_gb": 64, "virtual": "否"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["attributes"] == {"cpu_cores": 16, "memory_gb": 64, "virtual": False}
    assert response.json()["domain"] == "hardware"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": 999999}, "type"),
        ({"attributes": {"ports": "x"}}, "attributes.ports"),
        ({"attributes": {"ports": 8, "speed": 1}}, "attributes.speed"),
        ({"attributes": []}, "attributes"),
        ({"ip": "300.1.1.1"}, "ip"),
        ({"code": ""}, "code"),
        ({"status": "broken"}, "status"),
    ],
)
def test_bad_item_input_names_the_field_and_writes_nothing(
    payload, field, unit_a, group_admin, item_types, api_client_for
):
    data = {"unit": unit_a.pk, "type": item_types["switch"].pk, "code": "SW-X", "name": "交换机"}
    data.update({"attributes": {"ports": 24}, **payload})
    response = api_client_for(group_admin).post("/api/cmdb/items/", data, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field
    assert not Item.objects.exists()


def test_duplicate_code_answers_400_naming_code(chain, unit_a, group_admin, item_types, api_client_for):
    response = api_client_for(group_admin).post(
        "/api/cmdb/items/",
        {"unit": unit_a.pk, "type": item_types["server"].pk, "code": "SRV", "name": "重复"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "code"


def test_stale_version_answers_409_and_keeps_the_first_save(chain, group_admin, api_client_for):
    http = api_client_for(group_admin)
    url = f"/api/cmdb/items/{chain['srv'].pk}/"
    assert http.patch(url, {"name": "一", "version": 1}, format="json").status_code == 200
    response = http.patch(url, {"name": "二", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "version"
    item = Item.objects.get(pk=chain["srv"].pk)
    assert (item.name, item.version) == ("一", 2)


def test_cycle_answers_400_with_the_path(chain, group_admin, relation_types, api_client_for):
    response = api_client_for(group_admin).post(
        "/api/cmdb/relations/",
        {"source": chain["ups"].pk, "target": chain["oa"].pk, "type": relation_types["depends-on"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "target"
    assert "UPS → OA" in response.json()["detail"]


def test_impact_endpoint_down_and_up(chain, group_admin, api_client_for):
    http = api_client_for(group_admin)
    body = http.get(f"/api/cmdb/items/{chain['sw'].pk}/impact/", {"direction": "down"}).json()
    by_code = {row["code"]: row for row in body["results"]}
    assert by_code["OA"]["depth"] == 4
    assert by_code["OA"]["path"][0] == chain["sw"].pk
    body = http.get(f"/api/cmdb/items/{chain['oa'].pk}/impact/", {"direction": "up", "depth": 1}).json()
    assert [row["code"] for row in body["results"]] == ["MW"]
    bad = http.get(f"/api/cmdb/items/{chain['oa'].pk}/impact/", {"direction": "sideways"})
    assert bad.status_code == 400 and bad.json()["field"] == "direction"
    bad = http.get(f"/api/cmdb/items/{chain['oa'].pk}/impact/", {"depth": "deep"})
    assert bad.status_code == 400 and bad.json()["field"] == "depth"


def test_blast_radius_and_a_foreign_id_is_missing(
    chain, unit_b, make_item, unit_admin_b, group_admin, api_client_for
):
    body = (
        api_client_for(group_admin)
        .post("/api/cmdb/impact/", {"items": [chain["ups"].pk, chain["san"].pk]}, format="json")
        .json()
    )
    assert body["count"] == 5
    assert [a["code"] for a in body["units"][0]["applications"]] == ["OA"]
    response = api_client_for(unit_admin_b).post(
        "/api/cmdb/impact/", {"items": [chain["ups"].pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "items"
    assert "OA" not in response.content.decode()


def test_foreign_unit_sees_nothing_of_the_impact(
    chain, unit_b, make_item, relate, unit_admin_b, api_client_for
):
    own = make_item(unit_b, "server", "B-SRV")
    response = api_client_for(unit_admin_b).get(f"/api/cmdb/items/{chain['sw'].pk}/impact/")
    assert response.status_code == 404
    assert api_client_for(unit_admin_b).get(f"/api/cmdb/items/{own.pk}/impact/").json()["count"] == 0


def test_filters_and_search(chain, unit_a, unit_b, group, group_admin, make_item, api_client_for):
    import datetime

    from django.utils import timezone

    vendor = org_services.create(Vendor, actor=group_admin, unit=group, code="inspur", name="浪潮")
    today = timezone.localdate()
    contract = org_services.create(
        MaintenanceContract,
        actor=group_admin,
        unit=group,
        vendor=vendor,
        number="C-1",
        title="维保",
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=20),
    )
    make_item(unit_b, "server", "B-SRV", contract=contract, ip="192.168.7.7", hostname="b-host")
    http = api_client_for(group_admin)

    def codes(**query):
        return sorted(row["code"] for row in http.get("/api/cmdb/items/", query).json()["results"])

    assert codes(domain="network") == ["SW"]
    assert codes(type=ItemType.objects.get(code="ups").pk) == ["UPS"]
    assert codes(unit=unit_b.pk) == ["B-SRV"]
    assert codes(vendor=vendor.pk) == ["B-SRV"]
    assert codes(contract_expiring_within=30) == ["B-SRV"]
    assert codes(contract_expiring_within=10) == []
    assert codes(search="192.168.7") == ["B-SRV"]
    assert codes(search="b-host") == ["B-SRV"]
    assert codes(status="retired") == []


def test_export_is_xlsx_of_the_visible_filtered_rows(
    chain, unit_b, make_item, unit_admin_b, group_admin, api_client_for
):
    make_item(unit_b, "server", "B-SRV", attributes={"cpu_cores": 8})
    response = api_client_for(unit_admin_b).get("/api/cmdb/items/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "B-SRV" in cells
    assert "SRV" not in cells and "OA" not in cells  # unit A's rows never leave
    response = api_client_for(group_admin).get("/api/cmdb/items/export/", {"domain": "network"})
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    assert workbook.worksheets[0]["B2"].value == "SW"
    assert workbook.worksheets[0]["A1"].value == "单位代码"


def test_catalogue_is_read_by_all_and_written_by_group_admins(unit_user_a, group_admin, api_client_for):
    assert api_client_for(unit_user_a).get("/api/cmdb/types/").json()["count"] >= 16
    payload = {
        "code": "printer",
        "name": "打印机",
        "domain": "hardware",
        "attributes": [{"code": "dpi", "label": "分辨率", "kind": "int"}],
    }
    assert api_client_for(unit_user_a).post("/api/cmdb/types/", payload, format="json").status_code == 403
    response = api_client_for(group_admin).post("/api/cmdb/types/", payload, format="json")
    assert response.status_code == 201, response.json()
    bad = api_client_for(group_admin).post(
        "/api/cmdb/types/",
        {**payload, "code": "p2", "attributes": [{"code": "x", "label": "x", "kind": "colour"}]},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "attributes.0"


def test_openapi_schema_builds(group_admin, api_client_for):
    assert api_client_for(group_admin).get("/api/schema/").status_code == 200
