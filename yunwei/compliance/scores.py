"""The compliance score, computed in one place: the dashboard, the compliance pages, the API and the
monthly report all call `score_table()` (or `score()`, one cell of it).

score = (met + ½ × partly met) / applicable, per article, unit and month; "not applicable" (granted by
a group admin) leaves the duty out of both sides. A duty the group carries out for its units is judged
once on the group and counts for every unit the group serves: its result is read, never copied.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from yunwei.org.choices import UnitKind

from .choices import CarriedBy
from .models import Result
from .months import this_month


@dataclass
class Score:
    met: int = 0
    partly_met: int = 0
    not_met: int = 0
    not_applicable: int = 0

    @property
    def applicable(self) -> int:
        return self.met + self.partly_met + self.not_met

    @property
    def value(self) -> Decimal | None:
        """The score between 0 and 1, or None when nothing applies (no result, or all not applicable)."""
        if not self.applicable:
            return None
        return (Decimal(self.met) + Decimal(self.partly_met) / 2) / Decimal(self.applicable)

    @property
    def percent(self) -> int | None:
        """The score as a whole percentage, as pages show it (half rounds up)."""
        value = self.value
        return None if value is None else int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

    def add(self, outcome: str, count: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + count)


def _served_by(unit) -> int | None:
    """The group that carries out group duties for `unit`: the group itself, or the unit's parent group."""
    if unit.kind == UnitKind.GROUP:
        return unit.pk
    return unit.parent_id


def score_table(units, months) -> dict[tuple[int, str, int | None], Score]:
    """Scores of `units` over `months`, keyed (unit id, month, article) with article None for the whole
    month. Two grouped queries' worth of rows whatever the number of results."""
    units = list(units)
    months = list(months)
    groups = {_served_by(unit) for unit in units} - {None}
    rows = (
        Result.objects.filter(month__in=months)
        .filter(Q(unit__in=[u.pk for u in units]) | Q(unit__in=groups, carried_by=CarriedBy.GROUP))
        .order_by()
        .values_list("unit_id", "month", "article", "carried_by", "outcome")
        .annotate(n=Count("pk"))
    )
    own = defaultdict(list)
    by_group = defaultdict(list)
    for unit_id, month, article, carried_by, outcome, n in rows:
        own[unit_id].append((month, article, carried_by, outcome, n))
        if carried_by == CarriedBy.GROUP:
            by_group[unit_id].append((month, article, outcome, n))
    table: dict[tuple[int, str, int | None], Score] = defaultdict(Score)
    for unit in units:
        entries = [(m, a, o, n) for m, a, c, o, n in own.get(unit.pk, []) if c == CarriedBy.UNIT]
        # The group's duties count for the group and for each unit it serves, once.
        entries += by_group.get(_served_by(unit), [])
        for month, article, outcome, n in entries:
            table[(unit.pk, month, article)].add(outcome, n)
            table[(unit.pk, month, None)].add(outcome, n)
    return table


def score(unit, month: str, article: int | None = None) -> Score:
    """One unit's score for a month (and an article): a cell of `score_table`."""
    return score_table([unit], [month]).get((unit.pk, month, article), Score())


def month_scores(units, month: str | None = None) -> dict:
    """This month's score of each unit (the dashboard's card), from `score_table`."""
    month = month or this_month()
    units = list(units)
    table = score_table(units, [month])
    return {"month": month, "rows": [(unit, table.get((unit.pk, month, None), Score())) for unit in units]}
