"""Every change to a service request goes through here: pages, API, sweeps and the demo alike (Art. 9–10).

A step is `transition(request, to=…, actor=…)`: it checks the kind's flow (choices.ALLOWED_TRANSITIONS),
who may make the step (`permission_failure`: the unit admin triages, a group system admin reviews, the
type's approvers approve in order, the type's performer carries out; the requester withdraws, answers,
confirms), what the step needs (`REQUIRED_FIELDS`), then — with the row locked — applies it, moves the
timers, appends the timeline entry and the audit event, and writes the notices to the outbox, all in one
transaction. Whoever made a request never decides on it (segregation of duties).

Delegation (职务代理, accounts.delegation): while an approver is away, the deputy they named holds their
approving part (`holds(..., approving=True)`), sees what waits for them and is told of it; the approval
names both (`on_behalf_of`), and the deputy never approves a request of their own or of their principal's.
"""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yunwei.accounts import delegation
from yunwei.accounts.models import Delegation
from yunwei.audit import services as audit
from yunwei.changes import services as changes
from yunwei.core import records, scoping
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.scoping import access_of
from yunwei.incidents.services import incident as incidents
from yunwei.notify import services as notify
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit
from yunwei.problems import services as problems
from yunwei.problems.models import Problem

from . import fields as form_fields
from . import timers
from .choices import (
    ALLOWED_TRANSITIONS,
    DONE_STATES,
    FINAL_STATES,
    HOLD_STATES,
    RATABLE_STATES,
    REQUIRED_FIELDS,
    Action,
    Actor,
    EscalationLevel,
    EventKind,
    Kind,
    Priority,
    State,
    WaitingOn,
)
from .models import Attachment, ReplyTemplate, RequestEvent, RequestType, ServiceRequest

S = State
LANGUAGES = ("zh-hans", "en")


# -- who may see and who may act --------------------------------------------------------------------


def _leader_units(access) -> set[int]:
    return {unit for role, unit, _kind in access.roles if role == Role.LEADER}


def visible(queryset: QuerySet, user, now: datetime.datetime | None = None) -> QuerySet:
    """The requests a user may see: scoping's rule (admins and staff their units', a user their own),
    a unit's leader in charge those of their unit, whose approvals may wait on them, and a deputy the
    approvals waiting for whom they stand in for, and those they approved in someone's stead."""
    rows = scoping.visible(queryset, user)
    access = access_of(user)
    leads = _leader_units(access)
    if leads and not access.is_group_admin:
        rows = rows | queryset.filter(unit_id__in=leads)
    if access.user_id is not None and not (access.is_group_admin or access.is_group_staff):
        deputised = deputy_q(user, now)
        if deputised is not None:
            rows = rows | queryset.filter(deputised)
    return rows


def _holds_own(actor, code: str, unit_id: int, *, approving: bool = False) -> bool:
    access = access_of(actor)
    if code == Actor.UNIT_ADMIN:
        if approving:
            return (Role.UNIT_ADMIN, unit_id) in {(r, u) for r, u, _k in access.roles}
        return access.can_manage_unit(unit_id)
    if code == Actor.LEADER:
        return unit_id in _leader_units(access)
    if code == Actor.GROUP_ADMIN:
        return access.is_group_admin
    if code == Actor.TECH_STAFF:
        return access.is_group_admin or access.is_group_staff
    return False


def standing_in_for(actor, code: str, unit_id: int, now: datetime.datetime | None = None) -> list:
    """The approvers `actor` deputises for at `now` (职务代理) who hold the approving part `code` for a
    request of the unit."""
    return [p for p in delegation.acting_for(actor, now) if _holds_own(p, code, unit_id, approving=True)]


def holds(actor, code: str, unit_id: int, *, approving: bool = False, now=None) -> bool:
    """Whether the actor holds the part `code` (choices.Actor) for a unit's request. An approval is the
    unit's own admin's or leader's (Art. 10); other unit-admin work a group admin may also do. An
    approval is also the deputy's of an approver who holds it, while the delegation runs."""
    if _holds_own(actor, code, unit_id, approving=approving):
        return True
    return approving and bool(standing_in_for(actor, code, unit_id, now))


def _approvals_q(principal) -> Q:
    """The usage approvals waiting for `principal`'s own approving parts, not of their own making."""
    access = access_of(principal)
    admins = {unit for role, unit, _kind in access.roles if role == Role.UNIT_ADMIN}
    leads = _leader_units(access)
    part = Q(pk__in=[])
    if admins:
        part |= Q(waiting_on=WaitingOn.UNIT_ADMIN, unit_id__in=admins)
    if leads:
        part |= Q(waiting_on=WaitingOn.LEADER, unit_id__in=leads)
    if access.is_group_admin:
        part |= Q(waiting_on=WaitingOn.GROUP_ADMIN)
    return part & Q(kind=Kind.USAGE, state__in=(S.SUBMITTED, S.APPROVING)) & ~Q(requester_id=principal.pk)


def deputy_q(user, now: datetime.datetime | None = None) -> Q | None:
    """What reaches `user` as a deputy: the approvals waiting for each approver they stand in for now
    (never their own requests), and the requests they approved in someone's stead (their page stays
    theirs to read). None for an account that never was a deputy, so everybody else's lists carry no
    extra condition."""
    principals = delegation.acting_for(user, now)
    if not principals and not Delegation.objects.filter(deputy_id=user.pk).exists():
        return None
    approved = RequestEvent.objects.filter(
        kind=EventKind.APPROVAL, actor_id=user.pk, data__has_key="on_behalf_of_id"
    ).values("request_id")
    return Q(pk__in=approved) | waiting_for_principals(user, now, principals)


