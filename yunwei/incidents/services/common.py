"""Who may act on fault handling, and the timeline helpers every service shares."""

from django.utils.translation import gettext as _

from yunwei.core import records
from yunwei.core.errors import PermissionDenied, TransitionNotAllowed
from yunwei.core.scoping import access_of
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from ..choices import Grade, State
from ..models import (
    Incident,
    IncidentEvent,
)

SEVERE_GRADES = (Grade.I, Grade.II)  # need the leader report (Art. 13: 向主管领导汇报)


# -- who may act -----------------------------------------------------------------------------------


def is_staff_for(actor, unit_id: int | None) -> bool:
    """Who handles the unit's faults: its admins, the group's admins and the operations staff (Art. 13)."""
    return access_of(actor).can_handle_unit(unit_id)


def is_system_lead(actor, unit_id: int | None) -> bool:
    """The system management lead (Art. 4): posted at the group, or at the incident's unit."""
    return any(
        role == Role.SYSTEM_LEAD and (held_unit == unit_id or kind == UnitKind.GROUP)
        for role, held_unit, kind in access_of(actor).roles
    )


def require_staff(actor, incident: Incident) -> None:
    """Refuse anyone but the unit's system staff (Art. 13)."""
    if not is_staff_for(actor, incident.unit_id):
        raise PermissionDenied(_("Only the unit's system staff may handle this incident."))


def require_group_admin(actor) -> None:
    """Refuse anyone but a group system admin: the group's catalogue is theirs."""
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may change the emergency plans and the matrix."))


def require_open(incident: Incident) -> None:
    """Refuse any change to a closed incident."""
    if incident.state == State.CLOSED:
        raise TransitionNotAllowed(_("This incident is closed; it can no longer be changed."))


def group_unit_ids() -> list[int]:
    """The group's own units: its staff serve every unit (Art. 4, 13)."""
    return list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))


# -- timeline -------------------------------------------------------------------------------------


def add_event(incident: Incident, kind: str, *, actor, **details) -> IncidentEvent:
    """Append an entry to the incident's timeline."""
    return records.append_event(IncidentEvent, {"incident": incident}, kind, actor=actor, **details)


def lock_incident(incident: Incident, expected_version: int | None = None) -> Incident:
    """The incident's row, locked for this transaction; StaleEdit when it is no longer the version read."""
    return records.lock(Incident.objects, incident.pk, expected_version)
