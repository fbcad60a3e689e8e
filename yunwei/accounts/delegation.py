"""Delegation (职务代理, issue 26 item 5): who decides for an approver who is away.

One helper for every flow that asks for a decision: changes call it now, the service desk later.
`acting_for(user, at)` names the approvers `user` deputises for at `at`; `may_decide_for(deputy,
principal, at)` says whether the deputy may decide in the principal's stead. The flow itself still
checks its own rules with the principal's roles, and segregation of duties holds for both names: a
deputy never decides on their own request, nor on their principal's (`segregation_failure`).
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import scoping
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed

from .models import Delegation


def running(at: datetime.datetime | None = None) -> QuerySet:
    """Delegations in force at `at` (now by default)."""
    at = at or timezone.now()
    return Delegation.objects.filter(starts_at__lte=at, ends_at__gt=at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )


def acting_for(user, at: datetime.datetime | None = None) -> list:
    """The approvers `user` deputises for at `at`: what waits for them waits for `user` too."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    ids = running(at).filter(deputy=user).values_list("principal_id", flat=True)
    return list(get_user_model().objects.filter(pk__in=list(ids), is_active=True))


def deputy_of(principal, at: datetime.datetime | None = None):
    row = running(at).filter(principal=principal, deputy__is_active=True).select_related("deputy").first()
    return row.deputy if row else None


def may_decide_for(deputy, principal, at: datetime.datetime | None = None) -> bool:
    return any(p.pk == principal.pk for p in acting_for(deputy, at))


def segregation_failure(deputy, principal, *, requested_by_id: int | None, worked_by: set[int] = frozenset()):
    """Why the deputy may not decide for the principal on a piece of work requested by
    `requested_by_id` (and done by `worked_by`), or None: neither name may be the requester's or a
    worker's (the principal could not approve it, so neither can their deputy)."""
    if requested_by_id is not None and requested_by_id == deputy.pk:
        return _("You requested it: someone else must decide on it.")
    if requested_by_id is not None and requested_by_id == principal.pk:
        return _("%(principal)s requested it: their deputy may not decide on it either.") % {
            "principal": principal.get_username()
        }
    if deputy.pk in worked_by or principal.pk in worked_by:
        return _("Whoever carries out a piece of work does not decide on it, nor does their deputy.")
    return None


# -- naming a deputy --------------------------------------------------------------------------------


def may_manage(actor, principal) -> bool:
    """An approver names their own deputy; an admin of the approver's unit may name one for them."""
    if actor.pk == principal.pk:
        return True
    person = getattr(principal, "person", None)
    return scoping.access_of(actor).can_manage_unit(person.unit_id if person else None)


@transaction.atomic
def name_deputy(
    principal,
    *,
    deputy,
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    actor,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Delegation:
    """Name `deputy` for `principal` from `starts_at` to `ends_at`. Refused: a deputy who is the
    principal, a disabled account, a span that ends before it starts or is already over, and a span
    that overlaps another delegation of the principal's."""
    now = now or timezone.now()
    if not may_manage(actor, principal):
        raise PermissionDenied(_("You may name a deputy only for yourself."))
    if deputy is None:
        raise DomainError(_("Name the deputy."), field="deputy")
    if deputy.pk == principal.pk:
        raise DomainError(_("You cannot be your own deputy."), field="deputy")
    if not deputy.is_active:
        raise DomainError(_("This account is disabled."), field="deputy")
    if starts_at is None:
        raise DomainError(_("Give the start of the span."), field="starts_at")
    if ends_at is None:
        raise DomainError(_("Give the end of the span."), field="ends_at")
    if ends_at <= starts_at:
        raise DomainError(_("The span ends before it starts."), field="ends_at")
    if ends_at <= now:
        raise DomainError(_("The span is already over."), field="ends_at")
    # The principal's row is locked so two overlapping spans named at once cannot both pass the check.
    get_user_model().objects.select_for_update().filter(pk=principal.pk).first()
    clash = (
        Delegation.objects.filter(principal=principal, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=starts_at))
        .select_related("deputy")
        .first()
    )
    if clash is not None:
        raise DomainError(
            _("The span overlaps the delegation to %(deputy)s (%(start)s–%(end)s).")
            % {
                "deputy": clash.deputy.get_username(),
                "start": timezone.localtime(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(clash.until()).strftime("%Y-%m-%d %H:%M"),
            },
            field="starts_at",
        )
    delegation = Delegation.objects.create(
        principal=principal,
        deputy=deputy,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        created_by=actor,
        created_at=now,
    )
    audit.record(
        "create",
        actor=actor,
        obj=delegation,
        object_repr=str(delegation),
        unit_id=scoping.access_of(principal).unit_id,
        after={
            "principal": principal.get_username(),
            "deputy": deputy.get_username(),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        comment=reason,
    )
    return delegation


@transaction.atomic
def end_delegation(delegation: Delegation, *, actor, now: datetime.datetime | None = None) -> Delegation:
    """End a delegation now (the approver is back early), or withdraw one not started yet."""
    now = now or timezone.now()
    locked = Delegation.objects.select_for_update().select_related("principal").get(pk=delegation.pk)
    if not may_manage(actor, locked.principal):
        raise PermissionDenied(_("You may end only your own delegations."))
    if locked.until() <= now:
        raise TransitionNotAllowed(_("This delegation is already over."), field="ended_at")
    locked.ended_at = now
    locked.save(update_fields=["ended_at"])
    audit.record(
        "update",
        actor=actor,
        obj=locked,
        object_repr=str(locked),
        unit_id=scoping.access_of(locked.principal).unit_id,
        after={"ended_at": now.isoformat()},
    )
    return locked


def visible_delegations(user) -> QuerySet:
    """The delegations `user` gave or holds, and those of the units they manage."""
    qs = Delegation.objects.select_related("principal", "deputy")
    mine = Q(principal=user) | Q(deputy=user)
    managed = scoping.writable(Delegation.objects.all(), user).values("pk")
    return qs.filter(mine | Q(pk__in=managed))
