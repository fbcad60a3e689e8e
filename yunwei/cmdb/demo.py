"""Demo inventory: ~200 items in every domain and demo unit, with realistic dependency chains.

The group's machine room hosts the OA system: OA application → middleware → operating system → servers
→ storage, the servers behind access switches, two core switches and a firewall, everything powered by
UPSes and cooled by air conditioning. Each unit has its own access network uplinked to the group's
core, local servers and applications. So impact from a core switch reaches applications everywhere.
Created through the services, so every record is audited like real work.
"""

from django.contrib.auth import get_user_model

from yunwei.org.models import MaintenanceContract, Unit, Vendor

from . import services
from .models import Item, ItemType, Relation, RelationType

OA_MODULES = [
    ("OA-DOC", "公文管理"),
    ("OA-MEET", "会议管理"),
    ("OA-MAIL", "内部邮件"),
    ("OA-FLOW", "流程审批"),
    ("OA-INFO", "信息门户"),
    ("OA-ARCH", "档案管理"),
]


class _Builder:
    def __init__(self, actor):
        self.actor = actor
        self.types = {t.code: t for t in ItemType.objects.all()}
        self.relations = {t.code: t for t in RelationType.objects.all()}
        self.vendors = {v.code: v for v in Vendor.objects.all()}
        self.contracts = {c.vendor.code: c for c in MaintenanceContract.objects.select_related("vendor")}
        self.ips = (f"10.{a}.{b}.{c}" for a in (10, 20) for b in range(1, 50) for c in range(10, 250))

    def item(self, unit, type_code, code, name, *, vendor=None, ip=False, **attributes):
        fields = {}
        if vendor:
            fields["vendor"] = self.vendors.get(vendor)
            fields["contract"] = self.contracts.get(vendor)
        if ip:
            fields["ip"] = next(self.ips)
            fields["hostname"] = code.lower()
        return services.create(
            Item,
            actor=self.actor,
            unit=unit,
            type=self.types[type_code],
            code=code,
            name=name,
            site="集团本部" if unit.kind == "group" else unit.name,
            room="中心机房" if type_code not in ("oa-application", "oa-module", "application") else "",
            attributes=attributes,
            **fields,
        )

    def relate(self, source, type_code, target):
        return services.create(
            Relation, actor=self.actor, source=source, target=target, type=self.relations[type_code]
        )


def _server_stack(b, unit, prefix, n, switch, ups, ac, storage=None, vendor="inspur"):
    """n servers, each with its OS, behind `switch`, powered by `ups`, cooled by `ac`."""
    stacks = []
    for i in range(1, n + 1):
        server = b.item(
            unit,
            "server",
            f"{prefix}-SRV-{i:02d}",
            f"{prefix} 服务器 {i}",
            vendor=vendor,
            ip=True,
            serial=f"SN{prefix}{i:04d}",
            model="浪潮 NF5280M6",
            cpu_cores=32,
            memory_gb=128,
        )
        os_item = b.item(
            unit,
            "os",
            f"{prefix}-OS-{i:02d}",
            f"{prefix} 操作系统 {i}",
            distribution="银河麒麟",
            version="V10 SP3",
        )
        b.relate(os_item, "runs-on", server)
        b.relate(server, "connected-via", switch)
        b.relate(server, "powered-by", ups)
        b.relate(server, "cooled-by", ac)
        if storage is not None:
            b.relate(server, "stores-on", storage)
        stacks.append((server, os_item))
    return stacks


def _machine_room(b, unit, prefix):
    ups = b.item(
        unit,
        "ups",
        f"{prefix}-UPS-1",
        f"{prefix} UPS 1",
        vendor="kehua",
        capacity_kva="60",
        battery_minutes=30,
    )
    pdu = b.item(
        unit, "power-distribution", f"{prefix}-PDU-1", f"{prefix} 配电柜", circuits=24, rated_current_a=63
    )
    ac = b.item(
        unit, "air-conditioning", f"{prefix}-AC-1", f"{prefix} 精密空调", cooling_kw="25", setpoint_c="23"
    )
    sensor = b.item(
        unit, "env-sensor", f"{prefix}-TH-1", f"{prefix} 温湿度传感器", measures="both", threshold_high_c="28"
    )
    b.relate(ups, "powered-by", pdu)
    b.relate(ac, "powered-by", pdu)
    b.relate(sensor, "monitors", ac)
    return ups, ac


