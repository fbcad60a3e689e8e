"""Judging: each duty of the registry over the units for a month, set-based (`checks`), one result per
unit and duty with its findings. A month that has ended keeps the results it was judged with under an
earlier version of a duty's rule; the running month, and a duty never judged for the month, are judged
under the current one. Machine work of the worker: not an audited act (the run's start is)."""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import checks, registry
from .choices import CarriedBy, ExemptionState, Outcome, RunKind, RunState
from .models import ComplianceRun, Exemption, Finding, Result
from .months import bounds, previous_month, site_zone, this_month

log = logging.getLogger(__name__)


def units_for(duty: registry.Duty, units: list[Unit]) -> list[Unit]:
    if duty.carried_by == CarriedBy.GROUP:
        return [unit for unit in units if unit.kind == UnitKind.GROUP]
    if duty.units_only:
        return [unit for unit in units if unit.kind == UnitKind.UNIT]
    return units


def claim_nightly(now: datetime.datetime | None = None) -> list[ComplianceRun]:
    """The night's runs: this month, and the month before during the first days of a month (late records
    of the month just ended are judged before it settles). Claimed once per night by a unique row."""
    now = now or timezone.now()
    today = timezone.localtime(now, site_zone()).date()
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
        judgment = judgments.get(unit.pk)
        if judgment is None:
            # Not judged this time (nothing is due yet for this unit): no result, none kept from before.
            continue
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
    # A finding already made a rectification keeps it when the same record is at fault for the same reason.
    rectified = {
        (row[0], row[1], row[2], row[3]): row[4]
        for row in Finding.objects.filter(result__in=written, rectification__isnull=False).values_list(
            "result_id", "object_type", "object_id", "detail", "rectification_id"
        )
    }
    Finding.objects.filter(result__in=written).delete()
    Finding.objects.bulk_create(
        Finding(
            result=result,
            object_type=ref.object_type,
            object_id=ref.object_id,
            label=str(ref.label)[:200],
            detail=str(ref.detail)[:300],
            rectification_id=rectified.pop(
                (result.pk, ref.object_type, ref.object_id, str(ref.detail)[:300]), None
            ),
        )
        for result in written
        for ref in judgments[result.unit_id].findings
    )
    return written
