"""The one hook of an alert's state change, and the correlation of what intake stored."""

import datetime
import logging

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from yunwei.core import memo
from yunwei.incidents import signals
from yunwei.incidents.choices import SignalState
from yunwei.incidents.models import Signal

from ..choices import AlertChange, AlertStatus
from ..models import Alert, AlertEvent


def alert_changed(
    alert: Alert,
    change: str,
    *,
    at: datetime.datetime,
    previous: str = "",
    actor=None,
    comment: str = "",
    later: list | None = None,
    **data,
) -> AlertEvent:
    """Called on every change of an alert's state: fired (first time or again), resolved, stale, a
    recovery with no problem before it, a mapping by hand.

    It records the change in the alert's state history and hands it to correlation (one incident per
    fault, docs/correlation.md): a firing alert placed on an item fires its signal — when it fires, or
    when someone maps it — and a resolved one resolves it. A repeat is not a change and never reaches it.

    `later`: intake collects the correlations there, to run each in its own transaction once the alerts
    are committed (`correlate_stored`), instead of in the request's.
    """
    to_state = alert.status if change != AlertChange.MAPPED else ""
    if later is None:
        _correlate(alert, change, at)
    elif change in (AlertChange.FIRED, AlertChange.RESOLVED):
        later.append((alert.pk, change, at))
    return AlertEvent.objects.create(
        alert=alert,
        at=at,
        actor=actor if actor is not None and actor.pk is not None else None,
        actor_name=actor.get_username() if actor is not None and actor.pk is not None else "system",
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
# What the alert's state must still be for a change to be correlated after intake's commit: a later
# delivery changed it otherwise, and its own correlation follows.
STILL = {AlertChange.FIRED: AlertStatus.FIRING, AlertChange.RESOLVED: AlertStatus.RESOLVED}


def correlate_stored(pending: list[tuple[int, str, datetime.datetime]]) -> None:
    """Correlate the changes intake committed, each in its own short transaction.

    An incident that monitoring opens is audited, and the audit chain's head is locked until the commit:
    inside the intake's transaction a batch of fifty alerts would hold it for the whole batch, and every
    other delivery and every person's audited write would queue behind it. Here each change holds it only
    while its own incident opens. A change that fails is logged and left to `sweep_uncorrelated`: the
    alerts are stored, and the sender is answered either way."""
    with memo.scope():
        for pk, change, at in pending:
            _correlate_one(pk, change, at)


def _correlate_one(pk: int, change: str, at: datetime.datetime) -> None:
    try:
        with transaction.atomic():
            alert = Alert.objects.select_for_update(of=("self",)).select_related("item").filter(pk=pk).first()
            if alert is not None and alert.status == STILL[change]:
                _correlate(alert, change, at)
    except Exception:
        logger.exception("correlating alert %s (%s) failed; the sweep will try again", pk, change)


def _firing_signals_of_alert():
    """The firing signal of the outer query's alert (its key is `alert:<pk>`), as a subquery."""
    key = Concat(Value("alert:"), Cast(OuterRef("pk"), CharField()))
    return Signal.objects.filter(source="alert", key=key, state=SignalState.FIRING)


def _firing_signal_of_alert():
    return Exists(_firing_signals_of_alert())


def uncorrelated(before: datetime.datetime, since: datetime.datetime):
    """(firing alerts on an item with no firing signal, resolved alerts whose signal still fires), among
    the alerts seen between `since` and `before`: what a worker killed between intake's commit and the
    correlation left behind."""
    recent = Alert.objects.filter(last_seen_at__gte=since, last_seen_at__lt=before)
    unfired = recent.filter(status=AlertStatus.FIRING, item__isnull=False).filter(~_firing_signal_of_alert())
    unresolved = recent.filter(status=AlertStatus.RESOLVED).filter(_firing_signal_of_alert())
    return unfired, unresolved


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


def sweep_uncorrelated(now: datetime.datetime, since: datetime.datetime, before: datetime.datetime) -> int:
    """Correlate what `uncorrelated` finds, each firing alert at the moment it last fired, then bring the
    alerts' incident links up to date; how many alerts were correlated."""
    unfired, unresolved = uncorrelated(before, since)
    pending = []
    for alert in unfired.only("pk"):
        fired = (
            alert.events.filter(kind=AlertChange.FIRED).order_by("-at").values_list("at", flat=True).first()
        )
        pending.append((alert.pk, AlertChange.FIRED, fired or now))
    pending += [(pk, AlertChange.RESOLVED, now) for pk in unresolved.values_list("pk", flat=True)]
    correlate_stored(pending)
    link_incidents(since)
    return len(pending)
