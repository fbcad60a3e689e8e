"""Roll-ups and retention: availability from covered seconds (a retry run does not weigh a failure
twice, unknown, maintenance and uncovered time left out), the hours summed into the site's day, and the
prune keeping 7 days of raw results and 2 years of roll-ups."""

import datetime

import pytest

from yunwei.monitoring import services
from yunwei.monitoring.models import Check, CheckResult, CheckRollup
from yunwei.monitoring.services import rollups

from .targets import free_port

HOUR_START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)  # 09:00 in Shanghai
S = datetime.timedelta(seconds=1)


def at(seconds: float) -> datetime.datetime:
    return HOUR_START + S * seconds


def test_each_result_covers_the_time_to_the_next_run_at_most_one_interval():
    # Up at 0 and 60, down at 120 with retries every 20 s until 180, then nothing until the hour's end.
    results = [(at(0), "up", 5.0), (at(60), "up", 7.0), (at(120), "down", None)]
    results += [(at(140), "down", None), (at(160), "down", None), (at(180), "up", 6.0)]
    figures = rollups.summarise(results, interval=60, start=HOUR_START, end=at(3600))
    assert figures["up_seconds"] == 180  # 0–120 and 180–240
    assert figures["down_seconds"] == 60  # 120–180: three runs, one minute
    assert figures["no_data_seconds"] == 3600 - 240
    assert figures["runs"] == 6
    assert (figures["latency_count"], figures["latency_sum_ms"], figures["latency_max_ms"]) == (3, 18.0, 7.0)
    rollup = CheckRollup(**{k: v for k, v in figures.items()})
    assert rollup.availability == pytest.approx(75.0)  # 180 / (180 + 60)


def test_unknown_and_maintenance_are_left_out_and_the_result_before_the_hour_counts_into_it():
    results = [(at(-30), "down", None), (at(30), "unknown", None), (at(90), "down", None)]
    figures = rollups.summarise(
        results, interval=60, start=HOUR_START, end=at(3600), maintenance=[(at(100), at(130))]
    )
    assert figures["down_seconds"] == 30 + 30  # 0–30 from the run before the hour, 90–100 and 130–150
    assert figures["unknown_seconds"] == 60
    assert figures["maintenance_seconds"] == 30
    assert figures["runs"] == 2  # the run before the hour is not this hour's
    rollup = CheckRollup(**figures)
    assert rollup.availability == 0.0
    assert (
        CheckRollup(**rollups.summarise([], interval=60, start=HOUR_START, end=at(3600))).availability is None
    )


@pytest.fixture
def check_a(group_admin, db_server_a) -> Check:
    return services.create(
        Check,
        actor=group_admin,
        item=db_server_a,
        name="甲数据库端口",
        kind="tcp",
        spec={"host": "127.0.0.1", "port": free_port()},
    )


def _result(check, seconds, status="up", latency=3.0):
    return CheckResult.objects.create(
        active_check=check, at=at(seconds), status=status, latency_ms=latency if status == "up" else None
    )


@pytest.mark.django_db
def test_the_hours_are_written_once_each_and_summed_into_the_site_day(check_a):
    for n in range(60):  # one run a minute, the 31st down
        _result(check_a, n * 60, "down" if n == 30 else "up")
    for n in range(60):
        _result(check_a, 3600 + n * 60)
    assert rollups.roll_up_hour(HOUR_START) == 1
    assert rollups.roll_up_hour(HOUR_START) == 1  # rewriting is harmless: still one row
    rollups.roll_up_hour(at(3600))
    hour = CheckRollup.objects.get(active_check=check_a, period="hour", start=HOUR_START)
    assert (hour.up_seconds, hour.down_seconds, hour.runs) == (3540, 60, 60)

    day_start = rollups.day_of(HOUR_START)
    assert day_start.hour == 0 and day_start.utcoffset() == datetime.timedelta(hours=8)
    rollups.roll_up_day(day_start)
    day = CheckRollup.objects.get(active_check=check_a, period="day", start=day_start)
    assert (day.up_seconds, day.down_seconds, day.runs) == (7140, 60, 120)
    assert day.no_data_seconds == 86400 - 7200
    assert day.availability == pytest.approx(100 * 7140 / 7200)


@pytest.mark.django_db
def test_roll_up_covers_the_last_closed_hours(check_a):
    _result(check_a, 10)
    assert rollups.roll_up(now=at(3600 + 5)) >= 2  # the hour and its day
    assert CheckRollup.objects.filter(active_check=check_a, period="hour", start=HOUR_START).exists()
    assert CheckRollup.objects.filter(active_check=check_a, period="day").count() == 1


@pytest.mark.django_db
def test_prune_keeps_seven_days_of_results_and_two_years_of_rollups(check_a, monkeypatch):
    monkeypatch.setattr(rollups, "PRUNE_BATCH", 2)  # several batches
    now = HOUR_START
    for days in (1, 6, 8, 9, 10):
        CheckResult.objects.create(active_check=check_a, at=now - datetime.timedelta(days=days), status="up")
    for days in (10, 700, 800):
        CheckRollup.objects.create(
            active_check=check_a, period="day", start=now - datetime.timedelta(days=days)
        )
    assert rollups.prune(now=now) == 3 + 1
    kept = sorted((now - moment).days for moment in CheckResult.objects.values_list("at", flat=True))
    assert kept == [1, 6]
    assert sorted((now - s).days for s in CheckRollup.objects.values_list("start", flat=True)) == [10, 700]
