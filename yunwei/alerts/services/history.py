"""The one hook of an alert's state change."""

import datetime

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

    For now it records the change in the alert's state history and nothing else: correlation (opening or
    joining an incident, folding, windows — issue 22, items 5–6) is not built yet and will hang off this
    one call. A repeat is not a change and never reaches it.
    """
    to_state = alert.status if change != AlertChange.MAPPED else ""
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
