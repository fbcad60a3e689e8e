"""Demo data of the problem database (Art. 14–16): six months of problems in every unit, walked through the
services at their own moments — hidden dangers from routine work and inspections, problems from the demo
incidents not fixed for good, some overdue (with their escalations), some solved and awaiting
verification, some verified and archived, and known errors on items the demo incidents touch."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.incidents.choices import State as IncidentState
from yunwei.incidents.models import Incident
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Person, Unit

from . import closing, services
from .choices import State

DAYS = 182
# (title, description, category, nature, item domain, proposed solution, workaround)
HIDDEN_DANGERS = [
    (
        "UPS 电池组老化",
        "巡检发现机房 UPS 电池鼓包，放电时间不足 10 分钟。",
        "machine_room",
        "hidden_danger",
        "machine_room",
        "整组更换 UPS 电池并做放电测试",
        "停电时优先保障核心交换机与数据库服务器供电",
    ),
    (
        "核心交换机单电源运行",
        "日常巡检发现核心交换机一路电源模块故障，处于单电源运行。",
        "network",
        "hidden_danger",
        "network",
        "更换电源模块，双路电源分接不同 PDU",
        "",
    ),
    (
        "数据库备份作业偶发失败",
        "近两周备份日志中有 3 次备份作业超时失败。",
        "base_software",
        "hidden_danger",
        "base_software",
        "调整备份窗口并扩容备份存储",
        "失败后由值班人员手工补做全量备份",
    ),
    (
        "OA 附件存储空间不足",
        "存储使用率已达 87%，按增长趋势两个月内写满。",
        "hardware",
        "hidden_danger",
        "hardware",
        "扩容存储并制定附件归档策略",
        "临时清理过期的临时文件与日志",
    ),
    (
        "防火墙策略冗余",
        "安全检查发现防火墙存在大量过期、重复策略。",
        "security",
        "hidden_danger",
        "network",
        "梳理并清理过期策略，建立策略变更台账",
        "",
    ),
    (
        "公文模板不符合新版格式要求",
        "用户反映公文模板与集团新版公文格式不一致。",
        "application",
        "requirement",
        "application",
        "按新版格式修订公文模板并组织培训",
        "暂由文书手工调整格式",
    ),
    (
        "中间件证书即将到期",
        "巡检发现应用中间件 TLS 证书 40 天后到期。",
        "base_software",
        "hidden_danger",
        "base_software",
        "申请新证书并在维护窗口更换",
        "",
    ),
    (
        "机房空调冷凝水渗漏",
        "有线科巡检发现机房精密空调下方有渗水痕迹。",
        "machine_room",
        "hidden_danger",
        "machine_room",
        "检修空调排水管并加装漏水检测",
        "每日两次人工巡查并放置吸水垫",
    ),
]
INCIDENT_WORKAROUNDS = [
    "重启应用服务可临时恢复，约 2 分钟",
    "切换至备用链路，业务可继续使用",
    "清理会话缓存后用户重新登录即可",
    "将流量切到备用服务器，待厂家更换部件",
]
SOLUTIONS = ["已按方案处理完毕并观察一周无异常", "已更换部件并完成测试", "已完成配置整改并复核通过"]
# For each problem of a unit: (target state, age in days, days from registration to the deadline)
PLAN = [
    (State.ARCHIVED, 170, 30),
    (State.ARCHIVED, 140, 25),
    (State.ARCHIVED, 95, 20),
    (State.SOLVED, 60, 40),
    (State.IN_PROGRESS, 75, 30),  # overdue: escalated to the owner and the lead
    (State.IN_PROGRESS, 35, 33),  # overdue by a day or two: the owner told
    (State.IN_PROGRESS, 20, 45),
    (State.CLASSIFIED, 12, 40),
    (State.REGISTERED, 3, 0),
]


def _people(unit, group) -> tuple[list, list]:
    """Owners (people with accounts: the unit's admin, the group's lead) and collaborators."""
    owners = list(
        Person.objects.filter(
            unit=unit, account__isnull=False, role_assignments__role=Role.UNIT_ADMIN
        ).order_by("pk")
    ) + list(Person.objects.filter(unit=group, role_assignments__role=Role.SYSTEM_LEAD).order_by("pk"))
    helpers = list(Person.objects.filter(unit=group, role_assignments__role=Role.TECH_STAFF).order_by("pk"))
    return owners, helpers or owners


def _walk(problem, target, *, admin, owner, helpers, deadline_days, rng, t, solution):
    """Take one problem through the services up to `target`, hours and days apart, as people would."""
    ceiling = timezone.now() - datetime.timedelta(minutes=5)

    def later(low=1, high=48):
        nonlocal t
        # Never in the future: the recent problems' steps bunch up just before now instead.
        t = min(t + datetime.timedelta(hours=rng.randint(low, high)), ceiling)
        return t

    if target == State.REGISTERED:
        return problem
    classified_on = later(2, 30)
    deadline = timezone.localdate(classified_on) + datetime.timedelta(days=deadline_days)
    for n, text in enumerate(["现场核实与方案评审", "实施整改", "测试验证并观察"], start=1):
        due = timezone.localdate(classified_on) + datetime.timedelta(days=deadline_days * n // 3)
        services.add_step(problem, actor=admin, text=text, due_on=due, now=classified_on)
    problem = services.transition(
        problem,
        to=State.CLASSIFIED,
        actor=admin,
        owner=owner,
        collaborators=rng.sample(helpers, k=min(2, len(helpers))),
        deadline=deadline,
        priority=rng.choice(["high", "medium", "medium", "low"]),
        now=classified_on,
    )
    if target == State.CLASSIFIED:
        return problem
    problem = services.transition(problem, to=State.IN_PROGRESS, actor=owner.account, now=later(4, 72))
    steps = list(problem.steps.order_by("position"))
    done = len(steps) if target != State.IN_PROGRESS else rng.randint(0, len(steps) - 1)
    for step in steps[:done]:
        services.tick_step(step, actor=owner.account, now=later(24, 24 * deadline_days // 4 + 24))
    if target == State.IN_PROGRESS:
        return problem
    problem = services.transition(
        problem, to=State.SOLVED, actor=owner.account, solution_summary=solution, now=later(2, 48)
    )
    if target == State.SOLVED:
        return problem
    if rng.random() < 0.3:
        problem = services.transition(
            problem, to=State.IN_PROGRESS, actor=admin, comment="复核发现仍有隐患，继续处理", now=later(4, 48)
        )
        problem = services.transition(
            problem, to=State.SOLVED, actor=owner.account, solution_summary=solution, now=later(24, 96)
        )
    return services.transition(
        problem, to=State.ARCHIVED, actor=admin, comment="现场验证通过，移出问题库", now=later(4, 72)
    )


def load(stdout=None) -> dict:
    rng = random.Random(14)
    admin = get_user_model().objects.get(username="admin")
    now = timezone.now()
    group = Unit.objects.filter(kind=UnitKind.GROUP).order_by("pk").first()
    count = known = 0
    for unit in Unit.objects.filter(kind=UnitKind.UNIT).order_by("code"):
        owners, helpers = _people(unit, group)
        # The demo incidents not fixed for good were left restored: each is closed here with the problem
        # registered from it in the same step (Art. 14), as the incident page's problem panel does.
        unfixed = list(
            Incident.objects.filter(
                unit=unit, state=IncidentState.RESTORED, restored_at__lt=now - datetime.timedelta(days=2)
            ).order_by("reported_at")[: len(PLAN) // 2]
        )
        dangers = rng.sample(HIDDEN_DANGERS, k=len(PLAN) - len(unfixed))
        for index, (target, age, deadline_days) in enumerate(PLAN):
            registered_at = now - datetime.timedelta(days=age, hours=rng.randint(0, 12))
            if index % 2 == 1 and unfixed:
                incident = unfixed.pop(0)
                registered_at = max(registered_at, incident.restored_at + datetime.timedelta(hours=1))
                registered_at = min(registered_at, now - datetime.timedelta(hours=1))
                workaround = rng.choice(INCIDENT_WORKAROUNDS)
                problem = closing.close_incident(
                    incident,
                    actor=owners[0].account,
                    resolution_summary=workaround + "，根因待查",
                    register=True,
                    now=registered_at,
                    category="application",
                    proposed_solution="分析根因并彻底消除：" + (incident.cause_detail or incident.title),
                    workaround=workaround,
                )
            else:
                title, description, category, nature, domain, proposed, workaround = dangers.pop()
                items = list(Item.objects.filter(unit=unit, domain=domain).order_by("code")[:2])
                problem = services.register(
                    actor=owners[0].account,
                    unit=unit,
                    title=title,
                    description=description,
                    category=category,
                    proposed_solution=proposed,
                    workaround=workaround,
                    now=registered_at,
                    origin=rng.choice(["routine", "inspection"]),
                    nature=nature,
                    affected_items=items,
                )
            if workaround and target != State.ARCHIVED and rng.random() < 0.7:
                problem = services.publish_workaround(
                    problem, actor=owners[0].account, now=registered_at + datetime.timedelta(hours=3)
                )
                known += 1
            _walk(
                problem,
                target,
                admin=admin,
                owner=owners[index % len(owners)],
                helpers=helpers,
                deadline_days=deadline_days,
                rng=rng,
                t=registered_at,
                solution=rng.choice(SOLUTIONS),
            )
            count += 1
    # The escalation sweep, run day by day over the half year as the scheduler would have.
    escalations = sum(
        services.escalate_overdue(now=now - datetime.timedelta(days=day)) for day in range(DAYS, -1, -1)
    )
    if stdout is not None:
        stdout.write(f"Problems: {count} problems, {known} known errors, {escalations} escalations.")
    return {"problems": count}
