"""Choice sets of the problem database (Art. 14–16): stable English codes, translated labels, badge colours,
and the problem's flow."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    CLASSIFIED = "classified", _("Classified")
    IN_PROGRESS = "in_progress", _("In progress")
    SOLVED = "solved", pgettext_lazy("problem state", "Solved")
    ARCHIVED = "archived", _("Archived")

    @property
    def badge(self) -> str:
        return {
            "registered": "danger",
            "classified": "warning",
            "in_progress": "primary",
            "solved": "info",
            "archived": "secondary",
        }[self.value]


# The flow of Art. 15–16: a group system admin classifies; the owner works and declares it solved; a group
# system admin other than the owner verifies it (archived: it leaves the active database) or sends it back.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.REGISTERED: (State.CLASSIFIED,),
    State.CLASSIFIED: (State.IN_PROGRESS,),
    State.IN_PROGRESS: (State.SOLVED,),
    State.SOLVED: (State.ARCHIVED, State.IN_PROGRESS),  # back to work when the verification fails
    State.ARCHIVED: (),
}
# What the classification must settle (Art. 15): 分类、性质、负责人、配合人员、处理方案、工作计划和时限.
CLASSIFICATION_FIELDS = ("category", "nature", "owner", "collaborators", "proposed_solution", "deadline")
# Fields a step may set, besides its comment.
TRANSITION_FIELDS: dict[str, tuple[str, ...]] = {
    State.CLASSIFIED: (*CLASSIFICATION_FIELDS, "priority"),
    State.IN_PROGRESS: (),
    State.SOLVED: ("solution_summary",),
    State.ARCHIVED: (),
}
# Still being worked on: these escalate when past their deadline.
OPEN_STATES = (State.REGISTERED, State.CLASSIFIED, State.IN_PROGRESS)
ACTIVE_STATES = (*OPEN_STATES, State.SOLVED)


class Origin(models.TextChoices):
    """Where the problem came from (Art. 14: 运行维护中或在故障处理中)."""

    ROUTINE = "routine", _("Hidden danger found in routine work")
    INSPECTION = "inspection", _("Hidden danger found in an inspection")
    INCIDENT = "incident", _("Incident not fixed for good")


class Nature(models.TextChoices):
    """The nature of the problem (Art. 15: 问题的性质)."""

    HIDDEN_DANGER = "hidden_danger", _("Hidden danger")
    UNRESOLVED_FAULT = "unresolved_fault", _("Unresolved fault")
    RECURRING_FAULT = "recurring_fault", _("Recurring fault")
    REQUIREMENT = "requirement", _("Requirement")


class Category(models.TextChoices):
    """What the problem is about: the domains of Art. 2 and 4, and the security of Art. 3."""

    HARDWARE = "hardware", _("Hardware platform")
    NETWORK = "network", _("Network")
    BASE_SOFTWARE = "base_software", _("Base software")
    APPLICATION = "application", _("Application software")
    MACHINE_ROOM = "machine_room", _("Machine-room environment")
    SECURITY = "security", _("Security")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    HIGH = "high", pgettext_lazy("priority", "High")
    MEDIUM = "medium", pgettext_lazy("priority", "Medium")
    LOW = "low", pgettext_lazy("priority", "Low")

    @property
    def badge(self) -> str:
        return {"high": "danger", "medium": "warning", "low": "secondary"}[self.value]


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    TRANSITION = "transition", _("State change")
    EDIT = "edit", _("Details edited")
    STEP_ADDED = "step_added", _("Plan step added")
    STEP_DONE = "step_done", _("Plan step done")
    INCIDENT_LINKED = "incident_linked", _("Incident linked")
    KNOWN_ERROR = "known_error", _("Workaround published")
    ESCALATION = "escalation", _("Overdue escalation")
    COMMENT = "comment", _("Comment")


class EscalationLevel(models.IntegerChoices):
    """How far an overdue problem has been escalated; each level is sent once."""

    NONE = 0, _("Not escalated")
    OWNER = 1, _("Owner told")
    LEAD = 2, _("System management lead told")
