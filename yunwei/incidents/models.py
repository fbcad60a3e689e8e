"""Fault handling (Art. 12–13): incidents and their timeline, the grading matrix, SLA targets, emergency
plans with their checklists, notices, vendor escalation and drills.

The grading rules, SLA targets and plans are the group's catalogue, shared by every unit (the group's
《应急预案》); incidents and drills belong to a unit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.models import AppendOnlyModel, TimelineEvent, VersionedModel
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, VendorEngineer

from .choices import (
    OPEN_STATES,
    Cause,
    ChecklistKind,
    ClosedAs,
    DrillState,
    EscalationMode,
    EventKind,
    Grade,
    ImpactScope,
    NoticeKind,
    SignalSource,
    SignalState,
    Source,
    State,
)


class GradingRule(VersionedModel):
    """One cell of the grading matrix of Art. 12: a fault of this scope lasting at least this long has
    this grade. The most severe matching rule wins."""

    impact_scope = models.CharField(_("impact scope"), max_length=20, choices=ImpactScope.choices)
    min_duration_minutes = models.PositiveIntegerField(_("lasting at least (minutes)"), default=0)
    grade = models.CharField(_("grade"), max_length=3, choices=Grade.choices)

    class Meta:
        verbose_name = _("grading rule")
        verbose_name_plural = _("grading rules")
        ordering = ["impact_scope", "min_duration_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["impact_scope", "min_duration_minutes"], name="grading_rule_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_impact_scope_display()} ≥ {self.min_duration_minutes} min → {self.grade}"


class SlaTarget(VersionedModel):
    """How fast a fault of a grade must be acknowledged and restored (Art. 13: 尽快恢复系统运行)."""

    grade = models.CharField(_("grade"), max_length=3, choices=Grade.choices, unique=True)
    acknowledge_minutes = models.PositiveIntegerField(_("minutes to acknowledge"))
    restore_minutes = models.PositiveIntegerField(_("minutes to restore"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["grade"]

    def __str__(self) -> str:
        return f"{self.grade}: {self.acknowledge_minutes}/{self.restore_minutes} min"


class EmergencyPlan(VersionedModel):
    """An emergency plan (应急预案) for a grade and cause (Art. 12–13), with its ordered steps, notice
    templates and verification checklist. `revision` counts the plan's published versions; an incident
    keeps a snapshot of the revision it activated.

    `steps`: list of {text, role, minutes}; `notice_templates`: {kind: {"zh-hans": {subject, body},
    "en": {subject, body}}} with `{title}`, `{unit}`, `{started_at}`, `{grade}` placeholders;
    `verification`: list of texts.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    grade = models.CharField(_("grade"), max_length=3, choices=Grade.choices)
    cause_category = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    revision = models.PositiveIntegerField(_("plan version"), default=1)
    is_active = models.BooleanField(_("in force"), default=True)
    suspend_service = models.BooleanField(_("service must be suspended"), default=False)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    notice_templates = models.JSONField(_("notice templates"), default=dict, blank=True)
    verification = models.JSONField(_("verification checklist"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["grade", "cause_category", "code"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.revision})"

    def snapshot(self) -> dict:
        return {
            "id": self.pk,
            "code": self.code,
            "title": self.title,
            "revision": self.revision,
            "grade": self.grade,
            "cause_category": self.cause_category,
            "suspend_service": self.suspend_service,
            "steps": self.steps,
            "notice_templates": self.notice_templates,
            "verification": self.verification,
        }


class PlanRevision(AppendOnlyModel):
    """One published version of an emergency plan (Art. 13: 应急预案), written when the plan is created and
    at each change of its content. Append-only: what a drill or an incident followed stays readable after
    the plan is edited."""

    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("emergency plan"), on_delete=models.CASCADE, related_name="revisions"
    )
    revision = models.PositiveIntegerField(_("plan version"))
    snapshot = models.JSONField(_("content"), default=dict)
    created_at = models.DateTimeField(_("published at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "revision"], name="plan_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.revision}"


class Incident(VersionedModel):
    """A fault (故障) and its handling under Art. 13. A plain user sees the incidents they reported."""

    scope_unit_field = "unit"
    scope_owner_field = "reporter"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    affected_items = models.ManyToManyField(
        Item, verbose_name=_("affected items"), blank=True, related_name="incidents"
    )
    impact_scope = models.CharField(
        _("impact scope"), max_length=20, choices=ImpactScope.choices, default=ImpactScope.ONE_USER
    )
    started_at = models.DateTimeField(_("started at"))
    reported_at = models.DateTimeField(_("reported at"))
    cause_category = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    cause_detail = models.TextField(_("cause detail"), blank=True)
    grade = models.CharField(_("grade"), max_length=3, choices=Grade.choices)
    grade_reason = models.CharField(_("reason for the grade"), max_length=300, blank=True)
    grade_manual = models.BooleanField(_("grade set by hand"), default=False)
    # When a hand-set grade was set: it stands until the facts change (Art. 12), that is the impact
    # scope or the start changes, or a threshold of the matrix passes after this moment.
    grade_set_at = models.DateTimeField(_("grade set by hand at"), null=True, blank=True)
    # A lower grade proposed by someone who may not lower it, waiting for the system management lead.
    proposed_grade = models.CharField(_("proposed grade"), max_length=3, choices=Grade.choices, blank=True)
    proposed_grade_reason = models.CharField(_("reason for the proposed grade"), max_length=300, blank=True)
    proposed_grade_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grade proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        Person,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.REPORTED)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_incidents",
    )
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name=_("emergency plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    plan_snapshot = models.JSONField(_("plan as activated"), default=dict, blank=True)
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    fixed_for_good = models.BooleanField(_("fixed for good"), null=True, blank=True)
    # Moments copied from the timeline when they happen, and the SLA deadlines, so lists filter and
    # sort without reading every timeline; the timers themselves are computed from the events.
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    restore_due_at = models.DateTimeField(_("restore by"), null=True, blank=True)
    # When the breach of each deadline was announced: the sweep warns once per deadline, never twice.
    acknowledge_warned_at = models.DateTimeField(_("acknowledge breach warned at"), null=True, blank=True)
    restore_warned_at = models.DateTimeField(_("restore breach warned at"), null=True, blank=True)
    # Correlation (docs/correlation.md): who opened it, how it ended when not by the flow's own closing
    # step, the incident it was merged into or follows, and the changes suspected as its cause.
    source = models.CharField(_("opened by"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    closed_as = models.CharField(_("closed as"), max_length=20, choices=ClosedAs.choices, blank=True)
    false_alarm_reason = models.TextField(_("why it is a false alarm"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
    )
    follows = models.ForeignKey(
        "self",
        verbose_name=_("follows the closed incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_by",
    )
    suspected_changes = models.ManyToManyField(
        "changes.Change", verbose_name=_("suspected cause"), blank=True, related_name="suspected_incidents"
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        indexes = [
            # The list's filters (unit, state, grade) followed by its order: the first page is read in
            # index order and the count is an index-only scan, at a million incidents too.
            models.Index(fields=["unit", "state", "grade", "-reported_at", "-id"], name="incident_list"),
            models.Index(fields=["state", "reported_at"], name="incident_state_reported"),
            models.Index(fields=["reported_at"], name="incident_reported"),
            # The dashboard's time-to-restore trend reads the weeks' restorations by this range.
            models.Index(
                fields=["restored_at"], condition=Q(restored_at__isnull=False), name="incident_restored"
            ),
            # The list's sortable columns lead an index each (issue 25): a sorted page is an index range.
            models.Index(fields=["grade", "reported_at"], name="incident_grade_reported"),
            # The duty board reads the open incidents most severe and oldest first (issue 27): only open
            # ones are in it, so it stays small however many are closed. It carries what the dashboard's
            # counts of open and breached incidents read, so those are index-only scans (PostgreSQL).
            models.Index(
                fields=["grade", "reported_at", "id"],
                condition=Q(state__in=OPEN_STATES),
                include=[
                    "unit",
                    "acknowledge_due_at",
                    "acknowledged_at",
                    "restore_due_at",
                    "restored_at",
                    "closed_as",
                ],
                name="incident_duty",
            ),
            # A unit's incidents newest first: the default list (and its pages) of everyone who sees
            # one unit is an index range, where the list index above leads with the state (issue 27).
            models.Index(fields=["unit", "-reported_at", "-id"], name="incident_unit_reported"),
            # The breach sweep's filters: only incidents still waiting for the step and not yet warned
            # are in these partial indexes, so they stay small however many incidents are closed.
            models.Index(
                fields=["acknowledge_due_at"],
                condition=Q(acknowledged_at__isnull=True, acknowledge_warned_at__isnull=True),
                name="incident_ack_breach_sweep",
            ),
            models.Index(
                fields=["restore_due_at"],
                condition=Q(restored_at__isnull=True, restore_warned_at__isnull=True),
                name="incident_restore_breach_sweep",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"INC{self.pk:06d}" if self.pk else "INC"

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def grade_badge(self) -> str:
        return Grade(self.grade).badge

    @property
    def is_false_alarm(self) -> bool:
        return self.closed_as == ClosedAs.FALSE_ALARM


def counted_q() -> Q:
    """The incidents that count as faults in figures, restore times and compliance: every one but the
    false alarms and those merged into another incident, where their fault is counted once
    (docs/correlation.md)."""
    return ~Q(closed_as__in=[ClosedAs.FALSE_ALARM, ClosedAs.MERGED])


class Signal(models.Model):
    """A check down or an alert firing on an inventory item, and its recovery: machine data, not audited.
    Correlation (services/correlation.py) puts each signal outside a maintenance window into one
    incident; inside a window it is recorded as suppressed by the window's change."""

    scope_unit_field = "unit"

    source = models.CharField(_("source"), max_length=10, choices=SignalSource.choices)
    key = models.CharField(_("key"), max_length=200)
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="signals")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="signals")
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SignalState.choices, default=SignalState.FIRING
    )
    first_at = models.DateTimeField(_("first seen"))
    last_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    repeats = models.PositiveIntegerField(_("repeats"), default=0)
    stale = models.BooleanField(_("stale"), default=False)
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
    )
    # The firing signal upstream (or on the same item) whose incident this one folded into; empty for
    # the signal that opened its incident.
    folded_under = models.ForeignKey(
        "self",
        verbose_name=_("folded under"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="folded",
    )
    suppressed_by = models.ForeignKey(
        "changes.Change",
        verbose_name=_("suppressed by change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suppressed_signals",
    )
    # Held by an occurrence of a recurring maintenance window (no change behind it, so no suspect).
    held_by_window = models.ForeignKey(
        "changes.RecurringWindow",
        verbose_name=_("held by recurring window"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="held_signals",
    )

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["-first_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"], condition=Q(state="firing"), name="signal_one_firing_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["item", "state"], name="signal_item_state"),
            models.Index(fields=["incident", "first_at"], name="signal_incident"),
            # The re-check at a window's end reads only the suppressed signals still waiting.
            models.Index(
                fields=["first_at"],
                condition=Q(state="firing", incident__isnull=True, suppressed_by__isnull=False),
                name="signal_suppressed_waiting",
            ),
            models.Index(
                fields=["first_at"],
                condition=Q(state="firing", incident__isnull=True, held_by_window__isnull=False),
                name="signal_held_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"

    @property
    def state_badge(self) -> str:
        return SignalState(self.state).badge


class CorrelationSettings(VersionedModel):
    """The group's correlation settings (one row, edited by a group system admin): how long after a
    root's signal a signal downstream still folds into its incident, and how long after a change an
    incident on an item it touched names the change as suspected cause."""

    fold_window_minutes = models.PositiveIntegerField(_("fold window (minutes)"), default=15)
    suspect_hours = models.PositiveIntegerField(_("changes suspected for (hours)"), default=24)

    class Meta:
        verbose_name = _("correlation settings")
        verbose_name_plural = _("correlation settings")

    def __str__(self) -> str:
        return f"{self.fold_window_minutes} min / {self.suspect_hours} h"


class IncidentEvent(TimelineEvent):
    """One entry of an incident's timeline (Art. 13: each step timestamped and attributed). Append-only."""

    kinds, states = EventKind, State
    scope_unit_field = "incident__unit"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")


class ChecklistItem(models.Model):
    """A step or verification item of the plan attached to an incident, ticked by someone at a time."""

    scope_unit_field = "incident__unit"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="checklist"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ChecklistKind.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=500)
    role = models.CharField(_("responsible role"), max_length=40, blank=True)
    expected_minutes = models.PositiveIntegerField(_("expected minutes"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["incident", "kind", "position"]

    def __str__(self) -> str:
        return self.text


class Notice(models.Model):
    """A notice the flow requires (Art. 13): suspension and recovery through the general office, the
    report to the leader in charge. Delivery is the notify app's; `event_key` ties the two together."""

    scope_unit_field = "incident__unit"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    event_key = models.CharField(_("event key"), max_length=120, unique=True)
    subject = models.JSONField(_("subject"), default=dict)
    body = models.JSONField(_("body"), default=dict)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sent_at:%Y-%m-%d %H:%M}"


class VendorEscalation(models.Model):
    """The vendor's maintenance engineer called in (Art. 13), remote or on site."""

    scope_unit_field = "incident__unit"

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="escalations"
    )
    contract = models.ForeignKey(
        MaintenanceContract,
        verbose_name=_("maintenance contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    engineer = models.ForeignKey(
        VendorEngineer, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="escalations"
    )
    mode = models.CharField(_("mode"), max_length=10, choices=EscalationMode.choices)
    contacted_at = models.DateTimeField(_("contacted at"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("vendor escalation")
        verbose_name_plural = _("vendor escalations")
        ordering = ["contacted_at", "id"]

    def __str__(self) -> str:
        return f"{self.engineer} · {self.get_mode_display()}"


class Drill(VersionedModel):
    """A drill (演练) of an emergency plan in a unit (Art. 13: 按照日常演练迅速处理故障).

    `step_timings`: list of {step, minutes} — how long each plan step took in the drill.
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="drills")
    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("emergency plan"), on_delete=models.PROTECT, related_name="drills"
    )
    # The plan version the drill rehearses, fixed when the drill is scheduled.
    plan_revision = models.ForeignKey(
        PlanRevision,
        verbose_name=_("plan version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drills",
    )
    scheduled_for = models.DateTimeField(_("scheduled for"))
    participants = models.ManyToManyField(
        Person, verbose_name=_("participants"), blank=True, related_name="drills"
    )
    step_timings = models.JSONField(_("step timings"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=DrillState.choices, default=DrillState.SCHEDULED
    )

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-scheduled_for", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.plan.title}"

    @property
    def code(self) -> str:
        return f"DRILL{self.pk:05d}" if self.pk else "DRILL"

    @property
    def state_badge(self) -> str:
        return DrillState(self.state).badge
