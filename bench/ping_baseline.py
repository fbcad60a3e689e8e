"""The baseline of `bench/pings.py`: a lean WSGI app that stores a heartbeat ping with the least work.

`/ping/<uuid>` (GET, HEAD or POST) runs, in one transaction, one UPDATE of the heartbeat row (its last
ping, state and next deadlines, by UUID, returning its id) and one INSERT of a run row with the body
(cut at the product's limit), in raw SQL on the product's own database settings (`yunwei.settings`:
the same connection lifetime, SQLite pragmas and busy timeout). Connections are closed or kept between
requests as Django's request handler does. No URL resolver, no middleware, no request object. The
heartbeats pinged here have a fixed period and grace (`PERIOD`, `GRACE`), so the deadlines are computed
here rather than read. `/healthz` answers "ok".

Served by gunicorn with the same arguments as `yunwei web` (bench/pings.py starts it).
"""

import datetime
import os
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402

from yunwei.monitoring.models import Heartbeat, HeartbeatRun  # noqa: E402

PERIOD = datetime.timedelta(seconds=86400)
GRACE = datetime.timedelta(seconds=3600)
LIMIT = settings.PING_BODY_LIMIT

_q = connection.ops.quote_name
_UUID = Heartbeat._meta.get_field("uuid")
UPDATE = (
    f"UPDATE {_q(Heartbeat._meta.db_table)} SET last_ping_at = %s, last_start_at = NULL, state = 'up', "
    "next_due_at = %s, alert_after = %s WHERE uuid = %s RETURNING id"
)
RUN_COLUMNS = [
    "heartbeat_id",
    "kind",
    "received_at",
    "recorded_at",
    "succeeded",
    "body",
    "truncated",
    "remote_addr",
    "user_agent",
    "trusted",
    "distrust",
]
INSERT = (
    f"INSERT INTO {_q(HeartbeatRun._meta.db_table)} ({', '.join(RUN_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(RUN_COLUMNS))})"
)


def _answer(start_response, status: str, text: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
    return [text]


def _store(key: uuid.UUID, body: bytes, environ: dict) -> bool:
    now = datetime.datetime.now(datetime.UTC)
    when = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        key = _UUID.get_db_prep_value(key, connection)
        cursor.execute(UPDATE, [when(now), when(now + PERIOD), when(now + PERIOD + GRACE), key])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(
            INSERT,
            [
                row[0],
                "success",
                when(now),
                when(now),
                True,
                body[:LIMIT].decode("utf-8", errors="replace"),
                len(body) > LIMIT,
                environ.get("REMOTE_ADDR") or None,
                environ.get("HTTP_USER_AGENT", "")[:200],
                True,
                "",
            ],
        )
    return True


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        return _answer(start_response, "200 OK", b"ok")
    method = environ["REQUEST_METHOD"]
    if not path.startswith("/ping/") or method not in ("GET", "HEAD", "POST"):
        return _answer(start_response, "404 Not Found", b"not found")
    try:
        key = uuid.UUID(path.removeprefix("/ping/"))
    except ValueError:
        return _answer(start_response, "404 Not Found", b"not found")
    body = environ["wsgi.input"].read(LIMIT + 1) if method == "POST" else b""
    close_old_connections()  # what Django's request_started signal does
    try:
        stored = _store(key, body, environ)
    finally:
        close_old_connections()  # what Django's request_finished signal does
    if not stored:
        return _answer(start_response, "404 Not Found", b"not found")
    return _answer(start_response, "200 OK", b"OK")