def waiting_for_principals(user, now: datetime.datetime | None = None, principals=None) -> Q:
    """The approvals waiting for the approvers `user` stands in for now (what waits for the approver
    moves to the deputy), never the deputy's own requests: their part of the queue."""
    condition = Q(pk__in=[])
    for principal in delegation.acting_for(user, now) if principals is None else principals:
        condition |= _approvals_q(principal) & ~Q(requester_id=user.pk)
    return condition


def is_requester(actor, request: ServiceRequest) -> bool:
    return actor is not None and actor.pk is not None and actor.pk == request.requester_id


def _parts(request: ServiceRequest, source: str, to: str) -> tuple[str, ...] | str:
    """Who makes the step from `source` to `to`: "requester", "handler" (the unit's support staff) or
    the parts of choices.Actor."""
    kind, policy = request.kind, request.policy
    if to == S.CANCELLED or (source == S.WAITING_REQUESTER) or (source == S.RESOLVED):
        return "requester"
    if kind == Kind.REQUIREMENT:
        if source == S.SUBMITTED:
            return (Actor.UNIT_ADMIN,)
        if source == S.TRIAGED:
            return (Actor.GROUP_ADMIN,)
        return (Actor.GROUP_ADMIN, Actor.TECH_STAFF)
    if kind == Kind.SUPPORT:
        if source == S.ESCALATED:
            return (Actor.TECH_STAFF,)
        return "handler"
    # Usage approval: the type's approvers in order, then its performer.
    if source in (S.SUBMITTED, S.APPROVING):
        approvers = policy.get("approvers") or [Actor.UNIT_ADMIN]
        return (approvers[min(request.approval_step, len(approvers) - 1)],)
    return (policy.get("performer") or Actor.UNIT_ADMIN,)


def _approving(request: ServiceRequest, source: str) -> bool:
    return request.kind == Kind.USAGE and source in (S.SUBMITTED, S.APPROVING)


def permission_failure(
    request: ServiceRequest, to: str, actor, source: str | None = None, now=None
) -> str | None:
    """Why the actor may not make the step now (who), or None."""
    source = source or request.state
    parts = _parts(request, source, to)
    if parts == "requester":
        if not is_requester(actor, request):
            return _("Only the requester may do this.")
        return None
    if is_requester(actor, request):
        return _("You made this request: someone else decides on it.")
    if parts == "handler":
        if not access_of(actor).can_handle_unit(request.unit_id):
            return _("Only the unit's system admin or the group's technical staff handle this request.")
        return None
    if _approving(request, source):
        return approval_capacity(request, actor, parts, now)[0]
    if not any(holds(actor, part, request.unit_id) for part in parts):
        return _step_is_for(parts)
    return None


def _step_is_for(parts) -> str:
    names = ", ".join(str(Actor(part).label) for part in parts)
    return _("This step is for: %(who)s.") % {"who": names}


def _earlier_approvers(request: ServiceRequest) -> set[int]:
    """Whoever approved an earlier step of the request, in their own name or through a deputy."""
    found = set()
    for actor_id, data in RequestEvent.objects.filter(request=request, kind=EventKind.APPROVAL).values_list(
        "actor_id", "data"
    ):
        found.add(actor_id)
        if isinstance(data, dict) and data.get("on_behalf_of_id"):
            found.add(data["on_behalf_of_id"])
    return found


def approval_capacity(request: ServiceRequest, actor, parts=None, now=None) -> tuple[str | None, object]:
    """(why not, None) or (None, principal): whether the actor may give the approval the request waits
    for, in their own name (principal None) or as the deputy of an approver who holds the step's part
    (职务代理). Segregation of duties holds for both names: neither the deputy nor the principal made
    the request, and neither approved an earlier step of it."""
    parts = parts or _parts(request, request.state, S.APPROVED)
    if parts in ("requester", "handler"):
        return _("This step is not an approval."), None
    if is_requester(actor, request):
        return _("You made this request: someone else decides on it."), None
    earlier = _earlier_approvers(request)
    again = _("You approved an earlier step of this request; the next approver must be someone else.")
    if any(_holds_own(actor, part, request.unit_id, approving=True) for part in parts):
        return (again, None) if actor.pk in earlier else (None, None)
    refusals = []
    for part in parts:
        for principal in standing_in_for(actor, part, request.unit_id, now):
            reason = delegation.segregation_failure(actor, principal, requested_by_id=request.requester_id)
            if reason is None and actor.pk in earlier:
                reason = again
            if reason is None and principal.pk in earlier:
                reason = _(
                    "%(principal)s approved an earlier step of this request; the next approver must be "
                    "someone else."
                ) % {"principal": principal.get_username()}
            if reason is None:
                return None, principal
            refusals.append(reason)
    return (refusals[0] if refusals else _step_is_for(parts)), None


def flow_failure(request: ServiceRequest, to: str) -> str | None:
    if to not in ALLOWED_TRANSITIONS[request.kind].get(request.state, ()):
        return _("A request in “%(state)s” cannot go to “%(to)s”.") % {
            "state": State(request.state).label,
            "to": State(to).label if to in State.values else to,
        }
    if request.state == S.WAITING_REQUESTER and to != request.held_from:
        return _("It goes back to where it was.")
    if request.kind == Kind.USAGE and to in (S.APPROVING, S.APPROVED):
        steps = len(request.policy.get("approvers") or [Actor.UNIT_ADMIN])
        last = request.approval_step + 1 >= steps
        if (to == S.APPROVED) != last:
            return _("Approve: the request moves on by itself once the last approver approves.")
    return None


