"""Change pages: list with filters and search, request/edit forms, the change page with only the allowed
actions, the calendar, templates and freeze periods."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.changes import services
from yunwei.changes.models import Change, ChangeTemplate, FreezePeriod
from yunwei.org.choices import Role

from .conftest import approve, new_change, to_scheduled, window

pytestmark = pytest.mark.django_db


def _form(unit, items, **fields):
    start, end = window()
    return {
        "unit": unit.pk,
        "kind": "normal",
        "title": "调整参数",
        "change_type": "configuration",
        "affected_items": [item.pk for item in items],
        "reason": "性能优化",
        "implementation_plan": "修改连接池",
        "test_plan": "",
        "rollback_plan": "恢复原值",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": end.strftime("%Y-%m-%dT%H:%M"),
        "service_impact": "none",
        "risk": "",
        "risk_override_reason": "",
        "attribute_changes": "",
        **fields,
    }


def test_request_a_change_on_the_page(client, unit_admin_a, unit_a, server_a):
    client.force_login(unit_admin_a)
    page = client.get("/changes/new/").content.decode()
    assert "甲应用服务器" in page
    response = client.post("/changes/new/", _form(unit_a, [server_a], attribute_changes="SRV-A memory_gb 64"))
    assert response.status_code == 302, response.content.decode()[:2000]
    change = Change.objects.get()
    assert change.attribute_changes == [
        {"item": server_a.pk, "item_code": "SRV-A", "attribute": "memory_gb", "value": 64}
    ]
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="to-submitted"' in page and 'data-testid="to-scheduled"' not in page


def test_form_errors_name_the_field(client, unit_admin_a, unit_a, server_a):
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    start, _end = window()
    response = client.post(
        "/changes/new/", _form(unit_a, [server_a], planned_end=start.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 200
    assert "The window must end after it starts." in response.content.decode()
    response = client.post("/changes/new/", _form(unit_a, [server_a], attribute_changes="NOPE x 1"))
    assert response.status_code == 200 and not Change.objects.exists()
    assert response.context["form"].errors["attribute_changes"] == [
        "Line 1: “NOPE” is not among the affected items."
    ]


def test_the_form_offers_no_foreign_unit_or_item(client, unit_admin_b, unit_a, server_a):
    client.force_login(unit_admin_b)
    assert "甲应用服务器" not in client.get("/changes/new/").content.decode()
    response = client.post("/changes/new/", _form(unit_a, [server_a]))
    assert response.status_code == 200 and not Change.objects.exists()


def test_a_standard_change_from_a_template(client, unit_admin_a, unit_a, server_a, group_admin):
    template = services.create(
        ChangeTemplate,
        actor=group_admin,
        name="日志清理",
        change_type="data_maintenance",
        implementation_plan="清理",
    )
    client.force_login(unit_admin_a)
    page = client.get(f"/changes/new/?template={template.pk}").content.decode()
    assert "日志清理" in page and 'name="kind"' not in page
    data = _form(unit_a, [server_a], template=template.pk, title="清理日志")
    data.pop("kind")
    data.pop("change_type")
    response = client.post(f"/changes/new/?template={template.pk}", data)
    assert response.status_code == 302
    change = Change.objects.get()
    assert change.kind == "standard" and change.template == template


def test_the_change_page_shows_only_the_allowed_actions(client, change, unit_a, unit_admin_a, lead, leader_a):
    # The requester is a system management lead of the unit too, the role that approves this change: only
    # the rule that nobody approves their own request keeps the decision from them.
    unit_admin_a.person.role_assignments.create(unit=unit_a, role=Role.SYSTEM_LEAD)
    assert services.needed_roles(change) == [Role.SYSTEM_LEAD]
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post(f"/changes/{change.pk}/transition/", {"to": "submitted"})
    change.refresh_from_db()
    assert change.state == "submitted"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="decision-form"' not in page  # the requester never decides
    client.force_login(leader_a)
    assert 'data-testid="decision-form"' not in client.get(f"/changes/{change.pk}/").content.decode()
    client.force_login(lead)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="decision-form"' in page and 'data-testid="to-scheduled"' not in page
    client.post(f"/changes/{change.pk}/decide/", {"decision": "approved", "scope": "change", "comment": ""})
    change.refresh_from_db()
    assert change.state == "approved"
    client.force_login(unit_admin_a)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-scheduled"' in page and 'data-testid="edit-change"' not in page
    assert client.get(f"/changes/{change.pk}/edit/").status_code == 200  # shown, but saving is refused
    response = client.post(f"/changes/{change.pk}/transition/", {"to": "completed"}, follow=True)
    assert "cannot go from" in response.content.decode()


def test_a_change_whose_requester_account_is_gone_still_shows(client, change, unit_admin_a):
    Change.objects.filter(pk=change.pk).update(requester=None)  # as when the account is deleted (SET_NULL)
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(f"/changes/{change.pk}/")
    assert response.status_code == 200
    assert "<th>Requester</th><td>—</td>" in response.content.decode()


def test_edit_page_saves_a_draft(client, change, unit_admin_a, server_a):
    client.force_login(unit_admin_a)
    data = _form(change.unit, [server_a], title="新标题")
    data.pop("unit")
    data.pop("kind")
    response = client.post(f"/changes/{change.pk}/edit/", data)
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.title == "新标题"


def test_list_filters_and_search(client, change, unit_admin_a, unit_a, server_a):
    client.force_login(unit_admin_a)
    assert change.title in client.get("/changes/").content.decode()
    assert change.title in client.get("/changes/", {"q": "扩充", "risk": "medium"}).content.decode()
    assert change.title not in client.get("/changes/", {"state": "approved"}).content.decode()
    assert change.title not in client.get("/changes/", {"q": "没有这个"}).content.decode()
    partial = client.get("/changes/", {"q": "扩充"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" not in partial.content.decode() and change.title in partial.content.decode()


def test_calendar_month_and_week_show_changes_collisions_and_freezes(
    client, change, unit_admin_a, lead, group_admin
):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=scheduled.planned_start + datetime.timedelta(days=1),
        ends_at=scheduled.planned_start + datetime.timedelta(days=2),
        reason="节日封网",
    )
    client.force_login(unit_admin_a)
    day = timezone.localtime(scheduled.planned_start).date().isoformat()
    for view in ("month", "week"):
        page = client.get("/changes/calendar/", {"view": view, "date": day}).content.decode()
        assert f'data-testid="calendar-change-{scheduled.pk}"' in page, view
        assert "节日封网" in page
        assert "calendar-prev" in page and "calendar-next" in page
    assert client.get("/changes/calendar/", {"date": "garbage"}).status_code == 200


def test_templates_and_freezes_pages_for_group_admins(client, group_admin, unit_admin_a, unit_a):
    client.force_login(group_admin)
    response = client.post(
        "/changes/freezes/",
        {
            "starts_at": "2030-02-01T00:00",
            "ends_at": "2030-02-08T00:00",
            "reason": "春节",
            "units": [unit_a.pk],
        },
    )
    assert response.status_code == 302
    freeze = FreezePeriod.objects.get()
    assert list(freeze.units.all()) == [unit_a]
    response = client.post(
        "/changes/templates/",
        {
            "name": "补丁",
            "change_type": "software_upgrade",
            "implementation_plan": "装",
            "service_impact": "none",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and ChangeTemplate.objects.count() == 1
    client.force_login(unit_admin_a)
    page = client.get("/changes/freezes/").content.decode()
    assert "春节" in page and 'data-testid="freeze-form"' not in page
    assert client.post("/changes/templates/", {"name": "x"}).status_code == 403


def _local(moment) -> str:
    """What a datetime-local field holds: the reader's wall-clock time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_an_emergency_change_carried_out_first_is_flagged_at_once_and_filtered(
    client, change, unit_admin_a, unit_a, server_a
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        emergency = new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            title="紧急修复",
            kind="emergency",
            planned_start=start,
            planned_end=start + datetime.timedelta(hours=1),
        )
        emergency = services.transition(emergency, to="submitted", actor=unit_admin_a)
        emergency = services.transition(emergency, to="implementing", actor=unit_admin_a)
        due = timezone.localtime(emergency.approval_due_at).strftime("%Y-%m-%d %H:%M")
        client.force_login(unit_admin_a)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        page = client.get(f"/changes/{emergency.pk}/").content.decode()
        assert 'data-testid="awaiting-approval"' in page and due in page
        assert 'data-testid="approval-overdue"' not in page
        listing = client.get("/changes/", {"awaiting_approval": "true"}).content.decode()
        assert f'data-testid="change-row-{emergency.pk}"' in listing
        assert f'data-testid="change-row-{change.pk}"' not in listing
        assert 'data-testid="awaiting-approval"' in listing
        clock.shift(datetime.timedelta(hours=25))
        client.force_login(unit_admin_a)  # the session of a day ago has lapsed
        page = client.get(f"/changes/{emergency.pk}/").content.decode()
        assert 'data-testid="approval-overdue"' in page and 'data-testid="awaiting-approval"' not in page
        listing = client.get("/changes/", {"awaiting_approval": "true"}).content.decode()
        assert 'data-testid="approval-overdue"' in listing


