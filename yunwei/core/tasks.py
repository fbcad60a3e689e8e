"""The shared Celery task base and the worker heartbeat (Art. 3: the background machinery runs)."""

import os
import socket

from celery import Task, shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


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
    and the machine's name stands in.
    """
    heartbeat = WorkerHeartbeat.objects.create(
        hostname=self.request.hostname or socket.gethostname(),
        pid=os.getpid(),
        token=token,
        at=timezone.now(),
    )
    return heartbeat.pk
