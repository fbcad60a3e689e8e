"""Lowering a grade under Art. 12: the system management lead lowers it; anyone else who handles the fault
(a unit admin, say) proposes the lower grade with a reason and the lead accepts or refuses it. The proposal
and the decision are both on the timeline."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed

from ..choices import EventKind, Grade
from ..models import Incident
from .common import add_event, is_system_lead, lock_incident, require_open, require_staff
from .incident import change_grade


def may_lower_grade(actor, incident: Incident) -> bool:
    return is_system_lead(actor, incident.unit_id)


@transaction.atomic
def propose_grade(
    incident: Incident, *, grade: str, reason: str, actor, now: datetime.datetime | None = None
) -> Incident:
    """Propose a lower grade to the system management lead; it replaces a pending proposal."""
    if grade not in Grade.values:
        raise DomainError(_("Unknown grade."), field="grade")
    if not reason.strip():
        raise DomainError(_("Art. 12: a proposed grade needs a reason."), field="reason")
    require_staff(actor, incident)
    locked = lock_incident(incident)
    require_open(locked)
    if Grade(grade).rank <= Grade(locked.grade).rank:
        raise DomainError(_("Only a lower grade is proposed; a higher one is set directly."), field="grade")
    locked.proposed_grade, locked.proposed_grade_reason, locked.proposed_grade_by = grade, reason[:300], actor
    records.save_version(locked, "proposed_grade", "proposed_grade_reason", "proposed_grade_by")
    add_event(
        locked,
        EventKind.GRADE_PROPOSED,
        actor=actor,
        at=now,
        comment=reason,
        before=locked.grade,
        proposed=grade,
    )
    audit.record("update", actor=actor, obj=locked, after={"proposed_grade": grade}, comment=reason)
    return locked


@transaction.atomic
def decide_grade(
    incident: Incident, *, accept: bool, actor, comment: str = "", now: datetime.datetime | None = None
) -> Incident:
    """The system management lead accepts the proposed lower grade (it becomes the grade set by hand) or
    refuses it with a reason."""
    require_staff(actor, incident)
    if not is_system_lead(actor, incident.unit_id):
        raise PermissionDenied(_("Art. 12: only the system management lead decides on a lower grade."))
    locked = lock_incident(incident)
    require_open(locked)
    if not locked.proposed_grade:
        raise TransitionNotAllowed(_("No lower grade is proposed."), field="grade")
    proposed, reason = locked.proposed_grade, locked.proposed_grade_reason
    if accept:
        text = comment.strip() or reason
        change_grade(locked, proposed, reason=text, actor=actor, manual=True, now=now)
        return locked
    if not comment.strip():
        raise DomainError(_("Say why the proposed grade is refused."), field="comment")
    locked.proposed_grade, locked.proposed_grade_reason, locked.proposed_grade_by = "", "", None
    records.save_version(locked, "proposed_grade", "proposed_grade_reason", "proposed_grade_by")
    add_event(locked, EventKind.GRADE_REFUSED, actor=actor, at=now, comment=comment, proposed=proposed)
    audit.record("update", actor=actor, obj=locked, before={"proposed_grade": proposed}, comment=comment)
    return locked
