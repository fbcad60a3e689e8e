"""The dashboard's charts: one data function per chart (web.charts), over what the viewer may see, for all
their units or one; each bar links to the list behind it; another unit's id is a 404."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from yunwei.changes.models import Change
from yunwei.incidents import services as incidents
from yunwei.incidents.models import Incident
from yunwei.problems import services as problems
from yunwei.problems.models import Problem
from yunwei.web import charts

from ..changes.conftest import new_change
from ..conftest import make_item

pytestmark = pytest.mark.django_db


def _total(data, key=None) -> int:
    return sum(v or 0 for s in data["series"] if key in (None, s["key"]) for v in s["data"])


@pytest.fixture
def faults(unit_a, unit_b, unit_admin_a, unit_admin_b):
    a = [incidents.report(actor=unit_admin_a, unit=unit_a, title=f"甲故障{n}") for n in range(3)]
    b = [incidents.report(actor=unit_admin_b, unit=unit_b, title="乙故障")]
    return a, b


def test_charts_count_only_what_the_viewer_sees(client, faults, unit_a, unit_b, unit_admin_a, group_admin):
    assert _total(charts.incidents_by_grade(unit_admin_a)) == 3
    assert _total(charts.incidents_by_grade(group_admin)) == 4
    assert _total(charts.incidents_by_grade(group_admin, unit_b)) == 1

    client.force_login(unit_admin_a)
    url = reverse("web:chart-data", args=["incidents-by-grade"])
    assert client.get(url, {"unit": unit_b.pk}).status_code == 404
    bad = client.get(url, {"unit": "abc"})
    assert bad.status_code == 400 and "unit" in bad.json()
    assert client.get(reverse("web:chart-data", args=["no-such-chart"])).status_code == 404
    data = client.get(url, {"unit": unit_a.pk}).json()
    assert _total(data) == 3 and len(data["labels"]) == 12
    assert data["links"][-1].startswith(reverse("incidents:incident-list") + "?reported_after=")
    assert f"unit={unit_a.pk}" in data["links"][-1]


def test_every_chart_answers_for_a_plain_user_with_only_their_own(client, faults, unit_user_a):
    client.force_login(unit_user_a)
    for name in charts.CHARTS:
        response = client.get(reverse("web:chart-data", args=[name]))
        assert response.status_code == 200, name
        assert _total(response.json()) == 0, name


def test_the_restore_time_is_the_mean_of_the_week(faults, group_admin):
    (first, second, _third), _b = faults
    now = timezone.now()
    Incident.objects.filter(pk=first.pk).update(started_at=now - datetime.timedelta(hours=3), restored_at=now)
    Incident.objects.filter(pk=second.pk).update(
        started_at=now - datetime.timedelta(hours=1), restored_at=now
    )
    data = charts.restore_time_trend(group_admin, now=now)
    assert data["series"][0]["data"][-1] == 2.0
    assert data["series"][0]["data"][0] is None  # no incident restored 11 weeks ago


def test_open_problems_fall_into_their_age(unit_a, unit_admin_a, group_admin):
    now = timezone.now()
    for days in (1, 10, 40, 100, 200):
        problem = problems.register(actor=unit_admin_a, unit=unit_a, title=f"问题{days}", origin="inspection")
        Problem.objects.filter(pk=problem.pk).update(registered_at=now - datetime.timedelta(days=days))
    data = charts.open_problems_by_age(group_admin, now=now)
    assert data["series"][0]["data"] == [1, 1, 1, 2]


def test_changes_count_under_their_outcome(unit_a, unit_admin_a, group_admin):
    server = make_item(unit_a, "server", "SRV-A", actor=group_admin, name="服务器")
    now = timezone.now()
    outcomes = [
        ("completed", "", ""),
        ("rolled_back", "回退", ""),
        ("failed", "", "失败"),
        ("reviewed", "回退", ""),
    ]
    for state, rollback, failure in outcomes:
        change = new_change(unit_admin_a, unit_a, [server])
        Change.objects.filter(pk=change.pk).update(
            state=state, finished_at=now, rollback_note=rollback, failure_note=failure
        )
    data = charts.changes_by_outcome(group_admin, now=now)
    assert {s["key"]: s["data"][-1] for s in data["series"]} == {
        "completed": 1,
        "rolled_back": 2,
        "failed": 1,
    }


def test_the_dashboard_draws_the_charts_and_offers_the_units_it_sees(
    client, unit_a, unit_b, unit_admin_a, group_admin
):
    client.force_login(group_admin)
    page = client.get(reverse("web:dashboard")).content.decode()
    for name in charts.CHARTS:
        assert f'data-testid="chart-{name}"' in page
    assert 'data-testid="chart-unit"' in page and unit_b.name in page
    client.force_login(unit_admin_a)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert 'data-testid="chart-unit"' not in page  # one unit: nothing to choose
