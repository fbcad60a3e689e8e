"""The demo's compliance history, loaded after the other demos as `yunwei demo` loads them: six months
judged with findings, and one "not applicable" approved by the group admin."""

import datetime

import pytest
import time_machine

from yunwei.changes import demo as changes_demo
from yunwei.cmdb import demo as cmdb_demo
from yunwei.compliance import demo as compliance_demo
from yunwei.compliance import scores
from yunwei.compliance.models import Finding, Result
from yunwei.incidents import demo as incidents_demo
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit
from yunwei.problems import demo as problems_demo

pytestmark = pytest.mark.django_db

LOADED_AT = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)


def test_six_months_judged_with_findings_and_one_approved_not_applicable():
    with time_machine.travel(LOADED_AT, tick=False):
        for app in (org_demo, cmdb_demo, incidents_demo, problems_demo, changes_demo):
            app.load()
        loaded = compliance_demo.load()
    assert loaded["months"] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert set(Result.objects.values_list("month", flat=True)) == set(loaded["months"])
    assert Finding.objects.exists()
    assert Result.objects.exclude(outcome="met").exists()
    exemption = loaded["exemption"]
    assert exemption.state == "approved" and exemption.reason
    assert exemption.result.outcome == "not_applicable"
    chem = Unit.objects.get(code="chem")
    assert scores.score(chem, "2026-11").not_applicable == 1
    # The chemical company names no clerk: Art. 10 is partly met in the other months.
    assert Result.objects.get(unit=chem, duty="art10-people", month="2026-10").outcome == "partly_met"
    # One finding of last month became a rectification of the unit's review, linked from the finding.
    rectification = loaded["rectification"]
    assert rectification is not None
    assert rectification.compliance_finding.result.month == "2026-11"
    assert rectification.finding.review.month == datetime.date(2026, 11, 1)
