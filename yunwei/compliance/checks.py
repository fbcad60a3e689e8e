"""The checks: each duty of the regulation judged from the records, set-based.

A check takes the month's `Context` and answers, for each unit of `ctx.units`, a `Judgment`: how many
records it checked, how many were at fault and the first of them as findings. Every check reads its
records with a few aggregate queries over all the units at once (grouped by unit), never a loop over
incidents in Python: it has to run over a million incidents within the nightly window.

Adding a check is one function here and one entry in `registry.DUTIES`.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit.models import Action, AuditEvent
from yunwei.changes.choices import ChangeKind
from yunwei.changes.choices import State as ChangeState
from yunwei.changes.models import Change
from yunwei.incidents.choices import ChecklistKind, NoticeKind
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import ChecklistItem, GradingRule, Incident, IncidentEvent, Notice, counted_q
from yunwei.incidents.services.common import SEVERE_GRADES
from yunwei.logbook import facts as logbook
from yunwei.logbook.choices import DrillOutcome
from yunwei.monitoring.choices import JobKind
from yunwei.monitoring.models import Heartbeat, Indicator, IndicatorBreach
from yunwei.monitoring.services.indicators import periods
from yunwei.org.choices import REQUIRED_UNIT_ROLES, Role
from yunwei.org.models import RoleAssignment, Unit
from yunwei.problems.choices import OPEN_STATES as PROBLEM_OPEN_STATES
from yunwei.problems.choices import EscalationLevel
from yunwei.problems.choices import State as ProblemState
from yunwei.problems.models import Problem

from .choices import Outcome

# Findings kept per result; the result counts them all (`failing`).
MAX_FINDINGS = 50
# A finished change awaits its review this long before the missing review counts against it (Art. 18).
REVIEW_GRACE = datetime.timedelta(days=14)
# The escalation sweep runs every quarter hour: a problem is "unescalated" only past this grace.
ESCALATION_GRACE = datetime.timedelta(hours=1)
# Art. 9: a unit that keeps backups proves them by a restore drill at least once in this many months. It is
# part of the rule: changing it is raising the version of the restore-drill duties in the registry.
RESTORE_DRILL_MONTHS = 6


@dataclass
class Context:
    """The month being judged: its bounds in the site's zone, the moment of judging, the units."""

    month: str
    start: datetime.datetime
    end: datetime.datetime
    now: datetime.datetime
    units: list[Unit]

    @property
    def cutoff(self) -> datetime.datetime:
        """The end of what can be judged: the month's end, or now while the month runs."""
        return min(self.end, self.now)

    @property
    def unit_ids(self) -> list[int]:
        return [unit.pk for unit in self.units]

    @property
    def first_day(self) -> datetime.date:
        """The month as the log books name it: its first day."""
        return datetime.date(int(self.month[:4]), int(self.month[5:]), 1)

    @property
    def today(self) -> datetime.date:
        """The day of judging in the site's zone."""
        return timezone.localtime(self.now, timezone.get_default_timezone()).date()


@dataclass
class Ref:
    """A record at fault, named by its type and key (the pages link it), and what it lacks."""

    object_type: str
    object_id: int | None
    label: str
    detail: str


@dataclass
class Judgment:
    checked: int = 0
    failing: int = 0
    findings: list[Ref] = field(default_factory=list)
    note: str = ""
    # A check may grade by itself (e.g. a target met over the month but missed on days: partly met).
    outcome: str | None = None

    def add(self, ref: Ref) -> None:
        self.failing += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(ref)

    def graded(self) -> str:
        """None at fault: met; all at fault: not met; some: partly met."""
        if self.outcome:
            return self.outcome
        if not self.failing:
            return Outcome.MET
        return Outcome.NOT_MET if self.failing >= self.checked else Outcome.PARTLY_MET


def _judgments(ctx: Context) -> dict[int, Judgment]:
    """A judgment for every unit of the month. A check may leave a unit out of its answer: that unit is
    not judged on the duty this time (nothing is due yet), and no result is written for it."""
    return {unit.pk: Judgment() for unit in ctx.units}


def _count_by_unit(queryset, unit_field: str = "unit_id") -> dict[int, int]:
    rows = queryset.order_by().values_list(unit_field).annotate(n=Count("pk")).values_list(unit_field, "n")
    return dict(rows)


