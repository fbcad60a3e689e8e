"""What waits on whom: the dashboard's work in hand (counted over the records the user may see, the same
scoping as each list a figure links to) and My work (the same rules narrowed to one person).

Each "waits on X" rule is written once, here or in its app (`changes.queues`), and both the dashboard's
figures and My work's sections read it. Every queryset starts from `scoping.visible()`, so nothing of
another unit ever reaches either page.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yunwei.accounts import delegation
from yunwei.alerts.choices import WAITING as ALERT_WAITING
from yunwei.alerts.models import Alert
from yunwei.changes import queues as change_queues
from yunwei.changes.approvals import waiting_for
from yunwei.changes.choices import State as ChangeState
from yunwei.changes.models import Change, awaiting_approval_q, awaiting_rollback_q
from yunwei.core import scoping
from yunwei.incidents.choices import OPEN_STATES as OPEN_INCIDENT_STATES
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.filters import breached_q
from yunwei.incidents.models import Incident
from yunwei.logbook import facts as logbook_facts
from yunwei.logbook.choices import OPEN_STATES as OPEN_RECTIFICATION_STATES
from yunwei.logbook.choices import RectificationState, ReviewState
from yunwei.logbook.models import MonthlyReview, Rectification, Round, RoundTemplate
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit
from yunwei.problems.choices import OPEN_STATES as OPEN_PROBLEM_STATES
from yunwei.problems.choices import State as ProblemState
from yunwei.problems.models import Problem
from yunwei.problems.services import overdue_q

UPCOMING_DAYS = 7
SECTION_SIZE = 20  # rows shown per section; the rest is one click away on the filtered list


# -- the rules ------------------------------------------------------------------------------------


def open_incidents(user) -> QuerySet:
    return scoping.visible(Incident.objects.all(), user).filter(state__in=OPEN_INCIDENT_STATES)


def handled_units_q(user, path: str = "unit_id") -> Q | None:
    """The units whose operational records the user works on (`Access.can_handle_unit`): None for none,
    an empty Q for every unit."""
    access = scoping.access_of(user)
    if access.is_group_admin or access.is_group_staff:
        return Q()
    ids = access.admin_unit_ids | access.staff_unit_ids
    return Q(**{f"{path}__in": ids}) if ids else None


def incidents_on(user) -> QuerySet:
    """Open incidents assigned to the user or to their team."""
    person = getattr(user, "person", None)
    if person is None:
        return Incident.objects.none()
    # By the person's own keys, not through a join on the account: each side of the OR is one index
    # (assignee, team), so the planner combines two small index scans at any number of incidents.
    mine = Q(assignee_id=person.pk)
    if person.team_id is not None:
        mine |= Q(team_id=person.team_id)
    return open_incidents(user).filter(mine).exclude(state=IncidentState.TO_CONFIRM)


def incidents_to_confirm(user) -> QuerySet:
    """Incidents monitoring opened, waiting for the unit's staff to confirm them or close them as false."""
    units = handled_units_q(user)
    if units is None:
        return Incident.objects.none()
    return scoping.visible(Incident.objects.all(), user).filter(units, state=IncidentState.TO_CONFIRM)


def alerts_unmatched(user) -> QuerySet:
    """Alerts that matched no inventory item (or several), for the staff who map them."""
    units = handled_units_q(user)
    if units is None:
        return Alert.objects.none()
    return scoping.visible(Alert.objects.all(), user).filter(units, match__in=ALERT_WAITING)


def problems_to_verify_q() -> Q:
    return Q(state=ProblemState.SOLVED)


def problems_owned(user) -> QuerySet:
    """Problems the user owns and works on (Art. 15)."""
    return scoping.visible(Problem.objects.all(), user).filter(
        owner__account=user, state__in=OPEN_PROBLEM_STATES
    )


def problems_to_classify(user) -> QuerySet:
    """Registered problems a group system admin classifies (Art. 15)."""
    if not scoping.access_of(user).is_group_admin:
        return Problem.objects.none()
    return scoping.visible(Problem.objects.all(), user).filter(state=ProblemState.REGISTERED)


