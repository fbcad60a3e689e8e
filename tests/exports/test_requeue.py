"""An export job whose task was lost (the broker away when it was queued, issue 27) is queued again by
the sweep past REQUEUE_AFTER, not before, and its workbook written once."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.web import export_jobs, tasks
from yunwei.web.models import ExportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.EXPORT_JOB_DIR = tmp_path / "exports"


def test_a_job_whose_task_was_lost_is_queued_again_past_the_grace_and_built_once(
    unit_admin_a, incidents_ab, settings
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        job = export_jobs.start(kind="incidents", actor=unit_admin_a, query="")  # its task never runs
        clock.shift(datetime.timedelta(minutes=1))
        assert tasks.requeue_exports() == 0
        assert ExportJob.objects.get(pk=job.pk).state == "queued"
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.requeue_exports() == 1  # eager: built here
        job.refresh_from_db()
        assert (job.state, job.written) == ("done", 5), job.error
        built = (job.file_name, job.sha256, job.finished_at)
        clock.shift(datetime.timedelta(minutes=2))
        assert tasks.requeue_exports() == 0
        tasks.build_export(job.pk)  # the original, arriving late
    job.refresh_from_db()
    assert (job.file_name, job.sha256, job.finished_at) == built
    assert [p.name for p in settings.EXPORT_JOB_DIR.iterdir()] == [job.file_name]
