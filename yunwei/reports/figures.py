"""The figures of a monthly report (Art. 6), read from the records of a unit — or of every unit, for the
group's report (`unit=None`) — for one month, as plain JSON-able dicts stored with the report.

Everything is counted by the database (grouped queries over indexed ranges), never incident by incident in
Python: the group's report runs at a million incidents. Each figure reuses the one definition its app owns:
what counts as a fault (`incidents.models.counted_q`), an SLA breach (`incidents.filters.breached_q`), a
change's outcome (`web.charts.change_outcome_q`), an overdue problem (a deadline passed while still worked
on), availability (`monitoring.services.indicators`, by its written formula), the backup evidence and the
review (`logbook.facts`), and the compliance score (`compliance.scores.score_table`, the one function the
compliance pages and the dashboard call).
"""

import datetime
from collections.abc import Callable

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from yunwei.changes.choices import ChangeKind
from yunwei.changes.models import Change
from yunwei.compliance import scores
from yunwei.incidents.choices import ClosedAs
from yunwei.incidents.filters import breached_q
from yunwei.incidents.models import Incident, counted_q
from yunwei.logbook import facts
from yunwei.logbook.models import BackupEntry, Finding, Rectification, RestoreDrill
from yunwei.monitoring.choices import FINISHING_KINDS, JobKind
from yunwei.monitoring.models import HeartbeatRun, Indicator
from yunwei.monitoring.services import indicators
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit
from yunwei.problems.choices import ACTIVE_STATES
from yunwei.problems.models import Problem
from yunwei.web.charts import OUTCOMES, change_outcome_q

TREND_MONTHS = 12
# Lists in the report (SLA breaches, false alarms, items failing again) show at most this many rows; the
# counts beside them are whole.
LIST_LIMIT = 50

STEPS = (
    "availability",
    "incidents",
    "times",
    "breaches",
    "repeats",
    "false_alarms",
    "problems",
    "changes",
    "backups",
    "review",
    "compliance",
)


