"""Choice sets of the inventory: stable English codes, translated labels, badge colours in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_SERVICE = "in_service", _("In service")
    MAINTENANCE = "maintenance", _("Under maintenance")
    RETIRED = "retired", _("Retired")

    @property
    def badge(self) -> str:
        return {"planned": "info", "in_service": "success", "maintenance": "warning", "retired": "secondary"}[
            self.value
        ]


class Criticality(models.TextChoices):
    LOW = "low", _("Low")
    # "Medium" alone is also a link's transmission medium in the shipped catalogue.
    MEDIUM = "medium", pgettext_lazy("criticality", "Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")

    @property
    def badge(self) -> str:
        return {"low": "secondary", "medium": "info", "high": "warning", "critical": "danger"}[self.value]


class AttributeKind(models.TextChoices):
    """The kinds a type's own attribute may have; the service parses and checks values by kind."""

    TEXT = "text", _("Text")
    INT = "int", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    BOOL = "bool", _("Yes / no")
    DATE = "date", _("Date")
    IP = "ip", _("IP address")
    URL = "url", _("URL")
    CHOICE = "choice", _("Choice")


class Direction(models.TextChoices):
    """Impact direction. Down: what breaks if the item fails. Up: where a fault of the item may come from."""

    DOWN = "down", _("Downstream (depends on it)")
    UP = "up", _("Upstream (it depends on)")
