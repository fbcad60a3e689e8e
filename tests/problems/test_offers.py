"""The problem page asks problems.services who may act: each answer is what the act itself does, for every
state of the flow and every kind of reader."""

import datetime

import pytest
import time_machine
from django.db import transaction

from yunwei.core.errors import DomainError
from yunwei.problems import services
from yunwei.problems.models import Problem

from .conftest import classify, deadline_in, solve

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def succeeds(act, *args, **kwargs) -> bool:
    """Whether the service accepts the act; whatever it wrote is rolled back."""
    try:
        with transaction.atomic():
            act(*args, **kwargs)
            raise _Undo
    except _Undo:
        return True
    except DomainError:
        return False


def stages(problem, group_admin, owner_a, helper_a, third_group_admin):
    """The problem at each state of its flow, read afresh."""
    yield Problem.objects.get(pk=problem.pk)
    classify(problem, group_admin, owner_a, helper_a)
    yield Problem.objects.get(pk=problem.pk)
    services.transition(problem, to="in_progress", actor=owner_a)
    yield Problem.objects.get(pk=problem.pk)
    for step in problem.steps.filter(done_at__isnull=True):
        services.tick_step(step, actor=owner_a)
    services.transition(
        Problem.objects.get(pk=problem.pk), to="solved", actor=owner_a, solution_summary="已更换电池组"
    )
    yield Problem.objects.get(pk=problem.pk)
    services.transition(Problem.objects.get(pk=problem.pk), to="archived", actor=third_group_admin)
    yield Problem.objects.get(pk=problem.pk)


def test_the_page_offers_adding_and_ticking_steps_and_editing_exactly_when_the_service_allows(
    problem, group_admin, third_group_admin, owner_a, helper_a, unit_admin_a, unit_user_a, app_a
):
    readers = [group_admin, unit_admin_a, owner_a, helper_a, unit_user_a]
    seen = set()
    for current in stages(problem, group_admin, owner_a, helper_a, third_group_admin):
        step = current.steps.filter(done_at__isnull=True).first() or current.steps.first()
        for reader in readers:
            who = (current.state, reader.username)
            add = succeeds(services.add_step, current, actor=reader, text="再查一遍", due_on=deadline_in(3))
            assert services.may_add_step(current, reader) == add, who
            if step is not None and step.done_at is None:
                assert services.may_tick(current, reader) == succeeds(
                    services.tick_step, step, actor=reader
                ), who
            edit = succeeds(services.publish_workaround, current, actor=reader, workaround="先切换到备用 UPS")
            assert services.may_edit(current, reader) == edit, who
            seen.add((current.state, add, edit))
    # Every state was walked, and each answer was given both ways somewhere.
    assert {state for state, _add, _edit in seen} == {
        "registered",
        "classified",
        "in_progress",
        "solved",
        "archived",
    }
    assert {add for _state, add, _edit in seen} == {True, False}
    assert {edit for _state, _add, edit in seen} == {True, False}


def test_a_problem_is_overdue_from_the_day_after_its_deadline_as_the_sweep_counts(
    problem, group_admin, owner_a, helper_a
):
    problem = classify(problem, group_admin, owner_a, helper_a, days=2)
    day_after, _lead = services.alert_moments(problem.deadline)
    for moment, overdue in (
        (day_after - datetime.timedelta(seconds=1), False),
        (day_after, True),
        (day_after + datetime.timedelta(days=10), True),
    ):
        with time_machine.travel(moment, tick=False):
            assert services.is_overdue(problem) is overdue
            assert Problem.objects.filter(services.overdue_q(), pk=problem.pk).exists() is overdue
    solve(problem, owner_a)
    solved = Problem.objects.get(pk=problem.pk)
    with time_machine.travel(day_after + datetime.timedelta(days=1), tick=False):
        assert services.is_overdue(solved) is False
        assert not Problem.objects.filter(services.overdue_q(), pk=problem.pk).exists()
