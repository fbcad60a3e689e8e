"""The working calendar: weekly hours with the lunch break, holidays and make-up working days (调休), the
CSV of the State Council's notice, and calendar edits that move open requests' due times."""

import datetime

import pytest
import time_machine

from yunwei.core import calendar
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.models import CalendarDay
from yunwei.servicedesk import services, timers

from .conftest import MONDAY, ZONE, local

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime.datetime(*args, tzinfo=ZONE)


def test_the_shipped_calendar_knows_national_day_2025_and_its_make_up_saturday():
    cal = calendar.calendar_for(None)
    for day in range(1, 9):
        assert not cal.is_working_day(datetime.date(2025, 10, day)), day
    assert cal.is_working_day(datetime.date(2025, 9, 28))  # a Sunday worked
    assert cal.is_working_day(datetime.date(2025, 10, 11))  # the make-up Saturday
    assert not cal.is_working_day(datetime.date(2025, 10, 12))  # a plain Sunday
    assert cal.is_working_day(datetime.date(2026, 10, 10)) and not cal.is_working_day(
        datetime.date(2026, 10, 7)
    )
    assert cal.names[datetime.date(2026, 2, 15)] == "春节"


def test_working_time_crosses_national_day_onto_the_make_up_saturday():
    cal = calendar.calendar_for(None)
    # Tuesday 30 Sep 2025, 16:30: one working hour is left that day; Oct 1–8 are off; Thu 9 and Fri 10 are
    # worked (7.5 h each); two more days reach Saturday 11 Oct, a working day.
    start = at(2025, 9, 30, 16, 30)
    due = cal.add(start, 60 + 2 * 450 + 60)
    assert local(due) == at(2025, 10, 11, 9, 30)
    assert cal.working_minutes(start, due) == pytest.approx(60 + 2 * 450 + 60)


def test_the_lunch_break_and_the_evening_do_not_count():
    cal = calendar.calendar_for(None)
    assert cal.working_minutes(at(2026, 11, 2, 11, 0), at(2026, 11, 2, 14, 30)) == 60 + 60
    assert local(cal.add(at(2026, 11, 2, 11, 30), 60)) == at(2026, 11, 2, 14, 0)
    # Made on Friday evening: the clock starts on Monday at 08:30.
    assert local(cal.clock_start(at(2026, 11, 6, 19, 0))) == at(2026, 11, 9, 8, 30)


def test_a_request_made_outside_working_hours_says_when_its_clock_starts(unit_user_a, make_request):
    request = make_request(unit_user_a, "support", now=at(2026, 11, 6, 19, 0))
    assert services.clock_note(request)
    assert local(request.clock_started_at) == at(2026, 11, 9, 8, 30)
    assert local(request.answer_due_at) == at(2026, 11, 9, 10, 30)  # two working hours on Monday


def test_a_csv_with_a_malformed_row_or_a_date_twice_is_refused_naming_the_line_and_takes_nothing(group_admin):
    group_calendar = calendar.calendar_of(None)
    before = CalendarDay.objects.count()
    with pytest.raises(DomainError, match="Line 3") as bad:
        calendar.import_days(
            group_calendar,
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n",
            actor=group_admin,
        )
    assert bad.value.field == "file"
    with pytest.raises(DomainError, match="given twice"):
        calendar.import_days(
            group_calendar, "2027-01-01,holiday,元旦\n2027-01-01,workday,x\n", actor=group_admin
        )
    with pytest.raises(DomainError, match="holiday or workday"):
        calendar.import_days(group_calendar, "2027-01-01,vacation,元旦\n", actor=group_admin)
    assert CalendarDay.objects.count() == before
    assert (
        calendar.import_days(
            group_calendar,
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-09,workday,补班\n",
            actor=group_admin,
        )
        == 2
    )
    cal = calendar.calendar_for(None)
    assert not cal.is_working_day(datetime.date(2027, 1, 1)) and cal.is_working_day(datetime.date(2027, 1, 9))


def test_only_a_group_admin_edits_the_groups_calendar(unit_admin_a):
    with pytest.raises(PermissionDenied):
        calendar.import_days(calendar.calendar_of(None), "2027-01-01,holiday,元旦\n", actor=unit_admin_a)


def test_a_unit_override_wins_for_that_unit_only(unit_a, unit_admin_a):
    calendar.set_day(
        calendar.calendar_of(unit_a),
        datetime.date(2026, 11, 3),
        is_working=False,
        name="厂休",
        actor=unit_admin_a,
    )
    assert not calendar.calendar_for(unit_a.pk).is_working_day(datetime.date(2026, 11, 3))
    assert calendar.calendar_for(None).is_working_day(datetime.date(2026, 11, 3))
    # The group's holidays still hold for the unit.
    assert not calendar.calendar_for(unit_a.pk).is_working_day(datetime.date(2026, 10, 1))


def test_a_calendar_edit_recomputes_the_due_times_of_open_requests(
    unit_user_a, unit_admin_a, unit_a, make_request, django_capture_on_commit_callbacks
):
    request = make_request(unit_user_a, "support")  # Monday 09:00, 2 working days to complete
    assert local(request.complete_due_at) == at(2026, 11, 4, 9, 0)
    with django_capture_on_commit_callbacks(execute=True):
        calendar.set_day(
            calendar.calendar_of(unit_a), datetime.date(2026, 11, 3), is_working=False, actor=unit_admin_a
        )
    request.refresh_from_db()
    assert local(request.complete_due_at) == at(2026, 11, 5, 9, 0)


def test_a_held_request_stops_its_clock_and_shows_the_held_time_apart(
    unit_user_a, unit_admin_a, make_request
):
    request = make_request(unit_user_a, "support")  # Monday 09:00
    due = request.complete_due_at
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        request = services.transition(request, to="in_progress", actor=unit_admin_a)
        request = services.transition(
            request, to="waiting_requester", actor=unit_admin_a, comment="请提供截图"
        )
    with time_machine.travel(at(2026, 11, 3, 10, 0), tick=False):  # a working day later
        assert timers.held_now(request) == 450
        assert not timers.is_overdue(request, at(2026, 11, 4, 9, 30))  # held: not overdue
        request = services.reply(request, actor=unit_user_a, text="截图见附件")
    request.refresh_from_db()
    assert request.state == "in_progress"
    assert request.held_minutes == 450
    assert local(request.complete_due_at) == local(due) + datetime.timedelta(days=1)
    with time_machine.travel(at(2026, 11, 3, 11, 0), tick=False):
        request = services.transition(request, to="resolved", actor=unit_admin_a, comment="已解答")
    # Worked Monday 09:00–10:00 and Tuesday 10:00–11:00; the day waiting for the requester is apart.
    assert request.complete_working_minutes == 120
    assert request.answer_working_minutes == 60


def test_time_machine_guard():
    assert MONDAY.tzinfo is ZONE
