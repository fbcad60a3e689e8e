"""Background work of alert intake: the stale and silence sweeps and the retention of raw payloads."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def sweep_stale_alerts() -> int:
    """Mark stale the firing alerts not repeated in time; returns how many changed."""
    return services.sweep_stale()


@shared_task(base=YunweiTask)
def sweep_silent_integrations() -> int:
    """Mark silent (and tell) the integrations gone quiet, wake those receiving again."""
    return services.sweep_silent()


@shared_task(base=YunweiTask)
def prune_payloads() -> int:
    """Delete raw payloads past their retention (and old signatures), in batches; returns rows deleted."""
    return services.prune()
