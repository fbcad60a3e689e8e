"""Zabbix's webhook media type: the parameters posted as one JSON object (docs/alerts.md). A problem fires,
a recovery resolves, an update is a repeat, "escalation cancelled" resolves, a recovery with no problem
before it is recorded; alerts are keyed by the problem's event id (or trigger and host), never by name."""

import pytest

from yunwei.alerts.models import Alert, AlertEvent

pytestmark = pytest.mark.django_db


def message(event_value="1", *, event_id="9001", name="High CPU on oa-db-01", host="oa-db-01", **extra):
    """What Yunwei's media type script posts: its parameters, macros resolved (docs/alerts.md)."""
    return {
        "event_source": "0",
        "event_value": event_value,
        "event_update_status": "0",
        "event_id": event_id,
        "trigger_id": "13491",
        "host_name": host,
        "host_ip": "10.0.0.12",
        "event_name": name,
        "event_nseverity": "4",
        "event_severity": "High",
        "event_tags_json": '[{"tag":"service","value":"oa"},{"tag":"scope","value":"performance"}]',
        "alert_subject": f"Problem: {name}" if event_value == "1" else f"Resolved: {name}",
        "alert_message": "Problem started at 04:00:00 on 2026.12.07",
        "event_recovery_value": "{EVENT.RECOVERY.VALUE}",
        **extra,
    }


def test_a_problem_fires_on_the_host_and_its_recovery_resolves_it(zabbix_a, servers_a, post):
    assert post(zabbix_a, message()).status_code == 200
    alert = Alert.objects.get()
    assert (alert.status, alert.item, alert.severity) == ("firing", servers_a["db"], "High")
    assert alert.labels["service"] == "oa" and alert.labels["trigger_id"] == "13491"
    assert post(zabbix_a, message("0", name="High CPU on oa-db-01 (now 40%)")).status_code == 200
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert Alert.objects.count() == 1  # the name changed between problem and recovery: same alert


def test_an_update_is_a_repeat_not_a_change(zabbix_a, servers_a, post):
    post(zabbix_a, message())
    post(zabbix_a, message(event_update_status="1", alert_subject="Updated problem: acknowledged"))
    alert = Alert.objects.get()
    assert (alert.status, alert.repeat_count) == ("firing", 1)
    assert AlertEvent.objects.filter(alert=alert).count() == 1


@pytest.mark.parametrize("words", ["NOTE: Escalation cancelled: host disabled", "NOTE: Escalation canceled"])
def test_escalation_cancelled_resolves(zabbix_a, servers_a, post, words):
    post(zabbix_a, message())
    post(zabbix_a, message(event_value="1", event_update_status="0", alert_message=words))
    assert Alert.objects.get().status == "resolved"


def test_a_recovery_with_no_problem_before_it_is_recorded_not_refused(zabbix_a, servers_a, post):
    answer = post(zabbix_a, message("0", event_id="777"))
    assert answer.status_code == 200
    alert = Alert.objects.get()
    assert alert.status == "resolved"
    assert list(alert.events.values_list("kind", flat=True)) == ["recovery_only"]


def test_two_problems_of_one_trigger_are_two_alerts_by_event_id(zabbix_a, servers_a, post):
    post(zabbix_a, message(event_id="1"))
    post(zabbix_a, message(event_id="2"))
    assert Alert.objects.count() == 2


def test_without_an_event_id_the_trigger_and_host_are_the_key_never_the_name(zabbix_a, servers_a, post):
    post(zabbix_a, message(event_id="{EVENT.ID}", name="CPU 91%"))
    post(zabbix_a, message(event_id="", name="CPU 93%"))
    assert Alert.objects.count() == 1
    post(zabbix_a, message(event_id="", name="CPU 93%", host="oa-app-01"))
    assert Alert.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": "", "trigger_id": ""}, "event_id"),
        ({"event_value": "7"}, "event_value"),
        ({"event_tags_json": "not json"}, "event_tags_json"),
    ],
)
def test_a_zabbix_message_missing_what_identifies_it_is_refused_naming_the_field(
    zabbix_a, post, changes, field
):
    answer = post(zabbix_a, message(**changes))
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert not Alert.objects.exists()


def test_a_generic_alert_alone_or_in_a_list(unit_a, group_admin, servers_a, post):
    from yunwei.alerts import services

    from .conftest import make_integration

    generic = make_integration(unit_a, group_admin, kind="generic")
    services.create_rule(actor=group_admin, integration=generic, label="host", field="hostname")
    one = {"name": "备份失败", "labels": {"host": "oa-db-01"}, "severity": "critical"}
    assert post(generic, one).status_code == 200
    assert post(generic, {"alerts": [one, {**one, "status": "resolved"}]}).status_code == 200
    alert = Alert.objects.get()
    assert (alert.item, alert.status, alert.name) == (servers_a["db"], "resolved", "备份失败")
    missing = post(generic, {"labels": {"host": "x"}})
    assert (missing.status_code, missing.json()["field"]) == (400, "alerts[0].name")
