"""The web app's background work: large exports written, and expired ones deleted."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import export_jobs


@shared_task(base=YunweiTask, ignore_result=True)
def build_export(pk: int) -> None:
    """Write one export job's workbook; a failure of the export is kept on the job
    (it says why); only a failure to reach the database is retried, as for every task."""
    export_jobs.build(pk)


@shared_task(base=YunweiTask, ignore_result=True)
def expire_exports() -> int:
    return export_jobs.expire()
