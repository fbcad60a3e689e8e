"""Problem fixtures: an application of unit A, the people of Art. 15 (a second group admin, an owner and a
collaborator with accounts), a problem registered from a hidden danger and helpers to walk it."""

import datetime

import pytest
from django.utils import timezone, translation

from yunwei.org.choices import Role
from yunwei.problems import services

from ..conftest import make_item, make_user


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language; pages and API answer in the reader's."""
    with translation.override("en"):
        yield


@pytest.fixture
def app_a(unit_a, group_admin):
    return make_item(unit_a, "application", "OA", actor=group_admin, name="甲协同办公应用")


@pytest.fixture
def other_group_admin(group):
    return make_user("group-admin-2", group, Role.GROUP_ADMIN)


@pytest.fixture
def third_group_admin(group):
    """A group admin who takes no part in the work: the verifier Art. 16 wants."""
    return make_user("group-admin-3", group, Role.GROUP_ADMIN)


@pytest.fixture
def owner_a(unit_a):
    """The problem's owner: a technical staff member of unit A with an account."""
    return make_user("a-owner", unit_a, Role.TECH_STAFF, name="甲负责人")


@pytest.fixture
def helper_a(unit_a):
    return make_user("a-helper", unit_a, Role.USER, name="甲配合人")


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD)


def deadline_in(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def problem(unit_a, unit_admin_a, app_a):
    return services.register(
        actor=unit_admin_a,
        unit=unit_a,
        title="UPS 电池老化",
        description="巡检发现 UPS 电池鼓包",
        origin="inspection",
        affected_items=[app_a],
    )


def classification(owner, helper, days: int = 30) -> dict:
    return {
        "category": "machine_room",
        "nature": "hidden_danger",
        "owner": owner.person,
        "collaborators": [helper.person],
        "proposed_solution": "更换 UPS 电池组",
        "deadline": deadline_in(days),
    }


def classify(problem, admin, owner, helper, days: int = 30):
    services.add_step(problem, actor=admin, text="采购电池", due_on=deadline_in(days // 2))
    return services.transition(problem, to="classified", actor=admin, **classification(owner, helper, days))


def solve(problem, owner, summary="已更换电池组"):
    problem = services.transition(problem, to="in_progress", actor=owner)
    for step in problem.steps.filter(done_at__isnull=True):
        services.tick_step(step, actor=owner)
    return services.transition(problem, to="solved", actor=owner, solution_summary=summary)
