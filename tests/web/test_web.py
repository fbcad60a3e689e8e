"""Dashboard, language switch, API documentation and the liveness probe."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from yunwei.org import services
from yunwei.org.models import MaintenanceContract, Vendor

pytestmark = pytest.mark.django_db


def test_dashboard_is_chinese_first_and_english_on_request(client, unit_admin_a):
    client.force_login(unit_admin_a)
    page = client.get("/").content.decode()
    assert "首页" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Dashboard" in client.get("/").content.decode()


def test_dashboard_counts_only_what_the_user_may_see(client, group_admin, unit_a, unit_b, unit_admin_b):
    today = timezone.localdate()
    vendor = services.create(Vendor, actor=group_admin, unit=unit_a, code="v", name="甲厂家")
    services.create(
        MaintenanceContract,
        actor=group_admin,
        unit=unit_a,
        vendor=vendor,
        number="n1",
        title="即将到期的甲合同",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=10),
    )
    client.force_login(group_admin)
    page = client.get("/")
    assert page.context["counts"]["vendors"] == 1
    assert "即将到期的甲合同" in page.content.decode()
    client.force_login(unit_admin_b)
    page = client.get("/")
    assert page.context["counts"] == {"units": 1, "teams": 0, "people": 1, "vendors": 0}
    assert "即将到期的甲合同" not in page.content.decode()
    assert "甲单位" not in page.content.decode()


def test_pages_need_a_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_api_needs_credentials(client):
    response = client.get("/api/org/units/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_openapi_schema_and_documentation_page(client, unit_user_a):
    client.force_login(unit_user_a)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/org/units/", "/api/org/people/", "/api/audit/events/", "/api/auth/token/"} <= set(paths)
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()  # served from the vendored sidecar package


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/org/units/", "/cmdb/", "/incidents/", "/problems/", "/changes/"])
def test_every_list_filter_offers_all_as_its_empty_choice(client, unit_admin_a, url):
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(url).content.decode()
    assert '<option value="" selected>All</option>' in page
    assert "---------" not in page


def test_the_openapi_schema_builds_without_a_warning(tmp_path):
    """Two components or choice sets of one name would be renamed by drf-spectacular at random; the
    deploy check fails on its warning, and so does this, earlier."""
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


# A second before midnight in Shanghai, frozen: "today" here and on the page are the same day.
@time_machine.travel(datetime.datetime(2026, 3, 2, 15, 59, 59, tzinfo=datetime.UTC), tick=False)
def test_dashboard_lists_contracts_ending_within_60_days(client, group_admin, unit_a):
    today = timezone.localdate()
    vendor = services.create(Vendor, actor=group_admin, unit=unit_a, code="v60", name="厂家")
    for number, days in (("in-59", 59), ("in-60", 60), ("in-61", 61), ("ended", -1)):
        services.create(
            MaintenanceContract,
            actor=group_admin,
            unit=unit_a,
            vendor=vendor,
            number=number,
            title=f"合同-{number}",
            starts_on=today - datetime.timedelta(days=400),
            ends_on=today + datetime.timedelta(days=days),
        )
    client.force_login(group_admin)
    page = client.get("/").content.decode()
    panel = page.split('data-testid="expiring-contracts"', 1)[1].split("</ul>", 1)[0]
    assert "合同-in-59" in panel and "合同-in-60" in panel
    assert "合同-in-61" not in panel and "合同-ended" not in panel
