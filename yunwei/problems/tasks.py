"""Background work of the problem database: the escalation of overdue problems (Art. 15: 时限要求)."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def escalate_overdue_problems() -> int:
    """Tell the owners, then the system management leads, of problems past their deadline; returns how
    many escalations went out. Each level is claimed by a conditional update, so it goes out once."""
    return services.escalate_overdue()
