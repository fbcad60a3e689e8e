"""Months as compliance reads them: YYYY-MM in the site's zone, never in the future."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.core.errors import DomainError


def site_zone():
    # The site's month, whatever zone the reader's request activated.
    return timezone.get_default_timezone()


def this_month(now: datetime.datetime | None = None) -> str:
    return timezone.localtime(now or timezone.now(), site_zone()).strftime("%Y-%m")


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def months_back(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    answer = [month]
    while len(answer) < count:
        answer.insert(0, previous_month(answer[0]))
    return answer


def parse_month(value, *, now: datetime.datetime | None = None) -> str:
    """A month as YYYY-MM, not in the future; anything else is refused naming `month`."""
    text = str(value or "").strip()
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        parsed = datetime.datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise DomainError(_("Give the month as YYYY-MM."), field="month") from None
    if parsed.year < 2000:
        raise DomainError(_("Give the month as YYYY-MM."), field="month")
    if text > this_month(now):
        raise DomainError(_("The month %(month)s has not begun yet.") % {"month": text}, field="month")
    return text


def bounds(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    first = datetime.datetime.strptime(month, "%Y-%m")
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first.replace(tzinfo=site_zone()), following.replace(tzinfo=site_zone())
