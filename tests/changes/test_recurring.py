"""Recurring maintenance windows (Art. 3, 18): occurrences in the window's own time zone, held signals
placed again when an occurrence ends, and the one write path refusing bad input by field."""

import datetime
import zoneinfo

import pytest
import time_machine

from yunwei.changes import recurring, schedule
from yunwei.changes.models import RecurringWindow
from yunwei.core import memo
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.incidents import signals
from yunwei.incidents.models import Incident
from yunwei.incidents.services import correlation

from ..conftest import make_item

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def declare(actor, unit, items, **fields):
    values = {
        "name": "每周补丁夜",
        "weekdays": [7],
        "start_time": datetime.time(2, 0),
        "duration_minutes": 120,
        "time_zone": "Asia/Shanghai",
        "starts_on": datetime.date(2026, 1, 1),
        **fields,
    }
    return recurring.create(RecurringWindow, actor=actor, unit=unit, items=items, **values)


def test_an_occurrence_is_laid_out_in_the_windows_own_time_zone(unit_admin_a, unit_a, server_a):
    window = declare(unit_admin_a, unit_a, [server_a])
    sunday = datetime.datetime(2026, 12, 6, 2, 30, tzinfo=SHANGHAI)  # a Sunday, 02:30 in Shanghai
    start, end = schedule.occurrence_at(window, sunday.astimezone(datetime.UTC))
    assert (start, end) == (sunday.replace(minute=0), sunday.replace(hour=4, minute=0))
    assert schedule.occurrence_at(window, sunday + datetime.timedelta(hours=2)) is None  # 04:30
    assert schedule.occurrence_at(window, sunday - datetime.timedelta(days=1)) is None  # Saturday
    assert schedule.active_recurring_for(server_a, sunday) == window


def test_an_occurrence_keeps_its_local_time_across_daylight_saving(unit_admin_a, unit_a, server_a):
    window = declare(unit_admin_a, unit_a, [server_a], time_zone="America/New_York", weekdays=[6])
    # 02:00 local on Saturdays before and after the end of daylight saving (1 November 2026).
    before = datetime.datetime(2026, 10, 31, 2, 30, tzinfo=NEW_YORK)
    after = datetime.datetime(2026, 11, 7, 2, 30, tzinfo=NEW_YORK)
    assert before.utcoffset() != after.utcoffset()
    assert schedule.occurrence_at(window, before.astimezone(datetime.UTC)) is not None
    assert schedule.occurrence_at(window, after.astimezone(datetime.UTC)) is not None
    assert schedule.occurrence_at(window, datetime.datetime(2026, 11, 7, 6, 30, tzinfo=NEW_YORK)) is None


def test_an_occurrence_running_past_midnight_and_the_last_day(unit_admin_a, unit_a, server_a):
    window = declare(
        unit_admin_a,
        unit_a,
        [server_a],
        weekdays=[5],
        start_time=datetime.time(23, 0),
        duration_minutes=180,
        ends_on=datetime.date(2026, 12, 4),
    )
    saturday_early = datetime.datetime(2026, 12, 5, 1, 0, tzinfo=SHANGHAI)  # Friday 23:00 + 2 h
    assert schedule.occurrence_at(window, saturday_early) is not None
    assert schedule.occurrence_at(window, saturday_early + datetime.timedelta(days=7)) is None  # past its end


def test_a_signal_inside_an_occurrence_is_held_and_placed_when_it_ends(unit_admin_a, unit_a, server_a):
    window = declare(unit_admin_a, unit_a, [server_a])
    at = datetime.datetime(2026, 12, 6, 2, 30, tzinfo=SHANGHAI)
    signal = signals.fire(source="check", key="srv", item=server_a, at=at)
    assert signal.held_by_window == window and signal.suppressed_by is None and signal.incident is None
    assert not Incident.objects.exists()

    assert correlation.recheck_windows(at + datetime.timedelta(minutes=60)) == 0  # still inside
    assert correlation.recheck_windows(at + datetime.timedelta(minutes=95)) == 1
    signal.refresh_from_db()
    assert signal.incident is not None and not signal.incident.suspected_changes.exists()


