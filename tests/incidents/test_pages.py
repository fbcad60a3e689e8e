"""Incident pages: list with filters, the report page, the incident page with only the allowed actions,
the poll, the on-duty board, plans and drills."""

import datetime

import pytest
from django.utils import timezone

from yunwei.incidents import services
from yunwei.incidents.models import Drill

pytestmark = pytest.mark.django_db


def test_user_reports_a_fault_choosing_an_application(client, unit_user_a, app_a, unit_b, group_admin):
    client.force_login(unit_user_a)
    page = client.get("/incidents/report/").content.decode()
    assert "甲协同办公应用" in page
    response = client.post(
        "/incidents/report/",
        {"application": app_a.pk, "title": "审批打不开", "description": "", "impact_scope": "one_user"},
    )
    assert response.status_code == 302
    incident = unit_user_a.reported_incidents.get()
    assert list(incident.affected_items.all()) == [app_a]
    page = client.get(response["Location"]).content.decode()
    assert "审批打不开" in page
    assert 'data-testid="actions"' not in page  # a user sees no actions


def test_report_page_offers_no_foreign_application(client, unit_user_a, app_a, unit_admin_b, unit_b):
    client.force_login(unit_admin_b)
    assert "甲协同办公应用" not in client.get("/incidents/report/").content.decode()
    response = client.post(
        "/incidents/report/", {"application": app_a.pk, "title": "越权", "impact_scope": "one_user"}
    )
    assert response.status_code == 200
    assert not unit_admin_b.reported_incidents.exists()


