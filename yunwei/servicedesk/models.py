"""The service desk (Art. 9–10): the catalogue of request types, the requests users make, their timeline,
attachments, and the reply templates of the admins.

Named `ServiceRequest`, not `Request`, so nothing is mistaken for an HTTP request.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.changes.models import Change
from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.incidents.models import Incident
from yunwei.org.models import Unit
from yunwei.problems.models import Problem

from .choices import Action, Actor, EscalationLevel, EventKind, Kind, Priority, State, WaitingOn

DEFAULT_WAITING_CLOSE_DAYS = 14


class RequestType(VersionedModel):
    """A type of request in the catalogue (Art. 10: 流程定制): the form's fields, who approves in which
    order, who carries it out, the target times to answer and to complete in working minutes, and which
    waiting states stop the clock. Data edited by group system admins; the group's types serve every unit.
    A request takes a copy of the policy when it is made, so an edit never rewrites history."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    # [{"name", "label", "kind", "required", "choices": [...], "max_kb", "types": ["pdf", …]}]
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    approvers = models.JSONField(_("approvers in order"), default=list, blank=True)
    performer = models.CharField(_("carried out by"), max_length=20, choices=Actor.choices, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, blank=True)
    answer_minutes = models.PositiveIntegerField(_("target to answer (working minutes)"), default=240)
    complete_minutes = models.PositiveIntegerField(_("target to complete (working minutes)"), default=2250)
    hold_states = models.JSONField(_("states that stop the clock"), default=list, blank=True)
    waiting_close_days = models.PositiveSmallIntegerField(
        _("close after waiting for the requester (days)"), default=DEFAULT_WAITING_CLOSE_DAYS
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class ServiceRequest(VersionedModel):
    """A request of a user of a unit (Art. 9–10): a requirement, a technical support request or a usage
    approval, moving along its kind's flow; its timers count working time on the working calendar."""

    scope_unit_field = "unit"
    scope_owner_field = "requester"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    type = models.ForeignKey(
        RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    values = models.JSONField(_("form values"), default=dict, blank=True)
    # The type's policy when the request was made (targets, approvers, performer, hold states, action).
    policy = models.JSONField(_("policy"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    waiting_on = models.CharField(_("waiting on"), max_length=20, choices=WaitingOn.choices, blank=True)
    held_from = models.CharField(_("held from"), max_length=20, choices=State.choices, blank=True)
    approval_step = models.PositiveSmallIntegerField(_("approvals given"), default=0)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_service_requests",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    target_release = models.CharField(_("target release"), max_length=60, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), on_delete=models.SET_NULL, null=True, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    # The change an accepted requirement became (Art. 17); the change's page names the request back.
    change = models.ForeignKey(
        Change,
        verbose_name=_("change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    known_error = models.ForeignKey(
        Problem,
        verbose_name=_("known error"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Timers (Art. 10: 考核督办), in working time on the unit's calendar.
    submitted_at = models.DateTimeField(_("submitted at"))
    clock_started_at = models.DateTimeField(_("clock starts at"))
    answer_due_at = models.DateTimeField(_("answer due at"))
    complete_due_at = models.DateTimeField(_("completion due at"))
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    held_minutes = models.FloatField(_("held (working minutes)"), default=0)
    hold_started_at = models.DateTimeField(_("held since"), null=True, blank=True)
    answer_working_minutes = models.FloatField(_("time to answer (working minutes)"), null=True, blank=True)
    complete_working_minutes = models.FloatField(
        _("time to complete (working minutes)"), null=True, blank=True
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )
    group_alert_at = models.DateTimeField(_("tell the group at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("requester reminded at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="sr_unit_state"),
            models.Index(fields=["requester", "-submitted_at"], name="sr_requester_recent"),
            models.Index(fields=["waiting_on", "unit", "-submitted_at"], name="sr_queue"),
            models.Index(fields=["unit", "-submitted_at"], name="sr_unit_recent"),
            models.Index(fields=["-submitted_at", "-id"], name="sr_recent"),
            models.Index(fields=["state", "complete_due_at"], name="sr_state_due"),
            models.Index(fields=["state", "hold_started_at"], name="sr_state_held"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        return f"REQ{self.pk:06d}" if self.pk else "REQ"

    @property
    def state_badge(self) -> str:
        return State(self.state).badge

    @property
    def is_held(self) -> bool:
        return self.hold_started_at is not None


class RequestEvent(TimelineEvent):
    """One entry of a request's timeline. An internal note (`internal`) is never shown to the requester."""

    kinds, states = EventKind, State
    scope_unit_field = "request__unit"

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    internal = models.BooleanField(_("internal"), default=False)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("request event")
        verbose_name_plural = _("request events")


class Attachment(models.Model):
    """A file sent with a request's form, its size and type checked (Art. 11), kept in the database so
    every web process of scale mode serves it."""

    scope_unit_field = "request__unit"

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    field = models.CharField(_("field"), max_length=40)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField(_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class ReplyTemplate(VersionedModel):
    """A reply an admin fills in and sends: per unit, or the group's (its unit is the group) for every
    unit. `{code}`, `{title}`, `{requester}`, `{unit}` and the form's field names are filled in."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
