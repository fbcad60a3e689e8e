"""What the database log-in probes share: the server's words as the reason, and the latency threshold.

Up means the server accepted the log-in and answered a query. A refused log-in (wrong password, unknown
role) and an unknown database are ``down`` with the server's own words, because that is exactly what a
log-in check is there to notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ProbeResult, as_float, down, up


def first_line(text: str) -> str:
    line = " ".join(str(text).strip().splitlines()[:1]).strip()
    # libpq prefixes the server's words with where it tried to connect; the server's words are the reason.
    _, fatal, rest = line.partition("FATAL:")
    return " ".join(rest.split()) if fatal else line


def judge_login(spec: Mapping[str, Any], method: str, latency: float, details: dict[str, Any]) -> ProbeResult:
    max_latency = as_float(spec, "max_latency_ms")
    if max_latency is not None and latency > max_latency:
        return down(
            f"logged in and answered in {latency:.0f} ms, over the {max_latency:g} ms threshold",
            latency_ms=latency,
            method=method,
            details=details,
        )
    return up(f"logged in as {spec.get('user')}", latency_ms=latency, method=method, details=details)
