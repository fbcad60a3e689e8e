"""Every change to the organisation goes through here: pages, API and commands alike (Art. 4, 8–10)."""

import copy

from django.contrib.auth import get_user_model, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yunwei.accounts.models import ApiToken, LoginSession
from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.core.scoping import access_of

from .choices import APPROVING_ROLES, Domain, Role, UnitKind
from .models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor, VendorEngineer


def _unit_id_of(instance: models.Model) -> int | None:
    if isinstance(instance, Unit):
        return instance.pk
    if isinstance(instance, VendorEngineer):
        return instance.vendor.unit_id
    return instance.unit_id


def require_manage(actor, unit_id: int | None) -> None:
    if not access_of(actor).can_manage_unit(unit_id):
        raise PermissionDenied(_("You may not manage records of this unit."))


def require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may do this."))


def _require_unique(model, field: str, value, exclude_pk=None, **scope) -> None:
    clash = model.objects.filter(**{field: value}, **scope)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if value not in (None, "") and clash.exists():
        raise DomainError(_("“%(value)s” is already in use.") % {"value": value}, field=field)


def _check_domains(domains) -> None:
    unknown = [d for d in domains or [] if d not in Domain.values]
    if unknown:
        raise DomainError(
            _("Unknown domain: %(codes)s") % {"codes": ", ".join(map(str, unknown))}, field="domains"
        )


def _check_fields(model, instance, fields: dict) -> None:
    """Rules that hold for a record whatever the path: unique codes in a unit, consistent references."""
    record = copy.copy(instance) if instance is not None else model()
    for name, value in fields.items():
        setattr(record, name, value)
    pk = record.pk
    if model is Unit:
        _require_unique(Unit, "code", record.code, pk)
        if record.kind == UnitKind.UNIT and not record.parent_id:
            raise DomainError(_("A unit belongs to the group: choose its parent."), field="parent")
        if pk and record.parent_id == pk:
            raise DomainError(_("A unit cannot be its own parent."), field="parent")
    elif model in (Team, Vendor):
        _require_unique(model, "code", record.code, pk, unit_id=record.unit_id)
        if model is Team:
            _check_domains(record.domains)
    elif model is MaintenanceContract:
        _require_unique(model, "number", record.number, pk, unit_id=record.unit_id)
        _check_domains(record.domains)
        if record.engineer_id and record.engineer.vendor_id != record.vendor_id:
            raise DomainError(_("The engineer must work for the contract's vendor."), field="engineer")
        if record.starts_on and record.ends_on and record.ends_on < record.starts_on:
            raise DomainError(_("The contract cannot end before it starts."), field="ends_on")
    elif (
        model is Person
        and record.team_id
        and record.team.unit_id != record.unit_id
        and record.team.unit.kind != UnitKind.GROUP
    ):
        raise DomainError(_("The team belongs to another unit."), field="team")


# -- plain records --------------------------------------------------------------------------------


@transaction.atomic
def create(model, *, actor, **fields):
    """Create a unit, team, person, vendor, engineer or contract after the permission and field rules."""
    if model is Unit:
        require_group_admin(actor)
    else:
        unit = fields["vendor"].unit if model is VendorEngineer else fields["unit"]
        require_manage(actor, unit.pk)
    _check_fields(model, None, fields)
    return create_record(model, actor=actor, **fields)


@transaction.atomic
def update(instance, *, actor, expected_version=None, **fields):
    require_manage(actor, _unit_id_of(instance))
    if "unit" in fields and fields["unit"].pk != _unit_id_of(instance):
        require_manage(actor, fields["unit"].pk)
    if isinstance(instance, Unit) and {"kind", "parent", "code"} & fields.keys():
        require_group_admin(actor)
    if isinstance(instance, Unit) and "is_active" in fields and fields["is_active"] != instance.is_active:
        # A unit admin switching their own unit off would shut out its people: the group decides.
        require_group_admin(actor)
    if isinstance(instance, Person) and fields.get("is_active") is False and _own(actor, instance):
        # An inactive person holds no role: switching oneself off would take back one's own roles.
        raise PermissionDenied(role_refusal(actor, instance), field="is_active")
    if isinstance(instance, Person) and _own(actor, instance):
        _refuse_own_contact_change(instance, fields)
    _check_fields(type(instance), instance, fields)
    return update_record(instance, actor=actor, expected_version=expected_version, **fields)


@transaction.atomic
def delete(instance, *, actor):
    if isinstance(instance, Unit):
        require_group_admin(actor)
    require_manage(actor, _unit_id_of(instance))
    if isinstance(instance, Person) and _own(actor, instance):
        # Deleting one's own person takes its role assignments with it.
        raise PermissionDenied(role_refusal(actor, instance), field="person")
    delete_record(instance, actor=actor)


