"""The working calendar: working time between two moments, a moment plus so much working time, and when
the clock of something made outside working hours starts.

A calendar is the weekly pattern (working weekdays, the morning and the afternoon with the lunch break
between them) broken by days: public holidays, and make-up working days (调休/补班, a Saturday or Sunday
that is worked) — which a calendar of "weekly days off plus holidays" cannot say. The group has one; a
unit may override it (its hours and its days win, the group's other days still hold).

Times are computed in the group's time zone (settings.TIME_ZONE) and given back as aware datetimes.
Editing a calendar calls the recomputers the apps registered (`on_change`), so open work gets its due
times again: core sits below the apps whose timers count on it and cannot import them.
"""

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit

from .errors import DomainError, PermissionDenied
from .models import CalendarDay, WorkCalendar
from .scoping import access_of

DEFAULT_WEEKDAYS = [1, 2, 3, 4, 5]
# A search for the next working moment gives up after this many days: a calendar with no working day
# at all is a mistake, not a reason to loop for ever.
MAX_DAYS = 3660

# Called with the unit id whose calendar changed (None: the group's) after a calendar edit commits.
_recomputers: list[Callable[[int | None], object]] = []


def on_change(recompute: Callable[[int | None], object]) -> None:
    """Register what recomputes due times when a calendar changes (an app's ready())."""
    if recompute not in _recomputers:
        _recomputers.append(recompute)