def allowed_targets(request: ServiceRequest, actor) -> list[str]:
    """The steps this actor may offer on the request's page now (a reply from waiting aside)."""
    return [
        to
        for to in ALLOWED_TRANSITIONS[request.kind].get(request.state, ())
        if request.state != S.WAITING_REQUESTER
        and flow_failure(request, to) is None
        and permission_failure(request, to, actor) is None
    ]


def waiting_on(request: ServiceRequest) -> str:
    """Whose turn it is now: what the queues read."""
    state, kind = request.state, request.kind
    if state in FINAL_STATES or state == S.WAITING_VENDOR:
        return WaitingOn.NOBODY
    if state in (S.WAITING_REQUESTER, S.RESOLVED):
        return WaitingOn.REQUESTER
    parts = _parts(request, state, S.REJECTED if kind != Kind.SUPPORT else S.RESOLVED)
    if parts == "handler":
        return WaitingOn.UNIT_ADMIN
    if parts == "requester":
        return WaitingOn.REQUESTER
    return parts[0]


# -- the catalogue (group admins) -------------------------------------------------------------------


def _require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin edits the catalogue of request types."))


def _check_type(fields: dict) -> dict:
    if "fields" in fields:
        fields["fields"] = form_fields.check_definition(fields["fields"])
    approvers = fields.get("approvers")
    if approvers is not None:
        if not isinstance(approvers, list) or any(
            a not in (Actor.UNIT_ADMIN, Actor.LEADER, Actor.GROUP_ADMIN) for a in approvers
        ):
            raise DomainError(
                _("Approvers are a list of: unit_admin, leader, group_admin."), field="approvers"
            )
        if len(set(approvers)) != len(approvers):
            raise DomainError(_("An approver is named twice."), field="approvers")
    holds_ = fields.get("hold_states")
    if holds_ is not None and (not isinstance(holds_, list) or any(h not in HOLD_STATES for h in holds_)):
        raise DomainError(
            _("The states that stop the clock are waiting_requester and waiting_vendor."), field="hold_states"
        )
    for name in ("answer_minutes", "complete_minutes"):
        if name in fields and not (fields[name] or 0) > 0:
            raise DomainError(_("A target time is at least one working minute."), field=name)
    if fields.get("action") == Action.OPEN_ACCOUNT:
        names = {f["name"] for f in fields.get("fields", [])}
        if not {"person_name", "username"} <= names:
            raise DomainError(
                _("Opening an account needs the form fields person_name and username."), field="fields"
            )
    return fields


def create(model, *, actor, **fields):
    """The RecordViewSet protocol for the catalogue and the reply templates."""
    if model is ReplyTemplate:
        return create_template(actor=actor, **fields)
    _require_group_admin(actor)
    fields = _check_type(fields)
    if RequestType.objects.filter(code=fields.get("code")).exists():
        raise DomainError(_("A request type with this code exists."), field="code")
    return records.create_record(RequestType, actor=actor, **fields)


def update(instance, *, actor, expected_version=None, **fields):
    if isinstance(instance, ReplyTemplate):
        _require_template_manage(actor, instance.unit_id)
        return records.update_record(instance, actor=actor, expected_version=expected_version, **fields)
    _require_group_admin(actor)
    merged = {"fields": instance.fields, **fields}
    _check_type({**merged, "action": fields.get("action", instance.action)})
    if "fields" in fields:
        fields["fields"] = merged["fields"]
    if "code" in fields and RequestType.objects.filter(code=fields["code"]).exclude(pk=instance.pk).exists():
        raise DomainError(_("A request type with this code exists."), field="code")
    return records.update_record(instance, actor=actor, expected_version=expected_version, **fields)


def delete(instance, *, actor) -> None:
    if isinstance(instance, ReplyTemplate):
        _require_template_manage(actor, instance.unit_id)
    else:
        _require_group_admin(actor)
    records.delete_record(instance, actor=actor)


# -- reply templates --------------------------------------------------------------------------------


def _require_template_manage(actor, unit_id) -> None:
    if not access_of(actor).can_manage_unit(unit_id):
        raise PermissionDenied(_("Only the unit's system admin manages its reply templates."))


def create_template(*, actor, unit, name: str, body: str) -> ReplyTemplate:
    if unit is None:
        raise DomainError(_("This field is required."), field="unit")
    _require_template_manage(actor, unit.pk)
    return records.create_record(ReplyTemplate, actor=actor, unit=unit, name=name, body=body)


def group_of(unit: Unit) -> Unit:
    return unit if unit.kind == UnitKind.GROUP or unit.parent_id is None else unit.parent


def templates_for(request: ServiceRequest) -> QuerySet:
    """The unit's reply templates and the group's."""
    return ReplyTemplate.objects.filter(unit_id__in={request.unit_id, group_of(request.unit).pk})


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fill(template: ReplyTemplate, request: ServiceRequest) -> str:
    """The template's text with the request's fields filled in."""
    values = {k: (v["name"] if isinstance(v, dict) else v) for k, v in request.values.items()}
    values.update(
        code=request.code,
        title=request.title,
        requester=request.requester.get_username(),
        unit=request.unit.name,
    )
    return template.body.format_map(_Blank(values))


# -- notices ----------------------------------------------------------------------------------------


def _link(request: ServiceRequest) -> str:
    return reverse("servicedesk:request-detail", args=[request.pk])


def _in_both(make) -> dict[str, str]:
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(make())
    return texts


