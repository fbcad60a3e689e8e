"""Shared model bases."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionedModel(models.Model):
    """A record edited by people: a version number detects concurrent edits (DESIGN: never overwrite)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("this log cannot be updated")

    def delete(self):
        raise AppendOnlyError("this log cannot be deleted")


class AppendOnlyModel(models.Model):
    """A row of a timeline, written once: never saved again, never deleted on its own (the deletion of
    the record it belongs to takes it)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("this entry cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("this entry cannot be deleted")


class _ChoicesOfModel(models.CharField):
    """A column of a timeline whose choices the concrete event names (`kinds`, `states`): they are read
    when the column joins that model, so migrations and `get_…_display()` see a plain CharField with
    the app's choices."""

    def __init__(self, *args, choices_from: str = "", **kwargs):
        self.choices_from = choices_from
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, *args, **kwargs):
        source = getattr(cls, self.choices_from, None) if self.choices_from else None
        if source is not None and not cls._meta.abstract:
            self.choices = source.choices
        super().contribute_to_class(cls, name, *args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class TimelineEvent(AppendOnlyModel):
    """One entry of a record's timeline: who, when, what, from which state to which, the comment and
    the details (Art. 13, 16, 18: each step timestamped and attributed). Append-only.

    A flow's event adds only its parent key and its scoping field, and names its choice sets::

        class ProblemEvent(TimelineEvent):
            kinds, states = EventKind, State
            scope_unit_field = "problem__unit"
            problem = models.ForeignKey(Problem, …, related_name="events")

            class Meta(TimelineEvent.Meta):
                verbose_name = …

    `web/partials/timeline.html` renders it on the record's page.
    """

    kinds: type[models.TextChoices]
    states: type[models.TextChoices]

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    # The name at the time: the account may be renamed or deleted later.
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    kind = _ChoicesOfModel(_("kind"), max_length=20, choices_from="kinds")
    from_state = _ChoicesOfModel(_("from"), max_length=20, blank=True, choices_from="states")
    to_state = _ChoicesOfModel(_("to"), max_length=20, blank=True, choices_from="states")
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def note(self) -> str:
        """What the timeline shows beneath the event: its comment (a flow may say more, in the reader's
        language)."""
        return self.comment


class WorkerHeartbeat(models.Model):
    """A mark left by a Celery worker, so Art. 3 monitoring can show that the background machinery runs.

    The scheduler queues one every minute; the API queues one on demand with a fresh token and then
    looks for that token, which proves a task crossed from the web process to a worker.
    """

    hostname = models.CharField(_("hostname"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    token = models.CharField(_("token"), max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} @ {self.at:%Y-%m-%d %H:%M:%S}"


class SchedulerHeartbeat(models.Model):
    """A mark left by the Celery beat scheduler itself each time it sends the worker heartbeat task.

    Written in the scheduler's process (`yunwei.core.beat.Scheduler`), not by a worker: it says the
    scheduler ticked even when no worker is there to run what it sends.
    """

    hostname = models.CharField(_("hostname"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("scheduler heartbeat")
        verbose_name_plural = _("scheduler heartbeats")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid} @ {self.at:%Y-%m-%d %H:%M:%S}"


class WatchedPart(models.TextChoices):
    SCHEDULER = "scheduler", _("scheduler")
    WORKER = "worker", _("worker")


class WatchAlarm(models.Model):
    """One row per watched part of the background machinery: since when it is late, if it is.

    `down_since` is set and cleared by conditional updates only (`yunwei.core.watch`), so the lead is
    told once per outage and once of the recovery, whichever web process notices first.
    """

    part = models.CharField(_("part"), max_length=20, choices=WatchedPart.choices, unique=True)
    down_since = models.DateTimeField(_("late since"), null=True, blank=True)

    class Meta:
        verbose_name = _("watch alarm")
        verbose_name_plural = _("watch alarms")

    def __str__(self) -> str:
        return f"{self.part}: {self.down_since or 'ok'}"


class SavedFilter(models.Model):
    """A list's filters and sort saved by one person under a name, to open the list so again. Personal:
    nobody else sees or uses it; the rows it shows are still those the person may see when it is used."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    list_name = models.CharField(_("list"), max_length=60)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_name", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class WorkCalendar(VersionedModel):
    """The working calendar (工作日历) every timer that counts working time reads: the working hours of a
    weekday with the lunch break between them, and its days (below). One for the group (no unit) and, where
    a unit works otherwise, an override for that unit: its own hours and its own days take precedence.
    Art. 10's supervision (考核督办) of requests counts on it."""

    scope_unit_field = "unit"

    unit = models.OneToOneField(
        "org.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_calendar",
    )
    morning_start = models.TimeField(_("morning starts"), default=datetime.time(8, 30))
    morning_end = models.TimeField(_("lunch break starts"), default=datetime.time(12, 0))
    afternoon_start = models.TimeField(_("lunch break ends"), default=datetime.time(13, 30))
    afternoon_end = models.TimeField(_("afternoon ends"), default=datetime.time(17, 30))
    # ISO weekdays (1 = Monday) that are working days unless a day of the calendar says otherwise.
    weekdays = models.JSONField(_("working weekdays"), default=list)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return str(self.unit) if self.unit_id else str(_("The group's calendar"))


class CalendarDay(models.Model):
    """A day that breaks the weekly pattern: a public holiday, or a make-up working day (调休/补班) — a
    Saturday or Sunday that is worked. Imported each year from the State Council's notice."""

    scope_unit_field = "calendar__unit"

    calendar = models.ForeignKey(
        WorkCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    is_working = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
