"""Background work of monitoring: the heartbeat lateness sweep and the notices of a ping's state change."""

import datetime

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services
from .models import Heartbeat
from .services import indicators, rollups


@shared_task(base=YunweiTask)
def sweep_heartbeats() -> int:
    """Mark late and down every heartbeat past its deadlines; returns how many changed.

    Each change is claimed by a conditional update, so workers sweeping at once tell of each one once.
    """
    return services.sweep()


@shared_task(base=YunweiTask)
def tell_heartbeat_state(notice_id: int, *queued_before_notices) -> bool:
    """Tell of a state change a ping made (down on a failure, up after down); False when it was told
    already (by the sweep, or an earlier delivery of this task)."""
    if queued_before_notices:  # (heartbeat id, state, at) from before the upgrade: told as it was then
        state, at = queued_before_notices
        heartbeat = Heartbeat.objects.select_related("unit", "item").filter(pk=notice_id).first()
        if heartbeat is not None:
            services.tell_state(heartbeat, state, at=datetime.datetime.fromisoformat(at))
        return heartbeat is not None
    return services.tell_change(notice_id)


@shared_task(base=YunweiTask)
def tell_untold_heartbeat_changes() -> int:
    """Tell the changes whose task was lost (the broker away when the ping came); returns how many."""
    return services.tell_untold()


@shared_task(base=YunweiTask)
def dispatch_due_checks() -> int:
    """Claim the checks due before the next tick (each once, by a conditional update) and queue their runs
    in batches; returns how many were claimed."""
    return len(services.dispatch_due())


@shared_task(base=YunweiTask)
def run_checks(batch: list) -> int:
    """Run a batch of claimed (check id, slot) pairs concurrently, each at its slot; returns the results
    stored. A retry runs only the pairs not yet recorded."""
    return len(services.run_checks(batch))


@shared_task(base=YunweiTask)
def run_check(check_id: int, slot: str | None = None) -> str | None:
    """Run one check in its slot; returns the result's status (None for a check deleted meanwhile)."""
    result = services.run_check(check_id, slot=datetime.datetime.fromisoformat(slot) if slot else None)
    return result.status if result is not None else None


@shared_task(base=YunweiTask)
def roll_up_checks() -> int:
    """Sum the last closed hours (and their days) into the checks' roll-ups; returns the rows written."""
    return rollups.roll_up()


@shared_task(base=YunweiTask)
def prune_check_results() -> int:
    """Drop raw results past 7 days and roll-ups past 2 years; returns the rows deleted."""
    return rollups.prune()


@shared_task(base=YunweiTask)
def evaluate_indicators() -> int:
    """Hold yesterday's figures to the indicators' targets and record and tell each miss once; run hourly,
    so a scheduler down at night still makes it up (a re-run adds nothing). Returns the new breaches."""
    return len(indicators.evaluate_day())
