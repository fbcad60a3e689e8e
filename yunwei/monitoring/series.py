"""A check's chart data (Art. 3): its state over time and its latency, for the last 24 hours from the raw
results, or 7, 30 and 90 days from the hourly and daily roll-ups. Read only; compact arrays with a bounded
number of points whatever the interval (24 h at a 10 s interval is 8,640 results, drawn as 1,440 minutes).

The seconds and the availability use the one formula of docs/probes.md ("Availability"): the raw results
go through `rollups.summarise`, the ranges of roll-ups sum the roll-ups' own seconds.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.core.errors import DomainError

from .choices import ResultStatus, RollupPeriod
from .models import Check, CheckResult, CheckRollup
from .services import rollups

# A bucket's state: the worst thing seen in it. Down beats up (an outage is never hidden by a success in
# the same minute), up beats unknown (the probe could judge at least once); no result covering the bucket
# is "none" (no data: silence is never health).
STATES = ("down", "up", "unknown", "maintenance", "none")
# Shown for a bucket with both up and down time in it (a short outage, or a flapping target).
PARTIAL = "partial"


@dataclass(frozen=True)
class Range:
    span: datetime.timedelta
    resolution: str  # "minute" (raw results), "hour" or "day" (roll-ups)


RANGES = {
    "24h": Range(datetime.timedelta(hours=24), "minute"),
    "7d": Range(datetime.timedelta(days=7), RollupPeriod.HOUR),
    "30d": Range(datetime.timedelta(days=30), RollupPeriod.HOUR),
    "90d": Range(datetime.timedelta(days=90), RollupPeriod.DAY),
}
MINUTE = datetime.timedelta(minutes=1)


def range_of(value) -> str:
    value = value or "24h"
    if value not in RANGES:
        raise DomainError(
            _("Choose a range among %(ranges)s.") % {"ranges": ", ".join(RANGES)},
            field="range",
        )
    return value


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _runs(buckets: list[tuple[datetime.datetime, str, float | None]], step: datetime.timedelta) -> list:
    """Consecutive buckets of one state merged into [from_ms, to_ms, state] segments."""
    segments = []
    for start, state, _latency in buckets:
        end = _ms(_next(start, step))
        if segments and segments[-1][2] == state and segments[-1][1] == _ms(start):
            segments[-1][1] = end
        else:
            segments.append([_ms(start), end, state])
    return segments


def _worst(states: set[str]) -> str:
    if {"up", "down"} <= states:
        return PARTIAL
    return next((state for state in STATES if state in states), "none")


def _raw(check: Check, start: datetime.datetime, end: datetime.datetime) -> tuple[list, dict]:
    """Minute buckets over [start, end) from the raw results, and the range's seconds by state."""
    interval = datetime.timedelta(seconds=check.interval)
    rows = list(
        CheckResult.objects.filter(active_check=check, at__gte=start - interval, at__lt=end)
        .order_by("at", "id")
        .values_list("at", "status", "latency_ms")
    )
    count = int((end - start) / MINUTE)
    seen: list[set[str]] = [set() for _ in range(count)]
    latency_sum = [0.0] * count
    latency_count = [0] * count
    for index, (at, status, latency) in enumerate(rows):
        following = rows[index + 1][0] if index + 1 < len(rows) else end
        cover_end = min(following, at + interval, end)
        first = max(0, int((max(at, start) - start) / MINUTE))
        last = min(count - 1, int((cover_end - start - datetime.timedelta(microseconds=1)) / MINUTE))
        for bucket in range(first, last + 1):
            seen[bucket].add(status)
        if at >= start and status == ResultStatus.UP and latency is not None:
            bucket = min(count - 1, int((at - start) / MINUTE))
            latency_sum[bucket] += latency
            latency_count[bucket] += 1
    buckets = [
        (
            start + MINUTE * index,
            _worst(seen[index]),
            round(latency_sum[index] / latency_count[index], 1) if latency_count[index] else None,
        )
        for index in range(count)
    ]
    maintenance = rollups._maintenance_of({check.pk: check.item_id}, start, end)[check.pk]
    summary = rollups.summarise(rows, interval=check.interval, start=start, end=end, maintenance=maintenance)
    return buckets, summary


def _state_of_rollup(row) -> str:
    if row.down_seconds > 0 and row.up_seconds > 0:
        return PARTIAL
    if row.down_seconds > 0:
        return "down"
    if row.up_seconds > 0:
        return "up"
    if row.unknown_seconds > 0:
        return "unknown"
    if row.maintenance_seconds > 0:
        return "maintenance"
    return "none"


