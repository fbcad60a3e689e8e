"""Every change to a change request, template or freeze period goes through here: pages, API, the demo
and tests alike (Art. 17–18).

A state change is `transition(change, to=…, actor=…, **fields)`: it checks who may act, that the flow
allows the step and what the step requires, then — in one transaction with the change row locked —
applies it, appends the timeline entry and writes the audit event. Approvals are `decide(…)`: one
approval record per approver and round; the change is approved only when every needed approval is in.
Notices to the affected units go through the notify outbox in the same transaction.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Item
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.org.choices import Role

from . import schedule

# Pages and the API ask who decides through the one write path too.
from .approvals import decide as decide
from .approvals import may_approve_window as may_approve_window
from .approvals import may_decide as may_decide
from .approvals import needed_approvals as needed_approvals
from .approvals import pre_approved as pre_approved
from .approvals import (
    record_decision,
    schedule_approved,
    schedule_blockers,
)
from .approvals import schedule_window as schedule_window
from .approvals import window_requested as window_requested
from .choices import (
    ALLOWED_TRANSITIONS,
    EDITABLE_STATES,
    FINISHED_STATES,
    TRANSITION_FIELDS,
    WITHDRAWN_FROM,
    ChangeKind,
    Decision,
    EventKind,
    Risk,
    State,
)
from .effects import ask_approvers, move_window, notify_users, open_windows, remind_approvers
from .models import Change, ChangeTemplate, FreezePeriod, awaiting_approval_q
from .rules import (
    CONTENT_FIELDS,
    EMERGENCY_APPROVAL_HOURS,
    add_event,
    check_attribute_changes,
    check_items,
    compute_risk,
    current_approvals,
    emergency_approval_failure,
    lock_change,
    log_transition,
    may_handle,
    require_group_admin,
    require_handler,
    review_failure,
)
from .rules import missing_roles as missing_roles
from .rules import needed_roles as needed_roles

active_window_for = schedule.active_window_for  # monitoring's question, answered here too

# -- content --------------------------------------------------------------------------------------


def _apply_risk(change: Change, override: str | None) -> None:
    """Recompute the risk; an override other than the computed risk needs its reason."""
    change.computed_risk = compute_risk(
        len(change.radius_item_ids), change.service_impact, change.change_type
    )
    if override:
        if override not in Risk.values:
            raise DomainError(_("Unknown risk."), field="risk")
        if override != change.computed_risk and not change.risk_override_reason.strip():
            raise DomainError(
                _("Overriding the computed risk (%(risk)s) needs a reason.")
                % {"risk": Risk(change.computed_risk).label},
                field="risk_override_reason",
            )
        change.risk = override
    elif override is not None or not change.risk_override_reason.strip():
        change.risk = change.computed_risk
    if change.risk == change.computed_risk:
        change.risk_override_reason = ""


def _check_window(change: Change) -> None:
    if change.planned_start and change.planned_end and change.planned_end <= change.planned_start:
        raise DomainError(_("The window must end after it starts."), field="planned_end")


def _refresh_radius(change: Change, items) -> None:
    change.radius_item_ids, change.radius_unit_ids = schedule.radius_of([item.pk for item in items])


@transaction.atomic
def create_change(
    *,
    actor,
    unit,
    title: str,
    change_type: str = "",
    kind: str = ChangeKind.NORMAL,
    reason: str = "",
    template: ChangeTemplate | None = None,
    affected_items=(),
    attribute_changes=None,
    risk: str | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Change:
    """Request a change in writing (Art. 18); it starts as a draft. A standard change comes from a
    template of the group, whose plans and type it takes where the request leaves them empty."""
    if unit is None or not may_handle(actor, unit.pk):
        raise PermissionDenied(_("You may request changes only of units you look after."))
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be set here."), field=sorted(unknown)[0])
    if kind not in ChangeKind.values:
        raise DomainError(_("Unknown kind of change."), field="kind")
    if kind == ChangeKind.STANDARD:
        if template is None or not template.is_active:
            raise DomainError(_("A standard change is made from a template in use."), field="template")
        change_type = template.change_type
        for name in ("implementation_plan", "test_plan", "rollback_plan"):
            fields[name] = fields.get(name) or getattr(template, name)
        fields.setdefault("service_impact", template.service_impact)
        reason = reason or template.description or template.name
    elif template is not None:
        raise DomainError(_("Only a standard change is made from a template."), field="template")
    items = check_items(unit, affected_items)
    now = now or timezone.now()
    change = Change(
        unit=unit,
        title=title,
        change_type=change_type,
        kind=kind,
        template=template,
        reason=reason,
        requester=actor if actor is not None and actor.pk else None,
        **fields,
    )
    _check_window(change)
    _refresh_radius(change, items)
    _apply_risk(change, risk)
    change.attribute_changes = check_attribute_changes(attribute_changes, items)
    values = {f.name: getattr(change, f.name) for f in Change._meta.concrete_fields if not f.primary_key}
    for name in ("id", "version", "created_at", "updated_at"):
        values.pop(name, None)
    created = create_record(Change, actor=actor, **values)
    created.affected_items.set(items)
    add_event(
        created,
        EventKind.CREATED,
        actor=actor,
        at=now,
        to_state=State.DRAFT,
        items=[item.pk for item in items],
        risk=created.risk,
    )
    return created


def may_edit(change: Change, actor) -> bool:
    """The actor may edit the request now (`update_change`): the unit's system staff, while it is a draft
    or awaits approval."""
    return change.state in EDITABLE_STATES and may_handle(actor, change.unit_id)


@transaction.atomic
def update_change(
    change: Change,
    *,
    actor,
    expected_version: int | None = None,
    affected_items=None,
    attribute_changes=None,
    risk: str | None = None,
    **fields,
) -> Change:
    """Edit the request while it is a draft or awaiting approval; an edit while submitted voids the
    approvals given so far (they approved other content) and must keep what submitting required.
    Approved content is never edited: withdraw the change to a draft first."""
    require_handler(actor, change)
    locked = lock_change(change, expected_version)
    if locked.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(
            _("A change can be edited only as a draft or while awaiting approval (now: %(state)s).")
            % {"state": State(locked.state).label},
            field="state",
        )
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be edited here."), field=sorted(unknown)[0])
    if locked.kind == ChangeKind.STANDARD and "change_type" in fields:
        fields.pop("change_type")  # a standard change keeps its template's type
    before = audit.snapshot(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_window(locked)
    items = (
        list(locked.affected_items.all())
        if affected_items is None
        else check_items(locked.unit, affected_items)
    )
    _refresh_radius(locked, items)
    _apply_risk(locked, risk)
    if attribute_changes is not None or affected_items is not None:
        locked.attribute_changes = check_attribute_changes(
            locked.attribute_changes if attribute_changes is None else attribute_changes, items
        )
    if locked.state == State.SUBMITTED:
        # What was submitted keeps what submitting required: an edit cannot take away the rollback plan
        # of a risky change, its reason, plan, window or items. Refused before anything is written.
        failures = submit_failures(locked, items)
        if failures:
            reason, field = failures[0]
            raise DomainError(
                _("A submitted change must keep what submitting it required: %(reason)s")
                % {"reason": reason},
                field=field,
            )
    voided = locked.state == State.SUBMITTED and current_approvals(locked).exists()
    if locked.state == State.SUBMITTED:
        locked.approval_round += 1
    locked.version += 1
    locked.save()
    if affected_items is not None:
        locked.affected_items.set(items)
    changed_before, changed_after = audit.diff(before, audit.snapshot(locked))
    if affected_items is not None:
        changed_after["affected_items"] = [item.pk for item in items]
    add_event(locked, EventKind.EDIT, actor=actor, fields=sorted(changed_after), approvals_voided=voided)
    audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


@transaction.atomic
def delete_change(change: Change, *, actor) -> None:
    """Only a draft never submitted may be withdrawn for good; anything else stays on record."""
    require_handler(actor, change)
    locked = lock_change(change)
    if locked.state != State.DRAFT or locked.approval_round:
        raise TransitionNotAllowed(_("Only a draft that was never submitted can be deleted."), field="state")
    delete_record(locked, actor=actor)


# -- the flow -------------------------------------------------------------------------------------


def submit_failures(change: Change, items=None) -> list[tuple[str, str | None]]:
    """What a submitted change must have, as (reason, field): checked when it is submitted and again on
    every edit while it awaits approval. `items`: the affected items about to be saved, if changing."""
    failures = []
    has_items = bool(items) if items is not None else change.affected_items.exists()
    if not change.reason.strip():
        failures.append((_("Say why the change is needed."), "reason"))
    if not change.implementation_plan.strip():
        failures.append((_("An implementation plan is required."), "implementation_plan"))
    if not change.test_plan.strip():
        failures.append((_("A change is submitted with its test plan (Art. 18)."), "test_plan"))
    if not has_items:
        failures.append((_("Name the affected inventory items."), "affected_items"))
    if change.planned_start is None or change.planned_end is None:
        failures.append((_("A planned window (start and end) is required."), "planned_start"))
    if change.is_risky and not change.rollback_plan.strip():
        failures.append(
            (_("A high-risk change or one causing an outage needs a rollback plan."), "rollback_plan")
        )
    if change.kind == ChangeKind.STANDARD and (change.template is None or not change.template.is_active):
        failures.append((_("The template of this standard change is no longer in use."), "template"))
    return failures


def requirement_failures(
    change: Change, to: str, comment: str = "", fields: dict | None = None, now=None, user=None
) -> list[tuple[str, str | None]]:
    """What the step to `to` still lacks, as (reason, field). Empty when it may be made."""
    fields = fields or {}
    failures = []
    source = change.state
    if to == State.SUBMITTED:
        failures += submit_failures(change)
    if to == State.DRAFT and source in WITHDRAWN_FROM and not comment.strip():
        failures.append((_("Say why the change is withdrawn."), "comment"))
    if source == State.SUBMITTED and to == State.IMPLEMENTING and change.kind != ChangeKind.EMERGENCY:
        failures.append((_("Only an emergency change may be carried out before it is approved."), "to"))
    unapproved = emergency_approval_failure(change, to)
    if unapproved:
        failures.append((unapproved, "approved_at"))
    if to == State.SCHEDULED:
        now = now or timezone.now()
        if change.planned_end is None or change.planned_end <= now:
            failures.append((_("The planned window is over; reschedule it first."), "planned_end"))
        elif not schedule_approved(change):
            blockers = schedule_blockers(change, user=user)
            if blockers:
                reason, field = blockers[0]
                failures.append(
                    (
                        reason + " " + _("Scheduling it there needs the leader in charge's approval."),
                        field,
                    )
                )
    for name in TRANSITION_FIELDS.get(to, ()):
        if not str(fields.get(name) or "").strip():
            failures.append(
                (
                    _("This step needs: %(field)s.") % {"field": Change._meta.get_field(name).verbose_name},
                    name,
                )
            )
    return failures


def permission_failure(change: Change, to: str, actor) -> str | None:
    """Why `actor` may not take the step to `to`, or None when they may: the review is the system
    management lead's who neither requested nor carried out the change (Art. 18); every other step is
    the unit's system staff's."""
    if to == State.REVIEWED:
        return review_failure(change, actor)
    if not may_handle(actor, change.unit_id):
        return _("Only the unit's system staff may work on this change.")
    return None


def allowed_targets(change: Change, actor) -> list[str]:
    """Steps the page and the API offer the actor now: those of their role. A step their role takes but
    a rule refuses them (a lead reviewing a change they carried out, completing an emergency change
    awaiting its approval) is offered too, and the page shows it disabled with `step_refusals`."""
    targets = []
    for to in ALLOWED_TRANSITIONS[change.state]:
        if to in (State.APPROVED, State.REJECTED) and change.state == State.SUBMITTED:
            continue  # decisions, offered by `may_decide`
        if (
            to == State.IMPLEMENTING
            and change.state == State.SUBMITTED
            and change.kind != ChangeKind.EMERGENCY
        ):
            continue
        if to == State.REVIEWED:
            if schedule.holds_role(actor, Role.SYSTEM_LEAD, change.unit):
                targets.append(to)
            continue
        if may_handle(actor, change.unit_id):
            targets.append(to)
    return targets


def step_refusals(change: Change, to: str, actor, now=None) -> list[str]:
    """Why the step to `to` would be refused now, before the actor types anything: the permission and
    every requirement except the texts the step's form asks for (its comment and TRANSITION_FIELDS)."""
    typed = {"comment", *TRANSITION_FIELDS.get(to, ())}
    refusal = permission_failure(change, to, actor)
    reasons = [refusal] if refusal else []
    reasons += [
        reason
        for reason, field in requirement_failures(change, to, now=now, user=actor)
        if field not in typed
    ]
    return reasons


