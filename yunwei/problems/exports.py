"""The problem database's list as an .xlsx workbook (Art. 14–16): the rows the list shows, every page."""

from django.utils import timezone
from django.utils.translation import gettext as _


def _date(value) -> str:
    if value is None:
        return ""
    return (timezone.localtime(value) if hasattr(value, "hour") else value).strftime("%Y-%m-%d")


def headers() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("State"),
        _("Nature"),
        _("Priority"),
        _("Unit"),
        _("Owner"),
        _("Deadline"),
        _("Registered at"),
        _("Solved at"),
        _("Archived at"),
        _("Description"),
        _("Proposed solution"),
        _("Workaround"),
    ]


WIDTHS = (12, 36, 12, 12, 10, 16, 12, 12, 12, 12, 12, 48, 48, 48)


def rows(problems):
    for problem in problems.select_related("unit", "owner").iterator(chunk_size=2000):
        yield [
            problem.code,
            problem.title,
            problem.get_state_display(),
            problem.get_nature_display(),
            problem.get_priority_display(),
            problem.unit.name,
            problem.owner.name if problem.owner else "",
            _date(problem.deadline),
            _date(problem.registered_at),
            _date(problem.solved_at),
            _date(problem.archived_at),
            problem.description,
            problem.proposed_solution,
            problem.workaround,
        ]
