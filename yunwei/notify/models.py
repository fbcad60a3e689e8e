"""Notification channels, the outbox of notices and their deliveries (Art. 13: notices must reach people).

Units are referred to by number (`unit_id`), never by a foreign key: notify is used by every app and
depends on none of them (DESIGN), like the audit log.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import VersionedModel

from .choices import ChannelKind, DeliveryState, Language, RecipientKind


class Channel(VersionedModel):
    """A way a unit's notices leave the platform: an SMTP server, a group robot or a webhook (Art. 13).

    `target` is the SMTP settings (host, port, use_tls, username, password, from) for e-mail and the
    robot or webhook URL for the others; `secret` signs DingTalk and Feishu messages and webhook
    bodies. Neither secret ever leaves the server through a page or the API.
    """

    unit_id = models.BigIntegerField(_("unit"), db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    target = models.JSONField(_("target"), default=dict, blank=True)
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Art. 13: suspension and recovery notices go out "through the general office" (综合办).
    announcements = models.BooleanField(
        _("general office announcements"),
        default=False,
        help_text=_("Suspension and recovery notices go here; a group channel gets every unit's."),
    )

    scope_unit_field = "unit_id"

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["unit_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit_id", "name"], name="notify_channel_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AllowedAddress(models.Model):
    """A host, address or network a group admin lets channels reach although it is internal.

    The SSRF guard refuses loopback, private, link-local and metadata addresses; an intranet SMTP relay
    or chat gateway is usually exactly such an address, so it must be allowed by name here.
    """

    value = models.CharField(_("host, address or CIDR"), max_length=255, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allowed address")
        verbose_name_plural = _("allowed addresses")
        ordering = ["value"]

    def __str__(self) -> str:
        return self.value


class Preference(models.Model):
    """How one person wants their notices (Art. 13): channels, quiet hours and language.

    `channels` lists "email" (their own address) and channel ids; quiet hours are local time
    (settings.TIME_ZONE) and defer all but urgent notices (grade Ⅱ) until they end.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class Notice(models.Model):
    """One notice caused by one event (the outbox row), in both languages (Art. 13).

    Written in the same transaction as the event; `event_key` names the event, so a notice is never
    produced twice for it.
    """

    event_key = models.CharField(_("event key"), max_length=200, unique=True)
    unit_id = models.BigIntegerField(_("unit"), null=True, blank=True, db_index=True)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=300)
    subject_en = models.CharField(_("subject (English)"), max_length=300, blank=True)
    body_zh = models.TextField(_("body (Chinese)"), blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_unit_field = "unit_id"

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject_zh

    def text(self, language: str) -> tuple[str, str]:
        """(subject, body) in `language`, falling back to Chinese where the English is missing."""
        if language == Language.EN and self.subject_en:
            return self.subject_en, self.body_en or self.body_zh
        return self.subject_zh, self.body_zh


class Delivery(models.Model):
    """One notice on its way to one recipient, with every attempt's outcome (Art. 13).

    The unique key (event, recipient kind, recipient) is the brief's (event, channel, recipient): for a
    channel the recipient is the channel's id, for e-mail the address. Stored as text so that no NULL
    channel slips past the constraint. A retry never makes a second row.
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    event_key = models.CharField(_("event key"), max_length=200)
    unit_id = models.BigIntegerField(_("unit"), null=True, blank=True, db_index=True)
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipient_kind = models.CharField(_("recipient kind"), max_length=16, choices=RecipientKind.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    # The person the delivery is for, when the notice named a person (their address or channel is
    # `recipient`): the delivery log names them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_deliveries"
    )
    # The robot it went to (a hash of the channel's URL), stamped when claimed: the robots' rate limits
    # hold per robot, and two channels may name the same robot.
    robot_key = models.CharField(_("robot"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_unit_field = "unit_id"

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient_kind", "recipient"], name="notify_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["robot_key", "state", "sent_at"], name="notify_delivery_robot_rate"),
            models.Index(fields=["state", "next_attempt_at"], name="notify_delivery_due"),
            # A record's deliveries are found by their key's prefix (`incident:12:`). The unique key's index
            # serves LIKE only on a database of C collation; this one serves it under any (PostgreSQL).
            models.Index(
                fields=["event_key"], opclasses=["varchar_pattern_ops"], name="notify_delivery_event_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.recipient}"

    @property
    def state_badge(self) -> str:
        return DeliveryState(self.state).badge

    @property
    def recipient_name(self) -> str:
        """Who the delivery is for, by name: the person, else the channel, else the address."""
        if self.user_id is not None and self.user is not None:
            person = getattr(self.user, "person", None)
            return person.name if person is not None else self.user.get_username()
        if self.recipient_kind == "channel" and self.channel is not None:
            return self.channel.name
        return self.recipient

    @property
    def failed_digest(self) -> "Delivery | None":
        """The digest this delivery was merged into, when that digest failed (its failure is this one's)."""
        digest = self.digest if self.state == DeliveryState.MERGED else None
        return digest if digest is not None and digest.state == DeliveryState.FAILED else None


class InboxItem(models.Model):
    """A notice in one person's in-app inbox (Art. 13): every notice sent to a person lands here too,
    whatever became of its e-mail or robot message, so nobody depends on a channel to learn of it.

    Written by `services.send` only, in the notice's transaction; read and unread is the person's own.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="inbox_items")
    unit_id = models.BigIntegerField(_("unit"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    scope_unit_field = "unit_id"

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "notice"], name="notify_inbox_once"),
        ]
        indexes = [
            # The inbox reads a person's rows newest first by keyset (id < cursor).
            models.Index(fields=["user", "-id"], name="notify_inbox_user"),
            # The top bar's unread count: only unread rows are in this partial index.
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="notify_inbox_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.notice_id}"
