"""Replacing an emergency plan activated by mistake (Art. 13: 启动相应等级的应急预案): the wrong plan and
the right one both stay on the timeline, with the reason for the switch."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core.errors import DomainError, TransitionNotAllowed

from ..choices import PLAN_STATES, Cause, EventKind
from ..models import EmergencyPlan, Incident
from .common import add_event, lock_incident, require_staff
from .incident import attach_plan, check_plan_fits, current_plan


def replacement_refusal(incident: Incident) -> str | None:
    """Why the incident's plan cannot be replaced now, or None when it can (the page shows the reason on
    the disabled action)."""
    if incident.plan_id is None and not incident.plan_snapshot:
        return _("No emergency plan is active yet: activate the plan of the grade and cause.")
    if incident.state not in PLAN_STATES:
        return _("Art. 13: a plan is replaced while the fault is acknowledged, diagnosed or repaired.")
    return None


@transaction.atomic
def replace_plan(
    incident: Incident,
    *,
    actor,
    reason: str,
    cause_category: str = "",
    plan: EmergencyPlan | None = None,
    now: datetime.datetime | None = None,
) -> Incident:
    """Replace the plan activated for the incident by the right one: of the incident's grade and of the
    (corrected) cause, or the plan named. The old plan's checklists give way to the new plan's; what was
    ticked under the old one stays on the timeline."""
    require_staff(actor, incident)
    if not reason.strip():
        raise DomainError(
            _("Art. 13: replacing an activated plan needs a reason, kept on the timeline."), field="reason"
        )
    locked = lock_incident(incident)
    refusal = replacement_refusal(locked)
    if refusal:
        raise TransitionNotAllowed(refusal, field="plan")
    before = {
        "plan": locked.plan_id,
        "code": locked.plan_snapshot.get("code", ""),
        "revision": locked.plan_snapshot.get("revision"),
        "cause_category": locked.cause_category,
    }
    if cause_category:
        if cause_category not in Cause.values:
            raise DomainError(_("Unknown cause."), field="cause_category")
        locked.cause_category = cause_category
    if plan is None:
        plan = current_plan(locked)
        if plan is None:
            raise TransitionNotAllowed(
                _("There is no emergency plan for this grade and cause."), field="plan"
            )
    if plan.pk == locked.plan_id and plan.revision == before["revision"]:
        raise DomainError(_("This plan is the one already active; choose the right one."), field="plan")
    check_plan_fits(locked, plan)
    ticked = locked.checklist.filter(done_at__isnull=False).count()
    locked.checklist.all().delete()
    attach_plan(locked, plan)
    after = {
        "plan": plan.pk,
        "code": plan.code,
        "revision": plan.revision,
        "cause_category": locked.cause_category,
    }
    add_event(
        locked,
        EventKind.PLAN_REPLACED,
        actor=actor,
        at=now,
        comment=reason,
        before=before,
        after=after,
        ticked=ticked,
    )
    audit.record("update", actor=actor, obj=locked, before=before, after=after, comment=reason)
    return locked
