"""Correlation of monitoring's signals onto incidents (docs/correlation.md): one incident per fault, in
"to confirm", folded along the inventory, held back inside change windows and placed again after."""

import datetime

import pytest
from django.utils import timezone

from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.incidents import services, signals
from yunwei.incidents.choices import ClosedAs, EventKind, ImpactScope, Source, State
from yunwei.incidents.models import Incident, Signal
from yunwei.incidents.services import correlation
from yunwei.incidents.tasks import sweep_windows
from yunwei.notify.models import Delivery
from yunwei.notify.models import Notice as NotifyNotice

from .topology import depends, item, window

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


@pytest.fixture
def net(unit_a, group_admin, team_a):
    """A switch; a server behind it; the OA application on the server (OA → SRV → SW)."""
    sw = item(unit_a, "switch", "SW1", actor=group_admin, owner_team=team_a)
    srv = item(unit_a, "server", "SRV1", actor=group_admin, owner_team=team_a)
    oa = item(unit_a, "oa-application", "OA1", actor=group_admin, owner_team=team_a)
    depends(srv, sw, actor=group_admin, type_code="connected-via")
    depends(oa, srv, actor=group_admin)
    return {"sw": sw, "srv": srv, "oa": oa}


def monitoring_incidents():
    return Incident.objects.filter(source=Source.MONITORING)


# -- one signal, one incident ---------------------------------------------------------------------


def test_a_fire_opens_one_incident_to_confirm_with_the_timers_from_the_first_signal(net, team_a):
    signal = signals.fire(source="check", key="check:1", item=net["srv"], at=minutes(0), summary="ping down")
    incident = signal.incident
    assert incident is not None and monitoring_incidents().count() == 1
    assert incident.state == State.TO_CONFIRM
    assert incident.source == Source.MONITORING
    assert incident.reporter is None
    assert list(incident.affected_items.all()) == [net["srv"]]
    assert incident.team == team_a
    # The timers run from the first signal, not from the moment the row was written.
    assert incident.started_at == incident.reported_at == minutes(0)
    target = services.timers(incident, now=minutes(10))
    assert target.total == datetime.timedelta(minutes=10)
    assert incident.acknowledge_due_at is not None and incident.acknowledge_due_at > minutes(0)
    assert incident.acknowledge_due_at - minutes(0) == incident.acknowledge_due_at - incident.started_at
    # Its grade follows from the scope the impact analysis reaches: the OA application depends on it.
    assert incident.impact_scope == ImpactScope.ONE_UNIT
    reported = incident.events.get(kind=EventKind.REPORTED)
    assert reported.to_state == State.TO_CONFIRM and reported.actor_name == "system"


def test_the_incident_monitoring_opens_is_told_as_a_reported_one(net, unit_a):
    from yunwei.org.choices import Role

    from ..conftest import make_user

    member = make_user("a-tech", unit_a, Role.TECH_STAFF)
    signal = signals.fire(source="alert", key="am:1", item=net["sw"], at=minutes(0))
    told = NotifyNotice.objects.filter(event_key=f"incident:{signal.incident_id}:reported")
    assert told.exists(), "the Art. 13 flow tells the staff of a new fault"
    assert member  # the unit's technical staff are its recipients when the team has nobody with an account


def test_a_repeat_changes_nothing_but_the_last_seen_time(net):
    first = signals.fire(source="check", key="check:1", item=net["srv"], at=minutes(0), summary="down")
    before = Incident.objects.get(pk=first.incident_id)
    again = signals.fire(source="check", key="check:1", item=net["srv"], at=minutes(3), summary="other")
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.last_at == minutes(3) and again.first_at == minutes(0) and again.summary == "down"
    assert Signal.objects.count() == 1 and monitoring_incidents().count() == 1
    after = Incident.objects.get(pk=first.incident_id)
    assert after.version == before.version and after.events.count() == before.events.count()


def test_a_signal_on_an_item_of_another_topology_opens_its_own_incident(net, unit_a, group_admin):
    other = item(unit_a, "server", "SRV9", actor=group_admin)
    a = signals.fire(source="check", key="c:a", item=net["srv"], at=minutes(0))
    b = signals.fire(source="check", key="c:b", item=other, at=minutes(1))
    assert a.incident_id != b.incident_id


def test_bad_input_names_the_field(net):
    with pytest.raises(DomainError) as caught:
        signals.fire(source="syslog", key="x", item=net["srv"])
    assert caught.value.field == "source"
    with pytest.raises(DomainError) as caught:
        signals.fire(source="check", key=" ", item=net["srv"])
    assert caught.value.field == "key"
    with pytest.raises(DomainError) as caught:
        signals.fire(source="check", key="x", item=None)
    assert caught.value.field == "item"
    assert not Signal.objects.exists()


