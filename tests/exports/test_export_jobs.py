"""Large exports built in the background (issue 25): past the threshold the list's export becomes a job
whose workbook holds exactly the scoped list's rows; only its owner sees it or downloads it; it keeps who
asked, the filter, the row count and the file's SHA-256; it expires (file deleted); a failure says why."""

import datetime
import hashlib
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yunwei.incidents.models import Incident
from yunwei.org.choices import Role
from yunwei.web import export_jobs
from yunwei.web.models import ExportJob

from ..conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.EXPORT_JOB_ROWS = 2
    settings.EXPORT_JOB_DIR = tmp_path / "exports"


def _ask(client, user, url, query, capture):
    """Ask for the export as the page's link does; the worker runs once the request's records commit."""
    client.force_login(user)
    with capture(execute=True):
        response = client.get(url, query)
    assert response.status_code == 302, response.status_code
    job = ExportJob.objects.get(owner=user)
    assert response["Location"] == reverse("web:export-job", args=[job.pk])
    job.refresh_from_db()
    return job


def _workbook(response):
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return data, load_workbook(io.BytesIO(data)).active


def _codes(ws) -> list:
    return [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]


def test_a_large_export_is_a_job_whose_file_holds_exactly_the_scoped_lists_rows(
    client, unit_a, unit_admin_a, incidents_ab, django_capture_on_commit_callbacks
):
    job = _ask(client, unit_admin_a, "/incidents/export/", {}, django_capture_on_commit_callbacks)
    expected = {incident.code for incident in Incident.objects.filter(unit=unit_a)}
    assert len(expected) == 5
    assert job.state == "done", job.error
    assert (job.kind, job.query, job.unit_id, job.total, job.written) == ("incidents", "", unit_a.pk, 5, 5)

    data, ws = _workbook(client.get(reverse("web:export-job-download", args=[job.pk])))
    assert set(_codes(ws)) == expected and len(_codes(ws)) == 5
    assert incidents_ab["b"].code not in _codes(ws)
    assert hashlib.sha256(data).hexdigest() == job.sha256 and len(data) == job.size

    status = client.get(reverse("web:export-job-status", args=[job.pk])).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["download_url"] == reverse("web:export-job-download", args=[job.pk])
    page = client.get(reverse("web:export-job", args=[job.pk])).content.decode()
    assert 'data-testid="export-download"' in page and job.sha256 in page
    assert "web/export_job.js" in page and "<script>" not in page


def test_the_job_follows_the_lists_filter_and_the_group_sees_both_units(
    client, settings, group_admin, incidents_ab, django_capture_on_commit_callbacks
):
    settings.EXPORT_JOB_ROWS = 1
    job = _ask(client, group_admin, "/incidents/export/", {"q": "单位"}, django_capture_on_commit_callbacks)
    assert job.query == "q=%E5%8D%95%E4%BD%8D"
    _data, ws = _workbook(client.get(reverse("web:export-job-download", args=[job.pk])))
    # The search matches the two titles with 单位, one of each unit; the list shows the same two.
    listed = {i.code for i in client.get("/incidents/", {"q": "单位"}).context["page_obj"]}
    assert set(_codes(ws)) == listed == {incidents_ab["a"][0].code, incidents_ab["b"].code}


def test_a_small_export_still_streams_at_once(client, settings, unit_admin_a, incidents_ab):
    settings.EXPORT_JOB_ROWS = 5
    client.force_login(unit_admin_a)
    _data, ws = _workbook(client.get("/incidents/export/"))
    assert len(_codes(ws)) == 5
    assert not ExportJob.objects.exists()


def test_only_the_owner_sees_the_job_or_its_file(
    client, unit_a, unit_admin_a, unit_admin_b, group_admin, incidents_ab, django_capture_on_commit_callbacks
):
    job = _ask(client, unit_admin_a, "/incidents/export/", {}, django_capture_on_commit_callbacks)
    colleague = make_user("a-admin-2", unit_a, Role.UNIT_ADMIN)
    for other in (colleague, unit_admin_b, group_admin):
        client.force_login(other)
        for route in ("web:export-job", "web:export-job-status", "web:export-job-download"):
            assert client.get(reverse(route, args=[job.pk])).status_code == 404, (other, route)


def test_an_expired_job_loses_its_file(
    client, unit_admin_a, incidents_ab, settings, django_capture_on_commit_callbacks
):
    job = _ask(client, unit_admin_a, "/incidents/export/", {}, django_capture_on_commit_callbacks)
    path = export_jobs.export_dir() / job.file_name
    assert path.is_file()
    assert export_jobs.expire(now=timezone.now()) == 0  # kept for its time
    later = timezone.now() + settings.EXPORT_JOB_KEEP + datetime.timedelta(minutes=1)
    with time_machine.travel(later):
        assert export_jobs.expire() == 1
        assert export_jobs.expire() == 0
    job.refresh_from_db()
    assert job.state == "expired" and job.file_name == "" and not path.exists()
    assert client.get(reverse("web:export-job-download", args=[job.pk])).status_code == 404
    assert "expired" in client.get(reverse("web:export-job", args=[job.pk])).content.decode()


def test_a_failed_job_says_why(client, group_admin, incidents_ab, django_capture_on_commit_callbacks):
    client.force_login(group_admin)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.start(kind="audit", actor=group_admin, query="unit_id=x")
    job.refresh_from_db()
    assert job.state == "failed" and "unit_id" in job.error
    assert not list(export_jobs.export_dir().glob("*"))  # no partial file left
    status = client.get(reverse("web:export-job-status", args=[job.pk])).json()
    assert status["state"] == "failed" and "unit_id" in status["error"] and status["download_url"] == ""
    assert client.get(reverse("web:export-job-download", args=[job.pk])).status_code == 404


def test_an_owner_who_lost_the_list_gets_a_failure_not_the_rows(
    client, group_admin, incidents_ab, django_capture_on_commit_callbacks
):
    viewer = make_user("auditor", group_admin.person.unit, Role.GROUP_ADMIN)
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get("/audit/export/")
    assert response.status_code == 302
    viewer.person.role_assignments.all().delete()
    for callback in callbacks:
        callback()
    job = ExportJob.objects.get(owner=viewer)
    assert job.state == "failed" and job.error == "The list is not open to you any more."
    assert not job.file_name


def test_a_job_is_built_once(client, unit_admin_a, incidents_ab, django_capture_on_commit_callbacks):
    job = _ask(client, unit_admin_a, "/incidents/export/", {}, django_capture_on_commit_callbacks)
    assert export_jobs.build(job.pk) is None  # a second delivery finds it claimed
    assert len(list(export_jobs.export_dir().glob("*.xlsx"))) == 1
