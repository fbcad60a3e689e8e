"""The problem database (Art. 14–16): problems from hidden dangers and from incidents not fixed for good,
their work plans, their append-only timeline (which is also the problem-tracking log of Art. 5), and the
known errors they publish.

A problem belongs to a unit. Archiving (Art. 16: 从问题库中删除) removes it from the active database only;
the record and its timeline are kept forever.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.incidents.models import Incident
from yunwei.org.models import Person, Unit

from .choices import Category, EscalationLevel, EventKind, Nature, Origin, Priority, State


class Problem(VersionedModel):
    """A problem of the problem database (Art. 14), classified with the fields of Art. 15 and verified and
    archived under Art. 16."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="problems")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, default=Origin.ROUTINE)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_problems",
    )
    collaborators = models.ManyToManyField(
        Person, verbose_name=_("collaborators"), blank=True, related_name="problem_collaborations"
    )
    proposed_solution = models.TextField(_("proposed solution"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    workaround_published_at = models.DateTimeField(_("published as a known error"), null=True, blank=True)
    solution_summary = models.TextField(_("solution summary"), blank=True)
    affected_items = models.ManyToManyField(
        Item, verbose_name=_("affected items"), blank=True, related_name="problems"
    )
    source_incident = models.ForeignKey(
        Incident,
        verbose_name=_("source incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="source_problems",
    )
    # Every incident the problem explains, the source incident included.
    incidents = models.ManyToManyField(
        Incident, verbose_name=_("linked incidents"), blank=True, related_name="problems"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.REGISTERED)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registered_problems",
    )
    registered_at = models.DateTimeField(_("registered at"))
    classified_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_problems",
    )
    # The escalation of an overdue problem (STYLE: deadlines stored when set, swept with a conditional
    # update): when the owner is told, when the system management lead is, and how far it has gone.
    owner_alert_at = models.DateTimeField(_("tell the owner at"), null=True, blank=True)
    lead_alert_at = models.DateTimeField(_("tell the lead at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-registered_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="problem_unit_state"),
            models.Index(fields=["state", "deadline"], name="problem_state_deadline"),
            models.Index(fields=["escalation_level", "owner_alert_at"], name="problem_owner_alert"),
            models.Index(fields=["escalation_level", "lead_alert_at"], name="problem_lead_alert"),
            models.Index(fields=["registered_at"], name="problem_registered"),
            # The list's sortable columns lead an index each (issue 25).
            models.Index(fields=["deadline"], name="problem_deadline"),
            models.Index(fields=["archived_at"], name="problem_archived"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"PRB{self.pk:06d}" if self.pk else "PRB"

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def priority_badge(self) -> str:
        return Priority(self.priority).badge

    @property
    def is_known_error(self) -> bool:
        return self.workaround_published_at is not None


class ProblemStep(models.Model):
    """One dated step of a problem's work plan (Art. 15: 工作计划和时限要求)."""

    scope_unit_field = "problem__unit"

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("step"), max_length=500)
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("work plan step")
        verbose_name_plural = _("work plan steps")
        ordering = ["problem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "position"], name="problem_step_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class ProblemEvent(TimelineEvent):
    """One entry of a problem's timeline: who, when, from, to, comment. Append-only. Across problems these
    rows are the problem-tracking log of Art. 5 (问题跟踪处理日志)."""

    kinds, states = EventKind, State
    scope_unit_field = "problem__unit"

    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("problem event")
        verbose_name_plural = _("problem events")

    @property
    def note(self) -> str:
        """What the timeline and the log show beside the event: the comment, or for an escalation whom it
        told, in the reader's language (the level is stored, not its words)."""
        if self.kind == EventKind.ESCALATION and self.data.get("level") in EscalationLevel.values:
            return str(EscalationLevel(self.data["level"]).label)
        return self.comment
