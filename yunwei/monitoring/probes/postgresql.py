"""PostgreSQL log-in probe with psycopg's async connection: log in and answer ``SELECT version()``.

Spec: ``host``, ``port`` (5432), ``user``, ``password``, ``database`` (postgres), ``timeout``; optional
``max_latency_ms``. See :mod:`.database` for what down means.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from .base import ProbeResult, as_port, down, elapsed_ms, guarded, required, socket_failure
from .database import first_line, judge_login

METHOD = "postgresql"

# SQLSTATEs the server sends when it refuses the log-in itself.
_AUTH = {"28000", "28P01"}
_NO_DATABASE = "3D000"


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    import psycopg

    host = str(required(spec, "host"))
    port = as_port(spec, default=5432)
    user = str(required(spec, "user"))
    target = f"{host}:{port}"
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            connection = await psycopg.AsyncConnection.connect(
                host=host,
                port=port,
                user=user,
                password=spec.get("password") or None,
                dbname=spec.get("database") or "postgres",
                connect_timeout=max(1, int(timeout)),
                application_name="yunwei-probe",
                autocommit=True,
            )
            try:
                cursor = await connection.execute("SELECT version()")
                version = (await cursor.fetchone())[0]
            finally:
                await connection.close()
    except TimeoutError:
        return down(f"PostgreSQL at {target} did not answer within {timeout:g} s", method=METHOD)
    except psycopg.Error as exc:
        state = getattr(exc, "sqlstate", None)
        message = first_line(getattr(getattr(exc, "diag", None), "message_primary", None) or exc)
        refused = "authentication failed" in message or ("role" in message and "does not exist" in message)
        if state in _AUTH or refused:
            return down(f"authentication refused by PostgreSQL at {target}: {message}", method=METHOD)
        if state == _NO_DATABASE or ("database" in message and "does not exist" in message):
            return down(f"PostgreSQL at {target}: {message}", method=METHOD)
        failure = socket_failure(exc, target)
        if failure:
            return ProbeResult(failure.status, failure.reason, None, METHOD)
        return down(f"PostgreSQL at {target}: {message}", method=METHOD)
    latency = elapsed_ms(started)
    return judge_login(spec, METHOD, latency, {"server_version": first_line(version)[:120]})


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
