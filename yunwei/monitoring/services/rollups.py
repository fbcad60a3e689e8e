"""Check results summed up by hour and by day, and the retention that keeps the tables bounded (Art. 3).

Raw results are kept 7 days, the roll-ups 2 years (`RAW_DAYS`, `ROLLUP_DAYS`). Availability is read
from the covered seconds, never from counts of runs, so the shorter retry interval while a check fails
does not weigh its failures twice; the formula is written down in docs/probes.md ("Availability") and
`CheckRollup.availability` is the one place that computes it.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max, Min
from django.utils import timezone

from yunwei.changes.models import MaintenanceWindow

from ..choices import ResultStatus, RollupPeriod
from ..models import Check, CheckResult, CheckRollup

RAW_DAYS = 7
ROLLUP_DAYS = 2 * 366
PRUNE_BATCH = 5000
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
SECONDS_FIELDS = {
    ResultStatus.UP: "up_seconds",
    ResultStatus.DOWN: "down_seconds",
    ResultStatus.UNKNOWN: "unknown_seconds",
}
SUMMED_FIELDS = (*SECONDS_FIELDS.values(), "maintenance_seconds", "runs", "latency_count", "latency_sum_ms")


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _overlap(a_start, a_end, b_start, b_end) -> float:
    return max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())


def _maintenance_of(check_items: dict[int, int], start, end) -> dict[int, list[tuple]]:
    """The maintenance windows overlapping [start, end), by check, merged so overlapping windows of two
    changes on one item are not counted twice."""
    windows = defaultdict(list)
    rows = MaintenanceWindow.objects.filter(
        item_id__in=set(check_items.values()), starts_at__lt=end, ends_at__gt=start
    ).values_list("item_id", "starts_at", "ends_at")
    for item_id, starts_at, ends_at in rows:
        windows[item_id].append((max(starts_at, start), min(ends_at, end)))
    merged = {}
    for item_id, spans in windows.items():
        spans.sort()
        joined = [list(spans[0])]
        for span_start, span_end in spans[1:]:
            if span_start <= joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], span_end)
            else:
                joined.append([span_start, span_end])
        merged[item_id] = [tuple(span) for span in joined]
    return {check_id: merged.get(item_id, []) for check_id, item_id in check_items.items()}


def summarise(
    results: list[tuple], *, interval: float, start, end, maintenance: Iterable[tuple] = ()
) -> dict:
    """The roll-up fields of one check over [start, end) from its results in time order — each one
    `(at, status, latency_ms)`, the last one before `start` included — covering at most `interval`
    seconds each. A pure function: the roll-up task and the tests call it alike."""
    total = (end - start).total_seconds()
    fields = {name: 0.0 for name in SECONDS_FIELDS.values()}
    fields.update(maintenance_seconds=0.0, runs=0, latency_count=0, latency_sum_ms=0.0, latency_max_ms=None)
    maintenance = list(maintenance)
    covered = 0.0
    for index, (at, status, latency) in enumerate(results):
        following = results[index + 1][0] if index + 1 < len(results) else end
        span_start, span_end = max(at, start), min(following, at + datetime.timedelta(seconds=interval), end)
        span = max(0.0, (span_end - span_start).total_seconds())
        if span:
            held = sum(_overlap(span_start, span_end, a, b) for a, b in maintenance)
            fields["maintenance_seconds"] += held
            fields[SECONDS_FIELDS[ResultStatus(status)]] += span - held
            covered += span
        if start <= at < end:
            fields["runs"] += 1
            if status == ResultStatus.UP and latency is not None:
                fields["latency_count"] += 1
                fields["latency_sum_ms"] += latency
                fields["latency_max_ms"] = max(fields["latency_max_ms"] or 0.0, latency)
    fields["no_data_seconds"] = max(0.0, total - covered)
    return fields


def roll_up_hour(start: datetime.datetime, check_ids: Iterable[int] | None = None) -> int:
    """Write (or rewrite) every check's roll-up of the hour beginning at `start`; returns the rows."""
    end = start + HOUR
    checks = Check.objects.all() if check_ids is None else Check.objects.filter(pk__in=list(check_ids))
    intervals = dict(checks.values_list("pk", "interval"))
    if not intervals:
        return 0
    lookback = datetime.timedelta(seconds=checks.aggregate(longest=Max("interval"))["longest"])
    by_check = defaultdict(list)
    rows = (
        CheckResult.objects.filter(active_check_id__in=list(intervals), at__gte=start - lookback, at__lt=end)
        .order_by("active_check_id", "at", "id")
        .values_list("active_check_id", "at", "status", "latency_ms")
    )
    for check_id, at, status, latency in rows.iterator(chunk_size=5000):
        by_check[check_id].append((at, status, latency))
    items = dict(Check.objects.filter(pk__in=list(by_check)).values_list("pk", "item_id"))
    maintenance = _maintenance_of(items, start, end)
    rollups = [
        CheckRollup(
            active_check_id=check_id,
            period=RollupPeriod.HOUR,
            start=start,
            **summarise(
                results, interval=intervals[check_id], start=start, end=end, maintenance=maintenance[check_id]
            ),
        )
        for check_id, results in by_check.items()
        if results[-1][0] >= start - datetime.timedelta(seconds=intervals[check_id])
    ]
    _least_cert_days(rollups, start, end)
    return _write(rollups)


