"""The lateness sweep: period and cron heartbeats go late past their due time and down past their grace,
each change claimed once however many sweeps run; a notice for down, and for up only after down."""

import datetime

import pytest
import time_machine

from yunwei.monitoring import services, tasks
from yunwei.monitoring.models import Heartbeat, HeartbeatNotice
from yunwei.notify.models import Delivery, Notice

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
SIZE = {"X-Backup-Size": "9000000"}


def _good_backup(client, heartbeat, clock):
    client.get(f"/ping/{heartbeat.uuid}/start")
    clock.shift(datetime.timedelta(minutes=5))
    client.get(f"/ping/{heartbeat.uuid}", headers=SIZE)


def _state(heartbeat) -> str:
    return Heartbeat.objects.get(pk=heartbeat.pk).state


def _notices(heartbeat) -> list[str]:
    return list(
        Notice.objects.filter(event_key__startswith=f"heartbeat:{heartbeat.pk}:")
        .order_by("id")
        .values_list("event_key", flat=True)
    )


def _reached(event_key) -> list[str]:
    return sorted(Delivery.objects.filter(event_key=event_key).values_list("recipient", flat=True))


def test_a_period_heartbeat_goes_late_then_down_and_its_team_is_told_once(client, backup_a, team_member_a):
    with time_machine.travel(START, tick=False) as clock:
        _good_backup(client, backup_a, clock)  # up at 01:05, due 01:05 next day, down after 02:05
        clock.shift(datetime.timedelta(hours=23, minutes=59))
        assert tasks.sweep_heartbeats() == 0
        assert _state(backup_a) == "up"
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.sweep_heartbeats() == 1
        assert _state(backup_a) == "late"
        assert _notices(backup_a) == []  # late is shown, nobody told yet
        clock.shift(datetime.timedelta(hours=1))
        assert tasks.sweep_heartbeats() == 1
        assert _state(backup_a) == "down"
        assert tasks.sweep_heartbeats() == 0  # a second sweep finds nothing to claim
    [key] = _notices(backup_a)
    assert ":down:" in key
    assert _reached(key) == ["a-ops@example.cn"]
    assert "甲数据库夜间备份" in Notice.objects.get(event_key=key).subject_zh


def test_two_sweeps_of_the_same_moment_claim_the_fall_once(client, backup_a, team_member_a):
    with time_machine.travel(START, tick=False) as clock:
        _good_backup(client, backup_a, clock)
        clock.shift(datetime.timedelta(days=2))
        now = datetime.datetime.now(datetime.UTC)
        down, _late = services.sweep_candidates(now)
        # Both workers read the candidate before either claims it.
        assert [services.mark_down(pk, now) for pk in down] == [True]
        assert [services.mark_down(pk, now) for pk in down] == [False]
    assert len(_notices(backup_a)) == 1
    assert Delivery.objects.filter(event_key__startswith=f"heartbeat:{backup_a.pk}:").count() == 1


def test_a_cron_heartbeat_is_due_at_its_next_time_in_its_zone(client, cron_a, staff_a):
    # 18:00 UTC on 1 March is 02:00 on 2 March in Shanghai: the job is due at 02:30 there (18:30 UTC).
    with time_machine.travel(datetime.datetime(2026, 3, 1, 18, 0, tzinfo=datetime.UTC), tick=False) as clock:
        client.get(f"/ping/{cron_a.uuid}")
        cron_a.refresh_from_db()
        assert cron_a.next_due_at == datetime.datetime(2026, 3, 1, 18, 30, tzinfo=datetime.UTC)
        clock.shift(datetime.timedelta(minutes=31))
        tasks.sweep_heartbeats()
        assert _state(cron_a) == "late"
        clock.shift(datetime.timedelta(minutes=30))  # past the thirty minutes' grace
        tasks.sweep_heartbeats()
        assert _state(cron_a) == "down"
    # No owner team: the unit's technical staff are told.
    [key] = _notices(cron_a)
    assert _reached(key) == ["a-staff@example.cn"]


def test_a_good_ping_after_down_is_told_as_up_and_an_up_without_down_is_not(
    client, backup_a, team_member_a, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True) as queued:
            _good_backup(client, backup_a, clock)  # new → up: no notice
            clock.shift(datetime.timedelta(hours=24, minutes=30))
            tasks.sweep_heartbeats()
            assert _state(backup_a) == "late"
            _good_backup(client, backup_a, clock)  # late → up: no notice (it never went down)
        assert _state(backup_a) == "up"
        assert (_notices(backup_a), queued) == ([], [])
        clock.shift(datetime.timedelta(days=3))
        tasks.sweep_heartbeats()
        with django_capture_on_commit_callbacks(execute=True):
            _good_backup(client, backup_a, clock)  # down → up: told
    keys = _notices(backup_a)
    assert [":down:" in keys[0], ":up:" in keys[1]] == [True, True]
    assert len(keys) == 2


