"""The monthly operation and maintenance analysis report (Art. 6: the system management lead analyses and
sums up the month's operation every month).

A `Report` is one version of a unit's month (or the group's: `unit` empty): the figures generated from the
records and stored with it (`figures`), the lead's analysis and next month's plan, the files rendered from
them, the progress of its generation, and its signature. Signing freezes it: the stored figures and the files
are what was signed, whatever the data does later; a correction is a new version, and the old one is kept
and marked superseded.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.org.models import Unit

from .choices import EventKind, Format, State


class Report(VersionedModel):
    """One version of a month's analysis report of a unit, or of the group when `unit` is empty (Art. 6).
    `version` (of VersionedModel) detects concurrent edits of the lead's text; `edition` numbers the
    report's versions of the month (a correction after signing is the next edition)."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    month = models.DateField(_("month"))
    edition = models.PositiveSmallIntegerField(_("report version"), default=1)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    figures_at = models.DateTimeField(_("figures read at"), null=True, blank=True)
    analysis = models.TextField(_("analysis"), blank=True)
    plan = models.TextField(_("plan for next month"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    failure = models.TextField(_("why it failed"), blank=True)
    # Warnings of the renderers (a character no shipped font has, …), kept with the files they concern.
    log = models.JSONField(_("generation log"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generation asked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_by_name = models.CharField(_("signed by"), max_length=150, blank=True)
    # When making a signed report's files was taken up: by its task (claimed once), or left to their first
    # download (the demo). Still empty past REQUEUE_AFTER: the task was lost, and a sweep queues it again.
    files_taken_at = models.DateTimeField(null=True, blank=True, editable=False)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "unit_id", "-edition"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "edition"],
                condition=Q(unit__isnull=False),
                name="report_unit_month_edition",
            ),
            models.UniqueConstraint(
                fields=["month", "edition"], condition=Q(unit__isnull=True), name="report_group_month_edition"
            ),
        ]
        indexes = [
            models.Index(fields=["month", "unit"], name="report_month_unit"),
            models.Index(fields=["state"], name="report_state"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} {self.month:%Y-%m} v{self.edition}"

    @property
    def code(self) -> str:
        return f"RPT{self.pk:05d}" if self.pk else "RPT"

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit_id else str(_("Group"))

    @property
    def month_text(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def is_frozen(self) -> bool:
        return self.state in (State.SIGNED, State.SUPERSEDED)


class ReportFile(models.Model):
    """A rendered file of a report (.docx, .pdf, .xlsx), kept with its SHA-256 (Art. 11: files shown
    unchanged). A signed report's files are rendered once from what was signed and never again."""

    scope_unit_field = "report__unit"

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="files"
    )
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/")
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [models.UniqueConstraint(fields=["report", "format"], name="report_file_format")]

    def __str__(self) -> str:
        return f"{self.report} .{self.format}"


class ReportTemplate(models.Model):
    """The group's own Word template for the reports (cover, header, styles), uploaded by a group admin;
    the latest active one is used. Kept with its SHA-256."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("group"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), upload_to="reports/templates/")
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_active = models.BooleanField(_("in use"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name


class RenderSlot(models.Model):
    """One of the YUNWEI_REPORT_RENDERS slots: a generation runs only while it holds one (the rest wait
    queued). A slot held longer than the time limit is taken back (its worker was killed)."""

    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("render slot")
        verbose_name_plural = _("render slots")

    def __str__(self) -> str:
        return f"slot {self.pk}"


class ReportEvent(TimelineEvent):
    """One entry of a report's timeline (generation asked, ready, failed, text edited, signed).
    Append-only."""

    kinds, states = EventKind, State
    scope_unit_field = "report__unit"

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