def _accounts_for(request: ServiceRequest, code: str, now: datetime.datetime | None = None) -> list[int]:
    if code == WaitingOn.REQUESTER:
        return [request.requester_id]
    if code in (WaitingOn.UNIT_ADMIN, WaitingOn.LEADER):
        role = Role.UNIT_ADMIN if code == WaitingOn.UNIT_ADMIN else Role.LEADER
        accounts = org.accounts_holding(role, [request.unit_id])
    elif code == WaitingOn.GROUP_ADMIN:
        accounts = org.accounts_holding(Role.GROUP_ADMIN, [group_of(request.unit).pk])
    elif code == WaitingOn.TECH_STAFF:
        return org.accounts_holding([Role.TECH_STAFF, Role.SYSTEM_LEAD], [group_of(request.unit).pk])
    else:
        return []
    if _approving(request, request.state):
        accounts = accounts + _deputies_of(accounts, request, now)
    return accounts


def _deputies_of(accounts: list[int], request: ServiceRequest, now=None) -> list[int]:
    """The deputies standing in now for the approvers `accounts` (what waits for the approver is told
    to the deputy too), except where neither could approve: the requester's own request, or their
    principal's."""
    return list(
        delegation.running(now)
        .filter(principal_id__in=accounts, deputy__is_active=True)
        .exclude(principal_id=request.requester_id)
        .exclude(deputy_id=request.requester_id)
        .values_list("deputy_id", flat=True)
    )


def _tell(request: ServiceRequest, key: str, accounts, subject, body) -> None:
    accounts = [a for a in accounts if a]
    if not accounts:
        return
    notify.send(
        event_key=f"request:{request.pk}:{key}"[:120],
        unit_id=request.unit_id,
        recipients=[notify.Recipient("user", str(pk)) for pk in sorted(set(accounts))],
        subject=_in_both(subject),
        body=_in_both(body),
    )


def _tell_turn(request: ServiceRequest, event: RequestEvent, actor) -> None:
    """Whoever the request now waits on is told; the requester is told of every change of state."""
    state_label = lambda: State(request.state).label  # noqa: E731 - read in each language
    if request.waiting_on and request.waiting_on != WaitingOn.REQUESTER:
        accounts = [
            a for a in _accounts_for(request, request.waiting_on, event.at) if a != request.requester_id
        ]
        _tell(
            request,
            f"{event.pk}:turn",
            accounts,
            lambda: _("%(code)s waits for you: %(title)s") % {"code": request.code, "title": request.title},
            lambda: _("%(state)s. %(link)s") % {"state": state_label(), "link": _link(request)},
        )
    if actor is None or actor.pk != request.requester_id:
        _tell(
            request,
            f"{event.pk}:requester",
            [request.requester_id],
            lambda: _("Your request %(code)s: %(state)s") % {"code": request.code, "state": state_label()},
            lambda: _("%(title)s. %(link)s") % {"title": request.title, "link": _link(request)},
        )


# -- making a request -------------------------------------------------------------------------------


def requestable_types() -> QuerySet:
    return RequestType.objects.filter(is_active=True)


def _policy(request_type: RequestType) -> dict:
    return {
        "answer_minutes": request_type.answer_minutes,
        "complete_minutes": request_type.complete_minutes,
        "approvers": list(request_type.approvers or []),
        "performer": request_type.performer,
        "action": request_type.action,
        "hold_states": list(request_type.hold_states or []),
        "waiting_close_days": request_type.waiting_close_days,
        "fields": list(request_type.fields or []),
    }


def _event(request: ServiceRequest, kind: str, *, actor, **details) -> RequestEvent:
    return records.append_event(RequestEvent, {"request": request}, kind, actor=actor, **details)


def _note(request: ServiceRequest, *, actor, text: str, internal: bool, now) -> RequestEvent:
    has_account = actor is not None and actor.pk is not None
    return RequestEvent.objects.create(
        request=request,
        at=now,
        actor=actor if has_account else None,
        actor_name=actor.get_username() if has_account else "system",
        kind=EventKind.NOTE if internal else EventKind.REPLY,
        comment=text,
        internal=internal,
    )


@transaction.atomic
def submit(
    *,
    actor,
    request_type: RequestType,
    title: str,
    description: str = "",
    data: dict | None = None,
    files: dict | None = None,
    unit: Unit | None = None,
    now: datetime.datetime | None = None,
) -> ServiceRequest:
    """A user makes a request of their own unit; its clock starts at the next working moment."""
    access = access_of(actor)
    if access.user_id is None:
        raise PermissionDenied(_("Log in to make a request."))
    unit = unit or (Unit.objects.filter(pk=access.unit_id).first() if access.unit_id else None)
    if unit is None:
        raise DomainError(_("Your account belongs to no unit; ask an admin."), field="unit")
    if unit.pk != access.unit_id and not access.can_manage_unit(unit.pk):
        raise DomainError(_("You may make requests only in your own unit."), field="unit")
    if request_type is None or not request_type.is_active:
        raise DomainError(_("Choose a request type in use."), field="type")
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Say in a few words what you ask."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most 200 characters."), field="title")
    values, uploads = form_fields.clean_values(request_type.fields or [], unit, data or {}, files or {})
    now = now or timezone.now()
    request = ServiceRequest(
        unit=unit,
        type=request_type,
        kind=request_type.kind,
        title=title,
        description=(description or "").strip(),
        values=values,
        policy=_policy(request_type),
        requester=actor,
    )
    timers.start(request, now, timers.calendar_of(unit.pk))
    request.waiting_on = waiting_on(request)
    request.save()
    for field, upload in uploads:
        Attachment.objects.create(
            request=request,
            field=field,
            name=upload.name[:200],
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=len(upload.content),
            content=upload.content,
        )
    event = _event(request, EventKind.SUBMITTED, actor=actor, at=now, to_state=S.SUBMITTED)
    audit.record("create", actor=actor, obj=request, after={"type": request_type.code, "title": title})
    _tell_turn(request, event, actor)
    return request


