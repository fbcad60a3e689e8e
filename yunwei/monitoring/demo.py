"""Demo heartbeats and checks (Art. 3, 5, 9): in every unit a nightly database backup, a file backup on a
cron schedule and a cron job, each with three months of runs — among them one backup too small and one too
fast (not trusted), and one backup late now; and active checks on the group's OA items against the demo's
own targets on 127.0.0.1 (demo_targets.py, started by `yunwei serve`): most up, one down, one flapping,
one unknown, each with 90 days of history so its chart shows something on the first start.

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

from . import damping, services
from .choices import HeartbeatState, PingKind, ResultStatus, RollupPeriod
from .demo_targets import Ports, flapping_is_up
from .models import Check, CheckResult, CheckRollup, Heartbeat, HeartbeatRun
from .probes import base as probe_base
from .services import rollups

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
    checks = load_checks(admin, now=now)
    if stdout is not None:
        stdout.write(
            f"Monitoring: {len(heartbeats)} heartbeats, {runs_total} runs; {len(checks)} checks against the "
            "demo targets on 127.0.0.1."
        )
    return {"heartbeats": heartbeats, "checks": checks}


# -- active checks against the demo targets ---------------------------------------------------------

HISTORY_DAYS = 90
HOURLY_DAYS = 31  # hour roll-ups for the last month (the 7 and 30 day charts), day roll-ups before it
RAW_HOURS = 24  # raw results for the last day, roll-ups before it (as the retention leaves them)
CHECK_INTERVAL = 60
SAMPLE = datetime.timedelta(minutes=10)  # the synthetic history older than a day is drawn every 10 minutes


def demo_checks(ports: Ports) -> list[dict]:
    """The demo checks: item code, fields, and `expect` — the status a run against the targets gives
    (`flapping`: up or down as the flapping target's turn)."""
    local = "127.0.0.1"
    return [
        {
            "item": "OA",
            "name": "OA 门户首页",
            "kind": "http",
            "spec": {"url": f"http://{local}:{ports.http}/", "keyword": "OA OK", "timeout": 5},
            "expect": "up",
        },
        {
            "item": "OA-LB",
            "name": "OA 健康检查接口",
            "kind": "http",
            "spec": {
                "url": f"http://{local}:{ports.http}/health",
                "json_path": "$.status",
                "json_op": "eq",
                "json_value": "ok",
                "max_latency_ms": 2000,
                "timeout": 5,
            },
            "expect": "up",
        },
        {
            "item": "OA-DB-1",
            "name": "OA 数据库代理端口",
            "kind": "tcp",
            "spec": {"host": local, "port": ports.tcp, "expect": "220", "timeout": 5},
            "expect": "up",
        },
        {
            "item": "JT-RT-1",
            "name": "出口路由器连通性",
            "kind": "icmp",
            "spec": {"host": local, "fallback_port": ports.tcp, "timeout": 5},
            "expect": "up",
        },
        {
            "item": "OA-FLOW",
            "name": "流程审批模块（时好时坏）",
            "kind": "http",
            "spec": {"url": f"http://{local}:{ports.flapping}/", "expected_status": 200, "timeout": 5},
            "fields": {"fail_after": 2, "recover_after": 1},
            "expect": "flapping",
        },
        {
            "item": "MAIL",
            "name": "企业邮件 SMTP 端口",
            "kind": "tcp",
            "spec": {"host": local, "port": ports.closed, "timeout": 5},
            "fields": {"fail_after": 1},
            "expect": "down",
        },
        {
            "item": "OA",
            "name": "OA 域名解析（内网 DNS）",
            "kind": "dns",
            "spec": {"name": "oa.example.cn", "server": local, "port": ports.dns, "timeout": 2},
            "expect": "unknown",
        },
    ]


DEMO_CHECK_NAMES = [check["name"] for check in demo_checks(Ports.from_base(1))]


def demo_checks_present() -> bool:
    """Whether the demo checks are in the database (then `yunwei serve` runs the demo targets)."""
    return Check.objects.filter(name__in=DEMO_CHECK_NAMES).exists()


_REASONS = {
    ("http", "up"): "HTTP 200",
    ("http", "down"): "HTTP 503, expected 200",
    ("tcp", "up"): "connected",
    ("tcp", "down"): "connection refused by {host}:{port}",
    ("icmp", "up"): "3 of 3 replies",
    ("icmp", "down"): "no echo reply",
    ("dns", "unknown"): "the resolver {server} did not answer within 2 s",
}
_METHODS = {"http": "http", "tcp": "tcp-connect", "icmp": "tcp-connect", "dns": "dns"}


def _status_at(plan: dict, moment: datetime.datetime, now: datetime.datetime, rng: random.Random) -> str:
    """What the check's history says at `moment`: a few short outages for the healthy ones, the flapping
    one's turns (and calm weeks before), the mail port down for the last day and a half, the DNS check
    unknown throughout."""
    expect, ago = plan["expect"], now - moment
    if expect == "unknown":
        return ResultStatus.UNKNOWN
    if expect == "down":
        return ResultStatus.DOWN if ago < datetime.timedelta(hours=36) else ResultStatus.UP
    if expect == "flapping":
        if ago < datetime.timedelta(days=3) or datetime.timedelta(days=20) < ago < datetime.timedelta(
            days=21
        ):
            return ResultStatus.UP if flapping_is_up(moment.timestamp()) else ResultStatus.DOWN
        return ResultStatus.UP
    outages = plan.setdefault("outages", _outages(rng, now))
    return ResultStatus.DOWN if any(a <= moment < b for a, b in outages) else ResultStatus.UP


def _outages(rng: random.Random, now) -> list[tuple]:
    spans = []
    for _ in range(3):
        start = now - datetime.timedelta(days=rng.uniform(1.5, HISTORY_DAYS - 1))
        spans.append((start, start + datetime.timedelta(minutes=rng.choice([10, 25, 45, 90]))))
    return spans


def _latency(plan: dict, moment: datetime.datetime, rng: random.Random) -> float:
    """A latency with a working-day bump (busier 09:00–18:00) and some noise, in ms."""
    base = {"http": 38.0, "tcp": 0.6, "icmp": 0.4, "dns": 2.0}[plan["kind"]]
    hour = timezone.localtime(moment).hour
    busy = 1.6 if 9 <= hour < 18 else 1.0
    return round(base * busy * rng.uniform(0.8, 1.3), 2)


def _reason(plan: dict, status: str) -> str:
    template = _REASONS.get((plan["kind"], status), "")
    return template.format(**plan["spec"]) if template else ""


def _rollups(check: Check, plan: dict, period: str, start, end, now, rng) -> list[CheckRollup]:
    """Synthetic hour or day roll-ups over [start, end), sampled every SAMPLE (an hour) or every half
    hour (a day): machine data written directly."""
    rows, moment = [], start
    sample = SAMPLE if period == RollupPeriod.HOUR else datetime.timedelta(minutes=30)
    while moment < end:
        following = (
            moment + rollups.HOUR if period == RollupPeriod.HOUR else rollups.day_of(moment + DAY_AND_HALF)
        )
        row = CheckRollup(active_check=check, period=period, start=moment)
        latency = _latency(plan, moment + datetime.timedelta(hours=10), rng)
        at = moment
        while at < following:
            field = rollups.SECONDS_FIELDS[_status_at(plan, at, now, rng)]
            setattr(row, field, getattr(row, field) + sample.total_seconds())
            at += sample
        row.runs = int((following - moment).total_seconds() // CHECK_INTERVAL)
        row.latency_count = int(row.up_seconds // CHECK_INTERVAL)
        row.latency_sum_ms = latency * row.latency_count
        row.latency_max_ms = round(latency * 1.4, 2) if row.latency_count else None
        rows.append(row)
        moment = following
    return rows


def _raw(check: Check, plan: dict, start, now, rng) -> list[CheckResult]:
    results, moment = [], start
    while moment < now:
        status = _status_at(plan, moment, now, rng)
        results.append(
            CheckResult(
                active_check=check,
                at=moment,
                status=status,
                latency_ms=_latency(plan, moment, rng) if status == ResultStatus.UP else None,
                reason=_reason(plan, status),
                method=_METHODS[plan["kind"]],
            )
        )
        moment += datetime.timedelta(seconds=CHECK_INTERVAL)
    return results


DAY_AND_HALF = datetime.timedelta(hours=36)


def _settle_check(check: Check, results: list[CheckResult]) -> None:
    """Put the check where its history leaves it, as the runs would have (the damping replayed; no
    notices: it is history)."""
    policy = services.policy_of(check)
    state = damping.DampingState()
    for result in results:
        outcome = probe_base.ProbeResult(
            probe_base.Status(result.status), result.reason, result.latency_ms, result.method
        )
        state = damping.step(policy, state, outcome, result.at).state
    Check.objects.filter(pk=check.pk).update(
        damping=state.as_json(),
        state=state.state.value,
        state_reason=state.reason[:500],
        last_run_at=results[-1].at if results else None,
    )


def load_checks(actor, *, now: datetime.datetime | None = None, ports: Ports | None = None) -> list[Check]:
    """The demo checks on the group's OA items (made through the services, audited), with their history
    written as machine data: raw results for the last day, hour and day roll-ups for 90 days."""
    now = now or timezone.now()
    ports = ports or Ports.configured()
    rng = random.Random(3)
    fallback = Item.objects.filter(unit__kind=UnitKind.GROUP).order_by("code").first()
    if fallback is None:
        return []
    checks = []
    raw_start = rollups.hour_of(now - datetime.timedelta(hours=RAW_HOURS))
    history_start = rollups.day_of(now - datetime.timedelta(days=HISTORY_DAYS))
    hourly_start = rollups.day_of(now - datetime.timedelta(days=HOURLY_DAYS))
    for plan in demo_checks(ports):
        item = Item.objects.filter(code=plan["item"]).first() or fallback
        check = services.create(
            Check,
            actor=actor,
            item=item,
            name=plan["name"],
            kind=plan["kind"],
            spec=plan["spec"],
            interval=CHECK_INTERVAL,
            retry_interval=20,
            **plan.get("fields", {}),
        )
        CheckRollup.objects.bulk_create(
            _rollups(check, plan, RollupPeriod.DAY, history_start, hourly_start, now, rng)
            + _rollups(check, plan, RollupPeriod.HOUR, hourly_start, raw_start, now, rng),
            batch_size=1000,
        )
        results = _raw(check, plan, raw_start, now, rng)
        CheckResult.objects.bulk_create(results, batch_size=1000)
        _settle_check(check, results)
        checks.append(check)
    ids = [check.pk for check in checks]
    hour = raw_start
    while hour < rollups.hour_of(now):
        rollups.roll_up_hour(hour, ids)
        hour += rollups.HOUR
    day = hourly_start
    while day <= now:
        rollups.roll_up_day(day)
        day = rollups.day_of(day + DAY_AND_HALF)
    return checks
