"""The baseline of `bench/ingest.py`: a lean WSGI app that stores an Alertmanager webhook with the least work.

`POST /intake/alertmanager/<token>/` reads the integration by the token's hash (one SELECT), parses the
JSON, and in one transaction INSERTs the raw payload row and, per alert, one INSERT … ON CONFLICT of the
alert by (integration, fingerprint) that, on a repeat, raises its count and last-seen time — in raw SQL
on the product's own database settings (`yunwei.settings`). No token check beyond the lookup, no
signature, no mapping rules, no state history, no URL resolver, no middleware, no request object.
Connections are closed or kept between requests as Django's request handler does. `/healthz` answers "ok".

Served by gunicorn with the same arguments as `yunwei web` (bench/ingest.py starts it).
"""

import datetime
import hashlib
import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection, transaction  # noqa: E402

from yunwei.alerts.models import Alert, Integration, Payload  # noqa: E402

LIMIT = settings.ALERT_PAYLOAD_LIMIT
_q = connection.ops.quote_name
JSON = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
FIND = f"SELECT id, unit_id FROM {_q(Integration._meta.db_table)} WHERE token_hash = %s"
PAYLOAD = (
    f"INSERT INTO {_q(Payload._meta.db_table)} (integration_id, received_at, body, content_type, "
    f"remote_addr, alert_count, outcome) VALUES (%s, %s, %s, %s, %s, %s, {JSON})"
)
ALERT = (
    f"INSERT INTO {_q(Alert._meta.db_table)} (integration_id, unit_id, fingerprint, name, severity, labels, "
    "annotations, status, starts_at, first_seen_at, last_seen_at, repeat_count, match, match_label, "
    f"match_value, source_url) VALUES (%s, %s, %s, %s, '', {JSON}, {JSON}, %s, %s, %s, %s, 0, 'unmatched', "
    "'', '', '') ON CONFLICT (integration_id, fingerprint) DO UPDATE SET "
    "last_seen_at = excluded.last_seen_at, repeat_count = " + _q(Alert._meta.db_table) + ".repeat_count + 1"
)


def _answer(start_response, status: str, text: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(text)))])
    return [text]


def _store(token: str, body: bytes, environ: dict) -> int | None:
    now = datetime.datetime.now(datetime.UTC)
    when = connection.ops.adapt_datetimefield_value(now)
    data = json.loads(body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FIND, [hashlib.sha256(token.encode()).hexdigest()])
        row = cursor.fetchone()
        if row is None:
            return None
        integration_id, unit_id = row
        alerts = data["alerts"]
        cursor.execute(
            PAYLOAD,
            [
                integration_id,
                when,
                body.decode(),
                "application/json",
                environ.get("REMOTE_ADDR"),
                len(alerts),
                "[]",
            ],
        )
        # In the fingerprint's order, as the product does: two batches never lock each other in a cycle.
        for alert in sorted(alerts, key=lambda alert: alert["fingerprint"]):
            labels = alert["labels"]
            cursor.execute(
                ALERT,
                [
                    integration_id,
                    unit_id,
                    alert["fingerprint"],
                    labels.get("alertname", ""),
                    json.dumps(labels),
                    json.dumps(alert.get("annotations", {})),
                    alert["status"],
                    when,
                    when,
                    when,
                ],
            )
    return len(alerts)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        return _answer(start_response, "200 OK", b"ok")
    if environ["REQUEST_METHOD"] != "POST" or not path.startswith("/intake/alertmanager/"):
        return _answer(start_response, "404 Not Found", b"{}")
    token = path.removeprefix("/intake/alertmanager/").strip("/")
    body = environ["wsgi.input"].read(LIMIT + 1)
    close_old_connections()  # what Django's request_started signal does
    try:
        stored = _store(token, body, environ)
    finally:
        close_old_connections()  # what Django's request_finished signal does
    if stored is None:
        return _answer(start_response, "401 Unauthorized", b"{}")
    return _answer(start_response, "200 OK", json.dumps({"alerts": stored}).encode())
