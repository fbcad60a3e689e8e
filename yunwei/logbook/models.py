"""The log books of Art. 5 and their monthly review.

Three logs per unit and month: the data-backup log (the backup runs monitoring's heartbeats record, read
where they are, plus backups run by hand and restore drills), the daily management log (inspection rounds
walked against their templates, shift handovers and routine work) and the problem-tracking log (the
problems' own timeline, read where it is: `yunwei/problems/tracking.py`). Only what exists nowhere else is
stored here.

Every entry keeps `occurred_at` (when the thing happened) apart from `recorded_at` (when it was written
down); the month an entry belongs to follows `occurred_at` in the site's zone. A month whose review is
signed is frozen: its entries are not edited any more, and an entry recorded for it later is a correction
that says what it corrects.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.incidents.models import Incident
from yunwei.monitoring.models import Heartbeat
from yunwei.org.models import Person, Team, Unit
from yunwei.problems.models import Problem

from .choices import (
    AttachmentOf,
    DrillOutcome,
    EscalatedTo,
    EscalationLevel,
    EventKind,
    LogKind,
    NoteKind,
    ReadingKind,
    RectificationState,
    ReviewState,
)


class Entry(VersionedModel):
    """What every log-book entry carries (Art. 5): its unit, when it happened apart from when it was recorded,
    who recorded it, and — for an entry recorded after its month was signed — what it corrects."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A late entry for a signed month: what it corrects (empty for an entry of an open month).
    correction = models.TextField(_("corrects"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_correction(self) -> bool:
        return bool(self.correction)


class BackupEntry(Entry):
    """A backup run by hand, written into the data-backup log (Art. 5, 9): what was backed up where, its
    start and end, size and result; optionally the backup job it stands in for, so it fills that job's day."""

    heartbeat = models.ForeignKey(
        Heartbeat,
        verbose_name=_("backup job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="manual_entries",
    )
    subject = models.CharField(_("what was backed up"), max_length=200)
    target = models.CharField(_("backed up to"), max_length=200)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=True)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("manual backup")
        verbose_name_plural = _("manual backups")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["unit", "occurred_at"], name="logbook_backup_unit_at")]

    def __str__(self) -> str:
        return f"{self.subject} {self.occurred_at:%Y-%m-%d}"


class RestoreDrill(Entry):
    """A restore drill (Art. 3, 9: backups proved by restoring them): what was restored where, how long it
    took, the outcome, and who verified it — never the person who did the restore."""

    subject = models.CharField(_("what was restored"), max_length=200)
    restored_to = models.CharField(_("restored to"), max_length=200)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    performed_by = models.ForeignKey(
        Person, verbose_name=_("restored by"), on_delete=models.PROTECT, related_name="+"
    )
    verified_by = models.ForeignKey(
        Person, verbose_name=_("verified by"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=DrillOutcome.choices)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("restore drill")
        verbose_name_plural = _("restore drills")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["unit", "occurred_at"], name="logbook_drill_unit_at")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.restored_to}"

    @property
    def outcome_badge(self) -> str:
        return DrillOutcome(self.outcome).badge


