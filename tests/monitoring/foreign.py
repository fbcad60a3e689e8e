"""The monitoring app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from yunwei.monitoring import services
from yunwei.monitoring.models import Check, Heartbeat

from ..conftest import make_item

CASES: dict[str, tuple[str, str]] = {
    "api:monitoring:heartbeat-list": ("list", "heartbeat"),
    "api:monitoring:heartbeat-detail": ("detail", "heartbeat"),
    "api:monitoring:heartbeatrun-list": ("list", "heartbeat_run"),
    "api:monitoring:heartbeatrun-detail": ("get", "heartbeat_run"),
    "api:monitoring:backup-log-list": ("list", "heartbeat_run"),
    "api:monitoring:check-list": ("list", "check"),
    "api:monitoring:check-detail": ("detail", "check"),
    "api:monitoring:check-run": ("post", "check"),
    "api:monitoring:check-results": ("get", "check"),
    "api:monitoring:check-series": ("get", "check"),
    "monitoring:heartbeat-list": ("page-list", "heartbeat"),
    "monitoring:heartbeat-detail": ("page", "heartbeat"),
    "monitoring:heartbeat-edit": ("page", "heartbeat"),
    "monitoring:heartbeat-delete": ("page-post", "heartbeat"),
    "monitoring:check-list": ("page-list", "check"),
    "monitoring:check-detail": ("page", "check"),
    "monitoring:check-edit": ("page", "check"),
    "monitoring:check-run": ("page-post", "check"),
    "monitoring:check-delete": ("page-post", "check"),
    # A backup-log row is named by its job: the foreign job's name must not show.
    "monitoring:backup-log": ("page-list", "heartbeat"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:monitoring:api-root": "index of links",
    "monitoring:heartbeat-create": "a form; only the units the user manages are among its choices",
    "monitoring:check-create": "a form; only the items of the units the user manages are among its choices",
    "ping:success": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:start": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:fail": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:log": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
    "ping:exit-code": "a job's ping by its secret UUID, no log-in by design (tests/monitoring/test_ping.py)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {
    "heartbeat": "monitoring:heartbeat-detail",
    "check": "monitoring:check-detail",
}


def build_records(unit, actor) -> dict:
    """A backup job of `unit` with one finished run this month, through the services."""
    heartbeat = services.create(
        Heartbeat, actor=actor, unit=unit, name="甲单位异地备份", kind="backup", period=86400, grace=3600
    )
    now = datetime.datetime.now(datetime.UTC)
    services.ping(heartbeat.uuid, "start", limit=100, now=now - datetime.timedelta(minutes=5))
    run = services.ping(heartbeat.uuid, "success", body=b"size=100", limit=100, now=now)
    heartbeat.refresh_from_db()
    item = make_item(unit, "application", "JIA-GW", actor=actor, name="甲单位网关")
    check = services.create(
        Check,
        actor=actor,
        item=item,
        name="甲单位网关检查",
        kind="tcp",
        spec={"host": "127.0.0.1", "port": 9},
    )
    return {"heartbeat": heartbeat, "heartbeat_run": run, "check": check}