# -- folding --------------------------------------------------------------------------------------


def test_a_child_after_its_root_folds_into_the_roots_incident(net):
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(0))
    child = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(2))
    grandchild = signals.fire(source="check", key="oa", item=net["oa"], at=minutes(4))
    assert child.incident_id == grandchild.incident_id == root.incident_id
    assert child.folded_under == root and grandchild.folded_under == root
    assert monitoring_incidents().count() == 1
    listed = [s.key for s in correlation.incident_signals(root.incident)]
    assert listed == ["sw", "srv", "oa"]


def test_a_child_after_the_fold_window_opens_its_own_incident(net):
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(0))
    late = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(16))
    assert late.incident_id != root.incident_id


def test_the_fold_window_is_editable_by_a_group_admin(net, group_admin, unit_admin_a):
    from yunwei.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        correlation.update_settings(actor=unit_admin_a, fold_window_minutes=30)
    with pytest.raises(DomainError) as caught:
        correlation.update_settings(actor=group_admin, fold_window_minutes=0)
    assert caught.value.field == "fold_window_minutes"
    correlation.update_settings(actor=group_admin, fold_window_minutes=30)
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(0))
    late = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(16))
    assert late.incident_id == root.incident_id


def test_a_root_after_its_children_adopts_their_incidents_linked_both_ways(net):
    srv = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    oa = signals.fire(source="check", key="oa", item=net["oa"], at=minutes(0.5))
    assert oa.incident_id == srv.incident_id  # the server is already the root of the application
    child_incident = Incident.objects.get(pk=srv.incident_id)
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(1))
    assert root.incident_id != child_incident.pk
    child_incident.refresh_from_db()
    assert child_incident.state == State.CLOSED
    assert child_incident.closed_as == ClosedAs.MERGED
    assert child_incident.merged_into_id == root.incident_id
    assert list(root.incident.merged.all()) == [child_incident]
    moved = Signal.objects.filter(key__in=["srv", "oa"])
    assert {s.incident_id for s in moved} == {root.incident_id}
    assert Signal.objects.get(key="srv").folded_under == root
    assert root.incident.events.filter(kind=EventKind.MERGED, data__merged=child_incident.pk).exists()
    closing = child_incident.events.get(to_state=State.CLOSED)
    assert root.incident.code in closing.comment


def test_a_signal_after_the_roots_incident_closed_opens_a_new_incident_referring_to_it(net, unit_admin_a):
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(0))
    services.transition(
        root.incident, to=State.CLOSED, actor=unit_admin_a, false_alarm_reason="端口抖动，已自动恢复"
    )
    child = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(3))
    assert child.incident_id != root.incident_id
    assert child.incident.follows_id == root.incident_id
    assert child.incident.state == State.TO_CONFIRM


def test_resolve_resolves_each_folded_signal_and_leaves_the_incident(net):
    root = signals.fire(source="alert", key="sw", item=net["sw"], at=minutes(0))
    child = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(1))
    done = signals.resolve(source="check", key="srv", at=minutes(5))
    assert done.pk == child.pk and done.state == "resolved" and done.resolved_at == minutes(5)
    assert Signal.objects.get(pk=root.pk).state == "firing"
    assert Incident.objects.get(pk=root.incident_id).state == State.TO_CONFIRM
    assert (
        signals.resolve(source="check", key="srv", at=minutes(6)) is None
    )  # nothing fires: recorded, no error
    again = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(7))
    assert again.pk != child.pk and again.incident_id == root.incident_id


# -- windows --------------------------------------------------------------------------------------


def test_a_signal_inside_a_window_is_recorded_suppressed_with_no_incident_and_no_notice(net, unit_a):
    change = window(unit_a, [net["srv"]], minutes(-10), minutes(30))
    notices_before = NotifyNotice.objects.count()
    signal = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    assert signal.incident is None
    assert signal.suppressed_by == change
    assert not Incident.objects.exists()
    assert NotifyNotice.objects.count() == notices_before


def test_at_the_windows_end_a_signal_still_failing_opens_an_incident_with_the_change_as_suspect(net, unit_a):
    change = window(unit_a, [net["srv"], net["oa"]], minutes(-10), minutes(30))
    srv = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    oa = signals.fire(source="check", key="oa", item=net["oa"], at=minutes(1))
    assert correlation.recheck_windows(minutes(29)) == 0  # still inside the window
    assert correlation.recheck_windows(minutes(31)) == 2
    srv.refresh_from_db()
    oa.refresh_from_db()
    # The root is placed first, so the application folds under it: one incident, not two.
    assert srv.incident_id == oa.incident_id and oa.folded_under_id == srv.pk
    incident = srv.incident
    assert incident.state == State.TO_CONFIRM
    assert list(incident.suspected_changes.all()) == [change]
    assert list(change.suspected_incidents.all()) == [incident]
    assert incident.started_at == minutes(0) and incident.reported_at == minutes(31)


