"""The ICMP probe against 127.0.0.1: which method the kernel lets it use is read from the machine itself
(``net.ipv4.ping_group_range``, root or not), and the result must name that method."""

import os
import socket

import pytest

from yunwei.monitoring import probes

from .targets import closed_port, hang, run, tcp_server


def _unprivileged_allowed() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP).close()
    except PermissionError:
        return False
    return True


def _raw_allowed() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    except PermissionError:
        return False
    return True


UNPRIVILEGED = _unprivileged_allowed()
RAW = _raw_allowed()


def ping(**fields):
    return run(probes.run({"type": "icmp", "host": "127.0.0.1", "timeout": 1, "interval": 0.01, **fields}))


@pytest.mark.skipif(not (UNPRIVILEGED or RAW), reason="this machine allows neither ICMP socket to the tests")
def test_loopback_answers_and_the_result_names_the_least_privileged_method_allowed():
    result = ping()
    assert result.status == "up", result.reason
    assert result.reason == "3/3 echo replies"
    assert result.latency_ms is not None and result.latency_ms < 100
    if UNPRIVILEGED:
        assert result.method == "icmp-unprivileged"
        assert "refused" not in result.details
    else:
        assert result.method == "icmp-raw"
        assert "ping_group_range" in result.details["refused"]["icmp-unprivileged"]


@pytest.mark.skipif(UNPRIVILEGED, reason="net.ipv4.ping_group_range lets this user open ICMP sockets")
def test_permission_refused_for_every_allowed_method_is_unknown_not_down():
    result = ping(methods=["unprivileged"])
    assert result.status == "unknown"
    assert result.method == "icmp"
    assert result.reason.startswith("the probe could not ping 127.0.0.1 by any method")
    assert "net.ipv4.ping_group_range" in result.reason


@pytest.mark.skipif(UNPRIVILEGED, reason="net.ipv4.ping_group_range lets this user open ICMP sockets")
def test_without_icmp_it_falls_back_to_a_tcp_connect_and_says_so():
    with tcp_server(hang) as port:
        result = ping(methods=["unprivileged", "tcp"], fallback_port=port)
    assert result.status == "up"
    assert result.method == "tcp-connect"
    assert result.details["refused"]["icmp-unprivileged"].startswith("permission refused")


@pytest.mark.skipif(UNPRIVILEGED, reason="net.ipv4.ping_group_range lets this user open ICMP sockets")
def test_a_closed_fallback_port_still_proves_the_host_answers():
    port = closed_port()
    result = ping(methods=["unprivileged", "tcp"], fallback_port=port)
    assert result.status == "up"
    assert result.method == "tcp-connect"
    assert result.reason == f"127.0.0.1 answered on port {port} (port closed)"


@pytest.mark.skipif(UNPRIVILEGED, reason="net.ipv4.ping_group_range lets this user open ICMP sockets")
def test_the_tcp_fallback_without_a_port_is_unknown_naming_both_refusals():
    result = ping(methods=["unprivileged", "tcp"])
    assert result.status == "unknown"
    assert result.details["refused"]["tcp-connect"] == "no fallback port in the check"


@pytest.mark.skipif(not RAW or os.geteuid() != 0, reason="raw ICMP sockets need root here")
def test_a_latency_threshold_below_any_round_trip_is_down_with_the_average():
    result = ping(methods=["raw"], max_latency_ms=0.000001)
    assert result.status == "down"
    assert result.method == "icmp-raw"
    assert result.reason.startswith("average round trip")


def test_a_name_that_does_not_resolve_is_down_and_a_bad_method_is_unknown():
    result = run(probes.run({"type": "icmp", "host": "no-such-host.invalid", "timeout": 1}))
    assert result.status in ("down", "unknown")  # unknown only when this machine's resolver is unusable
    assert "no-such-host.invalid" in result.reason
    bad = ping(methods=["carrier-pigeon"])
    assert bad.status == "unknown"
    assert bad.reason == "invalid check: unknown ICMP method 'carrier-pigeon'; one of unprivileged, raw, tcp"
