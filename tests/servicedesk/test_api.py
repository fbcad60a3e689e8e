"""The service desk's API: making a request with an attachment, stepping it, the requester's view without
internal notes, bad input as a 400 naming the field, the queue, figures and the calendar."""

import base64

import pytest
import time_machine

from yunwei.org.choices import Role
from yunwei.servicedesk.models import ServiceRequest

from ..conftest import make_user
from .conftest import MONDAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


def _make(http, **body):
    return http.post(
        "/api/servicedesk/requests/", {"type": "support", "title": "怎么导出", **body}, format="json"
    )


def test_a_user_makes_a_request_and_follows_it_without_the_internal_notes(
    unit_user_a, unit_admin_a, api_client_for
):
    user, admin = api_client_for(unit_user_a), api_client_for(unit_admin_a)
    png = base64.b64encode(b"\x89PNG data").decode()
    made = _make(
        user, attachments={"screenshot": {"name": "a.png", "content_type": "image/png", "content": png}}
    )
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made.json()["state"] == "submitted"
    assert (
        admin.post(f"/api/servicedesk/requests/{pk}/note/", {"text": "内部说明"}, format="json").status_code
        == 200
    )
    answered = admin.post(
        f"/api/servicedesk/requests/{pk}/transition/", {"to": "resolved", "comment": "见手册"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["state"] == "resolved"
    seen = user.get(f"/api/servicedesk/requests/{pk}/").json()
    assert all(not e["internal"] for e in seen["events"]) and "内部说明" not in str(seen)
    assert "内部说明" in str(admin.get(f"/api/servicedesk/requests/{pk}/").json())
    closed = user.post(f"/api/servicedesk/requests/{pk}/transition/", {"to": "closed"}, format="json")
    assert closed.json()["state"] == "closed"
    rated = user.post(f"/api/servicedesk/requests/{pk}/rate/", {"rating": 5}, format="json")
    assert rated.json()["rating"] == 5


def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(unit_user_a, api_client_for):
    user = api_client_for(unit_user_a)
    too_big = base64.b64encode(b"x" * (2048 * 1024 + 1)).decode()
    cases = [
        ({"type": "nope"}, "type"),
        ({"title": ""}, "title"),
        ({"attachments": {"screenshot": {"name": "a.png", "content": "%%%"}}}, "screenshot"),
        ({"attachments": {"screenshot": {"name": "a.png", "content": too_big}}}, "attachments"),
        ({"attachments": {"screenshot": {"name": "a.bat", "content": "QQ=="}}}, "screenshot"),
    ]
    for body, field in cases:
        response = _make(user, **body)
        assert response.status_code == 400, body
        assert response.json()["field"] == field, response.json()
    response = user.post(
        "/api/servicedesk/requests/",
        {"type": "requirement", "title": "x", "values": {"module": "?"}},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "module"
    assert not ServiceRequest.objects.exists()


def test_a_wrong_actor_is_a_403_and_a_decided_request_a_409(unit_user_a, unit_admin_a, api_client_for):
    user, admin = api_client_for(unit_user_a), api_client_for(unit_admin_a)
    pk = user.post(
        "/api/servicedesk/requests/",
        {"type": "open-account", "title": "开户", "values": {"person_name": "新人", "username": "xin.ren"}},
        format="json",
    ).json()["id"]
    refused = user.post(f"/api/servicedesk/requests/{pk}/approve/", {}, format="json")
    assert refused.status_code == 403 and "应由他人决定" in refused.json()["detail"]
    assert admin.post(f"/api/servicedesk/requests/{pk}/approve/", {}, format="json").status_code == 200
    again = admin.post(f"/api/servicedesk/requests/{pk}/approve/", {}, format="json")
    assert again.status_code == 409
    done = admin.post(f"/api/servicedesk/requests/{pk}/carry-out/", {}, format="json")
    assert done.status_code == 200 and done.json()["first_password"]
    stale = admin.post(
        f"/api/servicedesk/requests/{pk}/transition/", {"to": "closed", "version": 1}, format="json"
    )
    assert stale.status_code in (403, 409)


def test_the_queue_is_what_waits_on_the_caller(unit_user_a, unit_admin_a, group_admin, api_client_for):
    user = api_client_for(unit_user_a)
    support = _make(user).json()["id"]
    requirement = user.post(
        "/api/servicedesk/requests/",
        {"type": "requirement", "title": "新功能", "values": {"module": "公文"}},
        format="json",
    ).json()["id"]
    queue_a = {
        r["id"]
        for r in api_client_for(unit_admin_a).get("/api/servicedesk/requests/?waiting=me").json()["results"]
    }
    assert queue_a == {support, requirement}
    api_client_for(unit_admin_a).post(
        f"/api/servicedesk/requests/{requirement}/transition/", {"to": "triaged"}, format="json"
    )
    queue_group = {
        r["id"]
        for r in api_client_for(group_admin).get("/api/servicedesk/requests/?waiting=me").json()["results"]
    }
    assert queue_group == {requirement}


def test_bulk_assign_naming_another_units_request_is_refused_whole(
    unit_user_a, unit_admin_a, unit_b, api_client_for
):
    mine = _make(api_client_for(unit_user_a)).json()["id"]
    theirs = _make(api_client_for(make_user("b-user-9", unit_b, Role.USER))).json()["id"]
    response = api_client_for(unit_admin_a).post(
        "/api/servicedesk/requests/bulk-assign/",
        {"requests": [mine, theirs], "assignee": unit_admin_a.pk},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "requests"
    assert ServiceRequest.objects.get(pk=mine).assignee_id is None
    ok = api_client_for(unit_admin_a).post(
        "/api/servicedesk/requests/bulk-assign/",
        {"requests": [mine], "assignee": unit_admin_a.pk},
        format="json",
    )
    assert ok.json() == {"assigned": 1}


def test_figures_show_only_the_callers_units(unit_user_a, unit_admin_b, unit_a, api_client_for):
    _make(api_client_for(unit_user_a))
    rows = (
        api_client_for(unit_admin_b).get("/api/servicedesk/requests/figures/?month=2026-11").json()["results"]
    )
    assert unit_a.pk not in {r["unit"] for r in rows}
    mine = (
        api_client_for(unit_user_a).get("/api/servicedesk/requests/figures/?month=2026-11").json()["results"]
    )
    assert [r["made"] for r in mine if r["unit"] == unit_a.pk] == [1]


def test_another_units_calendar_is_a_404(unit_a, unit_admin_b, group_admin, api_client_for):
    http = api_client_for(unit_admin_b)
    assert http.get(f"/api/servicedesk/calendar/?unit={unit_a.pk}").status_code == 404
    response = http.post(
        "/api/servicedesk/calendar/import/",
        {"unit": unit_a.pk, "csv": "2027-01-01,holiday,元旦"},
        format="json",
    )
    assert response.status_code == 404
    days = api_client_for(group_admin).get("/api/servicedesk/calendar/?year=2025").json()
    assert {"date": "2025-10-11", "is_working": True, "name": "国庆节补班"} in days
    bad = api_client_for(group_admin).post(
        "/api/servicedesk/calendar/import/", {"csv": "2027-01-01,holiday\n2027-01-01,workday"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "file" and "第 2 行" in bad.json()["detail"]


def test_only_a_group_admin_edits_the_catalogue(unit_admin_a, group_admin, api_client_for):
    body = {
        "code": "vpn",
        "name": "VPN",
        "kind": "usage",
        "approvers": ["unit_admin"],
        "performer": "unit_admin",
    }
    assert (
        api_client_for(unit_admin_a).post("/api/servicedesk/types/", body, format="json").status_code == 403
    )
    created = api_client_for(group_admin).post("/api/servicedesk/types/", body, format="json")
    assert created.status_code == 201
    bad = api_client_for(group_admin).post(
        "/api/servicedesk/types/", {**body, "code": "x", "hold_states": ["lunch"]}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["field"] == "hold_states"


def test_bulk_assign_with_an_id_beyond_the_databases_range_is_a_400_naming_requests(
    unit_admin_a, api_client_for
):
    response = api_client_for(unit_admin_a).post(
        "/api/servicedesk/requests/bulk-assign/",
        {"requests": [24890635492443549696], "assignee": unit_admin_a.pk},
        format="json",
    )
    assert response.status_code == 400 and response.json()["field"] == "requests"