@transaction.atomic
def transition(
    change: Change,
    *,
    to: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Change:
    """Move the change one step along the flow; refused with the reason when not allowed. A move to
    approved or rejected from submitted is the actor's approval decision."""
    if to not in State.values:
        raise DomainError(_("Unknown state: %(state)s") % {"state": to}, field="to")
    locked = lock_change(change, expected_version)
    source = locked.state
    if source == State.SUBMITTED and to in (State.APPROVED, State.REJECTED):
        if fields:
            raise DomainError(_("This step does not take this field."), field=sorted(fields)[0])
        decision = Decision.APPROVED if to == State.APPROVED else Decision.REJECTED
        return record_decision(locked, actor=actor, decision=decision, comment=comment, now=now)
    if to not in ALLOWED_TRANSITIONS[source]:
        raise TransitionNotAllowed(
            _("A change cannot go from “%(source)s” to “%(target)s”.")
            % {"source": State(source).label, "target": State(to).label},
            field="to",
        )
    refusal = permission_failure(locked, to, actor)
    if refusal:
        raise PermissionDenied(refusal)
    unexpected = set(fields) - set(TRANSITION_FIELDS.get(to, ()))
    if unexpected:
        raise DomainError(_("This step does not take this field."), field=sorted(unexpected)[0])
    now = now or timezone.now()
    failures = requirement_failures(locked, to, comment, fields, now=now, user=actor)
    if failures:
        reason, field = failures[0]
        raise TransitionNotAllowed(reason, field=field)
    changed = ["state", *fields]
    for name, value in fields.items():
        setattr(locked, name, str(value).strip())
    locked.state = to
    if to == State.DRAFT:
        # Withdrawn or reworked: whatever approval it had lapses with its round.
        locked.approved_at = locked.approval_due_at = None
        locked.approval_refused = False
        changed += ["approved_at", "approval_due_at", "approval_refused"]
    elif to == State.SUBMITTED:
        locked.approval_round += 1
        locked.submitted_at = now
        locked.approved_at = None
        locked.approval_refused = False
        changed += ["approval_round", "submitted_at", "approved_at", "approval_refused"]
        if locked.kind == ChangeKind.EMERGENCY:
            locked.approval_due_at = now + datetime.timedelta(hours=EMERGENCY_APPROVAL_HOURS)
            changed.append("approval_due_at")
    elif to == State.IMPLEMENTING:
        locked.implemented_at = now
        changed.append("implemented_at")
    elif to in FINISHED_STATES:
        locked.finished_at = now
        changed.append("finished_at")
    elif to == State.REVIEWED:
        locked.reviewed_at = now
        changed.append("reviewed_at")
    if source == State.SCHEDULED and locked.reschedule_requested:
        # The slot is given back or the work begins: a new window asked for is moot.
        locked.requested_start = locked.requested_end = None
        changed += ["requested_start", "requested_end"]
    records.save_version(locked, *changed)
    log_transition(locked, source, to, actor=actor, now=now, comment=comment, fields=fields)
    if to == State.SUBMITTED:
        _note_conflicts(locked, actor=actor, now=now)
    if to == State.SUBMITTED and locked.kind == ChangeKind.STANDARD:
        # Pre-approved by its template: the system approves it on the spot, no approval step.
        locked.state, locked.approved_at = State.APPROVED, now
        records.save_version(locked, "state", "approved_at")
        log_transition(
            locked,
            State.SUBMITTED,
            State.APPROVED,
            actor=None,
            now=now,
            comment=_("Pre-approved standard change."),
        )
    elif to == State.SUBMITTED:
        ask_approvers(locked)
    elif to == State.SCHEDULED:
        open_windows(locked, actor=actor, now=now)
        notify_users(locked, actor=actor, now=now)
    elif source == State.SCHEDULED and to == State.APPROVED:
        count = schedule.clear_windows(locked)
        add_event(locked, EventKind.WINDOWS, actor=actor, at=now, removed=count)
    elif to == State.IMPLEMENTING:
        if locked.windows.exists():
            schedule.open_windows_early(locked, now)
        else:  # an emergency change carried out before any scheduling
            _carried_out_first(locked, actor=actor, now=now)
    elif to in FINISHED_STATES:
        schedule.cut_windows(locked, now)
    return locked


def window_conflicts(change: Change, user=None) -> list[str]:
    """The freeze periods and collisions of the window the change holds now, named as `user` may see
    them: told to the requester while drafting and on submitting, and to the approvers, before anyone
    schedules it (Art. 18). An emergency change being carried out: its real working window."""
    if change.state == State.IMPLEMENTING:
        start, end = schedule.work_window(change)
    elif change.state in (*EDITABLE_STATES, State.APPROVED, State.SCHEDULED):
        start, end = schedule_window(change)
    else:
        return []
    if start is None or end is None or change.planned_start is None:
        return []
    return [reason for reason, _field in schedule_blockers(change, start, end, user=user)]


def _note_conflicts(change: Change, *, actor, now, start=None, end=None) -> None:
    """Write the freezes and collisions of the window on the timeline, so whoever submits or carries
    out the change is told there and then, not only once it is being scheduled."""
    start, end = start or change.planned_start, end or change.planned_end
    blockers = schedule_blockers(change, start, end, user=actor)
    if blockers:
        add_event(
            change,
            EventKind.CONFLICTS,
            actor=actor,
            at=now,
            comment="\n".join(reason for reason, _field in blockers),
            collisions=[other.pk for other in schedule.collisions(change, start, end)],
            freezes=[freeze.pk for freeze in schedule.freezes_for(change, start, end)],
        )


def _carried_out_first(change: Change, *, actor, now) -> None:
    """An emergency change carried out before it was scheduled gets what scheduling would have given:
    maintenance windows, the notice to the affected units' users, and the freeze periods and collisions
    of its window written down (a freeze also makes the leader's approval needed: rules.needed_roles)."""
    start, end = schedule.work_window(change)
    open_windows(change, actor=actor, now=now, start=now)
    notify_users(change, actor=actor, now=now, start=now, end=end)
    _note_conflicts(change, actor=actor, now=now, start=start, end=end)


# An approved change takes a new window, a scheduled one moves (or asks to move) to it.
RESCHEDULABLE_STATES = (State.APPROVED, State.SCHEDULED)


@transaction.atomic
def add_comment(change: Change, *, actor, text: str) -> Change:
    """A note on the change's timeline by the unit's system staff."""
    require_handler(actor, change)
    text = records.comment_text(text)
    locked = lock_change(change)
    add_event(locked, EventKind.COMMENT, actor=actor, comment=text)
    audit.record("update", actor=actor, obj=locked, comment=text)
    return locked


def may_reschedule(change: Change, actor) -> bool:
    """The actor may give the change another window now (`reschedule`): the unit's system staff."""
    return change.state in RESCHEDULABLE_STATES and may_handle(actor, change.unit_id)


@transaction.atomic
def reschedule(
    change: Change,
    *,
    actor,
    planned_start: datetime.datetime,
    planned_end: datetime.datetime,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> Change:
    """Give an approved or scheduled change another window (one whose window went by is recovered this
    way). An approved change just takes the window; scheduling it checks freezes and collisions. A
    scheduled change moves at once with its maintenance windows, and the affected units are told again —
    unless the new window falls into a freeze or a collision the leader in charge has not approved: then
    the window is requested, the change stays where it is, and the leader's approval of the requested
    window (`decide(scope="schedule")`) moves it."""
    require_handler(actor, change)
    locked = lock_change(change)
    if locked.state not in RESCHEDULABLE_STATES:
        raise TransitionNotAllowed(
            _("Only an approved or scheduled change gets a new window (now: %(state)s).")
            % {"state": State(locked.state).label},
            field="state",
        )
    if planned_end <= planned_start:
        raise DomainError(_("The window must end after it starts."), field="planned_end")
    now = now or timezone.now()
    if planned_end <= now:
        raise DomainError(_("The new window is already over."), field="planned_end")
    if locked.state == State.SCHEDULED and not schedule_approved(locked, planned_start, planned_end):
        blockers = schedule_blockers(locked, planned_start, planned_end, user=actor)
        if blockers:
            locked.requested_start, locked.requested_end = planned_start, planned_end
            records.save_version(locked, "requested_start", "requested_end")
            add_event(
                locked,
                EventKind.RESCHEDULE_REQUEST,
                actor=actor,
                at=now,
                comment="\n".join(filter(None, [comment, *(reason for reason, _field in blockers)])),
                window_start=planned_start,
                window_end=planned_end,
            )
            audit.record(
                "update",
                actor=actor,
                obj=locked,
                after={"requested_start": planned_start, "requested_end": planned_end},
                comment=comment,
            )
            return locked
    move_window(locked, planned_start, planned_end, actor=actor, now=now, comment=comment)
    return locked


# -- a refused emergency change that stands ---------------------------------------------------------


def exception_failure(change: Change, actor) -> str | None:
    """Why `actor` may not record an exception to the refused approval of the change, or None (Art. 18):
    only the leader in charge, never the change's requester, and only while the refused emergency change
    has not been rolled back."""
    if not change.awaiting_rollback:
        return _(
            "An exception is recorded only for an emergency change whose approval after the fact was "
            "refused and that is not rolled back (Art. 18)."
        )
    if actor is None or not schedule.holds_role(actor, Role.LEADER, change.unit):
        return _("Only the leader in charge records an exception to a refused approval (Art. 18).")
    if change.requester_id == actor.pk:
        return _("You requested this change: someone else must approve it.")
    return None


@transaction.atomic
def record_exception(
    change: Change,
    *,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> Change:
    """The leader in charge lets an emergency change whose approval was refused after the fact stand
    instead of rolling it back, with the reason (Art. 18); from then on it is completed and reviewed
    like an approved one. Kept on the change and on its timeline."""
    locked = lock_change(change, expected_version)
    refusal = exception_failure(locked, actor)
    if refusal and not locked.awaiting_rollback:
        raise TransitionNotAllowed(refusal, field="state")
    if refusal:
        raise PermissionDenied(refusal)
    if not comment.strip():
        raise DomainError(_("An exception needs its reason."), field="comment")
    now = now or timezone.now()
    locked.exception_at, locked.exception_by, locked.exception_reason = now, actor, comment.strip()
    records.save_version(locked, "exception_at", "exception_by", "exception_reason")
    add_event(locked, EventKind.EXCEPTION, actor=actor, at=now, comment=locked.exception_reason)
    audit.record(
        "update",
        actor=actor,
        obj=locked,
        after={"exception_at": now, "exception_by": actor.pk},
        comment=locked.exception_reason,
    )
    return locked


# -- the inventory --------------------------------------------------------------------------------


def inventory_refusal(change: Change) -> DomainError | None:
    """Why the change's inventory updates cannot be applied now, or None: once it is completed and
    verified, once, and only when it carries some."""
    # Reviewed after completion still applies; a rolled-back or failed change has nothing to write.
    if change.state not in (State.COMPLETED, State.REVIEWED) or not change.verification_result:
        return TransitionNotAllowed(_("The inventory is updated from a completed change."), field="state")
    if change.inventory_applied_at is not None:
        return TransitionNotAllowed(_("The inventory updates of this change are already applied."))
    if not change.attribute_changes:
        return DomainError(_("This change carries no inventory updates."), field="attribute_changes")
    return None


def may_apply_inventory(change: Change, actor) -> bool:
    """The actor may apply the change's inventory updates now (`apply_inventory`)."""
    return may_handle(actor, change.unit_id) and inventory_refusal(change) is None


@transaction.atomic
def apply_inventory(change: Change, *, actor, now: datetime.datetime | None = None) -> Change:
    """Write the change's inventory updates to the items through the inventory's services, once the
    change is completed; each item's history names the change."""
    locked = lock_change(change)
    require_handler(actor, locked)
    refusal = inventory_refusal(locked)
    if refusal is not None:
        raise refusal
    per_item: dict[int, list[dict]] = {}
    for entry in locked.attribute_changes:
        per_item.setdefault(entry["item"], []).append(entry)
    comment = f"{locked.code} {locked.title}"
    for item in Item.objects.filter(pk__in=per_item).select_related("type").order_by("pk"):
        fields: dict = {}
        attributes = dict(item.attributes)
        for entry in per_item[item.pk]:
            if "attribute" in entry:
                attributes[entry["attribute"]] = entry["value"]
                fields["attributes"] = attributes
            else:
                fields[entry["field"]] = entry["value"]
        cmdb.update(item, actor=actor, comment=comment, **fields)
    now = now or timezone.now()
    locked.inventory_applied_at = now
    records.save_version(locked, "inventory_applied_at")
    add_event(locked, EventKind.INVENTORY, actor=actor, at=now, items=sorted(per_item))
    audit.record("update", actor=actor, obj=locked, after={"inventory_applied": sorted(per_item)})
    return locked


# -- emergency approvals past due ------------------------------------------------------------------


def remind_overdue_approvals(now: datetime.datetime | None = None) -> int:
    """Emergency changes carried out first whose approval has not come in within its 24 hours: their
    missing approvers are told once. Returns how many changes were reminded of; a conditional update
    claims each, so two sweeps running at once remind once."""
    now = now or timezone.now()
    due = Change.objects.filter(
        awaiting_approval_q(), approval_due_at__lt=now, approvers_reminded_at__isnull=True
    )
    return sum(_remind_approvers(pk, now) for pk in list(due.values_list("pk", flat=True)))


@transaction.atomic
def _remind_approvers(pk: int, now: datetime.datetime) -> int:
    if not Change.objects.filter(pk=pk, approvers_reminded_at__isnull=True).update(approvers_reminded_at=now):
        return 0
    change = Change.objects.select_related("unit").get(pk=pk)
    accounts = remind_approvers(change, now=now)
    event = add_event(change, EventKind.APPROVAL_OVERDUE, actor=None, at=now, recipients=accounts)
    audit.record("update", actor=None, obj=change, after={"approvers_reminded_at": now, "event": event.pk})
    return 1


# -- templates and freeze periods -----------------------------------------------------------------


def _check_freeze(fields: dict, instance: FreezePeriod | None = None) -> dict:
    start = fields.get("starts_at", instance.starts_at if instance else None)
    end = fields.get("ends_at", instance.ends_at if instance else None)
    if start is None:
        raise DomainError(_("This field is required."), field="starts_at")
    if end is None or end <= start:
        raise DomainError(_("A freeze period must end after it starts."), field="ends_at")
    return fields


def create(model, *, actor, **fields):
    """Create a standard-change template or a freeze period (group admins); the RecordViewSet protocol."""
    require_group_admin(actor)
    if model is FreezePeriod:
        units = fields.pop("units", None)
        fields = _check_freeze(fields)
        with transaction.atomic():
            freeze = create_record(FreezePeriod, actor=actor, created_by=actor, **fields)
            if units is not None:
                freeze.units.set(units)
        return freeze
    if model is ChangeTemplate:
        return create_record(ChangeTemplate, actor=actor, **fields)
    raise TypeError(f"not a record of the change catalogue: {model}")


def update(instance, *, actor, expected_version=None, **fields):
    require_group_admin(actor)
    if isinstance(instance, FreezePeriod):
        units = fields.pop("units", None)
        fields = _check_freeze(fields, instance)
        with transaction.atomic():
            freeze = update_record(instance, actor=actor, expected_version=expected_version, **fields)
            if units is not None:
                freeze.units.set(units)
        return freeze
    if isinstance(instance, ChangeTemplate):
        fields.pop("created_by", None)
        return update_record(instance, actor=actor, expected_version=expected_version, **fields)
    raise TypeError(f"not a record of the change catalogue: {instance!r}")


def delete(instance, *, actor) -> None:
    require_group_admin(actor)
    delete_record(instance, actor=actor)
