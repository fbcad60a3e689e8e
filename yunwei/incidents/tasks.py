"""Background work of fault handling: the periodic re-evaluation of grades (Art. 12) and the SLA breach
warnings (Art. 13)."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def reevaluate_grades() -> int:
    """Raise the grade of every open incident that has lasted past its threshold; returns how many rose.

    Each incident is re-read and locked on its own, so two schedulers running at once raise it once.
    """
    return sum(services.reevaluate_grade(pk) for pk in services.open_incident_ids())


@shared_task(base=YunweiTask)
def warn_sla_breaches() -> int:
    """Warn of every missed acknowledge or restore deadline not yet warned of; returns how many.

    Each warning is claimed by a conditional update in its own transaction, so workers sweeping at the
    same time (or a retry of this task) warn each deadline once.
    """
    return sum(services.warn_breach(pk, deadline) for pk, deadline in services.breach_candidates())


@shared_task(base=YunweiTask)
def sweep_windows() -> int:
    """At a maintenance window's start and end, tell the items' teams; once it has ended, place again
    every signal it held back that still fails (docs/correlation.md). Returns how many were placed."""
    from .services import correlation

    now = correlation.timezone.now()
    correlation.tell_windows(now)
    return correlation.recheck_windows(now)