@dataclass
class Calendar:
    """A calendar read into memory: the weekly pattern and the days that break it."""

    weekdays: frozenset[int]
    morning: tuple[datetime.time, datetime.time]
    afternoon: tuple[datetime.time, datetime.time]
    days: dict[datetime.date, bool] = field(default_factory=dict)
    names: dict[datetime.date, str] = field(default_factory=dict)

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.days:
            return self.days[day]
        return day.isoweekday() in self.weekdays

    def periods(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The day's working periods, as aware datetimes in the group's zone."""
        if not self.is_working_day(day):
            return []
        zone = timezone.get_default_timezone()
        return [
            (
                datetime.datetime.combine(day, start, tzinfo=zone),
                datetime.datetime.combine(day, end, tzinfo=zone),
            )
            for start, end in (self.morning, self.afternoon)
            if start < end
        ]

    @property
    def minutes_per_day(self) -> float:
        return sum(
            (
                datetime.datetime.combine(datetime.date.min, end)
                - datetime.datetime.combine(datetime.date.min, start)
            ).total_seconds()
            / 60
            for start, end in (self.morning, self.afternoon)
            if start < end
        )

    def _local_day(self, moment: datetime.datetime) -> datetime.date:
        return timezone.localtime(moment, timezone.get_default_timezone()).date()

    def working_minutes(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Working minutes between two moments (0 when end is not after start)."""
        if end <= start:
            return 0.0
        total = 0.0
        day = self._local_day(start)
        last = self._local_day(end)
        while day <= last:
            for begin, finish in self.periods(day):
                lo, hi = max(begin, start), min(finish, end)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 60
            day += datetime.timedelta(days=1)
        return total

    def add(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        """The moment `minutes` of working time after `start`."""
        left = float(minutes)
        day = self._local_day(start)
        for _i in range(MAX_DAYS):
            for begin, finish in self.periods(day):
                lo = max(begin, start)
                if finish <= lo:
                    continue
                span = (finish - lo).total_seconds() / 60
                if left <= span:
                    return lo + datetime.timedelta(minutes=left)
                left -= span
            day += datetime.timedelta(days=1)
        raise DomainError(_("The working calendar has no working day in ten years."), field="weekdays")

    def clock_start(self, moment: datetime.datetime) -> datetime.datetime:
        """When a clock started at `moment` begins to run: `moment` itself within working hours, else the
        start of the next working period."""
        day = self._local_day(moment)
        for _i in range(MAX_DAYS):
            for begin, finish in self.periods(day):
                if moment < finish:
                    return max(begin, moment)
            day += datetime.timedelta(days=1)
        raise DomainError(_("The working calendar has no working day in ten years."), field="weekdays")


def _group_calendar() -> WorkCalendar:
    calendar = WorkCalendar.objects.filter(unit__isnull=True).first()
    if calendar is None:
        calendar = WorkCalendar.objects.create(unit=None, weekdays=DEFAULT_WEEKDAYS)
    return calendar


def calendar_for(unit_id: int | None) -> Calendar:
    """The calendar that holds for a unit: the group's, with the unit's override on top."""
    group = _group_calendar()
    own = WorkCalendar.objects.filter(unit_id=unit_id).first() if unit_id else None
    base = own or group
    result = Calendar(
        weekdays=frozenset(base.weekdays or DEFAULT_WEEKDAYS),
        morning=(base.morning_start, base.morning_end),
        afternoon=(base.afternoon_start, base.afternoon_end),
    )
    for calendar in (group, own):
        if calendar is None:
            continue
        for day, working, name in calendar.days.values_list("date", "is_working", "name"):
            result.days[day] = working
            result.names[day] = name
    return result


# -- editing ---------------------------------------------------------------------------------------


def _require_manage(actor, calendar: WorkCalendar) -> None:
    access = access_of(actor)
    if calendar.unit_id is None and not access.is_group_admin:
        raise PermissionDenied(_("Only a group system admin edits the group's working calendar."))
    if calendar.unit_id is not None and not access.can_manage_unit(calendar.unit_id):
        raise PermissionDenied(_("Only the unit's system admin edits its working calendar."))


def calendar_of(unit=None) -> WorkCalendar:
    """The stored calendar of a unit (created empty, following the group's hours) or of the group."""
    if unit is None:
        return _group_calendar()
    group = _group_calendar()
    calendar, _created = WorkCalendar.objects.get_or_create(
        unit=unit,
        defaults={
            "weekdays": group.weekdays or DEFAULT_WEEKDAYS,
            "morning_start": group.morning_start,
            "morning_end": group.morning_end,
            "afternoon_start": group.afternoon_start,
            "afternoon_end": group.afternoon_end,
        },
    )
    return calendar


def _changed(unit_id: int | None) -> None:
    for recompute in list(_recomputers):
        transaction.on_commit(lambda recompute=recompute: recompute(unit_id))


KINDS = {"holiday": False, "off": False, "休": False, "workday": True, "work": True, "班": True}


@dataclass(frozen=True)
class ParsedDay:
    date: datetime.date
    is_working: bool
    name: str


def parse_csv(text: str) -> list[ParsedDay]:
    """Rows `date,kind,name` (a header row allowed): kind `holiday` (放假) or `workday` (补班). A malformed
    row or a date given twice is refused naming its line; nothing is taken from a file with one bad row."""
    rows: list[ParsedDay] = []
    seen: dict[datetime.date, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for number, row in enumerate(reader, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() in ("date", "日期"):
            continue
        if len(row) < 2:
            raise DomainError(
                _("Line %(line)s: a row needs a date and a kind (holiday or workday).") % {"line": number},
                field="file",
            )
        try:
            day = datetime.date.fromisoformat(row[0].strip())
        except ValueError:
            raise DomainError(
                _("Line %(line)s: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"line": number, "value": row[0]},
                field="file",
            ) from None
        kind = row[1].strip().lower()
        if kind not in KINDS:
            raise DomainError(
                _("Line %(line)s: the kind must be holiday or workday, not “%(value)s”.")
                % {"line": number, "value": row[1]},
                field="file",
            )
        if day in seen:
            raise DomainError(
                _("Line %(line)s: %(date)s is given twice (first on line %(first)s).")
                % {"line": number, "date": day, "first": seen[day]},
                field="file",
            )
        seen[day] = number
        rows.append(ParsedDay(day, KINDS[kind], (row[2].strip() if len(row) > 2 else "")[:60]))
    if not rows:
        raise DomainError(_("The file holds no day."), field="file")
    return rows


@transaction.atomic
def import_days(calendar: WorkCalendar, text: str, *, actor) -> int:
    """Take the days of a State Council notice (CSV, see parse_csv) into a calendar: a day already there
    is replaced. All or nothing; audited; open work gets its due times again."""
    _require_manage(actor, calendar)
    days = parse_csv(text)
    CalendarDay.objects.filter(calendar=calendar, date__in=[d.date for d in days]).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=d.date, is_working=d.is_working, name=d.name) for d in days]
    )
    audit.record(
        "update",
        actor=actor,
        obj=calendar,
        unit_id=calendar.unit_id,
        after={"imported": len(days), "first": str(days[0].date), "last": str(days[-1].date)},
    )
    _changed(calendar.unit_id)
    return len(days)


@transaction.atomic
def set_day(calendar: WorkCalendar, day: datetime.date, *, is_working: bool | None, name: str = "", actor):
    """Make one day a holiday or a working day (None: back to the weekly pattern)."""
    _require_manage(actor, calendar)
    CalendarDay.objects.filter(calendar=calendar, date=day).delete()
    if is_working is not None:
        CalendarDay.objects.create(calendar=calendar, date=day, is_working=is_working, name=name[:60])
    audit.record(
        "update",
        actor=actor,
        obj=calendar,
        unit_id=calendar.unit_id,
        after={"date": str(day), "working": is_working},
    )
    _changed(calendar.unit_id)


@transaction.atomic
def set_hours(calendar: WorkCalendar, *, actor, weekdays, morning, afternoon) -> WorkCalendar:
    """The weekly pattern: working weekdays (ISO numbers) and the morning and afternoon periods."""
    _require_manage(actor, calendar)
    weekdays = sorted({int(d) for d in weekdays})
    if not weekdays or any(d < 1 or d > 7 for d in weekdays):
        raise DomainError(_("Name at least one working weekday, 1 (Monday) to 7 (Sunday)."), field="weekdays")
    (ms, me), (as_, ae) = morning, afternoon
    if not (ms < me <= as_ < ae):
        raise DomainError(
            _("The morning must end before the afternoon starts, and each must end after it starts."),
            field="afternoon_start",
        )
    calendar.weekdays = weekdays
    calendar.morning_start, calendar.morning_end, calendar.afternoon_start, calendar.afternoon_end = (
        ms,
        me,
        as_,
        ae,
    )
    calendar.version += 1
    calendar.save()
    audit.record("update", actor=actor, obj=calendar, unit_id=calendar.unit_id, after={"weekdays": weekdays})
    _changed(calendar.unit_id)
    return calendar


# -- what ships ------------------------------------------------------------------------------------

# The State Council's notices (国务院办公厅关于部分节假日安排的通知) for the years announced when this was
# written: 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号). Later years are imported as CSV.
SHIPPED_CSV = """date,kind,name
2025-01-01,holiday,元旦
2025-01-26,workday,春节补班
2025-01-28,holiday,春节
2025-01-29,holiday,春节
2025-01-30,holiday,春节
2025-01-31,holiday,春节
2025-02-01,holiday,春节
2025-02-02,holiday,春节
2025-02-03,holiday,春节
2025-02-04,holiday,春节
2025-02-08,workday,春节补班
2025-04-04,holiday,清明节
2025-04-05,holiday,清明节
2025-04-06,holiday,清明节
2025-04-27,workday,劳动节补班
2025-05-01,holiday,劳动节
2025-05-02,holiday,劳动节
2025-05-03,holiday,劳动节
2025-05-04,holiday,劳动节
2025-05-05,holiday,劳动节
2025-05-31,holiday,端午节
2025-06-01,holiday,端午节
2025-06-02,holiday,端午节
2025-09-28,workday,国庆节补班
2025-10-01,holiday,国庆节、中秋节
2025-10-02,holiday,国庆节、中秋节
2025-10-03,holiday,国庆节、中秋节
2025-10-04,holiday,国庆节、中秋节
2025-10-05,holiday,国庆节、中秋节
2025-10-06,holiday,国庆节、中秋节
2025-10-07,holiday,国庆节、中秋节
2025-10-08,holiday,国庆节、中秋节
2025-10-11,workday,国庆节补班
2026-01-01,holiday,元旦
2026-01-02,holiday,元旦
2026-01-03,holiday,元旦
2026-01-04,workday,元旦补班
2026-02-14,workday,春节补班
2026-02-15,holiday,春节
2026-02-16,holiday,春节
2026-02-17,holiday,春节
2026-02-18,holiday,春节
2026-02-19,holiday,春节
2026-02-20,holiday,春节
2026-02-21,holiday,春节
2026-02-22,holiday,春节
2026-02-23,holiday,春节
2026-02-28,workday,春节补班
2026-04-04,holiday,清明节
2026-04-05,holiday,清明节
2026-04-06,holiday,清明节
2026-05-01,holiday,劳动节
2026-05-02,holiday,劳动节
2026-05-03,holiday,劳动节
2026-05-04,holiday,劳动节
2026-05-05,holiday,劳动节
2026-05-09,workday,劳动节补班
2026-06-19,holiday,端午节
2026-06-20,holiday,端午节
2026-06-21,holiday,端午节
2026-09-20,workday,国庆节补班
2026-09-25,holiday,中秋节
2026-09-26,holiday,中秋节
2026-09-27,holiday,中秋节
2026-10-01,holiday,国庆节
2026-10-02,holiday,国庆节
2026-10-03,holiday,国庆节
2026-10-04,holiday,国庆节
2026-10-05,holiday,国庆节
2026-10-06,holiday,国庆节
2026-10-07,holiday,国庆节
2026-10-10,workday,国庆节补班
"""
