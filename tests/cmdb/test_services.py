"""Inventory services: items with per-type attributes, relation rules, cycles, the audit trail."""

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.cmdb import services
from yunwei.cmdb.models import Item, ItemType, Relation, RelationType
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit
from yunwei.org import services as org_services
from yunwei.org.models import Team

pytestmark = pytest.mark.django_db


def test_shipped_catalogue_covers_the_four_domains_and_the_machine_room(item_types, relation_types):
    assert {t.domain for t in item_types.values()} == {
        "hardware",
        "network",
        "base_software",
        "application",
        "machine_room",
    }
    assert {"server", "switch", "firewall", "link", "os", "database", "oa-application", "ups"} <= set(
        item_types
    )
    assert relation_types["runs-on"].is_dependency
    assert not relation_types["backs-up"].is_dependency


def test_item_takes_its_domain_from_the_type_and_is_audited(unit_a, make_item):
    item = make_item(
        unit_a, "database", "DB-01", attributes={"product": "dameng", "version": "8", "port": "5236"}
    )
    assert item.domain == "base_software"
    assert item.attributes == {"product": "dameng", "version": "8", "port": 5236}
    event = AuditEvent.objects.get(object_type="cmdb.item", object_id=str(item.pk), action="create")
    assert event.unit_id == unit_a.pk


def test_owner_team_defaults_to_the_team_owning_the_domain(unit_a, group, group_admin, make_item):
    group_team = org_services.create(
        Team,
        actor=group_admin,
        unit=group,
        code="computer-room",
        name="计算机室",
        domains=["hardware", "network"],
    )
    own = org_services.create(
        Team, actor=group_admin, unit=unit_a, code="net", name="网络班", domains=["network"]
    )
    assert make_item(unit_a, "switch", "SW-1").owner_team == own
    assert make_item(unit_a, "server", "SRV-1").owner_team == group_team
    assert make_item(unit_a, "ups", "UPS-1").owner_team is None


@pytest.mark.parametrize(
    ("type_code", "attributes", "field"),
    [
        ("switch", {}, "attributes.ports"),
        ("switch", {"ports": "many"}, "attributes.ports"),
        ("switch", {"ports": 48, "colour": "red"}, "attributes.colour"),
        ("switch", {"ports": 48, "layer": "L7"}, "attributes.layer"),
        ("switch", {"ports": 48, "mgmt_ip": "10.0.0.300"}, "attributes.mgmt_ip"),
        ("server", {"memory_gb": 1.5}, "attributes.memory_gb"),
        ("server", {"purchased_on": "2024-13-01"}, "attributes.purchased_on"),
        ("server", {"virtual": "perhaps"}, "attributes.virtual"),
        ("oa-application", {"url": "javascript:alert(1)"}, "attributes.url"),
        ("storage-array", {"raw_tb": "NaN"}, "attributes.raw_tb"),
    ],
)
def test_attribute_of_the_wrong_kind_names_the_attribute(unit_a, make_item, type_code, attributes, field):
    with pytest.raises(DomainError) as exc:
        make_item(unit_a, type_code, "X-1", attributes=attributes)
    assert exc.value.field == field
    assert not Item.objects.filter(code="X-1").exists()


def test_duplicate_code_in_a_unit_is_refused_but_another_unit_may_use_it(unit_a, unit_b, make_item):
    make_item(unit_a, "server", "SRV-1")
    with pytest.raises(DomainError) as exc:
        make_item(unit_a, "server", "SRV-1")
    assert exc.value.field == "code"
    assert Item.objects.filter(unit=unit_a, code="SRV-1").count() == 1
    make_item(unit_b, "server", "SRV-1")
    assert set(Item.objects.filter(code="SRV-1").values_list("unit_id", flat=True)) == {unit_a.pk, unit_b.pk}


