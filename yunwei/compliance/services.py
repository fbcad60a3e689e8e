"""The one write path of compliance: judging a month (a run), and the "not applicable" flow.

A run judges each duty of the registry over the units, set-based (`checks`), and writes one result per
unit and duty with its findings. A month that has ended keeps the results it was judged with under an
earlier version of a duty's rule; the running month, and a duty never judged for the month, are
judged under the current one.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.records import append_event, lock
from yunwei.core.scoping import access_of
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import checks, registry
from .choices import (
    ALLOWED_TRANSITIONS,
    CarriedBy,
    ExemptionEventKind,
    ExemptionState,
    Outcome,
    RunKind,
    RunState,
)
from .models import ComplianceRun, Exemption, ExemptionEvent, Finding, Result

log = logging.getLogger(__name__)


# -- months ---------------------------------------------------------------------------------------


def _zone():
    # The site's month, whatever zone the reader's request activated.
    return timezone.get_default_timezone()


def this_month(now: datetime.datetime | None = None) -> str:
    return timezone.localtime(now or timezone.now(), _zone()).strftime("%Y-%m")


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def months_back(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    answer = [month]
    while len(answer) < count:
        answer.insert(0, previous_month(answer[0]))
    return answer


def parse_month(value, *, now: datetime.datetime | None = None) -> str:
    """A month as YYYY-MM, not in the future; anything else is refused naming `month`."""
    text = str(value or "").strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        parsed = datetime.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise DomainError(_("Give the month as YYYY-MM."), field="month") from None
    if parsed.year < 2000:
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    if text > this_month(now):
        raise DomainError(_("The month %(month)s has not begun yet.") % {"month": text}, field="month")
    return text


def bounds(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    first = datetime.datetime.strptime(month, "%Y-%m")
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first.replace(tzinfo=_zone()), following.replace(tzinfo=_zone())


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


# -- judging ----------------------------------------------------------------------------------------


def units_for(duty: registry.Duty, units: list[Unit]) -> list[Unit]:
    if duty.carried_by == CarriedBy.GROUP:
        return [unit for unit in units if unit.kind == UnitKind.GROUP]
    if duty.units_only:
        return [unit for unit in units if unit.kind == UnitKind.UNIT]
    return units


def start_run(month: str, *, actor, unit: Unit | None = None) -> ComplianceRun:
    """Queue an on-demand run of `month` (every unit, or `unit`); the worker judges in the background."""
    month = parse_month(month)
    if not may_run(actor, unit):
        raise PermissionDenied(_("You may not judge this unit's compliance."))
    from .tasks import run_compliance  # tasks import services; the queueing is the one way back

    with transaction.atomic():
        run = ComplianceRun.objects.create(
            month=month, unit=unit, requested_by=actor, steps_total=len(registry.DUTIES)
        )
        audit.record(
            "create", actor=actor, obj=run, after={"month": month, "unit": unit.pk if unit else None}
        )
        transaction.on_commit(lambda: run_compliance.delay(run.pk))
    return run


def claim_nightly(now: datetime.datetime | None = None) -> list[ComplianceRun]:
    """The night's runs: this month, and the month before during the first days of a month (late records
    of the month just ended are judged before it settles). Claimed once per night by a unique row."""
    now = now or timezone.now()
    today = timezone.localtime(now, _zone()).date()
    months = [this_month(now)]
    if today.day <= 5:
        months.insert(0, previous_month(months[0]))
    claimed = []
    for month in months:
        try:
            with transaction.atomic():
                claimed.append(
                    ComplianceRun.objects.create(
                        kind=RunKind.NIGHTLY, day=today, month=month, steps_total=len(registry.DUTIES)
                    )
                )
        except IntegrityError:
            continue
    return claimed


def execute(run_id: int, *, now: datetime.datetime | None = None) -> ComplianceRun | None:
    """Judge the run's month duty by duty, recording the progress on the run after each duty."""
    claimed = ComplianceRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(
        state=RunState.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    run = ComplianceRun.objects.select_related("unit").get(pk=run_id)
    now = now or timezone.now()
    units = [run.unit] if run.unit else list(Unit.objects.filter(is_active=True).order_by("pk"))
    try:
        for position, duty in enumerate(registry.DUTIES, start=1):
            ComplianceRun.objects.filter(pk=run.pk).update(step_name=duty.code)
            judge(duty, run.month, units, now=now, run=run)
            ComplianceRun.objects.filter(pk=run.pk).update(steps_done=position)
    except Exception as exc:
        log.exception("compliance run %s failed", run.pk)
        ComplianceRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ComplianceRun.objects.filter(pk=run.pk).update(
        state=RunState.DONE, finished_at=timezone.now(), step_name=""
    )
    run.refresh_from_db()
    return run


@transaction.atomic
def judge(duty: registry.Duty, month: str, units: list[Unit], *, now=None, run=None) -> list[Result]:
    """Judge one duty for `month` over `units` and write its results and findings (one transaction)."""
    now = now or timezone.now()
    units = units_for(duty, units)
    if not units:
        return []
    start, end = bounds(month)
    existing = {r.unit_id: r for r in Result.objects.filter(duty=duty.code, month=month, unit__in=units)}
    ended = end <= now
    # A month that has ended keeps what an earlier version of the rule found (the rules are versioned).
    keep = {unit_id for unit_id, r in existing.items() if ended and r.duty_version != duty.version}
    targets = [unit for unit in units if unit.pk not in keep]
    if not targets:
        return []
    ctx = checks.Context(month=month, start=start, end=end, now=now, units=targets)
    # Findings are stored text, written in the site's language whoever started the run (the nightly
    # worker has no reader).
    with translation.override(settings.LANGUAGE_CODE):
        judgments = duty.check(ctx)
    approved = set(
        Exemption.objects.filter(
            result__in=[existing[u.pk] for u in targets if u.pk in existing], state=ExemptionState.APPROVED
        ).values_list("result__unit_id", flat=True)
    )
    written = []
    for unit in targets:
        judgment = judgments[unit.pk]
        judged = judgment.graded()
        fields = {
            "article": duty.article,
            "duty_version": duty.version,
            "carried_by": duty.carried_by,
            "judged": judged,
            "outcome": Outcome.NOT_APPLICABLE if unit.pk in approved else judged,
            "checked": judgment.checked,
            "failing": judgment.failing,
            "note": judgment.note[:300],
            "judged_at": now,
            "run": run,
        }
        result = existing.get(unit.pk)
        if result is None:
            result = Result.objects.create(unit=unit, duty=duty.code, month=month, **fields)
        else:
            for name, value in fields.items():
                setattr(result, name, value)
            result.save()
        written.append(result)
    Finding.objects.filter(result__in=written).delete()
    Finding.objects.bulk_create(
        Finding(
            result=result,
            object_type=ref.object_type,
            object_id=ref.object_id,
            label=str(ref.label)[:200],
            detail=str(ref.detail)[:300],
        )
        for result in written
        for ref in judgments[result.unit_id].findings
    )
    return written


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
