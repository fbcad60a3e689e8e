"""Active checks (Art. 3: the running state of the OA system watched): people's acts on a check (create,
update, delete) are audited; a check's runs are machine data — one CheckResult row each and a plain update
of the check's state, never an audit event.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.notify import services as notify

from .. import damping, probes, tasks
from ..choices import CheckKind, CheckState
from ..models import Check, CheckResult
from ..probes import base as probe_base
from .heartbeats import _local, may_manage, recipients_of

CHECK_MIN_INTERVAL = 10
CHECK_MAX_INTERVAL = 86400
# The fields each probe cannot run without, and those that must be a port (docs/probes.md).
SPEC_REQUIRED = {
    CheckKind.HTTP: ("url",),
    CheckKind.TCP: ("host", "port"),
    CheckKind.ICMP: ("host",),
    CheckKind.DNS: ("name",),
    CheckKind.POSTGRESQL: ("host", "user"),
    CheckKind.MYSQL: ("host", "user"),
    CheckKind.SNMP: ("host", "oid"),
}
SPEC_PORTS = {CheckKind.ICMP: "fallback_port"}


def require_manage_checks(actor, unit_id: int | None) -> None:
    if not may_manage(actor, unit_id):
        raise PermissionDenied(_("You may not manage the checks of this unit."))


def check_spec(kind: str, spec) -> dict:
    """The probe's spec of a check, read as the probe reads it (without running it); a bad one is refused
    naming the spec's field at fault."""
    if not isinstance(spec, dict):
        raise DomainError(_("The probe settings must be a JSON object."), field="spec")
    spec = {key: value for key, value in spec.items() if key != "type"}
    try:
        for name in SPEC_REQUIRED[CheckKind(kind)]:
            probe_base.required(spec, name)
        if "port" in spec or kind == CheckKind.TCP:
            probe_base.as_port(spec)
        if SPEC_PORTS.get(kind) in spec:
            probe_base.as_port(spec, SPEC_PORTS[kind])
        probe_base.timeout_of(spec)
        if kind == CheckKind.HTTP:
            url = str(spec["url"])
            if not url.startswith(("http://", "https://")):
                raise probe_base.SpecError(f"'url' must be an http or https URL, not {url!r}")
    except probe_base.SpecError as exc:
        raise DomainError(
            _("Invalid probe settings: %(problem)s") % {"problem": str(exc)}, field="spec"
        ) from None
    return spec


def policy_of(check: Check):
    return damping.Policy(
        fail_after=check.fail_after,
        recover_after=check.recover_after,
        interval=datetime.timedelta(seconds=check.interval),
        retry_interval=datetime.timedelta(seconds=min(check.retry_interval, check.interval)),
    )


def _check_check(instance: Check | None, fields: dict) -> dict:
    """The rules of a check whatever the path (page, API); returns the fields to write."""
    base = instance if instance is not None else Check()
    merged = {name: getattr(base, name) for name in ("name", "kind", "spec", "interval", "retry_interval")}
    merged |= {name: getattr(base, name) for name in ("fail_after", "recover_after", "is_reference")}
    merged["item"] = instance.item if instance is not None else None
    merged["reference"] = instance.reference if instance is not None else None
    merged.update(fields)
    item = merged["item"]
    if not isinstance(item, Item):
        raise DomainError(_("Choose the inventory item."), field="item")
    if not str(merged.get("name") or "").strip():
        raise DomainError(_("This field is required."), field="name")
    if merged.get("kind") not in CheckKind.values:
        raise DomainError(_("Choose the kind of check."), field="kind")
    if "spec" in fields or "kind" in fields or instance is None:
        fields["spec"] = check_spec(merged["kind"], merged.get("spec") or {})
    for name, low in (("interval", CHECK_MIN_INTERVAL), ("retry_interval", CHECK_MIN_INTERVAL)):
        value = merged.get(name)
        if value is None or not low <= int(value) <= CHECK_MAX_INTERVAL:
            raise DomainError(
                _("Give a number of seconds between %(low)s and %(high)s.")
                % {"low": low, "high": CHECK_MAX_INTERVAL},
                field=name,
            )
    if int(merged["retry_interval"]) > int(merged["interval"]):
        raise DomainError(
            _("The retry interval must not be longer than the interval."), field="retry_interval"
        )
    for name in ("fail_after", "recover_after"):
        if merged.get(name) is None or not 1 <= int(merged[name]) <= 100:
            raise DomainError(_("Give a number between 1 and 100."), field=name)
    reference = merged.get("reference")
    if reference is not None:
        if not isinstance(reference, Check) or not reference.is_reference:
            raise DomainError(_("Choose a check marked as a reference."), field="reference")
        if instance is not None and reference.pk == instance.pk:
            raise DomainError(_("A check cannot be its own reference."), field="reference")
    if "item" in fields:
        fields["unit"] = item.unit
    return fields


