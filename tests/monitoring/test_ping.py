"""The ping endpoints on Healthchecks' URL conventions: each URL form and method, unknown UUIDs, the body kept
up to its limit, run times from start/finish pairs, untrusted backups, and no audit event for a ping."""

import datetime
import threading
import urllib.request
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.audit.models import AuditEvent
from yunwei.monitoring.models import Heartbeat, HeartbeatRun

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


def _runs(heartbeat):
    return list(HeartbeatRun.objects.filter(heartbeat=heartbeat).order_by("id"))


@pytest.mark.parametrize("method", ["get", "head", "post"])
@pytest.mark.parametrize(
    ("suffix", "kind", "exit_status", "succeeded"),
    [
        ("", "success", None, True),
        ("/start", "start", None, None),
        ("/fail", "fail", None, False),
        ("/0", "exit_code", 0, True),
        ("/3", "exit_code", 3, False),
        ("/log", "log", None, None),
    ],
)
def test_every_url_form_and_method_stores_one_run(
    client, cron_a, method, suffix, kind, exit_status, succeeded
):
    response = getattr(client, method)(f"/ping/{cron_a.uuid}{suffix}")
    assert response.status_code == 200
    [run] = _runs(cron_a)
    assert (run.kind, run.exit_status, run.succeeded) == (kind, exit_status, succeeded)
    assert run.remote_addr == "127.0.0.1"


def test_a_ping_needs_no_log_in_and_no_csrf_token(cron_a):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        f"/ping/{cron_a.uuid}", data=b"done", content_type="text/plain"
    )
    assert response.status_code == 200
    assert _runs(cron_a)[0].body == "done"


def test_an_unknown_uuid_is_404_and_stores_nothing(client, cron_a):
    assert client.get(f"/ping/{uuid.uuid4()}").status_code == 404
    assert client.post(f"/ping/{uuid.uuid4()}/fail").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404
    assert HeartbeatRun.objects.count() == 0


def test_an_exit_status_above_255_is_refused(client, cron_a):
    response = client.get(f"/ping/{cron_a.uuid}/256")
    assert response.status_code == 400
    assert b"exit status" in response.content
    assert HeartbeatRun.objects.count() == 0


def test_other_methods_are_refused(client, cron_a):
    assert client.put(f"/ping/{cron_a.uuid}").status_code == 405
    assert HeartbeatRun.objects.count() == 0


def test_the_body_is_kept_up_to_the_limit_and_the_rest_cut_and_said_so(client, cron_a, settings):
    settings.PING_BODY_LIMIT = 100
    client.post(f"/ping/{cron_a.uuid}/log", data="x" * 100, content_type="text/plain")
    client.post(f"/ping/{cron_a.uuid}/log", data="y" * 5000, content_type="text/plain")
    whole, cut = _runs(cron_a)
    assert (whole.body, whole.truncated) == ("x" * 100, False)
    assert (cut.body, cut.truncated) == ("y" * 100, True)


def test_a_start_and_finish_pair_gives_the_run_time_and_the_job_goes_up(client, cron_a):
    with time_machine.travel(START, tick=False) as clock:
        client.get(f"/ping/{cron_a.uuid}/start")
        clock.shift(datetime.timedelta(minutes=4, seconds=5))
        client.get(f"/ping/{cron_a.uuid}")
    start, finish = _runs(cron_a)
    assert start.run_time is None
    assert finish.run_time == datetime.timedelta(minutes=4, seconds=5)
    assert finish.started_at == START
    cron_a.refresh_from_db()
    assert cron_a.state == "up"
    assert cron_a.last_start_at is None
    # 01:04 UTC is 09:04 in Shanghai: the next 02:30 there is 18:30 UTC the same day.
    assert cron_a.next_due_at == datetime.datetime(2026, 3, 2, 18, 30, tzinfo=datetime.UTC)
    assert cron_a.alert_after == datetime.datetime(2026, 3, 2, 19, 0, tzinfo=datetime.UTC)


def test_a_good_backup_is_trusted_and_sets_the_next_due_time(client, backup_a):
    with time_machine.travel(START, tick=False) as clock:
        client.get(f"/ping/{backup_a.uuid}/start")
        clock.shift(datetime.timedelta(minutes=10))
        client.post(f"/ping/{backup_a.uuid}", data="dump ok\nsize=5000000\n", content_type="text/plain")
    finish = _runs(backup_a)[-1]
    assert (finish.size, finish.trusted, finish.distrust, finish.is_good_backup) == (
        5_000_000,
        True,
        "",
        True,
    )
    backup_a.refresh_from_db()
    assert backup_a.state == "up"
    assert backup_a.next_due_at == START + datetime.timedelta(minutes=10, days=1)


