"""Reporting, the flow of Art. 13, grading, plan activation and checklists, vendor escalation, timers."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.org.models import VendorEngineer

from ..choices import (
    ALLOWED_TRANSITIONS,
    OPEN_STATES,
    PLAN_STATES,
    TRANSITION_FIELDS,
    VENDOR_STATES,
    Cause,
    ChecklistKind,
    ClosedAs,
    EventKind,
    Grade,
    NoticeKind,
    Source,
    State,
)
from ..models import (
    ChecklistItem,
    EmergencyPlan,
    GradingRule,
    Incident,
    IncidentEvent,
    SlaTarget,
    VendorEscalation,
)
from .assign import assign_on_acknowledge, check_assignee, log_assignment
from .common import (
    SEVERE_GRADES,
    add_event,
    is_staff_for,
    is_system_lead,
    lock_incident,
    require_open,
    require_staff,
)
from .intake import may_report
from .notices import notice_gate, report_to_leader, report_vendor_call, tell_staff_of_report, write_notice
from .suspects import link_recent_changes

LOWERING_REFUSAL = gettext_lazy(
    "Art. 12: only the system management lead lowers a grade; propose the lower grade to them instead."
)
UNFIXED_CLOSE_REFUSAL = gettext_lazy(
    "Art. 14: a fault not fixed for good closes only linked to a problem of the problem database: link "
    "the problem that explains it, or register one from this incident."
)
EDITABLE_FIELDS = (
    "title",
    "description",
    "impact_scope",
    "started_at",
    "cause_category",
    "cause_detail",
    "assignee",
    "team",
)


# -- grading and SLA --------------------------------------------------------------------------------


def grade_for(impact_scope: str, minutes: float) -> str:
    """The most severe grade of the matrix for a fault of this scope lasting `minutes` (Art. 12)."""
    rules = GradingRule.objects.filter(impact_scope=impact_scope, min_duration_minutes__lte=max(minutes, 0))
    grades = [Grade(rule.grade) for rule in rules]
    if not grades:
        return Grade.III
    return min(grades, key=lambda grade: grade.rank).value


def _deadlines(grade: str, reported_at: datetime.datetime) -> dict:
    target = SlaTarget.objects.filter(grade=grade).first()
    if target is None:
        return {"acknowledge_due_at": None, "restore_due_at": None}
    return {
        "acknowledge_due_at": reported_at + datetime.timedelta(minutes=target.acknowledge_minutes),
        "restore_due_at": reported_at + datetime.timedelta(minutes=target.restore_minutes),
    }


def _minutes_since(moment: datetime.datetime, now: datetime.datetime) -> float:
    return (now - moment).total_seconds() / 60


# -- reporting and editing ------------------------------------------------------------------------


def _check_items(unit, items) -> list:
    foreign = [item for item in items if item.unit_id != unit.pk]
    if foreign:
        raise DomainError(
            _("Affected items must belong to the incident's unit: %(codes)s")
            % {"codes": ", ".join(item.code for item in foreign)},
            field="affected_items",
        )
    return list(items)


def _check_people(unit, fields: dict) -> None:
    check_assignee(unit, fields.get("assignee"))
    team = fields.get("team")
    if team is not None and team.unit_id != unit.pk:
        raise DomainError(_("This belongs to another unit."), field="team")


@transaction.atomic
def report(
    *,
    actor,
    unit,
    title: str,
    description: str = "",
    impact_scope: str = "one_user",
    started_at: datetime.datetime | None = None,
    affected_items=(),
    now: datetime.datetime | None = None,
    source: str = Source.MANUAL,
    **fields,
) -> Incident:
    """Open an incident. Anyone may report a fault of their own unit; staff of any unit they handle.
    The grade follows at once from the fault's real duration, since `started_at` (Art. 12).

    Monitoring (`source="monitoring"`, no actor: the system) opens it in "to confirm", before
    acknowledgement; the correlation of signals is its only caller (services/correlation.py)."""
    if source not in Source.values:
        raise DomainError(_("Unknown source."), field="source")
    system = source == Source.MONITORING
    if system and actor is not None:
        raise PermissionDenied(_("Only monitoring opens an incident to confirm."))
    if not system and not may_report(actor, unit):
        raise PermissionDenied(_("You may report faults only of your own unit."))
    initial = State.TO_CONFIRM if system else State.REPORTED
    now = now or timezone.now()
    started_at = started_at or now
    if started_at > now + CLOCK_SLACK:
        raise DomainError(
            _("Art. 12: the fault's duration counts from when it began, which cannot lie in the future."),
            field="started_at",
        )
    items = _check_items(unit, affected_items)
    _check_people(unit, fields)
    minutes = _minutes_since(started_at, now)
    grade = grade_for(impact_scope, minutes)
    reason = _("From the grading matrix")
    if minutes >= 1:
        reason = _("From the grading matrix: lasting %(minutes)s minutes when reported") % {
            "minutes": int(minutes)
        }
    incident = records.create_record(
        Incident,
        actor=actor if actor is not None and actor.pk else None,
        unit=unit,
        title=title,
        description=description,
        impact_scope=impact_scope,
        started_at=started_at,
        reported_at=now,
        grade=grade,
        grade_reason=reason,
        reporter=actor if actor is not None and actor.pk else None,
        source=source,
        state=initial,
        **_deadlines(grade, now),
        **fields,
    )
    incident.affected_items.set(items)
    add_event(
        incident,
        EventKind.REPORTED,
        actor=actor,
        at=now,
        to_state=initial,
        grade=grade,
        items=[item.pk for item in items],
    )
    # Art. 18: a change that touched an affected item shortly before is its suspected cause.
    link_recent_changes(incident, items)
    # Art. 13: every fault is reported, grade Ⅱ to the leaders in charge, grade Ⅲ to the system lead.
    report_to_leader(incident, actor=None, grade=grade, now=now)
    tell_staff_of_report(incident, actor=actor)
    return incident


@transaction.atomic
def update_details(incident: Incident, *, actor, expected_version: int | None = None, **fields) -> Incident:
    """Edit what is known of the fault (not its state or grade) while it is not closed."""
    require_staff(actor, incident)
    locked = lock_incident(incident, expected_version)
    require_open(locked)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"affected_items"}
    if unknown:
        raise DomainError(_("This field cannot be edited here."), field=sorted(unknown)[0])
    items = fields.pop("affected_items", None)
    _check_people(locked.unit, fields)
    before = audit.snapshot(locked)
    assignee_before = locked.assignee
    new_facts = any(
        name in fields and fields[name] != getattr(locked, name) for name in ("impact_scope", "started_at")
    )
    for name, value in fields.items():
        setattr(locked, name, value)
    records.save_version(locked, *fields)
    if "assignee" in fields and locked.assignee_id != (assignee_before.pk if assignee_before else None):
        log_assignment(locked, assignee_before, actor=actor)
    if new_facts:
        _regrade_on_new_facts(locked, actor=actor)
    if items is not None:
        locked.affected_items.set(_check_items(locked.unit, items))
    changed_before, changed_after = audit.diff(before, audit.snapshot(locked))
    if items is not None:
        changed_after["affected_items"] = [item.pk for item in items]
    add_event(locked, EventKind.EDIT, actor=actor, fields=sorted(changed_after))
    audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


# -- the flow -------------------------------------------------------------------------------------


def current_plan(incident: Incident) -> EmergencyPlan | None:
    """The plan in force for the incident's grade and cause, or None while the cause is unknown."""
    if not incident.cause_category:
        return None
    return (
        EmergencyPlan.objects.filter(
            is_active=True, grade=incident.grade, cause_category=incident.cause_category
        )
        .order_by("code")
        .first()
    )