def clock_note(request: ServiceRequest) -> bool:
    """Whether the request was made outside working hours (its page says when its clock started)."""
    return request.clock_started_at > request.submitted_at


# -- steps -------------------------------------------------------------------------------------------


def _locked(request: ServiceRequest, expected_version: int | None = None) -> ServiceRequest:
    return records.lock(
        ServiceRequest.objects.select_related("unit", "type", "requester"), request.pk, expected_version
    )


def _check_required(locked: ServiceRequest, to: str, comment: str, fields: dict) -> None:
    for name in REQUIRED_FIELDS.get(to, ()):
        value = comment if name == "comment" else fields.get(name)
        if value in (None, ""):
            raise DomainError(_("This step needs: %(field)s.") % {"field": name}, field=name)
    if to == S.ACCEPTED and fields["priority"] not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    if to == S.MERGED:
        duplicate = fields["duplicate_of"]
        if duplicate.pk == locked.pk or group_of(duplicate.unit).pk != group_of(locked.unit).pk:
            raise DomainError(_("Merge with another request of the group."), field="duplicate_of")
        if duplicate.kind != Kind.REQUIREMENT:
            raise DomainError(_("A requirement merges with another requirement."), field="duplicate_of")


def _move(locked: ServiceRequest, to: str, *, actor, comment: str, now, kind=EventKind.TRANSITION, **shown):
    """Apply a step to the locked row: timers, waiting_on, timeline, audit, notices."""
    source = locked.state
    cal = timers.calendar_of(locked.unit_id)
    if source in HOLD_STATES:
        if source in timers.policy_hold_states(locked):
            timers.release(locked, now, cal)
        else:
            locked.hold_started_at = None
        locked.held_from = ""
    if to in HOLD_STATES:
        locked.held_from = source
        if to in timers.policy_hold_states(locked):
            timers.hold(locked, now)
    staff = not is_requester(actor, locked) and actor is not None
    if staff and to != S.CANCELLED:
        timers.answered(locked, now, cal)
    if to in DONE_STATES and locked.completed_at is None:
        timers.completed(locked, now, cal)
    if source == S.RESOLVED and to == S.IN_PROGRESS:
        timers.reopened(locked)
    if to in FINAL_STATES:
        locked.closed_at = now
    locked.state = to
    locked.waiting_on = waiting_on(locked)
    locked.version += 1
    locked.save()
    if kind == EventKind.TRANSITION:
        event = records.log_transition(
            RequestEvent,
            {"request": locked},
            locked,
            source,
            to,
            actor=actor,
            at=now,
            comment=comment,
            **shown,
        )
    else:
        event = records.append_event(
            RequestEvent,
            {"request": locked},
            kind,
            actor=actor,
            at=now,
            comment=comment,
            from_state=source,
            to_state=to,
            **shown,
        )
        audit.record(
            "transition",
            actor=actor,
            obj=locked,
            before={"state": source},
            after={"state": to, **shown},
            comment=comment,
        )
    _tell_turn(locked, event, actor)
    return locked


def _check(locked: ServiceRequest, to: str, actor, now=None) -> None:
    refusal = permission_failure(locked, to, actor, now=now)
    if refusal:
        raise PermissionDenied(refusal)
    refusal = flow_failure(locked, to)
    if refusal:
        raise TransitionNotAllowed(refusal)


