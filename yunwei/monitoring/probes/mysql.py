"""MySQL/MariaDB log-in probe with PyMySQL run in a thread: log in and answer ``SELECT VERSION()``.

Spec: ``host``, ``port`` (3306), ``user``, ``password``, ``database`` (none), ``timeout``; optional
``max_latency_ms``. See :mod:`.database` for what down means.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from .base import ProbeResult, Status, as_port, down, elapsed_ms, guarded, required, socket_failure
from .database import first_line, judge_login

METHOD = "mysql"

# MySQL/MariaDB error numbers: the server refusing the log-in, an unknown database, no connection.
_AUTH = {1044, 1045, 1698}
_NO_DATABASE = 1049
_CANNOT_CONNECT = {2002, 2003, 2005, 2006, 2013}


def _blocking(spec: Mapping[str, Any], host: str, port: int, user: str, timeout: float) -> str:
    import pymysql

    connection = pymysql.connect(
        host=host,
        port=port,
        user=user,
        password=spec.get("password") or "",
        database=spec.get("database") or None,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            return cursor.fetchone()[0]
    finally:
        connection.close()


async def _probe(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    import pymysql

    host = str(required(spec, "host"))
    port = as_port(spec, default=3306)
    user = str(required(spec, "user"))
    target = f"{host}:{port}"
    started = time.perf_counter()
    try:
        # PyMySQL blocks; its own connect/read timeouts bound the thread, the asyncio timeout bounds the wait.
        async with asyncio.timeout(timeout + 0.5):
            version = await asyncio.to_thread(_blocking, spec, host, port, user, timeout)
    except TimeoutError:
        return down(f"MySQL at {target} did not answer within {timeout:g} s", method=METHOD)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = first_line(exc.args[1] if len(exc.args) > 1 else exc)
        if code in _AUTH:
            return down(f"authentication refused by MySQL at {target}: {message}", method=METHOD)
        if code == _NO_DATABASE:
            return down(f"MySQL at {target}: {message}", method=METHOD)
        if code in _CANNOT_CONNECT:
            failure = socket_failure(exc, target)
            reason = failure.reason if failure else f"cannot connect to MySQL at {target}: {message}"
            return ProbeResult(failure.status if failure else Status.DOWN, reason, None, METHOD)
        return down(f"MySQL at {target}: {message}", method=METHOD)
    latency = elapsed_ms(started)
    return judge_login(spec, METHOD, latency, {"server_version": str(version)[:120]})


async def run(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_probe, spec, METHOD)
