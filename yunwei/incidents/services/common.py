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


def _require_staff(actor, incident: Incident) -> None:
    if not is_staff_for(actor, incident.unit_id):
        raise PermissionDenied(_("Only the unit's system staff may handle this incident."))


def _require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may change the emergency plans and the matrix."))


def _require_open(incident: Incident) -> None:
    if incident.state == State.CLOSED:
        raise TransitionNotAllowed(_("This incident is closed; it can no longer be changed."))


def group_unit_ids() -> list[int]:
    """The group's own units: its staff serve every unit (Art. 4, 13)."""
    return list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))


# -- timeline -------------------------------------------------------------------------------------


def _event(incident: Incident, kind: str, *, actor, **details) -> IncidentEvent:
    return records.append_event(IncidentEvent, {"incident": incident}, kind, actor=actor, **details)


def _locked(incident: Incident, expected_version: int | None = None) -> Incident:
    return records.lock(Incident.objects, incident.pk, expected_version)
