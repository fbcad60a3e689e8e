"""Choice sets of the service desk (Art. 9–10): stable English codes, translated labels, badge colours,
and each kind of request's flow."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    REQUIREMENT = "requirement", _("Requirement")
    SUPPORT = "support", _("Technical support")
    USAGE = "usage", _("Usage approval")


class State(models.TextChoices):
    """What a request's state says to its requester, in plain words."""

    SUBMITTED = "submitted", _("Submitted, waiting to be looked at")
    TRIAGED = "triaged", _("Passed on for technical review")
    ACCEPTED = "accepted", _("Accepted, planned for a release")
    APPROVING = "approving", _("Partly approved, waiting for the next approver")
    APPROVED = "approved", _("Approved, waiting to be carried out")
    IN_PROGRESS = "in_progress", _("Being worked on")
    ESCALATED = "escalated", _("Passed to the group's technical staff")
    WAITING_REQUESTER = "waiting_requester", _("Waiting for your answer")
    WAITING_VENDOR = "waiting_vendor", _("Waiting for a vendor")
    RESOLVED = "resolved", _("Done, waiting for your confirmation")
    CLOSED = "closed", pgettext_lazy("request state", "Closed")
    REJECTED = "rejected", pgettext_lazy("request state", "Rejected")
    MERGED = "merged", _("Merged with another request")
    INCIDENT = "incident", _("Became a fault report")
    CANCELLED = "cancelled", pgettext_lazy("request state", "Withdrawn")

    @property
    def badge(self) -> str:
        return {
            "submitted": "danger",
            "triaged": "warning",
            "accepted": "info",
            "approving": "warning",
            "approved": "info",
            "in_progress": "primary",
            "escalated": "primary",
            "waiting_requester": "secondary",
            "waiting_vendor": "secondary",
            "resolved": "success",
            "closed": "dark",
            "rejected": "dark",
            "merged": "dark",
            "incident": "dark",
            "cancelled": "light",
        }[self.value]


S = State
# Each kind's flow (Art. 9: requirements collected and technically reviewed by a group system admin,
# technical support given to users; Art. 10: usage approvals in the unit). Leaving a waiting state goes
# back to the state it was entered from (`held_from`); the table lists where it may go at all.
ALLOWED_TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Kind.REQUIREMENT: {
        S.SUBMITTED: (S.TRIAGED, S.REJECTED, S.WAITING_REQUESTER, S.CANCELLED),
        S.TRIAGED: (S.ACCEPTED, S.MERGED, S.REJECTED, S.WAITING_REQUESTER),
        S.WAITING_REQUESTER: (S.SUBMITTED, S.TRIAGED),
        S.ACCEPTED: (S.IN_PROGRESS,),
        S.IN_PROGRESS: (S.RESOLVED,),
        S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    },
    Kind.SUPPORT: {
        S.SUBMITTED: (S.IN_PROGRESS, S.RESOLVED, S.ESCALATED, S.WAITING_REQUESTER, S.INCIDENT, S.CANCELLED),
        S.IN_PROGRESS: (S.RESOLVED, S.ESCALATED, S.WAITING_REQUESTER, S.WAITING_VENDOR, S.INCIDENT),
        S.ESCALATED: (S.RESOLVED, S.WAITING_REQUESTER, S.WAITING_VENDOR, S.INCIDENT),
        S.WAITING_REQUESTER: (S.IN_PROGRESS, S.ESCALATED),
        S.WAITING_VENDOR: (S.IN_PROGRESS, S.ESCALATED),
        S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    },
    Kind.USAGE: {
        S.SUBMITTED: (S.APPROVING, S.APPROVED, S.REJECTED, S.WAITING_REQUESTER, S.CANCELLED),
        S.APPROVING: (S.APPROVED, S.REJECTED),
        S.WAITING_REQUESTER: (S.SUBMITTED,),
        S.APPROVED: (S.RESOLVED,),
        S.RESOLVED: (S.CLOSED,),
    },
}
HOLD_STATES = (S.WAITING_REQUESTER, S.WAITING_VENDOR)
# No step leads out of these; the requester may rate all but a withdrawn one.
FINAL_STATES = (S.CLOSED, S.REJECTED, S.MERGED, S.INCIDENT, S.CANCELLED)
RATABLE_STATES = (S.CLOSED, S.REJECTED, S.MERGED, S.INCIDENT)
# Work on the request is finished (its completion time is taken) once it reaches one of these.
DONE_STATES = (S.RESOLVED, S.CLOSED, S.REJECTED, S.MERGED, S.INCIDENT)
OPEN_STATES = tuple(s for s in State if s not in FINAL_STATES)
# What a step must carry besides its comment.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    S.ACCEPTED: ("priority", "target_release"),
    S.MERGED: ("duplicate_of",),
    S.REJECTED: ("comment",),
    S.WAITING_REQUESTER: ("comment",),
    S.WAITING_VENDOR: ("comment",),
}


class Actor(models.TextChoices):
    """Who a step of a request type is for (the approvers in order, the one who carries it out)."""

    UNIT_ADMIN = "unit_admin", _("Unit system admin")
    LEADER = "leader", _("Unit leader in charge")
    GROUP_ADMIN = "group_admin", _("Group system admin")
    TECH_STAFF = "tech_staff", _("Group technical staff")


class WaitingOn(models.TextChoices):
    """Whose turn it is: what the queues read."""

    NOBODY = "", _("Nobody")
    REQUESTER = "requester", _("The requester")
    UNIT_ADMIN = "unit_admin", _("Unit system admin")
    LEADER = "leader", _("Unit leader in charge")
    GROUP_ADMIN = "group_admin", _("Group system admin")
    TECH_STAFF = "tech_staff", _("Group technical staff")


class Action(models.TextChoices):
    """What carrying out a usage approval does besides recording it."""

    NONE = "", _("Recorded only")
    OPEN_ACCOUNT = "open_account", _("Open an account")


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    CHOICE = "choice", _("Choice")
    DATE = "date", _("Date")
    PERSON = "person", _("Person")
    ITEM = "item", _("Inventory item")
    ATTACHMENT = "attachment", _("Attachment")


class Priority(models.TextChoices):
    HIGH = "high", pgettext_lazy("priority", "High")
    MEDIUM = "medium", pgettext_lazy("priority", "Medium")
    LOW = "low", pgettext_lazy("priority", "Low")


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRANSITION = "transition", _("State change")
    APPROVAL = "approval", _("Approved")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    ASSIGNED = "assigned", _("Assigned")
    LINKED = "linked", _("Linked")
    ESCALATION = "escalation", _("Overdue escalation")
    REMINDER = "reminder", _("Reminder to the requester")
    RATED = "rated", _("Rated")
    RECOMPUTED = "recomputed", _("Due times recomputed")


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    UNIT = 1, _("Unit system admin told")
    GROUP = 2, _("Group told")
