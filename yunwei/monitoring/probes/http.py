"""HTTP(S) probe with httpx: status, a keyword or a JSON-path condition on the body, a latency threshold,
and for https the days left on the server's certificate.

Spec: ``url``; optional ``method`` (GET), ``headers``, ``expected_status`` (a code or a list; default any
2xx/3xx), ``follow_redirects`` (true), ``keyword``, ``json_path`` with ``json_op`` (eq, ne, lt, le, gt,
ge, contains, exists) and ``json_value``, ``max_latency_ms``, ``verify_tls`` (true), ``ca_bundle`` (a PEM
file to trust instead of the system's), ``cert_min_days``, ``timeout``.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import json
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

from . import jsonpath
from .base import (
    ProbeResult,
    SpecError,
    as_bool,
    as_float,
    chain,
    down,
    elapsed_ms,
    guarded,
    required,
    socket_failure,
    up,
)

METHOD = "http"
MAX_BODY = 1024 * 1024  # a health page larger than this is read only this far for the keyword/JSON checks
USER_AGENT = "Yunwei-monitoring/1"


@functools.lru_cache(maxsize=16)
def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    # Building a context loads the CA store; done once per bundle rather than once per probe.
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _verify(spec: Mapping[str, Any]) -> ssl.SSLContext | bool:
    if not as_bool(spec, "verify_tls", True):
        return False
    return _ssl_context(spec.get("ca_bundle") or None)


def _expected_statuses(spec: Mapping[str, Any]) -> set[int] | None:
    value = spec.get("expected_status")
    if value in (None, "", []):
        return None
    values = value if isinstance(value, list | tuple | set) else [value]
    try:
        return {int(v) for v in values}
    except (TypeError, ValueError):
        raise SpecError(f"'expected_status' is not a status code: {value!r}") from None


def certificate_facts(response: httpx.Response) -> dict[str, Any] | None:
    """Subject, issuer, expiry and days left of the peer certificate, read off the open TLS connection."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    not_after = cert.not_valid_after_utc
    left = not_after - datetime.datetime.now(datetime.UTC)
    return {
        "cert_subject": cert.subject.rfc4514_string(),
        "cert_issuer": cert.issuer.rfc4514_string(),
        "cert_not_after": not_after.isoformat(),
        "cert_days_left": round(left.total_seconds() / 86400, 2),
    }


def _transport_failure(exc: httpx.HTTPError, url: str, timeout: float) -> ProbeResult:
    causes = list(chain(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return down(f"TLS certificate not trusted: {cause.verify_message}", method=METHOD)
    if isinstance(exc, httpx.ConnectTimeout):
        return down(f"no connection to {url} within {timeout:g} s", method=METHOD)
    if isinstance(exc, httpx.TimeoutException):
        return down(f"no answer from {url} within {timeout:g} s", method=METHOD)
    if isinstance(exc, httpx.RemoteProtocolError):
        return down(f"not a valid HTTP answer: {exc}", method=METHOD)
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return down(f"TLS handshake failed: {cause.reason or cause}", method=METHOD)
    parsed = httpx.URL(url)
    failure = socket_failure(exc, f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}")
    if failure:
        return ProbeResult(failure.status, failure.reason, None, METHOD)
    return down(f"{type(exc).__name__}: {exc}", method=METHOD)


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    url = str(required(spec, "url"))
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise SpecError(f"'url' is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise SpecError(f"'url' must be http or https, not {parsed.scheme!r}")
    statuses = _expected_statuses(spec)
    max_latency = as_float(spec, "max_latency_ms")
    cert_min_days = as_float(spec, "cert_min_days")
    keyword = spec.get("keyword") or None
    json_path = spec.get("json_path") or None
    json_op = spec.get("json_op") or ("eq" if "json_value" in spec else "exists")
    if json_op not in jsonpath.OPERATORS:
        raise SpecError(f"'json_op' must be one of {', '.join(jsonpath.OPERATORS)}, not {json_op!r}")
    if json_path:
        try:
            jsonpath.parse(json_path)
        except jsonpath.PathError as exc:
            raise SpecError(str(exc)) from None
    headers = {"User-Agent": USER_AGENT, **(spec.get("headers") or {})}

    details: dict[str, Any] = {}
    async with httpx.AsyncClient(
        verify=_verify(spec),
        timeout=httpx.Timeout(timeout),
        follow_redirects=as_bool(spec, "follow_redirects", True),
        trust_env=False,
    ) as client:
        started = time.perf_counter()  # the request only: not the client's own setup
        try:
            async with asyncio.timeout(timeout):
                async with client.stream(spec.get("method", "GET"), url, headers=headers) as response:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk[: MAX_BODY - len(body)])
                        if len(body) >= MAX_BODY:
                            details["body_truncated"] = True
                            break
                    latency = elapsed_ms(started)
                    if parsed.scheme == "https":
                        facts = certificate_facts(response)
                        if facts:
                            details.update(facts)
        except TimeoutError:
            return down(f"no answer from {url} within {timeout:g} s", method=METHOD)
        except httpx.HTTPError as exc:
            return _transport_failure(exc, url, timeout)

    details["status_code"] = response.status_code
    details["http_version"] = response.http_version
    result = dict(latency_ms=latency, method=METHOD, details=details)
    code = response.status_code
    if statuses is not None and code not in statuses:
        expected = ", ".join(str(s) for s in sorted(statuses))
        return down(f"HTTP {code}, expected {expected}", **result)
    if statuses is None and not 200 <= code < 400:
        return down(f"HTTP {code} {response.reason_phrase}".strip(), **result)

    if keyword or json_path:
        text = body.decode(response.encoding or "utf-8", "replace")
        if keyword and str(keyword) not in text:
            return down(f"the keyword {keyword!r} is not in the body", **result)
        if json_path:
            try:
                document = json.loads(text)
            except ValueError as exc:
                return down(f"the body is not JSON: {exc}", **result)
            actual = jsonpath.find(document, json_path)
            expected_value = spec.get("json_value")
            shown = "missing" if actual is jsonpath.MISSING else json.dumps(actual, ensure_ascii=False)[:200]
            details["json_value"] = shown
            try:
                ok = jsonpath.compare(actual, json_op, expected_value)
            except jsonpath.PathError as exc:
                return down(f"{json_path}: {exc}", **result)
            if not ok:
                condition = json_op if json_op == "exists" else f"{json_op} {expected_value!r}"
                return down(f"{json_path} is {shown}, expected {condition}", **result)

    if max_latency is not None and latency > max_latency:
        return down(f"answered in {latency:.0f} ms, over the {max_latency:g} ms threshold", **result)
    days_left = details.get("cert_days_left")
    if cert_min_days is not None and days_left is not None and days_left < cert_min_days:
        return down(
            f"the TLS certificate expires in {days_left:.1f} days, under the {cert_min_days:g} days wanted",
            **result,
        )
    return up(f"HTTP {code}", **result)


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
