"""The one write path of monitoring's heartbeats (Art. 3, 5, 9): their create, update and delete (people's
acts, audited), the ping intake (machine data, never audited), and the lateness sweep.

A ping is one read of the heartbeat, one insert of its run and one update of the heartbeat, in one
transaction; the view answers after the commit. It never calls the audit chain, so a burst of pings
never queues behind people's audited writes (DESIGN: machine data is not an audited action).

The sweep is Healthchecks' `sendalerts`: candidates read from the stored, indexed deadlines, each claimed
by a conditional update whose row count says whether this worker won, so several workers sweeping at
once tell of each state change once.
"""

import datetime
import re
import uuid as uuid_module
import zoneinfo

from croniter import croniter
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.core.scoping import access_of
from yunwei.notify import services as notify
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit
from yunwei.org.services import accounts_holding

from . import tasks
from .choices import (
    FINISHING_KINDS,
    CheckKind,
    CheckState,
    Distrust,
    HeartbeatState,
    JobKind,
    PingKind,
    ScheduleKind,
)
from .models import Check, CheckResult, Heartbeat, HeartbeatRun

MIN_SECONDS = 60
MAX_SECONDS = 366 * 86400
# A body line `size=<bytes>` reports a backup's size when the header X-Backup-Size is not sent.
SIZE_LINE = re.compile(r"^size=(\d{1,19})\s*$", re.MULTILINE)


# -- who may manage -------------------------------------------------------------------------------


def may_manage(actor, unit_id: int | None) -> bool:
    """The unit's admins and system staff (and the group's) manage its heartbeats; its users see them."""
    return access_of(actor).can_handle_unit(unit_id)


def require_manage(actor, unit_id: int | None) -> None:
    if not may_manage(actor, unit_id):
        raise PermissionDenied(_("You may not manage the heartbeats of this unit."))


# -- schedule -------------------------------------------------------------------------------------


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            _("“%(value)s” is not a known time zone (e.g. Asia/Shanghai).") % {"value": name}, field="tz"
        ) from None


def next_due(heartbeat: Heartbeat, after: datetime.datetime) -> datetime.datetime:
    """When the next good ping is due after one at `after`: a period later, or the cron expression's
    next time read in the heartbeat's own zone (a 02:00 job is 02:00 Shanghai time, across DST too)."""
    if heartbeat.schedule_kind == ScheduleKind.CRON:
        local = after.astimezone(_zone(heartbeat.tz))
        return croniter(heartbeat.cron_expression, local).get_next(datetime.datetime).astimezone(datetime.UTC)
    return after + datetime.timedelta(seconds=heartbeat.period)


def deadlines(heartbeat: Heartbeat, after: datetime.datetime) -> dict:
    due = next_due(heartbeat, after)
    return {"next_due_at": due, "alert_after": due + datetime.timedelta(seconds=heartbeat.grace)}


def _check_seconds(value, field: str) -> None:
    if value is None or not MIN_SECONDS <= int(value) <= MAX_SECONDS:
        raise DomainError(
            _("Give a number of seconds between %(low)s and %(high)s.")
            % {"low": MIN_SECONDS, "high": MAX_SECONDS},
            field=field,
        )


