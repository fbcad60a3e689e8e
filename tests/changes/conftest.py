"""Change fixtures: a server of unit A with an application running on it, the system management lead
and the leaders in charge, and a normal change touching the server."""

import datetime

import pytest
from django.utils import timezone, translation

from yunwei.changes import services
from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Relation, RelationType
from yunwei.org.choices import Role

from ..conftest import make_item, make_user


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language; pages and API answer in the reader's."""
    with translation.override("en"):
        yield


def window(days: float = 1, hours: float = 2, at: datetime.datetime | None = None):
    start = (at or timezone.now()) + datetime.timedelta(days=days)
    return start, start + datetime.timedelta(hours=hours)


@pytest.fixture
def server_a(unit_a, group_admin):
    return make_item(
        unit_a, "server", "SRV-A", actor=group_admin, name="甲应用服务器", attributes={"memory_gb": 32}
    )


@pytest.fixture
def app_a(unit_a, group_admin, server_a):
    app = make_item(unit_a, "application", "OA-A", actor=group_admin, name="甲协同办公")
    cmdb.create(
        Relation,
        actor=group_admin,
        source=app,
        target=server_a,
        type=RelationType.objects.get(code="runs-on"),
    )
    return app


@pytest.fixture
def server_b(unit_b, group_admin):
    return make_item(unit_b, "server", "SRV-B", actor=group_admin, name="乙服务器")


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD)


@pytest.fixture
def leader_a(unit_a):
    return make_user("a-leader", unit_a, Role.LEADER)


@pytest.fixture
def group_leader(group):
    return make_user("group-leader", group, Role.LEADER)


def new_change(actor, unit, items, **fields):
    start, end = window()
    values = {
        "title": "扩充内存",
        "change_type": "hardware_expansion",
        "reason": "内存不足",
        "implementation_plan": "停机加内存",
        "test_plan": "开机自检",
        "rollback_plan": "拆回原内存",
        "planned_start": start,
        "planned_end": end,
        "service_impact": "degraded",
        **fields,
    }
    return services.create_change(actor=actor, unit=unit, affected_items=items, **values)


@pytest.fixture
def change(unit_admin_a, unit_a, server_a, app_a):
    return new_change(unit_admin_a, unit_a, [server_a])


def approve(change, *approvers):
    for approver in approvers:
        change = services.decide(change, actor=approver, decision="approved")
    return change


def to_scheduled(change, requester, lead):
    change = services.transition(change, to="submitted", actor=requester)
    change = approve(change, lead)
    return services.transition(change, to="scheduled", actor=requester)
