import pytest

from yunwei.incidents.models import EmergencyPlan, Incident

pytestmark = pytest.mark.django_db

URL = "/api/incidents/"


def test_a_plain_user_reports_and_sees_only_their_own(
    api_client_for, unit_user_a, unit_admin_a, app_a, unit_a
):
    user = api_client_for(unit_user_a)
    response = user.post(
        URL, {"unit": unit_a.pk, "title": "打不开", "affected_items": [app_a.pk]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "reported" and body["grade"] == "III"
    assert body["allowed_transitions"] == []
    api_client_for(unit_admin_a).post(URL, {"unit": unit_a.pk, "title": "管理员登记"}, format="json")
    titles = [row["title"] for row in user.get(URL).json()["results"]]
    assert titles == ["打不开"]


def test_report_for_a_foreign_unit_names_the_field(api_client_for, unit_user_a, unit_b):
    response = api_client_for(unit_user_a).post(URL, {"unit": unit_b.pk, "title": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "unit"


def test_transition_walks_and_refusals_answer_409_with_the_reason(api_client_for, unit_admin_a, incident):
    http = api_client_for(unit_admin_a)
    url = f"{URL}{incident.pk}/transition/"
    response = http.post(url, {"to": "closed"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "to" and response.json()["detail"]
    assert http.post(url, {"to": "acknowledged"}, format="json").status_code == 200
    assert http.post(url, {"to": "diagnosing"}, format="json").status_code == 200
    response = http.post(url, {"to": "repairing"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "cause_category"
    # The shipped plan of grade Ⅲ and this cause must be activated first (Art. 13), on a fresh install too.
    response = http.post(url, {"to": "repairing", "cause_category": "application"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "plan"
    response = http.post(
        f"{URL}{incident.pk}/activate-plan/", {"cause_category": "application"}, format="json"
    )
    assert response.json()["plan"] == EmergencyPlan.objects.get(code="application-iii").pk
    response = http.post(url, {"to": "repairing"}, format="json")
    assert response.status_code == 200, response.json()
    detail = http.get(f"{URL}{incident.pk}/").json()
    assert [e["to_state"] for e in detail["events"] if e["kind"] == "transition"] == [
        "acknowledged",
        "diagnosing",
        "repairing",
    ]
    assert detail["allowed_transitions"] == ["verifying"]


def test_unknown_state_and_stale_version(api_client_for, unit_admin_a, incident):
    http = api_client_for(unit_admin_a)
    url = f"{URL}{incident.pk}/transition/"
    assert http.post(url, {"to": "nowhere"}, format="json").json()["field"] == "to"
    response = http.post(url, {"to": "acknowledged", "version": incident.version + 5}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "version"


def test_plain_user_may_not_transition(api_client_for, unit_user_a, incident):
    events = incident.events.count()
    response = api_client_for(unit_user_a).post(
        f"{URL}{incident.pk}/transition/",
        {"to": "acknowledged", "version": incident.version},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the unit's system staff may handle this incident."
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.version, stored.events.count()) == ("reported", incident.version, events)


def test_plan_checklist_tick_and_escalation(api_client_for, unit_admin_a, incident, plans, org_records_a):
    http = api_client_for(unit_admin_a)
    url = f"{URL}{incident.pk}/"
    http.post(url + "transition/", {"to": "acknowledged"}, format="json")
    http.post(url + "transition/", {"to": "diagnosing"}, format="json")
    version = http.get(url).json()["version"]
    assert (
        http.patch(url, {"cause_category": "application", "version": version}, format="json").status_code
        == 200
    )
    response = http.post(url + "activate-plan/", {}, format="json")
    assert response.status_code == 200, response.json()
    steps = [c for c in response.json()["checklist"] if c["kind"] == "step"]
    response = http.post(url + "tick/", {"item": steps[0]["id"]}, format="json")
    assert response.status_code == 200
    assert http.post(url + "tick/", {"item": 999999}, format="json").json()["field"] == "item"
    response = http.post(url + "escalate/", {"mode": "remote"}, format="json")
    assert response.status_code == 200
    escalation = response.json()["escalations"][0]
    assert escalation["engineer"] == org_records_a["engineer"].pk
    response = http.post(url + "arrival/", {"escalation": escalation["id"]}, format="json")
    assert response.json()["escalations"][0]["arrived_at"]


def test_grade_change_needs_a_reason(api_client_for, unit_admin_a, incident):
    http = api_client_for(unit_admin_a)
    response = http.post(f"{URL}{incident.pk}/grade/", {"grade": "II"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "reason"
    response = http.post(f"{URL}{incident.pk}/grade/", {"grade": "II", "reason": "影响扩大"}, format="json")
    assert response.json()["grade"] == "II"


def test_incidents_are_never_deleted(api_client_for, unit_admin_a, incident):
    assert api_client_for(unit_admin_a).delete(f"{URL}{incident.pk}/").status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_list_filters(api_client_for, unit_admin_a, incident):
    http = api_client_for(unit_admin_a)
    assert http.get(URL, {"state": "reported"}).json()["count"] == 1
    assert http.get(URL, {"state": "closed"}).json()["count"] == 0
    assert http.get(URL, {"grade": "III", "breached": "false"}).json()["count"] == 1
    assert http.get(URL, {"breached": "true"}).json()["count"] == 0
    bad = http.get(URL, {"state": "bogus"})
    assert bad.status_code == 400 and bad.json()["field"] == "state"


def test_plans_are_read_by_all_and_written_by_group_admins(api_client_for, unit_user_a, group_admin, plans):
    # The two of the fixture beside the twelve shipped (grades Ⅱ and Ⅲ, six causes).
    assert api_client_for(unit_user_a).get(f"{URL}plans/").json()["count"] == 14
    body = {
        "code": "p",
        "title": "电力",
        "grade": "II",
        "cause_category": "power",
        "steps": [{"text": "切换UPS"}],
    }
    assert api_client_for(unit_user_a).post(f"{URL}plans/", body, format="json").status_code == 403
    response = api_client_for(group_admin).post(f"{URL}plans/", body, format="json")
    assert response.status_code == 201
    bad = {**body, "code": "q", "steps": [{"role": "x"}]}
    assert api_client_for(group_admin).post(f"{URL}plans/", bad, format="json").json()["field"] == "steps"


def test_a_plan_of_another_grade_is_refused_naming_the_field(api_client_for, unit_admin_a, incident, plans):
    http = api_client_for(unit_admin_a)
    url = f"{URL}{incident.pk}/"
    http.post(url + "transition/", {"to": "acknowledged"}, format="json")
    response = http.post(
        url + "activate-plan/", {"plan": plans["II"].pk, "cause_category": "application"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "plan"


def test_a_drill_shows_the_plan_version_it_rehearses(api_client_for, unit_admin_a, unit_a, plans):
    http = api_client_for(unit_admin_a)
    response = http.post(
        "/api/incidents/drills/",
        {"unit": unit_a.pk, "plan": plans["III"].pk, "scheduled_for": "2030-01-05T09:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["plan_revision"] == 1
