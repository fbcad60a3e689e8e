"""The report's pages and API: the archive and the report page in both languages, bad input answering 400
naming the field (never a 500, nothing written), 409 for a second generation, downloads, the template page
for group admins only, and the one compliance score shown alike by the compliance page, the dashboard and
the report."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from yunwei.compliance.models import Result
from yunwei.incidents.models import Incident
from yunwei.reports import services
from yunwei.reports.models import Report

from ..conftest import PASSWORD
from .conftest import FEBRUARY, NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_a(unit_a, lead_a):
    return services.open_report(unit_a, "2026-02", actor=lead_a)


def test_a_malformed_or_future_month_answers_400_naming_month(lead_a, unit_a, api_client_for, client):
    http = api_client_for(lead_a)
    for bad in ("2026-13", "二月", "2026-04"):
        response = http.post("/api/reports/reports/open/", {"unit": unit_a.pk, "month": bad}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "month", bad
        assert http.get("/api/reports/reports/", {"month": bad}).json()["field"] == "month"
    client.force_login(lead_a)
    response = client.post(
        reverse("reports:open"), {"unit": unit_a.pk, "month": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "YYYY-MM" in response.content.decode()
    assert not Report.objects.exists()


def test_another_units_unit_is_refused_as_missing(lead_a, unit_b, api_client_for, client):
    response = api_client_for(lead_a).post(
        "/api/reports/reports/open/", {"unit": unit_b.pk, "month": "2026-02"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "unit"
    client.force_login(lead_a)
    assert client.post(reverse("reports:open"), {"unit": unit_b.pk, "month": "2026-02"}).status_code == 400
    assert not Report.objects.exists()


def test_the_group_report_is_in_no_units_list(unit_a, group_admin, lead_a, api_client_for):
    group_report = services.open_report(None, "2026-02", actor=group_admin)
    listed = api_client_for(lead_a).get("/api/reports/reports/").json()["results"]
    assert group_report.pk not in {row["id"] for row in listed}
    assert api_client_for(lead_a).get(f"/api/reports/reports/{group_report.pk}/").status_code == 404
    assert api_client_for(group_admin).get(f"/api/reports/reports/{group_report.pk}/").status_code == 200


def test_the_api_flow_generate_write_sign_download(
    draft_a, lead_a, unit_a, api_client_for, django_capture_on_commit_callbacks
):
    http = api_client_for(lead_a)
    http.credentials(HTTP_ACCEPT_LANGUAGE="en")
    url = f"/api/reports/reports/{draft_a.pk}/"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert http.post(url + "generate/", {}, format="json").status_code == 202
        # Asked twice while the first one runs: 409 naming the cause.
        second = http.post(url + "generate/", {}, format="json")
    assert second.status_code == 409 and "being generated already" in second.json()["detail"]
    assert second.json()["field"] == "state"
    assert http.get(url + "progress/").json()["state"] == "generating"
    for callback in queued:
        callback()
    body = http.get(url).json()
    assert body["state"] == "ready" and body["progress"] == 100
    stale = http.post(
        url + "text/", {"analysis": "旧", "plan": "", "version": body["version"] - 1}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    missing_version = http.post(url + "text/", {"analysis": "无版本"}, format="json")
    assert missing_version.status_code == 400 and missing_version.json()["field"] == "version"
    saved = http.post(
        url + "text/", {"analysis": "平稳", "plan": "升级", "version": body["version"]}, format="json"
    )
    assert saved.status_code == 200 and saved.json()["analysis"] == "平稳"
    wrong = http.post(url + "sign/", {"password": "wrong"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "password"
    assert http.get(url).json()["state"] == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        signed = http.post(url + "sign/", {"password": PASSWORD}, format="json")
    assert signed.status_code == 200 and signed.json()["state"] == "signed"
    for fmt, magic in (("docx", b"PK"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = http.get(url + f"download/{fmt}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(magic)


def test_a_draft_has_no_files_yet(draft_a, lead_a, api_client_for):
    response = api_client_for(lead_a).get(f"/api/reports/reports/{draft_a.pk}/download/pdf/")
    assert response.status_code == 409 and response.json()["field"] == "state"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_show_in_both_languages(draft_a, lead_a, client, language):
    client.force_login(lead_a)
    client.cookies["django_language"] = language
    archive = client.get(reverse("reports:archive"), HTTP_ACCEPT_LANGUAGE=language)
    assert archive.status_code == 200 and draft_a.code in archive.content.decode()
    page = client.get(
        reverse("reports:detail", args=[draft_a.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert ("月度运维分析报告" if language == "zh-hans" else "Monthly report of") in page
    assert "<script>" not in page and " onclick=" not in page


def test_the_template_page_is_the_group_admins(group_admin, unit_admin_a, client):
    client.force_login(unit_admin_a)
    assert client.get(reverse("reports:templates")).status_code == 403
    client.force_login(group_admin)
    assert client.get(reverse("reports:templates")).status_code == 200
    response = client.post(
        reverse("reports:templates"), {"file": _upload("模板.txt", b"text")}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and ".docx" in response.content.decode()


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_compliance_page_the_dashboard_and_the_report_show_the_same_score(
    unit_a, group_admin, lead_a, client, django_capture_on_commit_callbacks
):
    for n, outcome in enumerate(["met", "partly_met", "not_met", "met"]):
        Result.objects.create(
            unit=unit_a,
            month="2026-03",
            article=12,
            duty=f"d{n}",
            duty_version=1,
            carried_by="unit",
            judged=outcome,
            outcome=outcome,
            checked=1,
            failing=0,
            judged_at=NOW,
        )
    Incident.objects.create(
        unit=unit_a,
        title="甲故障",
        impact_scope="one_unit",
        started_at=at(FEBRUARY),
        reported_at=NOW,
        grade="III",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-03", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    client.force_login(group_admin)
    with translation.override("en"):
        compliance = client.get(reverse("compliance:overview"), {"month": "2026-03"}).content.decode()
        dashboard = client.get(reverse("web:dashboard")).content.decode()
        page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()

    def score(html, testid):
        found = re.search(rf'data-testid="{testid}"[^>]*>\s*(\d+)%', html)
        return int(found.group(1))

    in_report = report.figures["compliance"]["percent"]
    assert in_report == 63  # (2 + ½) / 4, half up
    assert score(compliance, "score-unit-a") == score(dashboard, "dashboard-score-unit-a") == in_report
    assert f"{in_report}%" in page