def _check(instance: Heartbeat | None, fields: dict) -> dict:
    """The rules of a heartbeat whatever the path (page, API, demo); returns the fields to write."""
    base = instance if instance is not None else Heartbeat()  # a new one starts from the defaults
    merged = {
        field.name: getattr(base, field.name if field.name not in ("unit", "item") else field.attname)
        for field in Heartbeat._meta.concrete_fields
    }
    if instance is not None:
        merged["unit"], merged["item"] = instance.unit, instance.item
    merged.update(fields)
    unit, item = merged.get("unit"), merged.get("item")
    if not isinstance(unit, Unit):
        raise DomainError(_("Choose the unit."), field="unit")
    if not str(merged.get("name") or "").strip():
        raise DomainError(_("This field is required."), field="name")
    if isinstance(item, Item) and item.unit_id != unit.pk:
        raise DomainError(_("The inventory item belongs to another unit."), field="item")
    _zone(str(merged.get("tz") or ""))
    if merged.get("schedule_kind") == ScheduleKind.CRON:
        expression = str(merged.get("cron_expression") or "").strip()
        if not expression or not croniter.is_valid(expression) or len(expression.split()) != 5:
            raise DomainError(
                _("“%(value)s” is not a cron expression of five fields (minute hour day month weekday).")
                % {"value": expression},
                field="cron_expression",
            )
        fields["cron_expression"] = expression
    else:
        _check_seconds(merged.get("period"), "period")
    _check_seconds(merged.get("grace"), "grace")
    if merged.get("kind") != JobKind.BACKUP:
        for name in ("min_run_time", "min_size"):
            if merged.get(name) is not None:
                raise DomainError(_("Only a backup job declares a minimum run time or size."), field=name)
    return fields


# -- the one write path for people's acts ---------------------------------------------------------


@transaction.atomic
def create(model=Heartbeat, *, actor, **fields) -> Heartbeat | Check:
    if model is Check:
        return create_check(actor=actor, **fields)
    unit = fields.get("unit")
    require_manage(actor, unit.pk if isinstance(unit, Unit) else None)
    return create_record(Heartbeat, actor=actor, **_check(None, fields))


@transaction.atomic
def update(heartbeat: Heartbeat, *, actor, expected_version: int | None = None, **fields) -> Heartbeat:
    if isinstance(heartbeat, Check):
        return update_check(heartbeat, actor=actor, expected_version=expected_version, **fields)
    require_manage(actor, heartbeat.unit_id)
    if "unit" in fields and getattr(fields["unit"], "pk", None) != heartbeat.unit_id:
        require_manage(actor, getattr(fields["unit"], "pk", None))
    fields = _check(heartbeat, fields)
    updated = update_record(heartbeat, actor=actor, expected_version=expected_version, **fields)
    if updated.last_ping_at is not None and updated.state in (HeartbeatState.UP, HeartbeatState.LATE):
        # A new schedule moves the deadlines of the running one; the state follows at the next sweep.
        Heartbeat.objects.filter(pk=updated.pk).update(**deadlines(updated, updated.last_ping_at))
        updated.refresh_from_db()
    return updated


@transaction.atomic
def delete(heartbeat: Heartbeat, *, actor) -> None:
    """A heartbeat with runs is kept: its runs are the unit's backup log (Art. 5), refused as referred to."""
    if isinstance(heartbeat, Check):
        return delete_check(heartbeat, actor=actor)
    require_manage(actor, heartbeat.unit_id)
    delete_record(heartbeat, actor=actor)


# -- the ping intake (machine data) ---------------------------------------------------------------


class UnknownHeartbeat(Exception):
    pass


def parse_size(header: str | None, text: str) -> int | None:
    """The backup's size in bytes: the X-Backup-Size header, else a body line `size=<bytes>`."""
    if header not in (None, ""):
        value = header.strip()
        if not value.isdigit() or len(value) > 19:
            raise DomainError(_("X-Backup-Size must be a whole number of bytes."), field="X-Backup-Size")
        return int(value)
    found = SIZE_LINE.search(text)
    return int(found.group(1)) if found else None


def distrust_of(heartbeat: Heartbeat, run_time, size) -> str:
    """Why a backup's success is not to be trusted, or "" (Art. 5: only a real backup counts)."""
    if heartbeat.kind != JobKind.BACKUP:
        return ""
    if heartbeat.min_run_time:
        if run_time is None:
            return Distrust.NO_RUN_TIME
        if run_time < datetime.timedelta(seconds=heartbeat.min_run_time):
            return Distrust.TOO_FAST
    if heartbeat.min_size:
        if size is None:
            return Distrust.NO_SIZE
        if size < heartbeat.min_size:
            return Distrust.TOO_SMALL
    return ""


