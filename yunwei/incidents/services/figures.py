"""The figures of a set of incidents (Art. 13; docs/correlation.md): how many faults, how long they took
to restore and how many met their deadline. False alarms are counted apart and left out of the rest."""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from ..choices import ClosedAs
from ..models import counted_q


@dataclass(frozen=True)
class Figures:
    incidents: int
    false_alarms: int
    restored: int
    mean_restore: datetime.timedelta | None
    restored_in_time: int

    @property
    def compliance(self) -> float | None:
        """Share of the restored faults restored by their deadline (None when none was restored)."""
        return self.restored_in_time / self.restored if self.restored else None

    @property
    def compliance_percent(self) -> int | None:
        return None if self.compliance is None else round(self.compliance * 100)

    @property
    def mean_restore_minutes(self) -> int | None:
        return None if self.mean_restore is None else int(self.mean_restore.total_seconds() // 60)


def figures(incidents: QuerySet) -> Figures:
    """Counts over the (already scoped and filtered) incidents, false alarms apart."""
    totals = incidents.aggregate(
        false_alarms=Count("pk", filter=Q(closed_as=ClosedAs.FALSE_ALARM)),
        incidents=Count("pk", filter=counted_q()),
    )
    restored = incidents.filter(counted_q(), restored_at__isnull=False)
    # One aggregate in the database (SQLite and PostgreSQL alike): the list polls, at any size.
    restore = ExpressionWrapper(F("restored_at") - F("started_at"), output_field=DurationField())
    in_time = Q(restore_due_at__isnull=True) | Q(restored_at__lte=F("restore_due_at"))
    moments = restored.aggregate(count=Count("pk"), mean=Avg(restore), in_time=Count("pk", filter=in_time))
    return Figures(
        incidents=totals["incidents"],
        false_alarms=totals["false_alarms"],
        restored=moments["count"],
        mean_restore=moments["mean"],
        restored_in_time=moments["in_time"],
    )
