"""TCP port probe: can a connection be opened, and (optionally) does the service greet as expected.

Spec: ``host``, ``port``, ``timeout``; optional ``send`` (text written after connecting) and ``expect``
(text the first bytes read must start with, e.g. ``SSH-`` or ``220``); ``max_latency_ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from .base import ProbeResult, as_float, as_port, down, elapsed_ms, guarded, required, socket_failure, up

METHOD = "tcp-connect"


async def connect(host: str, port: int, timeout: float) -> tuple[ProbeResult | None, float, Any]:
    """Open a connection; answer (failure or None, latency in ms, (reader, writer) or None)."""
    started = time.perf_counter()
    target = f"{host}:{port}"
    try:
        async with asyncio.timeout(timeout):
            streams = await asyncio.open_connection(host, port)
    except TimeoutError:
        failure = down(f"no connection to {target} within {timeout:g} s", method=METHOD)
        return failure, elapsed_ms(started), None
    except OSError as exc:
        failure = socket_failure(exc, target) or down(f"cannot connect to {target}: {exc}")
        return _with_method(failure), elapsed_ms(started), None
    return None, elapsed_ms(started), streams


def _with_method(result: ProbeResult) -> ProbeResult:
    return ProbeResult(result.status, result.reason, result.latency_ms, METHOD, result.details)


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    host = str(required(spec, "host"))
    port = as_port(spec)
    expect = spec.get("expect")
    send = spec.get("send")
    max_latency = as_float(spec, "max_latency_ms")
    loop_started = time.perf_counter()
    failure, latency, streams = await connect(host, port, timeout)
    if failure:
        return failure
    reader, writer = streams
    details: dict[str, Any] = {"connect_ms": latency}
    try:
        if send or expect:
            remaining = max(0.0, timeout - (time.perf_counter() - loop_started))
            try:
                async with asyncio.timeout(remaining):
                    if send:
                        writer.write(str(send).encode())
                        await writer.drain()
                    if expect:
                        wanted = str(expect).encode()
                        data = await reader.read(max(len(wanted), 256))
            except TimeoutError:
                return down(
                    f"{host}:{port} accepted the connection but sent nothing within {timeout:g} s",
                    latency_ms=latency,
                    method=METHOD,
                    details=details,
                )
            except OSError as exc:
                failure = socket_failure(exc, f"{host}:{port}") or down(f"{host}:{port}: {exc}")
                return ProbeResult(failure.status, failure.reason, latency, METHOD, details)
            if expect:
                details["received"] = data[:256].decode("utf-8", "replace")
                if not data:
                    return down(
                        f"{host}:{port} closed the connection without a greeting",
                        latency_ms=latency,
                        method=METHOD,
                        details=details,
                    )
                if not data.startswith(wanted):
                    return down(
                        f"{host}:{port} answered {details['received'][:60]!r}, expected it to start with "
                        f"{expect!r}",
                        latency_ms=latency,
                        method=METHOD,
                        details=details,
                    )
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1)
    if max_latency is not None and latency > max_latency:
        return down(
            f"connected in {latency:.0f} ms, over the {max_latency:g} ms threshold",
            latency_ms=latency,
            method=METHOD,
            details=details,
        )
    return up(f"{host}:{port} accepts connections", latency_ms=latency, method=METHOD, details=details)


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