def test_the_size_header_wins_over_the_body_line(client, backup_a):
    client.post(
        f"/ping/{backup_a.uuid}",
        data="size=5",
        content_type="text/plain",
        headers={"X-Backup-Size": "7000000"},
    )
    assert _runs(backup_a)[0].size == 7_000_000


def test_a_size_header_that_is_not_a_number_is_refused_naming_it(client, backup_a):
    response = client.post(f"/ping/{backup_a.uuid}", headers={"X-Backup-Size": "big"})
    assert response.status_code == 400
    assert b"X-Backup-Size" in response.content
    assert HeartbeatRun.objects.count() == 0


def test_a_backup_too_fast_is_not_trusted_and_does_not_count(client, backup_a):
    with time_machine.travel(START, tick=False) as clock:
        client.get(f"/ping/{backup_a.uuid}/start")
        clock.shift(datetime.timedelta(seconds=5))
        client.get(f"/ping/{backup_a.uuid}", headers={"X-Backup-Size": "9000000"})
    run = _runs(backup_a)[-1]
    assert (run.succeeded, run.trusted, run.distrust, run.is_good_backup) == (True, False, "too_fast", False)
    backup_a.refresh_from_db()
    assert (backup_a.state, backup_a.next_due_at) == ("new", None)


def test_a_backup_too_small_or_without_a_size_is_not_trusted(client, backup_a):
    with time_machine.travel(START, tick=False) as clock:
        client.get(f"/ping/{backup_a.uuid}/start")
        clock.shift(datetime.timedelta(minutes=5))
        client.get(f"/ping/{backup_a.uuid}", headers={"X-Backup-Size": "1024"})
        client.get(f"/ping/{backup_a.uuid}/start")
        clock.shift(datetime.timedelta(minutes=5))
        client.get(f"/ping/{backup_a.uuid}")
    small, unsized = [run for run in _runs(backup_a) if run.kind == "success"]
    assert (small.trusted, small.distrust) == (False, "too_small")
    assert (unsized.trusted, unsized.distrust) == (False, "no_size")
    backup_a.refresh_from_db()
    assert backup_a.state == "new"


def test_a_backup_without_a_start_ping_has_no_run_time_and_is_not_trusted(client, backup_a):
    client.get(f"/ping/{backup_a.uuid}", headers={"X-Backup-Size": "9000000"})
    run = _runs(backup_a)[0]
    assert (run.run_time, run.trusted, run.distrust) == (None, False, "no_run_time")


def test_a_ping_writes_no_audit_event_and_is_one_update_and_one_insert(client, cron_a):
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/ping/{cron_a.uuid}", data=b"ok", content_type="text/plain").status_code == 200
    writes = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    writes = [verb for verb in writes if verb in ("INSERT", "UPDATE", "DELETE")]
    assert writes == ["INSERT", "UPDATE"]
    assert AuditEvent.objects.count() == before


def test_a_ping_to_a_deleted_heartbeat_is_404(client, unit_a, group_admin):
    from yunwei.monitoring import services

    heartbeat = services.create(
        Heartbeat, actor=group_admin, unit=unit_a, name="临时", period=3600, grace=600
    )
    services.delete(heartbeat, actor=group_admin)
    assert client.get(f"/ping/{heartbeat.uuid}").status_code == 404


# serialized_rollback: the flush afterwards leaves the database empty and the next transactional test
# reloads what the migrations shipped, instead of finding content types re-made under new ids.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_http_client_pings_the_live_server(live_server, unit_a):
    """What a job's script does: urllib against the running server, with a body and a size header; the
    answer comes after the commit, so the run is there when the script reads "OK".

    The heartbeat is written directly: an audit event (the service's) would make the flush after this
    committed test fail on SQLite, whose audit triggers refuse deletes."""
    heartbeat = Heartbeat.objects.create(
        unit=unit_a, name="实时备份", kind="backup", period=86400, grace=3600
    )
    answers = []

    def send(suffix, body=None, headers=None):
        request = urllib.request.Request(  # noqa: S310 - the test server, http only
            f"{live_server.url}/ping/{heartbeat.uuid}{suffix}", data=body, headers=headers or {}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answers.append((response.status, response.read()))

    send("/start")
    finish = ("", b"backup done\n", {"X-Backup-Size": "123456"})
    if connection.vendor == "postgresql":
        # Four at once; SQLite's shared in-memory test database locks a table per writer instead.
        threads = [threading.Thread(target=send, args=finish) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for _ in range(4):
            send(*finish)
    assert answers == [(200, b"OK")] * 5
    runs = HeartbeatRun.objects.filter(heartbeat=heartbeat)
    assert runs.count() == 5
    assert runs.filter(kind="success", size=123456, body="backup done\n").count() == 4
    assert Heartbeat.objects.get(pk=heartbeat.pk).state == "up"
