"""Demo log books (Art. 5): six months of inspection rounds with their readings in the group and every unit
(a few out of limits, one escalated to a problem, one round missed last month), handover and routine notes,
manual backups, a restore drill, the backup runs monitoring's demo loaded (with their gaps), reviews signed
for the five months before last — one with a late entry recorded as a correction — and last month left
unsigned, and rectifications in every state.

Templates, notes, drills, findings and rectifications go through the services (audited, as people would);
the rounds are history loaded in bulk, each keeping the moment it was walked apart from the moment it was
recorded (the load). The signatures of past months are loaded as history too: what the lead saw is kept,
the same way `services.sign` keeps it, without asking the demo lead for a password.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.core import records
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Team, Unit

from . import facts, services
from .choices import ReviewState
from .models import Reading, ReviewEvent, Round

MONTHS = 6
ROOM_POINTS = [
    {"label": "温度", "kind": "number", "unit_label": "°C", "low": 18, "high": 27},
    {"label": "湿度", "kind": "number", "unit_label": "%", "low": 40, "high": 60},
    {"label": "UPS 负载", "kind": "number", "unit_label": "%", "high": 80},
    {"label": "告警灯无告警", "kind": "boolean"},
]
SERVER_POINTS = [
    {"label": "CPU 峰值", "kind": "number", "unit_label": "%", "high": 85},
    {"label": "磁盘使用率", "kind": "number", "unit_label": "%", "high": 85},
    {"label": "硬件指示灯正常", "kind": "boolean"},
    {"label": "备注", "kind": "text"},
]


def _zone():
    return timezone.get_default_timezone()


def _month_start(today: datetime.date, back: int) -> datetime.date:
    month = today.replace(day=1)
    for _ in range(back):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return month


def _value(point: dict, rng: random.Random, out: bool) -> tuple[str, bool]:
    if point["kind"] == "boolean":
        return ("no", True) if out else ("yes", False)
    if point["kind"] == "text":
        return "正常", False
    low, high = point.get("low"), point.get("high")
    if out:
        return f"{(high or 80) + rng.randint(2, 6):g}", True
    centre = ((low or 0) + (high or 60)) / 2 if low is not None else (high or 60) * 0.5
    return f"{round(centre + rng.uniform(-3, 3), 1):g}", False


def _load_rounds(template, points, performers, first_day, last_day, rng, *, skip=(), out_days=()) -> int:
    """A round every due day from `first_day` to `last_day`, walked at 09:00–10:00 by one of
    `performers`, recorded in bulk (the readings out of limits on `out_days`)."""
    checkpoints = list(template.checkpoints.order_by("position"))
    rounds, plans = [], []
    day = first_day
    while day <= last_day:
        if day.weekday() in template.weekdays and day not in skip:
            walked = datetime.datetime.combine(day, datetime.time(9, rng.randint(0, 59)), tzinfo=_zone())
            rounds.append(
                Round(
                    unit=template.unit,
                    template=template,
                    occurred_at=walked,
                    recorded_at=walked + datetime.timedelta(minutes=rng.randint(1, 20)),
                    performed_by=rng.choice(performers),
                    remarks="",
                )
            )
            plans.append(day in out_days)
        day += datetime.timedelta(days=1)
    rounds = Round.objects.bulk_create(rounds, batch_size=500)
    readings = []
    for round_, out in zip(rounds, plans, strict=True):
        bad = rng.randrange(len(points)) if out else -1
        for index, (point, checkpoint) in enumerate(zip(points, checkpoints, strict=True)):
            value, flagged = _value(point, rng, index == bad and point["kind"] != "text")
            readings.append(Reading(round=round_, checkpoint=checkpoint, value=value, out_of_limits=flagged))
    Reading.objects.bulk_create(readings, batch_size=1000)
    return len(rounds)


def _sign_history(review, lead, at: datetime.datetime):
    """A past month signed as the lead signed it: confirmations, what the lead saw, the audited step."""
    locked = services._locked_review(review)
    for log in ("backup", "daily", "problems"):
        setattr(locked, f"{log}_confirmed_at", at)
    locked.snapshot = services.summary(locked.unit, locked.month)
    locked.state, locked.signed_at, locked.signed_by = ReviewState.SIGNED, at, lead
    records.save_version(
        locked,
        "state",
        "signed_at",
        "signed_by",
        "snapshot",
        *(f"{log}_confirmed_at" for log in ("backup", "daily", "problems")),
    )
    records.log_transition(
        ReviewEvent,
        {"review": locked},
        locked,
        ReviewState.OPEN,
        ReviewState.SIGNED,
        actor=lead,
        at=at,
        factor="password",
    )
    return locked


def load(stdout=None) -> dict:
    rng = random.Random(5)
    users = get_user_model().objects
    lead = users.get(username="lead")
    admin = users.get(username="admin")
    tech = users.get(username="tech")
    group = Unit.objects.get(kind=UnitKind.GROUP)
    units = list(Unit.objects.filter(kind=UnitKind.UNIT).order_by("pk"))
    cable = Team.objects.get(unit=group, code="cable")
    computer_room = Team.objects.get(unit=group, code="computer-room")
    staff = list(
        Person.objects.filter(unit=group, role_assignments__role=Role.TECH_STAFF).distinct().order_by("pk")
    )
    today = timezone.localdate()
    first = _month_start(today, MONTHS)
    last_month = _month_start(today, 1)
    yesterday = today - datetime.timedelta(days=1)
    missed = last_month + datetime.timedelta(days=9)

    templates = []
    room_item = Item.objects.filter(unit=group, type__code="ups").order_by("code").first()
    room = services.create_template(
        actor=admin,
        unit=group,
        team=cable,
        name="集团机房日巡检",
        location=room_item,
        weekdays=list(range(7)),
        checkpoints=ROOM_POINTS,
        active_from=first,
    )
    servers = services.create_template(
        actor=admin,
        unit=group,
        team=computer_room,
        name="计算机室服务器巡检",
        weekdays=[0, 1, 2, 3, 4],
        checkpoints=SERVER_POINTS,
        active_from=first,
    )
    walked = _load_rounds(
        room,
        ROOM_POINTS,
        staff,
        first,
        yesterday,
        rng,
        skip={missed},
        out_days={last_month + datetime.timedelta(days=13)},
    )
    walked += _load_rounds(
        servers, SERVER_POINTS, staff, first, yesterday, rng, out_days={first + datetime.timedelta(days=20)}
    )
    templates += [room, servers]
    for unit in units:
        unit_room = services.create_template(
            actor=admin,
            unit=unit,
            team=cable,
            name=f"{unit.name}机房巡检",
            location=Item.objects.filter(unit=unit, type__code="ups").order_by("code").first(),
            weekdays=[0, 2, 4],
            checkpoints=ROOM_POINTS,
            active_from=first,
        )
        walked += _load_rounds(unit_room, ROOM_POINTS, staff, first, yesterday, rng)
        templates.append(unit_room)
    # The hot reading of last month became a problem in one step (Art. 14: 巡检中发现的隐患).
    hot = (
        Reading.objects.filter(round__template=room, out_of_limits=True)
        .order_by("-round__occurred_at")
        .first()
    )
    if hot is not None:
        services.escalate_reading(hot, to="problem", actor=tech)

    # Handover and routine notes, manual backups and a restore drill.
    notes = 0
    for back in range(MONTHS, 0, -1):
        month = _month_start(today, back)
        for day in (3, 12, 21):
            moment = datetime.datetime.combine(month.replace(day=day), datetime.time(17, 30), tzinfo=_zone())
            services.record_note(
                actor=tech,
                unit=group,
                occurred_at=moment,
                kind="handover",
                text="白班交夜班：机房运行正常，无遗留告警。",
            )
            notes += 1
        services.record_note(
            actor=tech,
            unit=group,
            occurred_at=datetime.datetime.combine(month.replace(day=15), datetime.time(14), tzinfo=_zone()),
            kind="routine",
            text="更换 OA 应用服务器风扇一只；清洁精密空调滤网。",
        )
        notes += 1
    drill_day = datetime.datetime.combine(last_month.replace(day=18), datetime.time(15), tzinfo=_zone())
    services.record_drill(
        actor=tech,
        unit=group,
        occurred_at=drill_day,
        subject="OA 数据库前一日全量备份",
        restored_to="测试服务器 10.10.9.20",
        duration_minutes=47,
        performed_by=staff[0],
        verified_by=lead.person,
        outcome="passed",
        remarks="恢复后抽查 20 份公文，内容完整。",
    )
    for unit in [group, *units[:2]]:
        services.record_backup(
            actor=tech,
            unit=unit,
            occurred_at=datetime.datetime.combine(
                last_month.replace(day=25), datetime.time(20), tzinfo=_zone()
            ),
            subject="OA 附件目录",
            target="移动硬盘（保险柜）",
            ended_at=datetime.datetime.combine(last_month.replace(day=25), datetime.time(21), tzinfo=_zone()),
            size=35 * 1024**3,
            remarks="季度离线备份",
        )

    # Reviews: signed for the months before last, last month left open (overdue once past its day).
    reviews = 0
    findings = []
    for back in range(MONTHS, 1, -1):
        month = _month_start(today, back)
        signed_at = datetime.datetime.combine(
            facts.due_on(month) - datetime.timedelta(days=3), datetime.time(16), tzinfo=_zone()
        )
        for unit in [group, *units]:
            review = services.open_review(unit, month, actor=lead)
            if unit == group and back in (2, 3, 4, 5):
                findings.append(
                    services.add_finding(
                        review,
                        log="daily" if back % 2 else "backup",
                        text={
                            2: "备份作业有一天未留下成功记录，需核查原因。",
                            3: "机房巡检有读数超限未转为问题跟踪。",
                            4: "恢复演练记录缺少验证人签字。",
                            5: "交接班记录有两天未写遗留事项。",
                        }[back],
                        actor=lead,
                    )
                )
            if unit == units[0] and back == 6:
                findings.append(
                    services.add_finding(review, log="problems", text="一项问题超期未升级。", actor=lead)
                )
            _sign_history(review, lead, signed_at)
            reviews += 1
    # A late entry for a signed month: a correction that says what it corrects (Art. 5).
    signed_month = _month_start(today, 2)
    services.record_note(
        actor=tech,
        unit=group,
        occurred_at=datetime.datetime.combine(signed_month.replace(day=8), datetime.time(11), tzinfo=_zone()),
        kind="routine",
        text="更换 UPS 电池组 2 号柜 4 节电池。",
        correction="当日例行工作漏记，补记更换电池一事。",
    )

    # Rectifications in every state.
    deadline = today + datetime.timedelta(days=20)
    owner_user = tech
    states = ["open", "in_progress", "done", "verified", "cancelled"]
    for finding, state in zip(findings, states, strict=False):
        rect = services.rectify(finding, actor=lead, owner=tech.person, deadline=deadline)
        if state in ("in_progress", "done", "verified"):
            rect = services.transition(rect, to="in_progress", actor=owner_user)
        if state in ("done", "verified"):
            rect = services.transition(
                rect, to="done", actor=owner_user, result="已补充记录并在巡检表中加入该项。"
            )
        if state == "verified":
            services.transition(rect, to="verified", actor=lead)
        if state == "cancelled":
            services.transition(rect, to="cancelled", actor=lead, comment="该项已并入问题库跟踪。")
    summary = {
        "templates": len(templates),
        "rounds": walked,
        "notes": notes,
        "reviews": reviews,
        "findings": len(findings),
    }
    if stdout is not None:
        stdout.write(f"Log books: {summary}")
    return summary
