"""The shared Celery task base and the worker heartbeat (Art. 3: the background machinery runs)."""

import datetime
import os
import socket

from celery import Task, shared_task
from django.utils import timezone

from .models import SchedulerHeartbeat, WorkerHeartbeat

# Heartbeats older than this are pruned by the heartbeat task itself, so the tables stay small.
HEARTBEAT_RETENTION = datetime.timedelta(days=1)


class YunweiTask(Task):
    """Base of every Yunwei task: a failure is retried with exponential backoff and jitter.

    Jitter spreads the retries of many tasks that failed together (a database restart, say), so they
    do not all come back in the same second. Tasks must therefore be safe to run twice.
    """

    autoretry_for = (Exception,)
    max_retries = 5
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True


@shared_task(base=YunweiTask, bind=True)
def record_worker_heartbeat(self, token: str = "") -> int:
    """Leave a mark saying which worker ran this and when; returns the new row's id.

    `request.hostname` is the worker's node name (`celery@host`); run outside a worker it is empty
    and the machine's name stands in. The scheduler writes its own heartbeat when it sends this task
    (`yunwei.core.beat.Scheduler`); this row says a worker ran it. Both kinds older than
    HEARTBEAT_RETENTION are deleted here.
    """
    now = timezone.now()
    heartbeat = WorkerHeartbeat.objects.create(
        hostname=self.request.hostname or socket.gethostname(),
        pid=os.getpid(),
        token=token,
        at=now,
    )
    prune_heartbeats(now)
    return heartbeat.pk


def prune_heartbeats(now: datetime.datetime) -> int:
    """Delete the worker and scheduler heartbeats older than HEARTBEAT_RETENTION; returns how many."""
    cutoff = now - HEARTBEAT_RETENTION
    deleted, _ = WorkerHeartbeat.objects.filter(at__lt=cutoff).delete()
    deleted_ticks, _ = SchedulerHeartbeat.objects.filter(at__lt=cutoff).delete()
    return deleted + deleted_ticks
