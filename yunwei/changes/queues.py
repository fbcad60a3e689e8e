"""What waits on one person in change management (Art. 18, our reading), as querysets: the decisions asked
of a system management lead or a leader in charge, the changes a requester schedules and carries out, the
reviews a lead writes. The one definition of each rule: the change list's "awaiting my decision" filter,
My work and the dashboard read them from here.

The queries mirror `approvals.may_decide` and `rules.review_failure` in SQL so that a list filters on them
at any size; `may_decide` stays the word on one change (the page asks it before showing the buttons).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from yunwei.core.scoping import access_of
from yunwei.org.choices import Role, UnitKind

from .choices import WORK_STATES, ApprovalScope, ChangeKind, Decision, Risk, ServiceImpact, State
from .models import Approval, ChangeEvent, awaiting_approval_q

REVIEW_STATES = (State.COMPLETED, State.ROLLED_BACK, State.FAILED)
CARRY_OUT_STATES = (State.SCHEDULED, State.IMPLEMENTING, State.VERIFYING)


def _role_units_q(user, role: str) -> Q | None:
    """The changes whose unit the user holds `role` for (`schedule.holds_role`): the unit itself or its
    parent; held at the group, every unit. None when the user does not hold the role at all."""
    held = [(unit_id, kind) for r, unit_id, kind in access_of(user).roles if r == role]
    if not held:
        return None
    if any(kind == UnitKind.GROUP for _unit_id, kind in held):
        return Q()
    ids = [unit_id for unit_id, _kind in held]
    return Q(unit_id__in=ids) | Q(unit__parent_id__in=ids)


def decides(user) -> bool:
    """The user holds a role that approves changes: the system management lead or the leader in charge."""
    return (
        user is not None
        and user.is_authenticated
        and any(role in (Role.SYSTEM_LEAD, Role.LEADER) for role, _unit, _kind in access_of(user).roles)
    )


def reviews(user) -> bool:
    """The user writes post-implementation reviews: a system management lead."""
    return (
        user is not None
        and user.is_authenticated
        and any(role == Role.SYSTEM_LEAD for role, _unit, _kind in access_of(user).roles)
    )


def risky_q() -> Q:
    """`Change.is_risky` as a query."""
    return Q(risk=Risk.HIGH) | Q(computed_risk=Risk.HIGH) | Q(service_impact=ServiceImpact.OUTAGE)


def decision_open_q() -> Q:
    """`approvals.decision_open` as a query: submitted, or an emergency change carried out first."""
    return ~Q(kind=ChangeKind.STANDARD) & (Q(state=State.SUBMITTED) | awaiting_approval_q())


def _approved_as(role: str):
    return Exists(
        Approval.objects.filter(
            change=OuterRef("pk"),
            scope=ApprovalScope.CHANGE,
            round=OuterRef("approval_round"),
            role=role,
            decision=Decision.APPROVED,
        )
    )


def awaiting_decision(queryset: QuerySet, user) -> QuerySet:
    """Changes of `queryset` waiting on the user's approval decision: their role's approval is missing in
    this round and they have not decided yet (not their own request); for a leader in charge, also a
    scheduled change's new window in a freeze or a collision. Emergency changes in a freeze are offered to
    the leader too (the page's `may_decide` has the last word on the freeze)."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    lead, leader = _role_units_q(user, Role.SYSTEM_LEAD), _role_units_q(user, Role.LEADER)
    wanted = Q(pk__in=[])
    if lead is not None:
        wanted |= lead & ~_approved_as_q(Role.SYSTEM_LEAD)
    if leader is not None:
        needs_leader = risky_q() | Q(kind=ChangeKind.EMERGENCY)
        wanted |= leader & needs_leader & ~_approved_as_q(Role.LEADER)
    rows = queryset.filter(decision_open_q(), wanted)
    if leader is not None:
        windows = queryset.filter(leader, state=State.SCHEDULED, requested_start__isnull=False)
        rows = queryset.filter(Q(pk__in=rows.values("pk")) | Q(pk__in=windows.values("pk")))
    decided = Approval.objects.filter(
        change=OuterRef("pk"), scope=ApprovalScope.CHANGE, round=OuterRef("approval_round"), approver=user
    )
    return rows.exclude(requester=user).exclude(Q(decision_open_q()) & Exists(decided))


def _approved_as_q(role: str) -> Q:
    return Q(_approved_as(role))


def to_schedule(queryset: QuerySet, user) -> QuerySet:
    """Approved changes the user requested: they put them on the calendar."""
    return queryset.filter(state=State.APPROVED, requester=user)


def to_carry_out(queryset: QuerySet, user) -> QuerySet:
    """Scheduled or running changes the user requested: they carry them out and verify them."""
    return queryset.filter(state__in=CARRY_OUT_STATES, requester=user)


def to_review(queryset: QuerySet, user) -> QuerySet:
    """Finished changes without a review, for a system management lead who neither requested nor carried
    them out (`rules.review_failure`)."""
    lead = _role_units_q(user, Role.SYSTEM_LEAD) if user is not None and user.is_authenticated else None
    if lead is None:
        return queryset.none()
    carried = ChangeEvent.objects.filter(change=OuterRef("pk"), to_state__in=WORK_STATES, actor=user)
    return queryset.filter(lead, state__in=REVIEW_STATES).exclude(requester=user).exclude(Exists(carried))
