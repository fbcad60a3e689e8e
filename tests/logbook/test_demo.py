"""The log books' demo: six months of rounds with a missed one, a backup gap, a restore drill, a late
entry shown as a correction, reviews signed but for last month, rectifications in every state."""

import pytest

from yunwei.cmdb import demo as cmdb_demo
from yunwei.logbook import demo, facts, services
from yunwei.logbook.models import MonthlyReview, Rectification, RestoreDrill
from yunwei.monitoring import demo as monitoring_demo
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit

pytestmark = pytest.mark.django_db


def test_the_demo_holds_what_a_lead_reviews():
    org_demo.load()
    cmdb_demo.load()
    monitoring_demo.load()
    loaded = demo.load()
    assert loaded["rounds"] > 500
    group = Unit.objects.get(kind="group")
    reviews = MonthlyReview.objects.filter(unit=group).order_by("month")
    assert list(reviews.values_list("state", flat=True)) == ["signed"] * 5
    last = reviews.last().month
    following = facts.next_month(last)
    assert facts.review_of(group, following) is None  # last month left for the lead to sign
    assert len(facts.missing_rounds(group, following)) == 1
    assert facts.backup_evidence(group, following).gap_days + facts.backup_evidence(group, last).gap_days >= 1
    assert RestoreDrill.objects.filter(unit=group).count() == 1
    assert len(services.corrections(reviews.last())) == 1
    assert set(Rectification.objects.values_list("state", flat=True)) == {
        "open",
        "in_progress",
        "done",
        "verified",
        "cancelled",
    }