def _has_problem(incident: Incident) -> bool:
    """Linked to a problem of the problem database (Art. 14). The problems app links the incident through
    its own relation (`incident.problems`) and closes it with the link in one step, so fault handling
    does not import it."""
    return incident.problems.exists()


def requirement_failures(incident: Incident, to: str, comment: str = "") -> list[tuple[str, str | None]]:
    """What the step to `to` still lacks, as (reason, field). Empty when it may be made."""
    failures = []
    source = incident.state
    if source == State.DIAGNOSING and to == State.REPAIRING:
        if not incident.cause_category:
            failures.append(
                (_("A preliminary cause is required before leaving diagnosing."), "cause_category")
            )
        elif incident.plan_id is None and current_plan(incident) is not None:
            failures.append((_("Activate the emergency plan of this grade and cause first."), "plan"))
        if incident.grade in SEVERE_GRADES and (reason := notice_gate(incident, NoticeKind.LEADER_REPORT)):
            failures.append((reason, "notice"))
    # The suspension notice is due before repairs under the plan go on: checked on leaving diagnosing,
    # and again on leaving repairing, for a plan activated while already repairing.
    if (
        (source, to) in ((State.DIAGNOSING, State.REPAIRING), (State.REPAIRING, State.VERIFYING))
        and incident.plan_snapshot.get("suspend_service")
        and (reason := notice_gate(incident, NoticeKind.SUSPENSION))
    ):
        failures.append((reason, "notice"))
    if (
        to == State.VERIFYING
        and incident.checklist.filter(kind=ChecklistKind.STEP, done_at__isnull=True).exists()
    ):
        failures.append((_("Every step of the plan must be ticked before verifying."), "checklist"))
    if source == State.VERIFYING and to == State.RESTORED:
        checks = incident.checklist.filter(kind=ChecklistKind.VERIFICATION)
        if checks.exclude(passed=True).exists():
            failures.append((_("The verification checklist must be passed before restoring."), "checklist"))
        elif not checks.exists() and not comment.strip():
            failures.append(
                (_("Without a verification checklist, describe the test in the comment."), "comment")
            )
    if source == State.VERIFYING and to == State.REPAIRING and not comment.strip():
        failures.append((_("Say which test failed in the comment."), "comment"))
    if source == State.TO_CONFIRM and to == State.CLOSED:
        # Closed before confirmation: a false alarm, whose reason is the whole requirement.
        if not incident.false_alarm_reason.strip():
            failures.append((_("Say why this is a false alarm."), "false_alarm_reason"))
        return failures
    if to == State.CLOSED:
        if not incident.resolution_summary.strip():
            failures.append((_("A resolution summary is required to close."), "resolution_summary"))
        if incident.fixed_for_good is None:
            failures.append((_("Say whether the fault is fixed for good."), "fixed_for_good"))
        elif not incident.fixed_for_good and not _has_problem(incident):
            failures.append((str(UNFIXED_CLOSE_REFUSAL), "problems"))
    return failures


