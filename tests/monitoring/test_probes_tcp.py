"""The TCP probe against real listeners on 127.0.0.1, the time budget every probe keeps, and run_batch."""

import asyncio

from yunwei.monitoring import probes
from yunwei.monitoring.probes import base

from .targets import closed_port, greet, hang, reset, run, tcp_server


def check(port, **fields):
    return run(probes.run({"type": "tcp", "host": "127.0.0.1", "port": port, "timeout": 1, **fields}))


def test_a_listening_port_is_up_with_the_connect_time():
    with tcp_server(hang) as port:
        result = check(port)
    assert result.status == "up"
    assert result.method == "tcp-connect"
    assert result.reason == f"127.0.0.1:{port} accepts connections"
    assert 0 < result.latency_ms < 1000


def test_a_closed_port_is_down_refused():
    port = closed_port()
    result = check(port)
    assert result.status == "down"
    assert result.reason == f"connection to 127.0.0.1:{port} refused"


def test_the_expected_greeting_is_read_and_compared():
    with tcp_server(greet(b"220 mail.example.test ESMTP\r\n")) as port:
        assert check(port, expect="220 ").status == "up"
        wrong = check(port, expect="SSH-")
    assert wrong.status == "down"
    assert (
        wrong.reason
        == f"127.0.0.1:{port} answered '220 mail.example.test ESMTP\\r\\n', expected it to start with 'SSH-'"
    )


def test_garbage_instead_of_the_greeting_is_down_with_what_came():
    with tcp_server(greet(b"\x00\xffgarbage")) as port:
        result = check(port, expect="SSH-")
    assert result.status == "down"
    assert "expected it to start with 'SSH-'" in result.reason
    assert result.details["received"].endswith("garbage")


def test_a_reset_during_the_exchange_is_down_naming_the_reset():
    with tcp_server(reset) as port:
        result = check(port, send="PING\r\n", expect="+PONG")
    assert result.status == "down"
    assert "reset" in result.reason or "closed the connection" in result.reason, result.reason


def test_a_target_that_hangs_is_down_within_the_timeout():
    with tcp_server(hang) as port:
        result = check(port, expect="SSH-", timeout=0.3)
    assert result.status == "down"  # the reason is the timeout's: it gave up at 0.3 s, the target never did
    assert result.reason == f"127.0.0.1:{port} accepted the connection but sent nothing within 0.3 s"


def test_a_missing_port_is_unknown_naming_the_field():
    result = run(probes.run({"type": "tcp", "host": "127.0.0.1"}))
    assert result.status == "unknown"
    assert result.reason == "invalid check: the spec has no 'port'"


def test_a_probe_that_overruns_its_own_budget_is_unknown_not_down():
    async def stuck(spec, timeout):
        await asyncio.sleep(60)

    result = run(base.guarded(stuck, {"timeout": 0.2}, "tcp-connect"))  # stuck would sleep 60 s
    assert result.status == "unknown"
    assert result.reason == "the probe ran out of its own time budget (1.2 s)"


def test_a_probe_that_crashes_is_unknown_with_the_exception_and_does_not_raise():
    async def broken(spec, timeout):
        raise RuntimeError("socket table full")

    result = run(base.guarded(broken, {}, "tcp-connect"))
    assert result.status == "unknown"
    assert result.reason == "the probe failed: RuntimeError: socket table full"


def test_run_batch_answers_in_order_with_bounded_concurrency():
    with tcp_server(hang) as open_port:
        shut = closed_port()
        specs = [
            {"type": "tcp", "host": "127.0.0.1", "port": open_port if i % 2 == 0 else shut, "timeout": 1}
            for i in range(20)
        ] + [{"type": "no-such-type"}]
        results = run(probes.run_batch(specs, concurrency=4))
    assert [r.status for r in results[:20]] == ["up", "down"] * 10
    assert results[-1].status == "unknown"
    assert "unknown probe type 'no-such-type'" in results[-1].reason


def test_run_batch_keeps_to_its_concurrency():
    in_flight = peak = 0

    async def measured(spec):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return base.up()

    probes.PROBES["measured"] = measured
    try:
        results = run(probes.run_batch([{"type": "measured"}] * 12, concurrency=3))
    finally:
        del probes.PROBES["measured"]
    assert len(results) == 12
    assert peak == 3
