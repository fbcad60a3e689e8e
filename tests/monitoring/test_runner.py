"""The check runner (Art. 3): claimed runs in batches probed concurrently (bounded), each started at its
slot and recorded by the one step a "test now" takes too; one result per check and slot even when a batch
is retried; the damping options on the check ("x failures within y" and flapping) validated naming the
field and passed to the damping; every damping event a CheckEvent row, listed by the API and on the page;
flapping told to the item's team; a reference down making its dependent's failures one "monitoring blind"
event. Every target is a real server on 127.0.0.1."""

import datetime
import http.server
import itertools
import socket
import threading

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from yunwei.core.errors import DomainError
from yunwei.monitoring import damping, services
from yunwei.monitoring.models import Check, CheckEvent, CheckResult
from yunwei.notify.models import Notice

from .targets import closed_port, free_port, tcp_server

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)


def _make(actor, item, name="甲端口", spec=None, kind="tcp", **fields) -> Check:
    spec = spec if spec is not None else {"host": "127.0.0.1", "port": closed_port(), "timeout": 0.5}
    return services.create(Check, actor=actor, item=item, name=name, kind=kind, spec=spec, **fields)


def _events(check) -> list[str]:
    return list(
        CheckEvent.objects.filter(active_check=check).order_by("at", "id").values_list("kind", flat=True)
    )


def _told(check) -> list[str]:
    keys = Notice.objects.filter(event_key__startswith=f"check:{check.pk}:").order_by("id")
    return [key.split(":")[2] for key in keys.values_list("event_key", flat=True)]


class _Counting(http.server.BaseHTTPRequestHandler):
    """Answers 200 once every request of a group is in flight at the same time (a barrier), 503 when the
    group never gathers: the answer itself says whether the probes ran concurrently."""

    def do_GET(self):  # noqa: N802 - the stdlib's name
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most = max(server.most, server.in_flight)
        try:
            server.barrier.wait()
            status = 200
        except threading.BrokenBarrierError:
            status = 503
        with server.lock:
            server.in_flight -= 1
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gathering():
    """An HTTP server on 127.0.0.1 whose requests wait for each other in groups of `parties`."""
    servers = []

    def start(parties: int, wait: float = 3) -> http.server.ThreadingHTTPServer:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
        server.daemon_threads = True
        server.lock, server.in_flight, server.most = threading.Lock(), 0, 0
        server.barrier = threading.Barrier(parties, timeout=wait)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.barrier.abort()
        server.shutdown()
        server.server_close()


# -- batches -----------------------------------------------------------------------------------------


def test_a_batch_runs_its_probes_concurrently(group_admin, db_server_a, gathering):
    server = gathering(10)
    url = f"http://127.0.0.1:{server.server_port}/"
    checks = [
        _make(group_admin, db_server_a, f"甲接口{n}", {"url": url, "timeout": 5}, "http") for n in range(10)
    ]
    slot = timezone.now() - SECOND
    results = services.run_checks([(check.pk, slot.isoformat()) for check in checks])
    # Ten requests held until all ten are in flight: all up only if the batch ran them at once.
    assert [result.status for result in results] == ["up"] * 10
    assert server.most == 10


def test_a_batch_keeps_at_most_its_concurrency_in_flight(group_admin, db_server_a, gathering):
    server = gathering(4, wait=1)  # a group of four never gathers when at most three are in flight
    url = f"http://127.0.0.1:{server.server_port}/"
    spec = {"url": url, "timeout": 5}
    checks = [_make(group_admin, db_server_a, f"甲接口{n}", spec, "http") for n in range(9)]
    slot = timezone.now() - SECOND
    results = services.run_checks([(check.pk, slot) for check in checks], concurrency=3)
    assert {(result.status, result.reason) for result in results} == {
        ("down", "HTTP 503 Service Unavailable")
    }
    assert server.most == 3


def test_each_probe_of_a_batch_starts_no_earlier_than_its_slot(group_admin, db_server_a):
    with tcp_server(lambda conn: conn.close()) as port:
        spec = {"host": "127.0.0.1", "port": port, "timeout": 2}
        checks = [_make(group_admin, db_server_a, f"甲端口{n}", spec) for n in range(3)]
        base = timezone.now()
        slots = [base + SECOND * n / 2 for n in range(3)]
        results = services.run_checks(list(zip([check.pk for check in checks], slots, strict=True)))
    assert [(result.slot, result.status) for result in results] == [(slot, "up") for slot in slots]
    assert all(result.at >= result.slot for result in results)