def ping(
    heartbeat_uuid,
    kind: str,
    *,
    body: bytes = b"",
    limit: int,
    exit_status: int | None = None,
    size_header: str | None = None,
    remote_addr: str | None = None,
    user_agent: str = "",
    now: datetime.datetime | None = None,
) -> HeartbeatRun:
    """Store one ping as a run and move the heartbeat; raises UnknownHeartbeat for a UUID not known.

    `body` may be longer than `limit` by a byte: that byte says the rest was cut."""
    now = now or timezone.now()
    try:
        key = uuid_module.UUID(str(heartbeat_uuid))
    except ValueError:
        raise UnknownHeartbeat from None
    text = body[:limit].decode("utf-8", errors="replace")
    size = parse_size(size_header, text)
    with transaction.atomic():
        # Locked: a job's start and finish arriving together pair up in order. A unique key, so no sort.
        try:
            heartbeat = Heartbeat.objects.select_for_update().get(uuid=key)
        except Heartbeat.DoesNotExist:
            raise UnknownHeartbeat from None
        run = HeartbeatRun(
            heartbeat=heartbeat,
            kind=kind,
            received_at=now,
            body=text,
            truncated=len(body) > limit,
            exit_status=exit_status,
            size=size,
            remote_addr=remote_addr or None,
            user_agent=(user_agent or "")[:200],
        )
        changes: dict = {"last_ping_at": now}
        new_state = None
        if kind == PingKind.START:
            changes["last_start_at"] = now
        elif kind in FINISHING_KINDS:
            run.succeeded = kind == PingKind.SUCCESS or (kind == PingKind.EXIT_CODE and exit_status == 0)
            started = heartbeat.last_start_at
            if started is not None and started <= now:
                run.started_at, run.run_time = started, now - started
            changes["last_start_at"] = None
            if run.succeeded:
                run.distrust = distrust_of(heartbeat, run.run_time, size)
                run.trusted = not run.distrust
                if run.trusted:  # an untrusted backup never counts: the clock runs on towards late
                    new_state = HeartbeatState.UP
                    changes.update(deadlines(heartbeat, now))
            else:
                new_state = HeartbeatState.DOWN
                changes["alert_after"] = None  # down already: nothing left for the sweep to claim
        run.save()
        tell = new_state == HeartbeatState.DOWN and heartbeat.state != HeartbeatState.DOWN
        tell = tell or (new_state == HeartbeatState.UP and heartbeat.state == HeartbeatState.DOWN)
        if new_state is not None:
            changes["state"] = new_state
        rows = Heartbeat.objects.filter(pk=heartbeat.pk)
        # The notice goes only to the ping that made the change: a sweep or ping in between takes it.
        if tell and rows.filter(state=heartbeat.state).update(**changes) == 1:
            at = now.isoformat()
            transaction.on_commit(lambda: tasks.tell_heartbeat_state.delay(heartbeat.pk, new_state, at))
        else:
            rows.update(**changes)
    return run


# -- the lateness sweep ---------------------------------------------------------------------------


def sweep_candidates(now: datetime.datetime | None = None, limit: int = 1000) -> tuple[list[int], list[int]]:
    """(ids past their grace: to mark down, ids past their due time only: to mark late)."""
    now = now or timezone.now()
    up_or_late = (HeartbeatState.UP, HeartbeatState.LATE)
    down = Heartbeat.objects.filter(state__in=up_or_late, alert_after__lt=now).order_by("alert_after")
    late = Heartbeat.objects.filter(state=HeartbeatState.UP, next_due_at__lt=now, alert_after__gte=now)
    return list(down.values_list("pk", flat=True)[:limit]), list(late.values_list("pk", flat=True)[:limit])


def mark_late(heartbeat_id: int, now: datetime.datetime) -> bool:
    """Past its due time, within its grace: shown late, nobody told yet."""
    return (
        Heartbeat.objects.filter(
            pk=heartbeat_id, state=HeartbeatState.UP, next_due_at__lt=now, alert_after__gte=now
        ).update(state=HeartbeatState.LATE)
        == 1
    )


