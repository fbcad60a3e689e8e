"""The group's catalogue (emergency plans, grading matrix, SLA targets) and the units' drills."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.org.choices import Role
from yunwei.org.models import Person

from ..choices import Cause, Grade, NoticeKind
from ..models import (
    Drill,
    EmergencyPlan,
    GradingRule,
    PlanRevision,
)
from .common import is_staff_for, require_group_admin

# -- plans, matrix, drills --------------------------------------------------------------------------

PLAN_CONTENT = (
    "title",
    "grade",
    "cause_category",
    "suspend_service",
    "steps",
    "notice_templates",
    "verification",
)


def _check_plan(fields: dict) -> dict:
    steps = fields.get("steps")
    if steps is not None:
        if not isinstance(steps, list) or not all(
            isinstance(s, dict) and str(s.get("text", "")).strip() for s in steps
        ):
            raise DomainError(_("Each step needs a text."), field="steps")
        for step in steps:
            minutes = step.get("minutes")
            if minutes is not None and (not isinstance(minutes, int) or minutes < 0):
                raise DomainError(_("A step's expected minutes must be a whole number."), field="steps")
    verification = fields.get("verification")
    if verification is not None and (
        not isinstance(verification, list) or not all(isinstance(v, str) and v.strip() for v in verification)
    ):
        raise DomainError(_("The verification checklist is a list of texts."), field="verification")
    templates = fields.get("notice_templates")
    if templates is not None and (
        not isinstance(templates, dict) or any(key not in NoticeKind.values for key in templates)
    ):
        raise DomainError(_("Notice templates are keyed by notice kind."), field="notice_templates")
    return fields


def _check_drill(fields: dict, unit) -> dict:
    for person in fields.get("participants") or []:
        if person.unit_id != unit.pk:
            raise DomainError(_("Participants must belong to the drill's unit."), field="participants")
    timings = fields.get("step_timings")
    if timings is not None and (
        not isinstance(timings, list)
        or not all(isinstance(t, dict) and isinstance(t.get("minutes"), int | float) for t in timings)
    ):
        raise DomainError(_("Step timings are a list of {step, minutes}."), field="step_timings")
    return fields


def create(model, *, actor, **fields):
    """Create a plan, grading rule or SLA target (group admins) or a drill (the unit's staff)."""
    if model is Drill:
        unit = fields.get("unit")
        if not is_staff_for(actor, unit.pk if unit else None):
            raise PermissionDenied(_("You may not manage records of this unit."))
        participants = _check_drill(fields, unit).pop("participants", None)
        with transaction.atomic():
            # The drill rehearses the plan as it stands when the drill is scheduled.
            plan = fields.get("plan")
            fields["plan_revision"] = current_revision(plan) if plan is not None else None
            drill = records.create_record(Drill, actor=actor, **fields)
            if participants is not None:
                drill.participants.set(participants)
        return drill
    require_group_admin(actor)
    if model is EmergencyPlan:
        fields = _check_plan(fields)
        if EmergencyPlan.objects.filter(code=fields.get("code")).exists():
            raise DomainError(
                _("“%(value)s” is already in use.") % {"value": fields.get("code")}, field="code"
            )
        with transaction.atomic():
            plan = records.create_record(model, actor=actor, **fields)
            _record_revision(plan, actor=actor)
        return plan
    return records.create_record(model, actor=actor, **fields)


def update(instance, *, actor, expected_version=None, **fields):
    if isinstance(instance, Drill):
        if not is_staff_for(actor, instance.unit_id):
            raise PermissionDenied(_("You may not manage records of this unit."))
        if "unit" in fields and fields["unit"].pk != instance.unit_id:
            raise DomainError(_("A drill stays in its unit."), field="unit")
        participants = _check_drill(fields, instance.unit).pop("participants", None)
        fields.pop("plan_revision", None)  # set by the service, never by hand
        if "plan" in fields and fields["plan"].pk != instance.plan_id:
            fields["plan_revision"] = current_revision(fields["plan"])
        with transaction.atomic():
            drill = records.update_record(instance, actor=actor, expected_version=expected_version, **fields)
            if participants is not None:
                drill.participants.set(participants)
        return drill
    require_group_admin(actor)
    if isinstance(instance, EmergencyPlan):
        fields = _check_plan(fields)
        if (
            "code" in fields
            and EmergencyPlan.objects.filter(code=fields["code"]).exclude(pk=instance.pk).exists()
        ):
            raise DomainError(_("“%(value)s” is already in use.") % {"value": fields["code"]}, field="code")
        with transaction.atomic():
            # A change of content is a new version of the plan, kept as a row of its history; incidents
            # keep the snapshot they activated, drills the version they rehearsed.
            current = records.lock(EmergencyPlan.objects, instance.pk, expected_version)
            if any(name in fields and fields[name] != getattr(current, name) for name in PLAN_CONTENT):
                fields["revision"] = current.revision + 1
            else:
                fields.pop("revision", None)
            plan = records.update_record(current, actor=actor, expected_version=expected_version, **fields)
            if plan.revision != current.revision:
                _record_revision(plan, actor=actor)
        return plan
    return records.update_record(instance, actor=actor, expected_version=expected_version, **fields)


def _record_revision(plan: EmergencyPlan, *, actor) -> PlanRevision:
    return PlanRevision.objects.create(
        plan=plan,
        revision=plan.revision,
        snapshot=audit.json_safe(plan.snapshot()),
        created_at=timezone.now(),
        created_by=actor if actor is not None and actor.pk else None,
    )


def current_revision(plan: EmergencyPlan) -> PlanRevision:
    """The history row of the plan's current version (written now for a plan that predates the history)."""
    latest = PlanRevision.objects.filter(plan_id=plan.pk).order_by("-revision").first()
    current = EmergencyPlan.objects.get(pk=plan.pk)  # the caller's copy may predate an edit
    if latest is not None and latest.revision == current.revision:
        return latest
    return _record_revision(current, actor=None)


def delete(instance, *, actor):
    if isinstance(instance, Drill):
        if not is_staff_for(actor, instance.unit_id):
            raise PermissionDenied(_("You may not manage records of this unit."))
    else:
        require_group_admin(actor)
    records.delete_record(instance, actor=actor)


def unit_leaders(unit_id: int):
    return Person.objects.filter(role_assignments__unit_id=unit_id, role_assignments__role=Role.LEADER)


def plan_gaps() -> list[tuple[Grade, Cause]]:
    """Each grade the matrix gives and cause of Art. 13 with no emergency plan in force: a fault of it
    would be handled without steps or a verification checklist. Shown on the plans page and the
    dashboard until the group publishes one."""
    grades = set(GradingRule.objects.values_list("grade", flat=True)) or {Grade.II, Grade.III}
    covered = set(EmergencyPlan.objects.filter(is_active=True).values_list("grade", "cause_category"))
    return [
        (grade, cause)
        for grade in sorted((Grade(g) for g in grades), key=lambda g: g.rank)
        for cause in Cause
        if (grade.value, cause.value) not in covered
    ]
