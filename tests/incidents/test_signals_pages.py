"""Correlation on the pages and the API: confirm or false alarm, folded signals, merged and followed
incidents, suspected changes on the incident and change pages, the false-alarm filter and figures, the
read-only signals list and the correlation settings."""

import datetime

import pytest
from django.utils import timezone

from yunwei.incidents import services, signals
from yunwei.incidents.filters import breached_q
from yunwei.incidents.models import Incident
from yunwei.incidents.services.figures import figures
from yunwei.web.work import work_in_hand

from .conftest import restore
from .topology import depends, item, window

pytestmark = pytest.mark.django_db

API = "/api/incidents/"


@pytest.fixture
def net(unit_a, group_admin):
    sw = item(unit_a, "switch", "SW1", actor=group_admin)
    srv = item(unit_a, "server", "SRV1", actor=group_admin)
    depends(srv, sw, actor=group_admin, type_code="connected-via")
    return {"sw": sw, "srv": srv}


@pytest.fixture
def client(client):
    """Pages in English: their texts are asserted in the source language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ago(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


# -- the incident page ----------------------------------------------------------------------------


def test_an_incident_to_confirm_offers_confirm_and_false_alarm_to_its_staff(client, net, unit_admin_a):
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="to-acknowledged"' in page and "Confirm" in page
    assert 'data-testid="to-closed"' in page and "False alarm" in page
    assert 'name="false_alarm_reason"' in page
    assert 'name="resolution_summary"' not in page  # a false alarm is not closed as a resolved fault


def test_a_plain_user_does_not_see_an_incident_monitoring_opened(client, net, unit_user_a):
    # A plain user sees the incidents they reported; monitoring's have no reporter.
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    client.force_login(unit_user_a)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404


def test_the_page_confirms_and_closes_a_false_alarm_naming_the_missing_reason(client, net, unit_admin_a):
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    client.force_login(unit_admin_a)
    url = f"/incidents/{incident.pk}/transition/"
    response = client.post(url, {"to": "closed", "false_alarm_reason": ""}, follow=True)
    assert "Say why this is a false alarm." in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == "to_confirm"
    client.post(url, {"to": "closed", "false_alarm_reason": "探针超时误报"})
    incident.refresh_from_db()
    assert incident.state == "closed" and incident.closed_as == "false_alarm"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="false-alarm-reason"' in page and "探针超时误报" in page


def test_the_page_lists_folded_signals_and_merges_both_ways(client, net, unit_admin_a):
    child = signals.fire(source="check", key="srv-ping", item=net["srv"], at=ago(5), summary="服务器不通")
    root = signals.fire(source="alert", key="sw-down", item=net["sw"], at=ago(4), summary="交换机宕机")
    signals.resolve(source="check", key="srv-ping", at=ago(1))
    merged = Incident.objects.get(pk=child.incident_id)
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{root.incident_id}/").content.decode()
    assert 'data-testid="signals"' in page
    assert "服务器不通" in page and "交换机宕机" in page
    assert "folded under SW1" in page
    assert 'data-testid="merged"' in page and merged.code in page
    page = client.get(f"/incidents/{merged.pk}/").content.decode()
    assert 'data-testid="merged-into"' in page and root.incident.code in page


def test_the_incident_page_and_the_change_page_show_the_suspected_change(client, net, unit_a, unit_admin_a):
    change = window(unit_a, [net["srv"]], ago(120), ago(60), title="交换机固件升级", requester=unit_admin_a)
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="suspected-changes"' in page and change.code in page
    response = client.get(f"/changes/{change.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="change-incidents"' in page and incident.code in page


def test_the_change_page_counts_the_signals_its_window_held_back(client, net, unit_a, unit_admin_a):
    change = window(
        unit_a, [net["srv"]], ago(10), timezone.now() + datetime.timedelta(hours=1), requester=unit_admin_a
    )
    signals.fire(source="check", key="srv", item=net["srv"], at=ago(3))
    client.force_login(unit_admin_a)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="suppressed-count"' in page


def test_the_page_reads_in_chinese(client, net, unit_admin_a):
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待确认" in page and "误报" in page and "监控信号" in page


# -- false alarms out of the figures --------------------------------------------------------------


def test_false_alarms_are_listed_by_the_filter_and_left_out_of_counts_restore_times_and_compliance(
    client, net, unit_admin_a, unit_a, unit_user_a
):
    false = signals.fire(source="check", key="srv", item=net["srv"], at=ago(600)).incident
    services.transition(false, to="closed", actor=unit_admin_a, false_alarm_reason="误报")
    real = services.report(actor=unit_user_a, unit=unit_a, title="真故障", started_at=ago(30), now=ago(30))
    visible = Incident.objects.filter(unit=unit_a)
    numbers = figures(visible)
    assert numbers.incidents == 1 and numbers.false_alarms == 1
    # The false alarm's acknowledge deadline passed unmet: it is no breach of the SLA all the same.
    assert not visible.filter(breached_q(timezone.now()), pk=false.pk).exists()
    assert false.acknowledge_due_at < timezone.now()
    for services_step in ("acknowledged", "diagnosing"):
        services.transition(real, to=services_step, actor=unit_admin_a)
    client.force_login(unit_admin_a)
    page = client.get("/incidents/?false_alarm=true").content.decode()
    assert false.code in page and real.code not in page
    page = client.get("/incidents/").content.decode()
    assert "1 incident" in page and "1 false alarm, not counted" in page
    figures_open = {f.key: f.count for f in work_in_hand(unit_admin_a)}
    assert figures_open["open-incidents"] == 1


def test_restore_times_and_compliance_leave_false_alarms_out(net, unit_admin_a, unit_a, unit_user_a):
    real = services.report(actor=unit_user_a, unit=unit_a, title="真故障", started_at=ago(90), now=ago(90))
    restore(real, unit_admin_a)
    before = figures(Incident.objects.filter(unit=unit_a))
    assert before.mean_restore >= datetime.timedelta(minutes=89) and before.compliance == 1
    false = signals.fire(source="check", key="srv", item=net["srv"], at=ago(2000)).incident
    services.transition(false, to="closed", actor=unit_admin_a, false_alarm_reason="误报")
    after = figures(Incident.objects.filter(unit=unit_a))
    assert after.restored == before.restored == 1
    assert after.mean_restore == before.mean_restore
    assert after.compliance == before.compliance
    assert after.false_alarms == 1 and after.incidents == before.incidents


# -- the API --------------------------------------------------------------------------------------


def test_the_api_confirms_and_refuses_a_false_alarm_without_its_reason(api_client_for, net, unit_admin_a):
    incident = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3)).incident
    http = api_client_for(unit_admin_a)
    body = http.get(f"{API}{incident.pk}/").json()
    assert body["state"] == "to_confirm" and body["source"] == "monitoring"
    assert set(body["allowed_transitions"]) == {"acknowledged", "closed"}
    response = http.post(f"{API}{incident.pk}/transition/", {"to": "closed"}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "false_alarm_reason"
    response = http.post(
        f"{API}{incident.pk}/transition/", {"to": "closed", "false_alarm_reason": "误报"}, format="json"
    )
    assert response.status_code == 200 and response.json()["closed_as"] == "false_alarm"
    listed = http.get(API, {"false_alarm": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [incident.pk]


def test_the_api_lists_an_incidents_signals_and_the_scoped_signals(
    api_client_for, net, unit_admin_a, unit_admin_b
):
    signals.fire(source="alert", key="sw", item=net["sw"], at=ago(4))
    child = signals.fire(source="check", key="srv", item=net["srv"], at=ago(3))
    http = api_client_for(unit_admin_a)
    rows = http.get(f"{API}{child.incident_id}/signals/").json()["results"]
    assert [row["key"] for row in rows] == ["sw", "srv"]
    assert rows[1]["folded_under"] == rows[0]["id"]
    assert http.get(f"{API}{child.incident_id}/").json()["signal_count"] == 2
    assert {row["key"] for row in http.get(f"{API}signals/").json()["results"]} == {"sw", "srv"}
    foreign = api_client_for(unit_admin_b)
    assert foreign.get(f"{API}signals/").json()["results"] == []
    assert foreign.get(f"{API}signals/{child.pk}/").status_code == 404
    assert foreign.get(f"{API}{child.incident_id}/signals/").status_code == 404


def test_the_correlation_settings_are_read_by_all_and_set_by_a_group_admin(
    api_client_for, group_admin, unit_admin_a
):
    url = f"{API}correlation-settings/"
    body = api_client_for(unit_admin_a).get(url).json()
    assert body["fold_window_minutes"] == 15 and body["suspect_hours"] == 24
    refused = api_client_for(unit_admin_a).put(url, {**body, "fold_window_minutes": 30}, format="json")
    assert refused.status_code == 403
    bad = api_client_for(group_admin).put(url, {**body, "fold_window_minutes": 0}, format="json")
    assert bad.status_code == 400 and "fold_window_minutes" in str(bad.json())
    done = api_client_for(group_admin).put(url, {**body, "fold_window_minutes": 30}, format="json")
    assert done.status_code == 200 and done.json()["fold_window_minutes"] == 30
    stale = api_client_for(group_admin).put(url, {**body, "fold_window_minutes": 20}, format="json")
    assert stale.status_code == 409


def test_the_settings_page_is_editable_by_a_group_admin_only(client, group_admin, unit_admin_a):
    client.force_login(unit_admin_a)
    page = client.get("/incidents/correlation/").content.decode()
    assert 'data-testid="read-only-note"' in page and 'data-testid="save"' not in page
    refused = client.post("/incidents/correlation/", {"fold_window_minutes": 30, "suspect_hours": 24})
    assert refused.status_code == 403
    client.force_login(group_admin)
    response = client.post(
        "/incidents/correlation/", {"fold_window_minutes": 30, "suspect_hours": 12, "version": 1}
    )
    assert response.status_code == 302
    body = client.get("/incidents/correlation/").content.decode()
    assert 'value="30"' in body and 'value="12"' in body


def test_an_incident_merged_into_another_is_counted_once(net, unit_a):
    signals.fire(source="check", key="srv", item=net["srv"], at=ago(5))
    signals.fire(source="alert", key="sw", item=net["sw"], at=ago(4))
    rows = Incident.objects.filter(unit=unit_a)
    assert rows.count() == 2 and rows.filter(closed_as="merged").count() == 1
    assert figures(rows).incidents == 1
    later = timezone.now() + datetime.timedelta(days=30)
    assert not rows.filter(breached_q(later), closed_as="merged").exists()
