"""A unit's month of the three log books, read for a page or the API (Art. 5): the backup runs monitoring
recorded, the manual backups and restore drills, the rounds with their flags and the missing ones, the
handover and routine notes, and the problem-tracking log — each read where it is kept, nothing copied.

The caller has checked that the reader sees `unit`; the problem-tracking log is read through the
problems' own scoped reader (`tracking.log_events`). A fixed number of queries whatever the month holds;
each list is cut at `LIMIT` rows (the counts stay whole)."""

import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from yunwei.core import scoping
from yunwei.monitoring.models import HeartbeatRun
from yunwei.monitoring.services import heartbeats
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit
from yunwei.problems import tracking
from yunwei.problems.choices import EventKind as ProblemEventKind
from yunwei.problems.choices import State as ProblemState

from . import facts, services
from .choices import NoteKind
from .models import BackupEntry, LogNote, MonthlyReview, Reading, RestoreDrill, Round

LIMIT = 100
# The backup runs beside the other two logs: the month's gaps are on the day strip; the whole list is the
# backup log's own page.
RUNS_SHOWN = 40


def _cut(queryset, limit: int = LIMIT) -> tuple[list, int]:
    """The first `limit` rows, and the whole count (one COUNT query only when the list is cut)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], (len(rows) if len(rows) <= limit else queryset.count())


# A record's page by its key, reversed once per list rather than once per row (a month lists hundreds).
_KEY = 987654321987


def _url_of(route: str):
    pattern = reverse(route, args=[_KEY])
    return lambda pk: pattern.replace(str(_KEY), str(pk))


def _labels(choices) -> dict[str, str]:
    """The labels of a choice set in the reader's language, looked up once per list."""
    return {value: str(label) for value, label in choices.choices}


def month_book(unit, month: datetime.date, user) -> dict:
    """The month's three logs. Each list is read with its own indexed range query and cut at its limit
    before anything is joined or counted per row: the rounds' flagged readings are counted for the rows
    shown only (one grouped query), never aggregated over the whole month."""
    start, end = facts.month_bounds(month)
    in_month = {"occurred_at__gte": start, "occurred_at__lt": end}
    runs = heartbeats.backup_log(
        HeartbeatRun.objects.filter(heartbeat__unit=unit, received_at__gte=start, received_at__lt=end)
    ).select_related("heartbeat")
    runs, runs_count = _cut(runs.order_by("-received_at", "-id"), RUNS_SHOWN)
    rounds = (
        Round.objects.filter(unit=unit, **in_month)
        .select_related("template", "performed_by")
        .order_by("-occurred_at", "-id")
    )
    rounds, rounds_count = _cut(rounds)
    flagged = dict(
        Reading.objects.filter(round__in=[r.pk for r in rounds], out_of_limits=True)
        .order_by()
        .values_list("round_id")
        .annotate(n=Count("pk"))
        .values_list("round_id", "n")
    )
    round_url = _url_of("logbook:round-detail")
    for round_ in rounds:
        round_.flagged = flagged.get(round_.pk, 0)
        round_.url = round_url(round_.pk)
    events = tracking.log_events(user, month).filter(problem__unit=unit)
    events, events_count = _cut(events)
    problem_url = _url_of("problems:problem-detail")
    event_kinds, problem_states = _labels(ProblemEventKind), _labels(ProblemState)
    for event in events:
        event.url = problem_url(event.problem_id)
        event.kind_label = event_kinds.get(event.kind, event.kind)
        event.to_state_label = problem_states.get(event.to_state, event.to_state)
    notes = list(LogNote.objects.filter(unit=unit, **in_month).select_related("team"))
    note_url, note_kinds = _url_of("logbook:note-edit"), _labels(NoteKind)
    for note in notes:
        note.url = note_url(note.pk)
        note.kind_label = note_kinds.get(note.kind, note.kind)
    review = facts.review_of(unit, month)
    return {
        "unit": unit,
        "month": month,
        "review": review,
        "overdue": services.is_overdue(review, month),
        "due_on": review.due_on if review else facts.due_on(month),
        "evidence": facts.backup_evidence(unit, month),
        "runs": runs,
        "runs_count": runs_count,
        "manual_backups": list(BackupEntry.objects.filter(unit=unit, **in_month).select_related("heartbeat")),
        "drills": list(
            RestoreDrill.objects.filter(unit=unit, **in_month).select_related("performed_by", "verified_by")
        ),
        "rounds": rounds,
        "rounds_count": rounds_count,
        "missing": facts.missing_rounds(unit, month),
        "notes": notes,
        "problem_events": events,
        "problem_events_count": events_count,
        "limit": LIMIT,
        "runs_shown": RUNS_SHOWN,
    }


def months_at_a_glance(user, today: datetime.date | None = None) -> dict:
    """Last month per unit the reader sees, for the dashboard: its logs' gaps (backup days without
    evidence, rounds missing), its review and whether it is overdue (Art. 5)."""
    today = today or timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    units = scoping.visible(
        Unit.objects.filter(kind__in=[UnitKind.GROUP, UnitKind.UNIT], is_active=True), user
    )
    units = list(units.order_by("kind", "code"))
    reviews = {r.unit_id: r for r in MonthlyReview.objects.filter(unit__in=units, month=month)}
    # Every unit's logs in the same few queries, not a few per unit (issue 27).
    evidence = facts.backup_evidence_of(units, month, today=today)
    missing = facts.missing_rounds_of(units, month, today=today)
    rows = []
    for unit in units:
        review = reviews.get(unit.pk)
        rows.append(
            {
                "unit": unit,
                "review": review,
                "overdue": services.is_overdue(review, month, today),
                "gap_days": evidence[unit.pk].gap_days,
                "missing": len(missing[unit.pk]),
            }
        )
    return {"month": month, "due_on": facts.due_on(month), "rows": rows}
