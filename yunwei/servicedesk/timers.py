"""A request's timers in working time (Art. 10: 考核督办): when its clock starts, when an answer and the
completion are due, the time held in waiting states shown apart, and the figures of a unit's month.

Due times are stored when set and recomputed from stored moments (the submission, the held minutes), never
counted up: a calendar edit recomputes every open request of the unit (`recompute_open`)."""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from yunwei.core import calendar as work_calendar

from .choices import DONE_STATES, FINAL_STATES, HOLD_STATES, OPEN_STATES, Kind
from .models import ServiceRequest


def calendar_of(unit_id: int | None) -> work_calendar.Calendar:
    return work_calendar.calendar_for(unit_id)


def policy_hold_states(request: ServiceRequest) -> list[str]:
    return list(request.policy.get("hold_states", HOLD_STATES))


def start(request: ServiceRequest, now: datetime.datetime, cal: work_calendar.Calendar) -> None:
    """The clock of a new request: it starts at the next working moment; targets count from there."""
    request.submitted_at = now
    request.clock_started_at = cal.clock_start(now)
    set_due(request, cal)


def set_due(request: ServiceRequest, cal: work_calendar.Calendar) -> None:
    """Due times from the submission, the targets and the minutes held so far."""
    held = request.held_minutes
    request.answer_due_at = cal.add(request.submitted_at, request.policy["answer_minutes"] + held)
    request.complete_due_at = cal.add(request.submitted_at, request.policy["complete_minutes"] + held)


def hold(request: ServiceRequest, now: datetime.datetime) -> None:
    request.hold_started_at = now


def release(request: ServiceRequest, now: datetime.datetime, cal: work_calendar.Calendar) -> None:
    """Leaving a waiting state: its working minutes are added to the held time and the due times move."""
    if request.hold_started_at is None:
        return
    request.held_minutes += cal.working_minutes(request.hold_started_at, now)
    request.hold_started_at = None
    set_due(request, cal)


def answered(request: ServiceRequest, now: datetime.datetime, cal: work_calendar.Calendar) -> bool:
    if request.first_answered_at is not None:
        return False
    request.first_answered_at = now
    request.answer_working_minutes = round(cal.working_minutes(request.submitted_at, now), 1)
    return True


def completed(request: ServiceRequest, now: datetime.datetime, cal: work_calendar.Calendar) -> None:
    request.completed_at = now
    request.complete_working_minutes = round(
        max(cal.working_minutes(request.submitted_at, now) - request.held_minutes, 0.0), 1
    )


def reopened(request: ServiceRequest) -> None:
    request.completed_at = None
    request.complete_working_minutes = None


def held_now(request: ServiceRequest, now: datetime.datetime | None = None) -> float:
    """Working minutes held so far, the running hold included."""
    held = request.held_minutes
    if request.hold_started_at is not None:
        held += calendar_of(request.unit_id).working_minutes(request.hold_started_at, now or timezone.now())
    return round(held, 1)


def overdue_q(now: datetime.datetime) -> Q:
    """Open, not held, past its completion time."""
    return (
        Q(state__in=[s for s in OPEN_STATES if s not in HOLD_STATES], complete_due_at__lt=now)
        & Q(completed_at__isnull=True)
        & Q(hold_started_at__isnull=True)
    )


def is_overdue(request: ServiceRequest, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    if request.completed_at is not None:
        return request.completed_at > request.complete_due_at
    return (
        request.hold_started_at is None
        and request.state not in FINAL_STATES
        and now > request.complete_due_at
    )


def recompute_open(unit_id: int | None) -> int:
    """After a calendar edit: every open request of the unit (None: of every unit following the group's
    calendar) gets its due times again. Returns how many changed."""
    rows = ServiceRequest.objects.filter(state__in=OPEN_STATES)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    calendars: dict[int, work_calendar.Calendar] = {}
    changed = 0
    for request in rows.iterator(chunk_size=500):
        cal = calendars.get(request.unit_id) or calendars.setdefault(
            request.unit_id, calendar_of(request.unit_id)
        )
        before = (request.answer_due_at, request.complete_due_at)
        request.clock_started_at = cal.clock_start(request.submitted_at)
        set_due(request, cal)
        if (request.answer_due_at, request.complete_due_at) != before:
            ServiceRequest.objects.filter(pk=request.pk).update(
                clock_started_at=request.clock_started_at,
                answer_due_at=request.answer_due_at,
                complete_due_at=request.complete_due_at,
            )
            changed += 1
    return changed


# -- figures for the monthly report (Art. 6, 10) ----------------------------------------------------


@dataclass
class Figures:
    """A unit's month: requests made, done, overdue, the working-time figures and the ratings."""

    made: int
    by_kind: dict[str, int]
    done: int
    overdue: int
    open_overdue: int
    answer_minutes_avg: float | None
    complete_minutes_avg: float | None
    held_minutes_avg: float | None
    rated: int
    rating_avg: float | None


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    first = datetime.datetime(month.year, month.month, 1, tzinfo=zone)
    following = datetime.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return first, following


def figures(rows: QuerySet, month: datetime.date, now: datetime.datetime | None = None) -> Figures:
    """The figures of the requests in `rows` (already scoped to what the reader sees, and to a unit if
    the report is a unit's) made in `month`; `done` and the completion figures count those completed in it."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    made = rows.filter(submitted_at__gte=start, submitted_at__lt=end)
    by_kind = dict(made.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    done = rows.filter(completed_at__gte=start, completed_at__lt=end, state__in=DONE_STATES)
    done_figures = done.aggregate(
        n=Count("id"),
        late=Count("id", filter=Q(completed_at__gt=F("complete_due_at"))),
        complete=Avg("complete_working_minutes"),
        held=Avg("held_minutes"),
    )
    answer = made.aggregate(avg=Avg("answer_working_minutes"))["avg"]
    rated = rows.filter(closed_at__gte=start, closed_at__lt=end, rating__isnull=False).aggregate(
        n=Count("id"), avg=Avg("rating")
    )
    open_overdue = made.filter(overdue_q(min(now, end))).count()

    def rounded(value):
        return None if value is None else round(value, 1)

    return Figures(
        made=made.count(),
        by_kind={kind: by_kind.get(kind, 0) for kind in Kind.values},
        done=done_figures["n"],
        overdue=done_figures["late"] + open_overdue,
        open_overdue=open_overdue,
        answer_minutes_avg=rounded(answer),
        complete_minutes_avg=rounded(done_figures["complete"]),
        held_minutes_avg=rounded(done_figures["held"]),
        rated=rated["n"],
        rating_avg=rounded(rated["avg"]),
    )
