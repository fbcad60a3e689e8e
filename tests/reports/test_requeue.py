"""Reports whose task was lost (the broker away when it was queued, issue 27): the generation and the
signed report's files are taken up again by the sweep past REQUEUE_AFTER, not before, and once only."""

import datetime

import pytest
import time_machine

from yunwei.reports import services, tasks
from yunwei.reports.models import RenderSlot, Report, ReportFile

from ..conftest import PASSWORD
from .conftest import NOW

pytestmark = pytest.mark.django_db


def _at(minutes: int):
    return time_machine.travel(NOW + datetime.timedelta(minutes=minutes), tick=False)


def _files(report) -> dict:
    return {f.format: (f.pk, f.sha256) for f in ReportFile.objects.filter(report=report)}


def test_a_generation_whose_task_was_lost_is_queued_again_past_the_grace_and_runs_once(unit_a, lead_a):
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    services.request_generation(report, actor=lead_a)  # its on_commit task never runs: lost
    with _at(1):
        assert tasks.requeue_reports() == 0
    assert Report.objects.get(pk=report.pk).state == "generating"
    with _at(3):
        assert tasks.requeue_reports() == 1  # eager: generated here
    report.refresh_from_db()
    assert report.state == "ready" and set(_files(report)) == {"docx", "pdf", "xlsx"}
    files, version = _files(report), report.version
    with _at(5):
        assert tasks.requeue_reports() == 0
        assert tasks.generate_report(report.pk) == "gone"  # the original, arriving late
    report.refresh_from_db()
    assert (_files(report), report.version, report.events.filter(to_state="ready").count()) == (
        files,
        version,
        1,
    )


def test_a_generation_already_taken_up_by_a_task_is_not_run_by_a_second(unit_a, lead_a):
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    services.request_generation(report, actor=lead_a)
    Report.objects.filter(pk=report.pk).update(started_at=NOW)  # a worker is generating it
    assert services.execute(report.pk) == "gone"
    assert Report.objects.get(pk=report.pk).state == "generating" and not _files(report)
    assert not RenderSlot.objects.filter(report__isnull=False).exists()  # the slot is given back


def test_a_generation_waiting_for_a_render_slot_is_left_to_its_own_task(unit_a, lead_a, settings):
    settings.REPORT_RENDERS = 1
    busy = services.open_report(unit_a, "2026-01", actor=lead_a)
    RenderSlot.objects.create(pk=1, report=busy, taken_at=NOW)
    report = services.open_report(unit_a, "2026-02", actor=lead_a)
    services.request_generation(report, actor=lead_a)
    with _at(3):
        assert services.execute(report.pk) == "waiting"  # the task asks again in a few seconds
    with _at(4):
        assert tasks.requeue_reports() == 0
    assert Report.objects.get(pk=report.pk).started_at is None


def test_signed_files_whose_task_was_lost_are_rendered_once_by_the_sweep(
    unit_a, lead_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-02", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    signed = services.sign(report, actor=lead_a, password=PASSWORD)  # its files' task never runs: lost
    assert _files(signed) == {}  # the files made before the signature are dropped
    with _at(1):
        assert tasks.requeue_reports() == 0
    with _at(3):
        assert tasks.requeue_reports() == 1
    files = _files(signed)
    assert set(files) == {"docx", "pdf", "xlsx"}
    with _at(5):
        assert tasks.requeue_reports() == 0
        assert tasks.render_signed_files(signed.pk) == 0  # the original, arriving late
    assert _files(signed) == files


def test_signed_files_already_taken_up_by_a_task_are_not_rendered_by_a_second(
    unit_a, lead_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-02", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    signed = services.sign(report, actor=lead_a, password=PASSWORD)
    Report.objects.filter(pk=signed.pk).update(files_taken_at=NOW)  # a worker is rendering them
    with _at(3):
        assert tasks.requeue_reports() == 0
        assert tasks.render_signed_files(signed.pk) == 0
    assert _files(signed) == {}


def test_signed_files_whose_rendering_failed_are_given_back_for_the_retry(
    unit_a, lead_a, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.open_report(unit_a, "2026-02", actor=lead_a)
        services.request_generation(report, actor=lead_a)
    report.refresh_from_db()
    signed = services.sign(report, actor=lead_a, password=PASSWORD)
    render = services._render

    def broken(report, fmt):
        raise OSError("disk full")

    monkeypatch.setattr(services, "_render", broken)
    with pytest.raises(OSError):
        services.render_signed_files(signed.pk)
    assert Report.objects.get(pk=signed.pk).files_taken_at is None
    monkeypatch.setattr(services, "_render", render)
    assert services.render_signed_files(signed.pk) == 3
