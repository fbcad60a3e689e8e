"""Background work of change management: reminding approvers of emergency changes (Art. 17)."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def remind_overdue_approvals() -> int:
    """Tell the approvers of emergency changes whose approval is past due; returns how many."""
    return services.remind_overdue_approvals()
