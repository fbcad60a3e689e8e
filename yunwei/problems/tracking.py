"""The problem-tracking log of Art. 5 (问题跟踪处理日志): every event of every problem, in order, a month at a
time, for the system management lead's monthly review; exported as an Excel workbook people file."""

import datetime
import io
import re

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.exports import write_xlsx

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


def rows(events):
    """The log as text rows, in the reader's language (one at a time: an export streams them)."""
    for event in events:
        kind = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
        yield [
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
    buffer = io.BytesIO()
    write_xlsx(
        buffer,
        headers(),
        rows(events.iterator(chunk_size=2000)),
        title=_("Problem-tracking log %(month)s") % {"month": month.strftime("%Y-%m")},
        sheet_name=month.strftime("%Y-%m"),
        widths=(20, 12, 36, 16, 16, 10, 10, 14, 48),
    )
    return buffer.getvalue()
