"""The heartbeat API: CRUD through the services (audited), bad schedules refused naming the field, who may
manage, runs read-only, the backup log by unit and month, and another unit's heartbeats never seen."""

import datetime

import pytest
import time_machine

from yunwei.audit.models import AuditEvent
from yunwei.monitoring import services
from yunwei.monitoring.models import Heartbeat, HeartbeatRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client_for(api_client_for):
    """Answers in English, the source language the messages are asserted in."""

    def build(user):
        http = api_client_for(user)
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return http

    return build


URL = "/api/monitoring/heartbeats/"
CRON = {"name": "夜间同步", "kind": "cron", "schedule_kind": "cron", "cron_expression": "0 3 * * *"}


def test_a_unit_admin_creates_reads_updates_and_deletes_a_heartbeat(unit_a, unit_admin_a, api_client_for):
    http = api_client_for(unit_admin_a)
    created = http.post(URL, {"unit": unit_a.pk, **CRON, "tz": "Asia/Urumqi"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["ping_url"].endswith(f"/ping/{body['uuid']}")
    assert (body["state"], body["tz"], body["version"]) == ("new", "Asia/Urumqi", 1)
    heartbeat = Heartbeat.objects.get(pk=body["id"])
    assert AuditEvent.objects.filter(action="create", object_id=str(heartbeat.pk)).exists()
    updated = http.patch(f"{URL}{heartbeat.pk}/", {"grace": 7200, "version": 1}, format="json")
    assert updated.status_code == 200
    assert Heartbeat.objects.get(pk=heartbeat.pk).grace == 7200
    stale = http.patch(f"{URL}{heartbeat.pk}/", {"grace": 600, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    assert Heartbeat.objects.get(pk=heartbeat.pk).grace == 7200
    assert http.delete(f"{URL}{heartbeat.pk}/").status_code == 204
    assert not Heartbeat.objects.filter(pk=heartbeat.pk).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({**CRON, "cron_expression": "61 * * * *"}, "cron_expression"),
        ({**CRON, "cron_expression": "every night"}, "cron_expression"),
        ({**CRON, "cron_expression": ""}, "cron_expression"),
        ({**CRON, "tz": "Mars/Olympus"}, "tz"),
        ({"name": "过快", "period": 5}, "period"),
        ({"name": "宽限", "period": 3600, "grace": 0}, "grace"),
        ({"name": "定时", "kind": "cron", "min_size": 10}, "min_size"),
    ],
)
def test_a_bad_schedule_is_a_400_naming_the_field(unit_a, unit_admin_a, api_client_for, fields, field):
    response = api_client_for(unit_admin_a).post(URL, {"unit": unit_a.pk, **fields}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Heartbeat.objects.exists()


def test_a_bad_time_zone_in_an_update_is_refused_and_nothing_changes(backup_a, group_admin, api_client_for):
    response = api_client_for(group_admin).patch(
        f"{URL}{backup_a.pk}/", {"tz": "Asia/Nowhere", "version": backup_a.version}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "tz"
    assert "Asia/Nowhere" in response.json()["detail"]
    assert Heartbeat.objects.get(pk=backup_a.pk).tz == "Asia/Shanghai"


def test_an_item_of_another_unit_is_refused(unit_a, unit_b, group_admin, api_client_for):
    from ..conftest import make_item

    item_b = make_item(unit_b, "application", "B-APP", actor=group_admin)
    response = api_client_for(group_admin).post(
        URL, {"unit": unit_a.pk, "item": item_b.pk, "name": "错位"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "item"


def test_technical_staff_manage_and_a_plain_user_only_reads(
    unit_a, staff_a, unit_user_a, backup_a, api_client_for
):
    staff = api_client_for(staff_a).post(
        URL, {"unit": unit_a.pk, "name": "文件备份", "kind": "backup"}, format="json"
    )
    assert staff.status_code == 201
    user = api_client_for(unit_user_a)
    assert user.get(f"{URL}{backup_a.pk}/").status_code == 200
    refused = user.post(URL, {"unit": unit_a.pk, "name": "越权"}, format="json")
    assert refused.status_code == 403
    assert "heartbeats of this unit" in refused.json()["detail"]
    patched = user.patch(f"{URL}{backup_a.pk}/", {"name": "改名", "version": backup_a.version}, format="json")
    assert patched.status_code == 403
    assert Heartbeat.objects.get(pk=backup_a.pk).name == "甲数据库夜间备份"
    assert not Heartbeat.objects.filter(name="越权").exists()


def test_a_heartbeat_with_runs_is_kept(client, backup_a, group_admin, api_client_for):
    client.get(f"/ping/{backup_a.uuid}/log")
    response = api_client_for(group_admin).delete(f"{URL}{backup_a.pk}/")
    assert response.status_code == 400
    assert "refer" in response.json()["detail"]
    assert Heartbeat.objects.filter(pk=backup_a.pk).exists()


def test_runs_are_read_only(client, backup_a, group_admin, api_client_for):
    client.post(f"/ping/{backup_a.uuid}/log", data="hello", content_type="text/plain")
    run = HeartbeatRun.objects.get()
    http = api_client_for(group_admin)
    listed = http.get("/api/monitoring/runs/", {"heartbeat": backup_a.pk}).json()
    assert [row["body"] for row in listed["results"]] == ["hello"]
    assert http.delete(f"/api/monitoring/runs/{run.pk}/").status_code == 405
    assert http.post("/api/monitoring/runs/", {}, format="json").status_code == 405


def test_the_backup_log_lists_a_unit_s_finished_backups_of_a_month(
    unit_a, unit_admin_a, backup_a, cron_a, api_client_for
):
    when = datetime.datetime(2026, 2, 27, 18, 0, tzinfo=datetime.UTC)  # 28 Feb, 02:00 in Shanghai
    services.ping(backup_a.uuid, "start", limit=100, now=when)
    services.ping(
        backup_a.uuid, "success", limit=100, size_header="5000000", now=when + datetime.timedelta(minutes=3)
    )
    services.ping(backup_a.uuid, "fail", limit=100, now=when + datetime.timedelta(days=2))  # 2 March
    services.ping(cron_a.uuid, "success", limit=100, now=when)  # a cron job: not a backup
    http = api_client_for(unit_admin_a)
    with time_machine.travel(when + datetime.timedelta(days=10)):
        february = http.get("/api/monitoring/backup-log/", {"unit": unit_a.pk, "month": "2026-02"}).json()
        march = http.get("/api/monitoring/backup-log/", {"unit": unit_a.pk, "month": "2026-03"}).json()
    [good] = february["results"]
    assert (good["job"], good["succeeded"], good["trusted"], good["good"]) == (
        "甲数据库夜间备份",
        True,
        True,
        True,
    )
    assert good["happened_at"].startswith("2026-02-28T02:03")  # shown in Shanghai time
    assert good["recorded_at"] != good["happened_at"]
    assert [row["succeeded"] for row in march["results"]] == [False]
    bad = http.get("/api/monitoring/backup-log/", {"month": "2026-13"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "month"


def test_another_unit_sees_nothing_of_unit_a(client, backup_a, unit_admin_b, api_client_for):
    client.get(f"/ping/{backup_a.uuid}/fail")
    http = api_client_for(unit_admin_b)
    assert http.get(f"{URL}{backup_a.pk}/").status_code == 404
    assert http.get(URL).json()["count"] == 0
    assert http.get(URL, {"state": "down"}).json()["count"] == 0
    assert http.get("/api/monitoring/runs/").json()["count"] == 0
    assert http.get("/api/monitoring/backup-log/").json()["count"] == 0
