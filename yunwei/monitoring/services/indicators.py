"""Indicators (运行指标, Art. 3 (1): "保证系统各项运行指标符合有关规定"): an item's declared targets, the
figures read per day and per month, and the daily evaluation that lists and tells each target missed.

People's acts on an indicator (create, update, delete) are audited; its figures are read, never stored;
a breach is machine data (one row per indicator, figure and day, never audited).

The figures come from the check roll-ups (days) and the backup runs, never from raw results older than a
day, so a month is a handful of grouped queries whatever its length:

- availability: the counted checks' day roll-ups summed, then `CheckRollup.availability` (the one formula,
  docs/probes.md "Availability"): unknown, maintenance and no-data time are left out and shown beside it;
- mean latency: the roll-ups' latency sums over their sample counts;
- certificate days left: the least an https probe read (`CheckRollup.cert_days_min`);
- backup age: the time from the last good backup (succeeded and trusted) to the end of the day, or now,
  for the item's backup job that is worst off (a job with no good backup yet: since it was declared);
- backup success rate: good runs over finishing runs of the item's backup jobs.

The monthly report reads them through `figures(indicator, month)` and `figures_for_unit(unit, month)`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.notify import services as notify
from yunwei.org.models import Unit

from ..choices import FINISHING_KINDS, IndicatorFigure, JobKind, RollupPeriod
from ..models import Check, CheckRollup, Heartbeat, HeartbeatRun, Indicator, IndicatorBreach
from .heartbeats import may_manage, month_bounds, recipients_of

DAY = datetime.timedelta(days=1)
SETTLED = datetime.timedelta(minutes=90)
SECONDS = ("up_seconds", "down_seconds", "unknown_seconds", "maintenance_seconds", "no_data_seconds")
# Each target field, its figure, and whether a figure under the target misses it (else one over it does).
TARGETS = {
    "availability_target": (IndicatorFigure.AVAILABILITY, True),
    "latency_target_ms": (IndicatorFigure.LATENCY, False),
    "cert_days_target": (IndicatorFigure.CERT_DAYS, True),
    "backup_age_target_hours": (IndicatorFigure.BACKUP_AGE, False),
    "backup_success_target": (IndicatorFigure.BACKUP_SUCCESS, True),
}
PERCENT_TARGETS = ("availability_target", "backup_success_target")
# The whole numbers a target may take: (low, high), by field.
WHOLE_TARGETS = {
    "latency_target_ms": (1, 600_000),
    "cert_days_target": (1, 3660),
    "backup_age_target_hours": (1, 24 * 366),
}


# -- the one write path for people's acts ---------------------------------------------------------


def require_manage_indicators(actor, unit_id: int | None) -> None:
    if not may_manage(actor, unit_id):
        raise PermissionDenied(_("You may not manage the indicators of this unit."))


def _check_indicator(instance: Indicator | None, fields: dict) -> tuple[dict, list | None]:
    """The rules of an indicator whatever the path (page, API, demo); returns the fields to write and the
    chosen checks (None: unchanged)."""
    fields = dict(fields)
    checks = fields.pop("checks", None)
    item = fields.get("item", instance.item if instance is not None else None)
    if not isinstance(item, Item):
        raise DomainError(_("Choose the inventory item."), field="item")
    name = fields.get("name", instance.name if instance is not None else "")
    if not str(name or "").strip():
        raise DomainError(_("This field is required."), field="name")
    for name in PERCENT_TARGETS:
        value = fields.get(name)
        if value is not None and not Decimal(0) < Decimal(str(value)) <= Decimal(100):
            raise DomainError(_("Give a percentage above 0 and at most 100."), field=name)
    for name, (low, high) in WHOLE_TARGETS.items():
        value = fields.get(name)
        if value is not None and not low <= int(value) <= high:
            raise DomainError(
                _("Give a whole number between %(low)s and %(high)s.") % {"low": low, "high": high},
                field=name,
            )
    if checks is not None:
        checks = list(checks)
        for check in checks:
            if not isinstance(check, Check) or check.unit_id != item.unit_id:
                raise DomainError(_("Choose checks of the item's unit."), field="checks")
    elif instance is not None and instance.checks.exclude(unit_id=item.unit_id).exists():
        raise DomainError(_("Choose checks of the item's unit."), field="checks")
    fields["unit"] = item.unit
    return fields, checks


def _set_checks(indicator: Indicator, checks: list | None, *, actor) -> None:
    """The chosen checks, a many-to-many the record's audit snapshot does not hold: their change is an
    audit event of its own."""
    if checks is None:
        return
    before = sorted(indicator.checks.values_list("pk", flat=True))
    after = sorted(check.pk for check in checks)
    if before != after:
        indicator.checks.set(checks)
        audit.record("update", actor=actor, obj=indicator, before={"checks": before}, after={"checks": after})


@transaction.atomic
def create_indicator(*, actor, **fields) -> Indicator:
    item = fields.get("item")
    require_manage_indicators(actor, item.unit_id if isinstance(item, Item) else None)
    fields, checks = _check_indicator(None, fields)
    indicator = create_record(Indicator, actor=actor, **fields)
    _set_checks(indicator, checks, actor=actor)
    return indicator


@transaction.atomic
def update_indicator(
    indicator: Indicator, *, actor, expected_version: int | None = None, **fields
) -> Indicator:
    require_manage_indicators(actor, indicator.unit_id)
    if "item" in fields and getattr(fields["item"], "unit_id", None) != indicator.unit_id:
        require_manage_indicators(actor, getattr(fields["item"], "unit_id", None))
    fields, checks = _check_indicator(indicator, fields)
    updated = update_record(indicator, actor=actor, expected_version=expected_version, **fields)
    _set_checks(updated, checks, actor=actor)
    return updated


@transaction.atomic
def delete_indicator(indicator: Indicator, *, actor) -> None:
    """An indicator goes with its breaches (machine data read off its figures)."""
    require_manage_indicators(actor, indicator.unit_id)
    delete_record(indicator, actor=actor)


# -- figures --------------------------------------------------------------------------------------


@dataclass
class Figures:
    """An indicator's figures over a day or a month, with what availability left out shown beside it."""

    first: datetime.date
    last: datetime.date
    up_seconds: float = 0.0
    down_seconds: float = 0.0
    unknown_seconds: float = 0.0
    maintenance_seconds: float = 0.0
    no_data_seconds: float = 0.0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    cert_days_min: float | None = None
    backup_age_hours: float | None = None
    backups_good: int = 0
    backups_finished: int = 0

    @property
    def availability(self) -> float | None:
        # The one formula (docs/probes.md): a roll-up of the summed seconds, never computed here again.
        return CheckRollup(up_seconds=self.up_seconds, down_seconds=self.down_seconds).availability

    @property
    def latency_mean_ms(self) -> float | None:
        return self.latency_sum_ms / self.latency_count if self.latency_count else None

    @property
    def backup_success(self) -> float | None:
        return 100.0 * self.backups_good / self.backups_finished if self.backups_finished else None

    def value(self, figure: str) -> float | None:
        return {
            IndicatorFigure.AVAILABILITY: self.availability,
            IndicatorFigure.LATENCY: self.latency_mean_ms,
            IndicatorFigure.CERT_DAYS: self.cert_days_min,
            IndicatorFigure.BACKUP_AGE: self.backup_age_hours,
            IndicatorFigure.BACKUP_SUCCESS: self.backup_success,
        }[IndicatorFigure(figure)]

    def add(self, other: "Figures") -> None:
        """Fold a day into a longer period: seconds and counts summed, the least certificate days, the
        worst backup age."""
        for name in (*SECONDS, "latency_count", "latency_sum_ms", "backups_good", "backups_finished"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, pick in (("cert_days_min", min), ("backup_age_hours", max)):
            known = [value for value in (getattr(self, name), getattr(other, name)) if value is not None]
            setattr(self, name, pick(known) if known else None)


@dataclass
class Period:
    """An indicator's figures over a period (a month): the whole, the days, and each target missed."""

    indicator: Indicator
    total: Figures
    days: list[Figures] = field(default_factory=list)

    @property
    def rows(self) -> list[dict]:
        """Each figure with its target, actual and whether the target was missed, in TARGETS' order."""
        return [
            {
                "figure": figure,
                "target": getattr(self.indicator, name),
                "actual": self.total.value(figure),
                "missed": missed(self.indicator, name, self.total.value(figure)),
            }
            for name, (figure, _low) in TARGETS.items()
        ]


def missed(indicator: Indicator, target_field: str, actual: float | None) -> bool:
    """Whether `actual` misses the indicator's target; a figure with nothing measured misses nothing."""
    target = getattr(indicator, target_field)
    if target is None or actual is None:
        return False
    _figure, under_is_bad = TARGETS[target_field]
    return actual < float(target) if under_is_bad else actual > float(target)


def _zone():
    # The site's day, as the roll-ups use it (TIME_ZONE), whatever zone the reader's request activated.
    return timezone.get_default_timezone()


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=_zone())


