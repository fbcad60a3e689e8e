"""The change API: CRUD where allowed, the flow with its 409s, 400s naming the field, the calendar, the
maintenance windows, templates and freeze periods, and the OpenAPI document."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.changes import services
from yunwei.changes.models import Change, FreezePeriod
from yunwei.incidents import services as incidents

from .conftest import approve, new_change, to_scheduled, window

pytestmark = pytest.mark.django_db

URL = "/api/changes/"


def _body(unit, items, **fields):
    start, end = window()
    return {
        "unit": unit.pk,
        "title": "升级中间件",
        "change_type": "software_upgrade",
        "reason": "安全补丁",
        "implementation_plan": "滚动升级",
        "rollback_plan": "回退版本",
        "affected_items": [item.pk for item in items],
        "planned_start": start.isoformat(),
        "planned_end": end.isoformat(),
        "service_impact": "degraded",
        **fields,
    }


def test_create_and_read_a_change_with_its_blast_radius(
    api_client_for, unit_admin_a, unit_a, server_a, app_a
):
    http = api_client_for(unit_admin_a)
    response = http.post(URL, _body(unit_a, [server_a]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["state"] == "draft" and body["risk"] == "medium" and body["allowed_transitions"] == ["submitted"]
    )
    assert body["blast_radius"]["count"] == 2
    assert [a["code"] for a in body["blast_radius"]["applications"]] == ["OA-A"]
    assert [u["id"] for u in body["blast_radius"]["units"]] == [unit_a.pk]
    detail = http.get(f"{URL}{body['id']}/").json()
    assert [e["kind"] for e in detail["events"]] == ["created"]


def test_bad_input_answers_400_naming_the_field(api_client_for, unit_admin_a, unit_a, server_a, server_b):
    http = api_client_for(unit_admin_a)
    start, _end = window()
    cases = [
        (_body(unit_a, [server_a], planned_end=start.isoformat()), "planned_end"),
        (_body(unit_a, [server_a], change_type="nonsense"), "change_type"),
        (_body(unit_a, [server_b]), "affected_items"),
        (_body(unit_a, [server_a], risk="high"), "risk_override_reason"),
        (
            _body(
                unit_a,
                [server_a],
                attribute_changes=[{"item": server_a.pk, "attribute": "memory_gb", "value": "x"}],
            ),
            "attribute_changes",
        ),
        (_body(unit_a, [server_a], state="approved", kind="emergency", requester=1, title=""), "title"),
    ]
    for payload, field in cases:
        response = http.post(URL, payload, format="json")
        assert response.status_code == 400, (field, response.json())
        assert response.json()["field"] == field
    assert not Change.objects.exists()


def test_a_foreign_unit_is_refused_as_missing(api_client_for, unit_admin_b, unit_a, server_a):
    response = api_client_for(unit_admin_b).post(URL, _body(unit_a, [server_a]), format="json")
    assert response.status_code == 400 and response.json()["field"] in ("unit", "affected_items")


def test_state_and_requester_cannot_be_set_through_the_api(
    api_client_for, unit_admin_a, unit_a, server_a, lead
):
    response = api_client_for(unit_admin_a).post(
        URL, _body(unit_a, [server_a], state="approved", requester=lead.pk, approval_round=3), format="json"
    )
    body = response.json()
    assert body["state"] == "draft" and body["requester"] == unit_admin_a.pk and body["approval_round"] == 0


def test_the_flow_answers_409_with_the_reason(api_client_for, change, unit_admin_a, lead):
    http = api_client_for(unit_admin_a)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"{URL}{change.pk}/transition/"
    response = http.post(url, {"to": "completed"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "to" and response.json()["detail"]
    assert http.post(url, {"to": "submitted"}, format="json").status_code == 200
    response = http.post(url, {"to": "approved"}, format="json")
    assert response.status_code == 403 and "someone else" in response.json()["detail"]
    response = api_client_for(lead).post(url, {"to": "approved", "comment": "同意"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    response = http.patch(
        f"{URL}{change.pk}/", {"title": "改", "version": response.json()["version"]}, format="json"
    )
    assert response.status_code == 409 and response.json()["field"] == "state"
    response = http.post(url, {"to": "scheduled"}, format="json")
    assert response.json()["state"] == "scheduled"
    assert http.post(url, {"to": "nowhere"}, format="json").json()["field"] == "to"
    response = http.post(url, {"to": "implementing", "version": 1}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "version"


def test_decide_endpoint_and_rejection_reason(api_client_for, change, unit_admin_a, lead):
    services.transition(change, to="submitted", actor=unit_admin_a)
    http = api_client_for(lead)
    response = http.post(f"{URL}{change.pk}/decide/", {"decision": "rejected"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "comment"
    response = http.post(
        f"{URL}{change.pk}/decide/", {"decision": "rejected", "comment": "方案不全"}, format="json"
    )
    assert response.json()["state"] == "rejected"
    assert response.json()["approvals"][0]["decision"] == "rejected"


def test_edit_before_approval_and_delete_only_a_fresh_draft(
    api_client_for, change, unit_admin_a, server_a, app_a
):
    http = api_client_for(unit_admin_a)
    response = http.patch(
        f"{URL}{change.pk}/",
        {"affected_items": [server_a.pk, app_a.pk], "version": change.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == change.version + 1
    response = http.patch(f"{URL}{change.pk}/", {"title": "x", "version": change.version}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "version"
    services.transition(change, to="submitted", actor=unit_admin_a)
    refused = http.delete(f"{URL}{change.pk}/")
    assert refused.status_code == 409 and refused.json()["field"] == "state"
    assert Change.objects.filter(pk=change.pk).exists()
    other = new_change(unit_admin_a, change.unit, [server_a])
    assert http.delete(f"{URL}{other.pk}/").status_code == 204


def test_calendar_answers_the_range_with_collisions_and_freezes(
    api_client_for, change, unit_admin_a, unit_a, app_a, lead, leader_a, unit_admin_b, group_admin
):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    other = approve(
        services.transition(new_change(unit_admin_a, unit_a, [app_a]), to="submitted", actor=unit_admin_a),
        lead,
    )
    services.decide(other, actor=leader_a, decision="approved", scope="schedule")
    services.transition(other, to="scheduled", actor=unit_admin_a)
    freeze = api_client_for(group_admin).post(
        "/api/changes/freezes/",
        {
            "starts_at": (scheduled.planned_start + datetime.timedelta(days=2)).isoformat(),
            "ends_at": (scheduled.planned_start + datetime.timedelta(days=3)).isoformat(),
            "reason": "春节封网",
        },
        format="json",
    )
    assert freeze.status_code == 201, freeze.json()
    query = {
        "start": (scheduled.planned_start - datetime.timedelta(days=1)).date().isoformat(),
        "end": (scheduled.planned_start + datetime.timedelta(days=5)).date().isoformat(),
    }
    body = api_client_for(unit_admin_a).get(f"{URL}calendar/", query).json()
    assert {c["id"]: c["collides_with"] for c in body["changes"]} == {
        scheduled.pk: [other.pk],
        other.pk: [scheduled.pk],
    }
    assert [f["reason"] for f in body["freezes"]] == ["春节封网"]
    foreign = api_client_for(unit_admin_b).get(f"{URL}calendar/", query).json()
    assert foreign["changes"] == [] and [f["reason"] for f in foreign["freezes"]] == ["春节封网"]


def test_calendar_refuses_a_bad_range_naming_the_field(api_client_for, unit_admin_a):
    http = api_client_for(unit_admin_a)
    assert http.get(f"{URL}calendar/").json()["field"] in ("start", "end")
    response = http.get(f"{URL}calendar/", {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.status_code == 400 and response.json()["field"] == "end"
    bad = http.get(f"{URL}calendar/", {"start": "x", "end": "y"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"start", "end"}


def test_maintenance_windows_are_listed_read_only(api_client_for, change, unit_admin_a, lead, server_a):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    http = api_client_for(unit_admin_a)
    inside = (scheduled.planned_start + datetime.timedelta(minutes=5)).isoformat()
    rows = http.get("/api/changes/maintenance-windows/", {"active_at": inside, "item": server_a.pk}).json()[
        "results"
    ]
    assert [r["change"] for r in rows] == [scheduled.pk]
    assert http.delete(f"/api/changes/maintenance-windows/{rows[0]['id']}/").status_code == 405


def test_templates_and_freezes_are_managed_by_group_admins(api_client_for, group_admin, unit_admin_a, unit_a):
    payload = {"name": "补丁", "change_type": "software_upgrade", "implementation_plan": "装补丁"}
    assert (
        api_client_for(unit_admin_a).post("/api/changes/templates/", payload, format="json").status_code
        == 403
    )
    response = api_client_for(group_admin).post("/api/changes/templates/", payload, format="json")
    assert response.status_code == 201
    assert api_client_for(unit_admin_a).get("/api/changes/templates/").json()["count"] == 1
    bad = {"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z", "reason": "x"}
    response = api_client_for(group_admin).post("/api/changes/freezes/", bad, format="json")
    assert response.status_code == 400 and response.json()["field"] == "ends_at"


def test_the_openapi_document_covers_the_changes_api(api_client_for, group_admin):
    schema = api_client_for(group_admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/changes/",
        "/api/changes/{id}/transition/",
        "/api/changes/{id}/decide/",
        "/api/changes/calendar/",
        "/api/changes/templates/",
        "/api/changes/freezes/",
        "/api/changes/maintenance-windows/",
    ):
        assert path in schema["paths"], path


def test_the_groups_leader_sees_every_units_changes_but_not_their_other_records(
    api_client_for, change, group_leader, unit_admin_a, unit_a
):
    """The leader in charge approves risky changes of every unit (scoping opens changes to them), but
    the units' incidents stay with the units and their staff."""
    incident = incidents.report(actor=unit_admin_a, unit=unit_a, title="OA 无法登录")
    http = api_client_for(group_leader)
    assert [row["id"] for row in http.get(URL).json()["results"]] == [change.pk]
    assert http.get(f"{URL}{change.pk}/").status_code == 200
    assert http.get(f"/api/incidents/{incident.pk}/").status_code == 404


