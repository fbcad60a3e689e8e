"""The one write path of compliance's acts: a run asked for, and the "not applicable" flow (asked with
its reason, decided by a group system admin other than whoever asked). The judging itself is machine
work in `judging`; the month helpers are in `months`."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.records import append_event, lock
from yunwei.core.scoping import access_of
from yunwei.logbook import services as logbook
from yunwei.logbook.choices import LogKind
from yunwei.org.choices import Role
from yunwei.org.models import RoleAssignment, Unit

from . import registry, tasks
from .choices import ALLOWED_TRANSITIONS, ExemptionEventKind, ExemptionState, Outcome
from .judging import claim_nightly, execute, judge  # noqa: F401 - the acts of compliance, in one place
from .models import ComplianceRun, Exemption, ExemptionEvent, Finding, Result
from .months import bounds, months_back, parse_month, previous_month, this_month  # noqa: F401

# The log of Art. 5 a finding of an article is reviewed with: the backups of Art. 9, the problems of
# Art. 14–16, the daily management log for the rest.
LOG_OF_ARTICLE = {9: LogKind.BACKUP, 14: LogKind.PROBLEMS, 15: LogKind.PROBLEMS, 16: LogKind.PROBLEMS}

# -- who may act ------------------------------------------------------------------------------------


def may_run(actor, unit: Unit | None) -> bool:
    """A group admin or the group's staff judge every unit; a unit's admins and staff their own unit."""
    access = access_of(actor)
    if unit is None:
        return access.is_group_admin or access.is_group_staff
    return access.can_handle_unit(unit.pk)


def may_request(actor, result: Result) -> bool:
    return access_of(actor).can_handle_unit(result.unit_id)


def decide_refusal(actor, exemption: Exemption) -> str:
    """Why `actor` may not decide on the request; empty when they may (separation of duties)."""
    if not access_of(actor).is_group_admin:
        return _("Only a group system admin decides on a “not applicable”.")
    if exemption.requested_by_id == getattr(actor, "pk", None):
        return _("Whoever asked for a “not applicable” does not decide on it.")
    return ""


def start_run(month: str, *, actor, unit: Unit | None = None) -> ComplianceRun:
    """Queue an on-demand run of `month` (every unit, or `unit`); the worker judges in the background."""
    month = parse_month(month)
    if not may_run(actor, unit):
        raise PermissionDenied(_("You may not judge this unit's compliance."))
    with transaction.atomic():
        run = ComplianceRun.objects.create(
            month=month, unit=unit, requested_by=actor, steps_total=len(registry.DUTIES)
        )
        audit.record(
            "create", actor=actor, obj=run, after={"month": month, "unit": unit.pk if unit else None}
        )
        transaction.on_commit(lambda: tasks.run_compliance.delay(run.pk), robust=True)
    return run


# -- "not applicable" ------------------------------------------------------------------------------


@transaction.atomic
def request_exemption(result: Result, *, actor, reason: str) -> Exemption:
    """Ask for a result to count as "not applicable", with the reason (Art.: the auditor's rule)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the duty does not apply."), field="reason")
    if len(reason) > 2000:
        raise DomainError(_("Keep the reason under 2000 characters."), field="reason")
    if not may_request(actor, result):
        raise PermissionDenied(_("Only the unit's admins and staff ask for a “not applicable”."))
    locked = Result.objects.select_for_update().get(pk=result.pk)
    if locked.exemptions.filter(state__in=(ExemptionState.REQUESTED, ExemptionState.APPROVED)).exists():
        raise TransitionNotAllowed(
            _("A “not applicable” is already asked for or granted here."), field="result"
        )
    now = timezone.now()
    exemption = Exemption.objects.create(result=locked, reason=reason, requested_by=actor, requested_at=now)
    append_event(
        ExemptionEvent,
        {"exemption": exemption},
        ExemptionEventKind.REQUESTED,
        actor=actor,
        at=now,
        comment=reason,
        to_state=ExemptionState.REQUESTED,
    )
    audit.record("create", actor=actor, obj=exemption, after={"result": locked.pk, "reason": reason})
    return exemption


@transaction.atomic
def decide_exemption(
    exemption: Exemption, *, actor, approve: bool, note: str = "", expected_version: int | None = None
) -> Exemption:
    """Approve or refuse a "not applicable"; approved, its result counts as not applicable."""
    refusal = decide_refusal(actor, exemption)
    if refusal:
        raise PermissionDenied(refusal)
    locked = lock(Exemption.objects, exemption.pk, expected_version)
    to = ExemptionState.APPROVED if approve else ExemptionState.REFUSED
    if to not in ALLOWED_TRANSITIONS[locked.state]:
        raise TransitionNotAllowed(
            _("This request was already decided (%(state)s).")
            % {"state": ExemptionState(locked.state).label},
            field="state",
        )
    if not approve and not (note or "").strip():
        raise DomainError(_("Say why the request is refused."), field="note")
    source = locked.state
    now = timezone.now()
    locked.state, locked.decided_by, locked.decided_at, locked.decision_note = (
        to,
        actor,
        now,
        (note or "").strip(),
    )
    locked.version += 1
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "version", "updated_at"])
    if approve:
        Result.objects.filter(pk=locked.result_id).update(outcome=Outcome.NOT_APPLICABLE)
    append_event(
        ExemptionEvent,
        {"exemption": locked},
        ExemptionEventKind.TRANSITION,
        actor=actor,
        at=now,
        comment=locked.decision_note,
        from_state=source,
        to_state=to,
    )
    audit.record(
        "transition",
        actor=actor,
        obj=locked,
        before={"state": source},
        after={"state": to},
        comment=locked.decision_note,
    )
    return locked


