"""Background work of the log books (Art. 5): months past their review day told to the leads, and overdue
rectifications escalated as problems are."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def sweep_overdue() -> int:
    """Tell the leads of months not signed by their day, and the owners, then the leads, of rectifications
    past their deadline; returns how many notices went out. Each is claimed by a conditional update."""
    return services.sweep_overdue_reviews() + services.escalate_overdue()
