"""The sweeps: a firing alert not repeated within k × the repeat interval goes stale (a repeat in time
keeps it firing); an integration whose watchdog or minimum traffic stops is marked silent and its unit's
admins and lead told (never an incident), and told again when it comes back; raw payloads are pruned
after their retention, in batches, and the alerts are kept."""

import datetime

import pytest
import time_machine

from yunwei.alerts import services
from yunwei.alerts.models import Alert, Integration, Payload
from yunwei.incidents.models import Incident
from yunwei.notify.models import Notice
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import am_alert, am_payload, make_integration

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def test_an_alert_not_repeated_within_k_repeat_intervals_goes_stale(am_a, servers_a, post):
    with time_machine.travel(START, tick=False):
        post(am_a, am_payload(am_alert(fingerprint="a")))
        post(am_a, am_payload(am_alert(fingerprint="b")))
    with time_machine.travel(START + 47 * HOUR, tick=False):
        post(am_a, am_payload(am_alert(fingerprint="b")))  # b repeats in time
    assert services.sweep_stale(now=START + 47 * HOUR) == 0
    assert services.sweep_stale(now=START + 48 * HOUR + datetime.timedelta(seconds=1)) == 1
    assert Alert.objects.get(fingerprint="a").status == "stale"
    assert Alert.objects.get(fingerprint="b").status == "firing"
    assert list(Alert.objects.get(fingerprint="a").events.values_list("kind", "from_state", "to_state")) == [
        ("fired", "", "firing"),
        ("stale", "firing", "stale"),
    ]
    # Swept twice, told once: the claim is a conditional update.
    assert services.sweep_stale(now=START + 49 * HOUR) == 0


def test_a_stale_alert_that_fires_again_is_firing(am_a, servers_a, post):
    with time_machine.travel(START, tick=False):
        post(am_a, am_payload(am_alert(fingerprint="a")))
    services.sweep_stale(now=START + 49 * HOUR)
    with time_machine.travel(START + 50 * HOUR, tick=False):
        post(am_a, am_payload(am_alert(fingerprint="a")))
    assert Alert.objects.get().status == "firing"


@pytest.fixture
def lead_a(unit_a):
    return make_user("a-lead", unit_a, Role.SYSTEM_LEAD)


def test_an_integration_whose_watchdog_stops_goes_silent_and_is_told_never_an_incident(
    unit_a, group_admin, unit_admin_a, lead_a, post
):
    with time_machine.travel(START, tick=False):
        watched = make_integration(unit_a, group_admin, expect_watchdog=True, quiet_after=600)
        post(watched, am_payload(am_alert(name="Watchdog", instance="")))
    assert services.sweep_silent(now=START + datetime.timedelta(seconds=599)) == 0
    assert services.sweep_silent(now=START + datetime.timedelta(seconds=601)) == 1
    watched.refresh_from_db()
    assert watched.state == "silent"
    notice = Notice.objects.get(event_key__startswith=f"alert-integration:{watched.pk}:silent")
    assert "告警接入静默" in notice.subject_zh
    assert notice.subject_en.startswith("[Alert integration silent]")
    told = set(notice.deliveries.values_list("recipient", flat=True))
    assert told == {"a-admin@example.cn", "a-lead@example.cn"}
    assert not Incident.objects.exists()
    assert services.sweep_silent(now=START + 2 * HOUR) == 0  # told once
    with time_machine.travel(START + 3 * HOUR, tick=False):
        post(watched, am_payload(am_alert(name="Watchdog", instance="")))
    watched.refresh_from_db()
    assert watched.state == "receiving"
    assert Notice.objects.filter(event_key__startswith=f"alert-integration:{watched.pk}:receiving").exists()


def test_an_integration_below_its_minimum_traffic_goes_silent_and_wakes_when_it_returns(
    unit_a, group_admin, post
):
    with time_machine.travel(START, tick=False):
        busy = make_integration(unit_a, group_admin, min_payloads=3, quiet_after=3600)
    with time_machine.travel(START + HOUR, tick=False):
        post(busy, am_payload(am_alert(fingerprint="x")))
    assert services.sweep_silent(now=START + HOUR + datetime.timedelta(minutes=1)) == 1
    assert Integration.objects.get(pk=busy.pk).state == "silent"
    with time_machine.travel(START + 2 * HOUR, tick=False):
        for _ in range(3):
            post(busy, am_payload(am_alert(fingerprint="x")))
    assert Integration.objects.get(pk=busy.pk).state == "receiving"


def test_an_integration_expecting_nothing_is_never_silent(unit_a, group_admin):
    with time_machine.travel(START, tick=False):
        make_integration(unit_a, group_admin)
    assert services.sweep_silent(now=START + 30 * 24 * HOUR) == 0


def test_payloads_past_their_retention_are_pruned_in_batches_and_alerts_kept(unit_a, group_admin, post):
    with time_machine.travel(START, tick=False):
        short = make_integration(unit_a, group_admin, payload_retention_days=1)
        for k in range(5):
            post(short, am_payload(am_alert(fingerprint=f"k{k}")))
    with time_machine.travel(START + 20 * HOUR, tick=False):
        post(short, am_payload(am_alert(fingerprint="young")))
    assert services.prune(now=START + 25 * HOUR, batch=2) == 5
    assert list(Payload.objects.values_list("alert_count", flat=True)) == [1]
    assert Alert.objects.count() == 6
