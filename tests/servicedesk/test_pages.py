"""The service desk's pages: the portal, making a request with an attachment, the request's page for the
requester and the handler, the queue with bulk assign, the catalogue, the calendar and the figures."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from yunwei.org.choices import Role
from yunwei.servicedesk import services
from yunwei.servicedesk.models import RequestType, ServiceRequest

from ..conftest import make_user
from .conftest import MONDAY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages asserted in the source language
    with time_machine.travel(MONDAY, tick=False):
        yield


def test_the_portal_offers_the_catalogue_a_fault_report_and_the_users_own_requests(
    client, unit_user_a, make_request
):
    mine = make_request(unit_user_a, "support", title="我的求助")
    client.force_login(unit_user_a)
    page = client.get("/servicedesk/").content.decode()
    assert "我的求助" in page and mine.get_state_display() in page
    assert 'data-testid="report-fault"' in page and 'data-testid="type-open-account"' in page
    assert 'name="viewport"' in page  # usable at a phone's width


def test_making_a_request_on_its_page_with_an_attachment_and_a_refused_one(client, unit_user_a):
    client.force_login(unit_user_a)
    bad = client.post(
        "/servicedesk/new/support/",
        {"title": "截图求助", "f_screenshot": SimpleUploadedFile("x.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 200 and "refused" in bad.content.decode()
    assert not ServiceRequest.objects.exists()
    good = client.post(
        "/servicedesk/new/support/",
        {"title": "截图求助", "f_screenshot": SimpleUploadedFile("x.png", b"\x89PNG", "image/png")},
    )
    assert good.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.attachments.get().size == 4
    detail = client.get(good.url).content.decode()
    assert "x.png" in detail


def test_the_requester_never_sees_internal_notes_on_the_page(client, unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "support")
    services.add_note(request, actor=unit_admin_a, text="仅内部可见的备注")
    client.force_login(unit_admin_a)
    assert "仅内部可见的备注" in client.get(f"/servicedesk/{request.pk}/").content.decode()
    client.force_login(unit_user_a)
    assert "仅内部可见的备注" not in client.get(f"/servicedesk/{request.pk}/").content.decode()


def test_a_refused_step_on_the_page_says_why(client, unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "requirement", data={"module": "公文"})
    client.force_login(unit_admin_a)
    response = client.post(f"/servicedesk/{request.pk}/transition/", {"to": "triaged"}, follow=True)
    assert response.status_code == 200
    response = client.post(
        f"/servicedesk/{request.pk}/transition/",
        {"to": "accepted", "priority": "high", "target_release": "v1"},
    )
    assert response.status_code == 403
    client.force_login(unit_user_a)
    refused = client.post(f"/servicedesk/{request.pk}/approve/", follow=True)
    assert "Only a usage approval is approved" in refused.content.decode()


def test_bulk_assign_on_the_queue_refuses_another_units_request(
    client, unit_user_a, unit_admin_a, unit_b, make_request
):
    mine = make_request(unit_user_a, "support")
    theirs = make_request(make_user("b-user-7", unit_b, Role.USER), "support")
    client.force_login(unit_admin_a)
    queue = client.get("/servicedesk/queue/").content.decode()
    assert f'data-testid="request-row-{mine.pk}"' in queue
    assert f'data-testid="request-row-{theirs.pk}"' not in queue
    response = client.post(
        "/servicedesk/queue/assign/",
        {"requests": [mine.pk, theirs.pk], "assignee": unit_admin_a.pk},
        follow=True,
    )
    assert "No such request" in response.content.decode()
    mine.refresh_from_db()
    assert mine.assignee_id is None
    client.post("/servicedesk/queue/assign/", {"requests": [mine.pk], "assignee": unit_admin_a.pk})
    mine.refresh_from_db()
    assert mine.assignee == unit_admin_a


def test_only_a_group_admin_edits_the_catalogue_on_its_pages(client, unit_admin_a, group_admin):
    support = RequestType.objects.get(code="support")
    client.force_login(unit_admin_a)
    assert client.get(f"/servicedesk/catalogue/{support.pk}/edit/").status_code == 403
    client.force_login(group_admin)
    form = client.get(f"/servicedesk/catalogue/{support.pk}/edit/")
    assert form.status_code == 200
    data = {
        "version": support.version,
        "code": "support",
        "name": "技术支持",
        "kind": "support",
        "description": "",
        "performer": "unit_admin",
        "action": "",
        "answer_minutes": 60,
        "complete_minutes": 900,
        "waiting_close_days": 10,
        "is_active": "on",
        "fields_json": '[{"name": "x", "kind": "nope"}]',
        "approvers_json": "[]",
        "hold_json": '["waiting_requester"]',
    }
    bad = client.post(f"/servicedesk/catalogue/{support.pk}/edit/", data)
    assert bad.status_code == 200 and "unknown kind" in bad.content.decode()
    data["fields_json"] = "[]"
    assert client.post(f"/servicedesk/catalogue/{support.pk}/edit/", data).status_code == 302
    support.refresh_from_db()
    assert support.answer_minutes == 60 and support.waiting_close_days == 10


def test_another_units_calendar_is_a_404(client, unit_a, unit_admin_b, unit_admin_a, group_admin):
    client.force_login(unit_admin_b)
    assert client.get(f"/servicedesk/calendar/?unit={unit_a.pk}").status_code == 404
    assert (
        client.post(
            "/servicedesk/calendar/day/", {"unit": unit_a.pk, "date": "2026-11-03", "kind": "holiday"}
        ).status_code
        == 404
    )
    assert client.post("/servicedesk/calendar/import/", {"unit": unit_a.pk}).status_code == 404
    client.force_login(unit_admin_a)
    client.post(
        "/servicedesk/calendar/day/",
        {"unit": unit_a.pk, "date": "2026-11-03", "kind": "holiday", "name": "厂休"},
    )
    assert "厂休" in client.get(f"/servicedesk/calendar/?unit={unit_a.pk}&year=2026").content.decode()
    client.force_login(group_admin)
    bad = SimpleUploadedFile(
        "h.csv", "2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n".encode(), "text/csv"
    )
    response = client.post("/servicedesk/calendar/import/", {"file": bad}, follow=True)
    assert "given twice" in response.content.decode()
    page = client.get("/servicedesk/calendar/?year=2025").content.decode()
    assert "国庆节补班" in page


def test_the_figures_page_lists_the_readers_units(client, unit_admin_a, unit_user_a, make_request):
    make_request(unit_user_a, "support")
    client.force_login(unit_admin_a)
    page = client.get("/servicedesk/figures/?month=2026-11").content.decode()
    assert "甲单位" in page and "乙单位" not in page
