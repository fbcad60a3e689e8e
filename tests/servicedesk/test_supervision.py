"""Supervision (Art. 10: 考核督办): overdue requests escalated to the unit admin and then the group, a
request waiting for its requester closed after a notice, the month's figures per unit."""

import datetime

import pytest
import time_machine

from yunwei.notify.models import Notice
from yunwei.servicedesk import services, tasks, timers
from yunwei.servicedesk.models import ServiceRequest

from .conftest import MONDAY, ZONE

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime.datetime(*args, tzinfo=ZONE)


def test_an_overdue_request_is_told_to_the_unit_admin_then_a_working_day_later_to_the_group(
    unit_user_a, unit_admin_a, group_admin, make_request
):
    request = make_request(unit_user_a, "support")  # due Wednesday 09:00
    assert services.escalate_overdue(at(2026, 11, 4, 8, 59)) == 0
    assert services.escalate_overdue(at(2026, 11, 4, 9, 1)) == 1
    assert services.escalate_overdue(at(2026, 11, 4, 9, 2)) == 0  # once per level
    request.refresh_from_db()
    assert request.escalation_level == 1
    assert Notice.objects.filter(event_key=f"request:{request.pk}:overdue:1").exists()
    assert services.escalate_overdue(at(2026, 11, 5, 8, 59)) == 0
    assert services.escalate_overdue(at(2026, 11, 5, 9, 1)) == 1
    request.refresh_from_db()
    assert request.escalation_level == 2
    assert request.events.filter(kind="escalation").count() == 2


def test_a_held_request_is_not_escalated(unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "support")
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        services.transition(request, to="waiting_requester", actor=unit_admin_a, comment="请补充")
    assert services.escalate_overdue(at(2026, 11, 10, 9, 0)) == 0


def test_waiting_for_the_requester_closes_after_a_notice_and_the_rating_is_optional(
    unit_user_a, unit_admin_a, make_request
):
    request = make_request(unit_user_a, "support")
    with time_machine.travel(MONDAY, tick=False):
        services.transition(request, to="waiting_requester", actor=unit_admin_a, comment="请补充截图")
    with time_machine.travel(MONDAY + datetime.timedelta(days=3), tick=False):
        assert tasks.close_waiting_requests.delay().get() == [0, 0]
    # Twelve days on (14 - 2): the requester is told when it will close.
    assert services.close_waiting(MONDAY + datetime.timedelta(days=12, hours=1)) == (1, 0)
    assert services.close_waiting(MONDAY + datetime.timedelta(days=13)) == (0, 0)
    assert services.close_waiting(MONDAY + datetime.timedelta(days=14, hours=2)) == (0, 1)
    request.refresh_from_db()
    assert request.state == "closed" and request.rating is None
    assert request.events.filter(kind="reminder").count() == 1
    services.rate(request, actor=unit_user_a, rating=3)


def test_a_late_notice_still_gives_the_requester_two_days(unit_user_a, unit_admin_a, make_request):
    request = make_request(unit_user_a, "support")
    with time_machine.travel(MONDAY, tick=False):
        services.transition(request, to="waiting_requester", actor=unit_admin_a, comment="请补充")
    late = MONDAY + datetime.timedelta(days=20)
    assert services.close_waiting(late) == (1, 0)
    assert services.close_waiting(late + datetime.timedelta(days=1)) == (0, 0)
    assert services.close_waiting(late + datetime.timedelta(days=2, minutes=1)) == (0, 1)


def test_the_months_figures_per_unit(unit_user_a, unit_admin_a, unit_a, make_request):
    done = make_request(unit_user_a, "support")
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False):
        done = services.transition(done, to="resolved", actor=unit_admin_a, comment="好了")
        services.confirm(done, actor=unit_user_a, rating=4)
    late = make_request(unit_user_a, "requirement", data={"module": "公文"})
    figures = timers.figures(
        ServiceRequest.objects.filter(unit=unit_a), datetime.date(2026, 11, 1), now=at(2026, 12, 31, 9, 0)
    )
    assert figures.made == 2
    assert figures.by_kind == {"requirement": 1, "support": 1, "usage": 0}
    assert figures.done == 1
    assert figures.complete_minutes_avg == 60 and figures.answer_minutes_avg == 60
    assert figures.rated == 1 and figures.rating_avg == 4
    assert figures.overdue == 1  # the requirement, 20 working days on
    assert late.state == "submitted"
