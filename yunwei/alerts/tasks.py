"""Background work of alert intake: the stale and silence sweeps and the retention of raw payloads."""

import datetime

from celery import shared_task
from django.utils import timezone

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def sweep_stale_alerts() -> int:
    """Mark stale the firing alerts not repeated in time; returns how many changed."""
    return services.sweep_stale()


@shared_task(base=YunweiTask)
def sweep_uncorrelated_alerts() -> int:
    """Correlate the alert changes a killed worker stored but left uncorrelated (seen in the last day,
    more than two minutes ago: a request in flight is not a leftover); returns how many."""
    now = timezone.now()
    return services.sweep_uncorrelated(
        now, since=now - datetime.timedelta(days=1), before=now - datetime.timedelta(minutes=2)
    )


@shared_task(base=YunweiTask)
def sweep_silent_integrations() -> int:
    """Mark silent (and tell) the integrations gone quiet, wake those receiving again."""
    return services.sweep_silent()


@shared_task(base=YunweiTask)
def prune_payloads() -> int:
    """Delete raw payloads past their retention (and old signatures), in batches; returns rows deleted."""
    return services.prune()
