"""The probes behind Yunwei's active checks (Art. 3): plain async functions, no models, no Django.

``await run(spec)`` judges one target by ``spec["type"]``; ``await run_batch(specs, concurrency=n)``
judges many at once, at most ``n`` in flight, and answers in the order given. Neither ever raises: every
failure is a :class:`ProbeResult` with its reason. The spec fields of each type are in
``docs/probes.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from . import dns, http, icmp, mysql, postgresql, snmp, tcp
from .base import ProbeResult, Status, unknown

__all__ = ["PROBES", "ProbeResult", "Status", "run", "run_batch"]

PROBES: dict[str, Callable[[Mapping[str, Any]], Awaitable[ProbeResult]]] = {
    "http": http.run,
    "tcp": tcp.run,
    "icmp": icmp.run,
    "dns": dns.run,
    "postgresql": postgresql.run,
    "mysql": mysql.run,
    "snmp": snmp.run,
}


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    probe = PROBES.get(spec.get("type")) if isinstance(spec, Mapping) else None
    if probe is None:
        kind = spec.get("type") if isinstance(spec, Mapping) else type(spec).__name__
        return unknown(f"invalid check: unknown probe type {kind!r}; one of {', '.join(PROBES)}")
    return await probe(spec)


async def run_batch(specs: Iterable[Mapping[str, Any]], concurrency: int = 50) -> list[ProbeResult]:
    """Judge every spec concurrently, at most ``concurrency`` at a time; results in the order of ``specs``."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    semaphore = asyncio.Semaphore(concurrency)

    async def one(spec: Mapping[str, Any]) -> ProbeResult:
        async with semaphore:
            return await run(spec)

    return list(await asyncio.gather(*(one(spec) for spec in specs)))