def test_a_retried_batch_records_each_check_and_slot_once(group_admin, db_server_a, team_member_a):
    checks = [_make(group_admin, db_server_a, f"甲端口{n}", fail_after=1) for n in range(3)]
    batch = [(check.pk, START.isoformat()) for check in checks]
    assert len(services.run_checks(batch)) == 3
    assert services.run_checks(batch) == []  # the retry of a batch that was recorded runs nothing again
    assert services.run_check(checks[0].pk, slot=START) is None
    assert CheckResult.objects.filter(slot=START).count() == 3
    assert all(_events(check) == ["down"] for check in checks)  # and no second down event
    assert all(_told(check) == ["down"] for check in checks)


def test_the_database_refuses_a_second_result_for_a_check_and_slot(group_admin, db_server_a):
    check = _make(group_admin, db_server_a)
    CheckResult.objects.create(active_check=check, at=START, slot=START, status="up")
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckResult.objects.create(active_check=check, at=START + SECOND, slot=START, status="up")
    CheckResult.objects.create(active_check=check, at=START, slot=None, status="up")  # test now: no slot
    CheckResult.objects.create(active_check=check, at=START, slot=None, status="up")


def test_a_batch_leaves_out_a_check_deleted_meanwhile(group_admin, db_server_a):
    kept, gone = _make(group_admin, db_server_a, "甲留"), _make(group_admin, db_server_a, "甲删")
    gone_pk = gone.pk
    services.delete(gone, actor=group_admin)
    results = services.run_checks([(kept.pk, START), (gone_pk, START)])
    assert [result.active_check_id for result in results] == [kept.pk]


def test_test_now_and_a_batch_record_alike(group_admin, db_server_a, team_member_a):
    single = _make(group_admin, db_server_a, "甲单测", fail_after=1)
    batched = _make(group_admin, db_server_a, "甲批量", fail_after=1)
    now_result = services.run_check(single.pk)
    (batch_result,) = services.run_checks([(batched.pk, START)])
    assert (now_result.slot, batch_result.slot) == (None, START)
    for check in (single, batched):
        check.refresh_from_db()
        assert (check.state, _events(check), _told(check)) == ("down", ["down"], ["down"])


# -- dispatching ---------------------------------------------------------------------------------------


def test_batches_are_cut_by_size_and_by_the_span_of_their_slots():
    pairs = [(pk, START + datetime.timedelta(milliseconds=10 * pk)) for pk in range(120)]
    cut = services.checks.batches(pairs)
    assert [len(batch) for batch in cut] == [50, 50, 20]
    late = [(1, START), (2, START + SECOND / 2), (3, START + SECOND * 2)]
    assert services.checks.batches(list(reversed(late))) == [late[:2], late[2:]]


def test_the_dispatcher_claims_what_falls_due_before_the_next_tick_and_queues_it_in_batches(
    group_admin, db_server_a, django_capture_on_commit_callbacks
):
    with tcp_server(lambda conn: conn.close()) as port:
        spec = {"host": "127.0.0.1", "port": port, "timeout": 2}
        now = timezone.now()
        soon = _make(group_admin, db_server_a, "甲将到期", spec, interval=60)
        later = _make(group_admin, db_server_a, "甲稍后", spec, interval=60)
        Check.objects.filter(pk=soon.pk).update(next_run_at=now + SECOND)
        Check.objects.filter(pk=later.pk).update(next_run_at=now + datetime.timedelta(seconds=30))
        with django_capture_on_commit_callbacks(execute=True) as queued:  # eager: the batch runs here
            claimed = services.dispatch_due(now)
        assert claimed == [(soon.pk, now + SECOND)]
        assert len(queued) == 1
    result = CheckResult.objects.get(active_check=soon)
    assert (result.slot, result.status) == (now + SECOND, "up")
    assert result.at >= result.slot  # started at its slot, not when it was claimed
    assert Check.objects.get(pk=soon.pk).next_run_at == now + SECOND + datetime.timedelta(seconds=60)
    assert not CheckResult.objects.filter(active_check=later).exists()


