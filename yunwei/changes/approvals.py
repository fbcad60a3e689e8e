"""Approval decisions on changes (Art. 18, our reading): the system management lead approves, the leader in
charge too for a risky change and for scheduling into a freeze or a collision; nobody decides on their own."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.accounts import delegation
from yunwei.audit import services as audit
from yunwei.core import records, scoping
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from . import schedule
from .choices import (
    ApprovalScope,
    ChangeKind,
    Decision,
    EventKind,
    State,
)
from .effects import move_window
from .models import Approval, Change, awaiting_approval_q
from .rules import (
    add_event,
    approver_roles,
    current_approvals,
    lock_change,
    log_transition,
    missing_roles,
    needed_roles,
)


def schedule_approved(change: Change, start=None, end=None) -> bool:
    """The leader approved scheduling this change in this window (into a freeze or a collision)."""
    start, end = start or change.planned_start, end or change.planned_end
    latest = (
        change.approvals.filter(
            scope=ApprovalScope.SCHEDULE, round=change.approval_round, window_start=start, window_end=end
        )
        .order_by("-at", "-id")
        .first()
    )
    return latest is not None and latest.decision == Decision.APPROVED


def schedule_blockers(change: Change, start=None, end=None, user=None) -> list[tuple[str, str]]:
    """Why the window needs the leader's approval: each colliding change and each freeze, named."""
    reasons = []
    visible = set()
    clashes = schedule.collisions(change, start, end)
    if user is not None and clashes:
        visible = set(
            scoping.visible(Change.objects.filter(pk__in=[c.pk for c in clashes]), user).values_list(
                "pk", flat=True
            )
        )
    for other in clashes:
        name = f"{other.code} {other.title}" if other.pk in visible else other.code
        reasons.append(
            (
                _("The window collides with change %(change)s (%(start)s–%(end)s) on shared items.")
                % {
                    "change": name,
                    "start": timezone.localtime(other.planned_start).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(other.planned_end).strftime("%Y-%m-%d %H:%M"),
                },
                "planned_start",
            )
        )
    for freeze in schedule.freezes_for(change, start, end):
        reasons.append(
            (
                _("The window falls in the freeze period “%(reason)s” (%(start)s–%(end)s).")
                % {
                    "reason": freeze.reason,
                    "start": timezone.localtime(freeze.starts_at).strftime("%Y-%m-%d %H:%M"),
                    "end": timezone.localtime(freeze.ends_at).strftime("%Y-%m-%d %H:%M"),
                },
                "planned_start",
            )
        )
    return reasons


def _self_granted(actor, role: str, change: Change) -> bool:
    """The actor holds `role` for the change (in its unit, its parent or the group, as
    `schedule.holds_role` counts) only through an assignment they granted themselves."""
    units = {change.unit_id, change.unit.parent_id} | set(
        Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True)
    )
    return org.self_granted(actor, role, units - {None})


def eligible_roles(actor, change: Change) -> list[str]:
    """The approver roles through which the actor may decide on the change: nobody approves through a
    role they gave themselves (Art. 10, 18)."""
    return [role for role in approver_roles(actor, change) if not _self_granted(actor, role, change)]


def self_granted_refusal(role: str) -> str:
    return _(
        "You granted yourself the role of %(role)s: nobody approves through a role they gave themselves "
        "(Art. 10, 18)."
    ) % {"role": Role(role).label}


def pre_approved(change: Change) -> bool:
    """A standard change: its template approved it beforehand, so nobody decides on it."""
    return change.kind == ChangeKind.STANDARD


def needed_approvals(change: Change) -> list[str]:
    """The roles whose approval the change needs, as the page and the API show them: none for a
    pre-approved one."""
    return [] if pre_approved(change) else needed_roles(change)


def capacities(change: Change, actor, now=None) -> list[tuple[str, object]]:
    """The (role, principal) pairs in which the actor may decide on the change: their own eligible roles
    (principal None), then those of each approver they deputise for now (职务代理) who could decide on it
    themselves: who requested the change cannot approve it, nor can their deputy; an approver who
    already decided in this round has no deputy left to decide for them."""
    pairs: list[tuple[str, object]] = [(role, None) for role in eligible_roles(actor, change)]
    decided = set(current_approvals(change).values_list("approver_id", flat=True)) | set(
        current_approvals(change).exclude(on_behalf_of=None).values_list("on_behalf_of_id", flat=True)
    )
    for principal in delegation.acting_for(actor, now):
        if principal.pk in decided or delegation.segregation_failure(
            actor, principal, requested_by_id=change.requester_id
        ):
            continue
        pairs.extend((role, principal) for role in eligible_roles(principal, change))
    return pairs


