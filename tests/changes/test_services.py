"""The change services: content rules, risk, segregation of duties, approvals, emergency changes."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.changes import services
from yunwei.changes.models import Approval, Change, ChangeEvent, ChangeTemplate, FreezePeriod
from yunwei.changes.tasks import remind_overdue_approvals
from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Relation, RelationType
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.notify.models import Delivery

from ..conftest import make_item, make_user
from .conftest import approve, new_change, to_scheduled, window

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
        test_plan="重启后核对服务",
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
        assert not change.awaiting_approval  # not carried out yet: an ordinary pending approval
        change = services.transition(change, to="implementing", actor=unit_admin_a)
        # The maintenance window of its radius opens at once (monitoring holds alerts back inside it).
        for item in (server_a, app_a):
            assert services.active_window_for(item, start).change == change
        assert change.awaiting_approval  # flagged from the moment it is carried out
        assert not change.approval_overdue(timezone.now())
        clock.shift(datetime.timedelta(hours=25))
        assert change.awaiting_approval and change.approval_overdue(timezone.now())
        assert services.may_decide(change, lead)
        change = approve(change, lead)
        assert change.state == "implementing" and change.approved_at is not None
        assert not change.awaiting_approval and not change.approval_overdue(timezone.now())


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
    assert not Change.objects.filter(pk=other.pk).exists()
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    change = services.transition(change, to="rejected", actor=lead, comment="不需要")
    change = services.transition(change, to="draft", actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.delete_change(change, actor=unit_admin_a)
    assert refused.value.field == "state" and "never submitted" in str(refused.value.message)
    assert Change.objects.filter(pk=change.pk, state="draft").exists()


def test_the_timeline_is_append_only(change):
    event = change.events.get()
    with pytest.raises(Exception, match="cannot"):
        event.save()
    with pytest.raises(Exception, match="cannot"):
        ChangeEvent.objects.filter(pk=event.pk).delete()


# -- edits while submitted keep what submitting required --------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rollback_plan": ""}, "rollback_plan"),
        ({"reason": " "}, "reason"),
        ({"implementation_plan": ""}, "implementation_plan"),
        ({"affected_items": []}, "affected_items"),
        ({"planned_start": None}, "planned_start"),
    ],
)
def test_an_edit_while_submitted_cannot_drop_what_submitting_required(
    unit_admin_a, unit_a, server_a, lead, fields, field
):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="outage")
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    before = (change.version, change.approval_round, change.events.count())
    with pytest.raises(DomainError) as refused:
        services.update_change(change, actor=unit_admin_a, title="改了标题", **fields)
    assert refused.value.field == field
    change.refresh_from_db()
    assert (change.version, change.approval_round, change.events.count()) == before  # nothing written
    assert change.title == "扩充内存" and change.rollback_plan and change.affected_items.count() == 1
    assert change.approvals.filter(round=change.approval_round).exists()  # the approval given stands


def test_an_edit_while_submitted_cannot_make_a_change_risky_without_a_rollback_plan(
    unit_admin_a, unit_a, server_a
):
    change = new_change(unit_admin_a, unit_a, [server_a], rollback_plan="")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(DomainError) as refused:
        services.update_change(change, actor=unit_admin_a, service_impact="outage")
    assert refused.value.field == "rollback_plan"
    change = services.update_change(
        change, actor=unit_admin_a, service_impact="outage", rollback_plan="恢复原内存"
    )
    assert change.is_risky and services.needed_roles(change) == ["system_lead", "leader"]


def test_a_draft_may_be_left_incomplete(change, unit_admin_a):
    change = services.update_change(change, actor=unit_admin_a, rollback_plan="", service_impact="outage")
    assert change.state == "draft" and change.rollback_plan == ""


# -- the risk a requester lowers -------------------------------------------------------------------


@pytest.fixture
def structural_change(unit_admin_a, unit_a, group_admin, server_a, app_a):
    """Structural work on three items with degraded service: computed high risk, without an outage."""
    portal = make_item(unit_a, "application", "PORTAL-A", actor=group_admin, name="甲门户")
    cmdb.create(
        Relation,
        actor=group_admin,
        source=portal,
        target=server_a,
        type=RelationType.objects.get(code="runs-on"),
    )
    return new_change(unit_admin_a, unit_a, [server_a], change_type="system_structure")


def test_lowering_a_high_computed_risk_still_needs_the_leader(
    structural_change, unit_admin_a, lead, leader_a
):
    assert structural_change.computed_risk == "high" and structural_change.service_impact == "degraded"
    change = services.update_change(
        structural_change, actor=unit_admin_a, risk="low", risk_override_reason="变更很简单"
    )
    assert change.risk == "low" and change.computed_risk == "high"
    assert services.needed_roles(change) == ["system_lead", "leader"]
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    assert change.state == "submitted" and services.missing_roles(change) == ["leader"]
    assert approve(change, leader_a).state == "approved"


def test_lowering_a_high_computed_risk_keeps_the_rollback_plan_required(structural_change, unit_admin_a):
    change = services.update_change(
        structural_change,
        actor=unit_admin_a,
        risk="low",
        risk_override_reason="变更很简单",
        rollback_plan="",
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="submitted", actor=unit_admin_a)
    assert refused.value.field == "rollback_plan"


def test_raising_the_risk_by_hand_needs_the_leader(change, unit_admin_a):
    change = services.update_change(change, actor=unit_admin_a, risk="high", risk_override_reason="核心")
    assert change.computed_risk == "medium" and services.needed_roles(change) == ["system_lead", "leader"]


# -- withdrawing -------------------------------------------------------------------------------------


def test_a_submitted_change_is_withdrawn_to_a_draft_with_its_reason(change, unit_admin_a, lead):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="draft", actor=unit_admin_a)
    assert refused.value.field == "comment"
    change = services.transition(change, to="draft", actor=unit_admin_a, comment="业务部门取消需求")
    assert change.state == "draft" and not services.may_decide(change, lead)
    with pytest.raises(TransitionNotAllowed):
        services.delete_change(change, actor=unit_admin_a)  # it was submitted: it stays on record


def test_an_approved_change_withdrawn_needs_a_new_approval(change, unit_admin_a, lead):
    change = to_scheduled(change, unit_admin_a, lead)
    change = services.transition(change, to="approved", actor=unit_admin_a, comment="推迟")
    change = services.transition(change, to="draft", actor=unit_admin_a, comment="不再实施")
    assert change.state == "draft" and change.approved_at is None
    assert not change.windows.exists()
    change = services.update_change(change, actor=unit_admin_a, implementation_plan="新方案")
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    assert change.state == "submitted" and services.missing_roles(change) == ["system_lead"]
    assert approve(change, lead).state == "approved"


def test_only_the_units_staff_withdraw(change, unit_admin_a, unit_user_a):
    change = services.transition(change, to="submitted", actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        services.transition(change, to="draft", actor=unit_user_a, comment="x")


# -- emergency changes carried out first -----------------------------------------------------------


def _carried_out(requester, unit, items, **fields):
    start = timezone.now()
    change = new_change(
        requester,
        unit,
        items,
        kind="emergency",
        planned_start=start + datetime.timedelta(minutes=30),
        planned_end=start + datetime.timedelta(hours=2),
        **fields,
    )
    change = services.transition(change, to="submitted", actor=requester)
    return services.transition(change, to="implementing", actor=requester)


def test_an_emergency_change_carried_out_first_tells_the_affected_users(
    unit_admin_a, unit_a, server_a, app_a, unit_user_a
):
    change = _carried_out(unit_admin_a, unit_a, [server_a])
    notice = change.events.get(kind="notice")
    deliveries = Delivery.objects.filter(event_key__in=notice.data["event_keys"])
    assert deliveries.filter(recipient=f"{unit_user_a.username}@example.cn", unit_id=unit_a.pk).exists()


def test_an_emergency_change_without_service_impact_tells_nobody(unit_admin_a, unit_a, server_a):
    change = _carried_out(unit_admin_a, unit_a, [server_a], service_impact="none")
    assert not change.events.filter(kind="notice").exists()
    assert not (
        Delivery.objects.filter(event_key__startswith=f"change:{change.pk}:")
        .exclude(event_key__contains=":approval-asked:")  # the approvers are asked, not the users
        .exists()
    )


def test_an_emergency_change_in_a_freeze_needs_the_leader_afterwards(
    unit_admin_a, unit_a, server_a, lead, leader_a, group_admin
):
    now = timezone.now()
    services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(minutes=10),
        reason="重保期间",
    )
    change = _carried_out(unit_admin_a, unit_a, [server_a])
    assert not change.is_risky  # only the freeze brings the leader in
    assert services.needed_roles(change) == ["system_lead", "leader"]
    noted = change.events.get(kind="conflicts")
    assert "重保期间" in noted.comment and noted.data["freezes"]
    change = approve(change, lead)
    assert change.approved_at is None and change.awaiting_approval
    change = approve(change, leader_a)
    assert change.approved_at is not None and not change.awaiting_approval


def test_an_emergency_change_outside_a_freeze_needs_only_the_lead(unit_admin_a, unit_a, server_a, lead):
    change = _carried_out(unit_admin_a, unit_a, [server_a])
    assert services.needed_roles(change) == ["system_lead"]
    assert not change.events.filter(kind="conflicts").exists()
    assert approve(change, lead).approved_at is not None


def test_an_emergency_change_colliding_with_a_scheduled_one_is_noted(
    unit_admin_a, unit_a, server_a, app_a, lead
):
    start = timezone.now() + datetime.timedelta(minutes=20)
    scheduled = to_scheduled(
        new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            planned_start=start,
            planned_end=start + datetime.timedelta(hours=1),
        ),
        unit_admin_a,
        lead,
    )
    change = _carried_out(unit_admin_a, unit_a, [app_a])
    # Told when it is submitted, and again for the window the work really holds.
    submitted, carried_out = change.events.filter(kind="conflicts").order_by("id")
    for noted in (submitted, carried_out):
        assert noted.data["collisions"] == [scheduled.pk] and scheduled.code in noted.comment