def test_a_drain_holds_a_signal_on_a_windowed_item_and_reads_the_windowed_items_once(
    unit_admin_a, unit_a, server_a, group_admin
):
    """Within a unit of work (a drain's batch) the items with windows are read once; a signal on one is
    still held, and one on an item with no window is placed."""
    window = declare(unit_admin_a, unit_a, [server_a])
    plain = make_item(unit_a, "server", "SRV-PLAIN", actor=group_admin, name="无窗口服务器")
    at = datetime.datetime(2026, 12, 6, 2, 30, tzinfo=SHANGHAI)
    with time_machine.travel(at + datetime.timedelta(minutes=1)), memo.scope():
        held = signals.fire(source="check", key="srv", item=server_a, at=at)
        placed = signals.fire(source="check", key="plain", item=plain, at=at)
    assert held.held_by_window == window and held.incident is None
    assert placed.held_by_window is None and placed.incident is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [0]}, "weekdays"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"ends_on": datetime.date(2025, 12, 31)}, "ends_on"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    unit_admin_a, unit_a, server_a, fields, field
):
    with pytest.raises(DomainError) as refused:
        declare(unit_admin_a, unit_a, [server_a], **fields)
    assert refused.value.field == field
    assert not RecurringWindow.objects.exists()


def test_items_of_another_unit_and_admins_of_another_unit_are_refused(
    unit_admin_a, unit_admin_b, unit_a, server_a, server_b
):
    with pytest.raises(DomainError) as refused:
        declare(unit_admin_a, unit_a, [server_b])
    assert refused.value.field == "items"
    with pytest.raises(PermissionDenied):
        declare(unit_admin_b, unit_a, [server_a])
    assert not RecurringWindow.objects.exists()


def test_a_unit_admin_declares_one_on_the_page(client, unit_admin_a, unit_a, server_a):
    client.force_login(unit_admin_a)
    response = client.post(
        "/changes/recurring-windows/",
        {
            "unit": unit_a.pk,
            "name": "UPS 月度测试",
            "items": [server_a.pk],
            "weekdays": ["3"],
            "start_time": "22:00",
            "duration_minutes": "60",
            "time_zone": "Asia/Shanghai",
            "starts_on": "2026-12-01",
        },
    )
    assert response.status_code == 302
    window = RecurringWindow.objects.get()
    assert (window.weekdays, window.unit, list(window.items.all())) == ([3], unit_a, [server_a])
    page = client.get("/changes/recurring-windows/")
    assert "UPS 月度测试" in page.content.decode()

    refused = client.post(
        "/changes/recurring-windows/",
        {
            "unit": unit_a.pk,
            "name": "x",
            "items": [server_a.pk],
            "weekdays": ["3"],
            "start_time": "22:00",
            "duration_minutes": "60",
            "time_zone": "Nowhere/Land",
            "starts_on": "2026-12-01",
        },
    )
    assert refused.status_code == 200 and list(refused.context["form"].errors) == ["time_zone"]
    assert RecurringWindow.objects.count() == 1


def test_the_list_shows_the_open_occurrence_and_the_next_ones_in_the_windows_own_zone(
    client, unit_admin_a, unit_a, server_a
):
    declare(
        unit_admin_a,
        unit_a,
        [server_a],
        name="UPS 周测",
        weekdays=[3],
        start_time=datetime.time(22, 0),
        duration_minutes=180,
        time_zone="America/New_York",
    )
    # Wednesday 9 December 2026, 23:30 in New York: the occurrence that began at 22:00 is open and runs
    # past midnight; the page shows New York's clock, not the reader's (Shanghai).
    now = datetime.datetime(2026, 12, 9, 23, 30, tzinfo=NEW_YORK)
    with time_machine.travel(now, tick=False):
        client.force_login(unit_admin_a)  # in the travelled time: a session idle for days is over
        page = client.get("/changes/recurring-windows/")
    assert page.status_code == 200
    [row] = page.context["rows"]
    assert row.upcoming == [
        {"start": "2026-12-09 22:00", "end": "2026-12-10 01:00", "open": True},
        {"start": "2026-12-16 22:00", "end": "2026-12-17 01:00", "open": False},
        {"start": "2026-12-23 22:00", "end": "2026-12-24 01:00", "open": False},
    ]
    html = page.content.decode()
    assert 'data-testid="recurring-open"' in html and "2026-12-16 22:00" in html
