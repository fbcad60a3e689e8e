"""The item page: impact lists with each reached item's path, and the history of the item and of the
relations that touch it; the list page's filters and the export that follows them; the topology page."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from yunwei.cmdb import services, views
from yunwei.cmdb.models import Item
from yunwei.org import services as org_services
from yunwei.org.models import MaintenanceContract, Team, Vendor

pytestmark = pytest.mark.django_db


def test_impact_lists_show_each_path_as_codes(chain, client, group_admin):
    client.force_login(group_admin)
    page = client.get(f"/cmdb/items/{chain['sw'].pk}/").content.decode()
    assert "SW → SRV → OS → MW → OA" in page
    page = client.get(f"/cmdb/items/{chain['oa'].pk}/").content.decode()
    assert "OA → MW → OS → SRV → UPS" in page
    assert 'data-testid="impact-up-truncated"' not in page


def test_a_long_impact_list_says_how_much_it_shows(chain, client, group_admin, make_item, relate, unit_a):
    for n in range(4):
        relate(make_item(unit_a, "application", f"APP-{n}"), "runs-on", chain["srv"])
    client.force_login(group_admin)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "IMPACT_SHOWN", 3)
        page = client.get(f"/cmdb/items/{chain['srv'].pk}/").content.decode()
    assert page.count('data-testid="impact-down-path-') == 3
    assert 'data-testid="impact-down-truncated"' in page


def test_history_shows_the_field_change(chain, client, group_admin):
    item = services.update(chain["ups"], actor=group_admin, name="二号UPS")
    client.force_login(group_admin)
    page = client.get(f"/cmdb/items/{item.pk}/").content.decode()
    assert 'data-testid="history-change-name"' in page
    assert "UPS → 二号UPS" in page
    assert 'data-testid="history-change-version"' not in page


def test_relation_added_and_removed_show_on_both_items_history(chain, client, group_admin, relate):
    relation = relate(chain["oa"], "depends-on", chain["san"])
    relation_id = str(relation.pk)
    services.delete(relation, actor=group_admin)
    client.force_login(group_admin)
    for item, text in ((chain["oa"], "SAN"), (chain["san"], "OA")):
        response = client.get(f"/cmdb/items/{item.pk}/")
        events = [e for e in response.context["history"] if e.object_id == relation_id]
        assert {e.action for e in events if e.object_type == "cmdb.relation"} == {"create", "delete"}
        assert all(e.relation_text.endswith(text) for e in events if e.object_type == "cmdb.relation")
        assert 'data-testid="history-relation"' in response.content.decode()


def test_relation_history_of_another_unit_stays_hidden(
    chain, client, make_item, relate, unit_b, unit_admin_a
):
    relate(make_item(unit_b, "application", "B-SECRET"), "runs-on", chain["srv"])  # B's relation
    client.force_login(unit_admin_a)
    response = client.get(f"/cmdb/items/{chain['srv'].pk}/")
    texts = [e.relation_text for e in response.context["history"] if e.object_type == "cmdb.relation"]
    assert len(texts) == 4  # the chain's own relations of SRV, not unit B's
    assert "B-SECRET" not in response.content.decode()


# -- the list page --------------------------------------------------------------------------------


@pytest.fixture
def listed(unit_a, group_admin, make_item):
    """Three servers: one retired, one on team "ops" with a vendor whose contract ends in 20 days."""
    today = timezone.localdate()
    team = org_services.create(Team, actor=group_admin, unit=unit_a, code="ops", name="运维班", domains=[])
    vendor = org_services.create(Vendor, actor=group_admin, unit=unit_a, code="v1", name="厂家一")
    other = org_services.create(Vendor, actor=group_admin, unit=unit_a, code="v2", name="厂家二")
    soon = org_services.create(
        MaintenanceContract,
        actor=group_admin,
        unit=unit_a,
        vendor=vendor,
        number="C-SOON",
        title="快到期",
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=20),
    )
    late = org_services.create(
        MaintenanceContract,
        actor=group_admin,
        unit=unit_a,
        vendor=other,
        number="C-LATE",
        title="远期",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=200),
    )
    return {
        "soon": make_item(unit_a, "server", "S-SOON", owner_team=team, vendor=vendor, contract=soon),
        "late": make_item(unit_a, "server", "S-LATE", vendor=other, contract=late),
        "retired": make_item(unit_a, "server", "S-OLD", status="retired"),
        "team": team,
        "vendor": vendor,
    }


def _codes(page: str) -> set[str]:
    return {code for code in ("S-SOON", "S-LATE", "S-OLD") if f'data-testid="item-row-{code}"' in page}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "retired"}, {"S-OLD"}),
        ({"status": "in_service"}, {"S-SOON", "S-LATE"}),
        ({"team": "team"}, {"S-SOON"}),
        ({"vendor": "vendor"}, {"S-SOON"}),
        ({"contract_expiring_within": "30"}, {"S-SOON"}),
        ({"contract_expiring_within": "365"}, {"S-SOON", "S-LATE"}),
    ],
)
def test_list_page_filters(listed, client, group_admin, query, expected):
    query = {k: listed[v].pk if k in ("team", "vendor") else v for k, v in query.items()}
    client.force_login(group_admin)
    assert _codes(client.get("/cmdb/", query).content.decode()) == expected


def test_page_export_follows_the_list_filters(listed, client, group_admin):
    client.force_login(group_admin)
    response = client.get("/cmdb/export/", {"contract_expiring_within": "30"})
    workbook = load_workbook(io.BytesIO(response.content))
    codes = {row[1] for ws in workbook.worksheets for row in ws.iter_rows(min_row=2, values_only=True)}
    assert codes == {"S-SOON"}
    page = client.get("/cmdb/", {"contract_expiring_within": "30"}).content.decode()
    assert "/cmdb/export/?contract_expiring_within=30" in page


def test_topology_page_renders_the_application_items(chain, client, unit_user_a):
    client.force_login(unit_user_a)
    listing = client.get("/cmdb/topology/").content.decode()
    assert f"/cmdb/items/{chain['oa'].pk}/topology/" in listing
    page = client.get(f"/cmdb/items/{chain['oa'].pk}/topology/")
    assert page.status_code == 200
    graph = client.get(page.context["graph_url"]).json()
    assert {n["name"] for n in graph["nodes"]} == {"OA", "MW", "OS", "SRV", "SAN", "SW", "UPS"}
    assert Item.objects.filter(pk__in=[int(n["id"]) for n in graph["nodes"]]).count() == 7
