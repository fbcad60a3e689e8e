import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.core import scoping
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.incidents import services
from yunwei.incidents.models import EmergencyPlan, Incident, IncidentEvent
from yunwei.notify.models import Delivery
from yunwei.notify.models import Notice as NotifyNotice
from yunwei.org.choices import Role
from yunwei.org.models import Unit
from yunwei.problems import services as problems

from ..conftest import make_user
from .conftest import to_repairing, walk

pytestmark = pytest.mark.django_db


def _reason(excinfo) -> str:
    return str(excinfo.value.message)


def test_a_user_reports_a_fault_of_their_unit_graded_by_the_matrix(incident, unit_user_a):
    assert incident.state == "reported"
    assert incident.grade == "III"
    assert incident.reporter == unit_user_a
    assert incident.acknowledge_due_at is not None
    event = incident.events.get(kind="reported")
    assert (event.kind, event.to_state) == ("reported", "reported")
    assert AuditEvent.objects.filter(object_type="incidents.incident", action="create").exists()


def test_user_cannot_report_for_another_unit(unit_b, unit_user_a):
    with pytest.raises(PermissionDenied):
        services.report(actor=unit_user_a, unit=unit_b, title="x")


def test_a_fault_of_several_units_is_grade_ii_and_reported_to_the_leader(unit_a, unit_admin_a, leader_a):
    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )
    assert incident.grade == "II"
    notice = incident.notices.get()
    assert notice.kind == "leader_report"
    deliveries = Delivery.objects.filter(event_key=notice.event_key)
    # The leader in charge of the unit; the group here has no leader of its own to copy.
    assert set(deliveries.values_list("recipient_kind", "recipient")) == {("email", leader_a.person.email)}


def test_plain_user_cannot_move_the_flow(incident, unit_user_a):
    with pytest.raises(PermissionDenied):
        walk(incident, unit_user_a, "acknowledged")


def test_foreign_unit_admin_cannot_move_the_flow(incident, unit_admin_b):
    with pytest.raises(PermissionDenied):
        walk(incident, unit_admin_b, "acknowledged")


def test_group_technical_staff_handle_every_units_faults(incident, group, unit_user_a):
    """Art. 13: the computer room's technical staff act on a fault of any unit, without managing it."""
    technician = make_user("group-tech", group, Role.TECH_STAFF)
    assert scoping.visible(Incident.objects.filter(pk=incident.pk), technician).exists()
    assert walk(incident, technician, "acknowledged").state == "acknowledged"
    assert not scoping.writable(Unit.objects.all(), technician).exists()


def test_unit_technical_staff_handle_only_their_units_faults(incident, unit_b):
    technician = make_user("b-tech", unit_b, Role.TECH_STAFF)
    assert not scoping.visible(Incident.objects.filter(pk=incident.pk), technician).exists()
    with pytest.raises(PermissionDenied):
        walk(incident, technician, "acknowledged")


def test_skipping_a_step_is_refused_with_the_reason(incident, unit_admin_a):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert excinfo.value.status_code == 409
    assert "cannot go from" in _reason(excinfo)


def test_leaving_diagnosing_needs_a_preliminary_cause(incident, unit_admin_a):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert excinfo.value.field == "cause_category"


def test_the_plan_of_grade_and_cause_must_be_activated(incident, unit_admin_a, plans):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing", cause_category="application")
    assert excinfo.value.field == "plan"
    incident.refresh_from_db()
    assert incident.cause_category == ""  # nothing half-written
    incident = services.update_details(incident, actor=unit_admin_a, cause_category="application")
    incident = services.activate_plan(incident, actor=unit_admin_a)
    assert incident.plan == plans["III"]
    assert incident.checklist.filter(kind="step").count() == 2
    assert incident.checklist.filter(kind="verification").count() == 2


def test_grade_ii_needs_the_leader_report_and_suspension_notice(
    incident, unit_admin_a, plans, leader_a, clerk_a
):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    incident = services.set_grade(incident, grade="II", reason="领导要求", actor=unit_admin_a)
    # raising the grade reports it again, now to the leaders in charge
    assert incident.notices.filter(kind="leader_report", event_key__endswith=":II").count() == 1
    incident = services.update_details(incident, actor=unit_admin_a, cause_category="application")
    incident = services.activate_plan(incident, actor=unit_admin_a)
    assert incident.plan == plans["II"]
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert "suspension" in _reason(excinfo)
    services.send_notice(incident, "suspension", actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed):
        services.send_notice(incident, "suspension", actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "repairing")
    assert incident.state == "repairing"


def test_manual_grade_change_needs_a_reason(incident, unit_admin_a):
    with pytest.raises(DomainError) as excinfo:
        services.set_grade(incident, grade="II", reason=" ", actor=unit_admin_a)
    assert excinfo.value.field == "reason"


