"""Mapping onto the inventory: ordered rules (a rule whose label is empty in the sample is refused, the
sample shown), alerts matching no item or several waiting in the unmatched queue, and a mapping by hand
that takes the waiting siblings along and places later alerts with the same value."""

import pytest
from django.db import connection

from yunwei.alerts import services
from yunwei.alerts.models import Alert, LabelMapping
from yunwei.alerts.services import intake
from yunwei.audit.models import AuditEvent
from yunwei.cmdb.models import Item, ItemType
from yunwei.core.errors import DomainError, PermissionDenied

from ..conftest import make_item
from .conftest import am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db


def test_an_alert_matching_no_item_waits_in_the_queue_with_its_key(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(instance="nowhere:9100")))
    alert = Alert.objects.get()
    assert (alert.match, alert.item, alert.match_label, alert.match_value) == (
        "unmatched",
        None,
        "instance",
        "nowhere:9100",
    )


def test_an_alert_matching_several_items_is_ambiguous_never_placed_on_one(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(instance="twin:9100")))
    alert = Alert.objects.get()
    assert (alert.match, alert.item) == ("ambiguous", None)


def test_rules_are_tried_in_order_the_first_that_finds_one_item_wins(unit_a, group_admin, servers_a, post):
    integration = make_integration(unit_a, group_admin)
    services.create_rule(
        actor=group_admin,
        integration=integration,
        label="code",
        field="code",
        position=1,
        sample={"code": "OA-DB-01"},
    )
    services.create_rule(
        actor=group_admin, integration=integration, label="instance", field="instance", position=2
    )
    post(integration, am_payload(am_alert(code="OA-DB-01", instance="oa-app-01:9100", fingerprint="1")))
    post(integration, am_payload(am_alert(code="NO-SUCH", instance="oa-app-01:9100", fingerprint="2")))
    assert Alert.objects.get(fingerprint="1").item == servers_a["db"]
    assert Alert.objects.get(fingerprint="2").item == servers_a["app"]


def test_another_units_item_is_never_matched(am_a, unit_b, group_admin, post):
    make_item(unit_b, "server", "B-APP", actor=group_admin, hostname="oa-app-01")
    post(am_a, am_payload(am_alert()))
    assert Alert.objects.get().match == "unmatched"


def test_a_rule_whose_label_is_empty_in_the_sample_is_refused_showing_the_sample(am_a, group_admin, post):
    with pytest.raises(DomainError) as refused:
        services.create_rule(actor=group_admin, integration=am_a, label="hostname", field="hostname")
    assert refused.value.field == "label"
    assert '"instance": "oa-app-01:9100"' in refused.value.message  # the kind's sample, shown
    # Once alerts arrive, the latest one's labels are the sample.
    post(am_a, am_payload(am_alert(hostname="oa-app-01")))
    rule = services.create_rule(actor=group_admin, integration=am_a, label="hostname", field="hostname")
    assert rule.position == 2
    with pytest.raises(DomainError) as refused:
        services.create_rule(
            actor=group_admin, integration=am_a, label="hostname", field="hostname", sample={"job": "node"}
        )
    assert '{"job": "node"}' in refused.value.message


def test_mapping_by_hand_maps_the_waiting_siblings_and_later_alerts_with_the_value(
    am_a, servers_a, unit_admin_a, post
):
    for name in ("DiskFull", "HighLoad"):
        post(am_a, am_payload(am_alert(name=name, instance="legacy-01:9100")))
    post(am_a, am_payload(am_alert(name="Other", instance="legacy-02:9100")))
    first = Alert.objects.get(name="DiskFull")
    mapped = services.map_alert(first, servers_a["app"], actor=unit_admin_a)
    assert sorted(mapped) == sorted(
        Alert.objects.filter(match_value="legacy-01:9100").values_list("pk", flat=True)
    )
    assert set(Alert.objects.filter(pk__in=mapped).values_list("item", "match")) == {
        (servers_a["app"].pk, "manual")
    }
    assert Alert.objects.get(name="Other").match == "unmatched"  # another value waits on
    assert LabelMapping.objects.get().value == "legacy-01:9100"
    assert AuditEvent.objects.filter(action="update", object_id=str(first.pk)).exists()
    assert set(first.events.values_list("kind", flat=True)) == {"fired", "mapped"}
    post(am_a, am_payload(am_alert(name="Later", instance="legacy-01:9100")))
    assert Alert.objects.get(name="Later").item == servers_a["app"]


def test_mapping_refuses_another_units_item_and_an_alert_already_placed(
    am_a, servers_a, unit_b, unit_admin_a, group_admin, post
):
    post(am_a, am_payload(am_alert(instance="legacy:1", fingerprint="w")))
    post(am_a, am_payload(am_alert(fingerprint="p")))
    foreign = make_item(unit_b, "server", "B-1", actor=group_admin)
    with pytest.raises(DomainError) as refused:
        services.map_alert(Alert.objects.get(fingerprint="w"), foreign, actor=unit_admin_a)
    assert refused.value.field == "item"
    with pytest.raises(DomainError) as refused:
        services.map_alert(Alert.objects.get(fingerprint="p"), servers_a["db"], actor=unit_admin_a)
    assert "already" in refused.value.message


def test_a_plain_user_may_not_map(am_a, servers_a, unit_user_a, post):
    post(am_a, am_payload(am_alert(instance="legacy:1")))
    with pytest.raises(PermissionDenied):
        services.map_alert(Alert.objects.get(), servers_a["app"], actor=unit_user_a)
    assert Alert.objects.get().match == "unmatched"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_each_rule_finds_its_item_by_index_hostnames_in_any_case(unit_a):
    # Without it, each new alert read every item of its unit (41 ms at 200,000 items): the value must be
    # a condition of the index read, not a filter over the unit's rows.
    values = {"code": "SRV-1", "hostname": "Host-1", "ip": "10.0.0.1", "instance": "HOST-1:9100"}
    conditions = {
        "code": "(code)::text = 'SRV-1'",
        "hostname": "upper((hostname)::text) = 'HOST-1'",
        "ip": "ip = '10.0.0.1'",
        "instance": "upper((hostname)::text) = 'HOST-1'",
    }
    server = ItemType.objects.get(code="server")
    Item.objects.bulk_create(
        Item(
            unit=unit_a,
            type=server,
            domain=server.domain,
            code=f"SRV-{k}",
            name=f"server {k}",
            hostname=f"host-{k}",
            ip=f"10.0.{k // 250}.{k % 250 + 1}",
        )
        for k in range(500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cmdb_item")  # the planner weighs the indexes by the table's statistics
        cursor.execute("SET LOCAL enable_seqscan = off")
        for field, value in values.items():
            plan = intake.candidates(unit_a.pk, field, value).values("pk").explain()
            index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
            assert any(conditions[field] in line for line in index_conditions), (field, plan)
