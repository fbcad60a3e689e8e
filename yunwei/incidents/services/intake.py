"""Who reports a fault for which unit (Art. 8, 13): everyone for their own unit; whoever handles several
units (a group or unit system admin, the operations staff of Art. 4) for any unit they handle, so the
incident lands in the affected unit and that unit's leader, clerk and admin are told and can open it."""

from django.db.models import QuerySet

from yunwei.core.scoping import access_of
from yunwei.org.models import Unit


def may_report(actor, unit) -> bool:
    access = access_of(actor)
    return unit.pk == access.unit_id or access.can_handle_unit(unit.pk)


def reportable_units(actor) -> QuerySet:
    """The units `actor` may report a fault for, their own first (the form's default)."""
    access = access_of(actor)
    units = Unit.objects.order_by("code")
    if access.is_group_admin or access.is_group_staff:
        return units
    ids = {access.unit_id, *access.admin_unit_ids, *access.staff_unit_ids} - {None}
    return units.filter(pk__in=ids)