def test_verifying_needs_every_step_and_restoring_the_checklist(incident, unit_admin_a, plans):
    incident = to_repairing(incident, unit_admin_a)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "verifying")
    assert excinfo.value.field == "checklist"
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "verifying")
    first, second = incident.checklist.filter(kind="verification")
    services.tick(first, actor=unit_admin_a)
    services.tick(second, actor=unit_admin_a, passed=False, note="流程报错")
    with pytest.raises(TransitionNotAllowed):
        walk(incident, unit_admin_a, "restored")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing")
    assert excinfo.value.field == "comment"
    incident = walk(incident, unit_admin_a, "repairing", comment="流程测试失败")
    assert not incident.checklist.filter(kind="verification", passed__isnull=False).exists()
    incident = walk(incident, unit_admin_a, "verifying")
    for item in incident.checklist.filter(kind="verification"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "restored")
    assert incident.restored_at is not None
    assert incident.notices.filter(kind="recovery").exists()


def test_closing_needs_a_summary_and_a_problem_when_not_fixed_for_good(incident, unit_admin_a, plans):
    incident = to_repairing(incident, unit_admin_a)
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "verifying")
    for item in incident.checklist.filter(kind="verification"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "restored")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "closed")
    assert excinfo.value.field == "resolution_summary"
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "closed", resolution_summary="重启服务", fixed_for_good=False)
    assert excinfo.value.field == "problems"
    assert "Art. 14" in _reason(excinfo) and "problem database" in _reason(excinfo)
    # A made-up reference is no way out: the step takes no free-text reference any more.
    with pytest.raises(DomainError) as excinfo:
        walk(
            incident,
            unit_admin_a,
            "closed",
            resolution_summary="重启服务",
            fixed_for_good=False,
            problem_ref="PRB-1",
        )
    assert excinfo.value.field == "problem_ref"
    assert Incident.objects.get(pk=incident.pk).state == "restored"
    # A real problem of the problem database, registered from the incident, lets it close.
    problem = problems.register(
        actor=unit_admin_a, unit=incident.unit, title="根因待查", source_incident=incident
    )
    incident = walk(incident, unit_admin_a, "closed", resolution_summary="重启服务", fixed_for_good=False)
    assert list(incident.problems.all()) == [problem]
    assert incident.state == "closed"
    with pytest.raises(TransitionNotAllowed):
        services.update_details(incident, actor=unit_admin_a, title="改")
    states = [e.to_state for e in incident.events.filter(kind="transition")]
    assert states == ["acknowledged", "diagnosing", "repairing", "verifying", "restored", "closed"]
    assert AuditEvent.objects.filter(action="transition", object_id=str(incident.pk)).count() == 6
    timers = services.timers(incident)
    assert timers.to_acknowledge is not None and timers.to_restore is not None
    assert set(timers.per_state) >= {"reported", "acknowledged", "repairing", "closed"}


def test_stale_version_is_refused(incident, unit_admin_a):
    with pytest.raises(StaleEdit):
        services.transition(
            incident, to="acknowledged", actor=unit_admin_a, expected_version=incident.version + 1
        )


def test_vendor_engineer_comes_from_the_items_contract(incident, unit_admin_a, org_records_a):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    escalation = services.escalate(incident, actor=unit_admin_a, mode="on_site")
    assert escalation.engineer == org_records_a["engineer"]
    assert escalation.contract == org_records_a["contract"]
    services.record_arrival(escalation, actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed):
        services.record_arrival(escalation, actor=unit_admin_a)
    assert incident.events.filter(kind__in=["escalation", "arrival"]).count() == 2


def test_timeline_is_append_only(incident):
    event = incident.events.get(kind="reported")
    with pytest.raises(Exception, match="cannot"):
        event.save()
    with pytest.raises(Exception, match="cannot"):
        IncidentEvent.objects.filter(pk=event.pk).delete()


def test_editing_a_plan_makes_a_new_version_and_keeps_the_snapshot(
    incident, unit_admin_a, plans, group_admin
):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    incident = services.update_details(incident, actor=unit_admin_a, cause_category="application")
    incident = services.activate_plan(incident, actor=unit_admin_a)
    plan = services.update(plans["III"], actor=group_admin, steps=[{"text": "新步骤"}])
    assert plan.revision == 2
    incident.refresh_from_db()
    assert incident.plan_snapshot["revision"] == 1


def test_only_group_admins_edit_plans(unit_admin_a):
    with pytest.raises(PermissionDenied):
        services.create(
            EmergencyPlan, actor=unit_admin_a, code="x", title="x", grade="II", cause_category="power"
        )


def _recipients(event_key: str) -> set[str]:
    return set(Delivery.objects.filter(event_key=event_key).values_list("recipient", flat=True))


def test_a_reported_fault_is_told_to_the_technical_staff_of_the_unit_and_the_group(
    unit_a, unit_b, group, unit_user_a
):
    make_user("a-tech", unit_a, Role.TECH_STAFF)
    make_user("g-tech", group, Role.TECH_STAFF)
    make_user("b-tech", unit_b, Role.TECH_STAFF)
    incident = services.report(actor=unit_user_a, unit=unit_a, title="OA 无法登录")
    assert incident.grade == "III"
    key = f"incident:{incident.pk}:reported"
    assert _recipients(key) == {"a-tech@example.cn", "g-tech@example.cn"}
    assert NotifyNotice.objects.filter(event_key=key).count() == 1


