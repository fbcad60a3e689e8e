"""Two signals at the same instant on one item, or on a root and its child, open one incident (Art. 3:
one fault, one incident): correlation's "find or open the incident" holds the chain's rows. The two
deliveries are stored at once, then two workers drain the correlation outbox at once: each claims the
change the other has not (`SKIP LOCKED`), so the two correlations meet. The same new alerts delivered at
once are stored once: the delivery that inserts first stores them together, the others find them stored
(the unique fingerprint) and count their repeats."""

import json
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from yunwei.alerts import services
from yunwei.alerts.models import Alert, AlertEvent, PendingCorrelation
from yunwei.incidents.choices import OPEN_STATES, Source
from yunwei.incidents.models import Incident, Signal

from ..incidents.topology import depends, item
from .conftest import am_alert, am_payload, make_integration

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself"),
    # Threads need committed rows; serialized_rollback reloads what the migrations shipped afterwards.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def at_once(*targets) -> list[Exception]:
    """Run the targets in threads released together by a barrier; the errors they raised."""
    errors = []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def deliver(integration, alert: dict):
    body = json.dumps(am_payload(alert)).encode()
    return lambda: services.receive(integration.token, integration.kind, body)


@pytest.fixture
def chain(unit_a, group_admin):
    """A switch and a server behind it (SRV → SW), each found by its hostname."""
    sw = item(unit_a, "switch", "SW-R", actor=group_admin, hostname="sw-r")
    srv = item(unit_a, "server", "SRV-R", actor=group_admin, hostname="srv-r")
    depends(srv, sw, actor=group_admin, type_code="connected-via")
    integration = make_integration(unit_a, group_admin)
    services.create_rule(actor=group_admin, integration=integration, label="instance", field="instance")
    return {"sw": sw, "srv": srv, "integration": integration}


def test_two_alerts_on_one_item_at_once_open_one_incident_holding_both(chain):
    integration = chain["integration"]
    errors = at_once(
        deliver(integration, am_alert(name="InstanceDown", instance="srv-r:9100")),
        deliver(integration, am_alert(name="DiskFull", instance="srv-r:9100")),
    )
    errors += at_once(services.correlate_pending, services.correlate_pending)
    assert errors == [] and not PendingCorrelation.objects.exists()
    alerts = list(Alert.objects.filter(integration=integration))
    assert len(alerts) == 2 and {alert.item_id for alert in alerts} == {chain["srv"].pk}
    incidents = Incident.objects.filter(source=Source.MONITORING)
    assert incidents.count() == 1
    incident = incidents.get()
    assert {alert.incident_id for alert in alerts} == {incident.pk}
    signals = Signal.objects.filter(key__in=[f"alert:{alert.pk}" for alert in alerts])
    assert signals.count() == 2 and {signal.incident_id for signal in signals} == {incident.pk}


def test_a_root_and_its_child_at_once_end_in_one_open_incident_holding_both(chain):
    integration = chain["integration"]
    errors = at_once(
        deliver(integration, am_alert(name="SwitchDown", instance="sw-r:161")),
        deliver(integration, am_alert(name="InstanceDown", instance="srv-r:9100")),
    )
    errors += at_once(services.correlate_pending, services.correlate_pending)
    assert errors == [] and not PendingCorrelation.objects.exists()
    alerts = {alert.item_id: alert for alert in Alert.objects.filter(integration=integration)}
    assert set(alerts) == {chain["sw"].pk, chain["srv"].pk}
    signals = {
        signal.item_id: signal
        for signal in Signal.objects.filter(key__in=[f"alert:{alert.pk}" for alert in alerts.values()])
    }
    open_incidents = Incident.objects.filter(source=Source.MONITORING, state__in=OPEN_STATES)
    # Whichever came first, the child's signal ends in the root's incident: folded under it, or its own
    # incident merged into the root's when the root's was opened second.
    assert open_incidents.count() == 1
    incident = open_incidents.get()
    assert {signal.incident_id for signal in signals.values()} == {incident.pk}
    assert signals[chain["srv"].pk].folded_under_id == signals[chain["sw"].pk].pk
    assert (
        Incident.objects.filter(source=Source.MONITORING)
        .exclude(pk=incident.pk)
        .exclude(merged_into=incident)
        .count()
        == 0
    )


SENDERS = 4


def test_the_same_new_alerts_delivered_at_once_are_stored_and_fired_once(am_a, servers_a):
    body = json.dumps(am_payload(*(am_alert(name=f"A{n}", instance="oa-app-01:9100") for n in range(20))))

    def deliver_batch():
        services.receive(am_a.token, am_a.kind, body.encode())

    assert at_once(*[deliver_batch] * SENDERS) == []
    assert Alert.objects.count() == 20
    assert AlertEvent.objects.filter(kind="fired").count() == 20
    # Tasks run in-process here: each commit's ask drained the outbox, one signal per alert.
    assert not PendingCorrelation.objects.exists()
    assert Signal.objects.filter(source="alert").count() == 20
    assert Alert.objects.aggregate(repeats=Sum("repeat_count"))["repeats"] == 20 * (SENDERS - 1)
