"""Alert intake's records (Art. 3: faults located quickly and accurately; Art. 13: the staff told at once).

An `Integration` is one source of a unit (an Alertmanager, a Zabbix server, a script posting JSON) with
its own token. Each accepted request is kept raw as a `Payload` (machine data, never audited, pruned after
the integration's retention); each alert it carries is one `Alert` row per identity, updated in place
on repeats, with its state history in `AlertEvent`. `MappingRule`s say which label names the inventory
item; an alert no rule places waits in the unmatched queue until someone maps it (`LabelMapping`).

Correlation into incidents is built on top: `Alert.incident` is the link it will set.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.cmdb.models import Item
from yunwei.core.models import TimelineEvent, VersionedModel
from yunwei.incidents.models import Incident
from yunwei.org.models import Unit

from .choices import (
    AlertChange,
    AlertStatus,
    IntegrationKind,
    IntegrationState,
    MatchField,
    MatchState,
)


def default_replica_labels() -> list:
    return ["prometheus_replica"]


def new_rules_key() -> str:
    return uuid.uuid4().hex


class Integration(VersionedModel):
    """A source of alerts of a unit (Art. 3): its kind, its token (only the hash is stored), an optional
    HMAC secret, how alerts are told apart (replica labels dropped), when a firing alert goes stale
    (k × the repeat interval), what proves the source is alive (a watchdog alert, a minimum traffic)
    and how long raw payloads are kept."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="alert_integrations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IntegrationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # sha256 of the token: the token itself is shown once, at creation and on rotation.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token ends with"), max_length=8, editable=False)
    hmac_secret = models.CharField(_("HMAC secret"), max_length=200, blank=True)
    signature_required = models.BooleanField(_("signature required"), default=False)
    signature_window = models.PositiveIntegerField(_("signature time window (seconds)"), default=300)
    replica_labels = models.JSONField(_("replica labels to drop"), default=default_replica_labels, blank=True)
    repeat_interval = models.PositiveIntegerField(_("repeat interval (seconds)"), default=86400)
    stale_factor = models.PositiveSmallIntegerField(_("stale after (× repeat interval)"), default=2)
    watchdog_alert = models.CharField(
        _("watchdog alert name"),
        max_length=200,
        blank=True,
        default="Watchdog",
        help_text=_("An always-firing alert that proves the source is alive; empty: none expected."),
    )
    expect_watchdog = models.BooleanField(_("expect the watchdog"), default=False)
    min_payloads = models.PositiveIntegerField(_("minimum payloads per quiet period"), null=True, blank=True)
    quiet_after = models.PositiveIntegerField(_("silent after (seconds)"), default=900)
    payload_retention_days = models.PositiveIntegerField(_("keep raw payloads (days)"), default=30)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=IntegrationState.choices,
        default=IntegrationState.RECEIVING,
        editable=False,
    )
    silent_since = models.DateTimeField(_("silent since"), null=True, blank=True, editable=False)
    last_payload_at = models.DateTimeField(_("last payload"), null=True, blank=True, editable=False)
    last_watchdog_at = models.DateTimeField(_("last watchdog"), null=True, blank=True, editable=False)
    # A new value at every write of a mapping rule or a hand mapping: intake keeps the rules by it
    # (services/intake.py), so an edit is read by the next request of every process.
    rules_key = models.CharField(max_length=32, default=new_rules_key, editable=False)

    class Meta:
        verbose_name = _("alert integration")
        verbose_name_plural = _("alert integrations")
        ordering = ["unit_id", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state_badge(self) -> str:
        return IntegrationState(self.state).badge


class Payload(models.Model):
    """One accepted request, its body as received (machine data: never audited), and how each of its
    alerts was mapped (`outcome`: a list of {fingerprint, name, status, item, match}). Pruned in batches
    after the integration's retention (Art. 3: the evidence behind an alert, for a set time)."""

    scope_unit_field = "integration__unit"

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.CASCADE, related_name="payloads"
    )
    received_at = models.DateTimeField(_("received at"))
    body = models.TextField(_("body"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    outcome = models.JSONField(_("mapping"), default=list, blank=True)

    class Meta:
        verbose_name = _("alert payload")
        verbose_name_plural = _("alert payloads")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["integration", "received_at"], name="alerts_payload_int_at")]

    def __str__(self) -> str:
        return f"{self.integration_id} {self.received_at:%Y-%m-%d %H:%M:%S}"