def load(stdout=None) -> dict:
    actor = get_user_model().objects.get(username="admin")
    b = _Builder(actor)
    group = Unit.objects.get(code="group")

    # -- the group's data centre ----------------------------------------------------------------
    ups, ac = _machine_room(b, group, "JT")
    ups2 = b.item(group, "ups", "JT-UPS-2", "JT UPS 2", vendor="kehua", capacity_kva="60", battery_minutes=30)
    ac2 = b.item(group, "air-conditioning", "JT-AC-2", "JT 精密空调 2", cooling_kw="25")
    b.relate(ups2, "powered-by", Item.objects.get(code="JT-PDU-1"))
    isp = b.item(
        group,
        "link",
        "JT-LINK-ISP",
        "互联网专线",
        medium="leased-line",
        bandwidth_mbps=500,
        carrier="中国电信",
    )
    router = b.item(group, "router", "JT-RT-1", "出口路由器", vendor="huawei", ip=True, ports=8)
    firewall = b.item(
        group, "firewall", "JT-FW-1", "边界防火墙", vendor="huawei", ip=True, ha_mode="active-standby"
    )
    b.relate(router, "connected-via", isp)
    b.relate(firewall, "connected-via", router)
    cores = []
    for i in (1, 2):
        core = b.item(
            group, "switch", f"JT-CORE-{i}", f"核心交换机 {i}", vendor="huawei", ip=True, ports=48, layer="L3"
        )
        b.relate(core, "connected-via", firewall)
        b.relate(core, "powered-by", ups if i == 1 else ups2)
        cores.append(core)
    access = []
    for i in range(1, 5):
        sw = b.item(
            group,
            "switch",
            f"JT-ACC-{i}",
            f"机房接入交换机 {i}",
            vendor="huawei",
            ip=True,
            ports=48,
            layer="L2",
        )
        b.relate(sw, "connected-via", cores[(i - 1) % 2])
        b.relate(sw, "powered-by", ups)
        access.append(sw)
    storage = [
        b.item(
            group,
            "storage-array",
            f"JT-SAN-{i}",
            f"存储阵列 {i}",
            vendor="inspur",
            raw_tb="200",
            raid_level="RAID6",
            protocol="FC",
        )
        for i in (1, 2)
    ]
    for san in storage:
        b.relate(san, "powered-by", ups2)
        b.relate(san, "cooled-by", ac2)
    stacks = _server_stack(b, group, "JT", 16, access[0], ups, ac, storage[0])
    for index, (server, _os) in enumerate(stacks[6:], start=6):
        b.relate(server, "connected-via", access[1 + index % 3])
    # OA: application → middleware → OS → servers; database on its own servers with storage.
    oa = b.item(
        group,
        "oa-application",
        "OA",
        "集团协同办公系统",
        vendor="seeyon",
        url="https://oa.example.cn/",
        version="A8+ V8.1",
        users=5200,
    )
    db_primary = b.item(
        group,
        "database",
        "OA-DB-1",
        "OA 数据库（主）",
        vendor="dameng",
        product="dameng",
        version="8.1",
        port=5236,
    )
    db_standby = b.item(
        group,
        "database",
        "OA-DB-2",
        "OA 数据库（备）",
        vendor="dameng",
        product="dameng",
        version="8.1",
        port=5236,
    )
    b.relate(db_primary, "runs-on", stacks[0][1])
    b.relate(db_standby, "runs-on", stacks[1][1])
    b.relate(db_standby, "backs-up", db_primary)
    b.relate(db_primary, "stores-on", storage[0])
    for i, (_server, os_item) in enumerate(stacks[2:6], start=1):
        mw = b.item(
            group,
            "middleware",
            f"OA-MW-{i}",
            f"OA 应用中间件 {i}",
            product="tongweb",
            version="7.0",
            port=8080,
        )
        b.relate(mw, "runs-on", os_item)
        b.relate(oa, "runs-on", mw)
    nginx = b.item(group, "middleware", "OA-LB", "OA 负载均衡", product="nginx", version="1.24", port=443)
    b.relate(nginx, "runs-on", stacks[6][1])
    b.relate(oa, "depends-on", nginx)
    b.relate(oa, "depends-on", db_primary)
    cache = b.item(group, "middleware", "OA-CACHE", "OA 缓存", product="redis", version="7.2", port=6379)
    b.relate(cache, "runs-on", stacks[7][1])
    b.relate(oa, "depends-on", cache)
    for code, name in OA_MODULES:
        module = b.item(group, "oa-module", code, name, url=f"https://oa.example.cn/{code.lower()}/")
        b.relate(module, "part-of", oa)
    mail = b.item(group, "application", "MAIL", "企业邮件系统", url="https://mail.example.cn/", version="9.0")
    mail_mw = b.item(group, "middleware", "MAIL-MW", "邮件中间件", product="tomcat", version="9")
    b.relate(mail_mw, "runs-on", stacks[8][1])
    b.relate(mail, "runs-on", mail_mw)
    backup = b.item(group, "application", "BACKUP", "备份软件", version="10")
    b.relate(backup, "runs-on", stacks[9][1])
    b.relate(backup, "backs-up", db_primary)
    b.relate(stacks[9][0], "stores-on", storage[1])
    for i, (name, url) in enumerate(
        [("视频会议系统", "meeting"), ("人力资源系统", "hr"), ("档案系统", "archive")]
    ):
        app_mw = b.item(
            group, "middleware", f"JT-MW-{url.upper()}", f"{name}中间件", product="tomcat", version="9"
        )
        b.relate(app_mw, "runs-on", stacks[10 + i][1])
        app = b.item(group, "application", f"APP-{url.upper()}", name, url=f"https://{url}.example.cn/")
        b.relate(app, "runs-on", app_mw)
        b.relate(app, "depends-on", db_standby if url == "archive" else db_primary)

    # -- each unit: an uplink to the group, local network, servers and applications -----------
    for unit in Unit.objects.filter(kind="unit").order_by("code"):
        prefix = unit.code.upper()[:4]
        u_ups, u_ac = _machine_room(b, unit, prefix)
        line = b.item(
            unit,
            "link",
            f"{prefix}-LINK",
            f"{unit.name}至集团光纤",
            medium="fiber",
            bandwidth_mbps=1000,
            carrier="自建",
        )
        b.relate(line, "connected-via", cores[0])
        u_core = b.item(
            unit,
            "switch",
            f"{prefix}-CORE",
            f"{unit.name}核心交换机",
            vendor="huawei",
            ip=True,
            ports=24,
            layer="L3",
        )
        b.relate(u_core, "connected-via", line)
        b.relate(u_core, "powered-by", u_ups)
        floors = []
        for i in range(1, 7):
            sw = b.item(
                unit,
                "switch",
                f"{prefix}-ACC-{i}",
                f"{unit.name}楼层交换机 {i}",
                ip=True,
                ports=48,
                layer="L2",
            )
            b.relate(sw, "connected-via", u_core)
            floors.append(sw)
        u_stacks = _server_stack(b, unit, prefix, 5, u_core, u_ups, u_ac)
        db = b.item(
            unit,
            "database",
            f"{prefix}-DB",
            f"{unit.name}业务数据库",
            product="kingbase",
            version="V8R6",
            port=54321,
        )
        b.relate(db, "runs-on", u_stacks[0][1])
        for i, (name, url) in enumerate([("生产管理系统", "mes"), ("财务系统", "fin")], start=1):
            app_mw = b.item(
                unit,
                "middleware",
                f"{prefix}-MW-{i}",
                f"{name}中间件",
                product="tongweb",
                version="7.0",
                port=8080,
            )
            b.relate(app_mw, "runs-on", u_stacks[i][1])
            app = b.item(
                unit, "application", f"{prefix}-APP-{i}", name, url=f"https://{url}.{unit.code}.example.cn/"
            )
            b.relate(app, "runs-on", app_mw)
            b.relate(app, "depends-on", db)
        # The unit's people reach the group OA through its own network.
        portal = b.item(
            unit,
            "oa-module",
            f"{prefix}-OA",
            f"{unit.name} OA 分站",
            url=f"https://oa.example.cn/{unit.code}/",
        )
        b.relate(portal, "part-of", oa)
        b.relate(portal, "depends-on", floors[0])

    summary = {"items": Item.objects.count(), "relations": Relation.objects.count()}
    if stdout:
        stdout.write(f"demo inventory: {summary}")
    return summary
