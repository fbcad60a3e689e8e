"""Active checks (Art. 3: the running state of the OA system watched): people's acts on a check (create,
update, delete) are audited; a check's runs are machine data — one CheckResult row each and a plain update
of the check's state, never an audit event.
"""

import asyncio
import concurrent.futures
import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.incidents import signals
from yunwei.notify import services as notify

from .. import damping, probes, tasks
from ..choices import CheckEventKind, CheckKind, CheckState
from ..models import Check, CheckEvent, CheckResult
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
# The fields of a check made from a template that follow the template (services/templates.py).
TEMPLATE_OWNED = ("item", "name", "kind", "spec", "interval", "retry_interval", "fail_after", "recover_after")


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


def _seconds(value) -> datetime.timedelta | None:
    return datetime.timedelta(seconds=value) if value else None


def policy_of(check: Check) -> damping.Policy:
    """The damping policy of a check as it is stored (the "x failures within y" rule only with both set;
    no flapping detection without a threshold)."""
    windowed = bool(check.window_failures and check.window)
    flapping = bool(check.flap_threshold and check.flap_window)
    return damping.Policy(
        fail_after=check.fail_after,
        recover_after=check.recover_after,
        window_failures=check.window_failures if windowed else None,
        window=_seconds(check.window) if windowed else None,
        flap_threshold=check.flap_threshold if flapping else None,
        flap_window=_seconds(check.flap_window) if flapping else damping.Policy.flap_window,
        interval=datetime.timedelta(seconds=check.interval),
        retry_interval=datetime.timedelta(seconds=min(check.retry_interval, check.interval)),
    )


# The damping options that go in pairs (both or neither), with the range of each (docs/probes.md).
DAMPING_PAIRS = (
    (("window_failures", 1, damping.MAX_RECENT), ("window", CHECK_MIN_INTERVAL, CHECK_MAX_INTERVAL)),
    (("flap_threshold", 2, damping.MAX_RECENT), ("flap_window", 60, 7 * CHECK_MAX_INTERVAL)),
)
DAMPING_FIELDS = ("window_failures", "window", "flap_threshold", "flap_window")


def _check_damping(merged: dict) -> None:
    """The optional damping rules: each pair set together or not at all, each number in its range."""
    for pair in DAMPING_PAIRS:
        values = [merged.get(name) for name, _low, _high in pair]
        if (values[0] is None) != (values[1] is None):
            missing = pair[0][0] if values[0] is None else pair[1][0]
            raise DomainError(
                _("Set %(first)s and %(second)s together, or neither.")
                % {"first": pair[0][0], "second": pair[1][0]},
                field=missing,
            )
        for (name, low, high), value in zip(pair, values, strict=True):
            if value is not None and not low <= int(value) <= high:
                raise DomainError(
                    _("Give a number between %(low)s and %(high)s.") % {"low": low, "high": high}, field=name
                )


def _check_check(instance: Check | None, fields: dict) -> dict:
    """The rules of a check whatever the path (page, API); returns the fields to write."""
    base = instance if instance is not None else Check()
    merged = {name: getattr(base, name) for name in ("name", "kind", "spec", "interval", "retry_interval")}
    merged |= {name: getattr(base, name) for name in ("fail_after", "recover_after", "is_reference")}
    merged |= {name: getattr(base, name) for name in DAMPING_FIELDS}
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
    _check_damping(merged)
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
    _keep_template_fields(check, fields)
    fields = _check_check(check, fields)
    return update_record(check, actor=actor, expected_version=expected_version, **fields)


def _keep_template_fields(check: Check, fields: dict) -> None:
    """A check made from a template takes these fields from it: a different value is refused, naming the
    field and the template (sending the same value back, as a form does, is fine)."""
    if check.template_id is None:
        return
    for name in TEMPLATE_OWNED:
        if name in fields and fields[name] != getattr(check, name):
            raise DomainError(
                _("This check follows the template “%(template)s”: change this field on the template.")
                % {"template": check.template},
                field=name,
            )


@transaction.atomic
def delete_check(check: Check, *, actor) -> None:
    """A check goes with its results (machine data); a reference others depend on leaves them without."""
    require_manage_checks(actor, check.unit_id)
    delete_record(check, actor=actor)


