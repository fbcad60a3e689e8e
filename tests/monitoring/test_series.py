"""A check's chart data (`GET /api/monitoring/checks/{id}/series/?range=…`): the last 24 hours from the raw
results by minute, 7 and 30 days from the hour roll-ups, 90 days from the day roll-ups; a bounded number of
points whatever the interval; a bad range a 400 naming `range`; another unit's check a 404."""

import datetime

import pytest
import time_machine

from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckResult, CheckRollup
from yunwei.monitoring.services import rollups

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 6, 30, tzinfo=datetime.UTC)


@pytest.fixture
def check_a(group_admin, db_server_a) -> Check:
    return services.create(
        Check,
        actor=group_admin,
        item=db_server_a,
        name="甲门户",
        kind="http",
        spec={"url": "http://127.0.0.1:9/"},
        interval=10,
        retry_interval=10,
    )


def _url(check, range_name=None):
    url = f"/api/monitoring/checks/{check.pk}/series/"
    return url if range_name is None else f"{url}?range={range_name}"


def _results(check, start, count, status="up", every=10, latency=20.0):
    CheckResult.objects.bulk_create(
        CheckResult(
            active_check=check,
            at=start + datetime.timedelta(seconds=every * index),
            status=status,
            latency_ms=latency if status == "up" else None,
        )
        for index in range(count)
    )


def test_24_hours_are_drawn_by_minute_from_the_raw_results_at_most_1440_points(
    api_client_for, unit_user_a, check_a
):
    # A whole day at a 10 s interval (8,640 results): up, then ten minutes down, then up again.
    start = NOW - datetime.timedelta(hours=24)
    _results(check_a, start, 8640 - 360 - 60)
    _results(check_a, NOW - datetime.timedelta(minutes=70), 60, status="down")
    _results(check_a, NOW - datetime.timedelta(minutes=60), 360, latency=40.0)
    with time_machine.travel(NOW, tick=False):
        data = api_client_for(unit_user_a).get(_url(check_a, "24h")).json()
    assert (data["range"], data["resolution"]) == ("24h", "minute")
    assert len(data["latency"]) == 1440
    states = [state for _start, _end, state in data["states"]]
    assert "down" in states and states[-1] in ("up", "none")
    [down] = [segment for segment in data["states"] if segment[2] == "down"]
    assert down[1] - down[0] == 10 * 60 * 1000  # ten minutes
    assert data["seconds"]["down"] == 600
    assert data["availability"] == pytest.approx(
        100 * (86400 - 600 - data["seconds"]["no_data"]) / (86400 - data["seconds"]["no_data"]), abs=0.01
    )
    assert data["latency"][-2][1] == 40.0


def test_7_and_30_days_come_from_the_hour_roll_ups_and_90_days_from_the_days(
    api_client_for, unit_user_a, check_a
):
    hour = rollups.hour_of(NOW) - datetime.timedelta(hours=5)
    CheckRollup.objects.create(
        active_check=check_a,
        period="hour",
        start=hour,
        up_seconds=3000,
        down_seconds=600,
        latency_count=300,
        latency_sum_ms=6000,
    )
    day = rollups.day_of(NOW) - datetime.timedelta(days=40)
    CheckRollup.objects.create(active_check=check_a, period="day", start=day, up_seconds=86400)
    http = api_client_for(unit_user_a)
    with time_machine.travel(NOW, tick=False):
        week, month, quarter = (http.get(_url(check_a, name)).json() for name in ("7d", "30d", "90d"))
    assert (week["resolution"], len(week["latency"])) == ("hour", 7 * 24)
    assert (month["resolution"], len(month["latency"])) == ("hour", 30 * 24)
    assert (quarter["resolution"], len(quarter["latency"])) == ("day", 90)
    for data in (week, month):
        assert [segment[2] for segment in data["states"]] == ["none", "partial", "none"]
        assert data["availability"] == pytest.approx(100 * 3000 / 3600, abs=0.001)
        assert [t for t, value in data["latency"] if value is not None] == [int(hour.timestamp() * 1000)]
        assert data["seconds"]["down"] == 600
    assert quarter["availability"] == 100.0
    assert "up" in [segment[2] for segment in quarter["states"]]


def test_a_bad_range_is_refused_naming_range(api_client_for, unit_user_a, check_a):
    response = api_client_for(unit_user_a).get(_url(check_a, "1y"))
    assert response.status_code == 400
    assert response.json()["field"] == "range"
    assert "24h, 7d, 30d, 90d" in response.json()["detail"]


def test_no_range_is_the_last_24_hours(api_client_for, unit_user_a, check_a):
    assert api_client_for(unit_user_a).get(_url(check_a)).json()["range"] == "24h"


def test_another_units_check_is_not_found(api_client_for, unit_admin_b, check_a):
    response = api_client_for(unit_admin_b).get(_url(check_a, "24h"))
    assert response.status_code == 404
