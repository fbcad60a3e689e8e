"""Inventory fixtures: the shipped types by code, and short helpers that go through the services."""

import pytest

from yunwei.cmdb import services
from yunwei.cmdb.models import Item, ItemType, Relation, RelationType

from ..conftest import make_item as make_shared_item

REQUIRED = {
    "server": {},
    "switch": {"ports": 48},
    "firewall": {},
    "os": {"distribution": "麒麟 V10"},
    "database": {"product": "dameng", "version": "8", "port": 5236},
    "middleware": {"product": "tongweb"},
    "oa-application": {"url": "http://oa.example.cn/"},
    "storage-array": {"raw_tb": "20"},
    "ups": {"capacity_kva": "60"},
}


@pytest.fixture
def item_types(db) -> dict[str, ItemType]:
    return {t.code: t for t in ItemType.objects.all()}


@pytest.fixture
def relation_types(db) -> dict[str, RelationType]:
    return {t.code: t for t in RelationType.objects.all()}


@pytest.fixture
def make_item(group_admin):
    """The shared builder, with the attributes each shipped type requires filled in."""

    def build(unit, type_code, code, *, actor=None, **fields) -> Item:
        fields.setdefault("attributes", dict(REQUIRED.get(type_code, {})))
        return make_shared_item(unit, type_code, code, actor=actor or group_admin, **fields)

    return build


@pytest.fixture
def relate(relation_types, group_admin):
    def build(source, type_code, target, *, actor=None) -> Relation:
        return services.create(
            Relation, actor=actor or group_admin, source=source, target=target, type=relation_types[type_code]
        )

    return build


@pytest.fixture
def chain(unit_a, make_item, relate):
    """OA → middleware → OS → server → storage; the server behind a switch, powered by a UPS."""
    items = {
        "oa": make_item(unit_a, "oa-application", "OA"),
        "mw": make_item(unit_a, "middleware", "MW"),
        "os": make_item(unit_a, "os", "OS"),
        "srv": make_item(unit_a, "server", "SRV"),
        "san": make_item(unit_a, "storage-array", "SAN"),
        "sw": make_item(unit_a, "switch", "SW"),
        "ups": make_item(unit_a, "ups", "UPS"),
    }
    relate(items["oa"], "runs-on", items["mw"])
    relate(items["mw"], "runs-on", items["os"])
    relate(items["os"], "runs-on", items["srv"])
    relate(items["srv"], "stores-on", items["san"])
    relate(items["srv"], "connected-via", items["sw"])
    relate(items["srv"], "powered-by", items["ups"])
    relate(items["sw"], "powered-by", items["ups"])
    return items