def may_decide(change: Change, actor, now=None) -> bool:
    """The actor can give an approval decision on the change now, in their own name or as a deputy."""
    if not decision_open(change) or actor is None or change.requester_id == actor.pk:
        return False
    if current_approvals(change).filter(approver=actor).exists():
        return False
    missing = missing_roles(change)
    return any(role in missing for role, _principal in capacities(change, actor, now))


def decidable(queryset, user, now=None):
    """The changes `user` may open to decide on: those they see, and while they deputise, those waiting
    for the approvers they stand in for (what waits for the approver moves to the deputy)."""
    mine = scoping.visible(queryset, user)
    for principal in delegation.acting_for(user, now):
        theirs = scoping.visible(queryset, principal).filter(state=State.SUBMITTED) | scoping.visible(
            queryset, principal
        ).filter(awaiting_approval_q())
        # Every condition is on the change's own columns or its unit (single-valued): no duplicate rows.
        mine = mine | theirs
    return mine


def waiting_for(user, now=None) -> list[Change]:
    """The changes waiting for `user`'s decision now, their own and those of whom they deputise for."""
    waiting = decidable(Change.objects.select_related("unit"), user, now).filter(
        Q(state=State.SUBMITTED) | awaiting_approval_q()
    )
    return [change for change in waiting.order_by("submitted_at", "pk") if may_decide(change, user, now)]


def decision_open(change: Change) -> bool:
    if pre_approved(change):
        return False
    if change.state == State.SUBMITTED:
        return True
    # An emergency change carried out first is approved (or refused) after the fact.
    return (
        change.kind == ChangeKind.EMERGENCY
        and change.approval_round > 0
        and change.approved_at is None
        and not change.approval_refused
        and change.state not in (State.DRAFT, State.REJECTED)
    )


# -- approvals ------------------------------------------------------------------------------------


@transaction.atomic
def decide(
    change: Change,
    *,
    actor,
    decision: str,
    comment: str = "",
    scope: str = ApprovalScope.CHANGE,
    now: datetime.datetime | None = None,
) -> Change:
    """Record the actor's approval or rejection of the change (or of scheduling it into a freeze or a
    collision, `scope="schedule"`). A rejection needs its reason; nobody decides on their own change."""
    locked = lock_change(change)
    if scope == ApprovalScope.SCHEDULE:
        return _decide_schedule(locked, actor=actor, decision=decision, comment=comment, now=now)
    if scope != ApprovalScope.CHANGE:
        raise DomainError(_("Unknown scope."), field="scope")
    return record_decision(locked, actor=actor, decision=decision, comment=comment, now=now)


def _refuse_own(change: Change, actor) -> None:
    if change.requester_id is not None and actor is not None and change.requester_id == actor.pk:
        raise PermissionDenied(_("You requested this change: someone else must approve it."))


def record_decision(change: Change, *, actor, decision: str, comment: str, now) -> Change:
    if decision not in Decision.values:
        raise DomainError(_("Unknown decision."), field="decision")
    if not decision_open(change):
        raise TransitionNotAllowed(
            _("There is no approval to give on this change now (%(state)s).")
            % {"state": State(change.state).label},
            field="to",
        )
    _refuse_own(change, actor)
    now = now or timezone.now()
    needed = needed_roles(change)
    held = [role for role in approver_roles(actor, change) if role in needed]
    pairs = [(role, principal) for role, principal in capacities(change, actor, now) if role in needed]
    if not held and not pairs:
        for principal in delegation.acting_for(actor, now):
            reason = delegation.segregation_failure(actor, principal, requested_by_id=change.requester_id)
            if reason:
                raise PermissionDenied(reason)
        raise PermissionDenied(
            _("Approval belongs to the system management lead (and the leader in charge if risky).")
        )
    if not pairs:
        raise PermissionDenied(self_granted_refusal(held[0]))
    if current_approvals(change).filter(approver=actor).exists():
        raise TransitionNotAllowed(_("You have already decided on this change."), field="decision")
    given = set(current_approvals(change).filter(decision=Decision.APPROVED).values_list("role", flat=True))
    open_pairs = [(role, principal) for role, principal in pairs if role not in given]
    if not open_pairs:
        raise TransitionNotAllowed(_("The approval of your role is already in."), field="decision")
    if decision == Decision.REJECTED and not comment.strip():
        raise DomainError(_("A rejection needs its reason."), field="comment")
    role, principal = open_pairs[0]
    behalf = {"on_behalf_of": principal.get_username()} if principal is not None else {}
    approval = Approval.objects.create(
        change=change,
        scope=ApprovalScope.CHANGE,
        round=change.approval_round,
        approver=actor,
        approver_name=actor.get_username(),
        on_behalf_of=principal,
        on_behalf_of_name=principal.get_username() if principal is not None else "",
        role=role,
        decision=decision,
        at=now,
        comment=comment,
    )
    add_event(
        change,
        EventKind.APPROVAL,
        actor=actor,
        at=now,
        comment=comment,
        decision=decision,
        role=role,
        approval=approval.pk,
        **behalf,
    )
    audit.record(
        "update",
        actor=actor,
        obj=change,
        after={"approval": approval.pk, "decision": decision, "role": role, **behalf},
        comment=comment,
    )
    if decision == Decision.REJECTED:
        if change.state == State.SUBMITTED:
            change.state = State.REJECTED
            records.save_version(change, "state")
            log_transition(change, State.SUBMITTED, State.REJECTED, actor=actor, now=now, comment=comment)
        else:
            change.approval_refused = True
            records.save_version(change, "approval_refused")
        return change
    if not missing_roles(change):
        change.approved_at = now
        if change.state == State.SUBMITTED:
            change.state = State.APPROVED
            records.save_version(change, "state", "approved_at")
            log_transition(change, State.SUBMITTED, State.APPROVED, actor=actor, now=now, comment=comment)
        else:
            records.save_version(change, "approved_at")
    else:
        records.save_version(change)
    return change


