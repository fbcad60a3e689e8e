"""Unit scoping, in one place (Art. 8).

Three tiers: a group system admin sees and manages every unit; a unit system admin manages their own
unit; a user sees their own records and their unit's shared ones. Beside the tiers, the operations
staff of Art. 4 and 7 (system management lead, system technical staff) see and handle the operational
records (incidents, problems, changes) of the units they serve; posted at the group, that is every
unit. They do not manage the organisation: `writable()` stays with the admins.

Every page, API endpoint, export and search takes its queryset from `visible()` or `writable()`;
nothing else filters by unit.

A model opts in by naming the path to its unit (`scope_unit_field = "unit"` or `"vendor__unit"`) and,
for records a user owns personally, `scope_owner_field` (then a plain user sees only their own). A model
whose records the group's leader in charge decides on in every unit (changes: Art. 18's approval of the
risky ones) sets `scope_open_to_group_leader = True`; a unit's leader in charge then sees that unit's
records of the model too (the risky changes of their unit wait on their decision).
"""

from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Access:
    """What one account may reach; computed once per request from its person and role assignments."""

    user_id: int | None
    unit_id: int | None
    is_group_admin: bool = False
    admin_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Operations staff: the units they serve, or every unit when posted at the group.
    staff_unit_ids: frozenset[int] = field(default_factory=frozenset)
    is_group_staff: bool = False
    # The group's leader in charge: sees the records of every unit that a model opens to them.
    is_group_leader: bool = False
    # The units whose leader in charge the account is: they see those units' records of a model opened
    # to leaders (changes: Art. 18, the leader in charge decides on the risky ones of the unit).
    leader_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Every role held, as (role, unit id, unit kind): who may decide what is asked of these, not the rows.
    roles: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)

    @property
    def is_unit_admin(self) -> bool:
        return bool(self.admin_unit_ids)

    def can_manage_unit(self, unit_id: int | None) -> bool:
        return self.is_group_admin or (unit_id is not None and unit_id in self.admin_unit_ids)

    def can_handle_unit(self, unit_id: int | None) -> bool:
        """May work on the unit's operational records (acknowledge, diagnose, approve …)."""
        return (
            self.can_manage_unit(unit_id)
            or self.is_group_staff
            or (unit_id is not None and unit_id in self.staff_unit_ids)
        )

    @property
    def manageable_unit_ids(self) -> frozenset[int] | None:
        """Units this account may write to; None means every unit."""
        return None if self.is_group_admin else self.admin_unit_ids


NO_ACCESS = Access(user_id=None, unit_id=None)


def access_of(user) -> Access:
    if user is None or not user.is_authenticated:
        return NO_ACCESS
    return user.access


def _unit_path(model: type[Model]) -> str:
    path = getattr(model, "scope_unit_field", None)
    if path is None:
        raise TypeError(f"{model.__name__} declares no scope_unit_field; it cannot be scoped")
    return path


def visible(queryset: QuerySet, user) -> QuerySet:
    """Rows `user` may see."""
    access = access_of(user)
    if access.is_group_admin or access.is_group_staff:
        return queryset
    if access.is_group_leader and getattr(queryset.model, "scope_open_to_group_leader", False):
        return queryset
    if access.unit_id is None and not access.admin_unit_ids and not access.staff_unit_ids:
        return queryset.none()
    path = _unit_path(queryset.model)
    unit_ids = set(access.admin_unit_ids | access.staff_unit_ids)
    if access.unit_id is not None:
        unit_ids.add(access.unit_id)
    owner_field = getattr(queryset.model, "scope_owner_field", None)
    if owner_field and not (access.is_unit_admin or access.staff_unit_ids):
        own = Q(**{f"{path}__in": unit_ids, owner_field: access.user_id})
        if access.leader_unit_ids and getattr(queryset.model, "scope_open_to_group_leader", False):
            own |= Q(**{f"{path}__in": access.leader_unit_ids})
        return queryset.filter(own)
    return queryset.filter(**{f"{path}__in": unit_ids})


def visible_unit_ids(model: type[Model], user) -> frozenset[int] | None:
    """The units whose rows of `model` `user` may see, as `visible()` decides: None means every unit.

    For raw SQL that tests visibility on a row's own unit column (impact analysis): a list of unit ids
    is a constant the database compares in place, where a scoped subquery over a large unit is not.
    Only for models without personal records (no `scope_owner_field`).
    """
    if getattr(model, "scope_owner_field", None):
        raise TypeError(f"{model.__name__} has personal records; its visibility is not a set of units")
    _unit_path(model)
    access = access_of(user)
    if access.is_group_admin or access.is_group_staff:
        return None
    if access.is_group_leader and getattr(model, "scope_open_to_group_leader", False):
        return None
    unit_ids = set(access.admin_unit_ids | access.staff_unit_ids)
    if access.unit_id is not None:
        unit_ids.add(access.unit_id)
    return frozenset(unit_ids)


def writable(queryset: QuerySet, user) -> QuerySet:
    """Rows `user` may change: every unit for a group admin, their own unit for a unit admin."""
    access = access_of(user)
    if access.is_group_admin:
        return queryset
    if not access.admin_unit_ids:
        return queryset.none()
    return queryset.filter(**{f"{_unit_path(queryset.model)}__in": access.admin_unit_ids})
