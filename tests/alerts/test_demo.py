"""The demo's alerts and correlation, loaded after the organisation, inventory, incidents and changes as
`yunwei demo` loads them: an Alertmanager integration with weeks of alerts folded into incidents, a
Zabbix one, two unmatched alerts, a false alarm, a change whose window held alerts back and one named as
suspected cause."""

import datetime

import pytest
import time_machine

from yunwei.alerts import demo as alerts_demo
from yunwei.alerts.models import Alert, AlertEvent, Integration, Payload
from yunwei.changes import demo as changes_demo
from yunwei.cmdb import demo as cmdb_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.incidents.models import Incident, IncidentEvent, Notice, Signal
from yunwei.org import demo as org_demo
from yunwei.web.wall import board

pytestmark = pytest.mark.django_db

LOADED_AT = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def loaded(module_db):
    with time_machine.travel(LOADED_AT, tick=False):
        for app in (org_demo, cmdb_demo, incidents_demo, changes_demo):
            app.load()
        return alerts_demo.load()


def test_the_demo_has_weeks_of_alerts_through_the_intake_folded_into_incidents(loaded):
    prometheus, zabbix = loaded["prometheus"], loaded["zabbix"]
    assert {prometheus.kind, zabbix.kind} == {"alertmanager", "zabbix"}
    assert Integration.objects.count() == 2
    # Through the intake: every alert came in a stored payload, fired and resolved in its history.
    assert Payload.objects.filter(integration=prometheus).count() >= 40
    first = Alert.objects.filter(integration=prometheus).order_by("first_seen_at").first()
    assert LOADED_AT - first.first_seen_at > datetime.timedelta(weeks=8)
    assert AlertEvent.objects.filter(alert__integration=prometheus, kind="resolved").count() >= 15
    assert Alert.objects.filter(integration=prometheus, repeat_count__gt=0).exists()
    monitoring = Incident.objects.filter(source="monitoring")
    assert monitoring.filter(state="closed", closed_as="").count() >= 10
    # The switch failing after its servers: their incidents merged into its own.
    merged = monitoring.filter(closed_as="merged")
    assert merged.count() == 3
    assert {i.merged_into.title for i in merged} == {"POWE-CORE Interface Gi0/1 down"}
    assert Alert.objects.filter(integration=zabbix).count() >= 2


def test_the_demo_has_two_unmatched_alerts_and_one_false_alarm_with_its_reason(loaded):
    assert Alert.objects.filter(match__in=["unmatched", "ambiguous"]).count() == 2
    [false_alarm] = Incident.objects.filter(closed_as="false_alarm")
    assert false_alarm == loaded["false_alarm"]
    assert "Prometheus 重启" in false_alarm.false_alarm_reason


def test_the_demo_has_a_change_that_held_alerts_back_and_one_suspected_of_a_fault(loaded):
    held, suspected = loaded["held"], loaded["suspected"]
    assert held is not None and suspected is not None and held != suspected
    [signal] = Signal.objects.filter(suppressed_by=held)
    assert signal.incident_id is None and signal.state == "resolved"
    [incident] = suspected.suspected_incidents.all()
    assert incident.source == "monitoring"
    assert incident.signals.filter(suppressed_by=suspected).exists()


def test_the_demo_leaves_faults_firing_now_for_the_wall(loaded, django_user_model):
    admin = django_user_model.objects.get(username="power-admin")
    with time_machine.travel(LOADED_AT, tick=False):
        tiles = board(admin)
    down = [tile for tile in tiles if tile.state == "down"]
    assert down, [(t.item.code, t.state) for t in tiles]
    assert any(i.state == "to_confirm" for tile in down for i in tile.incidents)
    assert sum(tile.alerts for tile in tiles) >= 1


def test_nothing_of_the_demo_happens_after_it_was_loaded(loaded):
    assert not Notice.objects.filter(sent_at__gt=LOADED_AT).exists()
    assert not IncidentEvent.objects.filter(at__gt=LOADED_AT).exists()
    assert not Alert.objects.filter(last_seen_at__gt=LOADED_AT).exists()
