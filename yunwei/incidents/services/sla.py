"""SLA breach warnings (Art. 13: 尽快恢复系统运行): an open incident past its acknowledge or restore
deadline is put on its timeline and told to the people who must act, once per deadline.

The sweep is Healthchecks' `sendalerts`: read the candidates from the stored deadlines (indexed), then
claim each with a conditional update whose row count says whether this worker won. Several workers
sweeping at once warn each deadline once; an incident acknowledged or restored between the read and the
claim is not warned, because the claim re-checks the moment the step was made.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yunwei.audit import services as audit

from ..choices import OPEN_STATES, Deadline, EventKind
from ..models import Incident
from .common import add_event
from .notices import tell_of_breach

# deadline → (its due field, the moment that meets it, the marker of the warning)
DEADLINE_FIELDS: dict[str, tuple[str, str, str]] = {
    Deadline.ACKNOWLEDGE: ("acknowledge_due_at", "acknowledged_at", "acknowledge_warned_at"),
    Deadline.RESTORE: ("restore_due_at", "restored_at", "restore_warned_at"),
}


def _breached(deadline: str, now: datetime.datetime) -> dict:
    due, met, marker = DEADLINE_FIELDS[deadline]
    return {f"{due}__lt": now, f"{met}__isnull": True, f"{marker}__isnull": True, "state__in": OPEN_STATES}


def breach_candidates(now: datetime.datetime | None = None, limit: int = 1000) -> list[tuple[int, str]]:
    """(incident id, deadline) of open incidents past a deadline not met and not yet warned of."""
    now = now or timezone.now()
    candidates = []
    for deadline in DEADLINE_FIELDS:
        due = DEADLINE_FIELDS[deadline][0]
        ids = Incident.objects.filter(**_breached(deadline, now)).order_by(due).values_list("pk", flat=True)
        candidates += [(pk, deadline) for pk in ids[:limit]]
    return candidates


@transaction.atomic
def warn_breach(incident_id: int, deadline: str, *, now: datetime.datetime | None = None) -> bool:
    """Claim the warning of one missed deadline and give it: a timeline entry, an audit event and one
    notice. False when the deadline is met, not yet passed, or already warned of (by any worker)."""
    now = now or timezone.now()
    _due, _met, marker = DEADLINE_FIELDS[deadline]
    claimed = Incident.objects.filter(pk=incident_id, **_breached(deadline, now)).update(
        **{marker: now}, version=F("version") + 1, updated_at=now
    )
    if claimed != 1:
        return False
    incident = Incident.objects.select_related("unit", "assignee").get(pk=incident_id)
    due_at = getattr(incident, DEADLINE_FIELDS[deadline][0])
    add_event(incident, EventKind.SLA_BREACH, actor=None, at=now, deadline=deadline, due_at=due_at)
    audit.record("update", actor=None, obj=incident, after={marker: now, "deadline": deadline})
    tell_of_breach(incident, deadline, due_at=due_at)
    return True
