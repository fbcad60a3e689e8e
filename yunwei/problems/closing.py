"""Closing an incident not fixed for good (Art. 14: 临时不能处理的故障均列入问题库): in one step the
incident is linked to a problem of the problem database — one the actor may see, or one registered from
the incident there and then — and closed through fault handling's own transition.

The rule itself is fault handling's (`incidents.services.transition` refuses to close an unfixed fault
that no problem is linked to); this is the seam that lets the problem database supply the link without
fault handling importing it. Pages, API and the demo close unfixed faults through `close_incident`.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from yunwei.core import records, scoping
from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.incidents import services as incidents
from yunwei.incidents.choices import ALLOWED_TRANSITIONS as INCIDENT_TRANSITIONS
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import Incident

from . import services
from .choices import ACTIVE_STATES
from .models import Problem


def linkable_problems(incident: Incident, actor):
    """The problems an unfixed fault may be closed against: active ones of its unit the actor may see."""
    return scoping.visible(
        Problem.objects.filter(unit_id=incident.unit_id, state__in=ACTIVE_STATES), actor
    ).order_by("-registered_at", "-id")


def problem_failure(incident: Incident, problem: Problem, actor) -> tuple[str, str] | None:
    """Why `problem` cannot explain the incident being closed, as (reason, field); None when it can."""
    if not scoping.visible(Problem.objects.filter(pk=problem.pk), actor).exists():
        return _("Art. 14: link a problem of the problem database that you may see."), "problem"
    if problem.unit_id != incident.unit_id:
        return _("Art. 14: the problem belongs to another unit than the incident."), "problem"
    if problem.state not in ACTIVE_STATES:
        return (
            _("Art. 14: this problem is archived and has left the problem database; link an active one."),
            "problem",
        )
    return None


@transaction.atomic
def close_incident(
    incident: Incident,
    *,
    actor,
    resolution_summary: str,
    problem: Problem | None = None,
    register: bool = False,
    title: str = "",
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **problem_fields,
) -> Problem:
    """Close a restored incident as not fixed for good, linked to `problem` or to a problem registered from
    it (`register`, with `problem_fields` as `services.register` takes them). Returns the problem.
    Nothing is kept when any part is refused."""
    locked = records.lock(Incident.objects.select_related("unit"), incident.pk, expected_version)
    if IncidentState.CLOSED not in INCIDENT_TRANSITIONS[locked.state]:
        raise TransitionNotAllowed(
            _("An incident cannot go from “%(source)s” to “%(target)s”.")
            % {"source": IncidentState(locked.state).label, "target": IncidentState.CLOSED.label},
            field="to",
        )
    if problem_fields and not register:
        raise DomainError(_("This field cannot be set here."), field=sorted(problem_fields)[0])
    if (problem is None) == (not register):
        raise DomainError(
            _("Art. 14: name the problem that explains the fault, or register one from the incident."),
            field="problem",
        )
    if problem is not None:
        failure = problem_failure(locked, problem, actor)
        if failure is not None:
            reason, field = failure
            raise DomainError(reason, field=field)
        if not problem.incidents.filter(pk=locked.pk).exists():
            services.link_incident(problem, locked, actor=actor, now=now)
    else:
        problem = services.register(
            actor=actor,
            unit=locked.unit,
            title=(title or locked.title).strip(),
            description="\n".join(
                part for part in (locked.description, locked.cause_detail, resolution_summary) if part
            ),
            source_incident=locked,
            affected_items=locked.affected_items.all(),
            now=now,
            **problem_fields,
        )
    incidents.transition(
        locked,
        to=IncidentState.CLOSED,
        actor=actor,
        comment=comment,
        now=now,
        resolution_summary=resolution_summary,
        fixed_for_good=False,
    )
    return problem
