"""Incident fixtures: an application of unit A with a maintenance contract, plans, a leader and a clerk."""

import pytest
from django.utils import translation

from yunwei.incidents import services
from yunwei.incidents.models import EmergencyPlan
from yunwei.notify import services as notify
from yunwei.notify.models import Channel
from yunwei.org.choices import Role

from ..conftest import make_item, make_user


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language; pages and API answer in the reader's."""
    with translation.override("en"):
        yield


@pytest.fixture
def app_a(org_records_a, group_admin):
    return make_item(
        org_records_a["unit"],
        "application",
        "OA",
        actor=group_admin,
        name="甲协同办公应用",
        contract=org_records_a["contract"],
    )


@pytest.fixture
def mail_server(group, group_admin) -> Channel:
    """The group's e-mail server: the notices of Art. 13 reach people with an address through it (a
    delivery queued on it counts; tests never send it)."""
    notify.allow_address("127.0.0.1", actor=group_admin)
    return notify.create(
        actor=group_admin,
        unit_id=group.pk,
        name="集团邮件服务器",
        kind="email",
        target={"host": "127.0.0.1", "port": 2525, "from": "yunwei@example.cn"},
    )


@pytest.fixture
def leader_a(unit_a, mail_server):
    """Unit A's leader in charge, reachable by e-mail, so a grade Ⅱ leader report counts."""
    return make_user("a-leader", unit_a, Role.LEADER)


@pytest.fixture
def clerk_a(unit_a, mail_server):
    """Unit A's clerk (文书), reachable by e-mail: the suspension notice reaches the unit's office."""
    return make_user("a-clerk", unit_a, Role.CLERK)


@pytest.fixture
def plans(group_admin):
    def plan(code, grade, suspend):
        return services.create(
            EmergencyPlan,
            actor=group_admin,
            code=code,
            title=f"应用故障 {grade} 级预案",
            grade=grade,
            cause_category="application",
            suspend_service=suspend,
            steps=[{"text": "切换备用服务器", "role": "tech_staff", "minutes": 10}, {"text": "检查日志"}],
            verification=["登录测试", "流程测试"],
        )

    return {"III": plan("app-iii", "III", False), "II": plan("app-ii", "II", True)}


@pytest.fixture
def incident(unit_a, unit_user_a, app_a):
    return services.report(
        actor=unit_user_a,
        unit=unit_a,
        title="OA 无法登录",
        impact_scope="one_department",
        affected_items=[app_a],
    )


def walk(incident, actor, to: str, **fields):
    return services.transition(incident, to=to, actor=actor, **fields)


def to_repairing(incident, actor):
    """reported → repairing with the plan of grade Ⅲ activated."""
    incident = walk(incident, actor, "acknowledged")
    incident = walk(incident, actor, "diagnosing")
    incident = services.update_details(incident, actor=actor, cause_category="application")
    incident = services.activate_plan(incident, actor=actor)
    return walk(incident, actor, "repairing")


def restore(incident, actor, cause: str = "other"):
    """reported → restored under the plan in force for the grade and cause (the shipped one unless a test
    adds its own), every step ticked and every check passed."""
    incident = walk(incident, actor, "acknowledged")
    incident = walk(incident, actor, "diagnosing")
    incident = services.update_details(incident, actor=actor, cause_category=cause)
    incident = services.activate_plan(incident, actor=actor)
    if incident.plan_snapshot.get("suspend_service"):
        services.send_notice(incident, "suspension", actor=actor)
    incident = walk(incident, actor, "repairing")
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=actor)
    incident = walk(incident, actor, "verifying")
    for item in incident.checklist.filter(kind="verification"):
        services.tick(item, actor=actor)
    return walk(incident, actor, "restored")
