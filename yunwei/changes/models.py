"""Change management (Art. 17–18): change requests with their approvals and append-only timeline, the
group's templates of pre-approved standard changes, freeze periods, and the maintenance windows during
which monitoring holds back the alerts of the items a change touches.

Changes belong to a unit; templates are the group's catalogue, shared by every unit; a freeze period
covers the units it names, or the whole group when it names none.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.models import AppendOnlyModel, TimelineEvent, VersionedModel
from yunwei.org.models import Unit

from .choices import (
    REFUSAL_OPEN_STATES,
    ApprovalScope,
    ChangeKind,
    ChangeType,
    Decision,
    EventKind,
    Risk,
    ServiceImpact,
    State,
)


class ChangeTemplate(VersionedModel):
    """A pre-approved standard change (Art. 18, our reading): a routine change done the same way every
    time, approved once as a template by the group, so a change made from it needs no approval step."""

    name = models.CharField(_("name"), max_length=200)
    change_type = models.CharField(_("type of change"), max_length=30, choices=ChangeType.choices)
    description = models.TextField(_("description"), blank=True)
    implementation_plan = models.TextField(_("implementation plan"))
    test_plan = models.TextField(_("test plan"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    service_impact = models.CharField(
        _("service impact"), max_length=10, choices=ServiceImpact.choices, default=ServiceImpact.NONE
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FreezePeriod(VersionedModel):
    """A period in which no change is scheduled without the leader's approval (Art. 18, our reading: the
    change calendar shows freeze periods), e.g. around a holiday or the year-end closing. Declared by a
    group admin for some units, or for the whole group when `units` is empty."""

    # No scope_unit_field: scoped by hand (services.visible_freezes), since a whole-group freeze names
    # no unit and is seen by every unit.

    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=300)
    units = models.ManyToManyField(Unit, verbose_name=_("units"), blank=True, related_name="freeze_periods")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("declared by"), on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("freeze period")
        verbose_name_plural = _("freeze periods")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="change_freeze_window")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d})"

    @property
    def name(self) -> str:
        return self.reason


class Change(VersionedModel):
    """A change request of Art. 17–18: its type, the items it touches and their blast radius, plans,
    window, risk, approvals, implementation, verification or rollback, and review."""

    scope_unit_field = "unit"
    scope_owner_field = "requester"
    scope_open_to_group_leader = True  # the group's leader in charge approves risky changes of every unit

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="changes")
    title = models.CharField(_("title"), max_length=200)
    change_type = models.CharField(_("type of change"), max_length=30, choices=ChangeType.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices, default=ChangeKind.NORMAL)
    template = models.ForeignKey(
        ChangeTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
    )
    affected_items = models.ManyToManyField(
        Item, verbose_name=_("affected items"), blank=True, related_name="changes"
    )
    reason = models.TextField(_("reason"), blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    service_impact = models.CharField(
        _("service impact"), max_length=10, choices=ServiceImpact.choices, default=ServiceImpact.NONE
    )
    computed_risk = models.CharField(
        _("computed risk"), max_length=10, choices=Risk.choices, default=Risk.LOW
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, default=Risk.LOW)
    risk_override_reason = models.CharField(_("reason for overriding the risk"), max_length=300, blank=True)
    # The blast radius when the content was last saved: the affected items and everything depending on
    # them, across units (unscoped: the rules need the whole picture). Collisions compare these sets.
    radius_item_ids = models.JSONField(_("items in the blast radius"), default=list, blank=True)
    radius_unit_ids = models.JSONField(_("units in the blast radius"), default=list, blank=True)
    # {item, item_code, attribute | field, value}: inventory updates applied once the change is done.
    attribute_changes = models.JSONField(_("inventory updates"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_changes",
    )
    # Every submission opens a new round of approvals; an edit while submitted opens another.
    approval_round = models.PositiveIntegerField(_("approval round"), default=0)
    approval_due_at = models.DateTimeField(_("approval due by"), null=True, blank=True)
    # When the approvers were told that the approval is past due: set once, by a conditional update.
    approvers_reminded_at = models.DateTimeField(_("approvers reminded at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_refused = models.BooleanField(_("approval refused after the fact"), default=False)
    # An emergency change whose approval after the fact was refused is rolled back, unless the leader in
    # charge records an exception that lets the work stand (Art. 18): who, when and why.
    exception_at = models.DateTimeField(_("exception recorded at"), null=True, blank=True)
    exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exception recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    exception_reason = models.TextField(_("reason for the exception"), blank=True)
    implemented_at = models.DateTimeField(_("implementation started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    verification_result = models.TextField(_("verification result"), blank=True)
    rollback_note = models.TextField(_("what was rolled back"), blank=True)
    failure_note = models.TextField(_("why it failed"), blank=True)
    review = models.TextField(_("post-implementation review"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    inventory_applied_at = models.DateTimeField(_("inventory updated at"), null=True, blank=True)
    # A new window asked for a scheduled change that falls into a freeze or a collision: it waits for
    # the leader in charge's decision on that window; approved, the change moves there.
    requested_start = models.DateTimeField(_("requested new start"), null=True, blank=True)
    requested_end = models.DateTimeField(_("requested new end"), null=True, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="change_unit_state"),
            models.Index(fields=["state", "planned_start"], name="change_state_start"),
            models.Index(fields=["approval_due_at"], name="change_approval_due"),
            # The list's order and its sortable columns lead an index each (issue 25).
            models.Index(fields=["created_at"], name="change_created"),
            models.Index(fields=["planned_start"], name="change_planned_start"),
            # The dashboard counts the emergency changes still unapproved (awaiting approval after the
            # fact, or refused and awaiting rollback): only those are in it, a handful at any size.
            models.Index(
                fields=["unit"],
                condition=Q(kind=ChangeKind.EMERGENCY, approved_at__isnull=True),
                name="change_emergency_unapproved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"CHG{self.pk:06d}" if self.pk else "CHG"

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def risk_badge(self) -> str:
        return Risk(self.risk).badge

    @property
    def kind_badge(self) -> str:
        return ChangeKind(self.kind).badge

    @property
    def is_risky(self) -> bool:
        """High risk or a service outage: needs a rollback plan and the leader's approval too. The computed
        risk counts as well as the overridden one, so lowering the risk by hand avoids neither."""
        return (
            self.risk == Risk.HIGH
            or self.computed_risk == Risk.HIGH
            or self.service_impact == ServiceImpact.OUTAGE
        )

    @property
    def awaiting_approval(self) -> bool:
        """An emergency change carried out before its approval came in: flagged from that moment until
        the approval is in (or refused)."""
        return bool(
            self.kind == ChangeKind.EMERGENCY
            and self.implemented_at is not None
            and self.approved_at is None
            and not self.approval_refused
        )

    @property
    def awaiting_rollback(self) -> bool:
        """An emergency change carried out first whose approval was refused: it waits to be rolled back
        (or for the leader in charge's exception) and is flagged until then."""
        return bool(
            self.kind == ChangeKind.EMERGENCY
            and self.approval_refused
            and self.approved_at is None
            and self.exception_at is None
            and self.state in REFUSAL_OPEN_STATES
        )

    def approval_overdue(self, now) -> bool:
        """Awaiting its approval after the fact, and the time for it (24 h) is over."""
        return bool(
            self.awaiting_approval and self.approval_due_at is not None and self.approval_due_at < now
        )

    @property
    def reschedule_requested(self) -> bool:
        return self.requested_start is not None and self.requested_end is not None


def awaiting_approval_q() -> Q:
    """`Change.awaiting_approval` as a query: emergency changes carried out before approval."""
    return Q(
        kind=ChangeKind.EMERGENCY,
        implemented_at__isnull=False,
        approved_at__isnull=True,
        approval_refused=False,
    )


def awaiting_rollback_q() -> Q:
    """`Change.awaiting_rollback` as a query: refused emergency changes not yet rolled back or excepted."""
    return Q(
        kind=ChangeKind.EMERGENCY,
        approval_refused=True,
        approved_at__isnull=True,
        exception_at__isnull=True,
        state__in=REFUSAL_OPEN_STATES,
    )


class ChangeEvent(TimelineEvent):
    """One entry of a change's timeline (Art. 18: every step written down, who and when). Append-only."""

    kinds, states = EventKind, State
    scope_unit_field = "change__unit"
    scope_open_to_group_leader = True

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("change event")
        verbose_name_plural = _("change events")


class Approval(AppendOnlyModel):
    """One approval decision on a change (Art. 18, our reading: approved by the system management lead,
    and by the leader in charge for risky ones; scheduling into a freeze or a collision needs the leader
    too). Kept for ever; a new round of approvals starts with each submission."""

    scope_unit_field = "change__unit"
    scope_open_to_group_leader = True

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="approvals"
    )
    scope = models.CharField(_("scope"), max_length=10, choices=ApprovalScope.choices)
    round = models.PositiveIntegerField(_("round"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.SET_NULL, null=True
    )
    approver_name = models.CharField(_("approver"), max_length=150)
    # A deputy's decision (职务代理) names the approver they stood in for as well.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on behalf of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    on_behalf_of_name = models.CharField(_("on behalf of"), max_length=150, blank=True)
    role = models.CharField(_("as"), max_length=20)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), blank=True)
    # For a scheduling approval: the window it was given for (another window needs another approval).
    window_start = models.DateTimeField(_("window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("window end"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.approver_name} {self.decision}"

    @property
    def decision_badge(self) -> str:
        return Decision(self.decision).badge


class MaintenanceWindow(models.Model):
    """While a change is carried out, the alerts of the items in its blast radius are held back (Art. 18,
    our reading). Written when the change is scheduled (or an emergency change starts), moved when it is
    rescheduled, cut short when it ends; monitoring asks `services.active_window_for(item, at)`."""

    scope_unit_field = "change__unit"
    scope_open_to_group_leader = True

    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, related_name="windows"
    )
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["change", "item"], name="change_window_unique_item")]
        indexes = [models.Index(fields=["item", "starts_at", "ends_at"], name="change_window_item")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class RecurringWindow(VersionedModel):
    """A maintenance window that comes back on set weekdays at a set local time, in its own time zone (a
    weekly patch night, the monthly UPS test): monitoring holds back its items' alerts inside each
    occurrence as it does in a change's window, and evaluates again those still failing when it ends
    (Art. 3, 18). Declared for one unit by its system admin or a group admin."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=150)
    items = models.ManyToManyField(Item, verbose_name=_("items"), related_name="recurring_windows")
    # ISO weekdays: 1 is Monday, 7 is Sunday.
    weekdays = models.JSONField(_("weekdays"), default=list)
    start_time = models.TimeField(_("local start time"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("declared by"), on_delete=models.SET_NULL, null=True
    )

    class Meta:
        verbose_name = _("recurring maintenance window")
        verbose_name_plural = _("recurring maintenance windows")
        ordering = ["unit", "name", "id"]

    def __str__(self) -> str:
        return self.name


class WindowNotice(models.Model):
    """That the start or the end of one occurrence of a maintenance window, a change's or a recurring one,
    was told to its items' teams (Art. 18, our reading). Written in the notices' own transaction and unique
    per window, occurrence and edge: a rerun of the sweep, or a second worker, never tells it twice.
    `late`: told after the moment had passed (the scheduler was down), and the notice says so."""

    class Edge(models.TextChoices):
        START = "start", _("start")
        END = "end", _("end")

    # "change:<id>" or "recurring:<id>": one key for both kinds of window.
    window_key = models.CharField(_("window"), max_length=40)
    change = models.ForeignKey(
        Change, verbose_name=_("change"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recurring = models.ForeignKey(
        RecurringWindow,
        verbose_name=_("recurring maintenance window"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    occurrence_start = models.DateTimeField(_("occurrence start"))
    occurrence_end = models.DateTimeField(_("occurrence end"))
    edge = models.CharField(_("edge"), max_length=8, choices=Edge.choices)
    told_at = models.DateTimeField(_("told at"))
    late = models.BooleanField(_("told late"), default=False)
    event_keys = models.JSONField(_("notices"), default=list, blank=True)

    class Meta:
        verbose_name = _("window notice")
        verbose_name_plural = _("window notices")
        ordering = ["-told_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["window_key", "occurrence_start", "edge"], name="change_window_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window_key} {self.edge} {self.occurrence_start:%Y-%m-%d %H:%M}"