def allowed_targets(incident: Incident, actor) -> list[str]:
    """States the actor may move the incident to now (the page shows only these actions)."""
    if not is_staff_for(actor, incident.unit_id):
        return []
    return list(ALLOWED_TRANSITIONS[incident.state])


@transaction.atomic
def transition(
    incident: Incident,
    *,
    to: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Incident:
    """Move the incident one step along the flow of Art. 13; refused with the reason when not allowed."""
    if to not in State.values:
        raise DomainError(_("Unknown state: %(state)s") % {"state": to}, field="to")
    require_staff(actor, incident)
    locked = lock_incident(incident, expected_version)
    source = locked.state
    if to not in ALLOWED_TRANSITIONS[source]:
        raise TransitionNotAllowed(
            _("An incident cannot go from “%(source)s” to “%(target)s”.")
            % {"source": State(source).label, "target": State(to).label},
            field="to",
        )
    unexpected = set(fields) - set(TRANSITION_FIELDS.get(to, ()))
    if unexpected:
        raise DomainError(_("This step does not take this field."), field=sorted(unexpected)[0])
    _check_people(locked.unit, fields)
    if "false_alarm_reason" in fields and source != State.TO_CONFIRM:
        raise DomainError(
            _("Only an incident still to confirm is closed as a false alarm."), field="false_alarm_reason"
        )
    if source == State.TO_CONFIRM and to == State.CLOSED:
        unexpected = set(fields) - {"false_alarm_reason"}
        if unexpected:
            raise DomainError(_("This step does not take this field."), field=sorted(unexpected)[0])
    assignee_before = locked.assignee
    for name, value in fields.items():
        nullable = name in ("assignee", "team", "fixed_for_good")
        setattr(locked, name, "" if value is None and not nullable else value)
    failures = requirement_failures(locked, to, comment)
    if failures:
        reason, field = failures[0]
        raise TransitionNotAllowed(reason, field=field)
    now = now or timezone.now()
    locked.state = to
    changed = ["state", *fields]
    if to == State.ACKNOWLEDGED:
        locked.acknowledged_at = now
        changed.append("acknowledged_at")
        if assign_on_acknowledge(locked, actor=actor):
            changed.append("assignee")
    elif to == State.RESTORED:
        locked.restored_at = now
        changed.append("restored_at")
    elif to == State.CLOSED:
        locked.closed_at = now
        changed.append("closed_at")
        if source == State.TO_CONFIRM:
            locked.closed_as = ClosedAs.FALSE_ALARM
            changed.append("closed_as")
    if source == State.VERIFYING and to == State.REPAIRING:
        # A failed test: the verification starts over after the next repair.
        for item in locked.checklist.filter(kind=ChecklistKind.VERIFICATION):
            item.done_by, item.done_at, item.passed = None, None, None
            item.save(update_fields=["done_by", "done_at", "passed"])
    records.save_version(locked, *changed)
    records.log_transition(
        IncidentEvent,
        {"incident": locked},
        locked,
        source,
        to,
        actor=actor,
        at=now,
        comment=comment,
        **audit.snapshot(locked, fields=list(fields)),
    )
    if locked.assignee_id != (assignee_before.pk if assignee_before else None):
        log_assignment(locked, assignee_before, actor=actor, at=now)
    if to == State.RESTORED:
        write_notice(locked, NoticeKind.RECOVERY, actor=actor, now=now)
    return locked


@transaction.atomic
def set_grade(
    incident: Incident, *, grade: str, reason: str, actor, expected_version: int | None = None
) -> Incident:
    """Change the grade by hand; the reason is required and kept."""
    if grade not in Grade.values:
        raise DomainError(_("Unknown grade."), field="grade")
    if not reason.strip():
        raise DomainError(_("A manual change of grade needs a reason."), field="reason")
    require_staff(actor, incident)
    locked = lock_incident(incident, expected_version)
    require_open(locked)
    if grade == locked.grade:
        raise DomainError(_("The incident already has this grade."), field="grade")
    if Grade(grade).rank > Grade(locked.grade).rank and not is_system_lead(actor, locked.unit_id):
        raise PermissionDenied(str(LOWERING_REFUSAL))
    change_grade(locked, grade, reason=reason, actor=actor, manual=True)
    return locked


def _regrade_on_new_facts(incident: Incident, *, actor) -> None:
    """The impact scope or the start changed (Art. 12): a grade set by hand no longer stands on its facts,
    so the matrix governs again and raises the grade at once when it says more; lowering stays the
    system management lead's."""
    now = timezone.now()
    computed = grade_for(incident.impact_scope, _minutes_since(incident.started_at, now))
    if Grade(computed).rank < Grade(incident.grade).rank:
        reason = _("The facts changed (impact scope or start): the grading matrix raises it.")
        change_grade(incident, computed, reason=reason, actor=actor, manual=False, now=now)
    elif incident.grade_manual:
        incident.grade_manual, incident.grade_set_at = False, None
        records.save_version(incident, "grade_manual", "grade_set_at")


def change_grade(incident: Incident, grade: str, *, reason: str, actor, manual: bool, now=None) -> None:
    """Set the grade of a locked incident and the deadlines it brings, on the timeline."""
    previous = incident.grade
    incident.grade = grade
    incident.grade_reason = reason
    incident.grade_manual = manual
    # A hand-set grade stands on the facts of this moment until they change (Art. 12); any new grade
    # settles a pending proposal.
    incident.grade_set_at = (now or timezone.now()) if manual else None
    incident.proposed_grade, incident.proposed_grade_reason, incident.proposed_grade_by = "", "", None
    for name, value in _deadlines(grade, incident.reported_at).items():
        setattr(incident, name, value)
    records.save_version(
        incident,
        "grade",
        "grade_reason",
        "grade_manual",
        "grade_set_at",
        "proposed_grade",
        "proposed_grade_reason",
        "proposed_grade_by",
        "acknowledge_due_at",
        "restore_due_at",
    )
    add_event(
        incident,
        EventKind.GRADE,
        actor=actor,
        at=now,
        comment=reason,
        before=previous,
        after=grade,
        manual=manual,
    )
    audit.record(
        "update",
        actor=actor,
        obj=incident,
        before={"grade": previous},
        after={"grade": grade},
        comment=reason,
    )
    if Grade(grade).rank < Grade(previous).rank and grade in SEVERE_GRADES and incident.state in OPEN_STATES:
        report_to_leader(incident, actor=actor, grade=grade, now=now)


@transaction.atomic
def reevaluate_grade(incident_id: int, *, now: datetime.datetime | None = None) -> bool:
    """Raise the grade of an open incident that has lasted past its threshold (Art. 12). True if raised."""
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None or incident.state not in OPEN_STATES:
        return False
    now = now or timezone.now()
    computed = grade_for(incident.impact_scope, _minutes_since(incident.started_at, now))
    if Grade(computed).rank >= Grade(incident.grade).rank:
        return False
    minutes = int(_minutes_since(incident.started_at, now))
    if incident.grade_manual:
        # A grade set by hand stands until a threshold of the matrix passes after it was set (Art. 12).
        since = _minutes_since(incident.started_at, incident.grade_set_at or incident.reported_at)
        passed = GradingRule.objects.filter(
            impact_scope=incident.impact_scope,
            min_duration_minutes__gt=since,
            min_duration_minutes__lte=minutes,
        )
        if not passed.exists():
            return False
        reason = _(
            "Lasted %(minutes)s minutes: a threshold of the grading matrix passed after the grade was set by "
            "hand, so the matrix raises it."
        ) % {"minutes": minutes}
    else:
        reason = _("Lasted %(minutes)s minutes: the grading matrix raises it.") % {"minutes": minutes}
    change_grade(incident, computed, reason=reason, actor=None, manual=False, now=now)
    return True


def open_incident_ids() -> list[int]:
    return list(Incident.objects.filter(state__in=OPEN_STATES).values_list("pk", flat=True))


# -- plan, checklist, notices, vendor --------------------------------------------------------------


def check_plan_fits(locked: Incident, plan: EmergencyPlan) -> None:
    """A plan named by hand must be in force and of the incident's grade and cause, as the one chosen
    for it would."""
    if not plan.is_active:
        raise DomainError(_("This plan is no longer in force."), field="plan")
    if plan.grade != locked.grade:
        raise DomainError(
            _("This plan is for %(plan)s; the incident is %(incident)s.")
            % {"plan": Grade(plan.grade).label, "incident": Grade(locked.grade).label},
            field="plan",
        )
    if plan.cause_category != locked.cause_category:
        raise DomainError(
            _("This plan is for the cause “%(plan)s”; the incident's cause is “%(incident)s”.")
            % {"plan": Cause(plan.cause_category).label, "incident": Cause(locked.cause_category).label},
            field="plan",
        )


def attach_plan(locked: Incident, plan: EmergencyPlan) -> None:
    """Snapshot the plan onto the incident; its steps and verification become the checklists."""
    locked.plan = plan
    locked.plan_snapshot = audit.json_safe(plan.snapshot())
    records.save_version(locked, "plan", "plan_snapshot", "cause_category")
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                incident=locked,
                kind=ChecklistKind.STEP,
                position=index,
                text=str(step.get("text", ""))[:500],
                role=str(step.get("role", ""))[:40],
                expected_minutes=step.get("minutes"),
            )
            for index, step in enumerate(plan.steps, start=1)
        ]
        + [
            ChecklistItem(
                incident=locked, kind=ChecklistKind.VERIFICATION, position=index, text=str(text)[:500]
            )
            for index, text in enumerate(plan.verification, start=1)
        ]
    )


