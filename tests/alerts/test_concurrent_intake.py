"""Deliveries of the same new alerts at the same moment on PostgreSQL: the one that inserts first stores
them together; the others find them stored (the unique fingerprint) and count their repeats, one by one.
Each alert is stored once, fired once and correlated once."""

import json
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from yunwei.alerts import services
from yunwei.alerts.models import Alert, AlertEvent, PendingCorrelation
from yunwei.incidents.models import Signal

from .conftest import am_alert, am_payload

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SENDERS = 4


def test_the_same_new_alerts_delivered_at_once_are_stored_and_fired_once(am_a, servers_a):
    body = json.dumps(am_payload(*(am_alert(name=f"A{n}", instance="oa-app-01:9100") for n in range(20))))
    barrier = threading.Barrier(SENDERS)
    errors = []

    def deliver():
        try:
            barrier.wait()
            services.receive(am_a.token, am_a.kind, body.encode())
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Alert.objects.count() == 20
    assert AlertEvent.objects.filter(kind="fired").count() == 20
    # Tasks run in-process here: each commit's ask drained the outbox, one signal per alert.
    assert not PendingCorrelation.objects.exists()
    assert Signal.objects.filter(source="alert").count() == 20
    assert Alert.objects.aggregate(repeats=Sum("repeat_count"))["repeats"] == 20 * (SENDERS - 1)
