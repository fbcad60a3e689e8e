"""The demo inventory, loaded as `yunwei demo` loads it (organisation first, then the inventory)."""

import pytest

from yunwei.cmdb import demo as cmdb_demo
from yunwei.cmdb import impact
from yunwei.cmdb.models import Item
from yunwei.org import demo as org_demo
from yunwei.org.choices import Domain, UnitKind
from yunwei.org.models import Unit

pytestmark = pytest.mark.django_db


def test_demo_inventory_spans_domains_and_units_and_a_core_switch_reaches_oa():
    org_demo.load()
    cmdb_demo.load()
    assert 150 <= Item.objects.count() <= 260
    assert set(Item.objects.values_list("domain", flat=True)) == set(Domain.values)
    units = set(Unit.objects.filter(kind__in=[UnitKind.GROUP, UnitKind.UNIT]).values_list("pk", flat=True))
    assert set(Item.objects.values_list("unit_id", flat=True)) == units
    core = Item.objects.get(code="JT-CORE-1")
    reached = {r.code: r for r in impact.walk([core.pk], "down")}
    assert "OA" in reached
    assert reached["OA"].path[0] == core.pk and reached["OA"].path[-1] == reached["OA"].id
    applications = {code for code, r in reached.items() if r.domain == Domain.APPLICATION}
    assert len({Item.objects.get(code=c).unit_id for c in applications}) > 1  # applications everywhere