class LogNote(Entry):
    """A shift handover note or a routine work entry of the daily management log (Art. 5)."""

    kind = models.CharField(_("kind"), max_length=10, choices=NoteKind.choices)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("log note")
        verbose_name_plural = _("log notes")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["unit", "occurred_at"], name="logbook_note_unit_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class RoundTemplate(VersionedModel):
    """An inspection round of a team (Art. 4, 5): a checklist walked on a schedule at a place (a machine
    room or a rack, whose QR code opens the round on a phone). `weekdays` are the days it is due (0 =
    Monday); a due day without a round shows as missing."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    location = models.ForeignKey(
        Item,
        verbose_name=_("room or rack"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    weekdays = models.JSONField(_("due on weekdays"), default=list)
    active_from = models.DateField(_("due from"))
    is_active = models.BooleanField(_("active"), default=True)
    # Retired: not due from this day on; the days before keep their missing rounds.
    retired_on = models.DateField(_("retired on"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection round template")
        verbose_name_plural = _("inspection round templates")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name

    def current_checkpoints(self):
        """The readings walked now; an edit retires the ones it changes, and the rounds walked before keep
        theirs (each reading points at the checkpoint, with the limits, it was judged against)."""
        return self.checkpoints.filter(retired_at__isnull=True).order_by("position")

    def is_due_on(self, day) -> bool:
        return (
            day >= self.active_from
            and (self.retired_on is None or day < self.retired_on)
            and day.weekday() in self.weekdays
        )


class Checkpoint(models.Model):
    """One reading of a round: what to read, its kind and, for a number, its limits."""

    scope_unit_field = "template__unit"

    template = models.ForeignKey(
        RoundTemplate, verbose_name=_("round"), on_delete=models.CASCADE, related_name="checkpoints"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("reading"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ReadingKind.choices, default=ReadingKind.NUMBER)
    unit_label = models.CharField(_("measured in"), max_length=20, blank=True)
    low = models.FloatField(_("lower limit"), null=True, blank=True)
    high = models.FloatField(_("upper limit"), null=True, blank=True)
    # Replaced by an edit of its round: kept for the readings judged against it, never walked again.
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"],
                condition=models.Q(retired_at__isnull=True),
                name="logbook_checkpoint_position",
            )
        ]

    def __str__(self) -> str:
        return self.label

    def definition(self) -> tuple:
        return (self.label, self.kind, self.unit_label, self.low, self.high)


class Round(Entry):
    """An inspection round walked by someone at a time (Art. 5), with its readings and remarks."""

    template = models.ForeignKey(
        RoundTemplate, verbose_name=_("round"), on_delete=models.PROTECT, related_name="rounds"
    )
    performed_by = models.ForeignKey(
        Person, verbose_name=_("walked by"), on_delete=models.PROTECT, related_name="+"
    )
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "occurred_at"], name="logbook_round_unit_at"),
            models.Index(fields=["template", "occurred_at"], name="logbook_round_tpl_at"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} {self.occurred_at:%Y-%m-%d %H:%M}"


class Reading(models.Model):
    """One reading of a round; out of its limits it is flagged, and may become an incident or a problem in
    one step (the link is kept here)."""

    scope_unit_field = "round__unit"

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="readings"
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.CharField(_("value"), max_length=200)
    out_of_limits = models.BooleanField(_("out of limits"), default=False)
    escalated_to = models.CharField(_("escalated to"), max_length=10, choices=EscalatedTo.choices, blank=True)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["round", "checkpoint__position"]

    def __str__(self) -> str:
        return f"{self.checkpoint.label}: {self.value}"


class Attachment(models.Model):
    """A file kept with a log-book entry (a photo of a reading, a backup report), with its SHA-256 so it
    can be shown unchanged."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    entry_type = models.CharField(_("attached to"), max_length=10, choices=AttachmentOf.choices)
    entry_id = models.PositiveBigIntegerField(_("entry"))
    file = models.FileField(_("file"), upload_to="logbook/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["entry_type", "entry_id"], name="logbook_attachment_entry")]

    def __str__(self) -> str:
        return self.name


class MonthlyReview(VersionedModel):
    """The system management lead's review of a unit's month (Art. 5): each of the three logs confirmed,
    findings recorded, then signed with a fresh password or TOTP check. Signing freezes the month and keeps
    what the lead saw (`snapshot`), so later data does not rewrite a signed month. `due_on` is the day it
    must be signed by, set when the review is opened from the setting then in force."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    due_on = models.DateField(_("to sign by"))
    state = models.CharField(_("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN)
    backup_confirmed_at = models.DateTimeField(_("data-backup log confirmed"), null=True, blank=True)
    daily_confirmed_at = models.DateTimeField(_("daily management log confirmed"), null=True, blank=True)
    problems_confirmed_at = models.DateTimeField(_("problem-tracking log confirmed"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    snapshot = models.JSONField(_("as signed"), default=dict, blank=True)
    # The lead is told once that the month is overdue (claimed by a conditional update).
    overdue_told_at = models.DateTimeField(_("overdue told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly review")
        verbose_name_plural = _("monthly reviews")
        ordering = ["-month", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="logbook_review_unit_month")]
        indexes = [models.Index(fields=["state", "due_on"], name="logbook_review_state_due")]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y-%m}"

    @property
    def state_badge(self) -> str:
        return ReviewState(self.state).badge

    def confirmed_at(self, log: str):
        return getattr(self, f"{log}_confirmed_at")

    @property
    def all_confirmed(self) -> bool:
        return all(self.confirmed_at(log) for log in LogKind.values)


class ReviewEvent(TimelineEvent):
    """One entry of a review's timeline (confirmations, findings, the signature). Append-only."""

    kinds, states = EventKind, ReviewState
    scope_unit_field = "review__unit"

    review = models.ForeignKey(
        MonthlyReview, verbose_name=_("review"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("review event")
        verbose_name_plural = _("review events")


class Finding(models.Model):
    """A finding of a monthly review (Art. 5: 发现问题), about one of the three logs; it becomes a
    rectification item to be put right."""

    scope_unit_field = "review__unit"

    review = models.ForeignKey(
        MonthlyReview, verbose_name=_("review"), on_delete=models.PROTECT, related_name="findings"
    )
    log = models.CharField(_("log"), max_length=10, choices=LogKind.choices)
    text = models.TextField(_("finding"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Rectification(VersionedModel):
    """A rectification item (整改, Art. 5: 及时整改补救): a finding put right by its owner before its
    deadline, verified by somebody other than the owner; overdue ones are escalated as problems are
    (owner, then the system management lead)."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    finding = models.OneToOneField(
        Finding, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="rectification"
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=20, choices=RectificationState.choices, default=RectificationState.OPEN
    )
    result = models.TextField(_("what was done"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    owner_alert_at = models.DateTimeField(_("tell the owner at"), null=True, blank=True)
    lead_alert_at = models.DateTimeField(_("tell the lead at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="logbook_rect_unit_state"),
            models.Index(fields=["escalation_level", "owner_alert_at"], name="logbook_rect_owner_alert"),
            models.Index(fields=["escalation_level", "lead_alert_at"], name="logbook_rect_lead_alert"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"RCT{self.pk:05d}" if self.pk else "RCT"

    @property
    def state_badge(self) -> str:
        return RectificationState(self.state).badge


class RectificationEvent(TimelineEvent):
    """One entry of a rectification's timeline. Append-only."""

    kinds, states = EventKind, RectificationState
    scope_unit_field = "rectification__unit"

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("rectification"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("rectification event")
        verbose_name_plural = _("rectification events")
