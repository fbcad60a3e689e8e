"""Scheduling: collisions, freeze periods, the leader's approval for them, maintenance windows, notices to
the affected units, and the inventory updated from a completed change."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.changes import schedule, services
from yunwei.changes.models import FreezePeriod, MaintenanceWindow
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.notify.models import Delivery

from ..conftest import make_item, make_user
from .conftest import approve, new_change, to_scheduled, window

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(change, unit_admin_a, lead):
    return to_scheduled(change, unit_admin_a, lead)


def test_collision_needs_a_shared_item_and_an_overlapping_window(
    scheduled, unit_admin_a, unit_a, server_a, app_a, server_b, unit_admin_b
):
    same_time_other_items = new_change(unit_admin_b, server_b.unit, [server_b])
    assert schedule.collisions(same_time_other_items) == []
    start, end = window(days=5)
    later_same_items = new_change(unit_admin_a, unit_a, [app_a], planned_start=start, planned_end=end)
    assert schedule.collisions(later_same_items) == []
    overlapping = new_change(unit_admin_a, unit_a, [app_a])  # app_a depends on the scheduled server
    assert schedule.collisions(overlapping) == [scheduled]


def test_scheduling_into_a_collision_is_refused_naming_the_change(
    scheduled, unit_admin_a, unit_a, app_a, lead, leader_a
):
    other = new_change(unit_admin_a, unit_a, [app_a], title="升级OA")
    other = approve(services.transition(other, to="submitted", actor=unit_admin_a), lead)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(other, to="scheduled", actor=unit_admin_a)
    assert scheduled.code in refused.value.message and "leader" in refused.value.message
    assert refused.value.field == "planned_start"
    with pytest.raises(PermissionDenied):  # the system lead is not the leader in charge
        services.decide(other, actor=lead, decision="approved", scope="schedule")
    services.decide(other, actor=leader_a, decision="approved", scope="schedule", comment="同意并行")
    other = services.transition(other, to="scheduled", actor=unit_admin_a)
    assert other.state == "scheduled"


def test_scheduling_into_a_freeze_is_refused_naming_the_freeze(
    change, unit_admin_a, lead, leader_a, group_admin
):
    services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=change.planned_start - datetime.timedelta(days=1),
        ends_at=change.planned_end + datetime.timedelta(days=1),
        reason="国庆封网",
    )
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="scheduled", actor=unit_admin_a)
    assert "国庆封网" in refused.value.message
    services.decide(change, actor=leader_a, decision="approved", scope="schedule")
    assert services.transition(change, to="scheduled", actor=unit_admin_a).state == "scheduled"


def test_a_freeze_of_another_unit_does_not_block(change, unit_admin_a, lead, group_admin, unit_b):
    freeze = services.create(
        FreezePeriod,
        actor=group_admin,
        starts_at=change.planned_start - datetime.timedelta(days=1),
        ends_at=change.planned_end + datetime.timedelta(days=1),
        reason="乙单位年终结算",
        units=[unit_b],
    )
    assert list(freeze.units.all()) == [unit_b]
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    assert services.transition(change, to="scheduled", actor=unit_admin_a).state == "scheduled"


def test_a_freeze_must_end_after_it_starts_and_only_group_admins_declare(group_admin, unit_admin_a):
    now = timezone.now()
    with pytest.raises(DomainError) as refused:
        services.create(FreezePeriod, actor=group_admin, starts_at=now, ends_at=now, reason="x")
    assert refused.value.field == "ends_at"
    with pytest.raises(PermissionDenied):
        services.create(
            FreezePeriod,
            actor=unit_admin_a,
            starts_at=now,
            ends_at=now + datetime.timedelta(days=1),
            reason="x",
        )


def test_scheduling_opens_maintenance_windows_over_the_blast_radius(scheduled, server_a, app_a, server_b):
    windows = MaintenanceWindow.objects.filter(change=scheduled)
    assert {w.item_id for w in windows} == {server_a.pk, app_a.pk}
    inside = scheduled.planned_start + datetime.timedelta(minutes=30)
    assert services.active_window_for(app_a, inside).change == scheduled
    assert services.active_window_for(app_a, scheduled.planned_end) is None
    assert services.active_window_for(app_a, scheduled.planned_start - datetime.timedelta(minutes=1)) is None
    assert services.active_window_for(server_b, inside) is None


def test_rescheduling_moves_the_windows_and_unscheduling_removes_them(scheduled, unit_admin_a, app_a):
    start, end = window(days=3)
    change = services.reschedule(scheduled, actor=unit_admin_a, planned_start=start, planned_end=end)
    assert services.active_window_for(app_a, start + datetime.timedelta(minutes=1)).change == change
    assert services.active_window_for(app_a, scheduled.planned_start + datetime.timedelta(minutes=1)) is None
    change = services.transition(change, to="approved", actor=unit_admin_a, comment="推迟")
    assert not MaintenanceWindow.objects.filter(change=change).exists()


def test_finishing_cuts_the_windows_short(scheduled, unit_admin_a, app_a):
    change = services.transition(scheduled, to="implementing", actor=unit_admin_a)
    change = services.transition(change, to="rolled_back", actor=unit_admin_a, rollback_note="已拆回原内存")
    now = timezone.now()
    assert services.active_window_for(app_a, now + datetime.timedelta(seconds=1)) is None
    assert all(w.ends_at <= now for w in MaintenanceWindow.objects.filter(change=change))


def test_users_of_every_affected_unit_are_told_beforehand(
    unit_admin_a, unit_a, unit_b, group, group_admin, lead, unit_user_a
):
    from yunwei.cmdb import services as cmdb
    from yunwei.cmdb.models import Relation, RelationType

    core = make_item(group, "server", "CORE", actor=group_admin, name="核心")
    app_b = make_item(unit_b, "application", "B", actor=group_admin, name="乙应用")
    cmdb.create(
        Relation, actor=group_admin, source=app_b, target=core, type=RelationType.objects.get(code="runs-on")
    )
    user_b = make_user("b-user", unit_b, "user")
    tech = make_user("tech", group, "tech_staff")
    change = new_change(tech, group, [core], service_impact="outage")
    assert set(change.radius_unit_ids) == {group.pk, unit_b.pk}
    change = approve(
        services.transition(change, to="submitted", actor=tech), lead, make_user("gl", group, "leader")
    )
    services.transition(change, to="scheduled", actor=tech)
    deliveries = Delivery.objects.filter(event_key__startswith=f"change:{change.pk}:")
    assert {d.unit_id for d in deliveries} >= {unit_b.pk}
    assert deliveries.filter(recipient=f"{user_b.username}@example.cn", unit_id=unit_b.pk).exists()
    assert not deliveries.filter(
        recipient=f"{unit_user_a.username}@example.cn"
    ).exists()  # unit A is not affected
    assert change.events.filter(kind="notice").count() == 1


def test_no_notice_when_service_is_not_affected(unit_admin_a, unit_a, server_a, lead, unit_user_a):
    change = new_change(unit_admin_a, unit_a, [server_a], service_impact="none")
    to_scheduled(change, unit_admin_a, lead)
    assert not (
        Delivery.objects.filter(event_key__startswith=f"change:{change.pk}:")
        .exclude(event_key__contains=":approval-asked:")  # the approvers are asked, not the users
        .exists()
    )


def test_inventory_updates_are_checked_against_the_item_type(unit_admin_a, unit_a, server_a):
    with pytest.raises(DomainError) as refused:
        new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            attribute_changes=[{"item": server_a.pk, "attribute": "memory_gb", "value": "很多"}],
        )
    assert refused.value.field == "attribute_changes"
    with pytest.raises(DomainError):
        new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            attribute_changes=[{"item": server_a.pk, "attribute": "nope", "value": 1}],
        )
    with pytest.raises(DomainError):
        new_change(
            unit_admin_a,
            unit_a,
            [server_a],
            attribute_changes=[{"item": 999999, "field": "name", "value": "x"}],
        )


def test_a_completed_change_updates_the_inventory_and_the_history_names_it(
    client, unit_admin_a, unit_a, server_a, lead
):
    change = new_change(
        unit_admin_a,
        unit_a,
        [server_a],
        attribute_changes=[
            {"item": server_a.pk, "attribute": "memory_gb", "value": "64"},
            {"item": server_a.pk, "field": "status", "value": "in_service"},
        ],
    )
    assert change.attribute_changes[0]["value"] == 64
    change = to_scheduled(change, unit_admin_a, lead)
    with pytest.raises(TransitionNotAllowed):
        services.apply_inventory(change, actor=unit_admin_a)
    change = services.transition(change, to="implementing", actor=unit_admin_a)
    change = services.transition(change, to="verifying", actor=unit_admin_a)
    change = services.transition(
        change, to="completed", actor=unit_admin_a, verification_result="64G 识别正常"
    )
    change = services.apply_inventory(change, actor=unit_admin_a)
    server_a.refresh_from_db()
    assert server_a.attributes["memory_gb"] == 64
    event = (
        AuditEvent.objects.filter(object_type="cmdb.item", object_id=str(server_a.pk))
        .order_by("-pk")  # the last written (numbers come at sealing)
        .first()
    )
    assert change.code in event.comment
    client.force_login(unit_admin_a)
    page = client.get(reverse("cmdb:item-detail", args=[server_a.pk])).content.decode()
    assert f"{change.code} {change.title}" in page
    with pytest.raises(TransitionNotAllowed):
        services.apply_inventory(change, actor=unit_admin_a)


def test_the_calendar_shows_only_visible_changes_with_their_collisions(
    scheduled, unit_admin_a, unit_a, app_a, lead, leader_a, unit_admin_b, group_admin
):
    other = approve(
        services.transition(new_change(unit_admin_a, unit_a, [app_a]), to="submitted", actor=unit_admin_a),
        lead,
    )
    services.decide(other, actor=leader_a, decision="approved", scope="schedule")
    other = services.transition(other, to="scheduled", actor=unit_admin_a)
    start, end = (
        scheduled.planned_start - datetime.timedelta(days=1),
        scheduled.planned_end + datetime.timedelta(days=1),
    )
    data = schedule.calendar(unit_admin_a, start, end)
    assert {c.pk for c in data["changes"]} == {scheduled.pk, other.pk}
    assert data["collisions"][scheduled.pk] == [other.pk]
    assert schedule.calendar(unit_admin_b, start, end)["changes"] == []


# -- a window that went by ---------------------------------------------------------------------------


def test_an_approved_change_whose_window_went_by_gets_a_new_one(change, unit_admin_a, lead, app_a):
    change = approve(services.transition(change, to="submitted", actor=unit_admin_a), lead)
    with time_machine.travel(change.planned_end + datetime.timedelta(hours=1), tick=False):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.transition(change, to="scheduled", actor=unit_admin_a)
        assert refused.value.field == "planned_end"
        with pytest.raises(DomainError) as refused:  # another window already over is no better
            services.reschedule(
                change,
                actor=unit_admin_a,
                planned_start=change.planned_start,
                planned_end=change.planned_end,
            )
        assert refused.value.field == "planned_end"
        start, end = window(days=2)
        change = services.reschedule(change, actor=unit_admin_a, planned_start=start, planned_end=end)
        assert change.state == "approved" and (change.planned_start, change.planned_end) == (start, end)
        assert not change.windows.exists()  # an approved change holds no slot yet
        change = services.transition(change, to="scheduled", actor=unit_admin_a)
        assert services.active_window_for(app_a, start + datetime.timedelta(minutes=1)).change == change


def test_a_scheduled_change_given_back_after_its_window_is_rescheduled(scheduled, unit_admin_a):
    with time_machine.travel(scheduled.planned_end + datetime.timedelta(days=1), tick=False):
        change = services.transition(scheduled, to="approved", actor=unit_admin_a, comment="未能实施")
        start, end = window(days=1)
        change = services.reschedule(change, actor=unit_admin_a, planned_start=start, planned_end=end)
        assert services.transition(change, to="scheduled", actor=unit_admin_a).state == "scheduled"


def test_only_an_approved_or_scheduled_change_gets_a_new_window(change, unit_admin_a):
    start, end = window(days=2)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.reschedule(change, actor=unit_admin_a, planned_start=start, planned_end=end)
    assert refused.value.field == "state"


# -- rescheduling into a freeze or a collision -----------------------------------------------------


def _freeze_around(start, end, actor, reason="年终封网"):
    return services.create(
        FreezePeriod,
        actor=actor,
        starts_at=start - datetime.timedelta(hours=1),
        ends_at=end + datetime.timedelta(hours=1),
        reason=reason,
    )


def test_rescheduling_into_a_freeze_waits_for_the_leader_then_moves(
    scheduled, unit_admin_a, leader_a, lead, group_admin, app_a, unit_user_a
):
    old = (scheduled.planned_start, scheduled.planned_end)
    start, end = window(days=4)
    _freeze_around(start, end, group_admin)
    change = services.reschedule(scheduled, actor=unit_admin_a, planned_start=start, planned_end=end)
    change.refresh_from_db()
    assert change.state == "scheduled" and (change.planned_start, change.planned_end) == old
    assert (change.requested_start, change.requested_end) == (start, end)
    request = change.events.get(kind="reschedule_request")
    assert "年终封网" in request.comment
    inside_new = start + datetime.timedelta(minutes=1)
    assert services.active_window_for(app_a, inside_new) is None  # nothing moved yet
    with pytest.raises(PermissionDenied):
        services.decide(change, actor=lead, decision="approved", scope="schedule")
    notices = change.events.filter(kind="notice").count()
    change = services.decide(change, actor=leader_a, decision="approved", scope="schedule", comment="同意")
    change.refresh_from_db()
    assert (change.planned_start, change.planned_end) == (start, end)
    assert not change.reschedule_requested
    approval = change.approvals.get(scope="schedule")
    assert (approval.window_start, approval.window_end) == (start, end)
    assert services.active_window_for(app_a, inside_new).change == change
    assert services.active_window_for(app_a, old[0] + datetime.timedelta(minutes=1)) is None
    assert change.events.filter(kind="notice").count() == notices + 1  # the users are told again


def test_rescheduling_into_a_collision_refused_by_the_leader_stays_put(
    scheduled, unit_admin_a, unit_a, app_a, lead, leader_a
):
    start, end = window(days=6)
    blocker = new_change(unit_admin_a, unit_a, [app_a], planned_start=start, planned_end=end)
    blocker = to_scheduled(blocker, unit_admin_a, lead)
    old = (scheduled.planned_start, scheduled.planned_end)
    change = services.reschedule(scheduled, actor=unit_admin_a, planned_start=start, planned_end=end)
    assert change.reschedule_requested
    assert blocker.code in change.events.get(kind="reschedule_request").comment
    with pytest.raises(DomainError) as refused:
        services.decide(change, actor=leader_a, decision="rejected", scope="schedule")
    assert refused.value.field == "comment"
    change = services.decide(change, actor=leader_a, decision="rejected", scope="schedule", comment="冲突")
    change.refresh_from_db()
    assert (change.planned_start, change.planned_end) == old and not change.reschedule_requested
    assert change.events.filter(kind="reschedule_refused").exists()


def test_a_requested_window_that_went_by_cannot_be_approved(scheduled, unit_admin_a, leader_a, group_admin):
    start, end = window(days=3)
    _freeze_around(start, end, group_admin)
    change = services.reschedule(scheduled, actor=unit_admin_a, planned_start=start, planned_end=end)
    with (
        time_machine.travel(end + datetime.timedelta(hours=1), tick=False),
        pytest.raises(TransitionNotAllowed) as refused,
    ):
        services.decide(change, actor=leader_a, decision="approved", scope="schedule")
    assert refused.value.field == "planned_end"
    change.refresh_from_db()
    assert change.reschedule_requested and not change.approvals.filter(scope="schedule").exists()


def test_each_requested_window_needs_its_own_approval_and_beginning_the_work_drops_it(
    scheduled, unit_admin_a, leader_a, group_admin
):
    start, end = window(days=3)
    _freeze_around(start, end, group_admin)
    change = services.reschedule(scheduled, actor=unit_admin_a, planned_start=start, planned_end=end)
    change = services.decide(change, actor=leader_a, decision="approved", scope="schedule")
    assert change.planned_start == start
    later_start, later_end = start + datetime.timedelta(hours=1), end + datetime.timedelta(hours=1)
    change = services.reschedule(change, actor=unit_admin_a, planned_start=later_start, planned_end=later_end)
    assert change.reschedule_requested  # another window in the freeze needs its own approval
    change = services.transition(change, to="implementing", actor=unit_admin_a)
    assert not change.reschedule_requested  # the work began where it was: the request is moot
