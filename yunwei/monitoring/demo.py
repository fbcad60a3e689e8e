"""Demo heartbeats (Art. 3, 5, 9): in every unit a nightly database backup, a file backup on a cron schedule
and a cron job, each with three months of runs — among them one backup too small and one too fast (not
trusted), and one backup late now.

The heartbeats are made through the services (audited, as a person would); their runs are history loaded
in bulk, the way a log book filled in later is: each run keeps the moment it happened (`received_at`)
apart from the moment it was recorded (the load).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import services
from .choices import HeartbeatState, PingKind
from .models import Heartbeat, HeartbeatRun

DAYS = 92
MB = 1024 * 1024


def _jobs(unit: Unit) -> list[dict]:
    database = (
        Item.objects.filter(unit=unit, domain="base_software").order_by("code").first()
        or Item.objects.filter(unit=unit).order_by("code").first()
    )
    return [
        {
            "name": f"{unit.name}数据库夜间全量备份",
            "kind": "backup",
            "item": database,
            "schedule_kind": "period",
            "period": 86400,
            "grace": 7200,
            "min_run_time": 300,
            "min_size": 500 * MB,
            "description": "pg_dump 全量备份，完成后上报大小（X-Backup-Size）。",
        },
        {
            "name": f"{unit.name}文件服务器增量备份",
            "kind": "backup",
            "schedule_kind": "cron",
            "cron_expression": "0 1 * * *",
            "tz": "Asia/Shanghai",
            "grace": 3600,
            "min_run_time": 60,
            "min_size": 10 * MB,
            "description": "rsync 增量备份到备份存储，每天 01:00。",
        },
        {
            "name": f"{unit.name}OA 日志清理",
            "kind": "cron",
            "schedule_kind": "cron",
            "cron_expression": "30 3 * * *",
            "tz": "Asia/Shanghai",
            "grace": 1800,
            "description": "清理 30 天前的应用日志。",
        },
    ]


def _runs(heartbeat: Heartbeat, rng: random.Random, now: datetime.datetime, *, last_at, flaws: dict) -> list:
    """A start/finish pair a day for DAYS days, the last finishing at `last_at`; `flaws` maps a day back
    to what went wrong that day ("small", "fast", "fail")."""
    runs = []
    backup = heartbeat.kind == "backup"
    for day in range(DAYS, -1, -1):
        # A minute of jitter at most: a cron job still finishes after its scheduled time.
        finished = last_at - datetime.timedelta(days=day, seconds=rng.randint(0, 60))
        if finished > now:
            continue
        flaw = flaws.get(day)
        run_time = datetime.timedelta(seconds=rng.randint(600, 1500) if backup else rng.randint(5, 40))
        size = rng.randint(700, 900) * MB if heartbeat.min_size and heartbeat.min_size >= 100 * MB else None
        if backup and size is None:
            size = rng.randint(20, 80) * MB
        if flaw == "fast":
            run_time = datetime.timedelta(seconds=12)
        if flaw == "small":
            size = 4096
        started = finished - run_time
        runs.append(HeartbeatRun(heartbeat=heartbeat, kind=PingKind.START, received_at=started))
        finish = HeartbeatRun(
            heartbeat=heartbeat,
            kind=PingKind.FAIL if flaw == "fail" else PingKind.SUCCESS,
            received_at=finished,
            started_at=started,
            run_time=run_time,
            succeeded=flaw != "fail",
            size=size if backup else None,
            body=(f"done\nsize={size}\n" if backup else "removed old logs\n"),
            remote_addr="10.10.1.20",
            user_agent="curl/8.5.0",
        )
        if finish.succeeded and backup:
            finish.distrust = services.distrust_of(heartbeat, run_time, size)
            finish.trusted = not finish.distrust
        runs.append(finish)
    return runs


def _settle(heartbeat: Heartbeat, runs: list, now: datetime.datetime) -> None:
    """Put the heartbeat where its last good run leaves it: up, late or down, as the sweep would."""
    good = [r for r in runs if r.kind == PingKind.SUCCESS and r.trusted]
    last = max(r.received_at for r in runs)
    fields = {"last_ping_at": last}
    if good:
        fields.update(services.deadlines(heartbeat, good[-1].received_at))
        if fields["alert_after"] < now:
            fields["state"] = HeartbeatState.DOWN
        elif fields["next_due_at"] < now:
            fields["state"] = HeartbeatState.LATE
        else:
            fields["state"] = HeartbeatState.UP
    Heartbeat.objects.filter(pk=heartbeat.pk).update(**fields)


def load(stdout=None) -> dict:
    rng = random.Random(21)
    admin = get_user_model().objects.get(username="admin")
    now = timezone.now()
    units = list(Unit.objects.filter(kind__in=[UnitKind.GROUP, UnitKind.UNIT]).order_by("pk"))
    runs_total = 0
    heartbeats = []
    for index, unit in enumerate(units):
        for number, job in enumerate(_jobs(unit)):
            heartbeat = services.create(Heartbeat, actor=admin, unit=unit, **job)
            if heartbeat.schedule_kind == "cron":
                # The last run at the schedule's latest time before now.
                last_at = services.next_due(heartbeat, now - datetime.timedelta(days=1))
                if last_at > now:
                    last_at -= datetime.timedelta(days=1)
                last_at += datetime.timedelta(minutes=rng.randint(2, 20))
                last_at = min(last_at, now - datetime.timedelta(minutes=1))
            else:
                last_at = now - datetime.timedelta(hours=rng.randint(2, 12))
            flaws = {}
            if index == 0 and number == 0:
                flaws = {3: "small", 17: "fast", 40: "fail"}
                # Late now: the last good backup finished a day and an hour ago (the grace still runs).
                last_at = now - datetime.timedelta(days=1, hours=1)
            elif number == 1 and index == 1:
                flaws = {9: "fast"}
            runs = _runs(heartbeat, rng, now, last_at=last_at, flaws=flaws)
            HeartbeatRun.objects.bulk_create(runs, batch_size=500)
            _settle(heartbeat, runs, now)
            heartbeats.append(heartbeat)
            runs_total += len(runs)
    if stdout is not None:
        stdout.write(f"Monitoring: {len(heartbeats)} heartbeats, {runs_total} runs.")
    return {"heartbeats": heartbeats}
