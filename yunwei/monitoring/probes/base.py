"""What every probe returns, and the guard that keeps a probe inside its time budget and never raising.

A probe judges one target and answers ``up``, ``down`` or ``unknown`` (Art. 3). ``unknown`` is kept for
the cases where the probe could not judge at all — the operating system refused it a socket, its own
resolver or network is down, or it ran out of its own time budget — so that the probe's trouble is never
counted against the target.

A check spec is a plain mapping (the scheduler builds it from the stored check); every probe reads
``timeout`` (seconds, default :data:`DEFAULT_TIMEOUT`) and its own fields, described in
``docs/probes.md``.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 120.0
# The guard gives a probe its own timeout plus this margin (at least BUDGET_MARGIN_MIN seconds) before it
# gives up on the probe itself: the spec's timeout is what the target is allowed, the margin is the
# probe's own overhead (socket set-up, TLS, resolving). Running out of the margin is the probe's fault.
BUDGET_MARGIN = 0.5
BUDGET_MARGIN_MIN = 1.0


class Status(enum.StrEnum):
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProbeResult:
    """One probe's verdict on one target: the state, why, how long the target took and how it was asked."""

    status: Status
    reason: str = ""
    latency_ms: float | None = None
    method: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_up(self) -> bool:
        return self.status == Status.UP


class SpecError(ValueError):
    """The spec itself is unusable (a missing or malformed field); the probe cannot judge the target."""


def up(reason: str = "", **kwargs: Any) -> ProbeResult:
    return ProbeResult(Status.UP, reason, **kwargs)


def down(reason: str, **kwargs: Any) -> ProbeResult:
    return ProbeResult(Status.DOWN, reason, **kwargs)


def unknown(reason: str, **kwargs: Any) -> ProbeResult:
    return ProbeResult(Status.UNKNOWN, reason, **kwargs)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


# --- reading the spec ------------------------------------------------------------------------------------


def required(spec: Mapping[str, Any], name: str) -> Any:
    value = spec.get(name)
    if value in (None, ""):
        raise SpecError(f"the spec has no {name!r}")
    return value


def as_port(spec: Mapping[str, Any], name: str = "port", default: int | None = None) -> int:
    value = spec.get(name, default)
    if value is None:
        raise SpecError(f"the spec has no {name!r}")
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name!r} is not a port number: {value!r}") from None
    if not 0 < port < 65536:
        raise SpecError(f"{name!r} is out of range: {port}")
    return port


def as_float(spec: Mapping[str, Any], name: str, default: float | None = None) -> float | None:
    value = spec.get(name, default)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name!r} is not a number: {value!r}") from None


def as_int(spec: Mapping[str, Any], name: str, default: int) -> int:
    value = spec.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SpecError(f"{name!r} is not a whole number: {value!r}") from None


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def as_bool(spec: Mapping[str, Any], name: str, default: bool) -> bool:
    """A strict boolean: ``"false"`` is False and ``"maybe"`` is an error, never silently True."""
    value = spec.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SpecError(f"{name!r} is not true or false: {value!r}")


def timeout_of(spec: Mapping[str, Any]) -> float:
    timeout = as_float(spec, "timeout", DEFAULT_TIMEOUT)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise SpecError(f"'timeout' must be between 0 and {MAX_TIMEOUT:g} seconds, not {timeout:g}")
    return timeout


# --- resolving and classifying socket errors -------------------------------------------------------------

# getaddrinfo's answers that mean "the probe's own resolver could not be asked" rather than "no such name".
_RESOLVER_TROUBLE = {socket.EAI_AGAIN, socket.EAI_FAIL, getattr(socket, "EAI_SYSTEM", -11)}


async def resolve(host: str) -> str | ProbeResult:
    """The target's first address, or a result saying why there is none (down for a name that does not
    exist, unknown when the probe's resolver itself failed)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return resolution_failure(host, exc)
    return infos[0][4][0]


def resolution_failure(host: str, exc: socket.gaierror) -> ProbeResult:
    if exc.errno in _RESOLVER_TROUBLE:
        return unknown(f"the probe's resolver could not resolve {host}: {exc.strerror}")
    return down(f"{host} does not resolve: {exc.strerror}")


def socket_failure(exc: BaseException, what: str) -> ProbeResult | None:
    """A down/unknown result for the common OS-level failures, or None when ``exc`` is none of them."""
    for cause in chain(exc):
        if isinstance(cause, socket.gaierror):
            return resolution_failure(what, cause)
        if isinstance(cause, ConnectionRefusedError):
            return down(f"connection to {what} refused")
        if isinstance(cause, ConnectionResetError):
            return down(f"connection to {what} reset by the peer")
        if isinstance(cause, PermissionError):
            return unknown(f"the operating system refused the probe a socket: {cause}")
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.ENETDOWN):
            # The probe's own host has no route out: it cannot judge the target.
            return unknown(f"the probe's network is unreachable: {cause.strerror}")
        if isinstance(cause, OSError) and cause.errno == errno.EHOSTUNREACH:
            return down(f"{what} is unreachable: {cause.strerror}")
    return None


def chain(exc: BaseException | None):
    """``exc`` and the exceptions it was raised from, outermost first (clients wrap the OS error)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


# --- the guard -------------------------------------------------------------------------------------------

Probe = Callable[[Mapping[str, Any], float], Awaitable[ProbeResult]]


async def guarded(probe: Probe, spec: Mapping[str, Any], method: str) -> ProbeResult:
    """Run ``probe(spec, timeout)`` so that it returns within its budget and never raises.

    A spec error is ``unknown`` (the probe could not judge); running out of the budget is ``unknown``
    (the target had its own ``timeout``, the margin was the probe's); any other exception that reaches
    here is ``unknown`` with the exception named, because a probe that crashed has not judged the target.
    """
    started = time.perf_counter()
    try:
        timeout = timeout_of(spec)
    except SpecError as exc:
        return unknown(f"invalid check: {exc}", method=method)
    budget = timeout + max(BUDGET_MARGIN_MIN, timeout * BUDGET_MARGIN)
    try:
        async with asyncio.timeout(budget):
            return await probe(spec, timeout)
    except SpecError as exc:
        return unknown(f"invalid check: {exc}", method=method)
    except TimeoutError:
        return unknown(
            f"the probe ran out of its own time budget ({budget:g} s)",
            method=method,
            details={"elapsed_ms": elapsed_ms(started)},
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a probe never raises: whatever escaped becomes the reason
        return unknown(f"the probe failed: {type(exc).__name__}: {exc}", method=method)