def test_a_fault_with_a_team_is_told_to_the_team_not_the_reporter(unit_a, unit_admin_a, team_a):
    make_user("a-tech", unit_a, Role.TECH_STAFF)
    for name in ("a-member", "a-admin-member"):
        user = make_user(name, unit_a)
        user.person.team = team_a
        user.person.save()
    unit_admin_a.person.team = team_a
    unit_admin_a.person.save()
    incident = services.report(actor=unit_admin_a, unit=unit_a, title="交换机故障", team=team_a)
    assert _recipients(f"incident:{incident.pk}:reported") == {
        "a-member@example.cn",
        "a-admin-member@example.cn",
    }


def test_an_explicit_plan_of_another_grade_or_cause_is_refused(incident, unit_admin_a, plans, group_admin):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    with pytest.raises(DomainError) as excinfo:
        services.activate_plan(incident, actor=unit_admin_a, plan=plans["II"], cause_category="application")
    assert excinfo.value.field == "plan"
    assert "grade" in _reason(excinfo).lower()
    network = services.create(
        EmergencyPlan, actor=group_admin, code="net-iii", title="网络", grade="III", cause_category="network"
    )
    with pytest.raises(DomainError) as excinfo:
        services.activate_plan(incident, actor=unit_admin_a, plan=network, cause_category="application")
    assert excinfo.value.field == "plan"
    assert "cause" in _reason(excinfo)
    incident.refresh_from_db()
    assert incident.plan_id is None and not incident.checklist.exists()
    activated = services.activate_plan(
        incident, actor=unit_admin_a, plan=plans["III"], cause_category="application"
    )
    assert activated.plan == plans["III"]


def test_a_suspending_plan_activated_while_repairing_needs_the_notice_before_verifying(
    incident, unit_admin_a, group_admin, clerk_a
):
    services.create(
        EmergencyPlan,
        actor=group_admin,
        code="app-iii-stop",
        title="停机预案",
        grade="III",
        cause_category="application",
        suspend_service=True,
        steps=[{"text": "停机"}],
    )
    # No plan in force for grade Ⅲ and "other": the fault leaves diagnosing without one.
    shipped = EmergencyPlan.objects.get(grade="III", cause_category="other")
    services.update(shipped, actor=group_admin, is_active=False)
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    incident = walk(incident, unit_admin_a, "repairing", cause_category="other")
    incident = services.update_details(incident, actor=unit_admin_a, cause_category="application")
    incident = services.activate_plan(incident, actor=unit_admin_a)
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "verifying")
    assert excinfo.value.field == "notice"
    assert "suspension notice" in _reason(excinfo)
    services.send_notice(incident, "suspension", actor=unit_admin_a)
    assert walk(incident, unit_admin_a, "verifying").state == "verifying"


def test_an_expired_maintenance_contract_names_no_engineer(incident, unit_admin_a, org_records_a):
    contract = org_records_a["contract"]
    assert services.engineer_for(incident) == (contract, org_records_a["engineer"])
    assert services.engineer_for(incident, today=contract.ends_on + datetime.timedelta(days=1)) == (
        None,
        None,
    )
    with time_machine.travel(contract.ends_on + datetime.timedelta(days=2)):
        incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
        assert services.engineer_for(incident) == (None, None)
        with pytest.raises(DomainError) as excinfo:
            services.escalate(incident, actor=unit_admin_a, mode="remote")
        assert excinfo.value.field == "engineer"
        # Named by hand, the engineer is called without the lapsed contract.
        escalation = services.escalate(
            incident, actor=unit_admin_a, mode="remote", engineer=org_records_a["engineer"]
        )
        assert escalation.contract is None


def test_escalation_moments_cannot_lie_in_the_future_nor_arrival_before_contact(
    incident, unit_admin_a, org_records_a
):
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    now = timezone.now()
    with pytest.raises(DomainError) as excinfo:
        services.escalate(
            incident, actor=unit_admin_a, mode="remote", contacted_at=now + datetime.timedelta(hours=1)
        )
    assert excinfo.value.field == "contacted_at"
    contacted = now - datetime.timedelta(hours=2)
    escalation = services.escalate(incident, actor=unit_admin_a, mode="on_site", contacted_at=contacted)
    assert escalation.contacted_at == contacted
    for arrived_at in (now + datetime.timedelta(hours=1), contacted - datetime.timedelta(minutes=1)):
        with pytest.raises(DomainError) as excinfo:
            services.record_arrival(escalation, actor=unit_admin_a, arrived_at=arrived_at)
        assert excinfo.value.field == "arrived_at"
    arrival = services.record_arrival(
        escalation, actor=unit_admin_a, arrived_at=contacted + datetime.timedelta(minutes=50)
    )
    assert arrival.arrived_at == contacted + datetime.timedelta(minutes=50)