def window_requested(change: Change) -> bool:
    """A scheduled change asks to move to a new window in a freeze or a collision: the leader's scheduling
    decision is about that window."""
    return change.state == State.SCHEDULED and change.reschedule_requested


def schedule_window(change: Change):
    """The window a scheduling decision is about: the new window requested for a scheduled change when
    there is one, else the change's own."""
    if window_requested(change):
        return change.requested_start, change.requested_end
    return change.planned_start, change.planned_end


def may_approve_window(change: Change, actor, conflicts) -> bool:
    """The page offers the actor the scheduling decision (`decide(scope="schedule")`): the window the
    change holds falls into a freeze or a collision (`conflicts`, as `window_conflicts` names them), the
    change is approved or scheduled, the window is not approved yet, and the actor is a leader in charge
    who did not request the change."""
    return (
        bool(conflicts)
        and change.state in (State.APPROVED, State.SCHEDULED)
        and not schedule_approved(change, *schedule_window(change))
        and change.requester_id != actor.pk
        and schedule.holds_role(actor, Role.LEADER, change.unit)
    )


def _decide_schedule(change: Change, *, actor, decision: str, comment: str, now) -> Change:
    """The leader's decision on a window in a freeze or a collision. On a new window requested for a
    scheduled change, approval moves the change there at once; a refusal keeps it where it was."""
    if decision not in Decision.values:
        raise DomainError(_("Unknown decision."), field="decision")
    if change.state not in (State.APPROVED, State.SCHEDULED) or change.planned_start is None:
        raise TransitionNotAllowed(
            _("Scheduling is approved for an approved change with a window."), field="scope"
        )
    _refuse_own(change, actor)
    if not schedule.holds_role(actor, Role.LEADER, change.unit):
        raise PermissionDenied(
            _("Scheduling into a freeze period or a collision is approved by the leader in charge.")
        )
    if _self_granted(actor, Role.LEADER, change):
        raise PermissionDenied(self_granted_refusal(Role.LEADER))
    if decision == Decision.REJECTED and not comment.strip():
        raise DomainError(_("A rejection needs its reason."), field="comment")
    now = now or timezone.now()
    requested = window_requested(change)
    start, end = schedule_window(change)
    if requested and decision == Decision.APPROVED and end <= now:
        raise TransitionNotAllowed(
            _("The requested window is already over; ask for another one."), field="planned_end"
        )
    approval = Approval.objects.create(
        change=change,
        scope=ApprovalScope.SCHEDULE,
        round=change.approval_round,
        approver=actor,
        approver_name=actor.get_username(),
        role=Role.LEADER,
        decision=decision,
        at=now,
        comment=comment,
        window_start=start,
        window_end=end,
    )
    records.save_version(change)
    add_event(
        change,
        EventKind.APPROVAL,
        actor=actor,
        at=now,
        comment=comment,
        decision=decision,
        role=Role.LEADER,
        scope=ApprovalScope.SCHEDULE,
        approval=approval.pk,
        window_start=start.isoformat(),
        window_end=end.isoformat(),
    )
    audit.record(
        "update",
        actor=actor,
        obj=change,
        after={"approval": approval.pk, "scope": "schedule", "decision": decision},
        comment=comment,
    )
    if requested and decision == Decision.APPROVED:
        move_window(change, start, end, actor=actor, now=now, comment=comment)
    elif requested:
        change.requested_start = change.requested_end = None
        records.save_version(change, "requested_start", "requested_end")
        add_event(
            change,
            EventKind.RESCHEDULE_REFUSED,
            actor=actor,
            at=now,
            comment=comment,
            window_start=start.isoformat(),
            window_end=end.isoformat(),
        )
    return change