def _checks_of(indicators: list[Indicator]) -> dict[int, dict[int, datetime.datetime]]:
    """The checks each indicator counts, with each check's creation: the chosen ones, else the item's."""
    chosen = defaultdict(set)
    through = Indicator.checks.through.objects.filter(indicator_id__in=[i.pk for i in indicators])
    for indicator_id, check_id in through.values_list("indicator_id", "check_id"):
        chosen[indicator_id].add(check_id)
    items = {i.item_id for i in indicators if i.pk not in chosen}
    chosen_ids = set().union(*chosen.values()) if chosen else set()
    rows = Check.objects.filter(Q(item_id__in=items) | Q(pk__in=chosen_ids)).values_list(
        "pk", "item_id", "created_at"
    )
    created, by_item = {}, defaultdict(set)
    for pk, item_id, created_at in rows:
        created[pk] = created_at
        by_item[item_id].add(pk)
    return {
        i.pk: {
            pk: created[pk]
            for pk in (chosen[i.pk] if i.pk in chosen else by_item[i.item_id])
            if pk in created
        }
        for i in indicators
    }


def _covered(day: datetime.date, since: datetime.datetime, now: datetime.datetime) -> float:
    """Seconds of `day` after `since` and before `now`: the part of the day a check could judge."""
    start, end = day_start(day), day_start(day + DAY)
    return max(0.0, (min(end, now) - max(start, since)).total_seconds())


