"""The problem-tracking log of Art. 5 (问题跟踪处理日志): every event of every problem, in order, a month at a
time, for the system management lead's monthly review; exported as an Excel workbook people file."""

import datetime
import io
import re

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from yunwei.core import scoping
from yunwei.core.errors import DomainError

from .choices import EventKind, State
from .models import ProblemEvent

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str | None) -> datetime.date:
    """'2025-03' → the first day of that month; empty → the current month; anything else is refused."""
    if not value:
        today = timezone.localdate()
        return today.replace(day=1)
    match = MONTH.match(value.strip())
    if not match:
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as an interval of moments in the group's time zone (the log's month is a local month)."""
    zone = timezone.get_default_timezone()
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return (
        datetime.datetime.combine(month, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=zone),
    )


def log_events(user, month: datetime.date) -> QuerySet:
    """The log's rows for `user`: events of the problems they may see, in the month, in order."""
    start, end = month_bounds(month)
    events = ProblemEvent.objects.filter(at__gte=start, at__lt=end).select_related("problem__unit")
    return scoping.visible(events, user).order_by("at", "id")


def _state_label(code: str) -> str:
    return str(State(code).label) if code in State.values else ""


def rows(events) -> list[list[str]]:
    """The log as text rows, in the reader's language."""
    result = []
    for event in events:
        kind = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
        result.append(
            [
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.problem.code,
                event.problem.title,
                event.problem.unit.name,
                kind,
                _state_label(event.from_state),
                _state_label(event.to_state),
                event.actor_name,
                event.note,
            ]
        )
    return result


def headers() -> list[str]:
    return [
        _("Time"),
        _("Problem"),
        _("Title"),
        _("Unit"),
        _("Event"),
        _("From state"),
        _("To state"),
        _("By"),
        _("Comment"),
    ]


def export_xlsx(events, month: datetime.date) -> bytes:
    """The month's log as an .xlsx workbook: a title line, the header, one row per event."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = month.strftime("%Y-%m")
    sheet.append([_("Problem-tracking log %(month)s") % {"month": month.strftime("%Y-%m")}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(headers())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows(events):
        sheet.append(row)
    for column, width in zip("ABCDEFGHI", (20, 12, 36, 16, 16, 10, 10, 14, 48), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=3, min_col=9, max_col=9):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
