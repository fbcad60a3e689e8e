"""The figures of a set of incidents (Art. 13; docs/correlation.md): how many faults, how long they took
to restore and how many met their deadline. False alarms are counted apart and left out of the rest."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

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
    # Restore times summed in Python over two columns: the same on SQLite and PostgreSQL.
    moments = list(restored.values_list("started_at", "restored_at")[:100_000])
    total = sum(((end - start) for start, end in moments), datetime.timedelta())
    in_time = restored.filter(
        Q(restore_due_at__isnull=True) | Q(restored_at__lte=F("restore_due_at"))
    ).count()
    return Figures(
        incidents=totals["incidents"],
        false_alarms=totals["false_alarms"],
        restored=len(moments),
        mean_restore=total / len(moments) if moments else None,
        restored_in_time=in_time,
    )