class SeenSignature(models.Model):
    """A signature accepted within its time window: the same one again is a replay (refused)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "signature"], name="alerts_signature_once")
        ]

    def __str__(self) -> str:
        return self.signature[:12]


class MappingRule(VersionedModel):
    """One ordered rule of an integration: the value of `label` is looked up in the item field `field`
    among the unit's items (Art. 3: a fault located on the right item). The first rule whose label has a
    value and finds exactly one item places the alert; several items stop the search (ambiguous)."""

    scope_unit_field = "integration__unit"

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.CASCADE, related_name="rules"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    label = models.CharField(_("label"), max_length=100)
    field = models.CharField(_("item field"), max_length=10, choices=MatchField.choices)

    class Meta:
        verbose_name = _("mapping rule")
        verbose_name_plural = _("mapping rules")
        ordering = ["integration_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.label} → {self.get_field_display()}"


class LabelMapping(models.Model):
    """A label value someone mapped to an item by hand: later alerts with that value land on it too."""

    scope_unit_field = "integration__unit"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="label_mappings")
    label = models.CharField(max_length=100)
    value = models.CharField(max_length=500)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "label", "value"], name="alerts_label_mapping_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}={self.value}"


class Alert(models.Model):
    """One alert of a source, by its identity (`fingerprint`: the source's own, or a hash of its labels
    without the replica labels; Zabbix's event or trigger id and host), updated in place on every
    repeat (machine data, never audited). `stale_after` is stored so the stale sweep is an indexed
    filter (STYLE: deadlines are stored). `incident` is set by correlation."""

    scope_unit_field = "unit"

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.PROTECT, related_name="alerts"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    severity = models.CharField(_("severity"), max_length=50, blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AlertStatus.choices)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    repeat_count = models.PositiveIntegerField(_("repeats"), default=0)
    stale_after = models.DateTimeField(_("stale after"), null=True, blank=True, db_index=True)
    match = models.CharField(_("mapping"), max_length=10, choices=MatchState.choices)
    # The label whose value placed it (or would have): the key its siblings share.
    match_label = models.CharField(_("mapped by label"), max_length=100, blank=True)
    match_value = models.CharField(_("label value"), max_length=500, blank=True)
    item = models.ForeignKey(
        Item,
        verbose_name=_("inventory item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    source_url = models.CharField(_("source link"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "fingerprint"], name="alerts_alert_identity")
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="alerts_alert_unit_status"),
            models.Index(fields=["integration", "match"], name="alerts_alert_int_match"),
            # The alert list's order, read from its head (a group admin's list sorted every alert before).
            models.Index(fields=["-last_seen_at", "-id"], name="alerts_alert_recent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status_badge(self) -> str:
        return AlertStatus(self.status).badge

    @property
    def match_badge(self) -> str:
        return MatchState(self.match).badge


class AlertEvent(TimelineEvent):
    """An entry of an alert's state history: fired, resolved, stale, mapped by hand (machine data, except
    a mapping by hand, which is also audited)."""

    kinds, states = AlertChange, AlertStatus
    scope_unit_field = "alert__unit"

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")


class PendingCorrelation(models.Model):
    """An alert's change that intake stored and correlation has not yet placed: the outbox the worker
    drains (`history.correlate_pending`). Written in intake's transaction, so a change is never lost
    between the commit and its correlation; deleted in the transaction that correlates it."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="+")
    change = models.CharField(_("change"), max_length=20, choices=AlertChange.choices)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("alert change to correlate")
        verbose_name_plural = _("alert changes to correlate")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.change}"


__all__ = [
    "Alert",
    "AlertEvent",
    "Integration",
    "LabelMapping",
    "MappingRule",
    "Payload",
    "PendingCorrelation",
    "SeenSignature",
]
