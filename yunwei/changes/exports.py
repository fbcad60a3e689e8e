"""The change list as an .xlsx workbook (Art. 17–18): the rows the list shows, every page."""

from django.utils import timezone
from django.utils.translation import gettext as _


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _name(account) -> str:
    if account is None:
        return ""
    person = getattr(account, "person", None)
    return person.name if person else account.get_username()


def headers() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Type"),
        _("Kind"),
        _("Risk"),
        _("State"),
        _("Unit"),
        _("Requester"),
        _("Planned start"),
        _("Planned end"),
        _("Finished at"),
        _("Reason"),
        _("Implementation plan"),
        _("Rollback plan"),
    ]


WIDTHS = (12, 36, 16, 10, 8, 12, 16, 12, 17, 17, 17, 40, 48, 40)


def rows(changes):
    for change in changes.select_related("unit", "requester__person").iterator(chunk_size=2000):
        yield [
            change.code,
            change.title,
            change.get_change_type_display(),
            change.get_kind_display(),
            change.get_risk_display(),
            change.get_state_display(),
            change.unit.name,
            _name(change.requester),
            _local(change.planned_start),
            _local(change.planned_end),
            _local(change.finished_at),
            change.reason,
            change.implementation_plan,
            change.rollback_plan,
        ]
