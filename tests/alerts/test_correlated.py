"""Alerts reach correlation: a firing alert placed on its item opens the one incident of its fault (to be
confirmed, docs/correlation.md), a repeat adds nothing, mapping an unmatched alert by hand places it, and
its resolve resolves the signal."""

import pytest

from yunwei.alerts import services
from yunwei.alerts.models import Alert
from yunwei.incidents.models import Incident, Signal

from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db


def test_a_firing_alert_opens_its_incident_once_and_its_resolve_resolves_the_signal(am_a, servers_a, post):
    post(am_a, am_payload(am_alert(fingerprint="f1")))
    post(am_a, am_payload(am_alert(fingerprint="f1")))  # a repeat

    alert = Alert.objects.get()
    signal = Signal.objects.get(source="alert", key=f"alert:{alert.pk}")
    assert (signal.state, signal.item) == ("firing", servers_a["app"])
    incident = Incident.objects.get()
    assert alert.incident == incident == signal.incident
    assert incident.state == "to_confirm" and list(incident.affected_items.all()) == [servers_a["app"]]

    post(am_a, am_payload(am_alert("resolved", fingerprint="f1")))

    signal.refresh_from_db()
    assert signal.state == "resolved" and signal.resolved_at is not None
    assert Incident.objects.count() == 1


def test_an_unmatched_alert_opens_nothing_until_it_is_mapped(am_a, servers_a, post, group_admin):
    post(am_a, am_payload(am_alert(fingerprint="u1", instance="nowhere-01:9100")))
    alert = Alert.objects.get()
    assert alert.item is None and not Signal.objects.exists() and not Incident.objects.exists()

    services.map_alert(alert, item=servers_a["db"], actor=group_admin)

    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert signal.item == servers_a["db"] and signal.incident is not None
    assert Alert.objects.get().incident == signal.incident