@transaction.atomic
def create_check(*, actor, **fields) -> Check:
    item = fields.get("item")
    require_manage_checks(actor, item.unit_id if isinstance(item, Item) else None)
    fields = _check_check(None, fields)
    # Due at once: the dispatcher's next tick runs it, then every interval from that slot on.
    return create_record(Check, actor=actor, next_run_at=timezone.now(), **fields)


@transaction.atomic
def update_check(check: Check, *, actor, expected_version: int | None = None, **fields) -> Check:
    require_manage_checks(actor, check.unit_id)
    if "item" in fields and getattr(fields["item"], "unit_id", None) != check.unit_id:
        require_manage_checks(actor, getattr(fields["item"], "unit_id", None))
    fields = _check_check(check, fields)
    return update_record(check, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def delete_check(check: Check, *, actor) -> None:
    """A check goes with its results (machine data); a reference others depend on leaves them without."""
    require_manage_checks(actor, check.unit_id)
    delete_record(check, actor=actor)


# -- running a check (machine data) ---------------------------------------------------------------


def _probe(spec: dict):
    """Run the probe to its end in an event loop of its own (a thread when this one already runs one)."""
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(probes.run(spec))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, probes.run(spec)).result()


def run_check(check_id: int, *, slot: datetime.datetime | None = None, now=None) -> CheckResult | None:
    """Run a check's probe once, store its result, feed the damping and tell the item's team of a down or
    an up after down. `slot` is the scheduled time the dispatcher claimed (None: a "test now"); while the
    check fails short of down, the next run comes a retry interval after that slot, else the slot the
    dispatcher already stored stands. Returns None for a check deleted meanwhile."""
    check = Check.objects.filter(pk=check_id).first()
    if check is None:
        return None
    spec = {**(check.spec or {}), "type": check.kind}
    started = now or timezone.now()
    outcome = _probe(spec)
    with transaction.atomic():
        check = (
            Check.objects.select_for_update(of=("self",))
            .select_related("reference")
            .filter(pk=check_id)
            .first()
        )
        if check is None:
            return None
        result = CheckResult.objects.create(
            active_check=check,
            at=started,
            status=str(outcome.status),
            latency_ms=outcome.latency_ms,
            reason=(outcome.reason or "")[:500],
            method=(outcome.method or "")[:30],
            cert_days_left=(outcome.details or {}).get("cert_days_left"),
        )
        state = damping.DampingState.from_json(check.damping)
        if state.last_at is not None and started < state.last_at:
            return result  # an older run finishing late: its result is kept, the damping has moved on
        reference = check.reference
        stepped = damping.step(
            policy_of(check),
            state,
            outcome,
            started,
            reference_failing=reference is not None and reference.state == CheckState.DOWN,
            reference=reference.name if reference is not None else "",
        )
        changes = {
            "damping": stepped.state.as_json(),
            "state": stepped.state.state.value,
            "state_reason": (stepped.state.reason or "")[:500],
            "last_run_at": started,
        }
        if slot is not None and stepped.next_interval < datetime.timedelta(seconds=check.interval):
            retry = slot + stepped.next_interval
            if check.next_run_at is None or retry < check.next_run_at:
                changes["next_run_at"] = retry
        Check.objects.filter(pk=check.pk).update(**changes)
        for event in stepped.events:
            if event.kind in (damping.EventKind.DOWN, damping.EventKind.UP):
                _tell_event(check.pk, event)  # notify queues its deliveries on the commit
        if stepped.reminder_due:  # still down a reminder period after it was last told
            tell_check_state(
                Check.objects.select_related("unit", "item").get(pk=check.pk),
                "reminder",
                at=started,
                reason=stepped.state.reason,
            )
    return result


