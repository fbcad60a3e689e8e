"""What the log books know, read-only, for the other apps (compliance, the monthly report) and for the
log book's own pages. Nothing here writes; nothing here scopes: the caller has already decided that its
reader may see `unit` (pass a unit taken from `scoping.visible`).

A month is a `datetime.date` on its first day, read in the site's zone (`month_bounds`).

- `review_of(unit, month)` → the `MonthlyReview` or None. It carries `state`, `signed_at` (None until
  signed) and `due_on`; `due_on(month)` gives the due date of a month that has no review yet;
  `reviews_of(unit_ids, month)` → the reviews of several units at once, by unit id.
- `backup_evidence(unit, month)` → a `BackupEvidence`: one `BackupDay` per day of the month (up to today)
  with the backup jobs due that day, those that left good evidence, the gaps (a job due with no trusted
  successful run nor a successful manual backup for it that day, with `gap_jobs` their heartbeats' keys)
  and the failed runs; with `gap_days` and `evidence_days` counted. `backup_evidence_of(units, month)`
  → the same for several units at once, by unit id, in the same three queries.
- `restore_drills(unit, since)` → queryset of the unit's `RestoreDrill` rows that happened at or after
  `since` (a date or a moment), newest first.
- `missing_rounds(unit, month)` → list of `MissingRound(template, day)`: each inspection round due on a
  day of the month (days already over) with no round walked that day; `missing_rounds_of(units, month)`
  → the same for several units at once, by unit id.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from croniter import croniter
from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from yunwei.monitoring.choices import FINISHING_KINDS, JobKind, ScheduleKind
from yunwei.monitoring.models import Heartbeat, HeartbeatRun

from .choices import ReviewState
from .models import BackupEntry, MonthlyReview, RestoreDrill, Round, RoundTemplate

DAY = datetime.timedelta(days=1)


def first_of(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as moments in the site's zone: [its first moment, the next month's first moment)."""
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(month, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(next_month(month), datetime.time.min, tzinfo=zone),
    )


def month_of(moment: datetime.datetime) -> datetime.date:
    """The month an entry belongs to: that of the moment it happened, in the site's zone."""
    return first_of(timezone.localtime(moment, timezone.get_default_timezone()).date())


def due_on(month: datetime.date) -> datetime.date:
    """The day of the next month by which the month's review is to be signed (YUNWEI_REVIEW_DUE_DAY)."""
    return next_month(month).replace(day=settings.LOGBOOK_REVIEW_DUE_DAY)


def review_of(unit, month: datetime.date) -> MonthlyReview | None:
    """The unit's review of `month`, or None when nobody opened it yet (its due date: `due_on(month)`)."""
    return MonthlyReview.objects.filter(unit=unit, month=first_of(month)).first()


def reviews_of(unit_ids, month: datetime.date) -> dict[int, MonthlyReview]:
    """The reviews of `month` of several units at once, by unit id (units with no review are absent)."""
    return {
        review.unit_id: review
        for review in MonthlyReview.objects.filter(unit_id__in=list(unit_ids), month=first_of(month))
    }


def is_frozen(unit_id: int, month: datetime.date) -> bool:
    """A signed month: its entries are not edited any more (Art. 5)."""
    return MonthlyReview.objects.filter(
        unit_id=unit_id, month=first_of(month), state=ReviewState.SIGNED
    ).exists()


# -- the data-backup log's evidence ---------------------------------------------------------------


@dataclass
class BackupDay:
    day: datetime.date
    due: list[str] = field(default_factory=list)  # names of the jobs due that day
    evidenced: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    gap_jobs: list[int] = field(default_factory=list)  # the heartbeats of `gaps`, in the same order
    failed: list[str] = field(default_factory=list)
    manual: int = 0  # successful manual backups that day (any job or none)

    @property
    def status(self) -> str:
        """gap, evidence, or none (nothing due that day)."""
        if self.gaps:
            return "gap"
        if self.evidenced or self.manual:
            return "evidence"
        return "none"

    def as_json(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "status": self.status,
            "due": self.due,
            "evidenced": self.evidenced,
            "gaps": self.gaps,
            "failed": self.failed,
            "manual": self.manual,
        }


@dataclass
class BackupEvidence:
    month: datetime.date
    days: list[BackupDay]

    @property
    def gap_days(self) -> int:
        return sum(1 for d in self.days if d.status == "gap")

    @property
    def evidence_days(self) -> int:
        return sum(1 for d in self.days if d.status == "evidence")

    def as_json(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "gap_days": self.gap_days,
            "evidence_days": self.evidence_days,
            "days": [d.as_json() for d in self.days],
        }


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def scheduled_days(heartbeat: Heartbeat, first: datetime.date, last: datetime.date) -> set[datetime.date]:
    """The days in [first, last] a backup job is due: those its cron expression fires on (read in its own
    zone, counted in the site's), every day for a period up to a day, every Nth day from its start for a
    period of N days."""
    if first > last:
        return set()
    if heartbeat.schedule_kind == ScheduleKind.CRON and heartbeat.cron_expression:
        zone = timezone.get_default_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone) - datetime.timedelta(
            seconds=1
        )
        end = datetime.datetime.combine(last + DAY, datetime.time.min, tzinfo=zone)
        try:
            local = start.astimezone(zoneinfo.ZoneInfo(heartbeat.tz))
            runs = croniter(heartbeat.cron_expression, local)
        except (ValueError, KeyError, zoneinfo.ZoneInfoNotFoundError):
            return set()
        days = set()
        for _ in range(400):  # a month of a cron firing at most hourly is enough to know each day
            moment = runs.get_next(datetime.datetime)
            if moment >= end:
                break
            days.add(_local_day(moment))
        return days
    step = max(1, round(heartbeat.period / 86400))
    days = set()
    day = first
    while day <= last:
        days.add(day)
        day += datetime.timedelta(days=step)
    return days