def test_a_page_of_changes_costs_the_same_queries_whatever_its_length(
    api_client_for, unit_admin_a, unit_a, server_a, lead
):
    http = api_client_for(unit_admin_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert http.get(URL).status_code == 200
        return len(captured.captured_queries)

    def add(count: int) -> None:
        for _ in range(count):
            change = services.transition(
                new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
            )
            approve(change, lead)

    add(2)
    few = queries()
    add(4)
    assert queries() == few


def _carried_out_first(requester, unit, items):
    start, end = window(days=0, hours=2)
    change = new_change(requester, unit, items, kind="emergency", planned_start=start, planned_end=end)
    change = services.transition(change, to="submitted", actor=requester)
    return services.transition(change, to="implementing", actor=requester)


def test_changes_awaiting_approval_after_the_fact_are_flagged_and_filtered(
    api_client_for, change, unit_admin_a, unit_a, server_a, unit_admin_b, lead
):
    emergency = _carried_out_first(unit_admin_a, unit_a, [server_a])
    approved_emergency = approve(_carried_out_first(unit_admin_a, unit_a, [server_a]), lead)
    http = api_client_for(unit_admin_a)
    rows = http.get(URL, {"awaiting_approval": "true"}).json()["results"]
    assert [row["id"] for row in rows] == [emergency.pk]
    assert rows[0]["awaiting_approval"] is True and rows[0]["approval_overdue"] is False
    assert rows[0]["approval_due_at"]
    others = {row["id"] for row in http.get(URL, {"awaiting_approval": "false"}).json()["results"]}
    assert others == {change.pk, approved_emergency.pk}
    # Neither yes nor no filters nothing, like every other yes/no filter.
    assert http.get(URL, {"awaiting_approval": "maybe"}).json()["count"] == http.get(URL).json()["count"]
    assert api_client_for(unit_admin_b).get(URL, {"awaiting_approval": "true"}).json()["count"] == 0


def test_an_edit_while_submitted_dropping_the_rollback_plan_answers_400(
    api_client_for, unit_admin_a, unit_a, server_a
):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    http = api_client_for(unit_admin_a)
    response = http.patch(
        f"{URL}{change.pk}/", {"rollback_plan": "", "version": change.version}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "rollback_plan"
    change.refresh_from_db()
    assert change.rollback_plan


def test_a_reschedule_into_a_freeze_is_approved_by_the_leader_end_to_end(
    api_client_for, change, unit_admin_a, lead, group_leader, group_admin
):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    start, end = window(days=8)
    freeze = api_client_for(group_admin).post(
        "/api/changes/freezes/",
        {
            "starts_at": (start - datetime.timedelta(days=1)).isoformat(),
            "ends_at": (end + datetime.timedelta(days=1)).isoformat(),
            "reason": "重要保障期",
        },
        format="json",
    )
    assert freeze.status_code == 201, freeze.json()
    http = api_client_for(unit_admin_a)
    response = http.post(
        f"{URL}{scheduled.pk}/reschedule/",
        {"planned_start": start.isoformat(), "planned_end": end.isoformat(), "comment": "配合业务调整"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["requested_start"] and body["planned_start"] != body["requested_start"]
    leader = api_client_for(group_leader)
    response = leader.post(
        f"{URL}{scheduled.pk}/decide/", {"decision": "approved", "scope": "schedule"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["requested_start"] is None and body["state"] == "scheduled"
    moved = Change.objects.get(pk=scheduled.pk)
    assert (moved.planned_start, moved.planned_end) == (start, end)
    assert {
        w["starts_at"]
        for w in http.get("/api/changes/maintenance-windows/", {"change": moved.pk}).json()["results"]
    } == {body["planned_start"]}


def test_an_approved_change_is_withdrawn_through_the_api(api_client_for, change, unit_admin_a, lead):
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    http = api_client_for(unit_admin_a)
    url = f"{URL}{change.pk}/transition/"
    response = http.post(url, {"to": "draft"}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "comment"
    response = http.post(url, {"to": "draft", "comment": "需求取消"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "draft"
    assert response.json()["approved_at"] is None


@pytest.mark.parametrize(
    "moment", ["0125-03-19T07:35:22Z", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"]
)
def test_a_freeze_out_of_the_years_yunwei_holds_is_refused_naming_the_field(
    api_client_for, group_admin, moment
):
    """Found by the fuzzer: a year 125 was stored and read back as `+08:05:43` (the site's local mean time
    then), no date-time a client parses; a year 1 or 9999 overflows the conversion to UTC."""
    body = {"starts_at": moment, "ends_at": "2030-01-01T00:00:00Z", "reason": "x"}
    response = api_client_for(group_admin).post("/api/changes/freezes/", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "starts_at"
    assert not FreezePeriod.objects.exists()
