"""The shipped catalogue: item types of Art. 2 and Art. 4 with their own attributes, and relation types.

Names and labels are English msgids (marked with gettext_noop so the zh-Hans catalogue carries them);
pages show them through gettext, so a type a group admin adds in Chinese shows as written. The data
migration `0002_shipped_catalogue` installs this catalogue; a later change to it needs its own migration.
"""

from django.utils.translation import gettext_noop as N

from yunwei.org.choices import Domain


def attr(code, label, kind="text", *, required=False, choices=None) -> dict:
    spec = {"code": code, "label": label, "kind": kind, "required": required}
    if choices:
        spec["choices"] = list(choices)
    return spec


_SERIAL = attr("serial", N("Serial number"))
_MODEL = attr("model", N("Model"))
_MGMT_IP = attr("mgmt_ip", N("Management IP"), "ip")
_FIRMWARE = attr("firmware", N("Firmware version"))
_WARRANTY = attr("warranty_until", N("Warranty until"), "date")

# code, name, domain, attributes
ITEM_TYPES = [
    (
        "server",
        N("Server"),
        Domain.HARDWARE,
        [
            _SERIAL,
            _MODEL,
            attr("cpu_cores", N("CPU cores"), "int"),
            attr("memory_gb", N("Memory (GB)"), "int"),
            attr("disk_tb", N("Local disk (TB)"), "decimal"),
            _MGMT_IP,
            attr("purchased_on", N("Purchased on"), "date"),
            _WARRANTY,
            attr("virtual", N("Virtual machine"), "bool"),
        ],
    ),
    (
        "storage-array",
        N("Storage array"),
        Domain.HARDWARE,
        [
            _SERIAL,
            _MODEL,
            attr("raw_tb", N("Raw capacity (TB)"), "decimal", required=True),
            attr("usable_tb", N("Usable capacity (TB)"), "decimal"),
            attr("raid_level", N("RAID level"), "choice", choices=["RAID1", "RAID5", "RAID6", "RAID10"]),
            attr("protocol", N("Protocol"), "choice", choices=["FC", "iSCSI", "NFS", "SMB"]),
            _MGMT_IP,
            _WARRANTY,
        ],
    ),
    (
        "switch",
        N("Switch"),
        Domain.NETWORK,
        [
            _SERIAL,
            _MODEL,
            attr("ports", N("Ports"), "int", required=True),
            attr("layer", N("Layer"), "choice", choices=["L2", "L3"]),
            _FIRMWARE,
            _MGMT_IP,
        ],
    ),
    (
        "router",
        N("Router"),
        Domain.NETWORK,
        [_SERIAL, _MODEL, attr("ports", N("Ports"), "int"), _FIRMWARE, _MGMT_IP],
    ),
    (
        "firewall",
        N("Firewall"),
        Domain.NETWORK,
        [
            _SERIAL,
            _MODEL,
            attr("throughput_gbps", N("Throughput (Gbit/s)"), "decimal"),
            attr(
                "ha_mode", N("HA mode"), "choice", choices=["standalone", "active-standby", "active-active"]
            ),
            _FIRMWARE,
            _MGMT_IP,
        ],
    ),
    (
        "link",
        N("Link / cable / fiber line"),
        Domain.NETWORK,
        [
            attr("medium", N("Medium"), "choice", required=True, choices=["copper", "fiber", "leased-line"]),
            attr("bandwidth_mbps", N("Bandwidth (Mbit/s)"), "int", required=True),
            attr("carrier", N("Carrier")),
            attr("circuit_id", N("Circuit ID")),
            attr("a_end", N("A end")),
            attr("b_end", N("B end")),
        ],
    ),
    (
        "os",
        N("Operating system"),
        Domain.BASE_SOFTWARE,
        [
            attr("distribution", N("Distribution"), required=True),
            attr("version", N("Version")),
            attr("kernel", N("Kernel")),
            attr("license_until", N("Licence until"), "date"),
        ],
    ),
    (
        "database",
        N("Database"),
        Domain.BASE_SOFTWARE,
        [
            attr(
                "product",
                N("Product"),
                "choice",
                required=True,
                choices=["dameng", "kingbase", "oracle", "mysql", "postgresql", "sqlserver", "other"],
            ),
            attr("version", N("Version"), required=True),
            attr("port", N("Port"), "int", required=True),
            attr("instance", N("Instance name")),
        ],
    ),
    (
        "middleware",
        N("Middleware"),
        Domain.BASE_SOFTWARE,
        [
            attr(
                "product",
                N("Product"),
                "choice",
                required=True,
                choices=["tongweb", "weblogic", "tomcat", "nginx", "redis", "other"],
            ),
            attr("version", N("Version")),
            attr("port", N("Port"), "int"),
        ],
    ),
    (
        "oa-application",
        N("OA application"),
        Domain.APPLICATION,
        [
            attr("url", N("URL"), "url", required=True),
            attr("version", N("Version")),
            attr("users", N("Number of users"), "int"),
        ],
    ),
    (
        "oa-module",
        N("OA module"),
        Domain.APPLICATION,
        [attr("url", N("URL"), "url"), attr("department", N("Owning department"))],
    ),
    (
        "application",
        N("Other application"),
        Domain.APPLICATION,
        [attr("url", N("URL"), "url"), attr("version", N("Version"))],
    ),
    (
        "ups",
        N("UPS"),
        Domain.MACHINE_ROOM,
        [
            _SERIAL,
            _MODEL,
            attr("capacity_kva", N("Capacity (kVA)"), "decimal", required=True),
            attr("battery_minutes", N("Battery runtime (minutes)"), "int"),
            attr("battery_replaced_on", N("Battery replaced on"), "date"),
        ],
    ),
    (
        "air-conditioning",
        N("Air conditioning"),
        Domain.MACHINE_ROOM,
        [
            _SERIAL,
            _MODEL,
            attr("cooling_kw", N("Cooling capacity (kW)"), "decimal"),
            attr("setpoint_c", N("Set point (°C)"), "decimal"),
        ],
    ),
    (
        "power-distribution",
        N("Power distribution"),
        Domain.MACHINE_ROOM,
        [
            _MODEL,
            attr("circuits", N("Circuits"), "int"),
            attr("rated_current_a", N("Rated current (A)"), "int"),
        ],
    ),
    (
        "env-sensor",
        N("Temperature/humidity sensor"),
        Domain.MACHINE_ROOM,
        [
            attr(
                "measures",
                N("Measures"),
                "choice",
                required=True,
                choices=["temperature", "humidity", "both"],
            ),
            attr("threshold_high_c", N("High temperature threshold (°C)"), "decimal"),
            attr("threshold_high_rh", N("High humidity threshold (%)"), "decimal"),
        ],
    ),
]