# -- running checks (machine data) ----------------------------------------------------------------

# The beat ticks every 10 s: each tick claims what falls due before the next one, with half a tick's margin
# for a tick that comes late (the dispatch task waits for a free worker thread like any other), and the
# worker starts each probe at its slot, so a check starts on time, not up to a tick late.
DISPATCH_AHEAD = datetime.timedelta(seconds=15)
BATCH_SIZE = 50  # checks per run_checks task
# The slots of one batch lie within this: a worker thread waits at most that long for its last slot.
BATCH_SPAN = datetime.timedelta(milliseconds=500)
PROBE_CONCURRENCY = 50  # probes in flight at once in one batch (probes.run_batch's bound)


def _spec_of(check: Check) -> dict:
    return {**(check.spec or {}), "type": check.kind}


def _run_async(coro):
    """Run a coroutine to its end in an event loop of its own (in a thread when this one already runs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _probe_all(jobs: list[tuple[dict, datetime.datetime | None]], concurrency: int):
    """Probe each (spec, slot) concurrently, at most `concurrency` in flight, each starting at its slot
    (at once when the slot has passed); answers (start time, result) in the order of `jobs`. The start is
    taken when the probe gets its turn, and the probe times only its own connect and request, so neither
    the queue nor the wait for a turn is counted as the target's latency."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(spec, slot):
        if slot is not None:
            wait = (slot - timezone.now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
        async with semaphore:
            started = timezone.now()
            return started, await probes.run(spec)

    return await asyncio.gather(*(one(spec, slot) for spec, slot in jobs))


def run_check(check_id: int, *, slot: datetime.datetime | None = None, now=None) -> CheckResult | None:
    """Run a check's probe once and record the outcome (:func:`record_outcomes`). `slot` is the scheduled
    time the dispatcher claimed (None: a "test now", run at once). Returns None for a check deleted
    meanwhile or a slot already recorded."""
    check = Check.objects.filter(pk=check_id).first()
    if check is None or (slot is not None and _recorded(check_id, slot)):
        return None
    started, outcome = _run_async(_probe_all([(_spec_of(check), slot)], 1))[0]
    recorded = record_outcomes([(check_id, outcome, now or started, slot)])
    return recorded[0] if recorded else None


def run_checks(batch, *, concurrency: int = PROBE_CONCURRENCY) -> list[CheckResult]:
    """Run a batch of claimed (check id, slot) pairs: every probe concurrently (at most `concurrency` in
    flight, each started at its slot), then the outcomes recorded by :func:`record_outcomes`, the path a
    single run takes. A pair already recorded (a retried task) is not run again; a check deleted meanwhile
    is left out."""
    pairs = [(int(pk), _moment(slot)) for pk, slot in batch]
    checks = Check.objects.in_bulk([pk for pk, _slot in pairs])
    recorded = CheckResult.objects.filter(active_check_id__in=checks, slot__in=[slot for _pk, slot in pairs])
    done = set(recorded.values_list("active_check_id", "slot"))
    jobs = [(pk, slot) for pk, slot in pairs if pk in checks and (pk, slot) not in done]
    outcomes = _run_async(_probe_all([(_spec_of(checks[pk]), slot) for pk, slot in jobs], concurrency))
    runs = [
        (pk, outcome, started, slot) for (pk, slot), (started, outcome) in zip(jobs, outcomes, strict=True)
    ]
    return record_outcomes(runs)


def _moment(value) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


def _recorded(check_id: int, slot: datetime.datetime) -> bool:
    return CheckResult.objects.filter(active_check_id=check_id, slot=slot).exists()


def record_outcomes(runs) -> list[CheckResult]:
    """Store probe outcomes — (check id, result, start time, slot or None) in the order they ran — as
    the checks' results, feed each check's damping, record its events and tell the item's team of a
    down, an up after down, flapping started or stopped, and a reminder while down. While a check fails
    short of down, its next run comes a retry interval after the slot, else the slot the dispatcher
    already stored stands.

    One transaction for the lot, the checks' rows locked in id order (so two batches never deadlock;
    the dispatcher passes over locked rows rather than waiting): a batch costs one insert of its
    results, one update per check and one commit, not five queries and a commit per run. A check
    deleted meanwhile is left out, and so is a slot recorded already (the unique constraint on check and
    slot is the last guard against a run counted twice)."""
    if not runs:
        return []
    ids = sorted({pk for pk, *_rest in runs})
    results: list[CheckResult] = []
    events: list[CheckEvent] = []
    tells: list[tuple[int, str, datetime.datetime, str]] = []
    with transaction.atomic():
        locked = Check.objects.select_for_update(of=("self",)).select_related("reference").filter(pk__in=ids)
        checks = {check.pk: check for check in locked.order_by("pk")}
        slots = [slot for *_rest, slot in runs if slot is not None]
        done = set(
            CheckResult.objects.filter(active_check_id__in=ids, slot__in=slots).values_list(
                "active_check_id", "slot"
            )
        )
        for pk, outcome, started, slot in runs:
            check = checks.get(pk)
            if check is None or (slot is not None and (pk, slot) in done):
                continue
            done.add((pk, slot))
            results.append(
                CheckResult(
                    active_check=check,
                    at=started,
                    slot=slot,
                    status=str(outcome.status),
                    latency_ms=outcome.latency_ms,
                    reason=(outcome.reason or "")[:500],
                    method=(outcome.method or "")[:30],
                    cert_days_left=(outcome.details or {}).get("cert_days_left"),
                )
            )
            stepped = _step(check, outcome, started, slot)
            if stepped is None:
                continue  # an older run finishing late: its result is kept, the damping has moved on
            for event in stepped.events:
                events.append(
                    CheckEvent(
                        active_check=check,
                        at=event.at,
                        kind=event.kind.value,
                        state=stepped.state.state.value,
                        reason=(event.reason or "")[:500],
                    )
                )
                if event.tells:  # down, up after down, flapping
                    tells.append((pk, event.kind.value, event.at, event.reason))
            if stepped.reminder_due:  # still down a reminder period after it was last told
                tells.append((pk, "reminder", started, stepped.state.reason))
        CheckResult.objects.bulk_create(results)
        CheckEvent.objects.bulk_create(events)
        for pk, state, at, reason in tells:  # notify queues its deliveries on the commit
            _tell(pk, state, at, reason)
            if state in (CheckEventKind.DOWN, CheckEventKind.UP):
                signal_of(checks[pk], state, at, reason)
    return results


def signal_of(check: Check, state: str, at: datetime.datetime, reason: str) -> None:
    """A damped down fires the check's signal into correlation (one incident per fault, docs/correlation.md),
    an up after down resolves it; unknown never reaches it (it opens nothing)."""
    key = f"check:{check.pk}"
    if state == CheckEventKind.DOWN:
        summary = f"{check.name}: {reason}" if reason else check.name
        signals.fire(source="check", key=key, item=check.item, at=at, summary=summary[:500])
    else:
        signals.resolve(source="check", key=key, at=at)


def record_outcome(
    check_id: int, outcome, started: datetime.datetime, *, slot: datetime.datetime | None = None
) -> CheckResult | None:
    """One outcome through :func:`record_outcomes`."""
    recorded = record_outcomes([(check_id, outcome, started, slot)])
    return recorded[0] if recorded else None


def _step(check: Check, outcome, started: datetime.datetime, slot: datetime.datetime | None):
    """Feed one outcome to the locked check's damping and write the check's new state (kept on `check`
    too, for a second run of it in the same lot); None when the damping has already moved past it."""
    state = damping.DampingState.from_json(check.damping)
    if state.last_at is not None and started < state.last_at:
        return None
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
    for name, value in changes.items():
        setattr(check, name, value)
    return stepped


def _tell(check_id: int, state: str, at: datetime.datetime, reason: str) -> None:
    """Tell of a damped down or up, flapping or a reminder, with the check's name, unit and item as they
    are now."""
    check = Check.objects.select_related("unit", "item").get(pk=check_id)
    tell_check_state(check, state, at=at, reason=reason)


def due_checks(
    now: datetime.datetime, limit: int = 5000, ahead: datetime.timedelta = datetime.timedelta(0)
) -> list[tuple[int, datetime.datetime]]:
    rows = Check.objects.filter(next_run_at__lte=now + ahead).order_by("next_run_at")
    return list(rows.values_list("pk", "next_run_at")[:limit])


def claim(check_id: int, slot: datetime.datetime, now: datetime.datetime) -> bool:
    """Claim the check's run in `slot` by moving its next_run_at to the next slot after `now` (anchored to
    the slots, so the start times do not drift); the row count says whether this caller won."""
    interval = Check.objects.filter(pk=check_id).values_list("interval", flat=True).first()
    return bool(interval) and _claim(check_id, slot, interval, now)


def _claim(check_id: int, slot: datetime.datetime, interval: int, now: datetime.datetime) -> bool:
    step = datetime.timedelta(seconds=interval)
    missed = max(0, int((now - slot) / step))  # slots that passed while nobody ran it are not made up
    following = slot + step * (missed + 1)
    return Check.objects.filter(pk=check_id, next_run_at=slot).update(next_run_at=following) == 1


def batches(claimed: list[tuple[int, datetime.datetime]]) -> list[list[tuple[int, datetime.datetime]]]:
    """The claimed runs in slot order, cut into batches of at most BATCH_SIZE whose slots lie within
    BATCH_SPAN of the batch's first, so a worker holding a batch waits at most that long for its slots."""
    out: list[list[tuple[int, datetime.datetime]]] = []
    for pk, slot in sorted(claimed, key=lambda pair: (pair[1], pair[0])):
        if not out or len(out[-1]) >= BATCH_SIZE or slot - out[-1][0][1] > BATCH_SPAN:
            out.append([])
        out[-1].append((pk, slot))
    return out


def dispatch_due(
    now: datetime.datetime | None = None, limit: int = 5000, ahead: datetime.timedelta = DISPATCH_AHEAD
) -> list[tuple[int, datetime.datetime]]:
    """Claim every check due before the next tick (`now` + `ahead`) once, and queue the claimed runs in
    batches (:func:`batches`), each to be started by a worker at its slot; returns the (id, slot) pairs
    this call claimed.

    Each claim is a conditional update of next_run_at from the slot read to the next slot, so two
    dispatchers never claim one check twice in a slot, on SQLite as on PostgreSQL. On PostgreSQL the due
    rows are read `FOR UPDATE SKIP LOCKED` as well: a dispatcher passes over the rows another is claiming
    instead of waiting for it and then losing every claim (SQLite has no row locks: there the conditional
    update alone decides). A row a worker is recording at that moment (a lock of a few milliseconds) is
    passed over too and claimed by the next tick: on time for intervals longer than the look-ahead, up to
    a tick late for shorter ones."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = (
            Check.objects.filter(next_run_at__lte=now + ahead)
            .order_by("next_run_at", "pk")
            .select_for_update(skip_locked=True)
        )
        claimed = [
            (pk, slot)
            for pk, slot, interval in rows.values_list("pk", "next_run_at", "interval")[:limit]
            if _claim(pk, slot, interval, now)
        ]
        for batch in batches(claimed):
            payload = [(pk, slot.isoformat()) for pk, slot in batch]
            # Queued once the claims are committed; the worker takes it at the batch's first slot.
            transaction.on_commit(
                lambda payload=payload, eta=batch[0][1]: tasks.run_checks.apply_async((payload,), eta=eta)
            )
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
    "flapping_started": {
        "zh-hans": (
            "【检查状态抖动】{name}",
            "{unit}的{item}的检查“{name}”自{at}起在正常与故障之间频繁变化（{reason}）。",
        ),
        "en": (
            "[Check flapping] {name}",
            "The check “{name}” of {item} ({unit}) keeps changing between up and down since {at} ({reason}).",
        ),
    },
    "flapping_stopped": {
        "zh-hans": ("【检查抖动停止】{name}", "{unit}的{item}的检查“{name}”于{at}不再频繁变化（{reason}）。"),
        "en": (
            "[Check steady] {name}",
            "The check “{name}” of {item} ({unit}) stopped flapping at {at} ({reason}).",
        ),
    },
}


def tell_check_state(check: Check, state: str, *, at: datetime.datetime, reason: str = "") -> list:
    """Tell the item's team that the check went down, is still down (a reminder every `remind_every` of
    the damping policy), came up after being down (the damping never makes an "up" without a "down"
    before it), or started or stopped flapping. The recipients are the heartbeat notices' own."""
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