def _rolled(check: Check, period: str, start, end, now) -> tuple[list, dict]:
    """Hour or day buckets over [start, end) from the roll-ups; the hours not rolled up yet (the roll-up
    task writes closed hours every 15 minutes) are summed from the raw results here."""
    step = rollups.HOUR if period == RollupPeriod.HOUR else rollups.DAY
    rows = {
        row.start: row
        for row in CheckRollup.objects.filter(
            active_check=check, period=period, start__gte=start, start__lt=end
        )
    }
    if period == RollupPeriod.HOUR:
        latest = max(rows, default=start - step)
        moment = max(latest + step, end - datetime.timedelta(hours=3))
        while moment < end:
            if moment not in rows:
                fresh = _rollup_from_raw(check, moment, min(moment + step, now))
                if fresh is not None:
                    rows[moment] = fresh
            moment += step
    buckets, moment = [], start
    summary = dict.fromkeys(("up_seconds", "down_seconds", "unknown_seconds", "maintenance_seconds"), 0.0)
    summary["no_data_seconds"] = 0.0
    while moment < end:
        row, following = rows.get(moment), _next(moment, step)
        # The part of the current hour or day still to come is no time without data: it has not been.
        future = max(0.0, (following - max(moment, now)).total_seconds())
        if row is None:
            buckets.append((moment, "none", None))
            summary["no_data_seconds"] += max(0.0, (following - moment).total_seconds() - future)
        else:
            mean = row.latency_mean_ms
            buckets.append((moment, _state_of_rollup(row), round(mean, 1) if mean is not None else None))
            for name in summary:
                summary[name] += getattr(row, name)
            if row.pk is not None:  # a stored row of the current day counts the rest of the day as no data
                summary["no_data_seconds"] -= min(row.no_data_seconds, future)
        moment = following
    return buckets, summary


def _next(moment: datetime.datetime, step: datetime.timedelta) -> datetime.datetime:
    """The next hour or the next local day (a day is not always 24 hours where the clocks change)."""
    if step == rollups.DAY:
        return rollups.day_of(moment + step + datetime.timedelta(hours=12))
    return moment + step


def _rollup_from_raw(check: Check, start, end) -> CheckRollup | None:
    interval = datetime.timedelta(seconds=check.interval)
    results = list(
        CheckResult.objects.filter(active_check=check, at__gte=start - interval, at__lt=end)
        .order_by("at", "id")
        .values_list("at", "status", "latency_ms")
    )
    if not results:
        return None
    maintenance = rollups._maintenance_of({check.pk: check.item_id}, start, end)[check.pk]
    fields = rollups.summarise(
        results, interval=check.interval, start=start, end=end, maintenance=maintenance
    )
    return CheckRollup(active_check=check, period=RollupPeriod.HOUR, start=start, **fields)


def series(check: Check, range_name: str, now: datetime.datetime | None = None) -> dict:
    """The chart data of `check` over the named range ending now (`range_of` names a bad range)."""
    chosen = RANGES[range_of(range_name)]
    now = now or timezone.now()
    if chosen.resolution == "minute":
        end = now.replace(second=0, microsecond=0) + MINUTE
        start = end - chosen.span
        step = MINUTE
        buckets, summary = _raw(check, start, end)
    elif chosen.resolution == RollupPeriod.HOUR:
        end = rollups.hour_of(now) + rollups.HOUR
        start = end - chosen.span
        step = rollups.HOUR
        buckets, summary = _rolled(check, RollupPeriod.HOUR, start, end, now)
    else:
        end = rollups.day_of(now) + rollups.DAY
        start = rollups.day_of(end - chosen.span + datetime.timedelta(hours=12))
        step = rollups.DAY
        buckets, summary = _rolled(check, RollupPeriod.DAY, start, end, now)
    judged = summary["up_seconds"] + summary["down_seconds"]
    return {
        "check": check.pk,
        "range": range_name or "24h",
        "resolution": str(chosen.resolution),
        "from": _ms(start),
        "to": _ms(end),
        "states": _runs(buckets, step),
        "latency": [[_ms(moment), latency] for moment, _state, latency in buckets],
        "seconds": {
            "up": round(summary["up_seconds"]),
            "down": round(summary["down_seconds"]),
            "unknown": round(summary["unknown_seconds"]),
            "maintenance": round(summary["maintenance_seconds"]),
            "no_data": round(summary["no_data_seconds"]),
        },
        "availability": round(100.0 * summary["up_seconds"] / judged, 3) if judged else None,
    }
