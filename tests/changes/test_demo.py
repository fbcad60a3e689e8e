"""The demo changes, loaded as `yunwei demo` loads them: every open state is there, and each unit has a
change scheduled in the coming week, so the dashboard and the calendar show work ahead."""

import datetime

import pytest
from django.utils import timezone

from yunwei.changes import demo as changes_demo
from yunwei.changes.choices import State
from yunwei.changes.models import Change
from yunwei.cmdb import demo as cmdb_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.org import demo as org_demo
from yunwei.problems import demo as problems_demo
from yunwei.web.work import UPCOMING_DAYS, work_in_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    for app in (org_demo, cmdb_demo, incidents_demo, problems_demo, changes_demo):
        app.load()


def test_demo_changes_stand_in_every_state_with_work_ahead_for_each_unit(demo, django_user_model):
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
