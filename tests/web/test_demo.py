"""The demo, loaded as `yunwei demo` loads it: changes stand in every state, each unit has a change in
the coming week (the dashboard and the calendar show work ahead), and a plan shows a second version
beside the drills of its first."""

import datetime

import pytest
from django.utils import timezone

from yunwei.changes import demo as changes_demo
from yunwei.changes.choices import State
from yunwei.changes.models import Change
from yunwei.cmdb import demo as cmdb_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.incidents.models import EmergencyPlan
from yunwei.org import demo as org_demo
from yunwei.problems import demo as problems_demo
from yunwei.web.work import UPCOMING_DAYS, work_in_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    for app in (org_demo, cmdb_demo, incidents_demo, problems_demo, changes_demo):
        app.load()


def test_demo_shows_changes_in_every_state_work_ahead_and_a_revised_plan(demo, django_user_model):
    now = timezone.now()
    assert set(Change.objects.values_list("state", flat=True)) == set(State.values)
    week = Change.objects.filter(
        state=State.SCHEDULED,
        planned_start__gte=now,
        planned_start__lt=now + datetime.timedelta(days=UPCOMING_DAYS),
    )
    units_with_changes = set(Change.objects.values_list("unit_id", flat=True))
    assert set(week.values_list("unit_id", flat=True)) == units_with_changes
    admin = django_user_model.objects.get(username="admin")
    figures = {figure.key: figure.count for figure in work_in_hand(admin)}
    assert figures["upcoming-changes"] == week.count()
    assert figures["emergency-unapproved"] >= 1  # the emergency carried out 30 h ago
    assert figures["emergency-refused"] == 1  # refused after the fact, awaiting its rollback
    power = EmergencyPlan.objects.get(code="power-ii")
    assert list(power.revisions.values_list("revision", flat=True)) == [2, 1]
    assert set(power.drills.values_list("plan_revision__revision", flat=True)) == {1}
