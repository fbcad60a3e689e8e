"""Records of two units made through the services, for the exports, bulk actions and sorted lists."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from yunwei.changes import services as changes
from yunwei.incidents import services as incidents
from yunwei.org.choices import Role
from yunwei.problems import services as problems

from ..conftest import make_item, make_user

FORMULA_TITLES = ["=cmd|' /C calc'!A0", "+1", "@x", "-2"]


@pytest.fixture(autouse=True)
def _english():
    """Refusals are asserted in the source language."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages answer in English here, the language the assertions are written in."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def app_a(unit_a, group_admin):
    return make_item(unit_a, "application", "OA-A", actor=group_admin, name="甲协同办公")


@pytest.fixture
def app_b(unit_b, group_admin):
    return make_item(unit_b, "application", "OA-B", actor=group_admin, name="乙协同办公")


def report(unit, app, title, actor, **fields):
    return incidents.report(
        actor=actor, unit=unit, title=title, impact_scope="one_department", affected_items=[app], **fields
    )


@pytest.fixture
def incidents_ab(unit_a, unit_b, app_a, app_b, group_admin):
    """Unit A: a plain incident and one per formula-like title; unit B: one secret incident."""
    a = [report(unit_a, app_a, "甲单位网络中断", group_admin)]
    a += [report(unit_a, app_a, title, group_admin) for title in FORMULA_TITLES]
    b = report(unit_b, app_b, "乙单位机密故障", group_admin)
    return {"a": a, "b": b}


@pytest.fixture
def problems_ab(unit_a, unit_b, group_admin):
    return {
        "a": problems.register(actor=group_admin, unit=unit_a, title="=甲单位隐患"),
        "b": problems.register(actor=group_admin, unit=unit_b, title="乙单位机密隐患"),
    }


def make_change(unit, actor, title):
    item = make_item(unit, "server", f"SRV-{unit.code}-{title[:2]}", actor=actor, name=f"{title} 服务器")
    start = timezone.now() + datetime.timedelta(days=2)
    return changes.create_change(
        actor=actor,
        unit=unit,
        title=title,
        change_type="configuration",
        reason="+调整参数",
        implementation_plan="改参数",
        test_plan="核对",
        rollback_plan="改回",
        affected_items=[item],
        planned_start=start,
        planned_end=start + datetime.timedelta(hours=1),
    )


@pytest.fixture
def changes_ab(unit_a, unit_b, group_admin):
    return {
        "a": make_change(unit_a, group_admin, "甲单位变更"),
        "b": make_change(unit_b, group_admin, "乙单位机密变更"),
    }


@pytest.fixture
def tech_a(unit_a):
    """System technical staff of unit A: handles unit A's incidents and changes, not unit B's."""
    return make_user("a-tech", unit_a, Role.TECH_STAFF, name="甲技术员")
