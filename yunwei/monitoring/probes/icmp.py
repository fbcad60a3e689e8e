"""ICMP ping with icmplib, trying the least privilege first and recording the method that answered.

Order: an unprivileged ICMP socket (Linux allows it to the groups in ``net.ipv4.ping_group_range``), then
a raw socket (root or CAP_NET_RAW), then a TCP connect to ``fallback_port`` when the spec names one. A
TCP connect proves the host is reachable both when the port accepts and when it refuses (the host itself
answered with a reset). When every method is refused by the operating system the result is ``unknown``:
the probe could not ask, which says nothing about the host.

Spec: ``host``; optional ``count`` (3), ``interval`` (0.2 s), ``timeout``, ``max_latency_ms`` (on the
average round trip), ``max_loss_percent`` (100: any reply is up), ``fallback_port``, ``methods`` (the
order to try, a subset of ``unprivileged``, ``raw``, ``tcp``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import icmplib

from .base import (
    ProbeResult,
    SpecError,
    as_float,
    as_int,
    as_port,
    down,
    guarded,
    required,
    resolve,
    unknown,
    up,
)

UNPRIVILEGED = "icmp-unprivileged"
RAW = "icmp-raw"
TCP = "tcp-connect"
_REFUSED = {
    UNPRIVILEGED: "permission refused (the probe's group is not in net.ipv4.ping_group_range)",
    RAW: "permission refused (a raw socket needs root or CAP_NET_RAW)",
}
ALL_METHODS = {"unprivileged": UNPRIVILEGED, "raw": RAW, "tcp": TCP}


def _methods(spec: Mapping[str, Any]) -> list[str]:
    names = spec.get("methods") or ["unprivileged", "raw", "tcp"]
    try:
        return [ALL_METHODS[name] for name in names]
    except KeyError as exc:
        raise SpecError(f"unknown ICMP method {exc.args[0]!r}; one of {', '.join(ALL_METHODS)}") from None


async def _icmp(address: str, spec: Mapping[str, Any], timeout: float, privileged: bool) -> ProbeResult:
    method = RAW if privileged else UNPRIVILEGED
    count = as_int(spec, "count", 3)
    interval = as_float(spec, "interval", 0.2)
    if not 1 <= count <= 20:
        raise SpecError(f"'count' must be between 1 and 20, not {count}")
    # icmplib waits up to `timeout` for each reply and then `interval` before the next request; the
    # per-reply wait is sized so that the whole series fits the check's timeout.
    per_reply = max(0.05, timeout / count - interval)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            host = await icmplib.async_ping(
                address, count=count, interval=interval, timeout=per_reply, privileged=privileged
            )
    except TimeoutError:
        return down(f"no ICMP echo reply from {address} within {timeout:g} s", method=method)
    details = {
        "address": address,
        "packets_sent": host.packets_sent,
        "packets_received": host.packets_received,
        "packet_loss": host.packet_loss,
        "rtt_min_ms": host.min_rtt,
        "rtt_max_ms": host.max_rtt,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if not host.packets_received:
        reason = f"no ICMP echo reply from {address} ({host.packets_sent} sent)"
        return down(reason, method=method, details=details)
    latency = host.avg_rtt
    loss = host.packet_loss * 100
    max_loss = as_float(spec, "max_loss_percent", 100)
    max_latency = as_float(spec, "max_latency_ms")
    result = dict(latency_ms=latency, method=method, details=details)
    if max_loss < 100 and loss > max_loss:
        return down(f"{loss:.0f}% of the echo requests lost, over the {max_loss:g}% allowed", **result)
    if max_latency is not None and latency > max_latency:
        return down(f"average round trip {latency:.1f} ms, over the {max_latency:g} ms threshold", **result)
    return up(f"{host.packets_received}/{host.packets_sent} echo replies", **result)


async def _tcp(address: str, spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    from . import tcp

    port = as_port(spec, "fallback_port")
    failure, latency, streams = await tcp.connect(address, port, timeout)
    details = {"address": address, "port": port}
    if streams is not None:
        streams[1].close()
        return up(f"{address}:{port} accepts connections", latency_ms=latency, method=TCP, details=details)
    if failure.reason.endswith("refused"):
        # The host's own stack answered with a reset: it is up, only the port is closed.
        reason = f"{address} answered on port {port} (port closed)"
        return up(reason, latency_ms=latency, method=TCP, details=details)
    return ProbeResult(failure.status, failure.reason, None, TCP, details)


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    target = str(required(spec, "host"))
    methods = _methods(spec)
    address = await resolve(target)
    if isinstance(address, ProbeResult):
        return address
    refused: dict[str, str] = {}
    for method in methods:
        try:
            if method == TCP:
                if spec.get("fallback_port") in (None, ""):
                    refused[TCP] = "no fallback port in the check"
                    continue
                result = await _tcp(address, spec, timeout)
            else:
                result = await _icmp(address, spec, timeout, privileged=method == RAW)
        except (icmplib.SocketPermissionError, PermissionError):
            refused[method] = _REFUSED[method]
            continue
        except icmplib.ICMPLibError as exc:
            refused[method] = f"{type(exc).__name__}: {exc}"
            continue
        if refused:
            result.details["refused"] = refused
        return result
    tried = "; ".join(f"{m}: {why}" for m, why in refused.items())
    return unknown(
        f"the probe could not ping {address} by any method ({tried})",
        method="icmp",
        details={"refused": refused},
    )


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, "icmp")