def problems_to_verify(user) -> QuerySet:
    """Solved problems a group system admin other than the owner verifies (Art. 16)."""
    if not scoping.access_of(user).is_group_admin:
        return Problem.objects.none()
    rows = scoping.visible(Problem.objects.all(), user).filter(problems_to_verify_q())
    return rows.exclude(owner__account=user)


# -- the log books (Art. 5): rounds to walk, rectifications to do or verify, the month to sign -------------

# A team has a handful of round templates; the weekday test is done on at most this many of them.
ROUND_TEMPLATES_READ = 200


def _today_bounds(today: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def rounds_not_walked_today(user, today: datetime.date | None = None) -> QuerySet:
    """The active round templates of the person's team, due from a day already come, with no round walked
    today — in the units whose log books the person writes (their weekdays are read by `rounds_due_today`)."""
    person = getattr(user, "person", None)
    units = handled_units_q(user)
    if person is None or person.team_id is None or units is None:
        return RoundTemplate.objects.none()
    today = today or timezone.localdate()
    start, end = _today_bounds(today)
    walked = Round.objects.filter(template=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end)
    return (
        scoping.visible(RoundTemplate.objects.all(), user)
        .filter(units, team_id=person.team_id, is_active=True, active_from__lte=today)
        .filter(~Exists(walked))
        .order_by("name", "id")
    )


def rounds_due_today(user, today: datetime.date | None = None) -> list[RoundTemplate]:
    """The inspection rounds of the person's team due today (the schedule `logbook.facts.missing_rounds`
    reads: active, due from a day already come, on today's weekday) and not walked yet today."""
    today = today or timezone.localdate()
    rows = rounds_not_walked_today(user, today).select_related("unit")[:ROUND_TEMPLATES_READ]
    return [t for t in rows if today.weekday() in (t.weekdays or [])]


def rectifications_owned(user) -> QuerySet:
    """Rectification items the person owns that are not done yet (Art. 5: 及时整改)."""
    person = getattr(user, "person", None)
    if person is None:
        return Rectification.objects.none()
    return scoping.visible(Rectification.objects.all(), user).filter(
        owner_id=person.pk, state__in=OPEN_RECTIFICATION_STATES
    )


def rectifications_to_verify(user) -> QuerySet:
    """Items declared done, in the units the person works on, that somebody other than their owner and
    other than who declared them done verifies (`logbook.services.permission_failure`)."""
    units = handled_units_q(user)
    if units is None:
        return Rectification.objects.none()
    rows = scoping.visible(Rectification.objects.all(), user).filter(units, state=RectificationState.DONE)
    return rows.exclude(owner__account=user).exclude(done_by=user)


def lead_units_q(user) -> Q | None:
    """The units whose months the user reviews and signs as system management lead
    (`logbook.services.is_lead_for`): None for none, an empty Q for every unit."""
    roles = scoping.access_of(user).roles
    led = [(unit_id, kind) for role, unit_id, kind in roles if role == Role.SYSTEM_LEAD]
    if not led:
        return None
    if any(kind == UnitKind.GROUP for _unit, kind in led):
        return Q()
    return Q(pk__in=[unit_id for unit_id, _kind in led])


def last_month(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return logbook_facts.first_of(today.replace(day=1) - datetime.timedelta(days=1))


def reviews_to_sign(user, today: datetime.date | None = None) -> QuerySet:
    """For the system management lead: the units they lead whose last month is not signed yet (no review
    opened, or one still open). Rows are units, annotated with their open review's due day if any."""
    units = lead_units_q(user)
    if units is None:
        return Unit.objects.none()
    month = last_month(today)
    reviews = MonthlyReview.objects.filter(unit=OuterRef("pk"), month=month)
    return (
        scoping.visible(Unit.objects.all(), user)
        .filter(units, is_active=True, kind__in=[UnitKind.UNIT, UnitKind.GROUP])
        .exclude(Exists(reviews.filter(state=ReviewState.SIGNED)))
    )


def visible_changes(user) -> QuerySet:
    return scoping.visible(Change.objects.all(), user)


# -- the dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    count: int
    url: str
    tone: str  # a Bootstrap colour: how urgent a non-zero figure is


def work_in_hand(user) -> list[Figure]:
    now = timezone.now()
    incidents = open_incidents(user)
    problems = scoping.visible(Problem.objects.all(), user)
    changes = visible_changes(user)
    incident_list, problem_list = reverse("incidents:incident-list"), reverse("problems:problem-list")
    change_list = reverse("changes:change-list")
    figures = [
        Figure("open-incidents", _("Open incidents"), incidents.count(), incident_list, "warning"),
        Figure(
            "breached-incidents",
            _("Open incidents past their SLA"),
            incidents.filter(breached_q(now)).count(),
            f"{incident_list}?breached=true",
            "danger",
        ),
        Figure(
            "overdue-problems",
            _("Problems past their deadline"),
            problems.filter(overdue_q(now)).count(),
            f"{problem_list}?overdue=true",
            "danger",
        ),
        Figure(
            "problems-to-verify",
            _("Problems awaiting verification"),
            problems.filter(problems_to_verify_q()).count(),
            f"{problem_list}?state={ProblemState.SOLVED}",
            "info",
        ),
        Figure(
            "changes-to-approve",
            _("Changes awaiting approval"),
            changes.filter(state=ChangeState.SUBMITTED).count(),
            f"{change_list}?state={ChangeState.SUBMITTED}",
            "info",
        ),
        Figure(
            "emergency-awaiting",
            _("Emergency changes awaiting approval after the fact"),
            changes.filter(awaiting_approval_q()).count(),
            f"{change_list}?awaiting_approval=true",
            "warning",
        ),
        Figure(
            "emergency-unapproved",
            _("Emergency changes past their approval time"),
            changes.filter(awaiting_approval_q(), approval_due_at__lt=now).count(),
            f"{change_list}?awaiting_approval=true",
            "danger",
        ),
        Figure(
            "emergency-refused",
            _("Refused emergency changes awaiting rollback"),
            changes.filter(awaiting_rollback_q()).count(),
            f"{change_list}?awaiting_rollback=true",
            "danger",
        ),
        Figure(
            "upcoming-changes",
            _("Changes scheduled in the next 7 days"),
            changes.filter(
                state=ChangeState.SCHEDULED,
                planned_start__gte=now,
                planned_start__lt=now + datetime.timedelta(days=UPCOMING_DAYS),
            ).count(),
            f"{reverse('changes:calendar')}?view=week",
            "primary",
        ),
    ]
    deciding = change_queues.awaiting_decision(changes, user)
    if change_queues.decides(user):
        figures.insert(
            0,
            Figure(
                "awaiting-my-decision",
                _("Changes awaiting my decision"),
                deciding.count(),
                f"{change_list}?awaiting_my_decision=true",
                "danger",
            ),
        )
    if delegation.acting_for(user, now):
        # 职务代理: what waits for the approver the user stands in for waits for the user too.
        figures.append(
            Figure(
                "changes-as-deputy",
                _("Changes waiting for your decision as deputy"),
                len(waiting_for(user, now)),
                f"{change_list}?state={ChangeState.SUBMITTED}",
                "info",
            )
        )
    return figures


# -- My work --------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One record waiting on the person: what it is, where it is, by when, and how late."""

    code: str
    title: str
    url: str
    unit: str
    state: str
    badge: str
    due: datetime.datetime | None
    late: datetime.timedelta | None = None


@dataclass
class Section:
    key: str
    label: str
    url: str  # the filtered list behind the section
    entries: list[Entry] = field(default_factory=list)
    more: bool = False


def _day_end(day: datetime.date | None) -> datetime.datetime | None:
    """A deadline given as a day is due by the end of that day, local time."""
    if day is None:
        return None
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(start, timezone.get_current_timezone())


def _incident_due(incident: Incident):
    return incident.restore_due_at if incident.acknowledged_at else incident.acknowledge_due_at


def _change_due(change: Change):
    if change.state == ChangeState.SUBMITTED or change.awaiting_approval:
        return change.approval_due_at or change.planned_start
    if change.state in (ChangeState.APPROVED, ChangeState.SCHEDULED):
        return change.planned_start
    if change.state in change_queues.REVIEW_STATES:
        return None
    return change.planned_end


def _entries(rows, due, url_name, now) -> tuple[list[Entry], bool]:
    rows = list(rows[: SECTION_SIZE + 1])
    entries = []
    for row in rows[:SECTION_SIZE]:
        deadline = due(row)
        entries.append(
            Entry(
                code=row.code,
                title=str(getattr(row, "title", "") or getattr(row, "name", "")),
                url=reverse(url_name, args=[row.pk]),
                unit=row.unit.name,
                state=row.get_state_display() if hasattr(row, "get_state_display") else "",
                badge=getattr(row, "state_badge", "secondary"),
                due=deadline,
                late=now - deadline if deadline is not None and deadline < now else None,
            )
        )
    entries.sort(key=lambda e: (e.due is None, e.due or now))
    return entries, len(rows) > SECTION_SIZE


class _AlertRow:
    """An alert dressed as a record of My work: its code and its age instead of a deadline."""

    def __init__(self, alert: Alert):
        self.pk, self.unit, self.title = alert.pk, alert.unit, alert.name
        self.code = f"ALT{alert.pk:06d}"
        self.first_seen_at = alert.first_seen_at

    def get_state_display(self) -> str:
        return str(pgettext_lazy("alert match", "No item"))


def my_work(user) -> list[Section]:
    """The sections of the person's My work page, the ones that can hold something for them."""
    now = timezone.now()
    incident_list, problem_list = reverse("incidents:incident-list"), reverse("problems:problem-list")
    change_list = reverse("changes:change-list")
    changes = visible_changes(user).select_related("unit")
    by_due_incidents = ("restore_due_at", "acknowledge_due_at", "-id")
    sections: list[Section] = []

    def add(key, label, url, rows, due, url_name):
        section = Section(key, label, url)
        section.entries, section.more = _entries(rows, due, url_name, now)
        sections.append(section)

    add(
        "incidents",
        _("Incidents assigned to me or my team"),
        f"{incident_list}?mine=true",
        incidents_on(user).select_related("unit").order_by(*by_due_incidents),
        _incident_due,
        "incidents:incident-detail",
    )
    if handled_units_q(user) is not None:
        add(
            "to-confirm",
            _("Incidents to confirm"),
            f"{incident_list}?state={IncidentState.TO_CONFIRM}",
            incidents_to_confirm(user).select_related("unit").order_by("acknowledge_due_at", "-id"),
            lambda row: row.acknowledge_due_at,
            "incidents:incident-detail",
        )
        alerts = alerts_unmatched(user).select_related("unit").order_by("first_seen_at", "id")
        section = Section("alerts", _("Alerts matching no item"), reverse("alerts:unmatched"))
        section.entries, section.more = _entries(
            [_AlertRow(a) for a in alerts[: SECTION_SIZE + 1]], lambda row: None, "alerts:alert-detail", now
        )
        sections.append(section)
    add(
        "problems-owned",
        _("Problems I own"),
        f"{problem_list}?owner={getattr(getattr(user, 'person', None), 'pk', '')}",
        problems_owned(user).select_related("unit").order_by("deadline", "-id"),
        lambda row: _day_end(row.deadline),
        "problems:problem-detail",
    )
    if scoping.access_of(user).is_group_admin:
        add(
            "problems-to-classify",
            _("Problems to classify"),
            f"{problem_list}?state={ProblemState.REGISTERED}",
            problems_to_classify(user).select_related("unit").order_by("registered_at", "id"),
            lambda row: None,
            "problems:problem-detail",
        )
        add(
            "problems-to-verify",
            _("Problems to verify"),
            f"{problem_list}?state={ProblemState.SOLVED}",
            problems_to_verify(user).select_related("unit").order_by("solved_at", "id"),
            lambda row: _day_end(row.deadline),
            "problems:problem-detail",
        )
    if change_queues.decides(user):
        add(
            "changes-to-decide",
            _("Changes awaiting my decision"),
            f"{change_list}?awaiting_my_decision=true",
            change_queues.awaiting_decision(changes, user).order_by("approval_due_at", "planned_start", "id"),
            _change_due,
            "changes:change-detail",
        )
    add(
        "changes-to-schedule",
        _("Approved changes to schedule"),
        f"{change_list}?state={ChangeState.APPROVED}",
        change_queues.to_schedule(changes, user).order_by("planned_start", "id"),
        _change_due,
        "changes:change-detail",
    )
    add(
        "changes-to-carry-out",
        _("Changes to carry out"),
        f"{change_list}?state={ChangeState.SCHEDULED}",
        change_queues.to_carry_out(changes, user).order_by("planned_start", "id"),
        _change_due,
        "changes:change-detail",
    )
    if change_queues.reviews(user):
        add(
            "changes-to-review",
            _("Changes to review"),
            f"{change_list}?state={ChangeState.COMPLETED}",
            change_queues.to_review(changes, user).order_by("finished_at", "id"),
            _change_due,
            "changes:change-detail",
        )
    _logbook_sections(user, now, sections, add)
    return sections


def _logbook_sections(user, now, sections: list[Section], add) -> None:
    today = timezone.localdate(now)
    rectification_list = reverse("logbook:rectification-list")
    person = getattr(user, "person", None)
    if person is not None and person.team_id is not None and handled_units_q(user) is not None:
        section = Section("rounds-due", _("Inspection rounds due today"), reverse("logbook:template-list"))
        due_by = _day_end(today)
        templates = rounds_due_today(user, today)
        section.entries = [
            Entry(
                code=f"RTP{template.pk:05d}",
                title=template.name,
                url=reverse("logbook:round-walk", args=[template.pk]),
                unit=template.unit.name,
                state=str(_("Not walked yet")),
                badge="warning",
                due=due_by,
            )
            for template in templates[:SECTION_SIZE]
        ]
        section.more = len(templates) > SECTION_SIZE
        sections.append(section)
    if person is not None:
        add(
            "rectifications-owned",
            _("Rectifications I own"),
            rectification_list,
            rectifications_owned(user).select_related("unit").order_by("deadline", "id"),
            lambda row: _day_end(row.deadline),
            "logbook:rectification-detail",
        )
    if handled_units_q(user) is not None:
        add(
            "rectifications-to-verify",
            _("Rectifications to verify"),
            f"{rectification_list}?state={RectificationState.DONE}",
            rectifications_to_verify(user).select_related("unit").order_by("deadline", "id"),
            lambda row: _day_end(row.deadline),
            "logbook:rectification-detail",
        )
    if lead_units_q(user) is not None:
        month = last_month(today)
        open_due = MonthlyReview.objects.filter(unit=OuterRef("pk"), month=month).values("due_on")[:1]
        rows = list(
            reviews_to_sign(user, today)
            .annotate(review_due=Subquery(open_due))
            .order_by("code", "id")[: SECTION_SIZE + 1]
        )
        section = Section("review-to-sign", _("Monthly review to sign"), reverse("logbook:index"))
        for unit in rows[:SECTION_SIZE]:
            deadline = _day_end(unit.review_due or logbook_facts.due_on(month))
            section.entries.append(
                Entry(
                    code=f"{unit.code}/{month:%Y-%m}",
                    title=str(_("Review of %(month)s") % {"month": f"{month:%Y-%m}"}),
                    url=reverse("logbook:review", args=[unit.pk]) + f"?month={month:%Y-%m}",
                    unit=unit.name,
                    state=str(_("Not signed")),
                    badge="warning",
                    due=deadline,
                    late=now - deadline if deadline < now else None,
                )
            )
        section.more = len(rows) > SECTION_SIZE
        sections.append(section)
