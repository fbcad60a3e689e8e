"""Alerts reach correlation: a firing alert placed on its item opens the one incident of its fault (to be
confirmed, docs/correlation.md), a repeat adds nothing, mapping an unmatched alert by hand places it, and
its resolve resolves the signal. Intake puts each change in an outbox that the worker drains after the
commit."""

import datetime
import json

import pytest
from django.utils import timezone

from yunwei.alerts import services
from yunwei.alerts.models import Alert, PendingCorrelation
from yunwei.incidents.models import Incident, Signal
from yunwei.incidents.services import correlation

from ..incidents.topology import window
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
    # Mapping answers at once; the worker places the alert, as it places what intake stores.
    assert not Signal.objects.exists() and Alert.objects.get().item == servers_a["db"]
    services.correlate_pending()

    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert signal.item == servers_a["db"] and signal.incident is not None
    assert Alert.objects.get().incident == signal.incident


def _stored(integration, *alerts, at=None):
    """Intake alone, as the web process does it: the alerts and the outbox, nothing correlated yet."""
    body = json.dumps(am_payload(*alerts)).encode()
    return services.receive(integration.token, integration.kind, body, now=at or timezone.now())


def test_intake_leaves_the_change_in_the_outbox_and_one_drain_correlates_it(am_a, servers_a):
    fired_at = timezone.now() - datetime.timedelta(minutes=5)
    _stored(am_a, am_alert(fingerprint="k1"), at=fired_at)
    alert = Alert.objects.get()
    assert list(PendingCorrelation.objects.values_list("alert_id", "change")) == [(alert.pk, "fired")]
    assert not Signal.objects.exists() and not Incident.objects.exists()

    assert services.correlate_pending() == 1

    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert signal.state == "firing" and signal.first_at == fired_at  # timed from the delivery, not the drain
    assert Alert.objects.get().incident == signal.incident is not None
    assert not PendingCorrelation.objects.exists()
    # Drained again, nothing is left: the signal is not fired twice.
    assert services.correlate_pending() == 0
    assert (Signal.objects.count(), Signal.objects.get().repeats) == (1, 0)

    _stored(am_a, am_alert("resolved", fingerprint="k1"))
    assert Signal.objects.get().state == "firing"  # the resolve is stored, not yet correlated
    assert services.correlate_pending() == 1
    assert Signal.objects.get().state == "resolved"


def test_a_repeat_puts_nothing_in_the_outbox(am_a, servers_a):
    _stored(am_a, am_alert(fingerprint="r1"))
    services.correlate_pending()
    _stored(am_a, am_alert(fingerprint="r1"))
    assert Alert.objects.get().repeat_count == 1 and not PendingCorrelation.objects.exists()


def test_a_stored_change_overtaken_by_a_later_delivery_is_not_correlated(am_a, servers_a):
    _stored(am_a, am_alert(fingerprint="o1"))
    _stored(am_a, am_alert("resolved", fingerprint="o1"))  # resolved before the fire was correlated

    # The late fire of an alert now resolved would leave a signal firing for ever.
    assert services.correlate_pending() == 2

    assert Alert.objects.get().status == "resolved"
    assert not Signal.objects.filter(state="firing").exists() and not Incident.objects.exists()
    assert not PendingCorrelation.objects.exists()


def test_an_alert_held_by_a_window_links_to_the_incident_placed_when_the_window_ends(
    am_a, servers_a, post, unit_a
):
    now = timezone.now()
    change = window(
        unit_a, [servers_a["app"]], now - datetime.timedelta(minutes=5), now + datetime.timedelta(minutes=30)
    )
    post(am_a, am_payload(am_alert(fingerprint="w1")))
    alert = Alert.objects.get()
    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert signal.suppressed_by == change and alert.incident is None and not Incident.objects.exists()

    later = now + datetime.timedelta(minutes=31)
    assert correlation.recheck_windows(later) == 1
    incident = Incident.objects.get()
    assert Alert.objects.get().incident is None  # the window's re-check belongs to incidents, not alerts

    assert services.link_incidents(since=now - datetime.timedelta(days=1)) == 1

    assert Alert.objects.get().incident == incident
    assert list(incident.suspected_changes.all()) == [change]


def test_after_the_commit_intake_asks_the_worker_which_drains_the_outbox(
    am_a, servers_a, django_capture_on_commit_callbacks
):
    """The ask reaches the task (run in-process here, as in every test): no drain by hand."""
    for fingerprint in ("a1", "a2"):  # two asks within the second: each drains, with no scheduler after them
        with django_capture_on_commit_callbacks(execute=True):
            _stored(am_a, am_alert(fingerprint=fingerprint))
    assert not PendingCorrelation.objects.exists()
    assert Alert.objects.filter(incident__isnull=False).count() == 2 and Incident.objects.count() == 1
