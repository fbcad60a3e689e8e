"""Who handles an incident (处理人, Art. 13): acknowledging assigns it to the actor unless it is assigned
already; assigning, reassigning and "assign to me" are acts of their own, each on the timeline."""

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.org.models import Person

from ..choices import EventKind, State
from ..models import Incident
from .common import add_event, group_unit_ids, is_staff_for, lock_incident, require_open, require_staff


def person_of(actor) -> Person | None:
    if actor is None or not actor.pk:
        return None
    return Person.objects.filter(account=actor, is_active=True).first()


def assignable(incident_or_unit) -> QuerySet:
    """Whom an incident of this unit may be assigned to: the unit's active people, and the group's people
    with an account who handle every unit's faults (the computer room's staff and the group's admins)."""
    unit_id = getattr(incident_or_unit, "unit_id", None) or incident_or_unit.pk
    people = Person.objects.filter(is_active=True).select_related("unit", "account")
    candidates = people.filter(Q(unit_id=unit_id) | Q(unit_id__in=group_unit_ids(), account__isnull=False))
    staff = [p.pk for p in candidates if p.unit_id == unit_id or is_staff_for(p.account, unit_id)]
    return people.filter(pk__in=staff).order_by("unit__code", "name")


def check_assignee(unit, person: Person | None) -> None:
    if person is None or person.unit_id == unit.pk:
        return
    if not (person.is_active and person.account_id and is_staff_for(person.account, unit.pk)):
        raise DomainError(
            _("Art. 13: an incident is assigned to a person of its unit or to staff who handle it."),
            field="assignee",
        )


def log_assignment(incident: Incident, before: Person | None, *, actor, comment: str = "", at=None) -> None:
    """The timeline entry and audit event of a change of assignee (already set on `incident`)."""
    after = incident.assignee
    add_event(
        incident,
        EventKind.ASSIGN,
        actor=actor,
        at=at,
        comment=comment,
        before=before.name if before else "",
        after=after.name if after else "",
        assignee=after.pk if after else None,
    )
    audit.record(
        "update",
        actor=actor,
        obj=incident,
        before={"assignee": before.pk if before else None},
        after={"assignee": after.pk if after else None},
        comment=comment,
    )


def assign_failure(incident: Incident, actor, *, to_me: bool = False) -> str | None:
    """Why the actor cannot assign the incident now (the page disables the action with it), or None."""
    if not is_staff_for(actor, incident.unit_id):
        return _("Only the unit's system staff may handle this incident.")
    if incident.state == State.CLOSED:
        return _("This incident is closed; it can no longer be changed.")
    if to_me:
        me = person_of(actor)
        if me is None:
            return _("Your account is not linked to a person, so nothing can be assigned to you.")
        if incident.assignee_id == me.pk:
            return _("This incident is assigned to you already.")
    return None


@transaction.atomic
def assign(
    incident: Incident,
    *,
    actor,
    assignee: Person | None = None,
    to_me: bool = False,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> Incident:
    """Assign, reassign or unassign the incident; `to_me` assigns it to the actor's own person."""
    require_staff(actor, incident)
    locked = lock_incident(incident, expected_version)
    require_open(locked)
    if to_me:
        reason = assign_failure(locked, actor, to_me=True)
        if reason:
            raise TransitionNotAllowed(reason, field="assignee")
        assignee = person_of(actor)
    check_assignee(locked.unit, assignee)
    if (assignee.pk if assignee else None) == locked.assignee_id:
        raise DomainError(_("The incident is assigned to this person already."), field="assignee")
    before = locked.assignee
    locked.assignee = assignee
    records.save_version(locked, "assignee")
    log_assignment(locked, before, actor=actor, comment=comment, at=now or timezone.now())
    return locked


@transaction.atomic
def add_comment(incident: Incident, *, actor, text: str) -> Incident:
    """A note on the incident's timeline by its unit's system staff; a closed incident takes none."""
    require_staff(actor, incident)
    text = records.comment_text(text)
    locked = lock_incident(incident)
    require_open(locked)
    add_event(locked, EventKind.COMMENT, actor=actor, comment=text)
    audit.record("update", actor=actor, obj=locked, comment=text)
    return locked


def assign_on_acknowledge(incident: Incident, *, actor) -> bool:
    """Acknowledging assigns the incident to the actor unless it is assigned already: sets it (the caller
    saves it and logs it after the step) and answers whether it did."""
    me = person_of(actor)
    if incident.assignee_id is not None or me is None:
        return False
    incident.assignee = me
    return True
