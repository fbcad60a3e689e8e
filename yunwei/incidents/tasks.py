"""Background work of fault handling: the periodic re-evaluation of grades (Art. 12)."""

from celery import shared_task

from yunwei.core.tasks import YunweiTask

from . import services


@shared_task(base=YunweiTask)
def reevaluate_grades() -> int:
    """Raise the grade of every open incident that has lasted past its threshold; returns how many rose.

    Each incident is re-read and locked on its own, so two schedulers running at once raise it once.
    """
    return sum(services.reevaluate_grade(pk) for pk in services.open_incident_ids())
