"""Accounts from the group's directory, the part that needs no LDAP library: the rules that map its
groups to roles and units, the person and roles made on log-in, and disabling an account the directory
no longer has (issue 26 item 8; Art. 8–10). `accounts.directory` talks to the directory and calls these."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.scoping import access_of
from yunwei.org.models import Person, RoleAssignment, Unit
from yunwei.org.services import end_sessions

from .models import DirectoryAccount, DirectoryRule


def matching_rules(group_dns) -> list[DirectoryRule]:
    """The rules whose group the person is in (DNs compare without regard to case, as LDAP does)."""
    wanted = {dn.lower() for dn in group_dns}
    return [rule for rule in DirectoryRule.objects.select_related("unit") if rule.group_dn.lower() in wanted]


@transaction.atomic
def provision(user, *, dn: str, group_dns, name: str = "", email: str = "") -> DirectoryAccount | None:
    """After a directory log-in: the person (made on first log-in, in the unit of the first matching
    rule) and the roles the matching rules give, granted by the group admin who wrote each rule; roles a
    rule gave before and no longer gives are taken back. None when no rule matches: an account the
    directory gave before is then disabled, its roles taken back."""
    rules = matching_rules(group_dns)
    if not rules:
        known = DirectoryAccount.objects.filter(user=user).first()
        if known is not None:
            # The directory took the person out of every mapped group: their roles go, and the account.
            RoleAssignment.objects.filter(
                person__account=user, role__in=[role for role, _unit in known.granted]
            ).filter(unit_id__in=[unit for _role, unit in known.granted]).delete()
            known.granted, known.groups = [], sorted(group_dns)
            known.save(update_fields=["granted", "groups"])
            disable_from_directory(known, reason="no directory group of the account maps to Yunwei")
        return None
    person = Person.objects.filter(account=user).first()
    first_time = person is None
    if person is None:
        person = Person.objects.create(
            unit=rules[0].unit, name=name or user.get_username(), account=user, email=email
        )
    account, _created = DirectoryAccount.objects.get_or_create(user=user, defaults={"dn": dn})
    wanted = {(rule.role, rule.unit_id): rule for rule in rules}
    before = {tuple(pair) for pair in account.granted}
    held = set(RoleAssignment.objects.filter(person=person).values_list("role", "unit_id"))
    for (role, unit_id), rule in wanted.items():
        if (role, unit_id) not in held:
            RoleAssignment.objects.create(
                person=person, unit_id=unit_id, role=role, granted_by=rule.created_by
            )
    gone = before - set(wanted)
    for role, unit_id in gone:
        RoleAssignment.objects.filter(person=person, role=role, unit_id=unit_id).delete()
    account.dn, account.groups = dn, sorted(group_dns)
    account.granted = sorted([list(pair) for pair in wanted])
    account.synced_at, account.disabled_at = timezone.now(), None
    account.save()
    if first_time or gone or set(wanted) - before:
        audit.record(
            "create" if first_time else "update",
            actor=user,
            obj=user,
            object_repr=user.get_username(),
            unit_id=person.unit_id,
            after={"directory": dn, "roles": account.granted, "taken_back": sorted([list(p) for p in gone])},
            comment="directory log-in",
        )
    return account


@transaction.atomic
def disable_from_directory(account: DirectoryAccount, *, reason: str) -> bool:
    """The directory disabled or removed the entry: disable the account, end its sessions and revoke its
    API tokens at once. False when it was disabled already."""
    user = account.user
    changed = type(user).objects.filter(pk=user.pk, is_active=True).update(is_active=False)
    end_sessions(user)
    if not changed:
        return False
    DirectoryAccount.objects.filter(pk=account.pk).update(disabled_at=timezone.now())
    person = Person.objects.filter(account=user).first()
    audit.record(
        "account_disabled",
        actor=None,
        obj=user,
        object_repr=user.get_username(),
        unit_id=person.unit_id if person else None,
        after={"is_active": False},
        comment=reason,
    )
    return True


# -- the rules (group system admins) ----------------------------------------------------------------


def require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Directory rules are edited by group system admins."))


def _check(group_dn: str, unit: Unit | None) -> str:
    group_dn = (group_dn or "").strip()
    if not group_dn or "=" not in group_dn:
        raise DomainError(
            _("Give the group's distinguished name, e.g. cn=oa-admins,ou=groups,dc=example,dc=cn."),
            field="group_dn",
        )
    if unit is None:
        raise DomainError(_("Choose the unit."), field="unit")
    return group_dn


def _duplicate(group_dn, unit, role, exclude=None) -> None:
    rows = DirectoryRule.objects.filter(group_dn__iexact=group_dn, unit=unit, role=role)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    if rows.exists():
        raise DomainError(_("A rule for this group, unit and role exists already."), field="group_dn")


@transaction.atomic
def create_rule(*, actor, group_dn: str, unit: Unit, role: str, order: int = 100) -> DirectoryRule:
    require_group_admin(actor)
    group_dn = _check(group_dn, unit)
    _duplicate(group_dn, unit, role)
    return records.create_record(
        DirectoryRule, actor=actor, group_dn=group_dn, unit=unit, role=role, order=order, created_by=actor
    )


@transaction.atomic
def update_rule(rule: DirectoryRule, *, actor, expected_version: int | None, **fields) -> DirectoryRule:
    require_group_admin(actor)
    fields["group_dn"] = _check(fields.get("group_dn", rule.group_dn), fields.get("unit", rule.unit))
    _duplicate(fields["group_dn"], fields.get("unit", rule.unit), fields.get("role", rule.role), exclude=rule)
    # Whoever edits a rule grants its role from then on (Art. 10: approving roles come from a group admin).
    return records.update_record(
        rule, actor=actor, expected_version=expected_version, created_by=actor, **fields
    )


@transaction.atomic
def delete_rule(rule: DirectoryRule, *, actor) -> None:
    require_group_admin(actor)
    records.delete_record(rule, actor=actor)
