"""Background work of the monthly report (Art. 6): a report generated in the worker, and a signed report's
files rendered once from what was signed."""

from celery import shared_task
from django.conf import settings

from yunwei.core import requeue
from yunwei.core.tasks import YunweiTask

from . import services

# A report waiting for a render slot asks again after this many seconds.
WAIT_SECONDS = 10


@shared_task(
    base=YunweiTask,
    # The service bounds its own steps by the limit; the worker's hard limit is the net under it.
    soft_time_limit=settings.REPORT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT + services.HARD_LIMIT_MARGIN,
)
def generate_report(report_id: int) -> str:
    """Generate a queued report; when every render slot is taken, wait in the queue and ask again."""
    outcome = services.execute(report_id)
    if outcome == "waiting":
        generate_report.apply_async((report_id,), countdown=WAIT_SECONDS)
    return outcome


@shared_task(
    base=YunweiTask,
    soft_time_limit=settings.REPORT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT + services.HARD_LIMIT_MARGIN,
)
def render_signed_files(report_id: int) -> int:
    return services.render_signed_files(report_id)


@shared_task(base=YunweiTask)
def requeue_reports() -> int:
    """Queue again the generations and signed files no task took up past REQUEUE_AFTER (lost while the
    broker was away); both claim their work once. Returns how many were queued."""
    since = requeue.waited_since()
    return requeue.queue_again(services.waiting_generations(since), generate_report) + requeue.queue_again(
        services.waiting_signed_files(since), render_signed_files
    )
