"""Overdue problems escalate (Art. 15: 时限要求): first the owner, then after LEAD_ESCALATION_DELAY the
group's system management leads; each level is sent once, and the timeline shows each escalation."""

import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from yunwei.notify.models import Delivery
from yunwei.problems import services
from yunwei.problems.choices import EscalationLevel
from yunwei.problems.tasks import escalate_overdue_problems

from .conftest import classify, solve

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


def _deliveries(problem, level: int) -> int:
    return Delivery.objects.filter(
        event_key__startswith=f"problem:{problem.pk}:overdue:", event_key__endswith=f":{level}"
    ).count()


def test_an_overdue_problem_tells_the_owner_once_then_the_lead(problem, group_admin, owner_a, helper_a, lead):
    with time_machine.travel(START, tick=False) as clock:
        problem = classify(problem, group_admin, owner_a, helper_a, days=10)
        assert escalate_overdue_problems.delay().get() == 0
        clock.move_to(START + datetime.timedelta(days=10))  # the deadline day itself: not yet overdue
        assert services.escalate_overdue() == 0
        clock.move_to(START + datetime.timedelta(days=11))
        assert escalate_overdue_problems.delay().get() == 1
        assert services.escalate_overdue() == 0  # a second sweep sends nothing more
        problem.refresh_from_db()
        assert problem.escalation_level == 1
        assert _deliveries(problem, 1) == 1 and _deliveries(problem, 2) == 0
        clock.move_to(START + datetime.timedelta(days=13))
        assert services.escalate_overdue() == 0  # the lead's period has not passed
        clock.move_to(START + datetime.timedelta(days=14, hours=1))
        assert services.escalate_overdue() == 1
        assert services.escalate_overdue() == 0
    problem.refresh_from_db()
    assert problem.escalation_level == 2
    lead_delivery = Delivery.objects.get(
        event_key__startswith=f"problem:{problem.pk}:overdue:", event_key__endswith=":2"
    )
    assert lead_delivery.recipient == "lead@example.cn"
    escalations = list(problem.events.filter(kind="escalation").order_by("at"))
    assert [e.data["level"] for e in escalations] == [1, 2]
    assert escalations[0].actor_name == "system"
    # Whom it told is read in the reader's language, not frozen in the sweep's.
    assert escalations[0].note == "Owner told"
    with translation.override("zh-hans"):
        assert escalations[0].note == str(EscalationLevel.OWNER.label) != "Owner told"


def test_a_late_sweep_still_gives_the_owner_the_full_period(problem, group_admin, owner_a, helper_a, lead):
    with time_machine.travel(START, tick=False) as clock:
        problem = classify(problem, group_admin, owner_a, helper_a, days=2)
        clock.move_to(START + datetime.timedelta(days=20))  # long past both moments
        assert services.escalate_overdue() == 1
        problem.refresh_from_db()
        assert problem.escalation_level == 1
        assert problem.lead_alert_at == timezone.now() + services.LEAD_ESCALATION_DELAY


def test_solved_problems_and_problems_without_deadline_do_not_escalate(
    problem, group_admin, owner_a, helper_a, unit_a, unit_admin_a
):
    services.register(actor=unit_admin_a, unit=unit_a, title="无时限")
    with time_machine.travel(START, tick=False) as clock:
        problem = solve(classify(problem, group_admin, owner_a, helper_a, days=2), owner_a)
        clock.move_to(START + datetime.timedelta(days=30))
        assert services.escalate_overdue() == 0
    assert not problem.events.filter(kind="escalation").exists()


def test_a_new_deadline_starts_the_escalation_over(problem, group_admin, owner_a, helper_a):
    with time_machine.travel(START, tick=False) as clock:
        problem = classify(problem, group_admin, owner_a, helper_a, days=2)
        clock.move_to(START + datetime.timedelta(days=4))
        assert services.escalate_overdue() == 1
        problem = services.update_details(
            problem, actor=group_admin, deadline=timezone.localdate() + datetime.timedelta(days=5)
        )
        assert problem.escalation_level == 0
        assert services.escalate_overdue() == 0
        clock.move_to(START + datetime.timedelta(days=10))
        assert services.escalate_overdue() == 1
    assert problem.events.filter(kind="escalation").count() == 2
    assert _deliveries(problem, 1) == 2  # one per deadline