def test_incident_page_shows_only_allowed_actions(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="to-acknowledged"' in page
    assert 'data-testid="to-closed"' not in page
    assert 'hx-trigger="every 10s"' in page


def test_walk_through_the_pages(client, unit_admin_a, incident, plans):
    client.force_login(unit_admin_a)
    url = f"/incidents/{incident.pk}/"
    client.post(url + "transition/", {"to": "acknowledged"})
    client.post(url + "transition/", {"to": "diagnosing"})
    response = client.post(url + "transition/", {"to": "repairing"}, follow=True)
    assert 'role="alert"' in response.content.decode()  # the refusal's reason is shown
    incident.refresh_from_db()
    assert incident.state == "diagnosing"
    client.post(url + "plan/", {"cause_category": "application"})
    client.post(url + "transition/", {"to": "repairing", "comment": "开始修复"})
    incident.refresh_from_db()
    assert incident.state == "repairing"
    for item in incident.checklist.filter(kind="step"):
        client.post(url + "tick/", {"item": item.pk})
    client.post(url + "transition/", {"to": "verifying"})
    for item in incident.checklist.filter(kind="verification"):
        client.post(url + "tick/", {"item": item.pk, "passed": "true"})
    client.post(url + "transition/", {"to": "restored"})
    client.post(
        url + "transition/",
        {"to": "closed", "resolution_summary": "重启后恢复", "fixed_for_good": "true", "problem_ref": ""},
    )
    incident.refresh_from_db()
    assert incident.state == "closed"
    page = client.get(url).content.decode()
    assert 'data-testid="actions"' not in page
    assert "重启后恢复" in page


def test_poll_answers_204_until_the_incident_changes(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    url = f"/incidents/{incident.pk}/"
    headers = {"HX-Request": "true"}
    assert client.get(url, {"version": incident.version}, headers=headers).status_code == 204
    services.transition(incident, to="acknowledged", actor=unit_admin_a)
    response = client.get(url, {"version": incident.version}, headers=headers)
    assert response["HX-Refresh"] == "true"


def test_list_filters_and_duty_board(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    row = f'data-testid="incident-row-{incident.pk}"'
    assert row in client.get("/incidents/", {"state": "reported"}).content.decode()
    assert row not in client.get("/incidents/", {"state": "closed"}).content.decode()
    assert row not in client.get("/incidents/", {"q": "不存在"}).content.decode()
    assert f'data-testid="duty-{incident.pk}"' in client.get("/incidents/duty/").content.decode()


def test_plans_and_drills(client, unit_admin_a, plans, unit_a):
    client.force_login(unit_admin_a)
    assert "应用故障 II 级预案" in client.get("/incidents/plans/").content.decode()
    response = client.post(
        "/incidents/drills/new/",
        {"unit": unit_a.pk, "plan": plans["II"].pk, "scheduled_for": "2026-01-05T09:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    drill = Drill.objects.get()
    response = client.post(f"/incidents/drills/{drill.pk}/", {"findings": "切换偏慢", "timings": "12, 8"})
    drill.refresh_from_db()
    assert drill.state == "done" and drill.step_timings[0]["minutes"] == 12
    page = client.get(f"/incidents/plans/{plans['II'].pk}/").content.decode()
    assert f"/incidents/drills/{drill.pk}/" in page


def test_plan_page_lists_no_foreign_drill(client, unit_admin_b, plans, unit_a, group_admin):
    drill = services.create(
        Drill,
        actor=group_admin,
        unit=unit_a,
        plan=plans["II"],
        scheduled_for=timezone.now() + datetime.timedelta(days=1),
    )
    client.force_login(unit_admin_b)
    assert (
        f"/incidents/drills/{drill.pk}/"
        not in client.get(f"/incidents/plans/{plans['II'].pk}/").content.decode()
    )


def test_the_list_table_refreshes_itself_keeping_filters_and_page(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    full = client.get("/incidents/", {"state": "reported", "page": "1"}).content.decode()
    assert 'data-testid="list-poller"' in full and "<html" in full
    assert 'hx-get="/incidents/?state=reported&amp;page=1"' in full
    headers = {"HX-Request": "true", "HX-Target": "results"}
    partial = client.get("/incidents/", {"state": "reported", "page": "1"}, headers=headers).content.decode()
    assert "<html" not in partial
    assert f'data-testid="incident-row-{incident.pk}"' in partial
    assert 'hx-get="/incidents/?state=reported&amp;page=1"' in partial and 'hx-trigger="every 15s"' in partial
    closed = client.get("/incidents/", {"state": "closed"}, headers=headers).content.decode()
    assert f'data-testid="incident-row-{incident.pk}"' not in closed


def _to_diagnosing(incident, actor):
    incident = services.transition(incident, to="acknowledged", actor=actor)
    return services.transition(incident, to="diagnosing", actor=actor)


def test_the_escalation_form_records_the_times_given(client, unit_admin_a, incident, org_records_a):
    _to_diagnosing(incident, unit_admin_a)
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="contacted_at"' in page and 'type="datetime-local"' in page
    called = timezone.localtime() - datetime.timedelta(hours=2)
    response = client.post(
        f"/incidents/{incident.pk}/escalate/",
        {"mode": "on_site", "contacted_at": called.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    escalation = incident.escalations.get()
    assert escalation.contacted_at == called.replace(second=0, microsecond=0)
    assert (
        f'data-testid="arrival-form-{escalation.pk}"'
        in client.get(f"/incidents/{incident.pk}/").content.decode()
    )
    arrived = called + datetime.timedelta(minutes=45)
    client.post(
        f"/incidents/{incident.pk}/escalate/",
        {"escalation": escalation.pk, "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M")},
    )
    escalation.refresh_from_db()
    assert escalation.arrived_at == arrived.replace(second=0, microsecond=0)


def test_the_escalation_form_refuses_future_times_and_arrival_before_contact(
    client, unit_admin_a, incident, org_records_a
):
    _to_diagnosing(incident, unit_admin_a)
    client.force_login(unit_admin_a)
    future = (timezone.localtime() + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/incidents/{incident.pk}/escalate/", {"mode": "remote", "contacted_at": future}, follow=True
    )
    assert "该时间不能晚于当前时间" in response.content.decode()  # This moment lies in the future.
    assert not incident.escalations.exists()
    # Empty: now.
    client.post(f"/incidents/{incident.pk}/escalate/", {"mode": "remote", "contacted_at": ""})
    escalation = incident.escalations.get()
    assert timezone.now() - escalation.contacted_at < datetime.timedelta(minutes=1)
    for moment in (
        timezone.localtime() + datetime.timedelta(hours=3),
        timezone.localtime(escalation.contacted_at) - datetime.timedelta(hours=1),
    ):
        response = client.post(
            f"/incidents/{incident.pk}/escalate/",
            {"escalation": escalation.pk, "arrived_at": moment.strftime("%Y-%m-%dT%H:%M")},
            follow=True,
        )
        escalation.refresh_from_db()
        assert escalation.arrived_at is None
        assert "alert-danger" in response.content.decode()
    # An arrival typed in the minute of the call is taken as the call's moment.
    same_minute = timezone.localtime(escalation.contacted_at).strftime("%Y-%m-%dT%H:%M")
    client.post(
        f"/incidents/{incident.pk}/escalate/", {"escalation": escalation.pk, "arrived_at": same_minute}
    )
    escalation.refresh_from_db()
    assert escalation.arrived_at == escalation.contacted_at