# -- damping options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named", "words"),
    [
        ({"window_failures": 2}, "window", "Set window_failures and window together"),
        ({"window": 300}, "window_failures", "Set window_failures and window together"),
        ({"window_failures": 0, "window": 300}, "window_failures", "between 1 and 100"),
        ({"window_failures": 2, "window": 5}, "window", "between 10 and 86400"),
        ({"flap_threshold": None}, "flap_threshold", "Set flap_threshold and flap_window together"),
        ({"flap_threshold": 1}, "flap_threshold", "between 2 and 100"),
        ({"flap_window": 30}, "flap_window", "between 60 and 604800"),
    ],
)
def test_a_bad_damping_option_is_refused_naming_the_field(group_admin, db_server_a, fields, named, words):
    with pytest.raises(DomainError) as refused:
        _make(group_admin, db_server_a, **fields)
    assert refused.value.field == named
    assert words in str(refused.value)
    assert not Check.objects.exists()


def test_the_damping_options_reach_the_policy(group_admin, db_server_a):
    check = _make(group_admin, db_server_a, window_failures=3, window=600, flap_threshold=8, flap_window=1800)
    policy = services.policy_of(check)
    assert (policy.window_failures, policy.window) == (3, datetime.timedelta(seconds=600))
    assert (policy.flap_threshold, policy.flap_window) == (8, datetime.timedelta(seconds=1800))
    off = services.update(
        check, actor=group_admin, window_failures=None, window=None, flap_threshold=None, flap_window=None
    )
    policy = services.policy_of(off)
    assert (policy.window_failures, policy.window, policy.flap_threshold) == (None, None, None)


def _alternating():
    """A TCP service that greets "OK", then "NO", then "OK" … — a load-balanced pair with one bad node."""
    turns = itertools.cycle([b"OK\r\n", b"NO\r\n"])

    def handler(conn: socket.socket) -> None:
        try:
            conn.sendall(next(turns))
        finally:
            conn.close()

    return handler


def test_failures_within_the_window_take_a_check_down_that_never_fails_twice_in_a_row(
    group_admin, db_server_a, team_member_a
):
    with tcp_server(_alternating()) as one, tcp_server(_alternating()) as other:
        spec = {"host": "127.0.0.1", "expect": "OK", "timeout": 2}
        plain = _make(group_admin, db_server_a, "甲负载均衡", {**spec, "port": one}, fail_after=3)
        windowed = _make(
            group_admin,
            db_server_a,
            "甲负载均衡窗",
            {**spec, "port": other},
            fail_after=3,
            window_failures=2,
            window=300,
        )
        for n in range(4):  # each check gets up, down, up, down from its own pair
            for check in (plain, windowed):
                services.run_check(check.pk, now=START + datetime.timedelta(seconds=20 * n))
    plain.refresh_from_db()
    windowed.refresh_from_db()
    assert plain.state == "up"  # never three failures in a row
    assert windowed.state == "down"  # two failures within five minutes
    assert _events(windowed)[:1] == ["down"] and _told(windowed) == ["down"]


# -- events --------------------------------------------------------------------------------------------


def test_flapping_is_recorded_and_told_to_the_items_team_when_it_starts_and_stops(
    group_admin, db_server_a, team_member_a
):
    with tcp_server(_alternating()) as port:
        spec = {"host": "127.0.0.1", "port": port, "expect": "OK", "timeout": 2}
        check = _make(group_admin, db_server_a, "甲抖动", spec, flap_threshold=4, flap_window=600)
        for n in range(5):  # up, down, up, down, up: four changes within ten minutes
            services.run_check(check.pk, now=START + datetime.timedelta(minutes=n))
    assert _events(check) == ["flapping_started"]
    with tcp_server(lambda conn: (conn.sendall(b"OK\r\n"), conn.close())) as port:
        Check.objects.filter(pk=check.pk).update(spec={**spec, "port": port})
        services.run_check(check.pk, now=START + datetime.timedelta(minutes=30))  # the changes have aged out
    assert _events(check) == ["flapping_started", "flapping_stopped"]
    assert _told(check) == ["flapping_started", "flapping_stopped"]
    notice = Notice.objects.get(event_key__startswith=f"check:{check.pk}:flapping_started:")
    assert notice.subject_zh == "【检查状态抖动】甲抖动"
    assert "4 changes within the window" in notice.body_zh


