"""Alerts reach correlation: a firing alert placed on its item opens the one incident of its fault (to be
confirmed, docs/correlation.md), a repeat adds nothing, mapping an unmatched alert by hand places it, and
its resolve resolves the signal."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from yunwei.alerts import services
from yunwei.alerts.models import Alert
from yunwei.alerts.services import parsing
from yunwei.alerts.services.history import correlate_stored
from yunwei.alerts.services.intake import ingest
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

    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert signal.item == servers_a["db"] and signal.incident is not None
    assert Alert.objects.get().incident == signal.incident


def _stored_only(integration, payload, at):
    """What intake commits when its worker is killed before correlating: the alerts, no signal."""
    pending: list = []
    with transaction.atomic():
        ingest(integration, parsing.PARSERS["alertmanager"](payload), at, later=pending)
    return pending


def test_the_sweep_correlates_what_a_killed_worker_stored(am_a, servers_a):
    fired_at = timezone.now() - datetime.timedelta(minutes=5)
    pending = _stored_only(am_a, am_payload(am_alert(fingerprint="k1")), fired_at)
    alert = Alert.objects.get()
    assert [(pk, change) for pk, change, _at in pending] == [(alert.pk, "fired")]
    assert not Signal.objects.exists() and not Incident.objects.exists()

    now = timezone.now()
    swept = services.sweep_uncorrelated(now, since=now - datetime.timedelta(days=1), before=now)

    signal = Signal.objects.get(key=f"alert:{alert.pk}")
    assert swept == 1 and signal.state == "firing" and signal.first_at == fired_at
    assert Alert.objects.get().incident == signal.incident is not None
    # Run again, it finds nothing left: the signal is not fired twice.
    assert services.sweep_uncorrelated(now, since=now - datetime.timedelta(days=1), before=now) == 0
    assert Signal.objects.count() == 1

    _stored_only(am_a, am_payload(am_alert("resolved", fingerprint="k1")), timezone.now())
    assert Signal.objects.get().state == "firing"  # the resolve was stored, not correlated
    now = timezone.now()
    assert services.sweep_uncorrelated(now, since=now - datetime.timedelta(days=1), before=now) == 1
    assert Signal.objects.get().state == "resolved"


def test_a_stored_change_overtaken_by_a_later_delivery_is_not_correlated(am_a, servers_a, post):
    fired = _stored_only(am_a, am_payload(am_alert(fingerprint="o1")), timezone.now())
    post(am_a, am_payload(am_alert("resolved", fingerprint="o1")))  # resolved before the fire was correlated

    correlate_stored(fired)  # the late fire of an alert now resolved would leave a signal firing for ever

    assert Alert.objects.get().status == "resolved"
    assert not Signal.objects.filter(state="firing").exists() and not Incident.objects.exists()


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

    services.sweep_uncorrelated(later, since=now - datetime.timedelta(days=1), before=later)

    assert Alert.objects.get().incident == incident
    assert list(incident.suspected_changes.all()) == [change]
