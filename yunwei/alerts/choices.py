"""Choice sets of alert intake (Art. 3): stable English codes, translated labels, badge colours."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IntegrationKind(models.TextChoices):
    """The source an integration receives from; each has its own payload shape (docs/alerts.md)."""

    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    GENERIC = "generic", _("Generic JSON")


class IntegrationState(models.TextChoices):
    """Receiving while its watchdog or its minimum traffic arrives; silent when it stopped (Art. 3: the
    silence of a monitoring system is itself a fault of the watch, told to the unit, never an incident)."""

    RECEIVING = "receiving", pgettext_lazy("integration state", "Receiving")
    SILENT = "silent", pgettext_lazy("integration state", "Silent")

    @property
    def badge(self) -> str:
        return {"receiving": "success", "silent": "danger"}[self.value]


class AlertStatus(models.TextChoices):
    """Firing until the source says resolved; stale when it stopped repeating (a lost "resolved")."""

    FIRING = "firing", pgettext_lazy("alert status", "Firing")
    RESOLVED = "resolved", pgettext_lazy("alert status", "Resolved")
    STALE = "stale", pgettext_lazy("alert status", "Stale")

    @property
    def badge(self) -> str:
        return {"firing": "danger", "resolved": "success", "stale": "warning"}[self.value]


class MatchState(models.TextChoices):
    """How the alert found its inventory item: by a rule, by hand, or not (none or several: the queue)."""

    MATCHED = "matched", pgettext_lazy("alert match", "Matched")
    MANUAL = "manual", pgettext_lazy("alert match", "Mapped by hand")
    UNMATCHED = "unmatched", pgettext_lazy("alert match", "No item")
    AMBIGUOUS = "ambiguous", pgettext_lazy("alert match", "Several items")

    @property
    def badge(self) -> str:
        return {"matched": "success", "manual": "info", "unmatched": "warning", "ambiguous": "warning"}[
            self.value
        ]


# The alerts waiting in the unmatched queue for someone to choose their item.
WAITING = (MatchState.UNMATCHED, MatchState.AMBIGUOUS)


class MatchField(models.TextChoices):
    """The inventory item's field a mapping rule compares a label's value with."""

    CODE = "code", _("Item code")
    HOSTNAME = "hostname", _("Hostname")
    IP = "ip", _("IP address")
    INSTANCE = "instance", _("Host part of instance (hostname or IP)")


class AlertChange(models.TextChoices):
    """An entry of an alert's state history."""

    FIRED = "fired", pgettext_lazy("alert change", "Fired")
    RESOLVED = "resolved", pgettext_lazy("alert change", "Resolved")
    STALE = "stale", pgettext_lazy("alert change", "Went stale")
    MAPPED = "mapped", pgettext_lazy("alert change", "Mapped by hand")
    RECOVERY_ONLY = "recovery_only", _("Recovery without a problem before it")