def _collect(judgments, ctx, queryset, object_type: str, detail_of, label_of) -> None:
    """Count every faulty row per unit and keep the first MAX_FINDINGS of each as findings: one query for
    the keys of all units' faulty rows, one for the rows kept (never a query per unit or per row)."""
    kept: dict[int, list[int]] = {}
    for pk, unit_id in queryset.order_by("pk").values_list("pk", "unit_id").iterator(chunk_size=5000):
        judgments[unit_id].failing += 1
        first = kept.setdefault(unit_id, [])
        if len(first) < MAX_FINDINGS:
            first.append(pk)
    rows = queryset.in_bulk([pk for pks in kept.values() for pk in pks])
    for unit_id, pks in kept.items():
        for pk in pks:
            row = rows[pk]
            judgments[unit_id].findings.append(Ref(object_type, row.pk, label_of(row), detail_of(row)))


# -- Art. 3: running indicators ------------------------------------------------------------------


def indicators_met(ctx: Context) -> dict[int, Judgment]:
    """Art. 3 (1): every indicator of the unit's items met its targets over the month; a target missed on
    some days only (IndicatorBreach) leaves the duty partly met."""
    judgments = _judgments(ctx)
    indicators = Indicator.objects.filter(unit_id__in=ctx.unit_ids).select_related("unit", "item")
    breach_days = dict(
        IndicatorBreach.objects.filter(
            indicator__unit_id__in=ctx.unit_ids, day__gte=ctx.start.date(), day__lt=ctx.end.date()
        )
        .values_list("indicator_id")
        .annotate(n=Count("day", distinct=True))
        .values_list("indicator_id", "n")
    )
    partly = set()
    for period in periods(indicators, ctx.month, ctx.now):
        indicator = period.indicator
        judgment = judgments[indicator.unit_id]
        missed = [row for row in period.rows if row["missed"]]
        if not any(row["target"] is not None for row in period.rows):
            continue
        judgment.checked += 1
        if missed:
            figures = ", ".join(str(row["figure"]) for row in missed)
            judgment.add(
                Ref(
                    "monitoring.indicator",
                    indicator.pk,
                    indicator.name,
                    _("Missed over the month: %(figures)s") % {"figures": figures},
                )
            )
        elif breach_days.get(indicator.pk):
            partly.add(indicator.unit_id)
            judgment.findings.append(
                Ref(
                    "monitoring.indicator",
                    indicator.pk,
                    indicator.name,
                    _("Met over the month, missed on %(days)s days") % {"days": breach_days[indicator.pk]},
                )
            )
    for unit_id in partly:
        if not judgments[unit_id].failing:
            judgments[unit_id].outcome = Outcome.PARTLY_MET
    return judgments


# -- Art. 5: the month's review signed on time ------------------------------------------------------


def review_signed(ctx: Context) -> dict[int, Judgment]:
    """Art. 5: the system management lead signs the unit's review of the month by its due day (the day of
    the next month set by YUNWEI_REVIEW_DUE_DAY, fixed on the review when it was opened). Signed by then:
    met; signed after it: partly met; not signed and the due day past: not met. A month not signed whose
    due day has not passed is not judged yet (no result: it neither helps nor hurts the score)."""
    judgments = _judgments(ctx)
    reviews = logbook.reviews_of(ctx.unit_ids, ctx.first_day)
    today = ctx.today
    for unit in ctx.units:
        review = reviews.get(unit.pk)
        due = review.due_on if review is not None else logbook.due_on(ctx.first_day)
        signed_on = (
            timezone.localtime(review.signed_at, timezone.get_default_timezone()).date()
            if review is not None and review.signed_at is not None
            else None
        )
        if signed_on is None and today <= due:
            del judgments[unit.pk]
            continue
        judgment = judgments[unit.pk]
        judgment.checked = 1
        label = _("Review of %(month)s") % {"month": ctx.month}
        if signed_on is None:
            judgment.add(
                Ref("logbook.review", unit.pk, label, _("Not signed; due by %(due)s") % {"due": due})
            )
        elif signed_on > due:
            judgment.outcome = Outcome.PARTLY_MET
            judgment.findings.append(
                Ref(
                    "logbook.review",
                    unit.pk,
                    label,
                    _("Signed on %(signed)s, %(late)s days after its due day %(due)s")
                    % {"signed": signed_on, "late": (signed_on - due).days, "due": due},
                )
            )
    return judgments


# -- Art. 9: backups evidenced and proved by a restore drill --------------------------------------


