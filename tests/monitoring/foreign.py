"""The monitoring app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from django.utils import timezone

from yunwei.cmdb.models import ItemType
from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckRollup, CheckTemplate, Heartbeat, Indicator
from yunwei.monitoring.services import indicators

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
    "api:monitoring:check-events": ("get", "check"),
    "api:monitoring:checktemplate-list": ("list", "check_template"),
    "api:monitoring:checktemplate-detail": ("detail", "check_template"),
    "api:monitoring:checktemplate-apply": ("post", "check_template"),
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
    "monitoring:checktemplate-list": ("page-list", "check_template"),
    "monitoring:checktemplate-detail": ("page", "check_template"),
    "monitoring:checktemplate-edit": ("page", "check_template"),
    "monitoring:checktemplate-delete": ("page-post", "check_template"),
    "monitoring:checktemplate-apply": ("page-post", "check_template"),
    # A backup-log row is named by its job: the foreign job's name must not show.
    "monitoring:backup-log": ("page-list", "heartbeat"),
    "api:monitoring:indicator-list": ("list", "indicator"),
    "api:monitoring:indicator-detail": ("detail", "indicator"),
    "api:monitoring:indicator-figures": ("get", "indicator"),
    "api:monitoring:indicator-breach-list": ("list", "indicator_breach"),
    "api:monitoring:indicator-breach-detail": ("get", "indicator_breach"),
    "monitoring:indicator-list": ("page-list", "indicator"),
    "monitoring:indicator-detail": ("page", "indicator"),
    "monitoring:indicator-edit": ("page", "indicator"),
    "monitoring:indicator-delete": ("page-post", "indicator"),
    # A breach row is named by its indicator: the foreign indicator's name must not show.
    "monitoring:indicator-breaches": ("page-list", "indicator"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:monitoring:api-root": "index of links",
    "monitoring:heartbeat-create": "a form; only the units the user manages are among its choices",
    "monitoring:check-create": "a form; only the items of the units the user manages are among its choices",
    "monitoring:checktemplate-create": "a form; only the units whose templates one manages are its choices",
    "monitoring:indicator-create": "a form; only items and checks of the units the user manages are offered",
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
    "check_template": "monitoring:checktemplate-detail",
    "indicator": "monitoring:indicator-detail",
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
    template = services.create(
        CheckTemplate,
        actor=actor,
        unit=unit,
        item_type=ItemType.objects.get(code="application"),
        name="甲单位应用端口模板",
        kind="tcp",
        spec={"host": "{host}", "port": 443},
    )
    indicator = services.create(
        Indicator, actor=actor, item=item, name="甲单位网关可用性", availability_target="99.9"
    )
    # Yesterday down an hour (machine data, as the roll-up task writes it): a breach of the target.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    CheckRollup.objects.create(
        active_check=check,
        period="day",
        start=indicators.day_start(yesterday),
        up_seconds=23 * 3600,
        down_seconds=3600,
    )
    [breach] = indicators.evaluate_day(yesterday)
    return {
        "heartbeat": heartbeat,
        "heartbeat_run": run,
        "check": check,
        "check_template": template,
        "indicator": indicator,
        "indicator_breach": breach,
    }
