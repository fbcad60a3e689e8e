"""The dashboard's charts (ECharts): one data function per chart, over the records the user may see, for
all of them (the group, for whoever sees several units) or for one unit. The monthly report reuses the same
functions; the JSON endpoint serves them to the dashboard.

Each function answers a dict: `labels` for the x axis (or the categories), `series` as
[{key, name, data}], and `links` (one per label or category: the list behind that bar, filtered alike).
Counting is done by the database (one grouped query per chart over an indexed range), never row by row.
"""

import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.changes.choices import State as ChangeState
from yunwei.changes.models import Change
from yunwei.core import scoping
from yunwei.core.pages import page_view
from yunwei.incidents.choices import Grade
from yunwei.incidents.models import Incident, counted_q
from yunwei.org.models import Unit
from yunwei.problems.choices import OPEN_STATES as OPEN_PROBLEM_STATES
from yunwei.problems.models import Problem

WEEKS = 12
AGE_BUCKETS = ((0, 7), (7, 30), (30, 90), (90, None))  # days since the problem was registered
OUTCOMES = (ChangeState.COMPLETED, ChangeState.ROLLED_BACK, ChangeState.FAILED)


def _weeks(now: datetime.datetime) -> list[datetime.date]:
    """The Mondays (local time) of the last WEEKS weeks, oldest first, this week last."""
    monday = timezone.localdate(now) - datetime.timedelta(days=timezone.localdate(now).weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time()), timezone.get_current_timezone()
    )


def _scoped(queryset: QuerySet, user, unit: Unit | None) -> QuerySet:
    rows = scoping.visible(queryset, user)
    return rows.filter(unit=unit) if unit is not None else rows


def _by_week(rows: QuerySet, field: str, weeks: list[datetime.date]) -> QuerySet:
    """Rows of the range grouped by their local day (the week is folded in Python: at most 84 days)."""
    return rows.filter(**{f"{field}__gte": _start_of(weeks[0])}).annotate(
        day=TruncDate(field, tzinfo=timezone.get_current_timezone())
    )


def _week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _unit_query(unit: Unit | None) -> str:
    return f"&unit={unit.pk}" if unit is not None else ""


def incidents_by_grade(user, unit: Unit | None = None, now=None) -> dict:
    """Incidents reported per week over the last 12 weeks, by grade (false alarms and merged ones left
    out, as in every figure)."""
    weeks = _weeks(now or timezone.now())
    rows = _by_week(_scoped(Incident.objects.filter(counted_q()), user, unit), "reported_at", weeks)
    counts: dict[tuple[datetime.date, str], int] = {}
    for day, grade, n in (
        rows.values_list("day", "grade").annotate(n=Count("id")).values_list("day", "grade", "n")
    ):
        key = (_week_of(day), grade)
        counts[key] = counts.get(key, 0) + n
    incident_list = reverse("incidents:incident-list")
    return {
        "labels": [w.isoformat() for w in weeks],
        "series": [
            {"key": g.value, "name": str(g.label), "data": [counts.get((w, g.value), 0) for w in weeks]}
            for g in Grade
        ],
        "links": [
            f"{incident_list}?reported_after={w.isoformat()}"
            f"&reported_before={(w + datetime.timedelta(days=6)).isoformat()}{_unit_query(unit)}"
            for w in weeks
        ],
    }


def restore_time_trend(user, unit: Unit | None = None, now=None) -> dict:
    """The mean time to restore (hours from the fault's start to its restoration) of the incidents
    restored each week, over the last 12 weeks."""
    weeks = _weeks(now or timezone.now())
    rows = _by_week(
        _scoped(Incident.objects.filter(counted_q(), restored_at__isnull=False), user, unit),
        "restored_at",
        weeks,
    )
    spent = ExpressionWrapper(F("restored_at") - F("started_at"), output_field=DurationField())
    sums: dict[datetime.date, list[float]] = {}
    for day, mean, n in (
        rows.values("day").annotate(mean=Avg(spent), n=Count("id")).values_list("day", "mean", "n")
    ):
        if mean is None:
            continue
        total = sums.setdefault(_week_of(day), [0.0, 0])
        total[0] += mean.total_seconds() * n
        total[1] += n
    incident_list = reverse("incidents:incident-list")
    return {
        "labels": [w.isoformat() for w in weeks],
        "series": [
            {
                "key": "mttr",
                "name": _("Mean time to restore (hours)"),
                "data": [
                    round(sums[w][0] / sums[w][1] / 3600, 2) if w in sums and sums[w][1] else None
                    for w in weeks
                ],
            }
        ],
        "links": [
            f"{incident_list}?reported_before={(w + datetime.timedelta(days=6)).isoformat()}"
            f"&state=closed{_unit_query(unit)}"
            for w in weeks
        ],
    }


