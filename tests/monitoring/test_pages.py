"""The heartbeat pages: the list with state badges, a heartbeat with its ping URLs and runs, the form (a bad
cron expression shown on its field), and the backup log of a unit and month."""

import datetime

import pytest
import time_machine

from yunwei.monitoring import services
from yunwei.monitoring.models import Heartbeat

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 3, 10, 18, 0, tzinfo=datetime.UTC)


@pytest.fixture
def page(client):
    def get(user, url, **params):
        client.force_login(user)
        response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_the_list_shows_each_heartbeat_with_its_state_badge(client, page, unit_user_a, backup_a, cron_a):
    client.get(f"/ping/{cron_a.uuid}/fail")
    html = page(unit_user_a, "/monitoring/")
    assert "甲数据库夜间备份" in html and "甲日志清理" in html
    assert 'badge text-bg-danger" data-testid="state">Down' in html
    assert 'badge text-bg-secondary" data-testid="state">New' in html
    assert "New heartbeat" not in html  # a plain user sees, does not manage
    filtered = page(unit_user_a, "/monitoring/", state="down")
    assert "甲日志清理" in filtered and "甲数据库夜间备份" not in filtered


def test_the_detail_shows_the_ping_urls_and_the_runs(client, page, unit_admin_a, backup_a):
    with time_machine.travel(WHEN, tick=False) as clock:
        client.get(f"/ping/{backup_a.uuid}/start")
        clock.shift(datetime.timedelta(seconds=20))
        client.post(f"/ping/{backup_a.uuid}", data="dumped\nsize=2048\n", content_type="text/plain")
    html = page(unit_admin_a, f"/monitoring/heartbeats/{backup_a.pk}/")
    assert f"http://testserver/ping/{backup_a.uuid}/start" in html
    assert f"http://testserver/ping/{backup_a.uuid}/fail" in html
    assert "0:00:20" in html  # the run time
    assert "2.0\xa0KB" in html
    assert 'data-testid="not-trusted"' in html and "Faster than its minimum run time" in html
    assert "dumped" in html


def test_a_heartbeat_is_created_on_its_form_and_a_bad_cron_is_shown_on_its_field(
    client, unit_admin_a, unit_a
):
    client.force_login(unit_admin_a)
    form = {
        "unit": unit_a.pk,
        "name": "文件备份",
        "kind": "backup",
        "schedule_kind": "cron",
        "cron_expression": "0 25 * * *",
        "period": 86400,
        "grace": 3600,
        "tz": "Asia/Shanghai",
    }
    refused = client.post("/monitoring/heartbeats/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert not Heartbeat.objects.exists()
    assert refused.context["form"].errors["cron_expression"] == [
        "“0 25 * * *” is not a cron expression of five fields (minute hour day month weekday)."
    ]
    saved = client.post("/monitoring/heartbeats/new/", {**form, "cron_expression": "0 2 * * *"})
    heartbeat = Heartbeat.objects.get()
    assert saved.status_code == 302 and saved.url == f"/monitoring/heartbeats/{heartbeat.pk}/"
    edited = client.post(
        f"/monitoring/heartbeats/{heartbeat.pk}/edit/", {**form, "cron_expression": "0 4 * * *", "version": 1}
    )
    assert edited.status_code == 302
    assert Heartbeat.objects.get().cron_expression == "0 4 * * *"


def test_a_plain_user_may_not_open_the_form(client, unit_user_a, backup_a):
    client.force_login(unit_user_a)
    assert client.get("/monitoring/heartbeats/new/").status_code == 403
    assert client.get(f"/monitoring/heartbeats/{backup_a.pk}/edit/").status_code == 403


def test_the_backup_log_shows_a_month_of_a_unit(page, unit_admin_a, backup_a):
    services.ping(backup_a.uuid, "start", limit=100, now=WHEN)
    services.ping(
        backup_a.uuid, "success", limit=100, size_header="9000000", now=WHEN + datetime.timedelta(minutes=2)
    )
    services.ping(backup_a.uuid, "fail", limit=100, now=WHEN - datetime.timedelta(days=30))
    with time_machine.travel(WHEN + datetime.timedelta(days=1)):
        html = page(unit_admin_a, "/monitoring/backup-log/")
        february = page(unit_admin_a, "/monitoring/backup-log/", month="2026-02")
        bad = page(unit_admin_a, "/monitoring/backup-log/", month="March")
    assert "2026-03-11 02:02" in html and "succeeded" in html and "failed" not in html
    assert "2026-02-09" in february and "failed" in february
    assert "Give the month as YYYY-MM." in bad and "甲数据库夜间备份" not in bad