def compute(
    indicators, first: datetime.date, last: datetime.date, now: datetime.datetime | None = None
) -> dict[int, dict[datetime.date, Figures]]:
    """Every indicator's figures for each day from `first` to `last` (both included, days after today
    left out), by indicator id and day. Four queries for the checks and their roll-ups, three for the
    backups, whatever the number of indicators and days."""
    indicators = list(indicators)
    now = now or timezone.now()
    today = timezone.localtime(now, _zone()).date()
    days = [first + DAY * n for n in range((min(last, today) - first).days + 1)]
    result = {i.pk: {day: Figures(day, day) for day in days} for i in indicators}
    if not days or not indicators:
        return result
    start, end = day_start(days[0]), min(day_start(days[-1] + DAY), now)
    counted = _checks_of(indicators)
    _add_checks(result, counted, start, end, now)
    _add_backups(result, indicators, days, start, end, now)
    return result


def _add_checks(result, counted, start, end, now) -> None:
    check_ids = set().union(*counted.values()) if counted else set()
    rows = CheckRollup.objects.filter(
        period=RollupPeriod.DAY, active_check_id__in=check_ids, start__gte=start, start__lt=end
    ).values_list("active_check_id", "start", *SECONDS, "latency_count", "latency_sum_ms", "cert_days_min")
    rollups = {}
    for check_id, at, *values in rows:
        rollups[check_id, timezone.localtime(at, _zone()).date()] = values
    for indicator_id, checks in counted.items():
        for day, figures in result[indicator_id].items():
            elapsed = _covered(day, day_start(day), now)
            for check_id, created_at in checks.items():
                values = rollups.get((check_id, day))
                if values is None:
                    # No result the whole day: silence, never health — from the check's creation on.
                    figures.no_data_seconds += _covered(day, created_at, now)
                    continue
                *seconds, latency_count, latency_sum, cert_days = values
                up, down, unknown, maintenance, no_data = seconds
                # Today's roll-up counts the hours still to come as no data: only the time passed is shown.
                no_data = max(0.0, no_data - (DAY.total_seconds() - elapsed))
                figures.up_seconds += up
                figures.down_seconds += down
                figures.unknown_seconds += unknown
                figures.maintenance_seconds += maintenance
                figures.no_data_seconds += no_data
                figures.latency_count += latency_count
                figures.latency_sum_ms += latency_sum
                if cert_days is not None:
                    known = [v for v in (figures.cert_days_min, cert_days) if v is not None]
                    figures.cert_days_min = min(known)