def month_text(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def months_back(month: datetime.date, count: int) -> list[datetime.date]:
    """`count` months ending with `month`, oldest first."""
    answer = [month]
    while len(answer) < count:
        first = answer[0]
        answer.insert(0, (first - datetime.timedelta(days=1)).replace(day=1))
    return answer


def _in_unit(queryset, unit, path="unit"):
    return queryset.filter(**{path: unit}) if unit is not None else queryset


def _minutes(value: datetime.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _incidents(unit, start, end):
    return _in_unit(Incident.objects.filter(reported_at__gte=start, reported_at__lt=end), unit)


# -- one function per section ---------------------------------------------------------------------------


def availability(unit, month, now) -> list[dict]:
    """Each indicator's availability over the month against its target (monitoring's own figures)."""
    if unit is not None:
        periods = indicators.figures_for_unit(unit, month_text(month), now)
    else:
        periods = indicators.periods(
            Indicator.objects.select_related("unit", "item").order_by("unit_id", "name"),
            month_text(month),
            now,
        )
    rows = []
    for period in periods:
        indicator, total = period.indicator, period.total
        target = indicator.availability_target
        actual = total.availability
        rows.append(
            {
                "unit": indicator.unit.name,
                "item": indicator.item.code,
                "item_name": indicator.item.name,
                "indicator": indicator.name,
                "target": _round(target),
                "actual": _round(actual),
                "missed": indicators.missed(indicator, "availability_target", actual),
                "unknown_hours": round((total.unknown_seconds + total.no_data_seconds) / 3600, 1),
                "maintenance_hours": round(total.maintenance_seconds / 3600, 1),
            }
        )
    return rows


def incident_counts(unit, start, end) -> dict:
    """Faults reported in the month (false alarms and merged ones counted apart), by grade, cause, unit."""
    rows = _incidents(unit, start, end)
    counted = rows.filter(counted_q())
    totals = rows.aggregate(
        counted=Count("pk", filter=counted_q()),
        false_alarms=Count("pk", filter=Q(closed_as=ClosedAs.FALSE_ALARM)),
        merged=Count("pk", filter=Q(closed_as=ClosedAs.MERGED)),
        restored=Count("pk", filter=counted_q() & Q(restored_at__isnull=False)),
    )

    def grouped(field):
        return {
            (key or ""): n
            for key, n in counted.order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
            .values_list(field, "n")
        }

    by_unit = {
        name: n
        for name, n in counted.order_by()
        .values_list("unit__name")
        .annotate(n=Count("pk"))
        .values_list("unit__name", "n")
    }
    return {
        "total": totals["counted"],
        "false_alarms": totals["false_alarms"],
        "merged": totals["merged"],
        "restored": totals["restored"],
        "by_grade": grouped("grade"),
        "by_cause": grouped("cause_category"),
        "by_unit": dict(sorted(by_unit.items())),
    }


def times(unit, month, end) -> dict:
    """Mean time to acknowledge (reported → acknowledged) and to restore (fault started → restored) of the
    faults reported in each of the last 12 months, in minutes: one grouped query over the range."""
    months = months_back(month, TREND_MONTHS)
    zone = timezone.get_default_timezone()
    first = datetime.datetime.combine(months[0], datetime.time.min, tzinfo=zone)
    rows = _in_unit(Incident.objects.filter(counted_q(), reported_at__gte=first, reported_at__lt=end), unit)
    to_ack = ExpressionWrapper(F("acknowledged_at") - F("reported_at"), output_field=DurationField())
    to_restore = ExpressionWrapper(F("restored_at") - F("started_at"), output_field=DurationField())
    found = {}
    for row in (
        rows.annotate(m=TruncMonth("reported_at", tzinfo=zone))
        .order_by()
        .values("m")
        .annotate(ack=Avg(to_ack), restore=Avg(to_restore), n=Count("pk"))
    ):
        key = row["m"].date() if isinstance(row["m"], datetime.datetime) else row["m"]
        found[key] = row
    trend = [
        {
            "month": month_text(m),
            "incidents": found[m]["n"] if m in found else 0,
            "ack_minutes": _minutes(found[m]["ack"]) if m in found else None,
            "restore_minutes": _minutes(found[m]["restore"]) if m in found else None,
        }
        for m in months
    ]
    return {
        "ack_minutes": trend[-1]["ack_minutes"],
        "restore_minutes": trend[-1]["restore_minutes"],
        "trend": trend,
    }


def breaches(unit, start, end, now) -> dict:
    """SLA breaches of the month's faults: acknowledged or restored after their deadline, or not yet by
    the end of the month (or now, for the running month)."""
    moment = min(end, now)
    rows = _incidents(unit, start, end).filter(breached_q(moment))
    late_ack = Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=moment) | Q(
        acknowledged_at__gt=F("acknowledge_due_at")
    )
    late_restore = Q(restored_at__isnull=True, restore_due_at__lt=moment) | Q(
        restored_at__gt=F("restore_due_at")
    )
    counts = rows.aggregate(
        total=Count("pk"),
        acknowledge=Count("pk", filter=late_ack),
        restore=Count("pk", filter=late_restore),
    )
    listed = [
        {"code": f"INC{pk:06d}", "title": title, "unit": unit_name, "grade": grade}
        for pk, title, unit_name, grade in rows.order_by("reported_at", "pk").values_list(
            "pk", "title", "unit__name", "grade"
        )[:LIST_LIMIT]
    ]
    return {**counts, "list": listed}


def repeats(unit, start, end) -> dict:
    """Items that failed again: inventory items affected by more than one fault of the month; and the
    faults that follow a closed one (the same fault back)."""
    rows = _incidents(unit, start, end).filter(counted_q())
    items = (
        rows.filter(affected_items__isnull=False)
        .order_by()
        .values(
            "affected_items", "affected_items__code", "affected_items__name", "affected_items__unit__name"
        )
        .annotate(n=Count("pk", distinct=True))
        .filter(n__gt=1)
        .order_by("-n", "affected_items__code")
    )
    total = items.count()
    return {
        "items": total,
        "following": rows.filter(follows__isnull=False).count(),
        "list": [
            {
                "code": row["affected_items__code"],
                "name": row["affected_items__name"],
                "unit": row["affected_items__unit__name"],
                "incidents": row["n"],
            }
            for row in items[:LIST_LIMIT]
        ],
    }


def false_alarms(unit, start, end) -> dict:
    """False alarms, listed apart from the faults (they count in no other figure)."""
    rows = _incidents(unit, start, end).filter(closed_as=ClosedAs.FALSE_ALARM)
    return {
        "total": rows.count(),
        "list": [
            {"code": f"INC{pk:06d}", "title": title, "unit": unit_name, "reason": reason}
            for pk, title, unit_name, reason in rows.order_by("reported_at", "pk").values_list(
                "pk", "title", "unit__name", "false_alarm_reason"
            )[:LIST_LIMIT]
        ],
    }


def problems(unit, start, end, now) -> dict:
    """Problems registered and archived (closed) in the month, and those overdue at its end: a deadline
    before the month's last day passed while the problem was still worked on (not solved by then)."""
    moment = min(end, now)
    last_day = timezone.localtime(moment, timezone.get_default_timezone()).date()
    rows = _in_unit(Problem.objects.all(), unit)
    not_solved_then = Q(solved_at__isnull=True) | Q(solved_at__gte=moment)
    counts = rows.aggregate(
        opened=Count("pk", filter=Q(registered_at__gte=start, registered_at__lt=end)),
        closed=Count("pk", filter=Q(archived_at__gte=start, archived_at__lt=end)),
        overdue=Count(
            "pk",
            filter=Q(registered_at__lt=moment, deadline__lt=last_day)
            & not_solved_then
            & (Q(archived_at__isnull=True) | Q(archived_at__gte=moment)),
        ),
        active_now=Count("pk", filter=Q(state__in=ACTIVE_STATES)),
    )
    return counts


def changes(unit, start, end) -> dict:
    """Changes finished in the month by type, by outcome (completed, rolled back, failed), the emergency
    ones, and those suspected as the cause of a fault."""
    rows = _in_unit(Change.objects.filter(finished_at__gte=start, finished_at__lt=end), unit)
    by_type = {
        key: n
        for key, n in rows.order_by()
        .values_list("change_type")
        .annotate(n=Count("pk"))
        .values_list("change_type", "n")
    }
    outcomes = rows.aggregate(
        # Distinct throughout: the suspected incidents' join repeats a change once per incident.
        total=Count("pk", distinct=True),
        emergency=Count("pk", filter=Q(kind=ChangeKind.EMERGENCY), distinct=True),
        suspected=Count("pk", filter=Q(suspected_incidents__isnull=False), distinct=True),
        **{
            outcome.value: Count("pk", filter=change_outcome_q(outcome), distinct=True)
            for outcome in OUTCOMES
        },
    )
    return {
        "total": outcomes.pop("total"),
        "emergency": outcomes.pop("emergency"),
        "suspected": outcomes.pop("suspected"),
        "by_outcome": {outcome.value: outcomes[outcome.value] for outcome in OUTCOMES},
        "by_type": by_type,
    }


def backups(unit, month, start, end, now) -> dict:
    """The backup runs of the month (monitoring's backup jobs: good = succeeded and trusted) and the
    backups run by hand; the days a due backup left no evidence (the log book's reading); restore drills."""
    runs = _in_unit(
        HeartbeatRun.objects.filter(
            heartbeat__kind=JobKind.BACKUP,
            kind__in=FINISHING_KINDS,
            received_at__gte=start,
            received_at__lt=end,
        ),
        unit,
        "heartbeat__unit",
    ).aggregate(finished=Count("pk"), good=Count("pk", filter=Q(succeeded=True, trusted=True)))
    manual = _in_unit(
        BackupEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end), unit
    ).aggregate(total=Count("pk"), good=Count("pk", filter=Q(succeeded=True)))
    finished = runs["finished"] + manual["total"]
    good = runs["good"] + manual["good"]
    units = [unit] if unit is not None else list(Unit.objects.filter(kind=UnitKind.UNIT, is_active=True))
    gap_days = 0
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    for one in units:
        gap_days += facts.backup_evidence(one, month, today=today).gap_days
    drills = _in_unit(RestoreDrill.objects.filter(occurred_at__gte=start, occurred_at__lt=end), unit)
    return {
        "runs": runs["finished"],
        "runs_good": runs["good"],
        "manual": manual["total"],
        "manual_good": manual["good"],
        "success_rate": round(100.0 * good / finished, 1) if finished else None,
        "gap_days": gap_days,
        "drills": {
            key: n
            for key, n in drills.order_by()
            .values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        },
        "drill_list": [
            {
                "day": timezone.localtime(at, timezone.get_default_timezone()).date().isoformat(),
                "unit": unit_name,
                "subject": subject,
                "outcome": outcome,
                "minutes": minutes,
            }
            for at, unit_name, subject, outcome, minutes in drills.order_by("occurred_at", "pk").values_list(
                "occurred_at", "unit__name", "subject", "outcome", "duration_minutes"
            )[:LIST_LIMIT]
        ],
    }