_ANY = []
_INFRA = [Domain.HARDWARE, Domain.NETWORK, Domain.MACHINE_ROOM]

# code, name, inverse name, source domains, target domains, source types, target types, is_dependency
RELATION_TYPES = [
    (
        "runs-on",
        N("Runs on"),
        N("Hosts"),
        [Domain.APPLICATION, Domain.BASE_SOFTWARE],
        [Domain.BASE_SOFTWARE, Domain.HARDWARE],
        _ANY,
        _ANY,
        True,
    ),
    ("depends-on", N("Depends on"), N("Is needed by"), _ANY, _ANY, _ANY, _ANY, True),
    (
        "connected-via",
        N("Connected via"),
        N("Connects"),
        _INFRA,
        [Domain.NETWORK],
        _ANY,
        _ANY,
        True,
    ),
    (
        "stores-on",
        N("Stores data on"),
        N("Holds data of"),
        [Domain.HARDWARE, Domain.BASE_SOFTWARE],
        [Domain.HARDWARE],
        _ANY,
        ["storage-array"],
        True,
    ),
    (
        "powered-by",
        N("Powered by"),
        N("Powers"),
        _INFRA,
        [Domain.MACHINE_ROOM],
        _ANY,
        ["ups", "power-distribution"],
        True,
    ),
    (
        "cooled-by",
        N("Cooled by"),
        N("Cools"),
        _INFRA,
        [Domain.MACHINE_ROOM],
        _ANY,
        ["air-conditioning"],
        True,
    ),
    (
        "part-of",
        N("Part of"),
        N("Consists of"),
        [Domain.APPLICATION],
        [Domain.APPLICATION],
        _ANY,
        _ANY,
        True,
    ),
    ("backs-up", N("Backs up"), N("Is backed up by"), _ANY, _ANY, _ANY, _ANY, False),
    ("monitors", N("Monitors"), N("Is monitored by"), _ANY, _ANY, ["env-sensor"], _ANY, False),
]


def install(apps) -> None:
    """Create or refresh the shipped types (by code); used by the data migration."""
    ItemType = apps.get_model("cmdb", "ItemType")
    RelationType = apps.get_model("cmdb", "RelationType")
    for code, name, domain, attributes in ITEM_TYPES:
        ItemType.objects.update_or_create(
            code=code, defaults={"name": name, "domain": str(domain), "attributes": attributes}
        )
    for code, name, inverse, s_domains, t_domains, s_types, t_types, dependency in RELATION_TYPES:
        RelationType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "inverse_name": inverse,
                "source_domains": [str(d) for d in s_domains],
                "target_domains": [str(d) for d in t_domains],
                "source_types": s_types,
                "target_types": t_types,
                "is_dependency": dependency,
            },
        )
