"""Every change to an incident, plan or drill goes through here: pages, API, tasks and commands alike
(Art. 12–13). Split by aggregate: `incident` (reporting, the flow, grading, plan activation, vendor,
timers), `intake` (who reports for which unit), `assign` (who handles it), `notices` (the notices of
Art. 13 and whether they reached anybody), `sla` (the breach sweep), `plans` (the group's catalogue
and the drills); callers use `from yunwei.incidents import services` and the names below.

A state change is `transition(incident, to=…, actor=…, **fields)`: it checks who may act, that the flow
allows the step and what the step requires, then — in one transaction with the incident row locked —
applies the step, appends the timeline entry and writes the audit event. Notices are written in the same
transaction and handed to the notify app, whose deliveries run after commit.
"""

from ..choices import ALLOWED_TRANSITIONS, PLAN_STATES, TRANSITION_FIELDS
from .assign import add_comment, assign, assign_failure, assignable, person_of
from .common import SEVERE_GRADES, is_staff_for
from .grading import decide_grade, may_lower_grade, propose_grade
from .incident import (
    CLOCK_SLACK,
    EDITABLE_FIELDS,
    LOWERING_REFUSAL,
    UNFIXED_CLOSE_REFUSAL,
    Timers,
    activate_plan,
    allowed_targets,
    engineer_for,
    escalate,
    grade_for,
    may_report,
    open_incident_ids,
    record_arrival,
    reevaluate_grade,
    report,
    requirement_failures,
    set_grade,
    tick,
    timers,
    transition,
    update_details,
)
from .intake import reportable_units
from .notices import (
    DEFAULT_TEMPLATES,
    HOW_TO_REACH,
    addressees,
    notice_gate,
    notice_refusal,
    reach_failure,
    recipients_for,
    send_notice,
)
from .offers import may_activate_plan, may_escalate, may_send_notices, may_tick
from .plans import PLAN_CONTENT, create, current_revision, delete, plan_gaps, unit_leaders, update
from .replacement import replace_plan, replacement_refusal
from .sla import breach_candidates, warn_breach

__all__ = [
    "add_comment",
    "ALLOWED_TRANSITIONS",
    "CLOCK_SLACK",
    "DEFAULT_TEMPLATES",
    "HOW_TO_REACH",
    "EDITABLE_FIELDS",
    "LOWERING_REFUSAL",
    "PLAN_CONTENT",
    "PLAN_STATES",
    "SEVERE_GRADES",
    "TRANSITION_FIELDS",
    "UNFIXED_CLOSE_REFUSAL",
    "Timers",
    "activate_plan",
    "addressees",
    "assign",
    "assign_failure",
    "assignable",
    "allowed_targets",
    "breach_candidates",
    "create",
    "decide_grade",
    "current_revision",
    "delete",
    "engineer_for",
    "escalate",
    "grade_for",
    "is_staff_for",
    "may_activate_plan",
    "may_escalate",
    "may_lower_grade",
    "may_report",
    "may_send_notices",
    "may_tick",
    "notice_gate",
    "notice_refusal",
    "open_incident_ids",
    "person_of",
    "reach_failure",
    "plan_gaps",
    "propose_grade",
    "recipients_for",
    "record_arrival",
    "replace_plan",
    "replacement_refusal",
    "reevaluate_grade",
    "report",
    "reportable_units",
    "requirement_failures",
    "send_notice",
    "set_grade",
    "tick",
    "timers",
    "transition",
    "unit_leaders",
    "update",
    "update_details",
    "warn_breach",
]
