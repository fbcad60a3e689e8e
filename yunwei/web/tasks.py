"""The web app's background work: large exports written, and expired ones deleted."""

from celery import shared_task

from . import export_jobs


@shared_task(ignore_result=True)
def build_export(pk: int) -> None:
    """Write one export job's workbook; a failure is kept on the job (not retried: it says why)."""
    export_jobs.build(pk)


@shared_task(ignore_result=True)
def expire_exports() -> int:
    return export_jobs.expire()
