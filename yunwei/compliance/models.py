"""Compliance with the regulation (every article): each duty judged per unit and month, with the
records it found at fault, a "not applicable" granted by a group admin, and the runs that judge."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.org.models import Unit

from .choices import (
    LIVE_EXEMPTION_STATES,
    CarriedBy,
    ExemptionEventKind,
    ExemptionState,
    Outcome,
    RunKind,
    RunState,
)


class ComplianceRun(models.Model):
    """One judging of a month (all units, or one unit on demand), run in the background with its
    progress kept here so the page can show it. A nightly run is claimed once per day (`day`)."""

    scope_unit_field = "unit"

    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices, default=RunKind.ON_DEMAND)
    month = models.CharField(_("month"), max_length=7)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="compliance_runs",
        help_text=_("Empty: every unit."),
    )
    day = models.DateField(_("night of"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    steps_total = models.PositiveIntegerField(_("steps"), default=0)
    steps_done = models.PositiveIntegerField(_("steps done"), default=0)
    step_name = models.CharField(_("current step"), max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("compliance run")
        verbose_name_plural = _("compliance runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two workers taking the same night's beat: the second insert fails and does nothing.
            models.UniqueConstraint(fields=["kind", "day", "month"], name="compliance_run_nightly_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.get_state_display()}"

    @property
    def percent(self) -> int:
        return int(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def state_badge(self) -> str:
        return RunState(self.state).badge


class Result(models.Model):
    """A duty's result for a unit and month (all articles), kept with the version of the rules it was
    judged against: a later edit of the rules does not rewrite a month that has ended.

    `judged` is what the check found; `outcome` is what counts, "not applicable" when a group admin
    approved it. A duty the group carries out is judged once on the group (`carried_by` group) and counts
    for every unit the group serves."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="compliance"
    )
    month = models.CharField(_("month"), max_length=7)
    article = models.PositiveSmallIntegerField(_("article"))
    duty = models.CharField(_("duty"), max_length=40)
    duty_version = models.PositiveIntegerField(_("rules version"))
    carried_by = models.CharField(_("carried out by"), max_length=10, choices=CarriedBy.choices)
    judged = models.CharField(_("judged"), max_length=20, choices=Outcome.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    checked = models.PositiveIntegerField(_("records checked"), default=0)
    failing = models.PositiveIntegerField(_("records at fault"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    judged_at = models.DateTimeField(_("judged at"))
    run = models.ForeignKey(
        ComplianceRun,
        verbose_name=_("run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("compliance result")
        verbose_name_plural = _("compliance results")
        ordering = ["month", "article", "duty", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "duty", "month"], name="compliance_result_once"),
        ]
        indexes = [models.Index(fields=["month", "article"], name="compliance_result_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.duty} {self.unit_id}: {self.outcome}"

    @property
    def outcome_badge(self) -> str:
        return Outcome(self.outcome).badge


class Finding(models.Model):
    """A record a check found at fault, linked by its type and key (never copied): the first
    `services.MAX_FINDINGS` of a result; the result keeps the full count in `failing`."""

    scope_unit_field = "result__unit"

    result = models.ForeignKey(
        Result, verbose_name=_("result"), on_delete=models.CASCADE, related_name="findings"
    )
    object_type = models.CharField(_("record type"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    label = models.CharField(_("record"), max_length=200)
    detail = models.CharField(_("what is missing"), max_length=300)
    # The rectification made of it (Art. 5: 及时整改), kept across later judgings of the month while the
    # same record is still at fault for the same reason.
    rectification = models.OneToOneField(
        "logbook.Rectification",
        verbose_name=_("rectification"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="compliance_finding",
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["result_id", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.detail}"


class Exemption(VersionedModel):
    """A "not applicable" for a result: asked for with a reason, approved or refused by a group system
    admin other than whoever asked; approved, the result counts as not applicable (all articles)."""

    scope_unit_field = "result__unit"

    result = models.ForeignKey(
        Result, verbose_name=_("result"), on_delete=models.CASCADE, related_name="exemptions"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=ExemptionState.choices, default=ExemptionState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("not-applicable request")
        verbose_name_plural = _("not-applicable requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(state__in=LIVE_EXEMPTION_STATES),
                name="compliance_exemption_live_once",
            )
        ]

    def __str__(self) -> str:
        return f"N/A {self.result} ({self.state})"

    @property
    def state_badge(self) -> str:
        return ExemptionState(self.state).badge


class ExemptionEvent(TimelineEvent):
    """The timeline of a "not applicable" request: asked, then approved or refused."""

    kinds, states = ExemptionEventKind, ExemptionState
    scope_unit_field = "exemption__result__unit"

    exemption = models.ForeignKey(
        Exemption, verbose_name=_("not-applicable request"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("not-applicable event")
        verbose_name_plural = _("not-applicable events")