@transaction.atomic
def activate_plan(
    incident: Incident,
    *,
    actor,
    plan: EmergencyPlan | None = None,
    cause_category: str = "",
    now: datetime.datetime | None = None,
) -> Incident:
    """Attach the plan of the incident's grade and cause: its steps and verification become checklists.
    The preliminary cause may be given here, since it chooses the plan."""
    require_staff(actor, incident)
    locked = lock_incident(incident)
    if locked.state not in PLAN_STATES:
        raise TransitionNotAllowed(_("A plan is activated while acknowledging, diagnosing or repairing."))
    if locked.plan_id is not None:
        raise TransitionNotAllowed(_("An emergency plan is already active for this incident."), field="plan")
    if cause_category:
        if cause_category not in Cause.values:
            raise DomainError(_("Unknown cause."), field="cause_category")
        locked.cause_category = cause_category
    if not locked.cause_category:
        raise TransitionNotAllowed(
            _("Art. 13: choose the preliminary cause first: the plan is chosen by grade and cause."),
            field="cause_category",
        )
    if plan is None:
        plan = current_plan(locked)
        if plan is None:
            raise TransitionNotAllowed(
                _("There is no emergency plan for this grade and cause."), field="plan"
            )
    check_plan_fits(locked, plan)
    attach_plan(locked, plan)
    add_event(
        locked,
        EventKind.PLAN,
        actor=actor,
        at=now,
        cause_category=locked.cause_category,
        plan=plan.pk,
        code=plan.code,
        revision=plan.revision,
    )
    audit.record(
        "update", actor=actor, obj=locked, after={"plan_id": plan.pk, "plan_revision": plan.revision}
    )
    return locked


