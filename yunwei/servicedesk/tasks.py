"""Background work of the service desk (Art. 10: 考核督办): overdue requests escalated, and requests
waiting for their requester reminded and then closed."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def escalate_overdue_requests() -> int:
    """Tell the unit's admins, then the group, of requests past their completion time."""
    return services.escalate_overdue()


@shared_task(base=YunweiTask)
def close_waiting_requests() -> list[int]:
    """Remind requesters who leave a request waiting, then close it after the type's days."""
    return list(services.close_waiting())