@transaction.atomic
def mark_down(heartbeat_id: int, now: datetime.datetime) -> bool:
    """Claim the heartbeat's fall past its grace and tell of it; False when another worker (or a ping
    that arrived in between) got there first."""
    claimed = Heartbeat.objects.filter(
        pk=heartbeat_id, state__in=(HeartbeatState.UP, HeartbeatState.LATE), alert_after__lt=now
    ).update(state=HeartbeatState.DOWN)
    if claimed != 1:
        return False
    tell_state(
        Heartbeat.objects.select_related("unit", "item").get(pk=heartbeat_id), HeartbeatState.DOWN, at=now
    )
    return True


def sweep(now: datetime.datetime | None = None) -> int:
    """Mark every heartbeat past its deadlines; returns how many changed state."""
    now = now or timezone.now()
    down, late = sweep_candidates(now)
    return sum(mark_down(pk, now) for pk in down) + sum(mark_late(pk, now) for pk in late)


# -- notices --------------------------------------------------------------------------------------

NOTICES = {
    HeartbeatState.DOWN: {
        "zh-hans": (
            "【心跳中断】{name}",
            "{unit}的作业“{name}”未按时报告成功（应于{due}前），或报告了失败。请检查该作业。",
        ),
        "en": (
            "[Heartbeat down] {name}",
            "The job “{name}” of {unit} has not reported success on time (due by {due}) or reported a "
            "failure. Please check the job.",
        ),
    },
    HeartbeatState.UP: {
        "zh-hans": ("【心跳恢复】{name}", "{unit}的作业“{name}”于{at}重新报告成功。"),
        "en": ("[Heartbeat up] {name}", "The job “{name}” of {unit} reported success again at {at}."),
    },
}


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def recipients_of(heartbeat: Heartbeat) -> list[int]:
    """The team owning its inventory item, when it has members with an account; else the system
    technical staff of its unit and of the group."""
    team_id = heartbeat.item.owner_team_id if heartbeat.item_id else None
    if team_id:
        members = list(
            Person.objects.filter(team_id=team_id, is_active=True, account__isnull=False).values_list(
                "account_id", flat=True
            )
        )
        if members:
            return members
    group_ids = list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    return accounts_holding(Role.TECH_STAFF, [heartbeat.unit_id, *group_ids])


def tell_state(heartbeat: Heartbeat, state: str, *, at: datetime.datetime) -> list:
    """Tell the heartbeat's team that it went down, or came back up after being down (never an "up"
    without a "down" before it: the callers tell only those two changes)."""
    values = {
        "name": heartbeat.name,
        "unit": heartbeat.unit.name,
        "due": _local(heartbeat.next_due_at),
        "at": _local(at),
    }
    templates = NOTICES[state]
    return notify.send(
        event_key=f"heartbeat:{heartbeat.pk}:{state}:{at:%Y%m%dT%H%M%S}",
        unit_id=heartbeat.unit_id,
        recipients=notify.user_recipients(recipients_of(heartbeat)),
        subject={language: s.format(**values) for language, (s, _b) in templates.items()},
        body={language: b.format(**values) for language, (_s, b) in templates.items()},
    )


# -- the backup log (Art. 5, 9) -------------------------------------------------------------------


def backup_log(runs: QuerySet) -> QuerySet:
    """The backup-log records among `runs`: the finishing pings of backup jobs."""
    return runs.filter(heartbeat__kind=JobKind.BACKUP, kind__in=FINISHING_KINDS)


def month_bounds(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of `YYYY-MM` and of the month after, in the site's zone (a log book's month)."""
    try:
        first = datetime.datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise DomainError(_("Give the month as YYYY-MM."), field="month") from None
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return first.replace(tzinfo=zone), following.replace(tzinfo=zone)


# -- active checks (Art. 3) -----------------------------------------------------------------------
#
# People's acts on a check (create, update, delete) are audited; a check's runs are machine data: one
# CheckResult row each and a plain update of the check's state, never an audit event.

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
    from .probes import base as probe_base

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
    from . import damping

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

    from . import probes

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
    from . import damping

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
