"""The inventory (CMDB) of everything maintained, in the four domains of Art. 2 plus the machine room of
Art. 4: typed items, typed directed relations between them, and the rules of what may relate to what.

A relation `source → target` reads "source <verb> target" (an application *runs on* a server, a server
*is powered by* a UPS). For a relation type marked `is_dependency`, the source depends on the target:
when the target fails, the source is impacted. `yunwei.cmdb.impact` follows exactly these edges.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import VersionedModel
from yunwei.org.choices import Domain
from yunwei.org.models import MaintenanceContract, Person, Team, Unit, Vendor

from .choices import AttributeKind, Criticality, ItemStatus


class ItemType(VersionedModel):
    """A kind of configuration item (Art. 2, 4) and the attributes of its own.

    `attributes` is a list of `{code, label, kind, required, choices}`; kinds are `AttributeKind`. Types
    are the group's catalogue, shared by every unit; group admins add types and attributes as data.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("item type")
        verbose_name_plural = _("item types")
        ordering = ["domain", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (shipped names are msgids; added ones show as written)."""
        return gettext(self.name)

    def attribute(self, code: str) -> dict | None:
        return next((a for a in self.attributes if a.get("code") == code), None)

    @property
    def attribute_kinds(self) -> dict[str, str]:
        return {a["code"]: a.get("kind", AttributeKind.TEXT) for a in self.attributes}


class Item(VersionedModel):
    """A configuration item: a host, a switch, a database, the OA application, a UPS … (Art. 2, 4).

    `domain` is copied from the type by the service on every save, so lists filter without a join.
    `attributes` holds the type's own attributes, validated by the service against the type.
    """

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="items")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=150)
    type = models.ForeignKey(ItemType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="items")
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, editable=False)
    owner_team = models.ForeignKey(
        Team,
        verbose_name=_("owner team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    responsible = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.IN_SERVICE
    )
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    site = models.CharField(_("site"), max_length=100, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    rack = models.CharField(_("rack"), max_length=50, blank=True)
    position = models.CharField(_("position"), max_length=50, blank=True)
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    contract = models.ForeignKey(
        MaintenanceContract,
        verbose_name=_("maintenance contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    hostname = models.CharField(_("hostname"), max_length=253, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["unit__code", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="item_code_unique_in_unit")]
        indexes = [
            models.Index(fields=["domain"], name="cmdb_item_domain"),
            models.Index(fields=["status"], name="cmdb_item_status"),
            models.Index(fields=["ip"], name="cmdb_item_ip"),
            # Alert mapping finds an item of the unit by its hostname in any case (`hostname__iexact`).
            models.Index(F("unit"), Upper("hostname"), name="cmdb_item_unit_hostname"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def status_badge(self) -> str:
        return ItemStatus(self.status).badge

    @property
    def criticality_badge(self) -> str:
        return Criticality(self.criticality).badge


class RelationType(VersionedModel):
    """A kind of relation and its rules (Art. 2: items relate so that impact can be computed).

    Empty `source_domains` / `target_domains` / `source_types` / `target_types` allow anything; a
    non-empty list allows only the domains (or type codes) it names. `is_dependency`: the source depends
    on the target, so a failure propagates from target to source in impact analysis, and a cycle of
    such relations is refused.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    inverse_name = models.CharField(_("inverse name"), max_length=60)
    source_domains = models.JSONField(_("allowed source domains"), default=list, blank=True)
    target_domains = models.JSONField(_("allowed target domains"), default=list, blank=True)
    source_types = models.JSONField(_("allowed source types"), default=list, blank=True)
    target_types = models.JSONField(_("allowed target types"), default=list, blank=True)
    is_dependency = models.BooleanField(_("propagates impact"), default=True)

    class Meta:
        verbose_name = _("relation type")
        verbose_name_plural = _("relation types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return gettext(self.name)

    @property
    def inverse_label(self) -> str:
        return gettext(self.inverse_name)


class Relation(VersionedModel):
    """A typed, directed relation between two items; it belongs to the source's unit (Art. 2)."""

    scope_unit_field = "unit"

    source = models.ForeignKey(
        Item, verbose_name=_("source"), on_delete=models.CASCADE, related_name="outgoing"
    )
    target = models.ForeignKey(
        Item, verbose_name=_("target"), on_delete=models.CASCADE, related_name="incoming"
    )
    type = models.ForeignKey(
        RelationType, verbose_name=_("relation type"), on_delete=models.PROTECT, related_name="relations"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="relations", editable=False
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        ordering = ["source_id", "type_id", "target_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="relation_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="relation_not_to_itself"),
        ]
        # Impact analysis walks from target to source (downstream) and from source to target
        # (upstream); this index and the unique one (source, target, type) make each step index-only.
        # The type comes last: the walk asks for several dependency types at once, and as a trailing
        # column they are one filter on one index range rather than one descent per type.
        indexes = [models.Index(fields=["target", "source", "type"], name="cmdb_relation_walk")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.type_id})"
