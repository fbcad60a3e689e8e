"""The dashboard's work in hand: what waits on someone in incidents, problems and changes, counted over
the records the user may see (the same scoping as each list the figure links to)."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.accounts import delegation
from yunwei.changes.approvals import waiting_for
from yunwei.changes.choices import State as ChangeState
from yunwei.changes.models import Change, awaiting_approval_q, awaiting_rollback_q
from yunwei.core import scoping
from yunwei.incidents.choices import OPEN_STATES as OPEN_INCIDENT_STATES
from yunwei.incidents.filters import breached_q
from yunwei.incidents.models import Incident
from yunwei.problems.choices import State as ProblemState
from yunwei.problems.models import Problem
from yunwei.problems.services import overdue_q

UPCOMING_DAYS = 7


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    count: int
    url: str
    tone: str  # a Bootstrap colour: how urgent a non-zero figure is


def work_in_hand(user) -> list[Figure]:
    now = timezone.now()
    incidents = scoping.visible(Incident.objects.all(), user).filter(state__in=OPEN_INCIDENT_STATES)
    problems = scoping.visible(Problem.objects.all(), user)
    changes = scoping.visible(Change.objects.all(), user)
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
            problems.filter(state=ProblemState.SOLVED).count(),
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
