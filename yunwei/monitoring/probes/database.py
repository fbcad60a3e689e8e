"""Database log-in probes: PostgreSQL with psycopg's async connection, MySQL/MariaDB with PyMySQL in a
thread. Up means the server accepted the log-in and answered ``SELECT 1``.

Spec: ``host``, ``port`` (5432 / 3306), ``user``, ``password``, ``database``, ``timeout``; optional
``max_latency_ms``. A refused log-in (wrong password, unknown role) and an unknown database are ``down``
with the server's own words, because that is exactly what the check is there to notice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from .base import (
    ProbeResult,
    Status,
    as_float,
    as_port,
    down,
    elapsed_ms,
    guarded,
    required,
    socket_failure,
    up,
)

POSTGRESQL = "postgresql"
MYSQL = "mysql"

# SQLSTATEs the server sends when it refuses the log-in itself.
_PG_AUTH = {"28000", "28P01"}
_PG_NO_DATABASE = "3D000"
# MySQL/MariaDB client error numbers.
_MY_AUTH = {1044, 1045, 1698}
_MY_NO_DATABASE = 1049
_MY_CANNOT_CONNECT = {2002, 2003, 2005, 2006, 2013}


def _first_line(text: str) -> str:
    line = " ".join(str(text).strip().splitlines()[:1]).strip()
    # libpq prefixes the server's words with where it tried to connect; the server's words are the reason.
    _, fatal, rest = line.partition("FATAL:")
    return " ".join(rest.split()) if fatal else line


def _judge(spec: Mapping[str, Any], method: str, latency: float, details: dict[str, Any]) -> ProbeResult:
    max_latency = as_float(spec, "max_latency_ms")
    if max_latency is not None and latency > max_latency:
        return down(
            f"logged in and answered in {latency:.0f} ms, over the {max_latency:g} ms threshold",
            latency_ms=latency,
            method=method,
            details=details,
        )
    return up(f"logged in as {spec.get('user')}", latency_ms=latency, method=method, details=details)


async def _postgresql(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
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
        return down(f"PostgreSQL at {target} did not answer within {timeout:g} s", method=POSTGRESQL)
    except psycopg.Error as exc:
        state = getattr(exc, "sqlstate", None)
        message = _first_line(getattr(getattr(exc, "diag", None), "message_primary", None) or exc)
        refused = "authentication failed" in message or ("role" in message and "does not exist" in message)
        if state in _PG_AUTH or refused:
            return down(f"authentication refused by PostgreSQL at {target}: {message}", method=POSTGRESQL)
        if state == _PG_NO_DATABASE or ("database" in message and "does not exist" in message):
            return down(f"PostgreSQL at {target}: {message}", method=POSTGRESQL)
        failure = socket_failure(exc, target)
        if failure:
            return ProbeResult(failure.status, failure.reason, None, POSTGRESQL)
        return down(f"PostgreSQL at {target}: {message}", method=POSTGRESQL)
    latency = elapsed_ms(started)
    return _judge(spec, POSTGRESQL, latency, {"server_version": _first_line(version)[:120]})


def _mysql_blocking(spec: Mapping[str, Any], host: str, port: int, user: str, timeout: float) -> str:
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


async def _mysql(spec: Mapping[str, Any], timeout: float) -> ProbeResult:
    import pymysql

    host = str(required(spec, "host"))
    port = as_port(spec, default=3306)
    user = str(required(spec, "user"))
    target = f"{host}:{port}"
    started = time.perf_counter()
    try:
        # PyMySQL blocks; its own connect/read timeouts bound the thread, the asyncio timeout bounds the wait.
        async with asyncio.timeout(timeout + 0.5):
            version = await asyncio.to_thread(_mysql_blocking, spec, host, port, user, timeout)
    except TimeoutError:
        return down(f"MySQL at {target} did not answer within {timeout:g} s", method=MYSQL)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        message = _first_line(exc.args[1] if len(exc.args) > 1 else exc)
        if code in _MY_AUTH:
            return down(f"authentication refused by MySQL at {target}: {message}", method=MYSQL)
        if code == _MY_NO_DATABASE:
            return down(f"MySQL at {target}: {message}", method=MYSQL)
        if code in _MY_CANNOT_CONNECT:
            failure = socket_failure(exc, target)
            reason = failure.reason if failure else f"cannot connect to MySQL at {target}: {message}"
            return ProbeResult(failure.status if failure else Status.DOWN, reason, None, MYSQL)
        return down(f"MySQL at {target}: {message}", method=MYSQL)
    latency = elapsed_ms(started)
    return _judge(spec, MYSQL, latency, {"server_version": str(version)[:120]})


async def run_postgresql(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_postgresql, spec, POSTGRESQL)


async def run_mysql(spec: Mapping[str, Any]) -> ProbeResult:
    return await guarded(_mysql, spec, MYSQL)