def _add_backups(result, indicators, days, start, end, now) -> None:
    jobs = list(
        Heartbeat.objects.filter(
            kind=JobKind.BACKUP, item_id__in={i.item_id for i in indicators}
        ).values_list("pk", "item_id", "created_at")
    )
    if not jobs:
        return
    job_ids = [pk for pk, _item, _created in jobs]
    finishing = HeartbeatRun.objects.filter(heartbeat_id__in=job_ids, kind__in=FINISHING_KINDS)
    good = finishing.filter(succeeded=True, trusted=True)  # a run not trusted never counts as good
    last_good = dict(
        good.filter(received_at__lt=start)
        .values("heartbeat_id")
        .annotate(last=Max("received_at"))
        .values_list("heartbeat_id", "last")
    )
    good_at = defaultdict(list)
    for job_id, at in (
        good.filter(received_at__gte=start, received_at__lt=end)
        .order_by("received_at")
        .values_list("heartbeat_id", "received_at")
    ):
        good_at[job_id].append(at)
    counts = (
        finishing.filter(received_at__gte=start, received_at__lt=end)
        .annotate(day=TruncDate("received_at", tzinfo=_zone()))
        .values("heartbeat__item_id", "day")
        .annotate(finished=Count("pk"), good=Count("pk", filter=Q(succeeded=True, trusted=True)))
        .values_list("heartbeat__item_id", "day", "finished", "good")
    )
    per_item_day = {(item_id, day): (finished, good) for item_id, day, finished, good in counts}
    # Each job's age at the end of each day (or now): the last good run so far, walked forward once.
    ages = defaultdict(dict)  # item id → day → worst age in hours
    for job_id, item_id, created_at in jobs:
        runs, index, last = good_at[job_id], 0, last_good.get(job_id)
        for day in days:
            moment = min(day_start(day + DAY), now)
            while index < len(runs) and runs[index] <= moment:
                last, index = runs[index], index + 1
            since = last if last is not None else created_at
            if since > moment:
                continue  # the job was not declared yet
            age = (moment - since).total_seconds() / 3600
            ages[item_id][day] = max(age, ages[item_id].get(day, age))
    for indicator in indicators:
        for day, figures in result[indicator.pk].items():
            figures.backup_age_hours = ages[indicator.item_id].get(day)
            figures.backups_finished, figures.backups_good = per_item_day.get(
                (indicator.item_id, day), (0, 0)
            )


