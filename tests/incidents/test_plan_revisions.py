"""Emergency plan versions: every published version is kept, shown on the plan's page, and a drill names
the version it rehearsed."""

import datetime

import pytest
from django.utils import timezone

from yunwei.incidents import services
from yunwei.incidents.models import Drill, PlanRevision

pytestmark = pytest.mark.django_db


def test_each_version_of_a_plan_is_kept(plans, group_admin):
    plan = plans["III"]
    assert list(plan.revisions.values_list("revision", flat=True)) == [1]
    first = plan.revisions.get()
    assert first.snapshot["steps"][0]["text"] == "切换备用服务器"
    assert first.created_by == group_admin
    plan = services.update(plan, actor=group_admin, steps=[{"text": "新步骤"}])
    plan = services.update(plan, actor=group_admin, description="only the description")  # not content
    plan = services.update(plan, actor=group_admin, suspend_service=True)
    assert plan.revision == 3
    snapshots = {r.revision: r.snapshot for r in plan.revisions.all()}
    assert sorted(snapshots) == [1, 2, 3]
    assert snapshots[1]["steps"][0]["text"] == "切换备用服务器"
    assert snapshots[2]["steps"] == [{"text": "新步骤"}] and snapshots[2]["suspend_service"] is False
    assert snapshots[3]["suspend_service"] is True
    with pytest.raises(Exception, match="cannot"):
        first.save()


def test_a_drill_names_the_plan_version_it_rehearses(plans, group_admin, unit_a):
    plan = plans["II"]
    drill = services.create(
        Drill, actor=group_admin, unit=unit_a, plan=plan, scheduled_for=timezone.now() + datetime.timedelta(1)
    )
    assert drill.plan_revision.revision == 1
    services.update(plan, actor=group_admin, verification=["只做登录测试"])
    later = services.create(
        Drill, actor=group_admin, unit=unit_a, plan=plan, scheduled_for=timezone.now() + datetime.timedelta(2)
    )
    drill.refresh_from_db()
    assert (drill.plan_revision.revision, later.plan_revision.revision) == (1, 2)
    assert later.plan_revision.snapshot["verification"] == ["只做登录测试"]


def test_the_plan_page_shows_its_version_history_and_the_drilled_version(
    client, plans, group_admin, unit_admin_a, unit_a
):
    plan = plans["III"]
    drill = services.create(
        Drill, actor=group_admin, unit=unit_a, plan=plan, scheduled_for=timezone.now() + datetime.timedelta(1)
    )
    services.update(plan, actor=group_admin, steps=[{"text": "重新部署应用"}])
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/plans/{plan.pk}/").content.decode()
    assert 'data-testid="plan-revision-1"' in page and 'data-testid="plan-revision-2"' in page
    assert "切换备用服务器" in page  # the first version's step, no longer in the plan
    assert "重新部署应用" in page
    drill_page = client.get(f"/incidents/drills/{drill.pk}/").content.decode()
    assert 'data-testid="drill-plan-revision"' in drill_page and "预案第 1 版" in drill_page
    assert PlanRevision.objects.filter(plan=plan).count() == 2
