"""The one hook of an alert's state change."""

import datetime

from yunwei.incidents import signals

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
    **data,
) -> AlertEvent:
    """Called on every change of an alert's state: fired (first time or again), resolved, stale, a
    recovery with no problem before it, a mapping by hand.

    It records the change in the alert's state history and hands it to correlation (one incident per
    fault, docs/correlation.md): a firing alert placed on an item fires its signal — when it fires, or
    when someone maps it — and a resolved one resolves it. A repeat is not a change and never reaches it.
    """
    to_state = alert.status if change != AlertChange.MAPPED else ""
    _correlate(alert, change, at)
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