def _least_cert_days(rollups: list[CheckRollup], start, end) -> None:
    """The fewest certificate days left an https probe read in [start, end), by check: one grouped query
    (the indicators' certificate figure outlives the raw results it is read from)."""
    least = dict(
        CheckResult.objects.filter(
            active_check_id__in=[rollup.active_check_id for rollup in rollups],
            at__gte=start,
            at__lt=end,
            cert_days_left__isnull=False,
        )
        .values("active_check_id")
        .annotate(least=Min("cert_days_left"))
        .values_list("active_check_id", "least")
    )
    for rollup in rollups:
        rollup.cert_days_min = least.get(rollup.active_check_id)


def roll_up_day(start: datetime.datetime) -> int:
    """Sum the hours of the day beginning at `start` (the site's day) into each check's day roll-up."""
    hours = CheckRollup.objects.filter(period=RollupPeriod.HOUR, start__gte=start, start__lt=start + DAY)
    days = {}
    for hour in hours.iterator(chunk_size=5000):
        day = days.setdefault(
            hour.active_check_id, CheckRollup(active_check_id=hour.active_check_id, period="day", start=start)
        )
        for name in SUMMED_FIELDS:
            setattr(day, name, getattr(day, name) + getattr(hour, name))
        if hour.latency_max_ms is not None:
            day.latency_max_ms = max(day.latency_max_ms or 0.0, hour.latency_max_ms)
        if hour.cert_days_min is not None:
            known = [value for value in (day.cert_days_min, hour.cert_days_min) if value is not None]
            day.cert_days_min = min(known)
    for day in days.values():  # the hours without a row are hours without data
        judged = sum(getattr(day, name) for name in (*SECONDS_FIELDS.values(), "maintenance_seconds"))
        day.no_data_seconds = max(0.0, DAY.total_seconds() - judged)
    return _write(list(days.values()))


def _write(rollups: list[CheckRollup]) -> int:
    if rollups:
        CheckRollup.objects.bulk_create(
            rollups,
            update_conflicts=True,
            unique_fields=["active_check", "period", "start"],
            update_fields=[*SUMMED_FIELDS, "no_data_seconds", "latency_max_ms", "cert_days_min"],
            batch_size=1000,
        )
    return len(rollups)


def roll_up(now: datetime.datetime | None = None, hours: int = 2) -> int:
    """Roll up the last `hours` closed hours and the days they fall in (rewriting is harmless, so a run
    missed while the scheduler was down is made up by the next one); returns the rows written."""
    latest = hour_of(now or timezone.now())
    starts = [latest - HOUR * back for back in range(hours, 0, -1)]
    written = sum(roll_up_hour(start) for start in starts)
    return written + sum(roll_up_day(day) for day in sorted({day_of(start) for start in starts}))


def prune(now: datetime.datetime | None = None) -> int:
    """Delete raw results older than `RAW_DAYS` and roll-ups older than `ROLLUP_DAYS`, in batches per
    check (the (check, at) index serves each); returns the rows deleted."""
    now = now or timezone.now()
    raw_before = now - datetime.timedelta(days=RAW_DAYS)
    rollup_before = now - datetime.timedelta(days=ROLLUP_DAYS)
    deleted = 0
    for check_id in Check.objects.values_list("pk", flat=True).iterator():
        for model, moment, cutoff in ((CheckResult, "at", raw_before), (CheckRollup, "start", rollup_before)):
            # The base manager: expiry is the one deletion raw results allow (they are append-only).
            rows = model._base_manager
            old = rows.filter(active_check_id=check_id, **{f"{moment}__lt": cutoff})
            while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
                deleted += rows.filter(pk__in=ids).delete()[0]
    return deleted
