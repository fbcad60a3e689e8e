"""Demo data of change management (Art. 17–18): the group's standard change templates, a freeze period
around the next public holiday, and six months of changes of every type over the demo units, walked
through the services into every state — drafts, emergencies approved after the fact (one still
overdue), rejections, rollbacks, failures, reviews, and a couple of collisions the leader let through."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.cmdb.models import Item
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from . import services
from .choices import ChangeKind, ChangeType, Decision, ServiceImpact, State
from .models import Change, ChangeTemplate, FreezePeriod

TYPE_DOMAINS = {
    ChangeType.HARDWARE_EXPANSION: "hardware",
    ChangeType.REDUNDANCY_RETROFIT: "hardware",
    ChangeType.SOFTWARE_UPGRADE: "base_software",
    ChangeType.RELOCATION: "hardware",
    ChangeType.DATA_MIGRATION: "base_software",
    ChangeType.DATA_MAINTENANCE: "base_software",
    ChangeType.SPREADSHEET_TEMPLATE: "application",
    ChangeType.DOCUMENT_TEMPLATE: "application",
    ChangeType.SECURITY_POLICY: "network",
    ChangeType.CONFIGURATION: "base_software",
    ChangeType.SYSTEM_STRUCTURE: "application",
    ChangeType.DEPLOYMENT: "application",
}
TITLES = {
    ChangeType.HARDWARE_EXPANSION: "应用服务器扩充内存",
    ChangeType.REDUNDANCY_RETROFIT: "数据库服务器双机热备改造",
    ChangeType.SOFTWARE_UPGRADE: "中间件升级至新版本",
    ChangeType.RELOCATION: "服务器机柜搬迁",
    ChangeType.DATA_MIGRATION: "历史公文数据迁移",
    ChangeType.DATA_MAINTENANCE: "数据库归档与索引重建",
    ChangeType.SPREADSHEET_TEMPLATE: "更新月度报表电子表格模板",
    ChangeType.DOCUMENT_TEMPLATE: "更新红头文件模板",
    ChangeType.SECURITY_POLICY: "调整防火墙访问控制策略",
    ChangeType.CONFIGURATION: "调整连接池配置参数",
    ChangeType.SYSTEM_STRUCTURE: "拆分流程审批模块",
    ChangeType.DEPLOYMENT: "部署新版移动办公客户端",
}
TEMPLATES = [
    ("操作系统安全补丁安装", ChangeType.SOFTWARE_UPGRADE, "按补丁手册逐台安装并重启", "卸载补丁并重启"),
    ("数据库日志归档清理", ChangeType.DATA_MAINTENANCE, "执行归档脚本并核对空间", "从归档恢复"),
    ("公文模板更新", ChangeType.DOCUMENT_TEMPLATE, "上传新模板并发布", "恢复旧模板"),
]
# (month, day, name): fixed-date public holidays; the freeze is around the next one.
HOLIDAYS = [(1, 1, "元旦"), (5, 1, "劳动节"), (10, 1, "国庆节")]
PER_UNIT = 14
DAYS = 182


def _next_holiday(today: datetime.date) -> tuple[datetime.date, str]:
    dates = [
        (datetime.date(year, month, day), name)
        for year in (today.year, today.year + 1)
        for month, day, name in HOLIDAYS
    ]
    return min((d, n) for d, n in dates if d > today + datetime.timedelta(days=3))


class _Walker:
    def __init__(self, admin, lead, leader, rng):
        self.admin, self.lead, self.leader, self.rng = admin, lead, leader, rng

    def approve(self, change, at):
        change = services.decide(change, actor=self.lead, decision=Decision.APPROVED, comment="同意", now=at)
        if services.missing_roles(change):
            change = services.decide(
                change, actor=self.leader, decision=Decision.APPROVED, comment="同意实施", now=at
            )
        return change

    def schedule(self, change, requester, at):
        if services.schedule_blockers(change):
            services.decide(
                change,
                actor=self.leader,
                decision=Decision.APPROVED,
                scope="schedule",
                comment="已协调，同意并行",
                now=at,
            )
        return services.transition(change, to=State.SCHEDULED, actor=requester, now=at)

    def walk(self, change, target: str, requester, submitted_at):
        """Walk `change` (a draft) up to `target`, as people would around its window."""
        if target == State.DRAFT:
            return change
        at = submitted_at
        change = services.transition(change, to=State.SUBMITTED, actor=requester, now=at)
        if change.kind == ChangeKind.EMERGENCY:
            change = services.transition(change, to=State.IMPLEMENTING, actor=requester, now=at)
            if target != State.IMPLEMENTING:  # the one left implementing stays unapproved: overdue
                change = self.approve(change, at + datetime.timedelta(hours=self.rng.randint(2, 20)))
            return self._finish(change, target, requester, change.planned_end)
        if target == State.SUBMITTED:
            return change
        at += datetime.timedelta(hours=self.rng.randint(2, 30))
        if target == State.REJECTED:
            return services.decide(
                change, actor=self.lead, decision=Decision.REJECTED, comment="回退方案不充分，请补充", now=at
            )
        if change.state == State.SUBMITTED:
            change = self.approve(change, at)
        if target == State.APPROVED:
            return change
        change = self.schedule(change, requester, at + datetime.timedelta(hours=1))
        if target == State.SCHEDULED:
            return change
        change = services.transition(change, to=State.IMPLEMENTING, actor=requester, now=change.planned_start)
        return self._finish(change, target, requester, change.planned_end)

    def _finish(self, change, target, requester, end):
        if target == State.IMPLEMENTING:
            return change
        verify_at = change.planned_start + (change.planned_end - change.planned_start) / 2
        change = services.transition(change, to=State.VERIFYING, actor=requester, now=verify_at)
        if target == State.VERIFYING:
            return change
        outcome = {
            State.COMPLETED: State.COMPLETED,
            State.ROLLED_BACK: State.ROLLED_BACK,
            State.FAILED: State.FAILED,
        }.get(target) or self.rng.choices([State.COMPLETED, State.ROLLED_BACK, State.FAILED], [8, 1, 1])[0]
        fields = {
            State.COMPLETED: {"verification_result": "功能测试与性能测试均通过"},
            State.ROLLED_BACK: {"rollback_note": "测试未通过，已按回退方案恢复原状态"},
            State.FAILED: {"failure_note": "厂家补丁与现有版本不兼容，变更失败"},
        }[outcome]
        change = services.transition(change, to=outcome, actor=requester, now=end, **fields)
        if outcome == State.COMPLETED and change.attribute_changes:
            change = services.apply_inventory(change, actor=self.admin, now=end)
        if target == State.REVIEWED:
            change = services.transition(
                change,
                to=State.REVIEWED,
                actor=self.lead,
                review="变更按计划完成，过程记录完整；后续同类变更可参照执行。"
                if outcome == State.COMPLETED
                else "需完善测试环境验证后再行实施。",
                now=end + datetime.timedelta(days=1),
            )
        return change


def _items(unit, change_type, rng, pool) -> list[Item]:
    domain = TYPE_DOMAINS[change_type]
    candidates = pool.get((unit.pk, domain)) or pool.get((unit.pk, "any")) or []
    # Not the core of the network: a demo change reaching every item would make all of them high risk.
    candidates = [item for item in candidates if "CORE" not in item.code] or candidates
    return rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 2]))) if candidates else []


def load(stdout=None) -> dict:
    rng = random.Random(17)
    User = get_user_model()
    admin = User.objects.get(username="admin")
    lead = User.objects.get(username="lead")
    group = Unit.objects.get(kind=UnitKind.GROUP)
    # The group's leader in charge (the org demo's `chief`) approves the risky changes.
    leader = User.objects.get(person__unit=group, person__role_assignments__role=Role.LEADER)
    now = timezone.now()
    templates = [
        services.create(
            ChangeTemplate,
            actor=admin,
            name=name,
            change_type=change_type,
            description=f"{name}（预先批准的标准变更）",
            implementation_plan=plan,
            test_plan="变更后执行冒烟测试",
            rollback_plan=rollback,
        )
        for name, change_type, plan, rollback in TEMPLATES
    ]
    holiday, holiday_name = _next_holiday(timezone.localdate())
    freeze_start = timezone.make_aware(
        datetime.datetime.combine(holiday - datetime.timedelta(days=2), datetime.time())
    )
    freeze = services.create(
        FreezePeriod,
        actor=admin,
        starts_at=freeze_start,
        ends_at=freeze_start + datetime.timedelta(days=9),
        reason=f"{holiday_name}假期封网，非紧急变更暂停",
    )
    pool: dict = {}
    for item in Item.objects.order_by("code"):
        pool.setdefault((item.unit_id, item.domain), []).append(item)
        pool.setdefault((item.unit_id, "any"), []).append(item)
    walker = _Walker(admin, lead, leader, rng)
    types = list(ChangeType)
    # The latest changes of each unit stand in every open state; older ones are done and reviewed.
    recent = [
        State.DRAFT,
        State.SUBMITTED,
        State.APPROVED,
        State.SCHEDULED,
        State.SCHEDULED,
        State.REJECTED,
        State.IMPLEMENTING,
        State.VERIFYING,
    ]
    done = [State.REVIEWED, State.COMPLETED, State.ROLLED_BACK, State.REVIEWED, State.FAILED, State.REVIEWED]
    count = 0
    for unit_index, unit in enumerate(Unit.objects.order_by("code")):
        requester = (
            admin
            if unit.kind == UnitKind.GROUP
            else User.objects.filter(
                person__unit=unit, person__role_assignments__role=Role.UNIT_ADMIN
            ).first()
        )
        if requester is None:
            continue
        for i in range(PER_UNIT):
            change_type = types[(i + unit_index * 5) % len(types)]
            target = recent[i] if i < len(recent) else done[(i + unit_index) % len(done)]
            if target in (State.SCHEDULED, State.APPROVED, State.DRAFT, State.SUBMITTED):
                # Each unit's first scheduled change falls in the coming week (the dashboard's figure).
                days = rng.randint(1, 6) if i == recent.index(State.SCHEDULED) else rng.randint(2, 40)
                start = now + datetime.timedelta(days=days, hours=rng.randint(0, 5))
                start = start.replace(hour=20 + rng.randint(0, 2), minute=0, second=0, microsecond=0)
            elif target == State.IMPLEMENTING:  # an emergency carried out 30 h ago, approval overdue
                start = now - datetime.timedelta(hours=30)
            elif target in (State.VERIFYING, State.REJECTED):
                start = now - datetime.timedelta(hours=rng.randint(1, 3))
            else:
                start = now - datetime.timedelta(days=rng.uniform(3, DAYS))
            kind = ChangeKind.NORMAL
            template = None
            if target == State.IMPLEMENTING or (target == State.REVIEWED and i % 5 == 0):
                kind = ChangeKind.EMERGENCY
            elif i == PER_UNIT - 1:
                kind, template = ChangeKind.STANDARD, templates[unit_index % len(templates)]
                change_type = template.change_type
            items = _items(unit, change_type, rng, pool)
            hours = rng.choice([1, 2, 2, 4])
            impact = rng.choices(list(ServiceImpact.values), [5, 4, 1])[0]
            attribute_changes = None
            server = next((item for item in items if item.type.code == "server"), None)
            if server is not None and change_type == ChangeType.HARDWARE_EXPANSION:
                memory = int(server.attributes.get("memory_gb") or 32)
                attribute_changes = [{"item": server.pk, "attribute": "memory_gb", "value": memory * 2}]
            submitted_at = min(
                start - datetime.timedelta(days=rng.randint(2, 6)), now - datetime.timedelta(hours=4)
            )
            if kind == ChangeKind.EMERGENCY:
                submitted_at = start
            change = services.create_change(
                actor=requester,
                unit=unit,
                title=template.name if template else TITLES[change_type],
                change_type=change_type,
                kind=kind,
                template=template,
                reason="根据运行分析与用户需求实施"
                if kind != ChangeKind.EMERGENCY
                else "故障处置需要，紧急实施",
                implementation_plan="1. 备份配置与数据\n2. 按方案实施\n3. 观察运行情况",
                test_plan="登录、公文流转与关键业务抽查",
                rollback_plan="恢复备份，回退到变更前版本",
                affected_items=items,
                planned_start=start,
                planned_end=start + datetime.timedelta(hours=hours),
                service_impact=impact,
                attribute_changes=attribute_changes,
                now=min(submitted_at, now) - datetime.timedelta(hours=2),
            )
            walker.walk(change, target, requester, submitted_at)
            count += 1
        # A collision the leader let through: a second change on the same items in the same window.
        scheduled = Change.objects.filter(unit=unit, state=State.SCHEDULED).order_by("pk").first()
        if scheduled is not None and unit_index % 2 == 0:
            twin = services.create_change(
                actor=requester,
                unit=unit,
                title="同步调整相关配置参数",
                change_type=ChangeType.CONFIGURATION,
                reason="配合同一窗口的变更",
                implementation_plan="修改配置并重启服务",
                test_plan="核对配置并抽查业务",
                rollback_plan="恢复原配置",
                affected_items=list(scheduled.affected_items.all()),
                planned_start=scheduled.planned_start + datetime.timedelta(minutes=30),
                planned_end=scheduled.planned_end + datetime.timedelta(minutes=30),
                now=now - datetime.timedelta(days=2),
            )
            walker.walk(twin, State.SCHEDULED, requester, now - datetime.timedelta(days=1))
            count += 1
    # One change the leader allowed into the holiday freeze.
    unit = Unit.objects.filter(kind=UnitKind.UNIT).order_by("code").first()
    requester = User.objects.filter(person__unit=unit, person__role_assignments__role=Role.UNIT_ADMIN).first()
    if unit is not None and requester is not None:
        items = _items(unit, ChangeType.SECURITY_POLICY, rng, pool)
        frozen = services.create_change(
            actor=requester,
            unit=unit,
            title="假期前修补高危漏洞",
            change_type=ChangeType.SECURITY_POLICY,
            reason="上级通报高危漏洞，需在假期内修补",
            implementation_plan="更新防火墙特征库并调整策略",
            test_plan="验证策略命中与业务访问",
            rollback_plan="恢复原策略",
            affected_items=items,
            planned_start=freeze.starts_at + datetime.timedelta(days=1, hours=21),
            planned_end=freeze.starts_at + datetime.timedelta(days=1, hours=23),
            now=now - datetime.timedelta(days=1),
        )
        walker.walk(frozen, State.SCHEDULED, requester, now - datetime.timedelta(hours=20))
        count += 1
    # Emergency changes whose approval the lead refused after the fact (Art. 18): one rolled back as the
    # refusal requires and then reviewed, one still waiting to be rolled back (the dashboard shows it).
    unit = Unit.objects.filter(kind=UnitKind.UNIT).order_by("code").last()
    requester = User.objects.filter(person__unit=unit, person__role_assignments__role=Role.UNIT_ADMIN).first()
    if unit is not None and requester is not None:
        for days, done_too in ((12, True), (0, False)):
            start = now - datetime.timedelta(days=days, hours=5)
            refused = services.create_change(
                actor=requester,
                unit=unit,
                title="紧急调整数据库连接数上限",
                change_type=ChangeType.CONFIGURATION,
                kind=ChangeKind.EMERGENCY,
                reason="连接数耗尽导致登录失败，紧急实施",
                implementation_plan="调高连接数上限并重启数据库服务",
                test_plan="登录与公文流转抽查",
                rollback_plan="恢复原连接数上限",
                affected_items=_items(unit, ChangeType.CONFIGURATION, rng, pool),
                planned_start=start,
                planned_end=start + datetime.timedelta(hours=1),
                now=start - datetime.timedelta(minutes=10),
            )
            refused = services.transition(refused, to=State.SUBMITTED, actor=requester, now=start)
            refused = services.transition(refused, to=State.IMPLEMENTING, actor=requester, now=start)
            refused = services.decide(
                refused,
                actor=lead,
                decision=Decision.REJECTED,
                comment="调整幅度过大，未评估对主机内存的影响，请回退后重新申请",
                now=start + datetime.timedelta(hours=3),
            )
            if done_too:
                refused = services.transition(
                    refused,
                    to=State.ROLLED_BACK,
                    actor=requester,
                    rollback_note="已恢复原连接数上限",
                    now=start + datetime.timedelta(hours=4),
                )
                services.transition(
                    refused,
                    to=State.REVIEWED,
                    actor=lead,
                    review="紧急变更须评估容量影响；已按要求回退，另行申请正常变更。",
                    now=start + datetime.timedelta(days=1),
                )
            count += 1
    if stdout is not None:
        stdout.write(f"Changes: {len(templates)} standard templates, 1 freeze period, {count} changes.")
    return {"templates": templates, "freeze": freeze}