CONTACT_FIELDS = ("email", "phone")
OWN_CONTACT_ELSEWHERE = gettext_lazy(
    "Change your own e-mail and phone on your account page, where you confirm it is you."
)


def _refuse_own_contact_change(person: Person, fields: dict) -> None:
    """One's own e-mail and phone change only on one's account page, after proving it is oneself again
    (accounts.services.change_own_contact): a session left open, even an admin's, must not redirect the
    notices and password resets that go to them."""
    for name in CONTACT_FIELDS:
        if name in fields and (fields[name] or "").strip() != (getattr(person, name) or ""):
            raise DomainError(str(OWN_CONTACT_ELSEWHERE), field=name)


# -- roles ----------------------------------------------------------------------------------------


def _own(actor, person: Person) -> bool:
    return person.account_id is not None and person.account_id == getattr(actor, "pk", None)


def role_refusal(actor, person: Person, role: str | None = None) -> str | None:
    """Why the actor may not grant or take back `role` of `person` (any role when None), or None when
    they may. Pages ask this to offer only what would be accepted; the unit scope is checked apart."""
    if _own(actor, person):
        return _(
            "Nobody grants, changes or takes back their own roles (Art. 10, 18): another admin must do it."
        )
    if role in APPROVING_ROLES and not access_of(actor).is_group_admin:
        return _(
            "“%(role)s” is a role that approves: only a group system admin assigns or revokes it "
            "(Art. 10, 18)."
        ) % {"role": Role(role).label}
    return None


def _require_role_change(actor, person: Person, role: str) -> None:
    reason = role_refusal(actor, person, role)
    if reason is not None:
        raise PermissionDenied(reason, field="person" if _own(actor, person) else "role")


def _check_role(person: Person, role: str, unit: Unit) -> None:
    if role == Role.GROUP_ADMIN and unit.kind != UnitKind.GROUP:
        raise DomainError(_("The group system admin role is held in the group."), field="unit")
    if RoleAssignment.objects.filter(person=person, unit=unit, role=role).exists():
        raise DomainError(_("%(person)s already holds this role.") % {"person": person}, field="role")


@transaction.atomic
def assign_role(person: Person, role: str, *, actor, unit: Unit | None = None) -> RoleAssignment:
    """Give a person a role in a unit; the assignment records who granted it (Art. 10, 18)."""
    unit = unit or person.unit
    require_manage(actor, unit.pk)
    _require_role_change(actor, person, role)
    _check_role(person, role, unit)
    return create_record(RoleAssignment, actor=actor, person=person, unit=unit, role=role, granted_by=actor)


@transaction.atomic
def revoke_role(assignment: RoleAssignment, *, actor) -> None:
    require_manage(actor, assignment.unit_id)
    _require_role_change(actor, assignment.person, assignment.role)
    delete_record(assignment, actor=actor)


@transaction.atomic
def grant_first_group_admin(person: Person, *, comment: str) -> RoleAssignment:
    """The group admin role of an account made by the operator (`createadmin`, the demo): granted by the
    system, since on a fresh install no group admin exists yet to grant it, and a superuser must not
    count as having granted it to themselves."""
    if person.account_id is None or not person.account.is_superuser:
        raise DomainError(_("Only the account made by the operator gets its role this way."), field="person")
    _check_role(person, Role.GROUP_ADMIN, person.unit)
    return create_record(
        RoleAssignment, actor=None, comment=comment, person=person, unit=person.unit, role=Role.GROUP_ADMIN
    )


def granter_id(assignment: RoleAssignment) -> int | None:
    """The account that granted the assignment: as recorded, or for an assignment that predates the
    record, the actor of its audited creation (None: the system, or nobody known)."""
    if assignment.granted_by_id is not None:
        return assignment.granted_by_id
    event = (
        AuditEvent.objects.filter(
            action="create", object_type=RoleAssignment._meta.label_lower, object_id=str(assignment.pk)
        )
        .order_by("-id")  # write order: a newest event may not be sealed (numbered) yet
        .first()
    )
    return event.actor_id if event is not None else None


def self_granted(account, role: str, unit_ids) -> bool:
    """`account` holds `role` in one of `unit_ids` only through assignments it granted itself: it may not
    approve through that role (Art. 10, 18). False when it holds the role there through somebody else."""
    held = RoleAssignment.objects.filter(
        person__account_id=getattr(account, "pk", None),
        person__is_active=True,
        role=role,
        unit_id__in=list(unit_ids),
    )
    grants = [granter_id(assignment) for assignment in held]
    return bool(grants) and all(granter == account.pk for granter in grants)


# -- accounts -------------------------------------------------------------------------------------


