"""What the incident page offers the reader now. Each answer is the rule the service applies when the act
is tried, so the page neither shows an action the service refuses nor hides one it allows."""

from ..choices import OPEN_STATES, PLAN_STATES, VENDOR_STATES
from ..models import Incident
from .common import is_staff_for
from .incident import checklist_refusal


def may_activate_plan(incident: Incident, actor) -> bool:
    """`activate_plan`: the unit's system staff, once, while acknowledging, diagnosing or repairing."""
    return (
        incident.plan_id is None and incident.state in PLAN_STATES and is_staff_for(actor, incident.unit_id)
    )


def may_tick(incident: Incident, actor, kind: str) -> bool:
    """`tick` on the checklist of this kind (plan steps or verification items)."""
    return checklist_refusal(incident, kind) is None and is_staff_for(actor, incident.unit_id)


def may_escalate(incident: Incident, actor) -> bool:
    """`escalate`: call the vendor's engineer in."""
    return incident.state in VENDOR_STATES and is_staff_for(actor, incident.unit_id)


def may_send_notices(incident: Incident, actor) -> bool:
    """`send_notice`: the notices of the handling are sent by hand while the fault is open."""
    return incident.state in OPEN_STATES and is_staff_for(actor, incident.unit_id)
