"""Every change to a problem goes through here: pages, API, tasks and the demo alike (Art. 14–16).

A state change is `transition(problem, to=…, actor=…, **fields)`: it checks that the flow allows the
step, who may make it (Art. 15: a group system admin classifies; the owner works and solves; Art. 16: a
group system admin verifies who neither owns it, nor owned it since its classification, nor marked it
solved, nor ticked a step of its work plan — the timeline is the evidence) and what the step requires,
then — in one transaction with the problem row locked — applies it, appends the timeline entry and writes
the audit event. Notices are written to the notify outbox in the same transaction; their deliveries run
after commit.
"""

import datetime

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.scoping import access_of
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import Incident
from yunwei.notify import services as notify
from yunwei.org import services as org
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person

from .choices import (
    ALLOWED_TRANSITIONS,
    CLASSIFICATION_FIELDS,
    OPEN_STATES,
    TRANSITION_FIELDS,
    EscalationLevel,
    EventKind,
    Nature,
    Origin,
    State,
)
from .models import Problem, ProblemEvent, ProblemStep

EDITABLE_FIELDS = (
    "title",
    "description",
    "priority",
    "workaround",
    "affected_items",
    *CLASSIFICATION_FIELDS,
)
# A problem is registered from an incident once its cause is being looked into (Art. 14: 故障处理中).
REGISTRABLE_INCIDENT_STATES = (
    IncidentState.DIAGNOSING,
    IncidentState.REPAIRING,
    IncidentState.VERIFYING,
    IncidentState.RESTORED,
    IncidentState.CLOSED,
)
# The owner is told on the first day past the deadline; the system management lead only this much later.
# Three days give the owner the time to finish or to ask for a new deadline before the lead hears of it,
# without letting an overdue problem sit unnoticed for a week.
LEAD_ESCALATION_DELAY = datetime.timedelta(days=3)


# -- who may act -----------------------------------------------------------------------------------


def is_group_admin(actor) -> bool:
    return access_of(actor).is_group_admin


def is_staff_for(actor, unit_id: int | None) -> bool:
    """Who works on the unit's problems: its admins, the group's admins and the operations staff."""
    return access_of(actor).can_handle_unit(unit_id)


def is_owner(actor, problem: Problem) -> bool:
    if actor is None or actor.pk is None or problem.owner_id is None:
        return False
    return problem.owner.account_id == actor.pk


def is_collaborator(actor, problem: Problem) -> bool:
    if actor is None or actor.pk is None:
        return False
    return problem.collaborators.filter(account_id=actor.pk).exists()


def is_staff_or_owner(actor, problem: Problem) -> bool:
    """Who works on the problem's record: the unit's system staff and the problem's owner."""
    return is_staff_for(actor, problem.unit_id) or is_owner(actor, problem)


def require_staff_or_owner(actor, problem: Problem) -> None:
    if not is_staff_or_owner(actor, problem):
        raise PermissionDenied(_("Only the unit's system staff or the problem's owner may do this."))


def may_edit(problem: Problem, actor) -> bool:
    """The actor may edit the problem's record, link incidents to it and publish its workaround: the
    unit's system staff or the owner, until it is archived."""
    return problem.state != State.ARCHIVED and is_staff_or_owner(actor, problem)


def step_refusal(problem: Problem, actor) -> DomainError | None:
    """Why the actor may not add a step to the work plan now, or None: a group system admin or the owner,
    until the problem is solved."""
    # Before classification the unit's staff may sketch the plan; after it, the admin and the owner own it.
    sketching = problem.state == State.REGISTERED and is_staff_for(actor, problem.unit_id)
    if not (is_group_admin(actor) or is_owner(actor, problem) or sketching):
        return PermissionDenied(_("Only a group system admin or the owner changes the work plan."))
    if problem.state in (State.SOLVED, State.ARCHIVED):
        return TransitionNotAllowed(_("The work plan of a solved problem is closed."))
    return None


def may_add_step(problem: Problem, actor) -> bool:
    return step_refusal(problem, actor) is None


