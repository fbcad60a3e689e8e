"""Background work of compliance: a run judged in the worker, and the nightly runs."""

from celery import shared_task

from yunwei.core import requeue
from yunwei.core.tasks import YunweiTask

from . import judging
from .choices import RunState
from .models import ComplianceRun


@shared_task(base=YunweiTask)
def run_compliance(run_id: int) -> bool:
    """Judge a queued run; quietly nothing when it is gone or already taken."""
    return judging.execute(run_id) is not None


@shared_task(base=YunweiTask)
def nightly_compliance() -> int:
    """Claim tonight's runs (once, whatever the number of beats or workers) and judge them; the beat
    comes hourly so a night the scheduler was down is made up. Returns how many runs were judged."""
    runs = judging.claim_nightly()
    for run in runs:
        judging.execute(run.pk)
    return len(runs)


@shared_task(base=YunweiTask)
def requeue_compliance_runs() -> int:
    """Queue again the runs still queued past REQUEUE_AFTER (their task lost while the broker was away);
    `execute` claims a run once, so a late original does nothing. Returns how many were queued."""
    waiting = ComplianceRun.objects.filter(state=RunState.QUEUED, created_at__lt=requeue.waited_since())
    return requeue.queue_again(waiting, run_compliance)
