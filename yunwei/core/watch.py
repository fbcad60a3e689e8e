"""Is the background machinery running? The scheduler's and the workers' heartbeats, read (Art. 3).

The scheduler leaves a `SchedulerHeartbeat` each time it sends the heartbeat task (`yunwei.core.beat`);
a worker leaves a `WorkerHeartbeat` when it runs it. A part is late when its last heartbeat is more than
two ticks (two periods of that task) old. A part that never left a heartbeat is not judged: the watch
starts with its first one (a checkout run without its background processes, or a test, is not an outage).

`state()` is one query (the two watch alarms, each with the newest heartbeat of both kinds by their
indexed time); `cached_state()` keeps it a few seconds, so a page costs one query at most. The claims
are conditional updates of the alarm row: whoever flips it first tells, so an outage and its recovery
are told once whichever process notices.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Subquery
from django.utils import timezone

from .models import SchedulerHeartbeat, WatchAlarm, WatchedPart, WorkerHeartbeat

TICK = datetime.timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["schedule"])
LATE_AFTER_TICKS = 2
CACHE_KEY = "yunwei.core.watch.state"
CACHE_SECONDS = 10


@dataclass(frozen=True)
class PartState:
    part: str
    last_seen: datetime.datetime | None
    # Set when an outage of this part was claimed (and told); cleared when its recovery was.
    down_since: datetime.datetime | None
    late: bool


def is_late(last_seen: datetime.datetime | None, now: datetime.datetime) -> bool:
    return last_seen is not None and now - last_seen > LATE_AFTER_TICKS * TICK


def _newest(model) -> Subquery:
    return Subquery(model.objects.order_by("-at").values("at")[:1])


def state(now: datetime.datetime | None = None) -> dict[str, PartState]:
    """Each watched part's last heartbeat, whether it is late now and whether its outage was told."""
    now = now or timezone.now()
    rows = list(
        WatchAlarm.objects.annotate(
            scheduler_at=_newest(SchedulerHeartbeat), worker_at=_newest(WorkerHeartbeat)
        ).values("part", "down_since", "scheduler_at", "worker_at")
    )
    if len(rows) < len(WatchedPart.values):  # the alarms ship with the migration; a flushed database
        WatchAlarm.objects.bulk_create(
            [WatchAlarm(part=part) for part in WatchedPart.values], ignore_conflicts=True
        )
        return state(now)
    result = {}
    for row in rows:
        last_seen = row[f"{row['part']}_at"]
        result[row["part"]] = PartState(row["part"], last_seen, row["down_since"], is_late(last_seen, now))
    return result


def cached_state() -> dict[str, PartState]:
    """`state()`, kept for CACHE_SECONDS (per process, in Django's cache)."""
    found = cache.get(CACHE_KEY)
    if found is None:
        found = state()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return found


def late_parts(states: dict[str, PartState]) -> list[PartState]:
    """The late parts, the scheduler first."""
    return [states[part] for part in WatchedPart.values if part in states and states[part].late]


def claim_outage(part: str, since: datetime.datetime) -> bool:
    """Mark `part` as down since `since` unless it already is; True for the one caller who did."""
    claimed = WatchAlarm.objects.filter(part=part, down_since__isnull=True).update(down_since=since)
    cache.delete(CACHE_KEY)
    return claimed == 1


def claim_recovery(part: str, down_since: datetime.datetime) -> bool:
    """Clear the outage of `part` that began at `down_since`; True for the one caller who did."""
    claimed = WatchAlarm.objects.filter(part=part, down_since=down_since).update(down_since=None)
    cache.delete(CACHE_KEY)
    return claimed == 1
