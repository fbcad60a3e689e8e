"""Art. 13 on a fresh install: the migrations ship an emergency plan for each grade and cause (steps, a
verification checklist, whether service is suspended), so no fault is restored with just a comment; a
grade and cause without a plan in force is flagged on the plans page and the dashboard."""

import importlib

import pytest
from django.apps import apps

from yunwei.core.errors import TransitionNotAllowed
from yunwei.incidents import services
from yunwei.incidents.choices import Cause
from yunwei.incidents.models import EmergencyPlan

from .conftest import walk

pytestmark = pytest.mark.django_db

shipping = importlib.import_module("yunwei.incidents.migrations.0008_shipped_emergency_plans")


def test_a_fresh_install_has_a_plan_in_force_for_each_grade_and_cause():
    plans = EmergencyPlan.objects.filter(is_active=True)
    assert {(p.grade, p.cause_category) for p in plans} == {
        (grade, cause) for grade in ("II", "III") for cause in Cause.values
    }
    for plan in plans:
        assert plan.steps and plan.verification
        assert plan.suspend_service == (plan.grade == "II" and plan.cause_category != "other")
        assert list(plan.revisions.values_list("revision", flat=True)) == [1]
        assert plan.revisions.get().snapshot["steps"] == plan.steps
    assert EmergencyPlan.objects.get(code="power-ii").title == "电力故障Ⅱ级应急预案"
    assert services.plan_gaps() == []


def test_a_fault_on_a_fresh_install_is_not_restored_with_just_a_comment(unit_a, unit_admin_a):
    incident = services.report(actor=unit_admin_a, unit=unit_a, title="OA 打不开")
    incident = walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "repairing", cause_category="application")
    assert excinfo.value.field == "plan"
    incident = services.activate_plan(incident, actor=unit_admin_a, cause_category="application")
    assert incident.plan.code == "application-iii"
    incident = walk(incident, unit_admin_a, "repairing")
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "verifying")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        walk(incident, unit_admin_a, "restored", comment="看着好了")
    assert excinfo.value.field == "checklist"


def test_the_shipping_writes_a_plan_only_where_the_group_has_none(group_admin):
    EmergencyPlan.objects.filter(code="power-ii").delete()
    network = EmergencyPlan.objects.get(code="network-iii")
    network.delete()
    own = services.create(
        EmergencyPlan,
        actor=group_admin,
        code="net-own",
        title="本集团网络预案",
        grade="III",
        cause_category="network",
    )
    services.update(own, actor=group_admin, is_active=False)
    before = EmergencyPlan.objects.count()
    shipping.ship(apps, None)
    assert EmergencyPlan.objects.count() == before + 1
    assert EmergencyPlan.objects.get(code="power-ii").revisions.count() == 1
    assert not EmergencyPlan.objects.filter(code="network-iii").exists()  # the group's own choice stands
    shipping.ship(apps, None)
    assert EmergencyPlan.objects.count() == before + 1


def test_a_grade_and_cause_without_a_plan_in_force_is_flagged(client, group_admin, unit_admin_a):
    plan = EmergencyPlan.objects.get(code="power-ii")
    services.update(plan, actor=group_admin, is_active=False)
    assert [(g.value, c.value) for g, c in services.plan_gaps()] == [("II", "power")]
    client.force_login(unit_admin_a)
    for url in ("/incidents/plans/", "/"):
        page = client.get(url).content.decode()
        assert 'data-testid="plan-gaps"' in page, url
    services.update(plan, actor=group_admin, is_active=True)
    assert 'data-testid="plan-gaps"' not in client.get("/").content.decode()