@transaction.atomic
def transition(
    request: ServiceRequest,
    *,
    to: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> ServiceRequest:
    """One step of the request's flow (see the module's docstring)."""
    unknown = set(fields) - {"priority", "target_release", "duplicate_of"}
    if unknown:
        raise DomainError(_("This field cannot be set here."), field=sorted(unknown)[0])
    if to not in State.values:
        raise DomainError(_("Unknown state."), field="to")
    if to == S.INCIDENT:
        raise DomainError(_("Use “make an incident”: it opens the fault report."), field="to")
    if request.kind == Kind.USAGE and to == S.RESOLVED:
        raise DomainError(_("Use “carry out”: it does what the type says."), field="to")
    if request.kind == Kind.USAGE and to in (S.APPROVING, S.APPROVED):
        return approve(request, actor=actor, comment=comment, expected_version=expected_version, now=now)
    locked = _locked(request, expected_version)
    now = now or timezone.now()
    _check(locked, to, actor, now=now)
    comment = (comment or "").strip()
    _check_required(locked, to, comment, fields)
    shown = {}
    if to == S.ACCEPTED:
        locked.priority, locked.target_release = fields["priority"], fields["target_release"].strip()[:60]
        shown = {"priority": locked.priority, "target_release": locked.target_release}
    if to == S.MERGED:
        locked.duplicate_of = fields["duplicate_of"]
        shown = {"duplicate_of": locked.duplicate_of.code}
    if to in (S.REJECTED, S.RESOLVED) and comment:
        locked.resolution = comment
    return _move(locked, to, actor=actor, comment=comment, now=now, **shown)


@transaction.atomic
def approve(
    request: ServiceRequest, *, actor, comment: str = "", expected_version: int | None = None, now=None
) -> ServiceRequest:
    """A usage approval's approver approves; after the last approver it is approved (Art. 10). A deputy
    approves in the stead of the approver they stand in for (职务代理): the timeline and the audit event
    name both."""
    locked = _locked(request, expected_version)
    if locked.kind != Kind.USAGE:
        raise TransitionNotAllowed(_("Only a usage approval is approved."))
    if locked.state not in (S.SUBMITTED, S.APPROVING, S.WAITING_REQUESTER):
        raise TransitionNotAllowed(
            _("This request is decided already (%(state)s).") % {"state": State(locked.state).label},
            field="to",
        )
    now = now or timezone.now()
    steps = len(locked.policy.get("approvers") or [Actor.UNIT_ADMIN])
    to = S.APPROVED if locked.approval_step + 1 >= steps else S.APPROVING
    _check(locked, to, actor, now=now)
    _refusal, principal = approval_capacity(locked, actor, now=now)
    behalf = (
        {"on_behalf_of": principal.get_username(), "on_behalf_of_id": principal.pk}
        if principal is not None
        else {}
    )
    locked.approval_step += 1
    return _move(
        locked,
        to,
        actor=actor,
        comment=(comment or "").strip(),
        now=now,
        kind=EventKind.APPROVAL,
        step=locked.approval_step,
        **behalf,
    )


@transaction.atomic
def carry_out(
    request: ServiceRequest, *, actor, comment: str = "", expected_version: int | None = None, now=None
) -> tuple[ServiceRequest, str]:
    """The type's performer carries out an approved usage request; an account request opens the account
    through the organisation's service (never by a side door). Returns the request and, for a new
    account, its first password (shown once to the performer, never stored in clear)."""
    locked = _locked(request, expected_version)
    if locked.kind != Kind.USAGE:
        raise TransitionNotAllowed(_("Only a usage approval is carried out."))
    _check(locked, S.RESOLVED, actor)
    now = now or timezone.now()
    password = ""
    shown = {}
    if locked.policy.get("action") == Action.OPEN_ACCOUNT:
        values = locked.values
        person = org.create(
            Person,
            actor=actor,
            unit=locked.unit,
            name=values.get("person_name", ""),
            department=values.get("department", ""),
            email=values.get("email", ""),
        )
        password = secrets.token_urlsafe(12)
        user = org.create_account(person, actor=actor, username=values.get("username", ""), password=password)
        locked.values = {
            **values,
            "person": {"id": person.pk, "name": person.name},
            "account": user.get_username(),
        }
        shown = {"account": user.get_username(), "person_id": person.pk}
    locked.resolution = (comment or "").strip()
    return _move(locked, S.RESOLVED, actor=actor, comment=locked.resolution, now=now, **shown), password


@transaction.atomic
def reply(request: ServiceRequest, *, actor, text: str, now=None) -> ServiceRequest:
    """A public reply. The requester's answer takes a request waiting for them back where it was; a
    handler's first reply is the first answer."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the reply."), field="text")
    locked = _locked(request)
    now = now or timezone.now()
    if locked.state in FINAL_STATES:
        raise TransitionNotAllowed(_("This request is finished; make a new one."))
    if is_requester(actor, locked):
        _note(locked, actor=actor, text=text, internal=False, now=now)
        if locked.state == S.WAITING_REQUESTER:
            _move(locked, locked.held_from, actor=actor, comment=text, now=now)
        return locked
    if not may_handle(locked, actor):
        raise PermissionDenied(_("Only those handling the request reply to it."))
    if timers.answered(locked, now, timers.calendar_of(locked.unit_id)):
        locked.save(update_fields=["first_answered_at", "answer_working_minutes"])
    event = _note(locked, actor=actor, text=text, internal=False, now=now)
    _tell(
        locked,
        f"{event.pk}:reply",
        [locked.requester_id],
        lambda: _("A reply to your request %(code)s") % {"code": locked.code},
        lambda: text,
    )
    return locked


def may_handle(request: ServiceRequest, actor) -> bool:
    """Those who work on the request (not its requester): the unit's admins and staff, the group's, and
    its leader while an approval waits on them."""
    if is_requester(actor, request):
        return False
    access = access_of(actor)
    return access.can_handle_unit(request.unit_id) or request.unit_id in _leader_units(access)


@transaction.atomic
def add_note(request: ServiceRequest, *, actor, text: str, now=None) -> RequestEvent:
    """An internal note: the requester never sees it."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the note."), field="text")
    if not may_handle(request, actor):
        raise PermissionDenied(_("Only those handling the request write internal notes."))
    return _note(request, actor=actor, text=text, internal=True, now=now or timezone.now())


def assignable(request_or_unit) -> QuerySet:
    """Accounts a request may be assigned to: the unit's admins and staff and the group's."""
    unit = request_or_unit.unit if isinstance(request_or_unit, ServiceRequest) else request_or_unit
    ids = org.accounts_holding(
        [Role.UNIT_ADMIN, Role.TECH_STAFF, Role.SYSTEM_LEAD, Role.GROUP_ADMIN], [unit.pk, group_of(unit).pk]
    )
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")


