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
from yunwei.core import requeue
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.core.scoping import access_of
from yunwei.notify import services as notify
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit
from yunwei.org.services import accounts_holding

from .. import tasks
from ..choices import (
    FINISHING_KINDS,
    Distrust,
    HeartbeatState,
    JobKind,
    PingKind,
    ScheduleKind,
)
from ..models import Heartbeat, HeartbeatNotice, HeartbeatRun

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
def create_heartbeat(*, actor, **fields) -> Heartbeat:
    unit = fields.get("unit")
    require_manage(actor, unit.pk if isinstance(unit, Unit) else None)
    return create_record(Heartbeat, actor=actor, **_check(None, fields))


@transaction.atomic
def update_heartbeat(
    heartbeat: Heartbeat, *, actor, expected_version: int | None = None, **fields
) -> Heartbeat:
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
def delete_heartbeat(heartbeat: Heartbeat, *, actor) -> None:
    """A heartbeat with runs is kept: its runs are the unit's backup log (Art. 5), refused as referred to."""
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
            # Recorded with the change: if the task below is lost, the sweep tells it (tell_untold).
            notice = HeartbeatNotice.objects.create(heartbeat=heartbeat, state=new_state, at=now)
            transaction.on_commit(lambda: tasks.tell_heartbeat_state.delay(notice.pk), robust=True)
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


@transaction.atomic
def tell_change(notice_id: int) -> bool:
    """Tell the state change a ping recorded, once: claimed by a conditional update committed with the
    notice, so a second task (the sweep's, a late original) finds it told; False when it was."""
    untold = HeartbeatNotice.objects.filter(pk=notice_id, told_at__isnull=True)
    if untold.update(told_at=timezone.now()) != 1:
        return False
    notice = HeartbeatNotice.objects.select_related("heartbeat__unit", "heartbeat__item").get(pk=notice_id)
    tell_state(notice.heartbeat, notice.state, at=notice.at)
    return True


def tell_untold(now: datetime.datetime | None = None) -> int:
    """Tell the changes recorded past REQUEUE_AFTER and still untold (their task was lost); returns how
    many were told."""
    waiting = HeartbeatNotice.objects.filter(told_at__isnull=True, created_at__lt=requeue.waited_since(now))
    return sum(tell_change(pk) for pk in waiting.order_by("pk").values_list("pk", flat=True)[: requeue.BATCH])


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