def month_of(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The bounds of `month` (YYYY-MM) in the site's zone; a month out of the years Yunwei can hold data
    for (a year 1 or 9999 would overflow the UTC conversion) is refused naming `month`."""
    text = str(month or "")
    if len(text) != 7 or not text[:4].isdigit() or not 1970 <= int(text[:4]) <= 2999:
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    return month_bounds(text)


def periods(indicators, month: str, now: datetime.datetime | None = None) -> list[Period]:
    """The indicators' figures of `month` (YYYY-MM; a bad one is refused naming `month`), each with its
    days and the month's whole: seconds and counts summed, the least certificate days, the worst backup
    age of its days."""
    start, following = month_of(month)
    first, last = start.date(), (following - DAY).date()
    indicators = list(indicators)
    computed = compute(indicators, first, last, now)
    answer = []
    for indicator in indicators:
        days = list(computed[indicator.pk].values())
        total = Figures(first, last)
        for day in days:
            total.add(day)
        answer.append(Period(indicator, total, days))
    return answer


def figures(indicator: Indicator, month: str, now: datetime.datetime | None = None) -> Period:
    """One indicator's figures of `month` (YYYY-MM): what the monthly report reads."""
    return periods([indicator], month, now)[0]


def figures_for_unit(unit: Unit, month: str, now: datetime.datetime | None = None) -> list[Period]:
    """Every indicator of `unit` with its figures of `month` (YYYY-MM), by name: the monthly report's."""
    return periods(Indicator.objects.filter(unit=unit).select_related("unit", "item"), month, now)


# -- breaches (machine data) ----------------------------------------------------------------------


def evaluate_day(
    day: datetime.date | None = None, now: datetime.datetime | None = None
) -> list[IndicatorBreach]:
    """Hold every indicator with a target to its figures of `day` (by default yesterday, the site's day)
    and record each target missed, once: a breach already recorded is neither written nor told again,
    so a re-run (or a second worker) adds nothing. Returns the breaches new in this call."""
    now = now or timezone.now()
    # Yesterday once its last hour is rolled up (the roll-ups rewrite the last two closed hours each quarter).
    day = day or timezone.localtime(now - SETTLED, _zone()).date() - DAY
    with_target = Q()
    for name in TARGETS:
        with_target |= Q(**{f"{name}__isnull": False})
    indicators = list(Indicator.objects.filter(with_target).select_related("unit", "item"))
    computed = compute(indicators, day, day, now)
    new = []
    for indicator in indicators:
        figures_of_day = computed[indicator.pk].get(day)
        if figures_of_day is None:
            continue
        for name, (figure, _low) in TARGETS.items():
            actual = figures_of_day.value(figure)
            if not missed(indicator, name, actual):
                continue
            with transaction.atomic():
                breach, created = IndicatorBreach.objects.get_or_create(
                    indicator=indicator,
                    figure=figure,
                    day=day,
                    defaults={"target": float(getattr(indicator, name)), "actual": actual},
                )
                if created:
                    tell_breach(breach)
                    new.append(breach)
    return new


BREACH_NOTICE = {
    "zh-hans": (
        "【运行指标未达标】{name}",
        "{unit}的{item}的运行指标“{name}”{day}未达标：{figure}为{actual}{unit_label}，目标{target}{unit_label}。",
    ),
    "en": (
        "[Indicator missed] {name}",
        "The indicator “{name}” of {item} ({unit}) missed its target on {day}: {figure} was "
        "{actual} {unit_label}, the target {target} {unit_label}.",
    ),
}


def tell_breach(breach: IndicatorBreach) -> list:
    """Tell the item's team (the heartbeat notices' recipients) of a missed target, once per breach."""
    indicator = breach.indicator
    texts = {}
    for language, (subject, body) in BREACH_NOTICE.items():
        with translation.override(language):
            figure = IndicatorFigure(breach.figure)
            values = {
                "name": indicator.name,
                "unit": indicator.unit.name,
                "item": str(indicator.item),
                "day": breach.day.isoformat(),
                "figure": str(figure.label),
                "unit_label": str(figure.unit_label),
                "actual": f"{breach.actual:.2f}",
                "target": f"{breach.target:g}",
            }
        texts[language] = (subject.format(**values), body.format(**values))
    return notify.send(
        event_key=f"indicator-breach:{indicator.pk}:{breach.figure}:{breach.day.isoformat()}",
        unit_id=indicator.unit_id,
        recipients=notify.user_recipients(recipients_of(indicator)),
        subject={language: subject for language, (subject, _body) in texts.items()},
        body={language: body for language, (_subject, body) in texts.items()},
    )