def test_a_resolve_during_a_window_is_not_suppressed(net, unit_a):
    window(unit_a, [net["srv"]], minutes(-10), minutes(30))
    signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    done = signals.resolve(source="check", key="srv", at=minutes(5))
    assert done.state == "resolved" and done.resolved_at == minutes(5)
    assert correlation.recheck_windows(minutes(31)) == 0
    assert not Incident.objects.exists()


def test_the_windows_sweep_tells_the_team_of_its_start_and_end(net, unit_a, team_a):
    from yunwei.org.choices import Role
    from yunwei.org.models import Person

    from ..conftest import make_user

    member = make_user("a-member", unit_a, Role.TECH_STAFF)
    Person.objects.filter(account=member).update(team=team_a)
    make_user("a-tech", unit_a, Role.TECH_STAFF)  # not of the items' team: not told
    now = timezone.now()
    change = window(
        unit_a, [net["srv"]], now - datetime.timedelta(minutes=1), now + datetime.timedelta(hours=1)
    )
    sweep_windows.delay()
    start = NotifyNotice.objects.filter(event_key__startswith=f"change:{change.pk}:window:start:")
    assert start.count() == 1
    assert "SRV1" in start.get().body_zh and "SRV1" in start.get().body_en
    told = set(Delivery.objects.filter(notice=start.get()).values_list("recipient", flat=True))
    assert told == {"a-member@example.cn"}
    sweep_windows.delay()
    assert start.count() == 1  # told once
    change.windows.update(ends_at=now - datetime.timedelta(seconds=1))
    sweep_windows.delay()
    assert NotifyNotice.objects.filter(event_key__startswith=f"change:{change.pk}:window:end:").count() == 1


def test_an_incident_soon_after_a_change_touched_its_item_names_the_change(net, unit_a, unit_user_a):
    change = window(unit_a, [net["srv"]], minutes(-120), minutes(-60))
    old = window(unit_a, [net["srv"]], minutes(-3000), minutes(-2000), title="旧变更")
    signal = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    assert list(signal.incident.suspected_changes.all()) == [change]
    assert old not in signal.incident.suspected_changes.all()
    # A fault reported by hand on that item is linked as well.
    manual = services.report(
        actor=unit_user_a,
        unit=unit_a,
        title="打不开",
        affected_items=[net["srv"]],
        now=minutes(5),
        started_at=minutes(4),
    )
    assert list(manual.suspected_changes.all()) == [change]


# -- confirm or false alarm -----------------------------------------------------------------------


def test_confirming_acknowledges_by_the_same_rules(net, unit_admin_a, unit_user_a):
    signal = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    with pytest.raises(Exception) as caught:
        services.transition(signal.incident, to=State.ACKNOWLEDGED, actor=unit_user_a)
    assert "system staff" in str(caught.value)
    incident = services.transition(signal.incident, to=State.ACKNOWLEDGED, actor=unit_admin_a, now=minutes(7))
    assert incident.state == State.ACKNOWLEDGED and incident.acknowledged_at == minutes(7)
    assert services.timers(incident, now=minutes(8)).to_acknowledge == datetime.timedelta(minutes=7)


def test_a_false_alarm_needs_its_reason(net, unit_admin_a):
    signal = signals.fire(source="check", key="srv", item=net["srv"], at=minutes(0))
    with pytest.raises(TransitionNotAllowed) as caught:
        services.transition(signal.incident, to=State.CLOSED, actor=unit_admin_a, false_alarm_reason="  ")
    assert caught.value.field == "false_alarm_reason"
    incident = Incident.objects.get(pk=signal.incident_id)
    assert incident.state == State.TO_CONFIRM
    closed = services.transition(incident, to=State.CLOSED, actor=unit_admin_a, false_alarm_reason="探针误报")
    assert closed.closed_as == ClosedAs.FALSE_ALARM and closed.false_alarm_reason == "探针误报"


def test_only_an_incident_to_confirm_is_closed_as_a_false_alarm(net, unit_admin_a, incident):
    services.transition(incident, to=State.ACKNOWLEDGED, actor=unit_admin_a)
    with pytest.raises(DomainError) as caught:
        services.transition(incident, to=State.CLOSED, actor=unit_admin_a, false_alarm_reason="x")
    assert caught.value.field in ("to", "false_alarm_reason")
