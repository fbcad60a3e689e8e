"""Background work of monitoring: the heartbeat lateness sweep and the notices of a ping's state change."""

import datetime

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services
from .models import Heartbeat


@shared_task(base=YunweiTask)
def sweep_heartbeats() -> int:
    """Mark late and down every heartbeat past its deadlines; returns how many changed.

    Each change is claimed by a conditional update, so workers sweeping at once tell of each one once.
    """
    return services.sweep()


@shared_task(base=YunweiTask)
def tell_heartbeat_state(heartbeat_id: int, state: str, at: str) -> int:
    """Tell of a state change a ping made (down on a failure, up after down); returns the deliveries.

    The notice's event key names the moment, so a retry of this task sends nothing twice."""
    heartbeat = Heartbeat.objects.select_related("unit", "item").filter(pk=heartbeat_id).first()
    if heartbeat is None:
        return 0
    return len(services.tell_state(heartbeat, state, at=datetime.datetime.fromisoformat(at)))