@transaction.atomic
def accounts_holding(roles, unit_ids) -> list[int]:
    """The accounts of active people holding any of `roles` (a role or several) in any of `unit_ids`:
    whom a notice of those roles goes to."""
    roles = [roles] if isinstance(roles, str) else list(roles)
    return sorted(
        set(
            RoleAssignment.objects.filter(
                unit_id__in=list(unit_ids),
                role__in=roles,
                person__is_active=True,
                person__account__isnull=False,
            ).values_list("person__account_id", flat=True)
        )
    )


def _new_account(username: str, email: str, password: str):
    """An unsaved account whose user name is free and whose password passes the password rules."""
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("This user name is taken."), field="username")
    user = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    return user


@transaction.atomic
def create_account(person: Person, *, actor, username: str, password: str):
    """Give a person a log-in account; the password must pass the password rules. All or nothing."""
    require_manage(actor, person.unit_id)
    # The row, locked, decides: two admins giving the same person an account at once get one.
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.account_id:
        raise DomainError(_("This person already has an account."), field="username")
    user = _new_account(username, person.email, password)
    user.save()
    Person.objects.filter(pk=person.pk).update(account=user)
    person.account = user
    audit.record(
        "create",
        actor=actor,
        obj=user,
        object_repr=username,
        unit_id=person.unit_id,
        after={"username": username, "person_id": person.pk},
    )
    return user


@transaction.atomic
def create_group_admin(
    username: str, *, password: str, email: str = "", person: Person | None = None, name: str = ""
):
    """The first group system admin (`yunwei createadmin`): a superuser, optionally linked to a person
    (an existing one without an account, or a new one called `name` in the group), audited."""
    if person is not None and person.account_id:
        raise DomainError(_("This person already has an account."), field="person")
    group = None
    if person is None and name:
        group = Unit.objects.filter(kind=UnitKind.GROUP).order_by("pk").first()
        if group is None:
            raise DomainError(_("There is no group unit to add the person to yet."), field="name")
    user = _new_account(username, email or (person.email if person else ""), password)
    user.is_staff = user.is_superuser = True
    user.save()
    # Written by the system: no one is logged in when the first admin is made.
    audit.record(
        "create",
        obj=user,
        object_repr=username,
        unit_id=person.unit_id if person else None,
        after={"username": username, "is_superuser": True},
        comment="createadmin",
    )
    if group is not None:
        person = create(Person, actor=user, unit=group, name=name, email=email)
    if person is not None:
        Person.objects.filter(pk=person.pk).update(account=user)
        person.account = user
        audit.record(
            "update",
            obj=person,
            before={"account_id": None},
            after={"account_id": user.pk},
            comment="createadmin",
        )
    if group is not None:
        grant_first_group_admin(person, comment="createadmin")
    return user


def end_sessions(user) -> int:
    """End every session and revoke every API token of an account."""
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    LoginSession.objects.filter(user=user).delete()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def disable_refusal(actor, person: Person) -> str | None:
    """Why the actor may not disable the person's account, or None; asked by the page too."""
    if person.account_id is not None and person.account_id == getattr(actor, "pk", None):
        return _("You cannot disable your own account.")
    return None


def set_account_active(person: Person, active: bool, *, actor) -> None:
    """Disable (ending its sessions and tokens) or re-enable a person's account."""
    require_manage(actor, person.unit_id)
    user = person.account
    if user is None:
        raise DomainError(_("This person has no account."), field="account")
    refusal = None if active else disable_refusal(actor, person)
    if refusal:
        raise DomainError(refusal, field="account")
    type(user).objects.filter(pk=user.pk).update(is_active=active)
    if not active:
        end_sessions(user)
    audit.record(
        "update" if active else "account_disabled",
        actor=actor,
        obj=user,
        object_repr=user.username,
        unit_id=person.unit_id,
        after={"is_active": active},
    )


# -- personal data (Art. 11) ----------------------------------------------------------------------


# One masking for people's pages, the API and the audit log.
mask_phone = audit.mask_phone
mask_email = audit.mask_email


def may_reveal(actor, person_unit_id: int, person_account_id: int | None = None) -> bool:
    access = access_of(actor)
    return access.can_manage_unit(person_unit_id) or (
        person_account_id is not None and person_account_id == access.user_id
    )


@transaction.atomic
def reveal_personal_data(record, *, actor) -> dict[str, str]:
    """Un-mask a person's or engineer's phone and e-mail; every un-masking is audited."""
    unit_id = _unit_id_of(record)
    if not may_reveal(actor, unit_id, getattr(record, "account_id", None)):
        raise PermissionDenied(_("You may not see this person's contact details."))
    values = {name: getattr(record, name) for name in record.personal_fields}
    audit.record("unmask", actor=actor, obj=record, comment=", ".join(record.personal_fields))
    return values
