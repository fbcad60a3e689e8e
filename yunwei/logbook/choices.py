"""Choice sets of the log books (Art. 5): stable English codes, translated labels, badge colours, and the
flows of the monthly review and of a rectification."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LogKind(models.TextChoices):
    """The three log books of Art. 5 the system management lead confirms each month."""

    BACKUP = "backup", _("Data-backup log")
    DAILY = "daily", _("Daily management log")
    PROBLEMS = "problems", _("Problem-tracking log")


class NoteKind(models.TextChoices):
    HANDOVER = "handover", _("Shift handover")
    ROUTINE = "routine", _("Routine work")


class DrillOutcome(models.TextChoices):
    PASSED = "passed", pgettext_lazy("drill", "Passed")
    PARTLY = "partly", _("Partly restored")
    FAILED = "failed", pgettext_lazy("drill", "Failed")

    @property
    def badge(self) -> str:
        return {"passed": "success", "partly": "warning", "failed": "danger"}[self.value]


class ReadingKind(models.TextChoices):
    """What a checkpoint of a round reads: a number within limits, a yes/no that must be "yes", a text."""

    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    TEXT = "text", _("Text")


class EscalatedTo(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")


class ReviewState(models.TextChoices):
    OPEN = "open", pgettext_lazy("review", "Open")
    SIGNED = "signed", _("Signed")

    @property
    def badge(self) -> str:
        return {"open": "warning", "signed": "success"}[self.value]


# Art. 5: the lead confirms the three logs, records findings, then signs; a signed month is frozen for good
# (a late entry for it is a correction shown on the review, never an edit of what was signed).
REVIEW_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReviewState.OPEN: (ReviewState.SIGNED,),
    ReviewState.SIGNED: (),
}


class RectificationState(models.TextChoices):
    OPEN = "open", pgettext_lazy("rectification", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("rectification", "Done, to verify")
    VERIFIED = "verified", pgettext_lazy("rectification", "Verified")
    CANCELLED = "cancelled", pgettext_lazy("rectification", "Cancelled")

    @property
    def badge(self) -> str:
        return {
            "open": "danger",
            "in_progress": "primary",
            "done": "info",
            "verified": "success",
            "cancelled": "secondary",
        }[self.value]


# Art. 5 (发现问题及时整改补救): the owner works and declares it done; somebody other than the owner
# verifies it or sends it back; the lead may cancel an item that turned out to need no work (with a reason).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    RectificationState.OPEN: (RectificationState.IN_PROGRESS, RectificationState.CANCELLED),
    RectificationState.IN_PROGRESS: (RectificationState.DONE, RectificationState.CANCELLED),
    RectificationState.DONE: (RectificationState.VERIFIED, RectificationState.IN_PROGRESS),
    RectificationState.VERIFIED: (),
    RectificationState.CANCELLED: (),
}
# Still to be done: these escalate when past their deadline.
OPEN_STATES = (RectificationState.OPEN, RectificationState.IN_PROGRESS)


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("State change")
    CONFIRMED = "confirmed", _("Log confirmed")
    FINDING = "finding", _("Finding recorded")
    SIGNED = "signed", _("Signed")
    OVERDUE = "overdue", _("Overdue, lead told")
    ESCALATION = "escalation", _("Overdue escalation")


class EscalationLevel(models.IntegerChoices):
    """How far an overdue rectification has been escalated; each level is sent once (as problems do)."""

    NONE = 0, _("Not escalated")
    OWNER = 1, _("Owner told")
    LEAD = 2, _("System management lead told")


class AttachmentOf(models.TextChoices):
    NOTE = "note", _("Log note")
    BACKUP = "backup", _("Manual backup")
    DRILL = "drill", _("Restore drill")
    ROUND = "round", _("Inspection round")
