"""Pages and API of compliance: the same score on the dashboard, the compliance pages and the API; an
article's page with its text, enforcement and findings; bad input named; runs and their progress."""

import re

import pytest

from yunwei.compliance import scores, services
from yunwei.compliance.models import ComplianceRun, Exemption, Result
from yunwei.incidents.models import Incident

from .conftest import IN_MONTH, MONTH, judge

pytestmark = pytest.mark.django_db


def _bare_grade(unit, title="手工定级无理由"):
    return Incident.objects.create(
        unit=unit,
        title=title,
        impact_scope="one_user",
        started_at=IN_MONTH,
        reported_at=IN_MONTH,
        grade="II",
        grade_manual=True,
    )


@pytest.fixture
def judged_now(group, unit_a, unit_b):
    """Every duty judged for this month for the group and both units; unit A's Art. 10 not met."""
    month = services.this_month()
    for duty in services.registry.DUTIES:
        services.judge(duty, month, [group, unit_a, unit_b])
    return month


def _shown(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert match, testid
    return match.group(1).strip()


def test_the_dashboard_the_compliance_page_and_the_api_show_the_same_score(
    client, api_client_for, group_admin, unit_a, judged_now
):
    expected = scores.score(unit_a, judged_now)
    assert expected.percent is not None and expected.percent < 100  # Art. 10 is not met for unit A
    client.force_login(group_admin)
    dashboard = client.get("/").content.decode()
    overview = client.get("/compliance/").content.decode()
    api = api_client_for(group_admin).get("/api/compliance/scores/").json()
    row = next(r for r in api["results"] if r["id"] == unit_a.pk)
    assert _shown(dashboard, "dashboard-score-unit-a") == f"{expected.percent}%"
    assert _shown(overview, "score-unit-a") == f"{expected.percent}%"
    assert row["percent"] == expected.percent
    assert row["score"] == pytest.approx(float(expected.value))


def test_an_article_page_shows_its_text_its_enforcement_and_the_findings_linking_the_records(
    client, unit_admin_a, unit_a
):
    incident = _bare_grade(unit_a)
    judge("art12-grading", unit_a)
    client.force_login(unit_admin_a)
    page = client.get(f"/compliance/articles/12/?month={MONTH}").content.decode()
    assert "根据故障的影响范围及持续时间等因素" in page
    assert "tests/incidents" in page or "grade_for" in page  # a row of docs/regulation.md
    assert f'href="/incidents/{incident.pk}/"' in page
    assert "Grade set by hand without a reason" in page
    assert "Ask" in page or "申请" in page


def test_every_article_has_its_page_and_an_unknown_one_is_404(client, unit_admin_a):
    client.force_login(unit_admin_a)
    for number in range(1, 19):
        assert client.get(f"/compliance/articles/{number}/").status_code == 200
    assert client.get("/compliance/articles/19/").status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "next", "2999-01"])
def test_a_bad_or_future_month_on_a_page_is_400_naming_month(client, unit_admin_a, month):
    client.force_login(unit_admin_a)
    for url in ("/compliance/", "/compliance/articles/12/"):
        response = client.get(url, {"month": month})
        assert response.status_code == 400
        assert "month:" in _shown(response.content.decode(), "month-error")


def test_a_bad_month_in_the_api_is_400_naming_month(api_client_for, unit_admin_a):
    http = api_client_for(unit_admin_a)
    for url in ("/api/compliance/scores/", "/api/compliance/results/"):
        response = http.get(url, {"month": "2026-13"})
        assert response.status_code == 400
        assert response.json()["field"] == "month"
    response = http.post("/api/compliance/runs/", {"month": "2999-01"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "month"
    assert not ComplianceRun.objects.exists()


def test_not_applicable_without_a_reason_is_refused_on_the_page_and_by_api(
    client, api_client_for, unit_admin_a, unit_a
):
    _bare_grade(unit_a)
    result = judge("art12-grading", unit_a)
    client.force_login(unit_admin_a)
    response = client.post(f"/compliance/results/{result.pk}/exempt/", {"reason": " "}, follow=True)
    assert "Say why the duty does not apply." in response.content.decode() or "不适用的原因" in (
        response.content.decode()
    )
    api = api_client_for(unit_admin_a).post(
        f"/api/compliance/results/{result.pk}/exempt/", {"reason": ""}, format="json"
    )
    assert api.status_code == 400 and api.json()["field"] == "reason"
    assert not Exemption.objects.exists()


def test_asked_on_the_page_and_approved_by_api_the_result_is_not_applicable(
    client, api_client_for, unit_admin_a, group_admin, unit_a
):
    _bare_grade(unit_a)
    result = judge("art12-grading", unit_a)
    client.force_login(unit_admin_a)
    client.post(f"/compliance/results/{result.pk}/exempt/", {"reason": "本单位无此类故障"})
    exemption = Exemption.objects.get(result=result)
    own = api_client_for(unit_admin_a).post(
        f"/api/compliance/exemptions/{exemption.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert own.status_code == 403
    refused = api_client_for(group_admin).post(
        f"/api/compliance/exemptions/{exemption.pk}/decide/", {"decision": "refuse"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "note"
    approved = api_client_for(group_admin).post(
        f"/api/compliance/exemptions/{exemption.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert Result.objects.get(pk=result.pk).outcome == "not_applicable"
    listed = api_client_for(unit_admin_a).get("/api/compliance/results/", {"month": MONTH}).json()
    assert [r["outcome"] for r in listed["results"]] == ["not_applicable"]


def test_judging_every_unit_is_a_group_act_and_the_run_shows_its_progress(
    client, unit_admin_a, group_admin, unit_a, django_capture_on_commit_callbacks
):
    client.force_login(unit_admin_a)
    assert client.post("/compliance/run/", {"month": MONTH}).status_code == 403
    client.force_login(group_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compliance/run/", {"month": MONTH})
    assert response.status_code == 302
    run = ComplianceRun.objects.get()
    progress = client.get(f"/compliance/runs/{run.pk}/").content.decode()
    assert 'data-testid="run-progress"' in progress and "width: 100%" in progress
    overview = client.get(f"/compliance/?month={MONTH}").content.decode()
    assert 'data-testid="run"' in overview


def test_a_run_still_going_is_followed_on_the_page(client, group_admin, unit_a):
    run = ComplianceRun.objects.create(month=MONTH, steps_total=9, steps_done=3, state="running")
    client.force_login(group_admin)
    page = client.get(f"/compliance/?month={MONTH}").content.decode()
    assert f'hx-get="/compliance/runs/{run.pk}/"' in page and 'hx-trigger="every 2s"' in page
    assert "width: 33%" in page
    ComplianceRun.objects.filter(pk=run.pk).update(state="done", steps_done=9)
    page = client.get(f"/compliance/runs/{run.pk}/").content.decode()
    assert "hx-trigger" not in page and "width: 100%" in page


def test_a_unit_admin_sees_their_own_unit_only(client, unit_admin_a, unit_a, unit_b):
    judge("art10-people", unit_a, unit_b)
    client.force_login(unit_admin_a)
    page = client.get(f"/compliance/?month={MONTH}").content.decode()
    assert 'data-testid="unit-row-unit-a"' in page and "unit-row-unit-b" not in page
    article = client.get(f"/compliance/articles/10/?month={MONTH}").content.decode()
    assert 'data-testid="result-unit-a"' in article and "result-unit-b" not in article