def backups_evidenced(ctx: Context) -> dict[int, Judgment]:
    """Art. 9: every backup job of the unit left evidence on each day it was due (a trusted successful run,
    or a manual backup recorded for it), read from the data-backup log (`logbook.facts.backup_evidence`).
    Each job-day is checked; each gap is a finding naming the job and the day. A unit with nothing due
    (no backup job of its own: the group runs its backups) is not judged here: the group's duty counts
    for it."""
    judgments = _judgments(ctx)
    for unit in ctx.units:
        # Three queries per unit (jobs, runs, manual backups): the units are counted in tens.
        evidence = logbook.backup_evidence(unit, ctx.first_day, today=ctx.today)
        judgment = judgments[unit.pk]
        for day in evidence.days:
            judgment.checked += len(day.due)
            for name, job_id in zip(day.gaps, day.gap_jobs, strict=True):
                judgment.add(
                    Ref(
                        "monitoring.heartbeat",
                        job_id,
                        name,
                        _("No backup evidenced on %(day)s") % {"day": day.day},
                    )
                )
        if not judgment.checked:
            del judgments[unit.pk]
    return judgments


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first = datetime.date(year, month + 1, 1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def restore_drilled(ctx: Context) -> dict[int, Judgment]:
    """Art. 9: a unit that keeps backups proved them by a restore drill within the last RESTORE_DRILL_MONTHS
    months before the end of the month (or now, while it runs). A passed drill: met; only drills that
    failed or restored in part: partly met; none: not met. A unit with no backup job and no drill is not
    judged here (the group runs its backups, and the group's duty counts for it)."""
    judgments = _judgments(ctx)
    cutoff = ctx.cutoff
    since = _months_before(
        timezone.localtime(cutoff, timezone.get_default_timezone()).date(), RESTORE_DRILL_MONTHS
    )
    keeping = set(
        Heartbeat.objects.filter(unit_id__in=ctx.unit_ids, kind=JobKind.BACKUP, created_at__lt=cutoff)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    for unit in ctx.units:
        drills = list(logbook.restore_drills(unit, since).filter(occurred_at__lt=cutoff)[:20])
        if unit.pk not in keeping and not drills:
            del judgments[unit.pk]
            continue
        judgment = judgments[unit.pk]
        judgment.checked = 1
        if any(drill.outcome == DrillOutcome.PASSED for drill in drills):
            continue
        if drills:
            latest = drills[0]
            judgment.outcome = Outcome.PARTLY_MET
            judgment.findings.append(
                Ref(
                    "logbook.drill",
                    latest.pk,
                    str(latest)[:200],
                    _("No restore drill passed since %(since)s; the latest: %(outcome)s")
                    % {"since": since, "outcome": DrillOutcome(latest.outcome).label},
                )
            )
        else:
            judgment.add(
                Ref(
                    "logbook.month",
                    unit.pk,
                    unit.name,
                    _("No restore drill since %(since)s (one is due every %(months)s months)")
                    % {"since": since, "months": RESTORE_DRILL_MONTHS},
                )
            )
    return judgments


# -- Art. 10: the unit's people -------------------------------------------------------------------


def unit_roles_named(ctx: Context) -> dict[int, Judgment]:
    """Art. 10: each unit names a leader in charge, at least one system admin and one clerk (active
    people, assigned by the month's end)."""
    judgments = _judgments(ctx)
    held = set(
        RoleAssignment.objects.filter(
            unit_id__in=ctx.unit_ids,
            role__in=REQUIRED_UNIT_ROLES,
            person__is_active=True,
            assigned_at__lt=ctx.end,
        )
        .values_list("unit_id", "role")
        .distinct()
    )
    for unit in ctx.units:
        judgment = judgments[unit.pk]
        for role in REQUIRED_UNIT_ROLES:
            judgment.checked += 1
            if (unit.pk, role.value) not in held:
                judgment.add(
                    Ref("org.unit", unit.pk, unit.name, _("No %(role)s named") % {"role": Role(role).label})
                )
    return judgments


# -- Art. 11: un-masking of personal data ---------------------------------------------------------


def unmasking_recorded(ctx: Context) -> dict[int, Judgment]:
    """Art. 11: every un-masking of personal data in the unit is recorded in the audit trail with who
    did it and what was shown, and the event is intact (its own hash still matches)."""
    judgments = _judgments(ctx)
    # Sealed events only (numbered and hashed seconds after their commit; the chain's verification
    # reports one left unsealed): an unsealed event has no hash to judge nor number to link to.
    events = AuditEvent.objects.filter(
        action=Action.UNMASK, unit_id__in=ctx.unit_ids, at__gte=ctx.start, at__lt=ctx.end, seq__isnull=False
    )
    for unit_id, n in _count_by_unit(events).items():
        judgments[unit_id].checked = n
    # Whoever or whatever is missing is one query; the hash is recomputed only for these few events
    # (un-maskings are counted in hundreds a month, not millions).
    for event in events.order_by("seq").iterator(chunk_size=2000):
        judgment = judgments[event.unit_id]
        if event.actor_id is None or not event.comment.strip():
            judgment.add(
                Ref("audit.event", event.seq, f"#{event.seq}", _("Recorded without who or what was shown"))
            )
        elif event.compute_hash() != event.hash:
            judgment.add(
                Ref(
                    "audit.event",
                    event.seq,
                    f"#{event.seq}",
                    _("The record was altered after it was written"),
                )
            )
    return judgments


# -- Art. 12: grading -----------------------------------------------------------------------------


def _incidents(ctx: Context):
    """The incidents of the month (reported in it) that count: monitoring's false alarms and merged ones
    are left out."""
    return Incident.objects.filter(
        counted_q(), unit_id__in=ctx.unit_ids, reported_at__gte=ctx.start, reported_at__lt=ctx.cutoff
    )


def incidents_graded(ctx: Context) -> dict[int, Judgment]:
    """Art. 12: every incident graded by the matrix: a grade set by hand has its reason; a grade from the
    matrix is at least what the matrix says for the scope and the time to restore."""
    judgments = _judgments(ctx)
    incidents = _incidents(ctx)
    for unit_id, n in _count_by_unit(incidents).items():
        judgments[unit_id].checked = n
    # Grade codes sort by severity (I < II < III), so "less severe than the rule" is `grade > rule.grade`.
    under_graded = Q()
    for rule in GradingRule.objects.all():
        under_graded |= Q(
            impact_scope=rule.impact_scope,
            grade__gt=rule.grade,
            restored_at__gte=F("started_at") + datetime.timedelta(minutes=rule.min_duration_minutes),
        )
    faulty = incidents.filter(Q(grade_manual=True, grade_reason="") | (Q(grade_manual=False) & under_graded))
    _collect(
        judgments,
        ctx,
        faulty,
        "incidents.incident",
        lambda i: (
            _("Grade set by hand without a reason")
            if i.grade_manual
            else _("Graded below the matrix for its scope and duration")
        ),
        lambda i: f"{i.code} {i.title}"[:200],
    )
    return judgments


# -- Art. 13: the flow of a severe fault -----------------------------------------------------------


def severe_incidents_handled(ctx: Context) -> dict[int, Judgment]:
    """Art. 13: every grade-Ⅱ (or Ⅰ) incident closed in the month had its leader report, the suspension
    notice where its plan requires one, the recovery notice, and a passed verification."""
    judgments = _judgments(ctx)
    closed = Incident.objects.filter(
        counted_q(),
        unit_id__in=ctx.unit_ids,
        state=IncidentState.CLOSED,
        grade__in=SEVERE_GRADES,
        closed_at__gte=ctx.start,
        closed_at__lt=ctx.cutoff,
    )

    def notice(kind):
        return Exists(Notice.objects.filter(incident=OuterRef("pk"), kind=kind))

    annotated = closed.annotate(
        has_leader=notice(NoticeKind.LEADER_REPORT),
        has_suspension=notice(NoticeKind.SUSPENSION),
        has_recovery=notice(NoticeKind.RECOVERY),
        verified=Exists(
            IncidentEvent.objects.filter(
                incident=OuterRef("pk"),
                kind="transition",
                from_state=IncidentState.VERIFYING,
                to_state=IncidentState.RESTORED,
            )
        ),
        failed_check=Exists(
            ChecklistItem.objects.filter(incident=OuterRef("pk"), kind=ChecklistKind.VERIFICATION).exclude(
                passed=True
            )
        ),
    )
    for unit_id, n in _count_by_unit(closed).items():
        judgments[unit_id].checked = n
    faulty = annotated.filter(
        Q(has_leader=False)
        | Q(has_recovery=False)
        | Q(verified=False)
        | Q(failed_check=True)
        | Q(plan_snapshot__suspend_service=True, has_suspension=False)
    )

    def detail(incident) -> str:
        missing = []
        if not incident.has_leader:
            missing.append(str(NoticeKind.LEADER_REPORT.label))
        if incident.plan_snapshot.get("suspend_service") and not incident.has_suspension:
            missing.append(str(NoticeKind.SUSPENSION.label))
        if not incident.has_recovery:
            missing.append(str(NoticeKind.RECOVERY.label))
        if not incident.verified or incident.failed_check:
            missing.append(_("passed verification"))
        return _("Missing: %(what)s") % {"what": ", ".join(missing)}

    _collect(judgments, ctx, faulty, "incidents.incident", detail, lambda i: f"{i.code} {i.title}"[:200])
    return judgments


# -- Art. 14–16: the problem database --------------------------------------------------------------


def problems_verified(ctx: Context) -> dict[int, Judgment]:
    """Art. 16: every problem archived in the month was verified by a group system admin other than its
    owner."""
    judgments = _judgments(ctx)
    archived = Problem.objects.filter(
        unit_id__in=ctx.unit_ids,
        state=ProblemState.ARCHIVED,
        archived_at__gte=ctx.start,
        archived_at__lt=ctx.cutoff,
    )
    for unit_id, n in _count_by_unit(archived).items():
        judgments[unit_id].checked = n
    group_admin = Exists(
        RoleAssignment.objects.filter(person__account=OuterRef("verified_by"), role=Role.GROUP_ADMIN)
    )
    faulty = archived.annotate(by_group_admin=group_admin).filter(
        Q(verified_by__isnull=True) | Q(owner__account=F("verified_by")) | Q(by_group_admin=False)
    )
    _collect(
        judgments,
        ctx,
        faulty,
        "problems.problem",
        lambda p: _("Archived without a verification by a group system admin other than its owner"),
        lambda p: f"{p.code} {p.title}"[:200],
    )
    return judgments


def problems_escalated(ctx: Context) -> dict[int, Judgment]:
    """Art. 15: no problem of the unit went past its deadline in the month without being escalated."""
    judgments = _judgments(ctx)
    due = Problem.objects.filter(
        unit_id__in=ctx.unit_ids,
        owner_alert_at__gte=ctx.start,
        owner_alert_at__lt=ctx.cutoff - ESCALATION_GRACE,
    )
    for unit_id, n in _count_by_unit(due).items():
        judgments[unit_id].checked = n
    # Still at level "none" and not solved in time: the sweep never told anybody.
    faulty = due.filter(escalation_level=EscalationLevel.NONE).filter(
        Q(state__in=PROBLEM_OPEN_STATES) | Q(solved_at__gt=F("owner_alert_at"))
    )
    _collect(
        judgments,
        ctx,
        faulty,
        "problems.problem",
        lambda p: _("Past its deadline %(deadline)s without escalation") % {"deadline": p.deadline},
        lambda p: f"{p.code} {p.title}"[:200],
    )
    return judgments


# -- Art. 17–18: changes ----------------------------------------------------------------------------


FINISHED = (ChangeState.COMPLETED, ChangeState.ROLLED_BACK, ChangeState.FAILED, ChangeState.REVIEWED)


def changes_controlled(ctx: Context) -> dict[int, Judgment]:
    """Art. 18: every change finished in the month was approved (an emergency one within 24 hours), had
    a rollback plan, and was reviewed (allowing REVIEW_GRACE after it finished)."""
    judgments = _judgments(ctx)
    finished = Change.objects.filter(
        unit_id__in=ctx.unit_ids, state__in=FINISHED, finished_at__gte=ctx.start, finished_at__lt=ctx.cutoff
    )
    for unit_id, n in _count_by_unit(finished).items():
        judgments[unit_id].checked = n
    unapproved = Q(approved_at__isnull=True)
    late = Q(kind=ChangeKind.EMERGENCY, approved_at__gt=F("approval_due_at"))
    no_rollback = Q(rollback_plan="")
    unreviewed = Q(reviewed_at__isnull=True, finished_at__lt=ctx.now - REVIEW_GRACE)
    faulty = finished.filter(unapproved | late | no_rollback | unreviewed)

    def detail(change) -> str:
        missing = []
        if change.approved_at is None:
            missing.append(_("approval"))
        elif (
            change.kind == ChangeKind.EMERGENCY
            and change.approval_due_at
            and change.approved_at > change.approval_due_at
        ):
            missing.append(_("approval within 24 hours"))
        if not change.rollback_plan:
            missing.append(_("rollback plan"))
        if change.reviewed_at is None and change.finished_at < ctx.now - REVIEW_GRACE:
            missing.append(_("review"))
        return _("Missing: %(what)s") % {"what": ", ".join(missing)}

    _collect(judgments, ctx, faulty, "changes.change", detail, lambda c: f"{c.code} {c.title}"[:200])
    return judgments
