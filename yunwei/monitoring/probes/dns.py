"""DNS probe with dnspython: ask one resolver for one record and compare the answer and response code.

The resolver asked is the probe's instrument: when it cannot be reached (no answer, port unreachable) the
result is ``unknown`` — the probe could not judge the record — never ``down``.

Spec: ``name``; optional ``record_type`` (A), ``server`` (default: the first resolver of the probe's
host), ``port`` (53), ``expected`` (a value or a list that must all be in the answer), ``match``
(``contains``, the default, or ``exact``: the answer is exactly the expected set), ``expected_rcode``
(NOERROR), ``max_latency_ms``, ``timeout``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from .base import ProbeResult, SpecError, as_float, as_port, down, elapsed_ms, guarded, required, unknown, up

METHOD = "dns"


def _normalise(text: str) -> str:
    text = text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    return text.rstrip(".").lower()


def _parsed(spec: Mapping[str, Any], field: str, parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except (dns.exception.DNSException, ValueError) as exc:
        raise SpecError(f"{field!r} is not usable: {text!r} ({exc})") from None


def _server(spec: Mapping[str, Any]) -> str:
    server = spec.get("server")
    if server:
        return str(server)
    try:
        return dns.resolver.Resolver().nameservers[0]
    except (dns.resolver.NoResolverConfiguration, IndexError):
        raise SpecError("no 'server' in the check and the probe's host has no resolver configured") from None


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    qname = _parsed(spec, "name", dns.name.from_text, str(required(spec, "name")))
    rdtype = _parsed(
        spec, "record_type", dns.rdatatype.from_text, str(spec.get("record_type") or "A").upper()
    )
    wanted_rcode = _parsed(
        spec, "expected_rcode", dns.rcode.from_text, str(spec.get("expected_rcode") or "NOERROR").upper()
    )
    server = _server(spec)
    port = as_port(spec, default=53)
    expected = spec.get("expected")
    if expected in (None, ""):
        expected = []
    elif not isinstance(expected, list | tuple | set):
        expected = [expected]
    expected = {_normalise(str(e)) for e in expected}
    match = spec.get("match") or "contains"
    if match not in ("contains", "exact"):
        raise SpecError(f"'match' must be contains or exact, not {match!r}")
    max_latency = as_float(spec, "max_latency_ms")

    query = dns.message.make_query(qname, rdtype)
    resolver = f"{server}:{port}"
    started = time.perf_counter()
    try:
        response, used_tcp = await dns.asyncquery.udp_with_fallback(query, server, timeout=timeout, port=port)
    except dns.exception.Timeout:
        return unknown(f"the resolver {resolver} did not answer within {timeout:g} s", method=METHOD)
    except OSError as exc:
        return unknown(f"the resolver {resolver} cannot be reached: {exc.strerror or exc}", method=METHOD)
    except dns.exception.DNSException as exc:
        return unknown(f"the resolver {resolver} gave no usable answer: {exc}", method=METHOD)
    latency = elapsed_ms(started)

    rcode = response.rcode()
    rrsets = [rrset for rrset in response.answer if rrset.rdtype == rdtype]
    answers = sorted({_normalise(rdata.to_text()) for rrset in rrsets for rdata in rrset})
    details = {
        "resolver": resolver,
        "rcode": dns.rcode.to_text(rcode),
        "answers": answers,
        "transport": "tcp" if used_tcp else "udp",
    }
    result = dict(latency_ms=latency, method=METHOD, details=details)
    type_text = dns.rdatatype.to_text(rdtype)
    if rcode != wanted_rcode:
        return down(
            f"{qname} {type_text}: response code {dns.rcode.to_text(rcode)}, expected "
            f"{dns.rcode.to_text(wanted_rcode)}",
            **result,
        )
    if wanted_rcode == dns.rcode.NOERROR:
        if not answers:
            return down(f"{qname} has no {type_text} record", **result)
        missing = sorted(expected - set(answers))
        if missing:
            got = ", ".join(answers)
            return down(f"{qname} {type_text} is {got}; missing {', '.join(missing)}", **result)
        if match == "exact" and expected and set(answers) != expected:
            extra = sorted(set(answers) - expected)
            return down(f"{qname} {type_text} also answers {', '.join(extra)}", **result)
    if max_latency is not None and latency > max_latency:
        return down(f"answered in {latency:.0f} ms, over the {max_latency:g} ms threshold", **result)
    summary = ", ".join(answers) if answers else dns.rcode.to_text(rcode)
    return up(f"{qname} {type_text}: {summary}", **result)


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
