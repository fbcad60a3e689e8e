"""Work committed whose task never came: queued again.

A write commits its row and then queues the task in `on_commit`; with the broker away that enqueue fails
(logged) and nothing would run the work. The row is the record of the work, so a periodic sweep finds what
is still waiting past `REQUEUE_AFTER` and queues it again. Every task claims its row with a conditional
update, so a second delivery (the sweep's and a late original) does nothing more.
"""

import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

# A sweep queues at most this many at once; the next beat takes the rest.
BATCH = 500


def waited_since(now: datetime.datetime | None = None) -> datetime.datetime:
    """Work committed before this moment and not taken up yet is queued again."""
    return (now or timezone.now()) - settings.REQUEUE_AFTER


def queue_again(waiting: QuerySet, task) -> int:
    """Queue `task` again for each row of `waiting` (oldest first); returns how many."""
    ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:BATCH])
    for pk in ids:
        task.delay(pk)
    return len(ids)
