"""Background work of notify: deliver one delivery; sweep up what is due or was left behind."""

from celery import shared_task
from django.utils import timezone

from yunwei.core.tasks import YunweiTask

from . import delivery


@shared_task(base=YunweiTask)
def deliver(delivery_id: int) -> None:
    """Send one delivery if it is still pending and due; the row records the outcome."""
    delivery.process(delivery_id)


@shared_task(base=YunweiTask)
def sweep_deliveries() -> int:
    """Every minute: release rows of killed workers, then queue every delivery that is due."""
    now = timezone.now()
    delivery.release_stuck(now)
    ids = delivery.due(now)
    for pk in ids:
        deliver.delay(pk)
    return len(ids)
