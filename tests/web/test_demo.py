"""The demo, loaded as `yunwei demo` loads it: changes stand in every state, each unit has a change in
the coming week (the dashboard and the calendar show work ahead), a plan shows a second version
beside the drills of its first, and the notices of Art. 13 count only where they reached somebody."""

import datetime

import pytest
from django.utils import timezone, translation

from yunwei.changes import demo as changes_demo
from yunwei.changes.choices import State
from yunwei.changes.models import Approval, Change
from yunwei.cmdb import demo as cmdb_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.incidents import services as incidents
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import EmergencyPlan, Incident
from yunwei.org import demo as org_demo
from yunwei.org import services as org
from yunwei.org.choices import APPROVING_ROLES, Role, UnitKind
from yunwei.org.models import RoleAssignment, Unit
from yunwei.problems import demo as problems_demo
from yunwei.web.work import UPCOMING_DAYS, work_in_hand

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(module_db):
    for app in (org_demo, cmdb_demo, incidents_demo, problems_demo, changes_demo):
        app.load()


def test_demo_shows_changes_in_every_state_work_ahead_a_revised_plan_and_obeys_the_notice_gates(
    demo, django_user_model
):
    now = timezone.now()
    assert set(Change.objects.values_list("state", flat=True)) == set(State.values)
    week = Change.objects.filter(
        state=State.SCHEDULED,
        planned_start__gte=now,
        planned_start__lt=now + datetime.timedelta(days=UPCOMING_DAYS),
    )
    units_with_changes = set(Change.objects.values_list("unit_id", flat=True))
    assert set(week.values_list("unit_id", flat=True)) == units_with_changes
    admin = django_user_model.objects.get(username="admin")
    figures = {figure.key: figure.count for figure in work_in_hand(admin)}
    assert figures["upcoming-changes"] == week.count()
    assert figures["emergency-unapproved"] >= 1  # the emergency carried out 30 h ago
    assert figures["emergency-refused"] == 1  # refused after the fact, awaiting its rollback
    power = EmergencyPlan.objects.get(code="power-ii")
    assert list(power.revisions.values_list("revision", flat=True)) == [2, 1]
    assert set(power.drills.values_list("plan_revision__revision", flat=True)) == {1}

    # Art. 13: every fault past diagnosing reached somebody with its notices; 化工公司 has no clerk and no
    # office channel, so its suspension notices are refused with that reason and its faults wait.
    past = Incident.objects.exclude(state__in=["reported", "acknowledged", "diagnosing"])
    for incident in past.filter(plan_snapshot__suspend_service=True):
        assert incidents.notice_gate(incident, "suspension") is None
    for incident in past.filter(grade="II"):
        assert incidents.notice_gate(incident, "leader_report") is None
    chem = Incident.objects.filter(unit__code="chem")
    assert not chem.filter(notices__kind="suspension").exists()
    waiting = chem.filter(state__in=["reported", "acknowledged", "diagnosing"]).first()
    with translation.override("en"):
        refusal = incidents.notice_refusal(waiting, "suspension")
    assert "Art. 13" in refusal and "no clerk of 化工公司" in refusal
    # The demo handles faults under the shipped plans, without a second copy of any (Art. 13).
    assert EmergencyPlan.objects.count() == 12


def test_demo_closes_no_unfixed_fault_without_its_problem(demo):
    """Art. 14: every demo incident closed as not fixed for good is linked to a real problem."""
    unfixed = Incident.objects.filter(state=IncidentState.CLOSED, fixed_for_good=False)
    assert unfixed.exists()
    assert not unfixed.filter(problems__isnull=True).exists()


def test_demo_roles_obey_who_grants_them_and_no_approval_rests_on_a_self_granted_role(
    demo, django_user_model
):
    """Art. 10, 18: the roles that approve come from a group admin (the first admin's from the system,
    as `createadmin` does), nobody granted themselves a role, and every approval stands on a role
    somebody else granted."""
    for assignment in RoleAssignment.objects.select_related("person"):
        granter = org.granter_id(assignment)
        assert granter is None or granter != assignment.person.account_id, assignment
        if assignment.role in APPROVING_ROLES and granter is not None:
            assert django_user_model.objects.get(pk=granter).access.is_group_admin, assignment
    first = RoleAssignment.objects.get(role=Role.GROUP_ADMIN, person__account__username="admin")
    assert org.granter_id(first) is None
    groups = set(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    approvals = Approval.objects.select_related("change__unit", "approver")
    assert approvals.exists()
    for approval in approvals:
        units = {approval.change.unit_id, approval.change.unit.parent_id, *groups} - {None}
        assert not org.self_granted(approval.approver, approval.role, units), approval
