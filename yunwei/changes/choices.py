"""Choice sets of change management (Art. 17–18): stable English codes, translated labels, badge colours,
and the change's flow."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChangeType(models.TextChoices):
    """The kinds of change Art. 17 names, in its order."""

    HARDWARE_EXPANSION = "hardware_expansion", _("Hardware expansion")
    REDUNDANCY_RETROFIT = "redundancy_retrofit", _("Redundancy retrofit")
    SOFTWARE_UPGRADE = "software_upgrade", _("Software upgrade")
    RELOCATION = "relocation", _("Relocation")
    DATA_MIGRATION = "data_migration", _("Data migration")
    DATA_MAINTENANCE = "data_maintenance", _("Data maintenance")
    SPREADSHEET_TEMPLATE = "spreadsheet_template", _("Spreadsheet template")
    DOCUMENT_TEMPLATE = "document_template", _("Document template")
    SECURITY_POLICY = "security_policy", _("Security policy")
    CONFIGURATION = "configuration", _("Configuration parameters")
    SYSTEM_STRUCTURE = "system_structure", _("System structure")
    DEPLOYMENT = "deployment", _("Deployment")


class ChangeKind(models.TextChoices):
    STANDARD = "standard", _("Standard (pre-approved)")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")

    @property
    def badge(self) -> str:
        return {"standard": "secondary", "normal": "info", "emergency": "danger"}[self.value]


class ServiceImpact(models.TextChoices):
    NONE = "none", _("No service impact")
    DEGRADED = "degraded", _("Service degraded")
    OUTAGE = "outage", _("Service outage")


class Risk(models.TextChoices):
    LOW = "low", pgettext_lazy("risk", "Low")
    MEDIUM = "medium", pgettext_lazy("risk", "Medium")
    HIGH = "high", pgettext_lazy("risk", "High")

    @property
    def badge(self) -> str:
        return {"low": "success", "medium": "warning", "high": "danger"}[self.value]


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    FAILED = "failed", _("Failed")
    REVIEWED = "reviewed", _("Reviewed")

    @property
    def badge(self) -> str:
        return {
            "draft": "secondary",
            "submitted": "info",
            "approved": "primary",
            "rejected": "dark",
            "scheduled": "primary",
            "implementing": "warning",
            "verifying": "warning",
            "completed": "success",
            "rolled_back": "danger",
            "failed": "danger",
            "reviewed": "secondary",
        }[self.value]


# The flow of Art. 18 (our reading). Submitted → approved/rejected is the approvers' decision (decide());
# submitted → implementing only for an emergency change; scheduled → approved gives the slot back.
# Submitted or approved → draft withdraws a change that will not be carried out as it stands (there is
# no "cancelled" state): its approvals lapse, and it needs a new round if it is submitted again.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.DRAFT: (State.SUBMITTED,),
    State.SUBMITTED: (State.APPROVED, State.REJECTED, State.IMPLEMENTING, State.DRAFT),
    State.APPROVED: (State.SCHEDULED, State.DRAFT),
    State.REJECTED: (State.DRAFT,),
    State.SCHEDULED: (State.IMPLEMENTING, State.APPROVED),
    State.IMPLEMENTING: (State.VERIFYING, State.ROLLED_BACK, State.FAILED),
    State.VERIFYING: (State.COMPLETED, State.ROLLED_BACK, State.FAILED),
    State.COMPLETED: (State.REVIEWED,),
    State.ROLLED_BACK: (State.REVIEWED,),
    State.FAILED: (State.REVIEWED,),
    State.REVIEWED: (),
}
# What a step takes besides its comment; each is required by that step.
TRANSITION_FIELDS: dict[str, tuple[str, ...]] = {
    State.COMPLETED: ("verification_result",),
    State.ROLLED_BACK: ("rollback_note",),
    State.FAILED: ("failure_note",),
    State.REVIEWED: ("review",),
}
# Steps that withdraw a change: back to draft from these states, with the reason.
WITHDRAWN_FROM = (State.SUBMITTED, State.APPROVED)
# The steps of carrying a change out: whoever took one of them carried the change out.
WORK_STATES = (State.IMPLEMENTING, State.VERIFYING, State.COMPLETED, State.ROLLED_BACK, State.FAILED)
# States whose window holds its slot on the calendar (collisions are checked against these).
ACTIVE_STATES = (State.SCHEDULED, State.IMPLEMENTING)
# Content may be edited only before approval.
EDITABLE_STATES = (State.DRAFT, State.SUBMITTED)
# Finished: the work is over, only the review remains.
FINISHED_STATES = (State.COMPLETED, State.ROLLED_BACK, State.FAILED)
# An emergency change whose approval after the fact was refused, standing in one of these states, still
# has to be rolled back (or excepted by the leader in charge): Art. 18.
REFUSAL_OPEN_STATES = (State.IMPLEMENTING, State.VERIFYING, State.COMPLETED, State.FAILED)


class ApprovalScope(models.TextChoices):
    CHANGE = "change", _("The change")
    SCHEDULE = "schedule", _("Scheduling into a freeze or collision")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")

    @property
    def badge(self) -> str:
        return {"approved": "success", "rejected": "danger"}[self.value]


class EventKind(models.TextChoices):
    CREATED = "created", _("Requested")
    EDIT = "edit", _("Details edited")
    TRANSITION = "transition", _("State change")
    APPROVAL = "approval", _("Approval decision")
    NOTICE = "notice", _("Users notified")
    WINDOWS = "windows", _("Maintenance windows")
    INVENTORY = "inventory", _("Inventory updated")
    APPROVAL_OVERDUE = "approval_overdue", _("Approval overdue")
    RESCHEDULE_REQUEST = "reschedule_request", _("New window requested")
    RESCHEDULE_REFUSED = "reschedule_refused", _("New window refused")
    CONFLICTS = "conflicts", _("Freeze or collision noted")
    EXCEPTION = "exception", _("Exception to the refusal recorded")
    COMMENT = "comment", _("Comment")