def _tell_event(check_id: int, event) -> None:
    """Tell of a damped down or up, reading the check's name, unit and item as they are now."""
    check = Check.objects.select_related("unit", "item").get(pk=check_id)
    tell_check_state(check, event.kind.value, at=event.at, reason=event.reason)


def due_checks(now: datetime.datetime, limit: int = 500) -> list[tuple[int, datetime.datetime]]:
    rows = Check.objects.filter(next_run_at__lte=now).order_by("next_run_at")
    return list(rows.values_list("pk", "next_run_at")[:limit])


def claim(check_id: int, slot: datetime.datetime, now: datetime.datetime) -> bool:
    """Claim the check's run in `slot` by moving its next_run_at to the next slot after `now` (anchored to
    the slots, so the start times do not drift); the row count says whether this caller won."""
    interval = Check.objects.filter(pk=check_id).values_list("interval", flat=True).first()
    if not interval:
        return False
    step = datetime.timedelta(seconds=interval)
    missed = max(0, int((now - slot) / step))  # slots that passed while nobody ran it are not made up
    following = slot + step * (missed + 1)
    return Check.objects.filter(pk=check_id, next_run_at=slot).update(next_run_at=following) == 1


def dispatch_due(now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Claim every due check once and queue its run; returns the ids claimed by this call."""
    now = now or timezone.now()
    claimed = []
    for pk, slot in due_checks(now, limit):
        if claim(pk, slot, now):
            claimed.append(pk)
            at = slot.isoformat()
            transaction.on_commit(lambda pk=pk, at=at: tasks.run_check.delay(pk, at))
    return claimed


CHECK_NOTICES = {
    "down": {
        "zh-hans": ("【检查失败】{name}", "{unit}的{item}的检查“{name}”于{at}判定为故障：{reason}"),
        "en": ("[Check down] {name}", "The check “{name}” of {item} ({unit}) is down since {at}: {reason}"),
    },
    "reminder": {
        "zh-hans": ("【检查仍故障】{name}", "{unit}的{item}的检查“{name}”至{at}仍为故障：{reason}"),
        "en": (
            "[Check still down] {name}",
            "The check “{name}” of {item} ({unit}) is still down at {at}: {reason}",
        ),
    },
    "up": {
        "zh-hans": ("【检查恢复】{name}", "{unit}的{item}的检查“{name}”于{at}恢复正常。"),
        "en": ("[Check up] {name}", "The check “{name}” of {item} ({unit}) is up again since {at}."),
    },
}


def tell_check_state(check: Check, state: str, *, at: datetime.datetime, reason: str = "") -> list:
    """Tell the item's team that the check went down, is still down (a reminder every `remind_every` of
    the damping policy), or came up after being down (the damping never makes an "up" without a "down"
    before it). The recipients are the heartbeat notices' own."""
    values = {
        "name": check.name,
        "unit": check.unit.name,
        "item": str(check.item),
        "at": _local(at),
        "reason": reason or "—",
    }
    templates = CHECK_NOTICES[state]
    return notify.send(
        event_key=f"check:{check.pk}:{state}:{at:%Y%m%dT%H%M%S}",
        unit_id=check.unit_id,
        recipients=notify.user_recipients(recipients_of(check)),
        subject={language: s.format(**values) for language, (s, _b) in templates.items()},
        body={language: b.format(**values) for language, (_s, b) in templates.items()},
    )
