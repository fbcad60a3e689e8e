"""What one new alert costs the database (issue 22, Performance): the request stores it and reads no rule
again; the worker's drain of the correlation outbox reads the relation types, the correlation settings,
each item's impact walks and the items with windows once, not for every alert; an edit of a rule is still
seen by the next request."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.alerts import services
from yunwei.alerts.models import Alert, AlertEvent, PendingCorrelation

from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


def deliver(integration, *alerts):
    return services.receive(integration.token, integration.kind, json.dumps(am_payload(*alerts)).encode())


def queries_of(integration, *alerts) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        deliver(integration, *alerts)
    return [query["sql"] for query in captured.captured_queries]


def drain_queries() -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        services.correlate_pending()
    return [query["sql"] for query in captured.captured_queries]


def test_the_intake_of_a_new_alert_stores_it_and_reads_no_rule_and_nothing_of_correlation(am_a, servers_a):
    deliver(am_a, am_alert(name="InstanceDown", instance="oa-app-01:9100"))  # reads the rules
    sql = queries_of(am_a, am_alert(name="DiskFull", instance="oa-app-01:9100"))
    assert Alert.objects.get(name="DiskFull").item == servers_a["app"]
    assert not [query for query in sql if '"alerts_mappingrule"' in query]  # kept since the first delivery
    assert not [query for query in sql if '"incidents_' in query or '"audit_' in query]  # the worker's part
    assert len(sql) <= 12


def test_the_new_alerts_of_a_batch_are_stored_together_not_one_by_one(am_a, servers_a):
    deliver(am_a, am_alert(name="Warm", instance="oa-app-01:9100"))  # reads the rules
    batch = [am_alert(name=f"New{n}", instance="oa-app-01:9100") for n in range(10)]
    sql = queries_of(am_a, *batch)
    assert Alert.objects.filter(name__startswith="New", item=servers_a["app"]).count() == 10
    assert PendingCorrelation.objects.filter(alert__name__startswith="New", change="fired").count() == 10
    assert AlertEvent.objects.filter(alert__name__startswith="New", kind="fired").count() == 10
    for table in ("alerts_alert", "alerts_alertevent", "alerts_pendingcorrelation"):
        assert len([query for query in sql if query.startswith(f'INSERT INTO "{table}"')]) == 1, table


def test_a_new_alert_on_an_item_with_an_open_incident_reads_no_type_or_setting_twice(am_a, servers_a):
    deliver(am_a, am_alert(name="InstanceDown", instance="oa-app-01:9100"))
    services.correlate_pending()  # opens the incident
    deliver(am_a, am_alert(name="DiskFull", instance="oa-app-01:9100"))
    sql = drain_queries()
    first, second = Alert.objects.get(name="InstanceDown"), Alert.objects.get(name="DiskFull")
    assert second.incident_id == first.incident_id is not None
    assert len([query for query in sql if 'FROM "cmdb_relationtype"' in query]) == 1
    assert len([query for query in sql if 'FROM "incidents_correlationsettings"' in query]) <= 1
    assert len(sql) <= 24


def test_a_drain_reads_the_types_settings_walks_and_windows_once_not_per_alert(am_a, servers_a):
    deliver(am_a, am_alert(name="Warm", instance="oa-db-01:9100"))
    services.correlate_pending()
    deliver(am_a, *(am_alert(name=f"A{n}", instance="oa-app-01:9100") for n in range(10)))
    sql = drain_queries()
    assert (
        Alert.objects.filter(name__startswith="A", item=servers_a["app"], incident__isnull=False).count()
        == 10
    )
    assert len([query for query in sql if 'FROM "cmdb_relationtype"' in query]) == 1
    assert len([query for query in sql if 'FROM "incidents_correlationsettings"' in query]) == 1
    # The item's impact walks (up: the chain it locks; down: what it adopts) and the items with windows.
    assert len([query for query in sql if "WITH RECURSIVE" in query]) == 2
    windows = [query for query in sql if query.startswith('SELECT "changes_maintenancewindow"."item_id"')]
    assert len(windows) == 1
    assert not [query for query in sql if 'FROM "changes_recurringwindow"' in query]  # no lookup per alert


def test_an_edited_rule_is_read_by_the_next_request(am_a, servers_a, group_admin):
    deliver(am_a, am_alert(name="First", instance="oa-app-01:9100"))
    assert Alert.objects.get(name="First").item == servers_a["app"]
    rule = am_a.rules.get()
    services.update_rule(rule, actor=group_admin, label="host", field="hostname", sample={"host": "oa-db-01"})
    deliver(am_a, am_alert(name="Second", instance="oa-app-01:9100", host="oa-db-01"))
    assert Alert.objects.get(name="Second").item == servers_a["db"]
