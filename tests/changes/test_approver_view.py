"""Art. 18: whoever must approve a change sees what it affects (the group's leader in charge approving a
unit's high-risk change sees its items and blast radius, not "0 affected items", without seeing the
unit's inventory otherwise), and the freeze or collision its window falls into is told to the requester
while drafting and on submitting, not only once it is approved."""

import datetime

import pytest

from yunwei.changes import services
from yunwei.changes.models import FreezePeriod
from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Item, ItemType, Relation, RelationType
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import new_change, to_scheduled, window

pytestmark = pytest.mark.django_db

URL = "/api/changes/"


def _api(api_client_for, user):
    http = api_client_for(user)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


# -- what the approver sees --------------------------------------------------------------------------


def test_the_groups_leader_approving_a_units_risky_change_sees_what_it_affects(
    api_client_for, client, unit_admin_a, unit_a, server_a, app_a, lead, group_leader
):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert services.needed_roles(change) == ["system_lead", "leader"]
    body = _api(api_client_for, group_leader).get(f"{URL}{change.pk}/").json()
    assert body["may_decide"] is True
    radius = body["blast_radius"]
    assert radius["count"] == 2 and [a["code"] for a in radius["applications"]] == ["OA-A"]
    assert [u["id"] for u in radius["units"]] == [unit_a.pk]
    client.force_login(group_leader)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert "SRV-A" in page and "甲协同办公" in page and 'data-testid="decision-form"' in page
    # Seen through the change only: the unit's inventory itself stays the unit's.
    inventory = _api(api_client_for, group_leader)
    assert inventory.get(f"/api/cmdb/items/{server_a.pk}/").status_code == 404
    assert client.get(f"/cmdb/items/{server_a.pk}/").status_code == 404


def test_someone_who_decides_nothing_sees_only_their_own_inventory_in_the_radius(
    api_client_for, unit_admin_a, unit_a, server_a, app_a, unit_b, unit_admin_b, group_admin
):
    """A unit admin of A changing a server that B's application runs on sees B's unit reached, not B's
    application; the leader in charge deciding on it sees both."""
    app_b = cmdb.create(
        Item,
        actor=group_admin,
        unit=unit_b,
        type=ItemType.objects.get(code="application"),
        code="OA-B",
        name="乙协同办公",
    )
    cmdb.create(
        Relation,
        actor=group_admin,
        source=app_b,
        target=server_a,
        type=RelationType.objects.get(code="runs-on"),
    )
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    mine = _api(api_client_for, unit_admin_a).get(f"{URL}{change.pk}/").json()["blast_radius"]
    assert [a["code"] for a in mine["applications"]] == ["OA-A"]
    leader = make_user("chief", unit_a.parent, Role.LEADER)
    theirs = _api(api_client_for, leader).get(f"{URL}{change.pk}/").json()["blast_radius"]
    assert [a["code"] for a in theirs["applications"]] == ["OA-A", "OA-B"]
    assert {u["id"] for u in theirs["units"]} == {unit_a.pk, unit_b.pk}


# -- the freeze or collision, told from the draft on -------------------------------------------------


@pytest.fixture
def freeze(group_admin):
    start, end = window()
    return services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=start - datetime.timedelta(hours=1),
        ends_at=end + datetime.timedelta(hours=1),
        reason="重要会议保障期",
    )


def test_the_requester_is_told_of_the_freeze_when_drafting_and_submitting(
    api_client_for, client, unit_admin_a, unit_a, server_a, freeze
):
    start, end = window()
    http = _api(api_client_for, unit_admin_a)
    response = http.post(
        URL,
        {
            "unit": unit_a.pk,
            "title": "调整参数",
            "change_type": "configuration",
            "reason": "优化",
            "implementation_plan": "修改参数",
            "test_plan": "抽查",
            "affected_items": [server_a.pk],
            "planned_start": start.isoformat(),
            "planned_end": end.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and len(body["window_conflicts"]) == 1
    assert "重要会议保障期" in body["window_conflicts"][0]
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{body['id']}/").content.decode()
    assert 'data-testid="blockers"' in page and "重要会议保障期" in page
    assert "Scheduling this window will need the leader in charge's approval" in page
    response = http.post(
        f"{URL}{body['id']}/transition/", {"to": "submitted", "version": body["version"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert "重要会议保障期" in response.json()["window_conflicts"][0]
    noted = [e for e in response.json()["events"] if e["kind"] == "conflicts"]
    assert len(noted) == 1 and noted[0]["data"]["freezes"] == [freeze.pk]


def test_the_requester_is_told_of_a_collision_when_drafting(
    api_client_for, unit_admin_a, unit_a, server_a, app_a, lead
):
    scheduled = to_scheduled(new_change(unit_admin_a, unit_a, [server_a]), unit_admin_a, lead)
    draft = new_change(unit_admin_a, unit_a, [app_a])
    assert services.window_conflicts(draft, unit_admin_a) == [
        reason for reason, _field in services.schedule_blockers(draft, user=unit_admin_a)
    ]
    body = _api(api_client_for, unit_admin_a).get(f"{URL}{draft.pk}/").json()
    assert len(body["window_conflicts"]) == 1 and scheduled.code in body["window_conflicts"][0]


def test_a_window_clear_of_freezes_and_collisions_tells_nothing(api_client_for, change, unit_admin_a):
    body = _api(api_client_for, unit_admin_a).get(f"{URL}{change.pk}/").json()
    assert body["window_conflicts"] == []
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert not change.events.filter(kind="conflicts").exists()
