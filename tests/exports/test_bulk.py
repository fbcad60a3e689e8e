"""Bulk actions (issue 25) on the incident, problem and change lists: each ticked record goes through its
own service call with its own checks; the result names every refused record and why."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from yunwei.audit.models import AuditEvent
from yunwei.incidents import services as incidents
from yunwei.problems import services as problems

pytestmark = pytest.mark.django_db


def refusals(response) -> str:
    return response.content.decode()


def test_bulk_assign_assigns_the_allowed_and_names_each_refusal(client, tech_a, unit_admin_a, incidents_ab):
    open_a = incidents_ab["a"][0]
    mine_already = incidents.assign(incidents_ab["a"][1], actor=unit_admin_a, assignee=tech_a.person)
    foreign = incidents_ab["b"]
    client.force_login(tech_a)
    response = client.post(
        "/incidents/bulk/",
        {
            "action": "assign",
            "assignee": "me",
            "ids": [open_a.pk, mine_already.pk, foreign.pk],
            "comment": "批量",
        },
    )
    assert response.status_code == 200
    page = refusals(response)
    assert "Done for 1 record." in page
    assert mine_already.code in page and "This incident is assigned to you already." in page
    # Another unit's incident is "not found", exactly as a number that names nothing: nothing of it shows.
    assert f"#{foreign.pk}" in page and "not found" in page and foreign.title not in page
    open_a.refresh_from_db(), foreign.refresh_from_db()
    assert open_a.assignee == tech_a.person and foreign.assignee is None
    assert mine_already.events.filter(kind="assign").count() == 1
    event = open_a.events.get(kind="assign")
    assert event.actor == tech_a and event.comment == "批量"


def test_bulk_assign_to_a_person_goes_through_the_services_check(
    client, unit_admin_a, unit_admin_b, incidents_ab, tech_a
):
    client.force_login(unit_admin_a)
    a1, a2 = incidents_ab["a"][:2]
    response = client.post(
        "/incidents/bulk/", {"action": "assign", "assignee": tech_a.person.pk, "ids": [a1.pk, a2.pk]}
    )
    assert "Done for 2 records." in refusals(response)
    a1.refresh_from_db()
    assert a1.assignee == tech_a.person
    # A person the actor cannot see is bad input, named by its field, and changes nothing.
    response = client.post(
        "/incidents/bulk/", {"action": "assign", "assignee": unit_admin_b.person.pk, "ids": [a1.pk]}
    )
    assert response.status_code == 400
    assert "assignee" in refusals(response)


def test_bulk_comment_writes_one_timeline_entry_and_audit_event_per_incident(client, tech_a, incidents_ab):
    client.force_login(tech_a)
    a1, a2 = incidents_ab["a"][:2]
    before = AuditEvent.objects.count()
    response = client.post(
        "/incidents/bulk/", {"action": "comment", "comment": "已通知运营商", "ids": [a1.pk, a2.pk]}
    )
    assert "Done for 2 records." in refusals(response)
    for incident in (a1, a2):
        assert incident.events.get(kind="comment").comment == "已通知运营商"
    assert AuditEvent.objects.count() == before + 2


def test_a_plain_user_is_refused_per_incident_not_all_at_once(client, unit_user_a, incidents_ab):
    client.force_login(unit_user_a)
    a1 = incidents_ab["a"][0]
    response = client.post("/incidents/bulk/", {"action": "comment", "comment": "看看", "ids": [a1.pk]})
    page = refusals(response)
    assert response.status_code == 200
    assert "Done for 0 records." in page
    # The user did not report it, so it is not even theirs to see: not found.
    assert f"#{a1.pk}" in page and "not found" in page
    assert not a1.events.filter(kind="comment").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "comment", "comment": "x"}, "ids"),
        ({"action": "comment", "comment": "x", "ids": ["abc"]}, "ids"),
        ({"action": "delete", "ids": ["1"]}, "action"),
        ({"action": "comment", "comment": "  ", "ids": ["1"]}, "comment"),
        ({"action": "comment", "comment": "长" * 2001, "ids": ["1"]}, "comment"),
        ({"action": "assign", "assignee": "me", "comment": "长" * 2001, "ids": ["1"]}, "comment"),
        ({"action": "assign", "assignee": "", "ids": ["1"]}, "assignee"),
    ],
)
def test_bad_bulk_input_answers_400_naming_the_field(client, tech_a, incidents_ab, data, field):
    client.force_login(tech_a)
    before = AuditEvent.objects.count()
    response = client.post("/incidents/bulk/", data)
    assert response.status_code == 400
    assert f"<code>{field}</code>" in refusals(response)
    assert AuditEvent.objects.count() == before


def test_bulk_export_holds_the_selected_rows_the_user_may_see(client, tech_a, incidents_ab):
    client.force_login(tech_a)
    a1 = incidents_ab["a"][0]
    response = client.post("/incidents/bulk/", {"action": "export", "ids": [a1.pk, incidents_ab["b"].pk]})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == [a1.code]


def test_bulk_on_problems_mixes_allowed_and_refused(
    client, tech_a, unit_admin_a, group_admin, problems_ab, unit_a
):
    registered = problems_ab["a"]
    other = problems.register(actor=group_admin, unit=unit_a, title="另一个隐患")
    due = timezone.localdate() + datetime.timedelta(days=10)
    problems.add_step(other, actor=group_admin, text="处理", due_on=due)
    classified = problems.transition(
        other,
        to="classified",
        actor=group_admin,
        category="other",
        nature="hidden_danger",
        owner=unit_admin_a.person,
        collaborators=[unit_admin_a.person],
        proposed_solution="处理",
        deadline=due,
    )
    client.force_login(tech_a)
    response = client.post(
        "/problems/bulk/",
        {
            "action": "assign",
            "assignee": tech_a.person.pk,
            "ids": [registered.pk, classified.pk, problems_ab["b"].pk],
        },
    )
    page = refusals(response)
    assert "Done for 1 record." in page
    assert classified.code in page and "only a group system admin changes the owner" in page
    assert f"#{problems_ab['b'].pk}" in page
    registered.refresh_from_db()
    assert registered.owner == tech_a.person
    response = client.post(
        "/problems/bulk/", {"action": "comment", "comment": "复查", "ids": [registered.pk]}
    )
    assert "Done for 1 record." in refusals(response)
    assert registered.events.get(kind="comment").comment == "复查"


def test_bulk_on_changes_comments_and_exports(client, tech_a, changes_ab):
    client.force_login(tech_a)
    mine, foreign = changes_ab["a"], changes_ab["b"]
    response = client.post(
        "/changes/bulk/", {"action": "comment", "comment": "窗口确认", "ids": [mine.pk, foreign.pk]}
    )
    page = refusals(response)
    assert "Done for 1 record." in page and f"#{foreign.pk}" in page and foreign.title not in page
    assert mine.events.get(kind="comment").comment == "窗口确认"
    response = client.post("/changes/bulk/", {"action": "export", "ids": [mine.pk, foreign.pk]})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == [mine.code]


def test_the_list_offers_the_bulk_form_to_staff_only(client, tech_a, unit_user_a, incidents_ab):
    client.force_login(tech_a)
    assert 'data-testid="bulk-bar"' in client.get("/incidents/").content.decode()
    client.force_login(unit_user_a)
    assert 'data-testid="bulk-bar"' not in client.get("/incidents/").content.decode()
