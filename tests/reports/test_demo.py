"""The demo's monthly reports, loaded after the other demos as `yunwei demo` loads them: three archived,
signed months and this month in draft, per unit and for the group; a signed report's files are made at
their first download from what was signed, then kept."""

import datetime

import pytest
import time_machine

from yunwei.changes import demo as changes_demo
from yunwei.cmdb import demo as cmdb_demo
from yunwei.compliance import demo as compliance_demo
from yunwei.incidents import demo as incidents_demo
from yunwei.org import demo as org_demo
from yunwei.org.models import Unit
from yunwei.problems import demo as problems_demo
from yunwei.reports import demo as reports_demo
from yunwei.reports import services
from yunwei.reports.models import Report, ReportFile

pytestmark = pytest.mark.django_db

LOADED_AT = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=datetime.UTC)


def test_three_signed_months_and_this_month_in_draft_per_unit_and_for_the_group():
    with time_machine.travel(LOADED_AT, tick=False):
        for app in (org_demo, cmdb_demo, incidents_demo, problems_demo, changes_demo, compliance_demo):
            app.load()
        loaded = reports_demo.load()
    units = [None, *Unit.objects.filter(kind="unit", is_active=True)]
    assert loaded["reports"] == len(units) * 4
    for unit in units:
        reports = list(Report.objects.filter(unit=unit.pk if unit else None).order_by("month"))
        assert [f"{r.month:%Y-%m}" for r in reports] == ["2026-09", "2026-10", "2026-11", "2026-12"]
        assert [r.state for r in reports] == ["signed", "signed", "signed", "draft"]
        assert all(r.figures and r.analysis and r.signed_by_name for r in reports[:3])
    group_report = Report.objects.filter(unit__isnull=True, month=datetime.date(2026, 11, 1)).get()
    assert group_report.figures["incidents"]["total"] >= 1
    # The files: made at the first download, from the signed figures, then the same bytes.
    made = services.file_of(group_report, "xlsx")
    assert services.file_of(group_report, "xlsx").sha256 == made.sha256
    assert ReportFile.objects.filter(report=group_report).count() == 1