def test_down_and_up_again_are_events_and_test_now_records_them(group_admin, db_server_a, team_member_a):
    port = free_port()
    check = _make(
        group_admin,
        db_server_a,
        spec={"host": "127.0.0.1", "port": port, "timeout": 0.5},
        fail_after=1,
        recover_after=1,
    )
    services.run_check(check.pk, now=START)
    with tcp_server(lambda conn: conn.close()) as _port:
        Check.objects.filter(pk=check.pk).update(spec={"host": "127.0.0.1", "port": _port, "timeout": 2})
        services.run_check(check.pk, now=START + datetime.timedelta(minutes=1))
    rows = list(CheckEvent.objects.filter(active_check=check).order_by("at"))
    assert [(row.kind, row.state) for row in rows] == [("down", "down"), ("up", "up")]
    assert "refused" in rows[0].reason
    assert _told(check) == ["down", "up"]


def test_a_reference_down_makes_its_dependents_failures_one_monitoring_blind_event(
    group_admin, db_server_a, team_member_a
):
    gateway = _make(group_admin, db_server_a, "甲网关", is_reference=True, fail_after=1)
    app = _make(group_admin, db_server_a, "甲应用", reference=gateway, fail_after=1)
    services.run_check(gateway.pk, now=START)
    for n in range(3):  # the dependent's port is closed as well: three failures while the gateway is down
        services.run_check(app.pk, now=START + datetime.timedelta(seconds=20 * (n + 1)))
    app.refresh_from_db()
    assert app.state == "unknown"
    events = list(CheckEvent.objects.filter(active_check=app))
    assert [(event.kind, event.reason) for event in events] == [
        ("unknown", "monitoring blind: reference 甲网关 is failing")
    ]
    assert set(CheckResult.objects.filter(active_check=app).values_list("status", flat=True)) == {"down"}
    assert _told(app) == []  # blind tells nobody; the gateway's own down did
    assert _told(gateway) == ["down"]
    assert damping.EventKind.UNKNOWN.tells is False


def test_the_api_lists_a_checks_events_latest_first(api_client_for, unit_admin_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, fail_after=1)
    services.run_check(check.pk, now=START)
    with tcp_server(lambda conn: conn.close()) as port:
        Check.objects.filter(pk=check.pk).update(spec={"host": "127.0.0.1", "port": port, "timeout": 2})
        for minutes in (1, 2):
            services.run_check(check.pk, now=START + datetime.timedelta(minutes=minutes))
    http = api_client_for(unit_admin_a)
    body = http.get(f"/api/monitoring/checks/{check.pk}/events/").json()
    assert [(row["kind"], row["state"], row["check"]) for row in body["results"]] == [
        ("up", "up", check.pk),
        ("down", "down", check.pk),
    ]
    detail = http.get(f"/api/monitoring/checks/{check.pk}/").json()
    assert (detail["flap_threshold"], detail["flap_window"], detail["window_failures"]) == (6, 3600, None)


def test_the_api_refuses_a_half_set_window_naming_the_field(api_client_for, unit_admin_a, db_server_a):
    http = api_client_for(unit_admin_a)
    spec = {"host": "127.0.0.1", "port": 5432}
    answer = http.post(
        "/api/monitoring/checks/",
        {"item": db_server_a.pk, "name": "库端口", "kind": "tcp", "spec": spec, "window_failures": 2},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "window"
    assert not Check.objects.exists()


def test_the_check_page_shows_its_latest_events(client, unit_user_a, group_admin, db_server_a):
    check = _make(group_admin, db_server_a, fail_after=1, window_failures=2, window=300)
    services.run_check(check.pk, now=START)
    client.force_login(unit_user_a)
    html = client.get(f"/monitoring/checks/{check.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    event = CheckEvent.objects.get(active_check=check)
    assert f'data-testid="event-row-{event.pk}"' in html
    assert 'badge text-bg-danger">Down</span>' in html
    assert "Down also after 2 failures within 300 s." in html
    zh = client.get(f"/monitoring/checks/{check.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "最近事件" in zh and "300 秒内失败 2 次也判定为故障。" in zh
