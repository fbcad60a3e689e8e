"""Changes suspected as the cause of an incident (Art. 18, our reading; docs/correlation.md): a change
that touched an item of the incident within the set time before it (its maintenance window on the item
ended, or the change finished, at most `suspect_hours` before; or the window is still open) is linked to
the incident, shown on both pages and in the change's review."""

import datetime

from django.db.models import Q

from yunwei.changes.models import Change, MaintenanceWindow
from yunwei.core import memo

from ..choices import EventKind
from ..models import CorrelationSettings, Incident
from .common import add_event


def correlation_settings() -> CorrelationSettings:
    """The one row of settings, created with the defaults when missing."""
    row = CorrelationSettings.objects.filter(pk=1).first()
    if row is None:
        row, _created = CorrelationSettings.objects.get_or_create(pk=1)
    return row


def settings_in_force() -> CorrelationSettings:
    """The settings to read (never to write): once per unit of work (a delivery of alerts correlates
    each of its alerts with them; yunwei.core.memo)."""
    return memo.remember("incidents.correlation_settings", correlation_settings)


def suspected_for(
    item_ids, at: datetime.datetime, until: datetime.datetime | None = None, hours: int | None = None
) -> list[int]:
    """Ids of the changes that touched one of the items within `hours` before the fault began at `at`,
    or while it went on until `until` (it was reported then), oldest first."""
    item_ids = [int(pk) for pk in item_ids]
    if not item_ids:
        return []
    hours = settings_in_force().suspect_hours if hours is None else hours
    since = at - datetime.timedelta(hours=hours)
    at = max(at, until or at)
    through_windows = MaintenanceWindow.objects.filter(
        item_id__in=item_ids, starts_at__lte=at, ends_at__gte=since
    ).values("change_id")
    finished = Change.objects.filter(
        affected_items__in=item_ids, finished_at__gte=since, finished_at__lte=at
    ).values("pk")
    return list(
        Change.objects.filter(Q(pk__in=through_windows) | Q(pk__in=finished))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def link_suspects(incident: Incident, change_ids, *, why: str) -> list[int]:
    """Link the changes to the incident as suspected causes, each once, on its timeline; the ids added."""
    have = set(incident.suspected_changes.values_list("pk", flat=True))
    added = [pk for pk in dict.fromkeys(change_ids) if pk not in have]
    if not added:
        return []
    incident.suspected_changes.add(*added)
    for pk in added:
        add_event(incident, EventKind.SUSPECT, actor=None, change=pk, code=f"CHG{pk:06d}", why=why)
    return added


def link_recent_changes(incident: Incident, items) -> list[int]:
    """Link the changes that touched the incident's items shortly before it began, or since."""
    ids = suspected_for([item.pk for item in items], incident.started_at, incident.reported_at)
    return link_suspects(incident, ids, why="recent_change")