def test_a_change_is_withdrawn_and_given_a_new_window_on_its_page(client, change, unit_admin_a, lead):
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-draft"' in page and "Withdraw" in page
    assert 'data-testid="reschedule-form"' in page and "Set a new window" in page
    start, end = window(days=3)
    client.post(
        f"/changes/{change.pk}/reschedule/",
        {"planned_start": _local(start), "planned_end": _local(end)},
    )
    change.refresh_from_db()
    assert _local(change.planned_start) == _local(start)
    response = client.post(f"/changes/{change.pk}/transition/", {"to": "draft"}, follow=True)
    assert "Say why the change is withdrawn." in response.content.decode()
    client.post(f"/changes/{change.pk}/transition/", {"to": "draft", "comment": "取消"})
    change.refresh_from_db()
    assert change.state == "draft"


def test_the_leader_approves_a_requested_window_on_the_page(
    client, change, unit_admin_a, lead, leader_a, group_leader, group_admin
):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    start, end = window(days=5)
    services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=start - datetime.timedelta(hours=1),
        ends_at=end + datetime.timedelta(hours=1),
        reason="封网",
    )
    client.force_login(unit_admin_a)
    client.post(
        f"/changes/{scheduled.pk}/reschedule/",
        {"planned_start": _local(start), "planned_end": _local(end)},
    )
    page = client.get(f"/changes/{scheduled.pk}/").content.decode()
    assert 'data-testid="requested-window"' in page and 'data-testid="schedule-approval-form"' not in page
    client.force_login(group_leader)
    page = client.get(f"/changes/{scheduled.pk}/").content.decode()
    assert 'data-testid="schedule-approval-form"' in page and "封网" in page
    client.post(f"/changes/{scheduled.pk}/decide/", {"decision": "approved", "scope": "schedule"})
    scheduled.refresh_from_db()
    assert not scheduled.reschedule_requested
    assert _local(scheduled.planned_start) == _local(start)
