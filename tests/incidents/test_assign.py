"""Who handles a fault (处理人, Art. 13): acknowledging assigns it to the actor unless it is assigned;
assign, reassign and "assign to me" are acts on the timeline; lists filter by "mine"."""

import pytest

from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.incidents import services
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import walk

pytestmark = pytest.mark.django_db

URL = "/api/incidents/"


def test_acknowledging_assigns_the_incident_to_the_actor(incident, unit_admin_a):
    incident = walk(incident, unit_admin_a, "acknowledged")
    assert incident.assignee == unit_admin_a.person
    event = incident.events.get(kind="assign")
    assert event.data["after"] == unit_admin_a.person.name and event.actor == unit_admin_a


def test_acknowledging_keeps_an_assignee_already_named(incident, unit_admin_a, group):
    technician = make_user("group-tech", group, Role.TECH_STAFF)
    incident = services.assign(incident, actor=unit_admin_a, assignee=technician.person)
    incident = walk(incident, unit_admin_a, "acknowledged")
    assert incident.assignee == technician.person
    assert incident.events.filter(kind="assign").count() == 1


def test_assign_reassign_and_assign_to_me_are_on_the_timeline(incident, unit_admin_a, group):
    technician = make_user("group-tech", group, Role.TECH_STAFF)
    incident = services.assign(incident, actor=unit_admin_a, assignee=unit_admin_a.person)
    incident = services.assign(
        incident, actor=unit_admin_a, assignee=technician.person, comment="交给计算机室"
    )
    incident = services.assign(incident, actor=technician, to_me=False, assignee=None)
    incident = services.assign(incident, actor=technician, to_me=True)
    assert incident.assignee == technician.person
    afters = list(incident.events.filter(kind="assign").order_by("id").values_list("data__after", flat=True))
    assert afters == [unit_admin_a.person.name, technician.person.name, "", technician.person.name]
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.assign(incident, actor=technician, to_me=True)
    assert "assigned to you already" in str(excinfo.value.message)


def test_an_incident_is_not_assigned_to_a_person_of_another_unit(incident, unit_admin_a, unit_admin_b):
    with pytest.raises(DomainError) as excinfo:
        services.assign(incident, actor=unit_admin_a, assignee=unit_admin_b.person)
    assert excinfo.value.field == "assignee" and "Art. 13" in str(excinfo.value.message)
    incident.refresh_from_db()
    assert incident.assignee is None


def test_the_api_assigns_with_the_version_read(api_client_for, unit_admin_a, incident):
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    url = f"{URL}{incident.pk}/assign/"
    response = http.post(url, {"to_me": True}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "version"
    version = http.get(f"{URL}{incident.pk}/").json()["version"]
    response = http.post(url, {"to_me": True, "version": version + 3}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "version"
    response = http.post(url, {"to_me": True, "version": version}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"] == unit_admin_a.person.pk
    assert "assign" in [e["kind"] for e in response.json()["events"]]
    response = http.post(url, {"to_me": True, "version": response.json()["version"]}, format="json")
    assert response.status_code == 409 and "assigned to you already" in response.json()["detail"]


def test_lists_filter_by_mine(api_client_for, client, unit_a, unit_admin_a, incident):
    other = services.report(actor=unit_admin_a, unit=unit_a, title="别人的")
    walk(incident, unit_admin_a, "acknowledged")
    http = api_client_for(unit_admin_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the reasons are asserted in English
    assert [row["id"] for row in http.get(URL, {"mine": "true"}).json()["results"]] == [incident.pk]
    assert [row["id"] for row in http.get(URL, {"mine": "false"}).json()["results"]] == [other.pk]
    client.force_login(unit_admin_a)
    page = client.get("/incidents/?mine=true").content.decode()
    assert incident.title in page and "别人的" not in page


def test_the_page_assigns_to_me_and_then_disables_it_with_the_reason(client, unit_admin_a, incident):
    client.force_login(unit_admin_a)
    response = client.post(
        f"/incidents/{incident.pk}/assign/", {"to_me": "true", "version": incident.version}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == unit_admin_a.person
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    button = page[page.index('data-testid="assign-to-me"') :].split(">", 1)[0]
    assert "disabled" in button and "assigned to you already" in button
