"""SNMP v2c/v3 probe with pysnmp: read one OID and compare it with a condition (an interface's
oper-status, a UPS's load or battery, a machine-room sensor).

An agent that sends nothing back within the timeout is ``down``: an SNMP agent silently drops a request
with a wrong community, so "no answer" cannot tell a dead agent from refused credentials, and the reason
says both. A v3 agent that answers with a USM report (unknown user, wrong digest) is ``down`` with the
authentication named.

Spec: ``host``, ``port`` (161), ``version`` (``2c`` or ``3``), ``oid`` (numeric, e.g.
``1.3.6.1.2.1.2.2.1.8.1`` for ifOperStatus of interface 1); v2c: ``community``; v3: ``user``,
``auth_key``, ``auth_protocol`` (MD5, SHA, SHA224, SHA256, SHA384, SHA512; SHA), ``priv_key``,
``priv_protocol`` (DES, 3DES, AES, AES192, AES256; AES); the condition ``op`` (eq, ne, lt, le, gt, ge,
contains, exists; ``exists`` when no ``value``) and ``value``; ``timeout``, ``retries`` (0).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from . import jsonpath
from .base import (
    ProbeResult,
    SpecError,
    as_int,
    as_port,
    down,
    elapsed_ms,
    guarded,
    required,
    socket_failure,
    up,
)

METHOD = "snmp"

_AUTH = {
    "MD5": "usmHMACMD5AuthProtocol",
    "SHA": "usmHMACSHAAuthProtocol",
    "SHA224": "usmHMAC128SHA224AuthProtocol",
    "SHA256": "usmHMAC192SHA256AuthProtocol",
    "SHA384": "usmHMAC256SHA384AuthProtocol",
    "SHA512": "usmHMAC384SHA512AuthProtocol",
}
_PRIV = {
    "DES": "usmDESPrivProtocol",
    "3DES": "usm3DESEDEPrivProtocol",
    "AES": "usmAesCfb128Protocol",
    "AES192": "usmAesCfb192Protocol",
    "AES256": "usmAesCfb256Protocol",
}
# USM reports a v3 agent sends back when it refuses the request's security parameters.
_USM_REFUSALS = (
    "unknownusername",
    "wrongdigest",
    "unsupportedseclevel",
    "decryptionerror",
    "unknownengineid",
)


def _credentials(spec: Mapping[str, Any], hlapi: Any) -> tuple[Any, str]:
    version = str(spec.get("version") or "2c").lower().lstrip("v")
    if version in ("2c", "2", "1"):
        community = str(required(spec, "community"))
        return hlapi.CommunityData(community, mpModel=0 if version == "1" else 1), f"v{version}"
    if version != "3":
        raise SpecError(f"'version' must be 2c or 3, not {spec.get('version')!r}")
    user = str(required(spec, "user"))
    auth_key = spec.get("auth_key") or None
    priv_key = spec.get("priv_key") or None
    try:
        auth = getattr(hlapi, _AUTH[str(spec.get("auth_protocol") or "SHA").upper()])
        priv = getattr(hlapi, _PRIV[str(spec.get("priv_protocol") or "AES").upper()])
    except KeyError as exc:
        raise SpecError(f"unknown SNMPv3 protocol {exc.args[0]!r}") from None
    if priv_key and not auth_key:
        raise SpecError("an SNMPv3 'priv_key' needs an 'auth_key'")
    return (
        hlapi.UsmUserData(
            user,
            authKey=auth_key,
            privKey=priv_key,
            authProtocol=auth if auth_key else hlapi.usmNoAuthProtocol,
            privProtocol=priv if priv_key else hlapi.usmNoPrivProtocol,
        ),
        "v3",
    )


def _plain(value: Any) -> Any:
    """A number for the numeric SNMP types (Integer, Gauge32, Counter, TimeTicks), text for the rest."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value.prettyPrint()


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    from pysnmp.hlapi.v3arch import asyncio as hlapi
    from pysnmp.proto import rfc1905

    host = str(required(spec, "host"))
    port = as_port(spec, default=161)
    oid = str(required(spec, "oid")).strip().lstrip(".")
    if not all(part.isdigit() for part in oid.split(".")):
        raise SpecError(f"'oid' must be numeric (e.g. 1.3.6.1.2.1.1.3.0), not {oid!r}")
    op = spec.get("op") or ("eq" if spec.get("value") not in (None, "") else "exists")
    if op not in jsonpath.OPERATORS:
        raise SpecError(f"'op' must be one of {', '.join(jsonpath.OPERATORS)}, not {op!r}")
    credentials, version = _credentials(spec, hlapi)
    target = f"{host}:{port}"

    engine = hlapi.SnmpEngine()
    started = time.perf_counter()
    try:
        try:
            transport = await hlapi.UdpTransportTarget.create(
                (host, port), timeout=timeout, retries=as_int(spec, "retries", 0)
            )
        except Exception as exc:  # pysnmp wraps resolution errors in its own PySnmpError
            failure = socket_failure(exc, host)
            if failure:
                return ProbeResult(failure.status, failure.reason, None, METHOD)
            return down(f"cannot address the SNMP agent {target}: {exc}", method=METHOD)
        error_indication, error_status, error_index, var_binds = await hlapi.get_cmd(
            engine, credentials, transport, hlapi.ContextData(), hlapi.ObjectType(hlapi.ObjectIdentity(oid))
        )
    finally:
        engine.close_dispatcher()
    latency = elapsed_ms(started)
    details: dict[str, Any] = {"agent": target, "version": version, "oid": oid}
    if error_indication:
        text = str(error_indication)
        # pysnmp's error indications are classes (RequestTimedOut, WrongDigest, UnknownUserName …).
        compact = (type(error_indication).__name__ + text).replace(" ", "").lower()
        if "timeout" in compact or "timedout" in compact:
            refused = "the community" if version != "v3" else "the credentials"
            return down(
                f"no SNMP answer from {target} within {timeout:g} s (the agent is down or {refused} "
                "was refused)",
                method=METHOD,
                details=details,
            )
        if any(refusal in compact for refusal in _USM_REFUSALS):
            return down(f"SNMPv3 authentication refused by {target}: {text}", method=METHOD, details=details)
        return down(f"SNMP error from {target}: {text}", method=METHOD, details=details)
    if error_status:
        return down(
            f"the SNMP agent {target} answered {error_status.prettyPrint()} at {error_index}",
            latency_ms=latency,
            method=METHOD,
            details=details,
        )
    _, raw = var_binds[0]
    if isinstance(raw, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView):
        actual: Any = jsonpath.MISSING
        details["value"] = None
        shown = f"missing ({raw.__class__.__name__})"
    else:
        actual = _plain(raw)
        details["value"] = actual
        shown = repr(actual)
    result = dict(latency_ms=latency, method=METHOD, details=details)
    expected = spec.get("value")
    try:
        ok = jsonpath.compare(actual, op, expected)
    except jsonpath.PathError as exc:
        return down(f"{oid}: {exc}", **result)
    if not ok:
        condition = op if op == "exists" else f"{op} {expected!r}"
        return down(f"{oid} is {shown}, expected {condition}", **result)
    return up(f"{oid} = {shown}", **result)


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