def checklist_refusal(incident: Incident, kind: str) -> str | None:
    """Why the incident's checklist of this kind cannot be ticked in its state, or None."""
    if kind == ChecklistKind.STEP and incident.state not in PLAN_STATES:
        return _("Plan steps are ticked while the fault is being handled.")
    if kind == ChecklistKind.VERIFICATION and incident.state != State.VERIFYING:
        return _("The verification checklist is run while verifying.")
    return None


@transaction.atomic
def tick(
    item: ChecklistItem, *, actor, passed: bool = True, note: str = "", now: datetime.datetime | None = None
) -> ChecklistItem:
    """Tick a step as done, or record a verification item as passed or failed."""
    incident = item.incident
    require_staff(actor, incident)
    locked = lock_incident(incident)
    require_open(locked)
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    refusal = checklist_refusal(locked, item.kind)
    if refusal:
        raise TransitionNotAllowed(refusal)
    if item.kind == ChecklistKind.STEP and not passed:
        raise DomainError(_("A step is ticked when done."), field="passed")
    if item.kind == ChecklistKind.STEP and item.done_at is not None:
        raise TransitionNotAllowed(_("This step is already ticked."))
    now = now or timezone.now()
    item.done_by, item.done_at, item.passed, item.note = actor, now, passed, note[:500]
    item.save(update_fields=["done_by", "done_at", "passed", "note"])
    records.save_version(locked)
    add_event(
        locked, EventKind.TICK, actor=actor, at=now, comment=note, item=item.pk, text=item.text, passed=passed
    )
    audit.record(
        "update", actor=actor, obj=locked, after={"checklist_item": item.pk, "passed": passed}, comment=note
    )
    return item