@transaction.atomic
def assign(request: ServiceRequest, *, actor, assignee, now=None) -> ServiceRequest:
    locked = _locked(request)
    if not access_of(actor).can_handle_unit(locked.unit_id) or is_requester(actor, locked):
        raise PermissionDenied(_("Only the unit's system admin or the group's staff assign requests."))
    if locked.state in FINAL_STATES:
        raise TransitionNotAllowed(_("This request is finished; make a new one."))
    if assignee is not None and not assignable(locked).filter(pk=assignee.pk).exists():
        raise DomainError(_("Assign to the unit's or the group's staff."), field="assignee")
    if assignee is not None and assignee.pk == locked.requester_id:
        raise DomainError(_("The requester does not handle their own request."), field="assignee")
    before = locked.assignee_id
    locked.assignee = assignee
    records.save_version(locked, "assignee")
    name = assignee.get_username() if assignee else ""
    _event(locked, EventKind.ASSIGNED, actor=actor, at=now, comment=name, assignee=name)
    audit.record(
        "update",
        actor=actor,
        obj=locked,
        before={"assignee_id": before},
        after={"assignee_id": locked.assignee_id},
    )
    if assignee is not None and assignee.pk != getattr(actor, "pk", None):
        _tell(
            locked,
            f"assign:{locked.version}",
            [assignee.pk],
            lambda: (
                _("%(code)s is assigned to you: %(title)s") % {"code": locked.code, "title": locked.title}
            ),
            lambda: _link(locked),
        )
    return locked


@transaction.atomic
def bulk_assign(request_ids, *, actor, assignee) -> int:
    """Assign several requests at once: all or none (a refusal names the request)."""
    rows = visible(ServiceRequest.objects.all(), actor).filter(pk__in=list(request_ids))
    found = {r.pk: r for r in rows}
    missing = [pk for pk in request_ids if int(pk) not in found]
    if missing:
        raise DomainError(_("No such request: %(id)s.") % {"id": missing[0]}, field="requests")
    for request in found.values():
        try:
            assign(request, actor=actor, assignee=assignee)
        except DomainError as exc:
            raise type(exc)(f"{request.code}: {exc.message}", field=exc.field or "requests") from None
    return len(found)


