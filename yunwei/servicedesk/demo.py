"""Demo data of the service desk (Art. 9–10): four months of requests of every type and state in every
unit, walked through the services at their own moments — requirements triaged, reviewed, delivered,
merged or rejected (one became a change), support answered, escalated, waiting (one became an incident,
one cites a known error), usage approvals approved and carried out (an account opened through the
accounts service), some overdue, many rated; and reply templates."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import services
from .models import RequestType

DAYS = 120
PER_UNIT = 18
REQUIREMENTS = [
    ("公文处理增加批量打印", "公文"),
    ("门户首页增加通知公告置顶", "门户"),
    ("请假流程增加销假环节", "流程"),
    ("通讯录按部门导出", "通讯录"),
    ("会议室预约与日程同步", "其他"),
]
QUESTIONS = [
    "如何设置出差期间的代理审批人",
    "公文正文无法在线编辑，提示控件未加载",
    "流程到了财务环节后不显示下一步处理人",
    "手机端登录后看不到待办",
    "附件上传到 90% 后失败",
]


def _at(base: datetime.datetime, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    zone = timezone.get_default_timezone()
    moment = timezone.localtime(base, zone) - datetime.timedelta(days=day)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


def load(stdout=None) -> dict:
    User = get_user_model()
    rng = random.Random(26)
    now = timezone.now()
    admin = User.objects.get(username="admin")
    tech = User.objects.get(username="tech")
    types = {t.code: t for t in RequestType.objects.all()}
    counts = {"requests": 0}
    group = Unit.objects.get(kind=UnitKind.GROUP)
    services.create_template(
        actor=admin,
        unit=group,
        name="已收到",
        body="{requester} 您好：您的请求 {code}（{title}）已收到，我们将尽快处理。",
    )
    services.create_template(
        actor=admin,
        unit=group,
        name="请补充信息",
        body="{requester} 您好：处理 {code} 还需要您补充截图和操作步骤。",
    )
    made_change = made_incident = made_known_error = False
    for unit in Unit.objects.filter(kind=UnitKind.UNIT).order_by("code"):
        user = User.objects.get(username=f"{unit.code}-user")
        unit_admin = User.objects.get(username=f"{unit.code}-admin")
        leader = User.objects.get(username=f"{unit.code}-leader")
        services.create_template(
            actor=unit_admin,
            unit=unit,
            name="已解答",
            body="{requester} 您好：{title} 的处理办法已回复，请确认。",
        )
        for n in range(PER_UNIT):
            # Spread over the months; the last three of each unit (one of each kind) are fresh, untouched.
            day = max(int(DAYS * (PER_UNIT - n) / PER_UNIT) - rng.randint(0, 2), 5)
            if n >= PER_UNIT - 3:
                day = 1 + n % 3
            start = _at(now, day, rng.choice([9, 10, 14, 15, 20]), rng.randint(0, 59))
            step = datetime.timedelta(hours=rng.randint(2, 30))
            recent = day < 4
            kind = n % 3
            if kind == 0:
                title, module = REQUIREMENTS[n % len(REQUIREMENTS)]
                sr = services.submit(
                    actor=user,
                    request_type=types["requirement"],
                    title=title,
                    description=f"{unit.name}提出：{title}",
                    data={"module": module},
                    now=start,
                )
                if recent:
                    continue
                sr = services.transition(
                    sr, to="triaged", actor=unit_admin, comment="确有需要", now=start + step
                )
                if day < 45:
                    continue  # waiting for the group's technical review
                outcome = n % 4
                if outcome == 1:
                    services.transition(
                        sr, to="rejected", actor=admin, comment="与系统规划不符", now=start + 2 * step
                    )
                    continue
                if outcome == 2 and n > 3:
                    original = (
                        services.visible(sr.__class__.objects.filter(unit=unit, kind="requirement"), admin)
                        .exclude(pk=sr.pk)
                        .first()
                    )
                    if original is not None:
                        services.transition(
                            sr,
                            to="merged",
                            actor=admin,
                            duplicate_of=original,
                            comment="重复",
                            now=start + 2 * step,
                        )
                        continue
                sr = services.transition(
                    sr,
                    to="accepted",
                    actor=admin,
                    priority=rng.choice(["high", "medium", "low"]),
                    target_release=f"v3.{n % 5}",
                    comment="纳入版本计划",
                    now=start + 2 * step,
                )
                if not made_change:
                    sr = services.make_change(sr, actor=admin, now=start + 2 * step)
                    made_change = True
                if day > 110:
                    sr = services.transition(sr, to="in_progress", actor=tech, now=start + 3 * step)
                    sr = services.transition(
                        sr, to="resolved", actor=tech, comment="已在新版本上线", now=start + 20 * step
                    )
                    services.confirm(sr, actor=user, rating=rng.choice([4, 5, 5, 3]), now=start + 22 * step)
            elif kind == 1:
                title = QUESTIONS[n % len(QUESTIONS)]
                sr = services.submit(
                    actor=user, request_type=types["support"], title=title, description=title, now=start
                )
                if recent:
                    continue
                if not made_incident and n % 5 == 1:
                    services.make_incident(
                        sr, actor=unit_admin, comment="多人反映，按故障处理", now=start + step
                    )
                    made_incident = True
                    continue
                if n % 4 == 1:
                    sr = services.transition(
                        sr, to="escalated", actor=unit_admin, comment="转集团技术人员", now=start + step
                    )
                    handler = tech
                else:
                    sr = services.transition(sr, to="in_progress", actor=unit_admin, now=start + step)
                    handler = unit_admin
                if n % 7 == 4:
                    services.transition(
                        sr, to="waiting_requester", actor=handler, comment="请补充截图", now=start + 2 * step
                    )
                    continue
                if not made_known_error and handler == unit_admin:
                    services.cite_known_error(
                        sr, actor=unit_admin, title="大附件上传中断", workaround="压缩到 50 MB 以下或分卷上传"
                    )
                    made_known_error = True
                if day > 10 or n % 2:
                    sr = services.transition(
                        sr, to="resolved", actor=handler, comment="已解答，请确认", now=start + 2 * step
                    )
                    if day > 40:
                        services.confirm(
                            sr, actor=user, rating=rng.choice([5, 4, 4, 3, 2]), now=start + 3 * step
                        )
            else:
                code = ["open-account", "change-roles", "column", "workflow", "publishing", "close-account"][
                    (n // 3) % 6
                ]
                data = {
                    "open-account": {
                        "person_name": f"新员工{n}",
                        "username": f"{unit.code}-new{n}",
                        "department": "办公室",
                    },
                    "change-roles": {"person": user.person.pk, "roles": "文书"},
                    "column": {"column": "安全生产", "purpose": "发布安全生产通报，办公室维护"},
                    "workflow": {"workflow": "用车申请", "steps": "申请人→部门负责人→办公室→派车"},
                    "publishing": {"person": user.person.pk, "column": "通知公告"},
                    "close-account": {"person": user.person.pk},
                }[code]
                sr = services.submit(
                    actor=user, request_type=types[code], title=types[code].name, data=data, now=start
                )
                if recent or code == "close-account":
                    continue
                sr = services.approve(sr, actor=unit_admin, comment="同意", now=start + step)
                if types[code].approvers[1:]:
                    sr = services.approve(sr, actor=leader, comment="同意", now=start + 2 * step)
                if day > 25:
                    performer = admin if types[code].performer == "group_admin" else unit_admin
                    sr, _password = services.carry_out(
                        sr, actor=performer, comment="已办理", now=start + 3 * step
                    )
                    if day > 15:
                        services.confirm(sr, actor=user, rating=rng.choice([5, 5, 4]), now=start + 4 * step)
        counts["requests"] += PER_UNIT
    if stdout is not None:
        stdout.write(f"Service desk: {counts['requests']} requests.\n")
    return counts
