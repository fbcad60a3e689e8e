"""The shipped catalogue: item types of Art. 2 and Art. 4 with their own attributes, and relation types.

Names and labels are English msgids (marked with gettext_noop so the zh-Hans catalogue carries them);
pages show them through gettext, so a type a group admin adds in Chinese shows as written. The data
migration `0002_shipped_catalogue` installs this catalogue; a later change to it needs its own migration.
"""

from django.utils.translation import gettext_noop

from yunwei.org.choices import Domain


def attr(code, label, kind="text", *, required=False, choices=None) -> dict:
    spec = {"code": code, "label": label, "kind": kind, "required": required}
    if choices:
        spec["choices"] = list(choices)
    return spec


_SERIAL = attr("serial", gettext_noop("Serial number"))
_MODEL = attr("model", gettext_noop("Model"))
_MGMT_IP = attr("mgmt_ip", gettext_noop("Management IP"), "ip")
_FIRMWARE = attr("firmware", gettext_noop("Firmware version"))
_WARRANTY = attr("warranty_until", gettext_noop("Warranty until"), "date")

# code, name, domain, attributes
ITEM_TYPES = [
    (
        "server",
        gettext_noop("Server"),
        Domain.HARDWARE,
        [
            _SERIAL,
            _MODEL,
            attr("cpu_cores", gettext_noop("CPU cores"), "int"),
            attr("memory_gb", gettext_noop("Memory (GB)"), "int"),
            attr("disk_tb", gettext_noop("Local disk (TB)"), "decimal"),
            _MGMT_IP,
            attr("purchased_on", gettext_noop("Purchased on"), "date"),
            _WARRANTY,
            attr("virtual", gettext_noop("Virtual machine"), "bool"),
        ],
    ),
    (
        "storage-array",
        gettext_noop("Storage array"),
        Domain.HARDWARE,
        [
            _SERIAL,
            _MODEL,
            attr("raw_tb", gettext_noop("Raw capacity (TB)"), "decimal", required=True),
            attr("usable_tb", gettext_noop("Usable capacity (TB)"), "decimal"),
            attr(
                "raid_level",
                gettext_noop("RAID level"),
                "choice",
                choices=["RAID1", "RAID5", "RAID6", "RAID10"],
            ),
            attr("protocol", gettext_noop("Protocol"), "choice", choices=["FC", "iSCSI", "NFS", "SMB"]),
            _MGMT_IP,
            _WARRANTY,
        ],
    ),
    (
        "switch",
        gettext_noop("Switch"),
        Domain.NETWORK,
        [
            _SERIAL,
            _MODEL,
            attr("ports", gettext_noop("Ports"), "int", required=True),
            attr("layer", gettext_noop("Layer"), "choice", choices=["L2", "L3"]),
            _FIRMWARE,
            _MGMT_IP,
        ],
    ),
    (
        "router",
        gettext_noop("Router"),
        Domain.NETWORK,
        [_SERIAL, _MODEL, attr("ports", gettext_noop("Ports"), "int"), _FIRMWARE, _MGMT_IP],
    ),
    (
        "firewall",
        gettext_noop("Firewall"),
        Domain.NETWORK,
        [
            _SERIAL,
            _MODEL,
            attr("throughput_gbps", gettext_noop("Throughput (Gbit/s)"), "decimal"),
            attr(
                "ha_mode",
                gettext_noop("HA mode"),
                "choice",
                choices=["standalone", "active-standby", "active-active"],
            ),
            _FIRMWARE,
            _MGMT_IP,
        ],
    ),
    (
        "link",
        gettext_noop("Link / cable / fiber line"),
        Domain.NETWORK,
        [
            attr(
                "medium",
                gettext_noop("Medium"),
                "choice",
                required=True,
                choices=["copper", "fiber", "leased-line"],
            ),
            attr("bandwidth_mbps", gettext_noop("Bandwidth (Mbit/s)"), "int", required=True),
            attr("carrier", gettext_noop("Carrier")),
            attr("circuit_id", gettext_noop("Circuit ID")),
            attr("a_end", gettext_noop("A end")),
            attr("b_end", gettext_noop("B end")),
        ],
    ),
    (
        "os",
        gettext_noop("Operating system"),
        Domain.BASE_SOFTWARE,
        [
            attr("distribution", gettext_noop("Distribution"), required=True),
            attr("version", gettext_noop("Version")),
            attr("kernel", gettext_noop("Kernel")),
            attr("license_until", gettext_noop("Licence until"), "date"),
        ],
    ),
    (
        "database",
        gettext_noop("Database"),
        Domain.BASE_SOFTWARE,
        [
            attr(
                "product",
                gettext_noop("Product"),
                "choice",
                required=True,
                choices=["dameng", "kingbase", "oracle", "mysql", "postgresql", "sqlserver", "other"],
            ),
            attr("version", gettext_noop("Version"), required=True),
            attr("port", gettext_noop("Port"), "int", required=True),
            attr("instance", gettext_noop("Instance name")),
        ],
    ),
    (
        "middleware",
        gettext_noop("Middleware"),
        Domain.BASE_SOFTWARE,
        [
            attr(
                "product",
                gettext_noop("Product"),
                "choice",
                required=True,
                choices=["tongweb", "weblogic", "tomcat", "nginx", "redis", "other"],
            ),
            attr("version", gettext_noop("Version")),
            attr("port", gettext_noop("Port"), "int"),
        ],
    ),
    (
        "oa-application",
        gettext_noop("OA application"),
        Domain.APPLICATION,
        [
            attr("url", gettext_noop("URL"), "url", required=True),
            attr("version", gettext_noop("Version")),
            attr("users", gettext_noop("Number of users"), "int"),
        ],
    ),
    (
        "oa-module",
        gettext_noop("OA module"),
        Domain.APPLICATION,
        [attr("url", gettext_noop("URL"), "url"), attr("department", gettext_noop("Owning department"))],
    ),
    (
        "application",
        gettext_noop("Other application"),
        Domain.APPLICATION,
        [attr("url", gettext_noop("URL"), "url"), attr("version", gettext_noop("Version"))],
    ),
    (
        "ups",
        gettext_noop("UPS"),
        Domain.MACHINE_ROOM,
        [
            _SERIAL,
            _MODEL,
            attr("capacity_kva", gettext_noop("Capacity (kVA)"), "decimal", required=True),
            attr("battery_minutes", gettext_noop("Battery runtime (minutes)"), "int"),
            attr("battery_replaced_on", gettext_noop("Battery replaced on"), "date"),
        ],
    ),
    (
        "air-conditioning",
        gettext_noop("Air conditioning"),
        Domain.MACHINE_ROOM,
        [
            _SERIAL,
            _MODEL,
            attr("cooling_kw", gettext_noop("Cooling capacity (kW)"), "decimal"),
            attr("setpoint_c", gettext_noop("Set point (°C)"), "decimal"),
        ],
    ),
    (
        "power-distribution",
        gettext_noop("Power distribution"),
        Domain.MACHINE_ROOM,
        [
            _MODEL,
            attr("circuits", gettext_noop("Circuits"), "int"),
            attr("rated_current_a", gettext_noop("Rated current (A)"), "int"),
        ],
    ),
    (
        "env-sensor",
        gettext_noop("Temperature/humidity sensor"),
        Domain.MACHINE_ROOM,
        [
            attr(
                "measures",
                gettext_noop("Measures"),
                "choice",
                required=True,
                choices=["temperature", "humidity", "both"],
            ),
            attr("threshold_high_c", gettext_noop("High temperature threshold (°C)"), "decimal"),
            attr("threshold_high_rh", gettext_noop("High humidity threshold (%)"), "decimal"),
        ],
    ),
]