# -- a finding becomes a rectification ---------------------------------------------------------------


def default_owner(unit):
    """Whom the form proposes as owner: a system admin of the unit, else one of its technical staff."""
    for role in (Role.UNIT_ADMIN, Role.TECH_STAFF):
        assignment = (
            RoleAssignment.objects.filter(unit=unit, role=role, person__is_active=True)
            .order_by("person__name", "person_id")
            .select_related("person")
            .first()
        )
        if assignment is not None:
            return assignment.person
    return None


def may_rectify(actor, finding: Finding) -> bool:
    """The system management lead of the finding's unit (or of the group) puts findings right (Art. 5)."""
    return logbook.is_lead_for(actor, finding.result.unit)


@transaction.atomic
def rectify_finding(finding: Finding, *, actor, owner, deadline, title: str = ""):
    """A finding becomes a rectification in one step (Art. 5: 及时整改补救), through the log book's own
    service: recorded as a finding of the unit's review, with its owner and deadline; the finding keeps the
    link. A finding is rectified once."""
    if not may_rectify(actor, finding):
        raise PermissionDenied(_("Only a system management lead reviews and signs a month (Art. 5)."))
    locked = Finding.objects.select_for_update().select_related("result__unit").get(pk=finding.pk)
    if locked.rectification_id:
        raise TransitionNotAllowed(
            _("This finding has its rectification already (%(code)s).") % {"code": locked.rectification.code},
            field="finding",
        )
    result = locked.result
    text = _("Art. %(article)s, %(month)s: %(label)s: %(detail)s") % {
        "article": result.article,
        "month": result.month,
        "label": locked.label,
        "detail": locked.detail,
    }
    rect = logbook.rectify_from(
        result.unit,
        bounds(result.month)[0].date(),
        log=LOG_OF_ARTICLE.get(result.article, LogKind.DAILY),
        text=text,
        actor=actor,
        owner=owner,
        deadline=deadline,
        title=title or f"{locked.label}: {locked.detail}"[:200],
    )
    locked.rectification = rect
    locked.save(update_fields=["rectification"])
    audit.record("update", actor=actor, obj=result, after={"finding": locked.pk, "rectification": rect.pk})
    return rect
