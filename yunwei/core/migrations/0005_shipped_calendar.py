from django.db import migrations


def ship(apps, schema_editor):
    """The group's calendar, filled with the State Council's notices announced so far (2025, 2026)."""
    from yunwei.core.calendar import DEFAULT_WEEKDAYS, SHIPPED_CSV, parse_csv

    WorkCalendar = apps.get_model("core", "WorkCalendar")
    CalendarDay = apps.get_model("core", "CalendarDay")
    calendar = WorkCalendar.objects.filter(unit__isnull=True).first()
    if calendar is None:
        calendar = WorkCalendar.objects.create(unit=None, weekdays=DEFAULT_WEEKDAYS)
    known = set(CalendarDay.objects.filter(calendar=calendar).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(calendar=calendar, date=day.date, is_working=day.is_working, name=day.name)
            for day in parse_csv(SHIPPED_CSV)
            if day.date not in known
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0004_work_calendar")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