_ANY = []
_INFRA = [Domain.HARDWARE, Domain.NETWORK, Domain.MACHINE_ROOM]

# code, name, inverse name, source domains, target domains, source types, target types, is_dependency
RELATION_TYPES = [
    (
        "runs-on",
        gettext_noop("Runs on"),
        gettext_noop("Hosts"),
        [Domain.APPLICATION, Domain.BASE_SOFTWARE],
        [Domain.BASE_SOFTWARE, Domain.HARDWARE],
        _ANY,
        _ANY,
        True,
    ),
    ("depends-on", gettext_noop("Depends on"), gettext_noop("Is needed by"), _ANY, _ANY, _ANY, _ANY, True),
    (
        "connected-via",
        gettext_noop("Connected via"),
        gettext_noop("Connects"),
        _INFRA,
        [Domain.NETWORK],
        _ANY,
        _ANY,
        True,
    ),
    (
        "stores-on",
        gettext_noop("Stores data on"),
        gettext_noop("Holds data of"),
        [Domain.HARDWARE, Domain.BASE_SOFTWARE],
        [Domain.HARDWARE],
        _ANY,
        ["storage-array"],
        True,
    ),
    (
        "powered-by",
        gettext_noop("Powered by"),
        gettext_noop("Powers"),
        _INFRA,
        [Domain.MACHINE_ROOM],
        _ANY,
        ["ups", "power-distribution"],
        True,
    ),
    (
        "cooled-by",
        gettext_noop("Cooled by"),
        gettext_noop("Cools"),
        _INFRA,
        [Domain.MACHINE_ROOM],
        _ANY,
        ["air-conditioning"],
        True,
    ),
    (
        "part-of",
        gettext_noop("Part of"),
        gettext_noop("Consists of"),
        [Domain.APPLICATION],
        [Domain.APPLICATION],
        _ANY,
        _ANY,
        True,
    ),
    ("backs-up", gettext_noop("Backs up"), gettext_noop("Is backed up by"), _ANY, _ANY, _ANY, _ANY, False),
    (
        "monitors",
        gettext_noop("Monitors"),
        gettext_noop("Is monitored by"),
        _ANY,
        _ANY,
        ["env-sensor"],
        _ANY,
        False,
    ),
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
