"""Choice sets of fault handling (Art. 12–13): stable English codes, translated labels, badge colours,
and the incident's flow."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImpactScope(models.TextChoices):
    ONE_USER = "one_user", _("One user")
    ONE_DEPARTMENT = "one_department", _("One department")
    ONE_UNIT = "one_unit", _("One unit")
    SEVERAL_UNITS = "several_units", _("Several units")
    WHOLE_GROUP = "whole_group", _("Whole group")


class Cause(models.TextChoices):
    """The cause categories named by Art. 13."""

    POWER = "power", _("Power")
    SERVER = "server", _("Server")
    STORAGE = "storage", _("Storage")
    NETWORK = "network", _("Network")
    APPLICATION = "application", _("Application software")
    OTHER = "other", _("Other")


class Grade(models.TextChoices):
    """Fault grades of Art. 12; Ⅰ is the most severe. Shipped with Ⅱ and Ⅲ; a group may add Ⅰ."""

    I = "I", _("Grade Ⅰ")  # noqa: E741
    II = "II", _("Grade Ⅱ")
    III = "III", _("Grade Ⅲ")

    @property
    def badge(self) -> str:
        return {"I": "danger", "II": "warning", "III": "info"}[self.value]

    @property
    def rank(self) -> int:
        """Smaller is more severe."""
        return {"I": 1, "II": 2, "III": 3}[self.value]


class State(models.TextChoices):
    # An incident that monitoring opened waits here for a person: confirmed, or closed as a false alarm.
    TO_CONFIRM = "to_confirm", _("To confirm")
    REPORTED = "reported", _("Reported")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DIAGNOSING = "diagnosing", _("Diagnosing")
    REPAIRING = "repairing", _("Repairing")
    VERIFYING = "verifying", _("Verifying")
    RESTORED = "restored", _("Restored")
    CLOSED = "closed", _("Closed")

    @property
    def badge(self) -> str:
        return {
            "to_confirm": "danger",
            "reported": "danger",
            "acknowledged": "warning",
            "diagnosing": "warning",
            "repairing": "primary",
            "verifying": "info",
            "restored": "success",
            "closed": "secondary",
        }[self.value]


# The flow of Art. 13. Every step is made by the unit's system staff (a unit or group system admin).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    # Confirmed (acknowledged, by the same rules), or closed at once as a false alarm with its reason.
    State.TO_CONFIRM: (State.ACKNOWLEDGED, State.CLOSED),
    State.REPORTED: (State.ACKNOWLEDGED,),
    State.ACKNOWLEDGED: (State.DIAGNOSING,),
    State.DIAGNOSING: (State.REPAIRING,),
    State.REPAIRING: (State.VERIFYING,),
    State.VERIFYING: (State.RESTORED, State.REPAIRING),  # back to repairing when a test fails
    State.RESTORED: (State.CLOSED,),
    State.CLOSED: (),
}
# Fields a step may set, besides its comment.
TRANSITION_FIELDS: dict[str, tuple[str, ...]] = {
    State.ACKNOWLEDGED: ("assignee", "team"),
    State.DIAGNOSING: (),
    State.REPAIRING: ("cause_category", "cause_detail"),
    State.VERIFYING: (),
    State.RESTORED: (),
    State.CLOSED: ("resolution_summary", "fixed_for_good", "false_alarm_reason"),
}
OPEN_STATES = (
    State.TO_CONFIRM,
    State.REPORTED,
    State.ACKNOWLEDGED,
    State.DIAGNOSING,
    State.REPAIRING,
    State.VERIFYING,
)
# While the fault is being handled, an emergency plan is activated (or replaced) and its steps ticked.
PLAN_STATES = (State.ACKNOWLEDGED, State.DIAGNOSING, State.REPAIRING)
# A vendor's engineer is called in while the fault is diagnosed, repaired or verified (Art. 13).
VENDOR_STATES = (State.DIAGNOSING, State.REPAIRING, State.VERIFYING)


class Source(models.TextChoices):
    """Who opened the incident: a person, or monitoring through the correlation of its signals."""

    MANUAL = "manual", _("Reported by a person")
    MONITORING = "monitoring", _("Opened by monitoring")


class ClosedAs(models.TextChoices):
    """How a closed incident ended, when not by the flow's own closing step."""

    FALSE_ALARM = "false_alarm", _("False alarm")
    MERGED = "merged", _("Merged into another incident")


class SignalSource(models.TextChoices):
    CHECK = "check", _("Check")
    ALERT = "alert", _("Alert")


class SignalState(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")

    @property
    def badge(self) -> str:
        return {"firing": "danger", "resolved": "success"}[self.value]


class EventKind(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRANSITION = "transition", _("State change")
    GRADE = "grade", _("Grade changed")
    GRADE_PROPOSED = "grade_proposed", _("Lower grade proposed")
    GRADE_REFUSED = "grade_refused", _("Proposed grade refused")
    PLAN = "plan", _("Emergency plan activated")
    PLAN_REPLACED = "plan_replaced", _("Emergency plan replaced")
    TICK = "tick", _("Checklist item ticked")
    NOTICE = "notice", _("Notice sent")
    ESCALATION = "escalation", _("Vendor called")
    ARRIVAL = "arrival", _("Vendor engineer arrived")
    EDIT = "edit", _("Details edited")
    SLA_BREACH = "sla_breach", _("SLA deadline missed")
    ASSIGN = "assign", _("Assigned")
    SIGNAL = "signal", _("Monitoring signal folded in")
    MERGED = "merged", _("Incident merged in")
    SUSPECT = "suspect", _("Change suspected as the cause")
    COMMENT = "comment", _("Comment")


class NoticeKind(models.TextChoices):
    SUSPENSION = "suspension", _("Suspension notice")
    RECOVERY = "recovery", _("Recovery notice")
    LEADER_REPORT = "leader_report", _("Leader report")
    VENDOR_CALL = "vendor_call", _("Report of a vendor call")


class Deadline(models.TextChoices):
    """The SLA deadlines of an incident whose breach is announced."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledge deadline")
    RESTORE = "restore", _("Restore deadline")


class ChecklistKind(models.TextChoices):
    STEP = "step", _("Plan step")
    VERIFICATION = "verification", _("Verification")


class EscalationMode(models.TextChoices):
    REMOTE = "remote", _("Remote assistance")
    ON_SITE = "on_site", _("On site")


class DrillState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def badge(self) -> str:
        return {"scheduled": "info", "done": "success", "cancelled": "secondary"}[self.value]