def test_a_failure_ping_sets_down_at_once_and_tells_once(
    client, backup_a, team_member_a, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as clock, django_capture_on_commit_callbacks(execute=True):
        client.get(f"/ping/{backup_a.uuid}/fail")
        clock.shift(datetime.timedelta(minutes=1))
        client.get(f"/ping/{backup_a.uuid}/2")  # still down: no second notice
    assert _state(backup_a) == "down"
    assert len(_notices(backup_a)) == 1


def test_an_untrusted_backup_does_not_keep_the_heartbeat_up(client, backup_a, team_member_a):
    with time_machine.travel(START, tick=False) as clock:
        _good_backup(client, backup_a, clock)
        clock.shift(datetime.timedelta(hours=23))
        client.get(f"/ping/{backup_a.uuid}", headers={"X-Backup-Size": "10"})  # too small, no start
        clock.shift(datetime.timedelta(hours=3))
        tasks.sweep_heartbeats()
    assert _state(backup_a) == "down"


def test_a_ping_that_changes_the_state_while_the_broker_is_away_is_still_answered_and_kept(
    client, backup_a, django_capture_on_commit_callbacks, caplog
):
    """Redis away: the notice's task cannot be queued (logged), but the ping and the state it set are kept,
    not a 500 on a committed change."""
    from tests.notify.test_broker_away import broker_refusing

    with broker_refusing(), django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.get(f"/ping/{backup_a.uuid}/fail")
    assert response.status_code == 200 and len(queued) == 1
    assert _state(backup_a) == "down" and backup_a.runs.count() == 1
    assert "Error calling" in caplog.text


def test_a_change_whose_notice_task_was_lost_is_told_once_by_the_sweep_past_the_grace(
    client, backup_a, team_member_a, django_capture_on_commit_callbacks
):
    """Redis away for minutes (issue 27): the ping's change is recorded with it, and told on return."""
    from tests.notify.test_broker_away import broker_refusing

    with time_machine.travel(START, tick=False) as clock:
        with broker_refusing(), django_capture_on_commit_callbacks(execute=True):
            client.get(f"/ping/{backup_a.uuid}/fail")  # down; its notice's task is lost
        assert _state(backup_a) == "down" and _notices(backup_a) == []
        clock.shift(datetime.timedelta(minutes=1))
        assert tasks.tell_untold_heartbeat_changes() == 0
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.tell_untold_heartbeat_changes() == 1
        [key] = _notices(backup_a)
        assert key == f"heartbeat:{backup_a.pk}:down:20260302T010000"  # the ping's moment, as the task's
        deliveries = list(Delivery.objects.filter(event_key=key).values_list("pk", flat=True))
        assert _reached(key) == ["a-ops@example.cn"]
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.tell_untold_heartbeat_changes() == 0
        [notice] = HeartbeatNotice.objects.filter(heartbeat=backup_a)
        assert tasks.tell_heartbeat_state(notice.pk) is False  # the original, arriving late
    assert _notices(backup_a) == [key]
    assert list(Delivery.objects.filter(event_key=key).values_list("pk", flat=True)) == deliveries


def test_a_told_change_is_not_told_again_by_the_sweep(
    client, backup_a, team_member_a, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            client.get(f"/ping/{backup_a.uuid}/fail")
        [key] = _notices(backup_a)
        clock.shift(datetime.timedelta(minutes=5))
        assert tasks.tell_untold_heartbeat_changes() == 0
    assert HeartbeatNotice.objects.get(heartbeat=backup_a).told_at == START
    assert _notices(backup_a) == [key] and len(_reached(key)) == 1


def test_a_notice_task_queued_before_the_upgrade_is_still_told_once(client, backup_a, team_member_a):
    with time_machine.travel(START, tick=False):
        client.get(f"/ping/{backup_a.uuid}/fail")
    at = START.isoformat()
    assert tasks.tell_heartbeat_state(backup_a.pk, "down", at) is True
    assert tasks.tell_heartbeat_state(backup_a.pk, "down", at) is True  # a retry: the event key sends once
    [key] = _notices(backup_a)
    assert _reached(key) == ["a-ops@example.cn"]
