"""The web app's background work: large exports written, and expired ones deleted."""

from celery import shared_task

from yunwei.core import requeue
from yunwei.core.tasks import YunweiTask

from . import export_jobs
from .models import ExportJob


@shared_task(base=YunweiTask, ignore_result=True)
def build_export(pk: int) -> None:
    """Write one export job's workbook; a failure of the export is kept on the job
    (it says why); only a failure to reach the database is retried, as for every task."""
    export_jobs.build(pk)


@shared_task(base=YunweiTask, ignore_result=True)
def expire_exports() -> int:
    return export_jobs.expire()


@shared_task(base=YunweiTask)
def requeue_exports() -> int:
    """Queue again the jobs still queued past REQUEUE_AFTER (their task lost while the broker was away);
    `build` claims a job once, so a late original does nothing. Returns how many were queued."""
    waiting = ExportJob.objects.filter(state=ExportJob.State.QUEUED, created_at__lt=requeue.waited_since())
    return requeue.queue_again(waiting, build_export)
