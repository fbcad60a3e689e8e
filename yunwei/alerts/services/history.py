"""The one hook of an alert's state change, and the outbox through which what intake stored reaches
correlation."""

import datetime
import logging
import time

from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from yunwei.core import memo
from yunwei.incidents import signals
from yunwei.incidents.choices import SignalState
from yunwei.incidents.models import Signal

from ..choices import AlertChange, AlertStatus
from ..models import Alert, AlertEvent, PendingCorrelation


def alert_changed(
    alert: Alert,
    change: str,
    *,
    at: datetime.datetime,
    previous: str = "",
    actor=None,
    comment: str = "",
    **data,
) -> AlertEvent:
    """Called on every change of an alert's state: fired (first time or again), resolved, stale, a
    recovery with no problem before it, a mapping by hand.

    It records the change in the alert's state history and hands it to correlation (one incident per
    fault, docs/correlation.md): a firing alert placed on an item fires its signal — when it fires, or
    when someone maps it — and a resolved one resolves it. A repeat is not a change and never reaches it.

    The hand-over is the outbox, written in the caller's transaction: the worker correlates the change
    after the commit (`correlate_pending`), so the request (a sender's delivery, a person's mapping)
    answers without waiting on the chains of items that a storm's worker holds locked.
    """
    if change in STILL:
        PendingCorrelation.objects.create(alert=alert, change=change, at=at)
    event = _event(alert, change, at=at, previous=previous, actor=actor, comment=comment, **data)
    event.save(force_insert=True)
    return event


def alerts_created(alerts: list[Alert], *, at: datetime.datetime) -> None:
    """`alert_changed` for the new alerts of one delivery, stored together: their first
    change (fired, or a recovery with no problem before it) and the outbox, in two INSERTs."""
    changes = [(alert, first_change(alert)) for alert in alerts]
    AlertEvent.objects.bulk_create([_event(alert, change, at=at) for alert, change in changes])
    PendingCorrelation.objects.bulk_create(
        [
            PendingCorrelation(alert=alert, change=change, at=at)
            for alert, change in changes
            if change in STILL
        ]
    )


def first_change(alert: Alert) -> str:
    # A resolve never seen firing (a lost problem message, Zabbix out of order) is recorded, not refused.
    return AlertChange.FIRED if alert.status == AlertStatus.FIRING else AlertChange.RECOVERY_ONLY


def _event(alert: Alert, change: str, *, at, previous="", actor=None, comment="", **data) -> AlertEvent:
    to_state = alert.status if change != AlertChange.MAPPED else ""
    has_account = actor is not None and actor.pk is not None
    return AlertEvent(
        alert=alert,
        at=at,
        actor=actor if has_account else None,
        actor_name=actor.get_username() if has_account else "system",
        kind=change,
        from_state=previous if previous in AlertStatus.values and previous != to_state else "",
        to_state=to_state,
        comment=str(comment),
        data=data,
    )


def _correlate(alert: Alert, change: str, at: datetime.datetime) -> None:
    key = f"alert:{alert.pk}"
    if change in (AlertChange.FIRED, AlertChange.MAPPED):
        if alert.status == AlertStatus.FIRING and alert.item_id is not None:
            signal = signals.fire(source="alert", key=key, item=alert.item, at=at, summary=alert.name[:500])
            if signal.incident_id is not None and signal.incident_id != alert.incident_id:
                alert.incident_id = signal.incident_id
                Alert.objects.filter(pk=alert.pk).update(incident_id=signal.incident_id)
    elif change == AlertChange.RESOLVED:
        signals.resolve(source="alert", key=key, at=at)


logger = logging.getLogger(__name__)
# The changes that reach correlation, and what the alert's state must still be when its turn comes: a
# later delivery changed it otherwise, and its own change, later in the outbox, is the one that counts.
STILL = {
    AlertChange.FIRED: AlertStatus.FIRING,
    AlertChange.MAPPED: AlertStatus.FIRING,
    AlertChange.RESOLVED: AlertStatus.RESOLVED,
}
DRAIN_BATCH = 500
ASK_EVERY = 1.0  # seconds between two asks of one process
_asked_at = -ASK_EVERY


