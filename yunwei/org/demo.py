"""Demo organisation: a group, four units (one without a clerk), both teams, ~30 people, 5 vendors."""

import datetime
import itertools
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.notify import services as notify

from . import services
from .choices import Domain, Role, UnitKind
from .models import MaintenanceContract, Person, Team, Unit, Vendor, VendorEngineer

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "海燕",
    "志强",
    "晓东",
]

UNITS = [
    # code, name, has clerk
    ("power", "发电公司", True),
    ("coal", "煤业公司", True),
    ("logistics", "物流公司", True),
    ("chem", "化工公司", False),
]

VENDORS = [
    # code, name, hotline, domains, days until the contract ends
    ("huawei", "华为技术有限公司", "400-822-9999", [Domain.NETWORK, Domain.HARDWARE], 320),
    ("inspur", "浪潮电子信息产业股份有限公司", "400-860-0011", [Domain.HARDWARE], 45),
    ("seeyon", "北京致远互联软件股份有限公司", "400-700-3030", [Domain.APPLICATION], 200),
    ("dameng", "武汉达梦数据库股份有限公司", "400-991-6599", [Domain.BASE_SOFTWARE], 25),
    ("kehua", "科华数据股份有限公司", "400-808-9986", [Domain.MACHINE_ROOM], 500),
]


def _names():
    for given, surname in itertools.product(GIVEN, SURNAMES):
        yield surname + given


def load(stdout=None) -> dict:
    """Create the demo organisation through the services, so every record is audited like real work."""
    User = get_user_model()
    password = settings.DEMO_PASSWORD
    names = _names()
    phone_numbers = (f"139{n:08d}" for n in itertools.count(10203040, 7919))

    admin_user = User.objects.create_superuser("admin", "admin@example.cn", password)
    # Hashed once: hashing is deliberately slow, and every demo account shares the documented password.
    demo_hash = admin_user.password
    group = services.create(Unit, actor=admin_user, code="group", name="集团公司", kind=UnitKind.GROUP)

    def person(unit, *roles, team=None, department="", title="", account=None):
        name = next(names)
        p = services.create(
            Person,
            actor=admin_user,
            unit=unit,
            name=name,
            department=department,
            title=title,
            team=team,
            phone=next(phone_numbers),
            email=f"{account or 'staff' + str(Person.objects.count() + 1)}@example.cn",
        )
        for role in roles:
            services.assign_role(p, role, actor=admin_user, unit=unit)
        if account:
            user = services.create_account(
                p, actor=admin_user, username=account, password=secrets.token_urlsafe(16)
            )
            # The shared demo password is documented as demo-only; it need not pass the password rules.
            User.objects.filter(pk=user.pk).update(password=demo_hash)
        return p

    computer_room = services.create(
        Team,
        actor=admin_user,
        unit=group,
        code="computer-room",
        name="计算机室",
        domains=[Domain.HARDWARE, Domain.NETWORK, Domain.BASE_SOFTWARE, Domain.APPLICATION],
        duties="负责计算机硬件平台、配套网络、基础软件及应用软件的日常运维（第四条）",
    )
    cable = services.create(
        Team,
        actor=admin_user,
        unit=group,
        code="cable",
        name="有线科",
        domains=[Domain.MACHINE_ROOM],
        duties="负责机房环境的日常运维（第四条）",
    )
    admin_person = person(group, team=computer_room, department="计讯处", title="集团系统管理员")
    Person.objects.filter(pk=admin_person.pk).update(account=admin_user)
    admin_person.account = admin_user
    # As `createadmin` does: the system grants the first admin's role, nobody grants it to themselves.
    services.grant_first_group_admin(admin_person, comment="demo")
    person(group, Role.LEADER, department="集团领导", title="总工程师", account="chief")
    person(group, Role.SYSTEM_LEAD, team=computer_room, department="计算机室", title="主任", account="lead")
    for i in range(4):
        account = "tech" if i == 0 else None
        person(
            group, Role.TECH_STAFF, team=computer_room, department="计算机室", title="工程师", account=account
        )
    for _i in range(2):
        person(group, Role.TECH_STAFF, team=cable, department="有线科", title="技术员")
    person(group, Role.CLERK, department="综合办公室", title="文书", account="office")
    # Art. 13: suspension and recovery notices go out through the general office. The demo has no real
    # robot: its channel points at a closed port here, so its deliveries show how a failure is recorded.
    notify.allow_address("127.0.0.1", actor=admin_user, note="演示：本机")
    notify.create(
        actor=admin_user,
        unit_id=group.pk,
        name="综合办公室企业微信群",
        kind="wecom",
        target="http://127.0.0.1:9/cgi-bin/webhook/send?key=demo",
        announcements=True,
    )
    # The group's e-mail server, a relay on this machine: notices to people with an address are queued on
    # it (Art. 13: a notice counts when it reached somebody). 化工公司 has no clerk and no office channel,
    # so its suspension notices are refused with the reason instead of counted.
    notify.create(
        actor=admin_user,
        unit_id=group.pk,
        name="集团邮件服务器",
        kind="email",
        target={"host": "127.0.0.1", "port": 25, "from": "yunwei@example.cn"},
    )

    for code, name, has_clerk in UNITS:
        unit = services.create(Unit, actor=admin_user, code=code, name=name, kind=UnitKind.UNIT, parent=group)
        person(unit, Role.LEADER, department="公司领导", title="副总经理", account=f"{code}-leader")
        person(unit, Role.UNIT_ADMIN, department="办公室", title="系统管理员", account=f"{code}-admin")
        if has_clerk:
            person(unit, Role.CLERK, department="办公室", title="文书", account=f"{code}-clerk")
        person(unit, Role.USER, department="生产技术部", title="技术员", account=f"{code}-user")
        person(unit, Role.USER, department="财务部", title="会计")

    today = timezone.localdate()
    for index, (code, name, hotline, domains, days_left) in enumerate(VENDORS):
        vendor = services.create(Vendor, actor=admin_user, unit=group, code=code, name=name, hotline=hotline)
        engineers = [
            services.create(
                VendorEngineer,
                actor=admin_user,
                vendor=vendor,
                name=next(names),
                speciality=str(domain.label),
                phone=next(phone_numbers),
                email=f"support{n}@{code}.example.cn",
            )
            for n, domain in enumerate(domains)
        ]
        services.create(
            MaintenanceContract,
            actor=admin_user,
            unit=group,
            vendor=vendor,
            number=f"YW-2026-{index + 1:03d}",
            title=f"{name}维保合同",
            domains=[str(d) for d in domains],
            engineer=engineers[0],
            coverage="7×24 小时电话支持，4 小时到场",
            response_hours=4,
            starts_on=today - datetime.timedelta(days=365 - days_left),
            ends_on=today + datetime.timedelta(days=days_left),
        )
    summary = {
        "units": Unit.objects.count(),
        "people": Person.objects.count(),
        "vendors": Vendor.objects.count(),
    }
    if stdout:
        stdout.write(f"demo organisation: {summary}")
    return summary
