"""Accounts: log-in identities, API tokens and log-in sessions (Art. 8, 11)."""

import hashlib
import secrets
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunwei.core.scoping import Access
from yunwei.org.choices import Role, UnitKind

# Art. 4 and 7: the people who run the system day to day, across the units they serve.
OPERATIONS_STAFF_ROLES = (Role.SYSTEM_LEAD, Role.TECH_STAFF)


class User(AbstractUser):
    """An account. The person it belongs to (org.Person) carries the unit and the roles."""

    @cached_property
    def access(self) -> Access:
        """The account's tier of Art. 8, from its person's role assignments."""
        person = getattr(self, "person", None)
        active = person is not None and person.is_active
        roles = list(person.role_assignments.values_list("role", "unit_id", "unit__kind")) if active else []
        if self.is_superuser:
            unit_id = person.unit_id if person else None
            return Access(self.pk, unit_id, is_group_admin=True, roles=frozenset(roles))
        if not active:
            return Access(self.pk, None)
        staff = [(unit, kind) for role, unit, kind in roles if role in OPERATIONS_STAFF_ROLES]
        return Access(
            user_id=self.pk,
            unit_id=person.unit_id,
            is_group_admin=any(role == Role.GROUP_ADMIN for role, _unit, _kind in roles),
            admin_unit_ids=frozenset(unit for role, unit, _kind in roles if role == Role.UNIT_ADMIN),
            staff_unit_ids=frozenset(unit for unit, _kind in staff),
            is_group_staff=any(kind == UnitKind.GROUP for _unit, kind in staff),
            is_group_leader=any(
                role == Role.LEADER and kind == UnitKind.GROUP for role, _unit, kind in roles
            ),
            leader_unit_ids=frozenset(unit for role, unit, _kind in roles if role == Role.LEADER),
            roles=frozenset(roles),
        )


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """An API token; only its SHA-256 is stored, so a leaked database does not leak tokens."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return _hash_token(key)


class LoginSession(models.Model):
    """A session opened by logging in, so disabling an account can end every one of its sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(max_length=40, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("log-in session")
        verbose_name_plural = _("log-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"


class Delegation(models.Model):
    """职务代理 (issue 26 item 5): while an approver is away, the deputy they named decides in their
    stead for a time span. The deputy's decisions record both names; segregation of duties still holds
    (`accounts.delegation`). Ended early by setting `ended_at`; never edited otherwise, so the record of
    who could decide when stays true."""

    scope_unit_field = "principal__person__unit"

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deputy"),
        on_delete=models.CASCADE,
        related_name="delegations_held",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["deputy", "starts_at", "ends_at"], name="accounts_delegation_deputy")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="delegation_span"
            ),
            models.CheckConstraint(
                condition=~models.Q(principal=models.F("deputy")), name="delegation_not_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.deputy}"

    @property
    def name(self) -> str:
        return str(self)

    def until(self):
        """When the delegation stops: its end, or earlier when it was ended."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at


class DirectoryRule(models.Model):
    """A rule mapping a group of the group company's directory (LDAP / Active Directory, nested groups
    included) to a role in a unit (issue 26 item 8; Art. 8–10). Accounts are made on first log-in from
    the rules their groups match; the first matching rule (lowest order) gives the person's unit.
    Edited by group system admins, who thereby grant the roles (Art. 10: approving roles come from them)."""

    scope_unit_field = "unit"

    group_dn = models.CharField(_("directory group (DN)"), max_length=500)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    order = models.PositiveIntegerField(_("order"), default=100)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("directory rule")
        verbose_name_plural = _("directory rules")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group_dn", "unit", "role"], name="directory_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group_dn} → {self.get_role_display()}"

    @property
    def name(self) -> str:
        return self.group_dn


class DirectoryAccount(models.Model):
    """An account that logs in through the directory: its DN, the groups it was last seen in and the
    roles the rules gave it (so a later log-in takes back only those). The sync disables the account
    once the directory disables or removes the entry (`disabled_at`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory")
    dn = models.CharField(_("DN"), max_length=500)
    groups = models.JSONField(_("directory groups"), default=list)
    granted = models.JSONField(default=list)
    synced_at = models.DateTimeField(_("synchronised at"), default=timezone.now)
    disabled_at = models.DateTimeField(_("disabled by the directory at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")

    def __str__(self) -> str:
        return self.dn
