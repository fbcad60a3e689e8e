"""The one write path of monitoring (Art. 3, 5, 9), split by aggregate: `heartbeats` (heartbeats, the
ping intake, the lateness sweep, the backup log), `checks` (active checks, their runs and dispatch) and
`templates` (check templates applied in bulk to the items of a type);
callers use `from yunwei.monitoring import services` and the names below.
"""

from ..models import Check, CheckTemplate, Heartbeat, Indicator
from .checks import (
    CHECK_NOTICES,
    SPEC_REQUIRED,
    check_spec,
    claim,
    create_check,
    delete_check,
    dispatch_due,
    due_checks,
    policy_of,
    record_outcome,
    record_outcomes,
    require_manage_checks,
    run_check,
    run_checks,
    tell_check_state,
    update_check,
)
from .heartbeats import (
    UnknownHeartbeat,
    backup_log,
    create_heartbeat,
    deadlines,
    delete_heartbeat,
    distrust_of,
    mark_down,
    mark_late,
    may_manage,
    month_bounds,
    next_due,
    parse_size,
    ping,
    recipients_of,
    require_manage,
    sweep,
    sweep_candidates,
    tell_change,
    tell_state,
    tell_untold,
    update_heartbeat,
)
from .indicators import create_indicator, delete_indicator, update_indicator
from .templates import (
    Applied,
    Skip,
    apply_template,
    create_template,
    delete_template,
    items_missing,
    may_manage_template,
    missing_with_reasons,
    require_manage_template,
    template_refusal,
    update_template,
)

# The writers of each kind of record, for the pages and the demo that handle them alike.
WRITERS = {
    Heartbeat: (create_heartbeat, update_heartbeat, delete_heartbeat),
    Check: (create_check, update_check, delete_check),
    CheckTemplate: (create_template, update_template, delete_template),
    Indicator: (create_indicator, update_indicator, delete_indicator),
}


def create(model=Heartbeat, *, actor, **fields):
    return WRITERS[model][0](actor=actor, **fields)


def update(record, *, actor, expected_version: int | None = None, **fields):
    return WRITERS[type(record)][1](record, actor=actor, expected_version=expected_version, **fields)


def delete(record, *, actor) -> None:
    WRITERS[type(record)][2](record, actor=actor)


__all__ = [
    "Applied",
    "Skip",
    "apply_template",
    "create_template",
    "delete_template",
    "items_missing",
    "may_manage_template",
    "missing_with_reasons",
    "require_manage_template",
    "template_refusal",
    "update_template",
    "CHECK_NOTICES",
    "SPEC_REQUIRED",
    "UnknownHeartbeat",
    "backup_log",
    "check_spec",
    "claim",
    "WRITERS",
    "create",
    "create_check",
    "create_heartbeat",
    "create_indicator",
    "deadlines",
    "delete",
    "delete_heartbeat",
    "delete_check",
    "delete_indicator",
    "dispatch_due",
    "distrust_of",
    "due_checks",
    "mark_down",
    "mark_late",
    "may_manage",
    "month_bounds",
    "next_due",
    "parse_size",
    "ping",
    "policy_of",
    "recipients_of",
    "require_manage",
    "require_manage_checks",
    "record_outcome",
    "record_outcomes",
    "run_check",
    "run_checks",
    "sweep",
    "sweep_candidates",
    "tell_change",
    "tell_check_state",
    "tell_state",
    "tell_untold",
    "update",
    "update_check",
    "update_heartbeat",
    "update_indicator",
]