def test_unit_admin_manages_own_unit_only(unit_a, unit_b, unit_admin_a, unit_user_a, make_item):
    make_item(unit_a, "server", "OWN", actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        make_item(unit_b, "server", "FOREIGN", actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        make_item(unit_a, "server", "USER", actor=unit_user_a)


def test_stale_edit_is_refused(unit_a, make_item, group_admin):
    item = make_item(unit_a, "server", "SRV-1")
    services.update(item, actor=group_admin, expected_version=1, name="新名称")
    with pytest.raises(StaleEdit):
        services.update(item, actor=group_admin, expected_version=1, name="旧版本")
    item.refresh_from_db()
    assert (item.name, item.version) == ("新名称", 2)


def test_changing_type_revalidates_attributes_and_domain(unit_a, make_item, item_types, group_admin):
    item = make_item(unit_a, "server", "SRV-1", attributes={"cpu_cores": 8})
    with pytest.raises(DomainError) as exc:
        services.update(item, actor=group_admin, type=item_types["switch"])
    assert exc.value.field == "attributes.cpu_cores"
    item = services.update(item, actor=group_admin, type=item_types["switch"], attributes={"ports": 24})
    assert item.domain == "network"


def test_relation_rules_refuse_a_forbidden_pair(unit_a, make_item, relate):
    ups = make_item(unit_a, "ups", "UPS")
    oa = make_item(unit_a, "oa-application", "OA")
    with pytest.raises(DomainError) as exc:
        relate(ups, "runs-on", oa)
    assert exc.value.field == "source"
    srv = make_item(unit_a, "server", "SRV")
    with pytest.raises(DomainError) as exc:
        relate(srv, "powered-by", oa)
    assert exc.value.field == "target"
    assert not Relation.objects.exists()


def test_duplicate_and_self_relations_are_refused(unit_a, make_item, relate):
    oa, srv = make_item(unit_a, "oa-application", "OA"), make_item(unit_a, "server", "SRV")
    relate(oa, "runs-on", srv)
    with pytest.raises(DomainError):
        relate(oa, "runs-on", srv)
    with pytest.raises(DomainError):
        relate(srv, "depends-on", srv)


def test_cycle_is_refused_naming_the_path(chain, relate):
    with pytest.raises(DomainError) as exc:
        relate(chain["ups"], "depends-on", chain["oa"])
    assert exc.value.field == "target"
    assert "UPS → OA → MW → OS → SRV → UPS" in exc.value.message
    assert not Relation.objects.filter(source=chain["ups"], target=chain["oa"]).exists()
    # A relation that does not propagate impact may point back.
    relate(chain["srv"], "backs-up", chain["oa"])
    assert Relation.objects.filter(source=chain["srv"], target=chain["oa"], type__code="backs-up").exists()


def test_relation_type_becoming_a_dependency_is_refused_when_it_would_close_a_cycle(
    chain, relate, relation_types, group_admin
):
    relate(chain["srv"], "backs-up", chain["oa"])
    with pytest.raises(DomainError) as exc:
        services.update(relation_types["backs-up"], actor=group_admin, is_dependency=True)
    assert exc.value.field == "is_dependency"
    assert not RelationType.objects.get(code="backs-up").is_dependency


def test_deleting_an_item_audits_each_relation(chain, group_admin):
    srv = chain["srv"]
    relation_ids = list(Relation.objects.filter(source=srv).values_list("pk", flat=True)) + list(
        Relation.objects.filter(target=srv).values_list("pk", flat=True)
    )
    services.delete(srv, actor=group_admin)
    deleted = AuditEvent.objects.filter(object_type="cmdb.relation", action="delete")
    assert {int(e.object_id) for e in deleted} == set(relation_ids)


def test_only_a_group_admin_edits_the_catalogue(unit_admin_a, group_admin):
    with pytest.raises(PermissionDenied):
        services.create(ItemType, actor=unit_admin_a, code="printer", name="打印机", domain="hardware")
    printer = services.create(
        ItemType,
        actor=group_admin,
        code="printer",
        name="打印机",
        domain="hardware",
        attributes=[{"code": "colour", "label": "彩色", "kind": "bool"}],
    )
    assert printer.attributes == [{"code": "colour", "label": "彩色", "kind": "bool", "required": False}]


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ([{"code": "Bad Code", "label": "x"}], "attributes.0"),
        ([{"code": "a", "label": "x"}, {"code": "a", "label": "y"}], "attributes.1"),
        ([{"code": "a", "label": "x", "kind": "colour"}], "attributes.0"),
        ([{"code": "a", "label": "x", "kind": "choice"}], "attributes.0"),
        ("not a list", "attributes"),
    ],
)
def test_bad_type_schema_names_the_attribute(group_admin, attributes, field):
    with pytest.raises(DomainError) as exc:
        services.create(
            ItemType, actor=group_admin, code="t", name="t", domain="hardware", attributes=attributes
        )
    assert exc.value.field == field


def test_type_with_items_cannot_change_domain(unit_a, make_item, item_types, group_admin):
    make_item(unit_a, "server", "SRV")
    with pytest.raises(DomainError) as exc:
        services.update(item_types["server"], actor=group_admin, domain="network")
    assert exc.value.field == "domain"