def open_problems_by_age(user, unit: Unit | None = None, now=None) -> dict:
    """Problems still being worked on, by how long ago they were registered."""
    now = now or timezone.now()
    rows = _scoped(Problem.objects.filter(state__in=OPEN_PROBLEM_STATES), user, unit)
    buckets = {}
    for low, high in AGE_BUCKETS:
        condition = Q(registered_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(registered_at__gt=now - datetime.timedelta(days=high))
        buckets[f"b{low}"] = Count("id", filter=condition)
    counts = rows.aggregate(**buckets)
    labels = [
        _("under %(days)s days") % {"days": high}
        if low == 0
        else (
            _("%(low)s–%(high)s days") % {"low": low, "high": high}
            if high
            else _("over %(days)s days") % {"days": low}
        )
        for low, high in AGE_BUCKETS
    ]
    problem_list = reverse("problems:problem-list")
    return {
        "labels": labels,
        "series": [
            {
                "key": "open",
                "name": _("Open problems"),
                "data": [counts[f"b{low}"] for low, _h in AGE_BUCKETS],
            }
        ],
        "links": [f"{problem_list}?archived=false{_unit_query(unit)}" for _bucket in AGE_BUCKETS],
    }


def change_outcome_q(outcome: str) -> Q:
    """The finished changes of an outcome: completed, rolled back or failed (a reviewed change counts under
    the outcome its notes record). The monthly report counts with the same condition."""
    rolled_back = Q(state=ChangeState.ROLLED_BACK) | Q(state=ChangeState.REVIEWED, rollback_note__gt="")
    failed = Q(state=ChangeState.FAILED) | Q(
        state=ChangeState.REVIEWED, failure_note__gt="", rollback_note=""
    )
    if outcome == ChangeState.ROLLED_BACK:
        return rolled_back
    if outcome == ChangeState.FAILED:
        return failed
    return Q(state__in=(ChangeState.COMPLETED, ChangeState.REVIEWED)) & ~(rolled_back | failed)


def changes_by_outcome(user, unit: Unit | None = None, now=None) -> dict:
    """Changes finished each week over the last 12 weeks, by outcome: completed, rolled back, failed (a
    reviewed change counts under the outcome its notes record)."""
    weeks = _weeks(now or timezone.now())
    rows = _by_week(
        _scoped(Change.objects.filter(finished_at__isnull=False), user, unit), "finished_at", weeks
    )
    counts: dict[tuple[datetime.date, str], int] = {}
    aggregates = {outcome.value: Count("id", filter=change_outcome_q(outcome)) for outcome in OUTCOMES}
    for row in rows.values("day").annotate(**aggregates):
        for outcome in OUTCOMES:
            key = (_week_of(row["day"]), outcome.value)
            counts[key] = counts.get(key, 0) + row[outcome.value]
    change_list = reverse("changes:change-list")
    return {
        "labels": [w.isoformat() for w in weeks],
        "series": [
            {"key": o.value, "name": str(o.label), "data": [counts.get((w, o.value), 0) for w in weeks]}
            for o in OUTCOMES
        ],
        "links": [
            f"{change_list}?window_after={w.isoformat()}"
            f"&window_before={(w + datetime.timedelta(days=6)).isoformat()}{_unit_query(unit)}"
            for w in weeks
        ],
    }


CHARTS = {
    "incidents-by-grade": incidents_by_grade,
    "restore-time": restore_time_trend,
    "problems-by-age": open_problems_by_age,
    "changes-by-outcome": changes_by_outcome,
}


def chart_units(user) -> QuerySet:
    """The units a viewer may narrow the charts to: those they see (one for a unit admin)."""
    return scoping.visible(Unit.objects.all(), user).order_by("code")


@page_view
def chart_data(request, name: str):
    """GET /charts/<name>.json[?unit=<id>]: one chart's data; another unit's id is a 404."""
    if name not in CHARTS:
        raise Http404
    unit = None
    raw = request.GET.get("unit", "")
    if raw:
        if not raw.isdigit():
            return JsonResponse({"unit": [_("Choose a unit by its number.")]}, status=400)
        unit = get_object_or_404(chart_units(request.user), pk=int(raw))
    return JsonResponse(CHARTS[name](request.user, unit))
