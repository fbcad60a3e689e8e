"""Nobody approves through a role they gave themselves (Art. 10, 18): a unit admin who made himself the
unit's leader (as the organisation allowed before) cannot approve a risky change as leader, through the
service or the API; a leader the group admin assigned approves it."""

import pytest

from yunwei.changes import approvals, services
from yunwei.changes.models import Approval
from yunwei.core.errors import PermissionDenied
from yunwei.core.records import create_record
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Person, RoleAssignment

from ..conftest import make_user
from .conftest import approve, new_change, to_scheduled

pytestmark = pytest.mark.django_db

REFUSAL = "You granted yourself the role of Leader in charge"


@pytest.fixture
def self_made_leader(unit_a):
    """A second admin of unit A who, before the rule, assigned himself the unit's leader role: the
    assignment carries no granter, the audit trail names him."""
    admin = make_user("a-admin-2", unit_a, Role.UNIT_ADMIN)
    create_record(
        RoleAssignment, actor=admin, person=Person.objects.get(account=admin), unit=unit_a, role=Role.LEADER
    )
    return admin


@pytest.fixture
def risky(unit_admin_a, unit_a, server_a, lead):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = approve(change, lead)
    assert services.missing_roles(change) == ["leader"]
    return change


def test_a_self_made_leader_cannot_approve_a_risky_change(risky, self_made_leader):
    assert not approvals.may_decide(risky, self_made_leader)
    with pytest.raises(PermissionDenied) as refused:
        services.decide(risky, actor=self_made_leader, decision="approved")
    assert refused.value.message == (
        "You granted yourself the role of Leader in charge: nobody approves through a role they gave "
        "themselves (Art. 10, 18)."
    )
    risky.refresh_from_db()
    assert risky.state == "submitted" and risky.approved_at is None
    assert not Approval.objects.filter(approver=self_made_leader).exists()


def test_a_leader_recorded_as_his_own_granter_cannot_approve(risky, unit_a):
    admin = make_user("a-admin-2", unit_a, Role.UNIT_ADMIN)
    RoleAssignment.objects.create(
        person=Person.objects.get(account=admin), unit=unit_a, role=Role.LEADER, granted_by=admin
    )
    with pytest.raises(PermissionDenied) as refused:
        services.decide(risky, actor=admin, decision="rejected", comment="不同意")
    assert REFUSAL in refused.value.message
    risky.refresh_from_db()
    assert risky.state == "submitted"


def test_a_self_made_leader_is_refused_through_the_api(risky, self_made_leader, api_client_for):
    http = api_client_for(self_made_leader)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    response = http.post(f"/api/changes/{risky.pk}/decide/", {"decision": "approved"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "“分管领导”角色是您本人授予自己的：任何人不得凭自己授予的角色审批（第十条、第十八条）。"
    )
    risky.refresh_from_db()
    assert risky.state == "submitted"


def test_a_self_made_leader_cannot_give_the_leaders_scheduling_approval(
    change, unit_admin_a, lead, self_made_leader
):
    scheduled = to_scheduled(change, unit_admin_a, lead)
    scheduled.refresh_from_db()
    with pytest.raises(PermissionDenied) as refused:
        services.decide(scheduled, actor=self_made_leader, decision="approved", scope="schedule")
    assert REFUSAL in refused.value.message
    assert not Approval.objects.filter(approver=self_made_leader).exists()


def test_a_leader_the_group_admin_assigned_approves(risky, unit_a, group_admin):
    person = org.create(Person, actor=group_admin, unit=unit_a, name="甲领导")
    account = org.create_account(
        person, actor=group_admin, username="a-leader-2", password="a-long-password-77"
    )
    org.assign_role(person, Role.LEADER, actor=group_admin)
    assert approvals.may_decide(risky, account)
    change = services.decide(risky, actor=account, decision="approved")
    assert change.state == "approved"
    assert change.approvals.get(approver=account).role == Role.LEADER


def test_once_the_group_admin_grants_the_role_again_he_approves(risky, self_made_leader, group_admin, unit_a):
    """The group admin takes back the self-made grant and gives the role himself: now it counts."""
    person = Person.objects.get(account=self_made_leader)
    leader = person.role_assignments.get(role=Role.LEADER)
    org.revoke_role(leader, actor=group_admin)
    org.assign_role(person, Role.LEADER, actor=group_admin, unit=unit_a)
    assert services.decide(risky, actor=self_made_leader, decision="approved").state == "approved"