def backup_evidence(unit, month: datetime.date, *, today: datetime.date | None = None) -> BackupEvidence:
    """Per day of the month (days already over, and today), which backup jobs were due and which left
    evidence (Art. 5, 9). A job counts from the day it was declared or, when its history was loaded, its
    first run. Three queries whatever the month's length and the jobs' history."""
    return backup_evidence_of([unit], month, today=today)[getattr(unit, "pk", unit)]


def backup_evidence_of(units, month: datetime.date, *, today: datetime.date | None = None) -> dict:
    """`backup_evidence()` of each of `units` (records or ids), by unit id: the same three queries for
    all of them (the dashboard reads every unit's month at once)."""
    month = first_of(month)
    today = today or timezone.localdate()
    start, end = month_bounds(month)
    last_day = min(next_month(month) - DAY, today - DAY)
    unit_ids = [getattr(unit, "pk", unit) for unit in units]
    # Each job's first run, read with the job: one row of the (heartbeat, received_at) index per job, where
    # a MIN grouped by job would read every run of the job's whole history on each page.
    first_run = (
        HeartbeatRun.objects.filter(heartbeat=OuterRef("pk")).order_by("received_at").values("received_at")
    )
    jobs = list(
        Heartbeat.objects.filter(unit_id__in=unit_ids, kind=JobKind.BACKUP).annotate(
            first_run=Subquery(first_run[:1])
        )
    )
    runs = list(
        HeartbeatRun.objects.filter(
            heartbeat__in=jobs, kind__in=FINISHING_KINDS, received_at__gte=start, received_at__lt=end
        ).values_list("heartbeat_id", "received_at", "succeeded", "trusted")
    )
    manual = list(
        BackupEntry.objects.filter(
            unit_id__in=unit_ids, occurred_at__gte=start, occurred_at__lt=end, succeeded=True
        ).values_list("unit_id", "heartbeat_id", "occurred_at")
    )
    good: set[tuple[int, datetime.date]] = set()
    failed: set[tuple[int, datetime.date]] = set()
    for job_id, at, succeeded, trusted in runs:
        key = (job_id, _local_day(at))
        if succeeded and trusted:
            good.add(key)
        elif succeeded is False:
            failed.add(key)
    every: dict[int, dict[datetime.date, BackupDay]] = {}
    for unit_id in unit_ids:
        days = {}
        day = month
        while day <= min(next_month(month) - DAY, today):
            days[day] = BackupDay(day)
            day += DAY
        every[unit_id] = days
    for unit_id, job_id, at in manual:
        local = _local_day(at)
        if local in every[unit_id]:
            every[unit_id][local].manual += 1
        if job_id is not None:
            good.add((job_id, local))
    for job in jobs:
        days = every[job.unit_id]
        since = _local_day(min(job.created_at, job.first_run or job.created_at))
        for day in sorted(scheduled_days(job, max(month, since), last_day)):
            entry = days[day]
            entry.due.append(job.name)
            if (job.pk, day) in good:
                entry.evidenced.append(job.name)
            else:
                entry.gaps.append(job.name)
                entry.gap_jobs.append(job.pk)
            if (job.pk, day) in failed:
                entry.failed.append(job.name)
    return {
        unit_id: BackupEvidence(month, [days[d] for d in sorted(days)]) for unit_id, days in every.items()
    }


def restore_drills(unit, since) -> QuerySet:
    """The unit's restore drills at or after `since` (a date: from its first moment in the site's zone)."""
    if isinstance(since, datetime.date) and not isinstance(since, datetime.datetime):
        since = datetime.datetime.combine(since, datetime.time.min, tzinfo=timezone.get_default_timezone())
    return RestoreDrill.objects.filter(unit=unit, occurred_at__gte=since).order_by("-occurred_at", "-id")


# -- the daily management log's missing rounds ---------------------------------------------------


@dataclass(frozen=True)
class MissingRound:
    template: RoundTemplate
    day: datetime.date

    def as_json(self) -> dict:
        return {"template": self.template.pk, "name": self.template.name, "day": self.day.isoformat()}


def missing_rounds(unit, month: datetime.date, *, today: datetime.date | None = None) -> list[MissingRound]:
    """Each round due on a day of the month that is over, with no round of its template walked that day."""
    return missing_rounds_of([unit], month, today=today)[getattr(unit, "pk", unit)]


def missing_rounds_of(units, month: datetime.date, *, today: datetime.date | None = None) -> dict:
    """`missing_rounds()` of each of `units` (records or ids), by unit id: two queries for all of them."""
    month = first_of(month)
    today = today or timezone.localdate()
    start, end = month_bounds(month)
    last_day = min(next_month(month) - DAY, today - DAY)
    unit_ids = [getattr(unit, "pk", unit) for unit in units]
    # A round retired during the month stays due on its days before (they keep their missing rounds).
    templates = list(
        RoundTemplate.objects.filter(unit_id__in=unit_ids, active_from__lte=last_day).filter(
            Q(retired_on__isnull=True) | Q(retired_on__gt=month)
        )
    )
    walked = {
        (template_id, _local_day(at))
        for template_id, at in Round.objects.filter(
            unit_id__in=unit_ids, occurred_at__gte=start, occurred_at__lt=end
        ).values_list("template_id", "occurred_at")
    }
    missing: dict[int, list[MissingRound]] = {unit_id: [] for unit_id in unit_ids}
    day = month
    while day <= last_day:
        for template in templates:
            if template.is_due_on(day) and (template.pk, day) not in walked:
                missing[template.unit_id].append(MissingRound(template, day))
        day += DAY
    return missing