def tick_refusal(problem: Problem, actor) -> DomainError | None:
    """Why the actor may not tick a step of the work plan now, or None: the owner, a collaborator or a
    group system admin, while the work is in progress."""
    if not (is_owner(actor, problem) or is_collaborator(actor, problem) or is_group_admin(actor)):
        return PermissionDenied(_("Only the owner, a collaborator or a group system admin ticks the plan."))
    if problem.state != State.IN_PROGRESS:
        return TransitionNotAllowed(_("Steps of the work plan are ticked while the work is in progress."))
    return None


def may_tick(problem: Problem, actor) -> bool:
    return tick_refusal(problem, actor) is None


def _require_not_archived(problem: Problem) -> None:
    if problem.state == State.ARCHIVED:
        raise TransitionNotAllowed(_("This problem is archived; its record can no longer be changed."))


def group_unit_of(unit):
    """The group a unit belongs to (the unit itself when it is the group)."""
    if unit.kind == UnitKind.GROUP or unit.parent_id is None:
        return unit
    return unit.parent


def _people_unit_ids(unit) -> set[int]:
    """Owners and collaborators: people of the problem's unit or the group's staff (Art. 15)."""
    return {unit.pk, group_unit_of(unit).pk}


# -- small helpers ---------------------------------------------------------------------------------


def _event(problem: Problem, kind: str, *, actor, **details) -> ProblemEvent:
    return records.append_event(ProblemEvent, {"problem": problem}, kind, actor=actor, **details)


def _locked(problem: Problem, expected_version: int | None = None) -> Problem:
    return records.lock(Problem.objects.select_related("unit", "owner"), problem.pk, expected_version)


