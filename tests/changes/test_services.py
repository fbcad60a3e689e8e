"""The change services: content rules, risk, segregation of duties, approvals, emergency changes."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.changes import services
from yunwei.changes.models import Approval, ChangeEvent, ChangeTemplate
from yunwei.changes.tasks import remind_overdue_approvals
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.notify.models import Delivery

from ..conftest import make_user
from .conftest import approve, new_change, window

pytestmark = pytest.mark.django_db


def test_risk_is_computed_from_radius_service_impact_and_type():
    assert services.compute_risk(1, "none", "document_template") == "low"
    assert services.compute_risk(1, "degraded", "configuration") == "medium"
    assert services.compute_risk(5, "none", "configuration") == "medium"
    assert services.compute_risk(25, "degraded", "configuration") == "high"
    assert services.compute_risk(5, "degraded", "system_structure") == "high"
    assert services.compute_risk(1, "outage", "document_template") == "high"


def test_a_new_change_is_a_draft_with_its_blast_radius_and_timeline(change, server_a, app_a, unit_admin_a):
    assert change.state == "draft"
    assert change.requester == unit_admin_a
    assert set(change.radius_item_ids) == {server_a.pk, app_a.pk}
    assert change.risk == change.computed_risk == "medium"
    event = change.events.get()
    assert event.kind == "created" and event.to_state == "draft" and event.actor == unit_admin_a
    assert AuditEvent.objects.filter(object_type="changes.change", object_id=str(change.pk)).exists()


def test_overriding_the_computed_risk_needs_a_reason(unit_admin_a, unit_a, server_a):
    with pytest.raises(DomainError) as refused:
        new_change(unit_admin_a, unit_a, [server_a], risk="high")
    assert refused.value.field == "risk_override_reason"
    change = new_change(unit_admin_a, unit_a, [server_a], risk="high", risk_override_reason="核心设备")
    assert change.risk == "high" and change.computed_risk == "medium"
    assert services.needed_roles(change) == ["system_lead", "leader"]


def test_window_must_end_after_it_starts(unit_admin_a, unit_a, server_a):
    start, _end = window()
    with pytest.raises(DomainError) as refused:
        new_change(unit_admin_a, unit_a, [server_a], planned_end=start - datetime.timedelta(hours=1))
    assert refused.value.field == "planned_end"


def test_items_of_another_unit_are_refused(unit_admin_a, unit_a, server_b):
    with pytest.raises(DomainError) as refused:
        new_change(unit_admin_a, unit_a, [server_b])
    assert refused.value.field == "affected_items"


def test_a_plain_user_cannot_request_a_change(unit_user_a, unit_a, server_a):
    with pytest.raises(PermissionDenied):
        new_change(unit_user_a, unit_a, [server_a])


def test_a_risky_change_without_rollback_plan_cannot_be_submitted(unit_admin_a, unit_a, server_a):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage", rollback_plan="")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="submitted", actor=unit_admin_a)
    assert refused.value.field == "rollback_plan"
    change.refresh_from_db()
    assert change.state == "draft" and change.events.count() == 1


def test_the_system_lead_approves_a_normal_change(change, unit_admin_a, lead):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert services.may_decide(change, lead) and not services.may_decide(change, unit_admin_a)
    change = services.transition(change, to="approved", actor=lead, comment="同意")
    assert change.state == "approved" and change.approved_at is not None
    approval = Approval.objects.get(change=change)
    assert (approval.approver, approval.role, approval.decision) == (lead, "system_lead", "approved")
    assert [e.to_state for e in change.events.filter(kind="transition")] == ["submitted", "approved"]


def test_the_requester_never_approves_their_own_change(unit_a, lead, server_a):
    change = new_change(lead, unit_a, [server_a])
    change = services.transition(change, to="submitted", actor=lead)
    with pytest.raises(PermissionDenied) as refused:
        services.decide(change, actor=lead, decision="approved")
    assert "someone else" in refused.value.message
    assert not Approval.objects.exists()


def test_a_group_admin_does_not_approve(change, unit_admin_a, group_admin):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        services.transition(change, to="approved", actor=group_admin)


def test_an_outage_change_needs_the_leader_in_charge_too(unit_admin_a, unit_a, server_a, lead, leader_a):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = approve(change, lead)
    assert change.state == "submitted" and services.missing_roles(change) == ["leader"]
    change = approve(change, leader_a)
    assert change.state == "approved"
    assert sorted(change.approvals.values_list("role", flat=True)) == ["leader", "system_lead"]


def test_the_groups_leader_may_give_the_leaders_approval(unit_admin_a, unit_a, server_a, lead, group_leader):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert approve(change, group_leader, lead).state == "approved"


def test_one_person_gives_one_approval(unit_admin_a, unit_a, server_a, group):
    both = make_user("both", group, "system_lead", "leader")
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = approve(change, both)
    with pytest.raises(TransitionNotAllowed):
        approve(change, both)
    assert change.state == "submitted"


def test_a_rejection_needs_its_reason_and_the_change_is_reworked(change, unit_admin_a, lead):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(DomainError) as refused:
        services.transition(change, to="rejected", actor=lead)
    assert refused.value.field == "comment"
    change = services.transition(change, to="rejected", actor=lead, comment="窗口不合适")
    assert change.state == "rejected"
    change = services.transition(change, to="draft", actor=unit_admin_a)
    change = services.update_change(change, actor=unit_admin_a, title="改期扩充内存")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert change.approval_round == 2 and services.missing_roles(change) == ["system_lead"]
    assert approve(change, lead).state == "approved"


def test_editing_after_approval_is_refused(change, unit_admin_a, lead):
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.update_change(change, actor=unit_admin_a, title="偷偷改")
    assert refused.value.field == "state"
    change.refresh_from_db()
    assert change.title == "扩充内存"


def test_an_edit_while_submitted_voids_the_approvals_given(unit_admin_a, unit_a, server_a, lead, leader_a):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    change = services.update_change(change, actor=unit_admin_a, implementation_plan="新方案")
    assert services.missing_roles(change) == ["system_lead", "leader"]
    assert change.events.filter(kind="edit").get().data["approvals_voided"] is True
    assert approve(change, leader_a, lead).state == "approved"


def test_a_standard_change_is_approved_by_the_system(unit_admin_a, unit_a, server_a, group_admin):
    template = services.create(
        ChangeTemplate,
        actor=group_admin,
        name="补丁安装",
        change_type="software_upgrade",
        implementation_plan="按手册安装补丁",
        rollback_plan="卸载补丁",
    )
    start, end = window()
    change = services.create_change(
        actor=unit_admin_a,
        unit=unit_a,
        title="月度补丁",
        kind="standard",
        template=template,
        affected_items=[server_a],
        planned_start=start,
        planned_end=end,
    )
    assert change.change_type == "software_upgrade" and change.implementation_plan == "按手册安装补丁"
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert change.state == "approved" and not change.approvals.exists()
    last = change.events.filter(kind="transition").last()
    assert (last.from_state, last.to_state, last.actor_name) == ("submitted", "approved", "system")


def test_a_standard_change_needs_a_template(unit_admin_a, unit_a, server_a):
    with pytest.raises(DomainError) as refused:
        new_change(unit_admin_a, unit_a, [server_a], kind="standard")
    assert refused.value.field == "template"


def test_a_normal_change_is_not_carried_out_before_approval(change, unit_admin_a):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed):
        services.transition(change, to="implementing", actor=unit_admin_a)


def test_an_emergency_change_is_carried_out_first_and_flagged_until_approved(
    unit_admin_a, unit_a, server_a, app_a, lead
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        change = new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            kind="emergency",
            planned_start=start,
            planned_end=start + datetime.timedelta(hours=1),
        )
        change = services.transition(change, to="submitted", actor=unit_admin_a)
        assert change.approval_due_at == start + datetime.timedelta(hours=24)
        change = services.transition(change, to="implementing", actor=unit_admin_a)
        assert services.active_window_for(app_a) is not None  # alerts held back at once
        assert not change.approval_overdue(timezone.now())
        clock.shift(datetime.timedelta(hours=25))
        assert change.approval_overdue(timezone.now())
        assert services.may_decide(change, lead)
        change = approve(change, lead)
        assert change.state == "implementing" and change.approved_at is not None
        assert not change.approval_overdue(timezone.now())


def test_the_approvers_of_an_emergency_change_past_due_are_reminded_once(
    unit_admin_a, unit_a, server_a, lead, leader_a
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        change = new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            kind="emergency",
            planned_start=start,
            planned_end=start + datetime.timedelta(hours=1),
        )
        change = services.transition(change, to="submitted", actor=unit_admin_a)
        change = services.transition(change, to="implementing", actor=unit_admin_a)
        clock.shift(datetime.timedelta(hours=23))
        assert remind_overdue_approvals.delay().get() == 0
        clock.shift(datetime.timedelta(hours=2))
        assert remind_overdue_approvals.delay().get() == 1
        assert services.remind_overdue_approvals() == 0  # a second sweep tells nobody again
    deliveries = Delivery.objects.filter(event_key=f"change:{change.pk}:approval-overdue")
    assert {d.recipient for d in deliveries} == {"lead@example.cn"}  # only the approval still missing
    event = ChangeEvent.objects.get(change=change, kind="approval_overdue")
    assert event.actor_name == "system" and event.data["recipients"] == [lead.pk]


def test_an_emergency_change_approved_in_time_is_not_reminded_of(unit_admin_a, unit_a, server_a, lead):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        change = new_change(unit_admin_a, unit_a, [server_a], kind="emergency", planned_start=start)
        change = services.transition(change, to="submitted", actor=unit_admin_a)
        change = services.transition(change, to="implementing", actor=unit_admin_a)
        approve(change, lead)
        clock.shift(datetime.timedelta(hours=30))
        assert services.remind_overdue_approvals() == 0
    assert not Delivery.objects.filter(event_key=f"change:{change.pk}:approval-overdue").exists()


def test_completion_rollback_and_failure_each_need_their_text(change, unit_admin_a, lead):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = approve(change, lead)
    change = services.transition(change, to="scheduled", actor=unit_admin_a)
    change = services.transition(change, to="implementing", actor=unit_admin_a)
    change = services.transition(change, to="verifying", actor=unit_admin_a)
    for to, field in (("completed", "verification_result"), ("rolled_back", "rollback_note")):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.transition(change, to=to, actor=unit_admin_a)
        assert refused.value.field == field
    change = services.transition(change, to="completed", actor=unit_admin_a, verification_result="自检通过")
    assert change.state == "completed" and change.finished_at is not None


def test_only_the_system_lead_writes_the_review(change, unit_admin_a, lead):
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    change = services.transition(change, to="scheduled", actor=unit_admin_a)
    change = services.transition(change, to="implementing", actor=unit_admin_a)
    change = services.transition(change, to="failed", actor=unit_admin_a, failure_note="内存不兼容")
    with pytest.raises(PermissionDenied):
        services.transition(change, to="reviewed", actor=unit_admin_a, review="x")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="reviewed", actor=lead)
    assert refused.value.field == "review"
    change = services.transition(change, to="reviewed", actor=lead, review="需先核对兼容性清单")
    assert change.state == "reviewed" and change.review == "需先核对兼容性清单"
    assert services.ALLOWED_TRANSITIONS["reviewed"] == ()


def test_only_a_draft_never_submitted_is_deleted(change, unit_admin_a, lead):
    other = new_change(unit_admin_a, change.unit, list(change.affected_items.all()))
    services.delete_change(other, actor=unit_admin_a)
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = services.transition(change, to="rejected", actor=lead, comment="不需要")
    change = services.transition(change, to="draft", actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed):
        services.delete_change(change, actor=unit_admin_a)


def test_the_timeline_is_append_only(change):
    event = change.events.get()
    with pytest.raises(Exception, match="cannot"):
        event.save()
    with pytest.raises(Exception, match="cannot"):
        ChangeEvent.objects.filter(pk=event.pk).delete()