@transaction.atomic
def rate(request: ServiceRequest, *, actor, rating: int, comment: str = "", now=None) -> ServiceRequest:
    """The requester rates the result once the request is closed (1–5)."""
    locked = _locked(request)
    if not is_requester(actor, locked):
        raise PermissionDenied(_("Only the requester rates the result."))
    if locked.state not in RATABLE_STATES:
        raise TransitionNotAllowed(_("A request is rated once it is closed."))
    if locked.rating is not None:
        raise TransitionNotAllowed(_("This request is rated already."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(_("A rating is 1 to 5."), field="rating")
    locked.rating, locked.rating_comment = rating, (comment or "").strip()
    records.save_version(locked, "rating", "rating_comment")
    _event(locked, EventKind.RATED, actor=actor, at=now, comment=locked.rating_comment, rating=rating)
    audit.record("update", actor=actor, obj=locked, after={"rating": rating})
    return locked


@transaction.atomic
def confirm(
    request: ServiceRequest, *, actor, rating: int | None = None, comment: str = "", now=None
) -> ServiceRequest:
    """The requester confirms the result (closed) and may rate it in the same go."""
    request = transition(request, to=S.CLOSED, actor=actor, comment=comment, now=now)
    if rating is not None:
        request = rate(request, actor=actor, rating=rating, now=now)
    return request


# -- links to the other flows ----------------------------------------------------------------------


@transaction.atomic
def make_incident(request: ServiceRequest, *, actor, comment: str = "", now=None) -> ServiceRequest:
    """A support request that turns out to be a fault becomes an incident, linked (Art. 13)."""
    locked = _locked(request)
    if locked.kind != Kind.SUPPORT:
        raise TransitionNotAllowed(_("Only a technical support request becomes an incident."))
    _check(locked, S.INCIDENT, actor)
    now = now or timezone.now()
    incident = incidents.report(
        actor=actor,
        unit=locked.unit,
        title=locked.title,
        description=f"{locked.code}: {locked.description}",
        now=now,
    )
    locked.incident = incident
    return _move(
        locked, S.INCIDENT, actor=actor, comment=comment or incident.code, now=now, incident=incident.pk
    )


@transaction.atomic
def make_change(request: ServiceRequest, *, actor, now=None) -> ServiceRequest:
    """An accepted requirement becomes a change request (Art. 17), linked both ways: the request names
    the change; the change's reason and its timeline name the request."""
    locked = _locked(request)
    if locked.kind != Kind.REQUIREMENT or locked.state not in (S.ACCEPTED, S.IN_PROGRESS):
        raise TransitionNotAllowed(_("An accepted requirement becomes a change."))
    if locked.change_id:
        raise TransitionNotAllowed(_("This requirement has its change already."))
    if is_requester(actor, locked) or not holds(actor, Actor.GROUP_ADMIN, locked.unit_id):
        raise PermissionDenied(_("A group system admin who did not make the requirement makes its change."))
    change = changes.create_change(
        actor=actor,
        unit=locked.unit,
        title=locked.title[:200],
        change_type="software_upgrade",
        reason=_("Requirement %(code)s: %(text)s") % {"code": locked.code, "text": locked.description},
        now=now,
    )
    locked.change = change
    records.save_version(locked, "change")
    _event(locked, EventKind.LINKED, actor=actor, at=now, comment=str(change), change=change.pk)
    audit.record("update", actor=actor, obj=locked, after={"change_id": change.pk})
    return locked


@transaction.atomic
def cite_known_error(
    request: ServiceRequest, *, actor, problem: Problem | None = None, title: str = "", workaround: str = ""
) -> ServiceRequest:
    """A recurring support question cites a known error of the problem database, or creates one (a
    problem with its workaround published, Art. 14)."""
    locked = _locked(request)
    if locked.kind != Kind.SUPPORT:
        raise TransitionNotAllowed(_("Only a technical support request cites a known error."))
    if not may_handle(locked, actor) or not access_of(actor).can_handle_unit(locked.unit_id):
        raise PermissionDenied(_("Only those handling the request link it."))
    if problem is None:
        if not (title or "").strip() or not (workaround or "").strip():
            raise DomainError(_("A new known error needs a title and its workaround."), field="workaround")
        problem = problems.register(
            actor=actor,
            unit=locked.unit,
            title=title.strip(),
            description=locked.description,
            workaround=workaround.strip(),
        )
        problem = problems.publish_workaround(problem, actor=actor)
    elif problem.workaround_published_at is None:
        raise DomainError(_("Cite a problem whose workaround is published."), field="problem")
    elif problem.unit_id not in (locked.unit_id, group_of(locked.unit).pk):
        raise DomainError(_("No such known error."), field="problem")
    locked.known_error = problem
    records.save_version(locked, "known_error")
    _event(locked, EventKind.LINKED, actor=actor, comment=str(problem), problem=problem.pk)
    audit.record("update", actor=actor, obj=locked, after={"known_error_id": problem.pk})
    return locked


# -- sweeps (supervision) ---------------------------------------------------------------------------


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Overdue requests: the unit's admin is told when one passes its completion time, the group a
    working day later. Each level is claimed by a conditional update (safe with several workers)."""
    now = now or timezone.now()
    told = 0
    for pk in list(
        ServiceRequest.objects.filter(
            timers.overdue_q(now), escalation_level=EscalationLevel.NONE
        ).values_list("pk", flat=True)[:500]
    ):
        with transaction.atomic():
            request = ServiceRequest.objects.select_related("unit").get(pk=pk)
            cal = timers.calendar_of(request.unit_id)
            group_at = cal.add(request.complete_due_at, cal.minutes_per_day)
            if not ServiceRequest.objects.filter(pk=pk, escalation_level=EscalationLevel.NONE).update(
                escalation_level=EscalationLevel.UNIT, group_alert_at=group_at
            ):
                continue
            request.escalation_level = EscalationLevel.UNIT
            _escalated(request, EscalationLevel.UNIT, WaitingOn.UNIT_ADMIN, now)
            told += 1
    for pk in list(
        ServiceRequest.objects.filter(
            timers.overdue_q(now), escalation_level=EscalationLevel.UNIT, group_alert_at__lt=now
        ).values_list("pk", flat=True)[:500]
    ):
        with transaction.atomic():
            if not ServiceRequest.objects.filter(pk=pk, escalation_level=EscalationLevel.UNIT).update(
                escalation_level=EscalationLevel.GROUP
            ):
                continue
            request = ServiceRequest.objects.select_related("unit").get(pk=pk)
            _escalated(request, EscalationLevel.GROUP, WaitingOn.GROUP_ADMIN, now)
            told += 1
    return told


def _escalated(request: ServiceRequest, level: int, whom: str, now) -> None:
    _event(request, EventKind.ESCALATION, actor=None, at=now, level=level)
    _tell(
        request,
        f"overdue:{level}",
        _accounts_for(request, whom, now),
        lambda: _("Overdue: %(code)s %(title)s") % {"code": request.code, "title": request.title},
        lambda: (
            _("Its completion was due %(due)s. %(link)s")
            % {
                "due": timezone.localtime(request.complete_due_at).strftime("%Y-%m-%d %H:%M"),
                "link": _link(request),
            }
        ),
    )


REMIND_BEFORE = datetime.timedelta(days=2)


def close_waiting(now: datetime.datetime | None = None) -> tuple[int, int]:
    """A request waiting for its requester is closed after its type's days (default 14), once the
    requester was told two days before. Returns (reminded, closed)."""
    now = now or timezone.now()
    reminded = closed = 0
    waiting = ServiceRequest.objects.filter(state=S.WAITING_REQUESTER, hold_started_at__isnull=False)
    for request in waiting.filter(hold_started_at__lt=now - datetime.timedelta(days=1)).select_related(
        "unit"
    ):
        days = datetime.timedelta(days=request.policy.get("waiting_close_days") or 14)
        since = request.hold_started_at
        if request.reminded_at is None and now >= since + days - REMIND_BEFORE:
            with transaction.atomic():
                if not ServiceRequest.objects.filter(
                    pk=request.pk, reminded_at__isnull=True, state=S.WAITING_REQUESTER
                ).update(reminded_at=now):
                    continue
                _event(request, EventKind.REMINDER, actor=None, at=now)
                closes = timezone.localtime(max(since + days, now + REMIND_BEFORE)).strftime("%Y-%m-%d")
                _tell(
                    request,
                    "reminder",
                    [request.requester_id],
                    lambda request=request: (
                        _("Your request %(code)s waits for your answer") % {"code": request.code}
                    ),
                    lambda request=request, closes=closes: (
                        _("Without an answer it is closed on %(date)s. %(link)s")
                        % {"date": closes, "link": _link(request)}
                    ),
                )
                reminded += 1
        elif request.reminded_at is not None and now >= max(
            since + days, request.reminded_at + REMIND_BEFORE
        ):
            with transaction.atomic():
                locked = _locked(request)
                if locked.state != S.WAITING_REQUESTER:
                    continue
                _move(
                    locked, S.CLOSED, actor=None, comment=_("Closed: no answer from the requester."), now=now
                )
                closed += 1
    return reminded, closed


def recompute_due(unit_id: int | None) -> int:
    return timers.recompute_open(unit_id)