def ask_for_correlation() -> None:
    """Ask a worker to drain the outbox once the caller's transaction commits: at most once a second per
    process, so a storm of deliveries makes one task a second, not one each. What comes in after a drain
    began and before the next ask is taken by the scheduler's drain every few seconds
    (`CELERY_BEAT_SCHEDULE["alert-correlation"]`), which also covers an ask lost to a broker that is
    down: the alerts are committed, so that is logged and the sender still answered 2xx."""
    transaction.on_commit(_ask, robust=True)


def _ask() -> None:
    global _asked_at
    from ..tasks import correlate_alerts  # the tasks module imports the services

    now = time.monotonic()
    # Tasks run in-process (YUNWEI_TASKS_EAGER) means no scheduler takes the rest: every delivery drains.
    if now - _asked_at < ASK_EVERY and not correlate_alerts.app.conf.task_always_eager:
        return
    _asked_at = now
    correlate_alerts.delay()


def correlate_pending(batch: int = DRAIN_BATCH) -> int:
    """Drain the outbox in order, each change in its own short transaction; how many were correlated.

    Opening an incident runs the whole incidents service (grading, routing, notices, its audit event):
    in the request it would hold every sender's answer, and its failure would fail their delivery.
    Several workers may drain at once: each change is claimed with `SKIP LOCKED` and deleted with its
    correlation, so it is placed once; a worker killed midway leaves its change in the outbox for the
    next drain. One pass reads each change once, so a change that keeps failing (logged) holds up
    neither the drain nor the changes after it."""
    done, after = 0, 0
    while True:
        ids = list(
            PendingCorrelation.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        # What does not change in seconds is read once per batch: the settings, the dependency types, the
        # walks of the impact graph, the items with windows. A batch takes seconds; an edit of the
        # inventory or a window is seen by the next one.
        with memo.scope():
            for pk in ids:
                done += _correlate_one(pk)
        if len(ids) < batch:
            return done
        after = ids[-1]


def _correlate_one(pk: int) -> int:
    try:
        with transaction.atomic():
            pending = PendingCorrelation.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if pending is None:
                return 0  # another worker holds it, or has done it
            alert = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("item")
                .filter(pk=pending.alert_id)
                .first()
            )
            if alert is not None and alert.status == STILL[pending.change]:
                _correlate(alert, pending.change, pending.at)
            pending.delete()
        return 1
    except Exception:
        # A deadlock, a lost connection, a bug: the change stays in the outbox, the next drain tries again,
        # and the changes after it go on now.
        logger.exception("correlating alert change %s failed; the next drain tries again", pk)
        return 0


def _firing_signals_of_alert():
    """The firing signal of the outer query's alert (its key is `alert:<pk>`), as a subquery."""
    key = Concat(Value("alert:"), Cast(OuterRef("pk"), CharField()))
    return Signal.objects.filter(source="alert", key=key, state=SignalState.FIRING)


def link_incidents(since: datetime.datetime) -> int:
    """Point each alert seen since `since` at the incident its firing signal is in now, where that moved
    after the alert fired: a signal held by a window and placed when the window ended, or adopted by its
    root's incident. How many links changed."""
    placed = _firing_signals_of_alert().filter(incident__isnull=False)
    rows = (
        Alert.objects.filter(status=AlertStatus.FIRING, last_seen_at__gte=since)
        .annotate(now_in=Subquery(placed.values("incident_id")[:1]))
        .filter(now_in__isnull=False)
        .exclude(incident_id=F("now_in"))
        .values_list("pk", "now_in")
    )
    changed = 0
    for pk, incident_id in list(rows):
        changed += Alert.objects.filter(pk=pk).update(incident_id=incident_id)
    return changed
