"""The organisation: group and units, teams, people, roles, vendors and their contracts (Art. 4, 8–10)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import VersionedModel

from .choices import REQUIRED_UNIT_ROLES, ContractStatus, Domain, Role, UnitKind

CONTRACT_EXPIRING_DAYS = 60


class UnitQuerySet(models.QuerySet):
    def with_staffing(self):
        """Annotate how many of each Art. 10 role a unit has, in one query."""
        return self.annotate(
            **{
                f"n_{role.value}": Count(
                    "role_assignments",
                    filter=Q(role_assignments__role=role, role_assignments__person__is_active=True),
                    distinct=True,
                )
                for role in REQUIRED_UNIT_ROLES
            }
        )


class Unit(VersionedModel):
    """The group (集团) and its member units (Art. 8, 10)."""

    scope_unit_field = "pk"

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=UnitKind.choices, default=UnitKind.UNIT)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def staffing_gaps(self) -> list[str]:
        """Art. 10 roles this unit lacks (codes). Uses annotations from with_staffing() when present."""
        if self.kind == UnitKind.GROUP:
            return []
        gaps = []
        for role in REQUIRED_UNIT_ROLES:
            count = getattr(self, f"n_{role.value}", None)
            if count is None:
                count = self.role_assignments.filter(role=role, person__is_active=True).count()
            if not count:
                gaps.append(role.value)
        return gaps

    def staffing_gap_labels(self) -> list[str]:
        return [str(Role(code).label) for code in self.staffing_gaps()]


class Team(VersionedModel):
    """A team and the maintenance domains it owns (Art. 4: 计算机室 four domains, 有线科 machine room)."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="teams")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    domains = models.JSONField(_("domains"), default=list, blank=True)
    duties = models.TextField(_("duties"), blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["unit__code", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="team_code_unique_in_unit")]

    def __str__(self) -> str:
        return self.name

    def domain_labels(self) -> list[str]:
        return [str(Domain(d).label) for d in self.domains if d in Domain.values]


class Person(VersionedModel):
    """A person of a unit, optionally linked to an account. Phone and e-mail are personal data (Art. 11)."""

    scope_unit_field = "unit"
    personal_fields = ("phone", "email")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people")
    name = models.CharField(_("name"), max_length=60)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["unit__code", "name"]

    def __str__(self) -> str:
        return self.name

    def role_labels(self) -> list[str]:
        return [str(Role(a.role).label) for a in self.role_assignments.all()]


class RoleAssignment(models.Model):
    """A role held by a person in a unit (Art. 4, 8–10), and who granted it: nobody approves through a
    role they gave themselves (Art. 10, 18). `granted_by` is empty where the system granted it (the first
    group admin) or where the assignment predates the record; the audit trail then says who did."""

    scope_unit_field = "unit"

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["unit__code", "role"]
        constraints = [
            models.UniqueConstraint(fields=["person", "unit", "role"], name="role_once_per_person_unit")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()}"


class Vendor(VersionedModel):
    """A vendor (厂家) whose maintenance engineers are called in when staff cannot fix a fault (Art. 13)."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="vendors")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    hotline = models.CharField(_("service hotline"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["unit__code", "code"]
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="vendor_code_unique_in_unit")]

    def __str__(self) -> str:
        return self.name


class VendorEngineer(VersionedModel):
    """A vendor's maintenance engineer (厂家维护工程师)."""

    scope_unit_field = "vendor__unit"
    personal_fields = ("phone", "email")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="engineers"
    )
    name = models.CharField(_("name"), max_length=60)
    speciality = models.CharField(_("speciality"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("vendor engineer")
        verbose_name_plural = _("vendor engineers")
        ordering = ["vendor__code", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor})"


class MaintenanceContract(VersionedModel):
    """A maintenance contract: what a vendor covers for a unit, and until when."""

    scope_unit_field = "unit"

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="contracts")
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("contract number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    domains = models.JSONField(_("domains covered"), default=list, blank=True)
    coverage = models.TextField(_("what it covers"), blank=True)
    engineer = models.ForeignKey(
        VendorEngineer,
        verbose_name=_("maintenance engineer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
    )
    response_hours = models.PositiveSmallIntegerField(_("on-site response (hours)"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), db_index=True)

    class Meta:
        verbose_name = _("maintenance contract")
        verbose_name_plural = _("maintenance contracts")
        ordering = ["ends_on"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="contract_number_unique_in_unit"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="contract_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def status(self) -> ContractStatus:
        today = timezone.localdate()
        if self.starts_on > today:
            return ContractStatus.PENDING
        if self.ends_on < today:
            return ContractStatus.EXPIRED
        if self.ends_on <= today + datetime.timedelta(days=CONTRACT_EXPIRING_DAYS):
            return ContractStatus.EXPIRING
        return ContractStatus.ACTIVE
