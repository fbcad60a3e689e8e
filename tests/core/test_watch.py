"""The watch over the background machinery: the scheduler's own heartbeat, the workers', and lateness."""

import datetime

import pytest
import time_machine
from celery.beat import ScheduleEntry
from django.core.cache import cache

from yunwei.celery import app as celery_app
from yunwei.core import watch
from yunwei.core.beat import HEARTBEAT_TASK, Scheduler, record_tick
from yunwei.core.models import SchedulerHeartbeat, WatchAlarm, WorkerHeartbeat
from yunwei.core.tasks import HEARTBEAT_RETENTION, record_worker_heartbeat
from yunwei.notify import tasks as notify_tasks

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _no_cached_state():
    cache.delete(watch.CACHE_KEY)
    yield
    cache.delete(watch.CACHE_KEY)


def _at(moment, fn, *args):
    with time_machine.travel(moment, tick=False):
        return fn(*args)


def _state_at(moment):
    with time_machine.travel(moment, tick=False):
        return watch.state()


def test_the_beat_scheduler_writes_its_tick_and_a_worker_writes_its_heartbeat(tmp_path):
    scheduler = Scheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    entry = ScheduleEntry(name="worker-heartbeat", task=HEARTBEAT_TASK, schedule=60.0, app=celery_app)

    with time_machine.travel(T0, tick=False):
        scheduler.apply_entry(entry)  # tasks run eagerly in tests: the "worker" runs it at once

    tick = SchedulerHeartbeat.objects.get()
    assert tick.at == T0 and tick.pid
    assert WorkerHeartbeat.objects.get().at == T0


def test_other_scheduled_entries_leave_no_tick(tmp_path):
    scheduler = Scheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    entry = ScheduleEntry(
        name="notify-sweep-deliveries",
        task=notify_tasks.sweep_deliveries.name,
        schedule=60.0,
        app=celery_app,
    )
    scheduler.apply_entry(entry)
    assert not SchedulerHeartbeat.objects.exists()


def test_the_scheduler_is_late_after_two_ticks_and_the_worker_is_told_apart():
    _at(T0, record_tick)
    _at(T0, record_worker_heartbeat)
    _at(T0 + datetime.timedelta(minutes=3), record_worker_heartbeat, "on-demand")  # a worker still runs

    fresh = _state_at(T0 + 2 * watch.TICK)
    assert not fresh["scheduler"].late and not fresh["worker"].late

    later = _state_at(T0 + 2 * watch.TICK + datetime.timedelta(seconds=1))
    assert later["scheduler"].late
    assert later["scheduler"].last_seen == T0
    assert not later["worker"].late
    assert [part.part for part in watch.late_parts(later)] == ["scheduler"]


def test_no_worker_within_two_ticks_while_the_scheduler_ticks():
    _at(T0, record_worker_heartbeat)
    _at(T0 + datetime.timedelta(minutes=3), record_tick)

    state = _state_at(T0 + datetime.timedelta(minutes=3, seconds=30))
    assert state["worker"].late and state["worker"].last_seen == T0
    assert not state["scheduler"].late


def test_a_part_that_never_reported_is_not_judged():
    state = _state_at(T0)
    assert state["scheduler"].last_seen is None and not state["scheduler"].late
    assert watch.late_parts(state) == []


def test_the_state_is_one_query_and_cached(django_assert_num_queries):
    _at(T0, record_tick)
    with django_assert_num_queries(1):
        watch.cached_state()
    with django_assert_num_queries(0):
        watch.cached_state()


def test_an_outage_and_its_recovery_are_claimed_once():
    assert watch.claim_outage("worker", T0) is True
    assert watch.claim_outage("worker", T0) is False
    assert WatchAlarm.objects.get(part="worker").down_since == T0

    assert watch.claim_recovery("worker", T0) is True
    assert watch.claim_recovery("worker", T0) is False
    assert WatchAlarm.objects.get(part="worker").down_since is None


def test_the_heartbeat_task_prunes_heartbeats_past_retention():
    old = T0 - HEARTBEAT_RETENTION - datetime.timedelta(minutes=1)
    _at(old, record_tick)
    _at(old, record_worker_heartbeat, "old")
    _at(T0 - datetime.timedelta(hours=1), record_tick)

    _at(T0, record_worker_heartbeat, "new")

    assert list(WorkerHeartbeat.objects.values_list("token", flat=True)) == ["new"]
    assert list(SchedulerHeartbeat.objects.values_list("at", flat=True)) == [T0 - datetime.timedelta(hours=1)]
