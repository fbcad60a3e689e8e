"""The monitoring app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from yunwei.monitoring import services
from yunwei.monitoring.models import Heartbeat

CASES: dict[str, tuple[str, str]] = {
    "api:monitoring:heartbeat-list": ("list", "heartbeat"),
    "api:monitoring:heartbeat-detail": ("detail", "heartbeat"),
    "api:monitoring:heartbeatrun-list": ("list", "heartbeat_run"),
    "api:monitoring:heartbeatrun-detail": ("get", "heartbeat_run"),
    "api:monitoring:backup-log-list": ("list", "heartbeat_run"),
    "monitoring:heartbeat-list": ("page-list", "heartbeat"),
    "monitoring:heartbeat-detail": ("page", "heartbeat"),
    "monitoring:heartbeat-edit": ("page", "heartbeat"),
    "monitoring:heartbeat-delete": ("page-post", "heartbeat"),
    # A backup-log row is named by its job: the foreign job's name must not show.
    "monitoring:backup-log": ("page-list", "heartbeat"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:monitoring:api-root": "index of links",
    "monitoring:heartbeat-create": "a form; only the units the user manages are among its choices",
    "ping:success": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:start": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:fail": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:log": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:exit-code": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {"heartbeat": "monitoring:heartbeat-detail"}


def build_records(unit, actor) -> dict:
    """A backup job of `unit` with one finished run this month, through the services."""
    heartbeat = services.create(
        Heartbeat, actor=actor, unit=unit, name="甲单位异地备份", kind="backup", period=86400, grace=3600
    )
    now = datetime.datetime.now(datetime.UTC)
    services.ping(heartbeat.uuid, "start", limit=100, now=now - datetime.timedelta(minutes=5))
    run = services.ping(heartbeat.uuid, "success", body=b"size=100", limit=100, now=now)
    heartbeat.refresh_from_db()
    return {"heartbeat": heartbeat, "heartbeat_run": run}
