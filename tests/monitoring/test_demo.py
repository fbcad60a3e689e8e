"""The demo heartbeats, loaded after the organisation and the inventory as `yunwei demo` loads them."""

import datetime
import time

import pytest
import time_machine

from yunwei.cmdb import demo as cmdb_demo
from yunwei.monitoring import demo as monitoring_demo
from yunwei.monitoring.models import Heartbeat, HeartbeatRun
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit

pytestmark = pytest.mark.django_db


# 14:00 in Shanghai: away from the cron jobs' own times (01:00, 03:30), when a job is due that minute.
LOADED_AT = datetime.datetime(2026, 3, 10, 6, 0, tzinfo=datetime.UTC)


def test_demo_heartbeats_have_months_of_runs_untrusted_backups_and_one_late():
    org_demo.load()
    cmdb_demo.load()
    started = time.monotonic()
    with time_machine.travel(LOADED_AT):
        monitoring_demo.load()
    assert time.monotonic() - started < 20  # runs in bulk, not one ping at a time
    units = Unit.objects.filter(kind__in=["group", "unit"])
    assert set(Heartbeat.objects.values_list("unit_id", flat=True)) == set(units.values_list("pk", flat=True))
    assert set(Heartbeat.objects.values_list("kind", flat=True)) == {"backup", "cron"}
    assert Heartbeat.objects.filter(state="late").count() == 1
    assert Heartbeat.objects.filter(state="up").count() == Heartbeat.objects.count() - 1
    distrust = set(HeartbeatRun.objects.filter(trusted=False).values_list("distrust", flat=True))
    assert {"too_small", "too_fast"} <= distrust
    first = HeartbeatRun.objects.order_by("received_at").first()
    last = HeartbeatRun.objects.order_by("received_at").last()
    assert (last.received_at - first.received_at).days >= 90
    assert first.recorded_at > first.received_at  # loaded later than it happened
    assert last.received_at < LOADED_AT + datetime.timedelta(minutes=1)