def review(unit, month) -> dict:
    """The month's log-book review: whether it is signed, its findings and their rectification."""
    findings = _in_unit(Finding.objects.filter(review__month=month), unit, "review__unit")
    reviews = _in_unit(facts.MonthlyReview.objects.filter(month=month), unit)
    rectifications = _in_unit(Rectification.objects.filter(finding__review__month=month), unit)
    return {
        "reviews": reviews.count(),
        "signed": reviews.filter(signed_at__isnull=False).count(),
        "findings": findings.count(),
        "rectifications": {
            key: n
            for key, n in rectifications.order_by()
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        },
        "list": [
            {"unit": unit_name, "log": log, "text": text, "rectification": state or ""}
            for unit_name, log, text, state in findings.order_by("recorded_at", "pk").values_list(
                "review__unit__name", "log", "text", "rectification__state"
            )[:LIST_LIMIT]
        ],
    }


def compliance(unit, month) -> dict:
    """The compliance score of the month, from the one function the compliance pages use."""
    units = [unit] if unit is not None else list(Unit.objects.filter(is_active=True).order_by("kind", "code"))
    table = scores.score_table(units, [month_text(month)])
    rows = [
        {
            "unit": one.name,
            "code": one.code,
            "percent": table.get((one.pk, month_text(month), None), scores.Score()).percent,
        }
        for one in units
    ]
    own = (
        rows[0]["percent"]
        if unit is not None
        else next(
            (row["percent"] for row, one in zip(rows, units, strict=True) if one.kind == UnitKind.GROUP), None
        )
    )
    return {"percent": own, "units": rows}


def compute(
    unit: Unit | None,
    month: datetime.date,
    *,
    now: datetime.datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """Every figure of the report of `unit` (None: the group, every unit) for `month` (its first day).
    `progress(step, done)` is told after each section."""
    now = now or timezone.now()
    month = month.replace(day=1)
    start, end = facts.month_bounds(month)

    def told(step: str, value):
        if progress is not None:
            progress(step, STEPS.index(step) + 1)
        return value

    return {
        "month": month_text(month),
        "unit": unit.name if unit is not None else None,
        "read_at": now.isoformat(),
        "availability": told("availability", availability(unit, month, now)),
        "incidents": told("incidents", incident_counts(unit, start, end)),
        "times": told("times", times(unit, month, end)),
        "breaches": told("breaches", breaches(unit, start, end, now)),
        "repeats": told("repeats", repeats(unit, start, end)),
        "false_alarms": told("false_alarms", false_alarms(unit, start, end)),
        "problems": told("problems", problems(unit, start, end, now)),
        "changes": told("changes", changes(unit, start, end)),
        "backups": told("backups", backups(unit, month, start, end, now)),
        "review": told("review", review(unit, month)),
        "compliance": told("compliance", compliance(unit, month)),
    }
