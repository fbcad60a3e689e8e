"""The demo heartbeats and checks, loaded after the organisation and the inventory as `yunwei demo` loads
them; the demo's own targets (`yunwei demo-targets`) answering on loopback, and each demo check reaching
its intended state when run against them."""

import asyncio
import contextlib
import datetime
import random
import socket
import threading
import time
import urllib.request

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.cmdb import demo as cmdb_demo
from yunwei.monitoring import demo as monitoring_demo
from yunwei.monitoring import demo_targets, series, services
from yunwei.monitoring.models import Check, CheckResult, CheckRollup, Heartbeat, HeartbeatRun
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit

from .targets import free_port

pytestmark = pytest.mark.django_db


# 14:00 in Shanghai: away from the cron jobs' own times (01:00, 03:30), when a job is due that minute.
LOADED_AT = datetime.datetime(2026, 3, 10, 6, 0, tzinfo=datetime.UTC)


def test_demo_heartbeats_have_months_of_runs_untrusted_backups_and_one_late():
    org_demo.load()
    cmdb_demo.load()
    with time_machine.travel(LOADED_AT), CaptureQueriesContext(connection) as queries:
        monitoring_demo.load()
    # Runs and check history in bulk, not one ping or one run at a time: far fewer queries than rows made.
    made = HeartbeatRun.objects.count() + CheckResult.objects.count() + CheckRollup.objects.count()
    assert len(queries) * 10 < made
    units = Unit.objects.filter(kind__in=["group", "unit"])
    assert set(Heartbeat.objects.values_list("unit_id", flat=True)) == set(units.values_list("pk", flat=True))
    assert set(Heartbeat.objects.values_list("kind", flat=True)) == {"backup", "cron"}
    assert Heartbeat.objects.filter(state="late").count() == 1
    assert Heartbeat.objects.filter(state="up").count() == Heartbeat.objects.count() - 1
    distrust = set(HeartbeatRun.objects.filter(trusted=False).values_list("distrust", flat=True))
    assert {"too_small", "too_fast"} <= distrust
    first = HeartbeatRun.objects.order_by("received_at").first()
    last = HeartbeatRun.objects.order_by("received_at").last()
    assert (last.received_at - first.received_at).days >= 90
    assert first.recorded_at > first.received_at  # loaded later than it happened
    assert last.received_at < LOADED_AT + datetime.timedelta(minutes=1)


def test_demo_checks_have_a_day_of_results_and_ninety_days_of_roll_ups_and_end_in_each_state():
    org_demo.load()
    cmdb_demo.load()
    with time_machine.travel(LOADED_AT):
        loaded = monitoring_demo.load()
    checks = {check.name: Check.objects.get(pk=check.pk) for check in loaded["checks"]}
    assert len(checks) >= 6
    plans = {plan["name"]: plan for plan in monitoring_demo.demo_checks(demo_targets.Ports.configured())}
    for name, check in checks.items():
        expect = plans[name]["expect"]
        assert check.state == {"flapping": "up"}.get(expect, expect) or expect == "flapping", name
        assert check.item.code == plans[name]["item"]
        results = CheckResult.objects.filter(active_check=check)
        first, last = results.order_by("at").first(), results.order_by("at").last()
        assert LOADED_AT - last.at <= datetime.timedelta(minutes=1)
        assert LOADED_AT - first.at >= datetime.timedelta(hours=24)
        days = CheckRollup.objects.filter(active_check=check, period="day")
        assert days.count() >= 90
    states = {check.state for check in checks.values()}
    assert {"up", "down", "unknown"} <= states
    flapping = [check for check in checks.values() if check.damping.get("flapping")]
    assert [plans[check.name]["expect"] for check in flapping] == ["flapping"]
    # The charts have something to show on the first start, in every range.
    portal = checks["OA 门户首页"]
    with time_machine.travel(LOADED_AT):
        for name in series.RANGES:
            data = series.series(portal, name)
            assert data["availability"] is not None and data["availability"] > 99, name
            assert {state for _start, _end, state in data["states"]} - {"none"} <= {"up", "partial"}, name
            # No data only where no run could be yet: the minute, hour or day now running.
            assert all(end >= data["to"] for _start, end, state in data["states"] if state == "none"), name


