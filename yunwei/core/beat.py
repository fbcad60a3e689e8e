"""The Celery beat scheduler of Yunwei: Celery's own, leaving its heartbeat as it sends the worker's.

Why here: the scheduler's heartbeat must come from the scheduler's process, or a dead worker would look
like a dead scheduler (nothing would run the task that wrote it). `apply_entry` runs in beat (embedded
`worker -B` or `yunwei scheduler`) exactly when an entry is due, so the row written there says "the
scheduler ticked", and the row the task writes on a worker says "a worker ran a task". No extra
process, no signal that also fires in the web process (`before_task_publish` would).
"""

import logging
import os
import socket

from celery.beat import PersistentScheduler
from django.db import close_old_connections, connection
from django.utils import timezone

log = logging.getLogger(__name__)

HEARTBEAT_TASK = "yunwei.core.tasks.record_worker_heartbeat"


def record_tick() -> int:
    """Write the scheduler's heartbeat; returns the new row's id."""
    from .models import SchedulerHeartbeat

    return SchedulerHeartbeat.objects.create(
        hostname=socket.gethostname(), pid=os.getpid(), at=timezone.now()
    ).pk


class Scheduler(PersistentScheduler):
    def apply_entry(self, entry, producer=None):
        if entry.task == HEARTBEAT_TASK:
            try:
                if not connection.in_atomic_block:
                    # No request cycle in beat: drop a connection that broke or aged out, as a request would.
                    close_old_connections()
                record_tick()
            except Exception:  # noqa: BLE001 - the scheduler keeps sending even when the database is away
                log.exception("the scheduler could not write its heartbeat")
        return super().apply_entry(entry, producer=producer)