def engineer_for(incident: Incident, today: datetime.date | None = None):
    """The maintenance engineer from the affected items' contracts in force today: (contract, engineer)
    or (None, None). An expired contract (or one not yet begun) obliges no vendor to come."""
    today = today or timezone.localdate()
    items = incident.affected_items.filter(
        contract__engineer__isnull=False, contract__starts_on__lte=today, contract__ends_on__gte=today
    )
    for item in items.select_related("contract__engineer").order_by("pk"):
        return item.contract, item.contract.engineer
    return None, None


# A moment typed by hand may run a little ahead of the server's clock, no more.
CLOCK_SLACK = datetime.timedelta(minutes=5)


def _check_not_future(moment: datetime.datetime | None, now: datetime.datetime, field: str) -> None:
    if moment is not None and moment > now + CLOCK_SLACK:
        raise DomainError(_("This moment lies in the future."), field=field)


@transaction.atomic
def escalate(
    incident: Incident,
    *,
    actor,
    mode: str,
    engineer: VendorEngineer | None = None,
    contacted_at: datetime.datetime | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> VendorEscalation:
    """Call the vendor's maintenance engineer in, remote or on site (Art. 13)."""
    require_staff(actor, incident)
    _check_not_future(contacted_at, now or timezone.now(), "contacted_at")
    locked = lock_incident(incident)
    if locked.state not in VENDOR_STATES:
        raise TransitionNotAllowed(_("A vendor is called in while the fault is diagnosed or repaired."))
    contract, default = engineer_for(locked)
    engineer = engineer or default
    if engineer is None:
        raise DomainError(
            _("No affected item has a maintenance contract with an engineer; name the engineer."),
            field="engineer",
        )
    if engineer.vendor.unit_id not in (locked.unit_id, locked.unit.parent_id):
        raise DomainError(_("This engineer's vendor serves another unit."), field="engineer")
    if contract is not None and contract.engineer_id != engineer.pk:
        contract = None
    escalation = VendorEscalation.objects.create(
        incident=locked,
        contract=contract,
        engineer=engineer,
        mode=mode,
        contacted_at=contacted_at or now or timezone.now(),
        note=note[:500],
        created_by=actor,
    )
    records.save_version(locked)
    add_event(
        locked,
        EventKind.ESCALATION,
        actor=actor,
        at=now,
        comment=note,
        escalation=escalation.pk,
        engineer=engineer.name,
        mode=mode,
    )
    audit.record(
        "update", actor=actor, obj=locked, after={"escalation": escalation.pk, "engineer_id": engineer.pk}
    )
    report_vendor_call(locked, escalation.pk, actor=actor, now=now)
    return escalation


@transaction.atomic
def record_arrival(
    escalation: VendorEscalation,
    *,
    actor,
    arrived_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> VendorEscalation:
    require_staff(actor, escalation.incident)
    _check_not_future(arrived_at, now or timezone.now(), "arrived_at")
    locked = lock_incident(escalation.incident)
    require_open(locked)
    escalation = VendorEscalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.arrived_at is not None:
        raise TransitionNotAllowed(_("The arrival is already recorded."))
    arrived_at = arrived_at or now or timezone.now()
    if arrived_at < escalation.contacted_at:
        raise DomainError(_("The engineer cannot arrive before being called."), field="arrived_at")
    escalation.arrived_at = arrived_at
    escalation.save(update_fields=["arrived_at"])
    records.save_version(locked)
    add_event(locked, EventKind.ARRIVAL, actor=actor, at=now, escalation=escalation.pk, arrived_at=arrived_at)
    audit.record(
        "update", actor=actor, obj=locked, after={"escalation": escalation.pk, "arrived_at": arrived_at}
    )
    return escalation


# -- timers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timers:
    to_acknowledge: datetime.timedelta | None
    to_restore: datetime.timedelta | None
    total: datetime.timedelta
    per_state: dict[str, datetime.timedelta]
    acknowledge_breached: bool
    restore_breached: bool

    @property
    def breached(self) -> bool:
        return self.acknowledge_breached or self.restore_breached


def timers(incident: Incident, now: datetime.datetime | None = None, events=None) -> Timers:
    """Durations computed from the stored timeline (DESIGN: timers from events, not counters)."""
    now = now or timezone.now()
    if events is None:
        events = incident.events.filter(kind__in=[EventKind.REPORTED, EventKind.TRANSITION]).order_by(
            "at", "id"
        )
    changes = [(event.at, event.to_state) for event in events if event.to_state]
    per_state: dict[str, datetime.timedelta] = {}
    acknowledged = restored = closed = None
    for index, (at, state) in enumerate(changes):
        until = changes[index + 1][0] if index + 1 < len(changes) else (now if state != State.CLOSED else at)
        per_state[state] = per_state.get(state, datetime.timedelta()) + (until - at)
        if state == State.ACKNOWLEDGED and acknowledged is None:
            acknowledged = at
        elif state == State.RESTORED and restored is None:
            restored = at
        elif state == State.CLOSED:
            closed = at
    end = restored or closed or now
    return Timers(
        to_acknowledge=(acknowledged - incident.reported_at) if acknowledged else None,
        to_restore=(restored - incident.started_at) if restored else None,
        total=end - incident.started_at,
        per_state=per_state,
        acknowledge_breached=bool(
            incident.acknowledge_due_at and (acknowledged or now) > incident.acknowledge_due_at
        ),
        restore_breached=bool(incident.restore_due_at and (restored or now) > incident.restore_due_at),
    )