@contextlib.contextmanager
def running_targets(ports: demo_targets.Ports, period: float):
    """The demo targets on their ports in a thread of their own, as `yunwei demo-targets` runs them."""
    loop = asyncio.new_event_loop()
    handles = loop.run_until_complete(demo_targets.start(ports, period=period))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield ports
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.run_until_complete(demo_targets.stop(handles))
        loop.close()


def _ports() -> demo_targets.Ports:
    return demo_targets.Ports(
        http=free_port(),
        flapping=free_port(),
        tcp=free_port(),
        closed=free_port(),
        dns=free_port(socket.SOCK_DGRAM),
    )


def test_the_demo_targets_answer_and_each_demo_check_reaches_its_intended_state_when_run():
    org_demo.load()
    cmdb_demo.load()
    period = 3600.0  # one turn of the flapping target lasts the whole test (or the result is read below)
    with running_targets(_ports(), period) as ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{ports.http}/", timeout=5) as response:  # noqa: S310
            assert response.status == 200 and response.read().startswith(b"OA OK")
        with socket.create_connection(("127.0.0.1", ports.tcp), timeout=5) as conn:
            assert conn.recv(100).startswith(b"220")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", ports.closed), timeout=5).close()

        admin = org_demo_admin()
        checks = monitoring_demo.load_checks(admin, ports=ports)
        plans = {plan["name"]: plan for plan in monitoring_demo.demo_checks(ports)}
        for check in checks:
            expect = plans[check.name]["expect"]
            flap_before = demo_targets.flapping_is_up(period=period)
            result = services.run_check(check.pk)
            check.refresh_from_db()
            if expect == "flapping":
                if flap_before != demo_targets.flapping_is_up(period=period):
                    continue  # the turn changed during the run: either answer is right
                assert result.status == ("up" if flap_before else "down"), result.reason
                assert check.damping["flapping"] is True
            else:
                assert (result.status, check.state) == (expect, expect), (check.name, result.reason)
    assert len(checks) >= 6


def org_demo_admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def test_yunwei_demo_targets_runs_as_a_process_and_stops_on_sigterm(monkeypatch):
    """The child `yunwei serve` supervises: it serves on its configured ports and ends cleanly."""
    import os
    import signal
    import subprocess
    import sys

    base = _free_run_of_ports(5)
    env = {**os.environ, "YUNWEI_DEMO_TARGETS_PORT": str(base)}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "yunwei.cli", "demo-targets"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{base}/health", timeout=2) as response:  # noqa: S310
                    assert b'"status": "ok"' in response.read()
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the demo targets never answered"
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", base + 2), timeout=5) as conn:
            assert conn.recv(100).startswith(b"220")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def _free_run_of_ports(count: int) -> int:
    """A base port with `count` free ports from it, below the kernel's ephemeral range (where other tests'
    servers come and go)."""
    rng = random.Random()
    for _attempt in range(50):
        base = rng.randrange(20000, 30000)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no run of free ports found")


def test_a_port_taken_is_named_and_the_other_targets_still_start():
    ports = _ports()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = demo_targets.Ports(**{**ports.__dict__, "flapping": taken.getsockname()[1]})
        failures = []

        async def started():
            handles = await demo_targets.start(ports, failures=failures)
            await demo_targets.stop(handles)
            return len(handles)

        assert asyncio.run(started()) == 3
        assert [port for port, _exc in failures] == [ports.flapping]


def test_serve_runs_the_demo_targets_only_with_the_demo_checks(monkeypatch):
    from yunwei import cli

    assert cli._demo_targets_wanted() is False  # an empty database: no demo, no targets
    org_demo.load()
    cmdb_demo.load()
    monitoring_demo.load_checks(org_demo_admin())
    assert cli._demo_targets_wanted() is True
    monkeypatch.setenv("YUNWEI_DEMO_TARGETS", "false")
    assert cli._demo_targets_wanted() is False