def alert_moments(
    deadline: datetime.date | None,
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """When the owner and when the lead are told of an overdue problem: the first moment of the day after
    the deadline in the group's time zone (a deadline is a whole day), and LEAD_ESCALATION_DELAY later."""
    if deadline is None:
        return None, None
    day_after = datetime.datetime.combine(
        deadline + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_default_timezone()
    )
    return day_after, day_after + LEAD_ESCALATION_DELAY


def _set_deadline(problem: Problem, deadline) -> list[str]:
    problem.deadline = deadline
    problem.owner_alert_at, problem.lead_alert_at = alert_moments(deadline)
    # A new deadline starts the escalation over: the owner is told again if this one passes too.
    problem.escalation_level = EscalationLevel.NONE
    return ["deadline", "owner_alert_at", "lead_alert_at", "escalation_level"]


def _check_items(unit, items) -> list:
    foreign = [item for item in items if item.unit_id != unit.pk]
    if foreign:
        raise DomainError(
            _("Affected items must belong to the problem's unit: %(codes)s")
            % {"codes": ", ".join(item.code for item in foreign)},
            field="affected_items",
        )
    return list(items)


def _check_people(unit, fields: dict) -> None:
    allowed = _people_unit_ids(unit)
    owner = fields.get("owner")
    if owner is not None and owner.unit_id not in allowed:
        raise DomainError(_("The owner must be a person of the unit or of the group's staff."), field="owner")
    for person in fields.get("collaborators") or ():
        if person.unit_id not in allowed:
            raise DomainError(
                _("Collaborators must be people of the unit or of the group's staff."), field="collaborators"
            )


def _check_steps(steps) -> list[dict]:
    cleaned = []
    for step in steps or ():
        text = str(step.get("text", "")).strip() if isinstance(step, dict) else ""
        due_on = step.get("due_on") if isinstance(step, dict) else None
        if not text:
            raise DomainError(_("Each step of the work plan needs a text."), field="steps")
        if not isinstance(due_on, datetime.date):
            raise DomainError(_("Each step of the work plan needs a due date."), field="steps")
        cleaned.append({"text": text[:500], "due_on": due_on})
    return cleaned


def _check_text(fields: dict) -> None:
    if "title" in fields and not str(fields["title"] or "").strip():
        raise DomainError(_("This field is required."), field="title")


# -- notices ---------------------------------------------------------------------------------------


def _owner_accounts(problem: Problem) -> list[int]:
    return [problem.owner.account_id] if problem.owner_id and problem.owner.account_id else []


NOTICE_TEXTS = {
    "classified": (
        ("【问题分派】{code} {title}", "您被指定为问题 {code}（{title}）的负责人，处理时限：{deadline}。"),
        ("[Problem assigned] {code} {title}", "You own problem {code} ({title}); deadline {deadline}."),
    ),
    "solved": (
        ("【待验证】{code} {title}", "问题 {code}（{title}）的负责人认为已处理，请集团系统管理员验证。"),
        ("[To verify] {code} {title}", "The owner of problem {code} ({title}) says it is solved; verify it."),
    ),
    "returned": (
        ("【验证未通过】{code} {title}", "问题 {code}（{title}）验证未通过，已退回继续处理：{comment}"),
        ("[Verification failed] {code} {title}", "Problem {code} ({title}) is back in progress: {comment}"),
    ),
    "archived": (
        ("【已验证归档】{code} {title}", "问题 {code}（{title}）已验证，移出问题库并归档。"),
        ("[Verified] {code} {title}", "Problem {code} ({title}) is verified and archived."),
    ),
    "overdue_owner": (
        (
            "【问题超期】{code} {title}",
            "问题 {code}（{title}）已超过处理时限 {deadline}，请尽快处理或申请调整时限。",
        ),
        ("[Overdue] {code} {title}", "Problem {code} ({title}) is past its deadline {deadline}."),
    ),
    "overdue_lead": (
        (
            "【问题超期升级】{code} {title}",
            "{unit}的问题 {code}（{title}）超过时限 {deadline} 仍未处理，负责人：{owner}。",
        ),
        (
            "[Overdue, escalated] {code} {title}",
            "Problem {code} ({title}) of {unit} is still open past {deadline}; owner: {owner}.",
        ),
    ),
}


def _notice(problem: Problem, kind: str, key: str, account_ids, *, comment: str = "", urgent=False) -> None:
    values = {
        "code": problem.code,
        "title": problem.title,
        "deadline": problem.deadline.isoformat() if problem.deadline else "—",
        "unit": problem.unit.name,
        "owner": problem.owner.name if problem.owner_id else "—",
        "comment": comment,
    }
    (zh_subject, zh_body), (en_subject, en_body) = NOTICE_TEXTS[kind]
    notify.send(
        event_key=f"problem:{problem.pk}:{key}",
        unit_id=problem.unit_id,
        recipients=notify.user_recipients(account_ids),
        subject={"zh-hans": zh_subject.format(**values), "en": en_subject.format(**values)},
        body={"zh-hans": zh_body.format(**values), "en": en_body.format(**values)},
        urgent=urgent,
    )


def _group_admin_accounts(problem: Problem) -> list[int]:
    return org.accounts_holding(Role.GROUP_ADMIN, [group_unit_of(problem.unit).pk])


# -- registering and editing -----------------------------------------------------------------------


@transaction.atomic
def register(
    *,
    actor,
    unit,
    title: str,
    description: str = "",
    origin: str = Origin.ROUTINE,
    affected_items=(),
    collaborators=(),
    steps=(),
    source_incident: Incident | None = None,
    deadline: datetime.date | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Problem:
    """Enter a problem into the problem database (Art. 14): a hidden danger found in routine work or an
    inspection, or an incident not fixed for good (then `source_incident` is linked)."""
    if unit is None or not is_staff_for(actor, unit.pk):
        raise PermissionDenied(_("Only the unit's system staff may register its problems."))
    unknown = set(fields) - {"category", "nature", "priority", "owner", "proposed_solution", "workaround"}
    if unknown:
        raise DomainError(_("This field cannot be set here."), field=sorted(unknown)[0])
    _check_text({"title": title})
    now = now or timezone.now()
    if source_incident is not None:
        if source_incident.unit_id != unit.pk:
            raise DomainError(_("The incident belongs to another unit."), field="source_incident")
        if source_incident.state not in REGISTRABLE_INCIDENT_STATES:
            raise DomainError(
                _("A problem is registered from an incident once it is being diagnosed."),
                field="source_incident",
            )
        origin = Origin.INCIDENT
        fields.setdefault("nature", Nature.UNRESOLVED_FAULT)
    elif origin == Origin.INCIDENT:
        raise DomainError(_("Name the incident the problem comes from."), field="source_incident")
    items = _check_items(unit, affected_items)
    _check_people(unit, {**fields, "collaborators": collaborators})
    steps = _check_steps(steps)
    owner_alert_at, lead_alert_at = alert_moments(deadline)
    problem = records.create_record(
        Problem,
        actor=actor if actor is not None and actor.pk else None,
        unit=unit,
        title=title,
        description=description,
        origin=origin,
        source_incident=source_incident,
        deadline=deadline,
        owner_alert_at=owner_alert_at,
        lead_alert_at=lead_alert_at,
        registered_by=actor if actor is not None and actor.pk else None,
        registered_at=now,
        **fields,
    )
    problem.affected_items.set(items)
    problem.collaborators.set(list(collaborators))
    if source_incident is not None:
        problem.incidents.add(source_incident)
    ProblemStep.objects.bulk_create(
        [ProblemStep(problem=problem, position=i, **step) for i, step in enumerate(steps, start=1)]
    )
    _event(
        problem,
        EventKind.REGISTERED,
        actor=actor,
        at=now,
        to_state=State.REGISTERED,
        origin=origin,
        source_incident=source_incident.pk if source_incident else None,
        items=[item.pk for item in items],
    )
    return problem


@transaction.atomic
def update_details(problem: Problem, *, actor, expected_version: int | None = None, **fields) -> Problem:
    """Edit what is known of the problem (not its state). Once classified, the fields of Art. 15 are the
    group system admin's to change."""
    require_staff_or_owner(actor, problem)
    locked = _locked(problem, expected_version)
    _require_not_archived(locked)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be edited here."), field=sorted(unknown)[0])
    if locked.state != State.REGISTERED and not is_group_admin(actor):
        changed = [
            name for name in CLASSIFICATION_FIELDS if name in fields and _differs(locked, name, fields[name])
        ]
        if changed:
            raise PermissionDenied(
                _("Once classified, only a group system admin changes the %(field)s.")
                % {"field": Problem._meta.get_field(changed[0]).verbose_name}
            )
    _check_text(fields)
    items = fields.pop("affected_items", None)
    collaborators = fields.pop("collaborators", None)
    _check_people(locked.unit, {**fields, "collaborators": collaborators})
    before = audit.snapshot(locked)
    previous_owner_id = locked.owner_id
    names = [name for name in fields if name != "deadline"]
    if "deadline" in fields:
        deadline = fields.pop("deadline")
        if deadline != locked.deadline:
            names += _set_deadline(locked, deadline)
    for name, value in fields.items():
        setattr(locked, name, value)
    records.save_version(locked, *dict.fromkeys(names))
    changed_before, changed_after = audit.diff(before, audit.snapshot(locked))
    if items is not None:
        locked.affected_items.set(_check_items(locked.unit, items))
        changed_after["affected_items"] = [item.pk for item in items]
    if collaborators is not None:
        locked.collaborators.set(list(collaborators))
        changed_after["collaborators"] = [person.pk for person in collaborators]
    handover = {}
    if locked.owner_id != previous_owner_id:
        # Who handed the problem to whom stays on the timeline: once it is classified, neither may verify it
        # (Art. 16).
        handover = {"owner_id": locked.owner_id, "previous_owner_id": previous_owner_id}
    _event(locked, EventKind.EDIT, actor=actor, fields=sorted(changed_after), **handover)
    audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


def _differs(problem: Problem, name: str, value) -> bool:
    if name == "collaborators":
        return {p.pk for p in value or ()} != set(problem.collaborators.values_list("pk", flat=True))
    if name == "owner":
        return (value.pk if value is not None else None) != problem.owner_id
    return value != getattr(problem, name)


# -- the flow --------------------------------------------------------------------------------------


def classification_gaps(problem: Problem) -> list[str]:
    """The fields of Art. 15 the problem still lacks (names of fields)."""
    gaps = []
    for name in CLASSIFICATION_FIELDS:
        if name == "collaborators":
            # Art. 15 names 配合人员: someone must be named to work with the owner.
            if not problem.collaborators.exists():
                gaps.append(name)
        elif not getattr(problem, name):
            gaps.append(name)
    if not problem.steps.exists():
        gaps.append("steps")
    return gaps


def _field_label(name: str) -> str:
    if name == "steps":
        return _("work plan (at least one step)")
    return str(Problem._meta.get_field(name).verbose_name)


def requirement_failures(problem: Problem, to: str, comment: str = "") -> list[tuple[str, str | None]]:
    """What the step to `to` still lacks, as (reason, field). Empty when it may be made."""
    failures = []
    if to == State.CLASSIFIED:
        gaps = classification_gaps(problem)
        if gaps:
            failures.append(
                (
                    _("Classifying needs every field of Art. 15; missing: %(fields)s.")
                    % {"fields": ", ".join(_field_label(name) for name in gaps)},
                    gaps[0],
                )
            )
    if to == State.SOLVED:
        if not problem.solution_summary.strip():
            failures.append((_("Say how the problem was solved (solution summary)."), "solution_summary"))
        if problem.steps.filter(done_at__isnull=True).exists():
            failures.append((_("Every step of the work plan must be done before solving."), "steps"))
    if problem.state == State.SOLVED and to == State.IN_PROGRESS and not comment.strip():
        failures.append((_("Say why the verification failed in the comment."), "comment"))
    return failures


def _part_in_the_work(problem: Problem, actor) -> str | None:
    """Why the problem's history bars `actor` from verifying it (Art. 16: 验证 by someone other than who
    did the work), or None. The timeline is the evidence: whoever owned it from its classification on (the
    classification and every later hand-over name the owner), marked it solved, or ticked a step of its
    work plan. One query over the timeline, plus one for the owners' accounts when there were owners."""
    if actor is None or actor.pk is None:
        return None
    rows = ProblemEvent.objects.filter(
        Q(kind=EventKind.TRANSITION, to_state__in=(State.CLASSIFIED, State.SOLVED))
        | Q(kind__in=(EventKind.EDIT, EventKind.STEP_DONE)),
        problem_id=problem.pk,
    ).order_by("id")
    classified = solved = False
    owners: set[int] = set()
    step = None
    for kind, to_state, actor_id, data in rows.values_list("kind", "to_state", "actor_id", "data"):
        if kind == EventKind.TRANSITION and to_state == State.CLASSIFIED:
            classified = True
            owners.add(data.get("owner_id"))
        elif kind == EventKind.TRANSITION:
            solved = solved or actor_id == actor.pk
        elif kind == EventKind.EDIT and classified:
            # A hand-over after the classification: both the one who gave it and the one who took it owned it.
            owners.update((data.get("owner_id"), data.get("previous_owner_id")))
        elif kind == EventKind.STEP_DONE and actor_id == actor.pk and step is None:
            step = data
    if solved:
        return _("You marked this problem solved: another group system admin must verify it (Art. 16).")
    owners.discard(None)
    if owners and Person.objects.filter(pk__in=owners, account_id=actor.pk).exists():
        return _(
            "You owned this problem since it was classified: another group system admin must verify it "
            "(Art. 16)."
        )
    if step is not None:
        text = step.get("text", "")
        label = f"{step['position']}. {text}" if step.get("position") else text
        return _(
            "You carried out step “%(step)s” of this problem: another group system admin must verify it "
            "(Art. 16)."
        ) % {"step": label}
    return None


def permission_failure(problem: Problem, to: str, actor) -> str | None:
    """Why `actor` may not make the step to `to`, or None when they may (Art. 15–16)."""
    if to == State.CLASSIFIED:
        if not is_group_admin(actor):
            return _("Only a group system admin classifies a problem (Art. 15).")
    elif to == State.SOLVED or (to == State.IN_PROGRESS and problem.state == State.CLASSIFIED):
        if not is_owner(actor, problem):
            return _("Only the problem's owner starts the work and declares it solved.")
    elif to in (State.ARCHIVED, State.IN_PROGRESS):
        if not is_group_admin(actor):
            return _("Only a group system admin verifies a solved problem (Art. 16).")
        if is_owner(actor, problem):
            return _("The owner cannot verify their own problem: another group system admin must (Art. 16).")
        return _part_in_the_work(problem, actor)
    return None


def transition_options(problem: Problem, actor) -> list[tuple[str, str | None]]:
    """Every step the flow allows from the problem's state, with why `actor` may not make it (None when
    they may): the page shows the refused ones as disabled actions with their reason."""
    targets = ALLOWED_TRANSITIONS[problem.state]
    if problem.state == State.SOLVED:
        # Passing and failing the verification are one rule: the history is read once for both.
        refusal = permission_failure(problem, State.ARCHIVED, actor)
        return [(to, refusal) for to in targets]
    return [(to, permission_failure(problem, to, actor)) for to in targets]


def allowed_targets(problem: Problem, actor) -> list[str]:
    """States the actor may move the problem to now (the page offers only these as actions)."""
    return [to for to, refusal in transition_options(problem, actor) if refusal is None]


def _notify_step(problem: Problem, source: str, to: str, event: ProblemEvent, comment: str) -> None:
    if to == State.CLASSIFIED:
        _notice(problem, "classified", f"classified:{event.pk}", _owner_accounts(problem))
    elif to == State.SOLVED:
        _notice(problem, "solved", f"solved:{event.pk}", _group_admin_accounts(problem))
    elif source == State.SOLVED and to == State.IN_PROGRESS:
        _notice(problem, "returned", f"returned:{event.pk}", _owner_accounts(problem), comment=comment)
    elif to == State.ARCHIVED:
        _notice(problem, "archived", f"archived:{event.pk}", _owner_accounts(problem))


@transaction.atomic
def transition(
    problem: Problem,
    *,
    to: str,
    actor,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Problem:
    """Move the problem one step along the flow of Art. 15–16; refused with the reason when not allowed."""
    if to not in State.values:
        raise DomainError(_("Unknown state: %(state)s") % {"state": to}, field="to")
    require_staff_or_owner(actor, problem)
    locked = _locked(problem, expected_version)
    source = locked.state
    if to not in ALLOWED_TRANSITIONS[source]:
        raise TransitionNotAllowed(
            _("A problem cannot go from “%(source)s” to “%(target)s”.")
            % {"source": State(source).label, "target": State(to).label},
            field="to",
        )
    refusal = permission_failure(locked, to, actor)
    if refusal:
        raise PermissionDenied(refusal)
    unexpected = set(fields) - set(TRANSITION_FIELDS.get(to, ()))
    if unexpected:
        raise DomainError(_("This step does not take this field."), field=sorted(unexpected)[0])
    collaborators = fields.pop("collaborators", None)
    _check_people(locked.unit, {**fields, "collaborators": collaborators})
    now = now or timezone.now()
    if fields.get("deadline") and fields["deadline"] < timezone.localdate(now):
        raise DomainError(_("The deadline lies in the past."), field="deadline")
    changed = ["state"]
    if "deadline" in fields:
        changed += _set_deadline(locked, fields.pop("deadline"))
    for name, value in fields.items():
        setattr(locked, name, "" if value is None and name not in ("owner",) else value)
        changed.append(name)
    if collaborators is not None:
        locked.collaborators.set(list(collaborators))
    failures = requirement_failures(locked, to, comment)
    if failures:
        reason, field = failures[0]
        raise TransitionNotAllowed(reason, field=field)
    locked.state = to
    if to == State.CLASSIFIED:
        locked.classified_at = now
        changed.append("classified_at")
    elif to == State.SOLVED:
        locked.solved_at = now
        changed.append("solved_at")
    elif to == State.ARCHIVED:
        locked.archived_at, locked.verified_by = now, actor
        changed += ["archived_at", "verified_by"]
    records.save_version(locked, *dict.fromkeys(changed))
    shown_fields = [name for name in changed if name != "state"]
    if to == State.CLASSIFIED:
        # The owner at classification is the first of those who may not verify it (Art. 16), named on the
        # timeline even when it was set before.
        shown_fields.append("owner")
    shown = audit.snapshot(locked, fields=shown_fields)
    if collaborators is not None:
        shown["collaborators"] = [person.pk for person in collaborators]
    event = records.log_transition(
        ProblemEvent, {"problem": locked}, locked, source, to, actor=actor, at=now, comment=comment, **shown
    )
    _notify_step(locked, source, to, event, comment)
    return locked


# -- work plan, incidents, known errors ------------------------------------------------------------


@transaction.atomic
def add_comment(problem: Problem, *, actor, text: str) -> Problem:
    """A note on the problem's tracking log by the unit's system staff or the owner; an archived problem
    takes none (its record is kept as it was, Art. 16)."""
    require_staff_or_owner(actor, problem)
    text = records.comment_text(text)
    locked = _locked(problem)
    _require_not_archived(locked)
    _event(locked, EventKind.COMMENT, actor=actor, comment=text)
    audit.record("update", actor=actor, obj=locked, comment=text)
    return locked


@transaction.atomic
def add_step(
    problem: Problem, *, actor, text: str, due_on: datetime.date, now: datetime.datetime | None = None
) -> ProblemStep:
    """Add a dated step to the work plan: a group system admin or the owner, until it is solved."""
    locked = _locked(problem)
    refusal = step_refusal(locked, actor)
    if refusal is not None:
        raise refusal
    (step,) = _check_steps([{"text": text, "due_on": due_on}])
    position = (locked.steps.aggregate(last=Max("position"))["last"] or 0) + 1
    created = ProblemStep.objects.create(problem=locked, position=position, **step)
    records.save_version(locked)
    _event(
        locked, EventKind.STEP_ADDED, actor=actor, at=now, step=created.pk, text=created.text, due_on=due_on
    )
    audit.record("update", actor=actor, obj=locked, after={"step": created.pk, "text": created.text})
    return created


@transaction.atomic
def tick_step(step: ProblemStep, *, actor, now: datetime.datetime | None = None) -> ProblemStep:
    """Tick a step of the work plan done: the owner, a collaborator or a group system admin, while the
    work is in progress."""
    locked = _locked(step.problem)
    refusal = tick_refusal(locked, actor)
    if refusal is not None:
        raise refusal
    step = ProblemStep.objects.select_for_update().get(pk=step.pk)
    if step.done_at is not None:
        raise TransitionNotAllowed(_("This step is already done."))
    now = now or timezone.now()
    step.done_at, step.done_by = now, actor
    step.save(update_fields=["done_at", "done_by"])
    records.save_version(locked)
    _event(
        locked, EventKind.STEP_DONE, actor=actor, at=now, step=step.pk, position=step.position, text=step.text
    )
    audit.record("update", actor=actor, obj=locked, after={"step": step.pk, "done_at": now})
    return step


@transaction.atomic
def link_incident(
    problem: Problem, incident: Incident, *, actor, now: datetime.datetime | None = None
) -> Problem:
    """Link a further incident the problem explains (a recurring fault, say)."""
    require_staff_or_owner(actor, problem)
    locked = _locked(problem)
    _require_not_archived(locked)
    if incident.unit_id != locked.unit_id:
        raise DomainError(_("The incident belongs to another unit."), field="incident")
    if locked.incidents.filter(pk=incident.pk).exists():
        raise DomainError(_("This incident is already linked."), field="incident")
    locked.incidents.add(incident)
    records.save_version(locked)
    _event(locked, EventKind.INCIDENT_LINKED, actor=actor, at=now, incident=incident.pk, code=incident.code)
    audit.record("update", actor=actor, obj=locked, after={"incident_linked": incident.pk})
    return locked


@transaction.atomic
def publish_workaround(
    problem: Problem, *, actor, workaround: str | None = None, now: datetime.datetime | None = None
) -> Problem:
    """Publish the problem's workaround as a known error: handlers of incidents on its items see it."""
    require_staff_or_owner(actor, problem)
    locked = _locked(problem)
    _require_not_archived(locked)
    text = (workaround if workaround is not None else locked.workaround).strip()
    if not text:
        raise DomainError(_("Describe the workaround before publishing it."), field="workaround")
    if locked.is_known_error and text == locked.workaround:
        raise TransitionNotAllowed(_("This workaround is already published."), field="workaround")
    now = now or timezone.now()
    locked.workaround, locked.workaround_published_at = text, now
    records.save_version(locked, "workaround", "workaround_published_at")
    _event(locked, EventKind.KNOWN_ERROR, actor=actor, at=now, comment=text)
    audit.record("update", actor=actor, obj=locked, after={"workaround": text, "known_error": True})
    return locked


def known_errors(queryset: QuerySet, item_ids) -> QuerySet:
    """The published workarounds of active problems on any of these items (the known errors)."""
    return (
        queryset.filter(workaround_published_at__isnull=False, affected_items__in=list(item_ids))
        .exclude(state=State.ARCHIVED)
        .distinct()
        .order_by("-workaround_published_at", "-id")
    )


def owner_choices(unit):
    return Person.objects.filter(unit_id__in=_people_unit_ids(unit), is_active=True)


# -- escalation of overdue problems ----------------------------------------------------------------


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Tell the owners of problems past their deadline, and later the group's system management leads.
    Returns how many escalations were sent. Each level goes out once per deadline: a conditional update
    claims it, so two sweeps running at once send it once."""
    now = now or timezone.now()
    sent = 0
    for level, moment in ((EscalationLevel.OWNER, "owner_alert_at"), (EscalationLevel.LEAD, "lead_alert_at")):
        due = Problem.objects.filter(
            state__in=OPEN_STATES, escalation_level__lt=level, **{f"{moment}__lte": now}
        ).values_list("pk", flat=True)
        for pk in list(due):
            sent += _escalate(pk, level, now)
    return sent


@transaction.atomic
def _escalate(pk: int, level: int, now: datetime.datetime) -> int:
    moment = "owner_alert_at" if level == EscalationLevel.OWNER else "lead_alert_at"
    claimed = Problem.objects.filter(
        pk=pk, state__in=OPEN_STATES, escalation_level__lt=level, **{f"{moment}__lte": now}
    ).update(escalation_level=level)
    if not claimed:
        return 0
    problem = records.lock(Problem.objects.select_related("unit", "owner"), pk)
    if level == EscalationLevel.OWNER:
        # The lead hears of it a full period after the owner was told, even when the sweep ran late.
        problem.lead_alert_at = max(problem.lead_alert_at or now, now + LEAD_ESCALATION_DELAY)
        accounts, kind = _owner_accounts(problem), "overdue_owner"
    else:
        accounts = org.accounts_holding(Role.SYSTEM_LEAD, [group_unit_of(problem.unit).pk])
        kind = "overdue_lead"
    records.save_version(problem, "lead_alert_at")
    event = _event(
        problem,
        EventKind.ESCALATION,
        actor=None,
        at=now,
        level=level,
        deadline=problem.deadline,
        recipients=sorted(accounts),
    )
    audit.record("update", actor=None, obj=problem, after={"escalation_level": level, "event": event.pk})
    _notice(
        problem, kind, f"overdue:{problem.deadline}:{level}", accounts, urgent=level == EscalationLevel.LEAD
    )
    return 1


def overdue_q(now: datetime.datetime | None = None) -> Q:
    """Past its deadline and still being worked on: the owner is told from `owner_alert_at` on."""
    return Q(state__in=OPEN_STATES, owner_alert_at__lte=now or timezone.now())


def is_overdue(problem: Problem, now: datetime.datetime | None = None) -> bool:
    """`overdue_q` for one problem already read."""
    return (
        problem.state in OPEN_STATES
        and problem.owner_alert_at is not None
        and problem.owner_alert_at <= (now or timezone.now())
    )
