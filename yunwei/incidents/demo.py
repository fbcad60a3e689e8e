"""Demo data of fault handling: six months of incidents in every state, grade and cause under the
group's shipped emergency plans (walked through the services, with their checklists, notices and
escalations), and drills of the plans. Faults not fixed for good are left restored: the problem
database's demo closes them with their problems."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.core.errors import TransitionNotAllowed
from yunwei.org.choices import UnitKind
from yunwei.org.models import Person, Unit

from . import services
from .choices import Cause, DrillState, Grade, State
from .models import Drill, EmergencyPlan

CAUSE_STEPS = {
    Cause.POWER: ["确认市电与UPS状态", "切换至备用电源回路", "通知有线科检查配电柜", "逐台恢复设备供电"],
    Cause.SERVER: [
        "登录管理口确认硬件告警",
        "将业务切换至备用服务器",
        "更换故障部件或联系厂家",
        "恢复主服务器",
    ],
    Cause.STORAGE: ["检查存储控制器与链路", "确认数据一致性", "切换至备用存储或恢复快照", "重新挂载业务卷"],
    Cause.NETWORK: ["定位故障链路与设备", "切换备用链路", "检查交换机与防火墙配置", "恢复主链路"],
    Cause.APPLICATION: ["查看应用与中间件日志", "重启应用服务", "回退最近的变更", "清理缓存与会话"],
    Cause.OTHER: ["召集技术人员会商", "按影响范围隔离故障", "实施修复方案"],
}
VERIFICATION = ["登录与单点认证正常", "公文流转全流程测试通过", "关键业务数据核对无误"]
SUMMARIES = [
    "重启服务后恢复",
    "更换故障硬盘后恢复",
    "切换备用链路后恢复",
    "回退补丁后恢复",
    "厂家工程师现场处理后恢复",
]
TITLES = {
    Cause.POWER: "机房市电中断",
    Cause.SERVER: "应用服务器宕机",
    Cause.STORAGE: "存储阵列控制器故障",
    Cause.NETWORK: "办公网络中断",
    Cause.APPLICATION: "OA 系统无法登录",
    Cause.OTHER: "OA 访问缓慢",
}
CAUSE_DOMAINS = {"power": "machine_room", "server": "hardware", "storage": "hardware", "network": "network"}
PER_UNIT = 28
DAYS = 182


def _plans(actor) -> dict:
    """The plan in force for each grade and cause: the shipped ones (migration 0008), never duplicated; a
    plan is written here only where the group has none in force."""
    plans = {}
    for grade in (Grade.II, Grade.III):
        for cause in Cause:
            plan = (
                EmergencyPlan.objects.filter(grade=grade, cause_category=cause, is_active=True)
                .order_by("code")
                .first()
            )
            if plan is None:
                steps = [
                    {"text": text, "role": "tech_staff", "minutes": 10 + 5 * i}
                    for i, text in enumerate(CAUSE_STEPS[cause])
                ]
                plan = services.create(
                    EmergencyPlan,
                    actor=actor,
                    code=f"demo-{cause.value}-{grade.value.lower()}",
                    title=f"{cause.label}故障{'Ⅱ' if grade == Grade.II else 'Ⅲ'}级应急预案",
                    grade=grade,
                    cause_category=cause,
                    suspend_service=grade == Grade.II and cause != Cause.OTHER,
                    steps=steps,
                    verification=VERIFICATION,
                )
            plans[(grade, cause.value)] = plan
    return plans


# The open incidents of a unit, one per open state (reported twice), reported this many hours ago (low,
# high): on a normal day a fault is a few hours old, and only some have missed a deadline.
OPEN_AGE_HOURS = [(0.1, 0.4), (0.6, 3), (1, 4), (2, 6), (6, 10), (8, 16)]


def _walk(incident, target: str, plans: dict, actor, rng: random.Random, t: datetime.datetime, cause: str):
    """Walk one incident through the services up to `target`, minutes apart, as staff would."""
    order = [
        State.ACKNOWLEDGED,
        State.DIAGNOSING,
        State.REPAIRING,
        State.VERIFYING,
        State.RESTORED,
        State.CLOSED,
    ]

    def later(low=3, high=40):
        nonlocal t
        t += datetime.timedelta(minutes=rng.randint(low, high))
        return t

    for step in order[: order.index(target) + 1] if target != State.REPORTED else []:
        if step == State.REPAIRING:
            plan = plans[(incident.grade, cause)]
            incident = services.activate_plan(
                incident, actor=actor, plan=plan, cause_category=cause, now=later(1, 5)
            )
            if plan.suspend_service:
                try:
                    services.send_notice(incident, "suspension", actor=actor, now=later(1, 5))
                except TransitionNotAllowed:
                    # 化工公司 has no clerk and no office channel: the notice would reach nobody there, so it
                    # is refused (Art. 13) and the fault waits in diagnosing until the unit names a clerk.
                    return incident
            incident = services.transition(
                incident, to=step, actor=actor, now=later(), cause_category=cause, cause_detail=TITLES[cause]
            )
            if rng.random() < 0.4 and services.engineer_for(incident)[1] is not None:
                escalation = services.escalate(
                    incident, actor=actor, mode=rng.choice(["remote", "on_site"]), now=later()
                )
                if rng.random() < 0.8:
                    services.record_arrival(escalation, actor=actor, now=later(20, 90))
            continue
        if step == State.VERIFYING:
            for item in incident.checklist.filter(kind="step"):
                services.tick(item, actor=actor, now=later(5, 30))
        if step == State.RESTORED:
            checks = list(incident.checklist.filter(kind="verification"))
            if rng.random() < 0.15:
                services.tick(checks[-1], actor=actor, passed=False, note="测试未通过", now=later())
                incident = services.transition(
                    incident, to=State.REPAIRING, actor=actor, comment="验证失败，继续修复", now=later()
                )
                incident = services.transition(incident, to=State.VERIFYING, actor=actor, now=later(10, 60))
            for item in checks:
                services.tick(item, actor=actor, now=later(2, 10))
        fields = {}
        if step == State.CLOSED:
            if rng.random() >= 0.75:
                # Not fixed for good: it stays restored here; the problem database's demo closes it with
                # the problem it registers from it (Art. 14), as the incident page's problem panel does.
                break
            fields = {"resolution_summary": rng.choice(SUMMARIES), "fixed_for_good": True}
        incident = services.transition(incident, to=step, actor=actor, now=later(), **fields)
    return incident


def load(stdout=None) -> dict:
    rng = random.Random(12)
    actor = get_user_model().objects.get(username="admin")
    plans = _plans(actor)
    now = timezone.now()
    causes = list(Cause.values)
    count = 0
    for unit in Unit.objects.order_by("code"):
        apps = list(Item.objects.filter(unit=unit, domain="application").order_by("code")) or list(
            Item.objects.filter(unit__kind=UnitKind.GROUP, domain="application").order_by("code")[:3]
        )
        own_apps = [app for app in apps if app.unit_id == unit.pk]
        # The equipment behind a cause, with a maintenance contract: its vendor's engineer is called in.
        contracted = {
            domain: list(
                Item.objects.filter(unit=unit, domain=domain, contract__engineer__isnull=False).order_by(
                    "code"
                )[:3]
            )
            for domain in CAUSE_DOMAINS.values()
        }
        reporters = list(get_user_model().objects.filter(person__unit=unit).order_by("pk")) or [actor]
        for i in range(PER_UNIT):
            cause = causes[(i + unit.pk) % len(causes)]
            if i < len(OPEN_AGE_HOURS):
                age = datetime.timedelta(hours=rng.uniform(*OPEN_AGE_HOURS[i]))
            else:
                age = datetime.timedelta(days=rng.uniform(2, DAYS))
            reported_at = now - age
            scope = rng.choices(
                ["one_user", "one_department", "one_unit", "several_units", "whole_group"], [4, 4, 3, 1, 1]
            )[0]
            if i < len(OPEN_AGE_HOURS):  # the latest few stand in every open state
                target = [
                    State.REPORTED,
                    State.REPORTED,
                    State.ACKNOWLEDGED,
                    State.DIAGNOSING,
                    State.REPAIRING,
                    State.VERIFYING,
                ][i]
            else:
                target = State.CLOSED if rng.random() < 0.9 else State.RESTORED
            incident = services.report(
                actor=rng.choice(reporters),
                unit=unit,
                title=TITLES[cause],
                description="用户反映无法正常使用，请尽快处理。",
                impact_scope=scope,
                started_at=reported_at - datetime.timedelta(minutes=rng.randint(1, 30)),
                affected_items=([rng.choice(own_apps)] if own_apps else [])
                + contracted.get(CAUSE_DOMAINS.get(cause), [])[:1],
                now=reported_at,
            )
            _walk(incident, target, plans, actor, rng, reported_at, cause)
            count += 1
        people = list(Person.objects.filter(unit=unit).order_by("pk")[:4])
        for n, (grade, cause) in enumerate(
            [(Grade.II, "power"), (Grade.III, "network"), (Grade.II, "application")]
        ):
            done = n < 2
            plan = plans[(grade, cause)]
            services.create(
                Drill,
                actor=actor,
                unit=unit,
                plan=plan,
                scheduled_for=now + datetime.timedelta(days=-60 * (2 - n) if done else 20),
                participants=people,
                state=DrillState.DONE if done else DrillState.SCHEDULED,
                step_timings=[
                    {"step": s["text"], "minutes": s.get("minutes", 10) + rng.randint(-3, 8)}
                    for s in plan.steps
                ]
                if done
                else [],
                findings="备用线路切换比预案多用了 5 分钟，需补充操作手册。" if done else "",
            )
    # What the power drills found goes into their plan: its second version, shown on the plan's page
    # beside the drills that rehearsed the first.
    power = plans[(Grade.II, "power")]
    steps = [*power.steps, {"text": "按操作手册切换备用线路并记录用时", "role": "tech_staff", "minutes": 10}]
    plans[(Grade.II, "power")] = services.update(power, actor=actor, steps=steps)
    if stdout is not None:
        stdout.write(f"Incidents: {len(plans)} emergency plans, {count} incidents, drills for every unit.")
    return {"plans": plans}
