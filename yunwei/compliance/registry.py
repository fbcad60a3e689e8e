"""The duty registry: every duty of the regulation the product judges, with its article, who carries it
out and the version of its rule.

A result keeps the `version` of the duty it was judged against; raising a duty's version (when its rule
changes) leaves the months already ended as they were judged (`services.judge`). Adding a duty is one
check function in `checks.py` and one entry below.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import checks
from .choices import CarriedBy


@dataclass(frozen=True)
class Duty:
    code: str
    article: int
    title: Promise
    check: Callable[[checks.Context], dict]
    version: int = 1
    carried_by: str = CarriedBy.UNIT
    # Judged for the group's own records too, or only for member units (Art. 10 names the units' people).
    units_only: bool = False

    @property
    def carried_by_label(self) -> str:
        return str(CarriedBy(self.carried_by).label)


DUTIES: tuple[Duty, ...] = (
    Duty(
        "art3-indicators",
        3,
        _("The running indicators of the unit's items are met"),
        checks.indicators_met,
    ),
    Duty(
        "art3-group-indicators",
        3,
        _("The running indicators of the systems the group runs for its units are met"),
        checks.indicators_met,
        carried_by=CarriedBy.GROUP,
    ),
    Duty(
        "art5-review",
        5,
        _("The system management lead signs the month's review of the three logs by its due day"),
        checks.review_signed,
    ),
    Duty(
        "art9-backups",
        9,
        _("The unit's backup jobs left evidence on every day they were due"),
        checks.backups_evidenced,
    ),
    Duty(
        "art9-group-backups",
        9,
        _("The backup jobs the group runs for its units left evidence on every day they were due"),
        checks.backups_evidenced,
        carried_by=CarriedBy.GROUP,
    ),
    Duty(
        "art9-restore-drill",
        9,
        _("The unit's backups were proved by a restore drill within its period"),
        checks.restore_drilled,
    ),
    Duty(
        "art9-group-restore-drill",
        9,
        _("The backups the group runs for its units were proved by a restore drill within its period"),
        checks.restore_drilled,
        carried_by=CarriedBy.GROUP,
    ),
    Duty(
        "art10-people",
        10,
        _("The unit names its leader in charge, a system admin and a clerk"),
        checks.unit_roles_named,
        units_only=True,
    ),
    Duty(
        "art11-unmasking", 11, _("Every un-masking of personal data is recorded"), checks.unmasking_recorded
    ),
    Duty(
        "art12-grading",
        12,
        _("Every incident is graded by the matrix; a grade set by hand has its reason"),
        checks.incidents_graded,
    ),
    Duty(
        "art13-severe",
        13,
        _(
            "Every closed grade-Ⅱ incident had its leader report, its suspension notice where the plan "
            "requires one, its recovery notice and a passed verification"
        ),
        checks.severe_incidents_handled,
    ),
    Duty(
        "art15-escalated",
        15,
        _("No problem is past its deadline without escalation"),
        checks.problems_escalated,
    ),
    Duty(
        "art16-verified",
        16,
        _("Every archived problem was verified by a group system admin other than its owner"),
        checks.problems_verified,
    ),
    Duty(
        "art18-changes",
        18,
        _(
            "Every finished change was approved (an emergency one within 24 hours), had a rollback plan "
            "and a review"
        ),
        checks.changes_controlled,
    ),
)
BY_CODE: dict[str, Duty] = {duty.code: duty for duty in DUTIES}


def duties_of(article: int) -> list[Duty]:
    return [duty for duty in DUTIES if duty.article == article]


def articles() -> list[int]:
    """The articles with at least one duty judged."""
    return sorted({duty.article for duty in DUTIES})
