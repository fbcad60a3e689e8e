"""Background work of alert intake: correlation of what intake stored, the stale and silence sweeps and the
retention of raw payloads."""

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
def correlate_alerts() -> int:
    """Drain the correlation outbox: the alert changes intake stored; returns how many were correlated."""
    return services.correlate_pending()


@shared_task(base=YunweiTask)
def link_alert_incidents() -> int:
    """Point the alerts of the last day at the incident their signal is in now (a window's end, an
    adoption by the root's incident); returns how many links changed."""
    return services.link_incidents(since=timezone.now() - datetime.timedelta(days=1))


@shared_task(base=YunweiTask)
def sweep_silent_integrations() -> int:
    """Mark silent (and tell) the integrations gone quiet, wake those receiving again."""
    return services.sweep_silent()


@shared_task(base=YunweiTask)
def prune_payloads() -> int:
    """Delete raw payloads past their retention (and old signatures), in batches; returns rows deleted."""
    return services.prune()
