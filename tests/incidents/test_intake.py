"""Intake: whoever handles several units chooses the affected unit (Art. 8, 13); the fault's start time
grades it at once and never lies in the future (Art. 12)."""

import datetime

import pytest
from django.utils import timezone

from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Item, ItemType
from yunwei.core import scoping
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.incidents import services
from yunwei.incidents.models import Incident
from yunwei.notify.models import Delivery
from yunwei.org.choices import Role

from ..conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/api/incidents/"


@pytest.fixture
def technician(group):
    return make_user("group-tech", group, Role.TECH_STAFF)


@pytest.fixture
def group_app(group, group_admin):
    return cmdb.create(
        Item,
        actor=group_admin,
        unit=group,
        type=ItemType.objects.get(code="application"),
        code="GROUP-OA",
        name="集团门户",
    )


def test_a_group_technician_reports_a_fault_of_the_unit_it_affects(
    technician, unit_a, unit_admin_a, app_a, leader_a
):
    incident = services.report(
        actor=technician,
        unit=unit_a,
        title="甲单位全网中断",
        impact_scope="several_units",
        affected_items=[app_a],
    )
    assert incident.unit == unit_a
    # The unit drives who opens it and who is told: unit A's admin sees it, its leader gets the report.
    assert scoping.visible(Incident.objects.filter(pk=incident.pk), unit_admin_a).exists()
    reports = Delivery.objects.filter(event_key=f"incident:{incident.pk}:leader_report:II")
    assert reports.filter(recipient="a-leader@example.cn").exists()


def test_unit_staff_cannot_report_for_a_unit_they_do_not_handle(unit_a, unit_b):
    technician = make_user("b-tech", unit_b, Role.TECH_STAFF)
    with pytest.raises(PermissionDenied):
        services.report(actor=technician, unit=unit_a, title="越权")


def test_the_api_reports_for_the_chosen_unit_with_its_items_only(
    api_client_for, technician, unit_a, app_a, group_app
):
    http = api_client_for(technician)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    response = http.post(URL, {"unit": unit_a.pk, "title": "甲单位故障", "affected_items": [app_a.pk]})
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == unit_a.pk
    response = http.post(URL, {"unit": unit_a.pk, "title": "错配", "affected_items": [group_app.pk]})
    assert response.status_code == 400
    assert response.json()["field"] == "affected_items"
    assert not Incident.objects.filter(title="错配").exists()


def test_the_report_page_offers_the_chosen_units_applications(client, technician, unit_a, app_a, group_app):
    client.force_login(technician)
    page = client.get("/incidents/report/").content.decode()
    assert "集团门户" in page and "甲协同办公应用" not in page  # their own unit by default
    page = client.get(f"/incidents/report/?unit={unit_a.pk}&title=abc").content.decode()
    assert "甲协同办公应用" in page and "集团门户" not in page
    response = client.post(
        "/incidents/report/",
        {"unit": unit_a.pk, "application": app_a.pk, "title": "甲单位故障", "impact_scope": "one_unit"},
    )
    assert response.status_code == 302
    assert Incident.objects.get(title="甲单位故障").unit == unit_a


def test_a_plain_user_is_offered_no_unit_choice(client, unit_user_a, app_a):
    client.force_login(unit_user_a)
    page = client.get("/incidents/report/").content.decode()
    assert 'type="hidden" name="unit"' in page


# -- when the fault began (Art. 12) -----------------------------------------------------------------


def test_a_late_report_is_graded_by_its_real_duration_at_once(unit_a, unit_admin_a, leader_a):
    now = timezone.now()
    incident = services.report(
        actor=unit_admin_a,
        unit=unit_a,
        title="五小时的全单位中断",
        impact_scope="one_unit",
        started_at=now - datetime.timedelta(hours=5),
        now=now,
    )
    assert incident.grade == "II"
    assert "300" in incident.grade_reason
    assert incident.notices.filter(event_key__endswith="leader_report:II").exists()


def test_a_start_in_the_future_is_refused_naming_the_field(unit_a, unit_admin_a):
    with pytest.raises(DomainError) as excinfo:
        services.report(
            actor=unit_admin_a,
            unit=unit_a,
            title="未来",
            started_at=timezone.now() + datetime.timedelta(hours=1),
        )
    assert excinfo.value.field == "started_at"
    assert "Art. 12" in str(excinfo.value.message)
    assert not Incident.objects.exists()


def test_the_api_grades_by_the_start_and_refuses_a_future_one(api_client_for, unit_admin_a, unit_a):
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    future = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    response = http.post(URL, {"unit": unit_a.pk, "title": "未来", "started_at": future}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "started_at" and "Art. 12" in response.json()["detail"]
    past = (timezone.now() - datetime.timedelta(hours=5)).isoformat()
    response = http.post(
        URL,
        {"unit": unit_a.pk, "title": "晚报", "impact_scope": "one_unit", "started_at": past},
        format="json",
    )
    assert response.status_code == 201 and response.json()["grade"] == "II"


def test_the_report_page_asks_when_it_began_and_refuses_the_future(client, unit_user_a, app_a):
    client.force_login(unit_user_a)
    assert 'name="started_at"' in client.get("/incidents/report/").content.decode()
    future = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/incidents/report/",
        {"application": app_a.pk, "title": "未来", "impact_scope": "one_user", "started_at": future},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Art. 12" in response.content.decode()
    assert not Incident.objects.exists()
