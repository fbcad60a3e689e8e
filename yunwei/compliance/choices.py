"""Choice sets of compliance (every article): stable English codes, translated labels, badge colours,
and the flow of a "not applicable" request."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """A duty's result for a unit and month, as auditors grade it."""

    MET = "met", _("Met")
    PARTLY_MET = "partly_met", _("Partly met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")

    @property
    def badge(self) -> str:
        return {
            "met": "success",
            "partly_met": "warning",
            "not_met": "danger",
            "not_applicable": "secondary",
        }[self.value]


# What a check can find; "not applicable" is never judged, only granted (ExemptionState.APPROVED).
JUDGED_OUTCOMES = (Outcome.MET, Outcome.PARTLY_MET, Outcome.NOT_MET)


class CarriedBy(models.TextChoices):
    """Who carries a duty out: each unit on its own records, or the group for the units it serves (the
    group's result counts for each of them; nothing is copied)."""

    UNIT = "unit", _("Each unit")
    GROUP = "group", _("The group, for the units it serves")


class ExemptionState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")

    @property
    def badge(self) -> str:
        return {"requested": "info", "approved": "secondary", "refused": "danger"}[self.value]


# A "not applicable" is asked for with its reason by the unit's staff and decided by a group system admin
# other than whoever asked; a decision is final (a refused duty may be asked for again, as a new request).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ExemptionState.REQUESTED: (ExemptionState.APPROVED, ExemptionState.REFUSED),
    ExemptionState.APPROVED: (),
    ExemptionState.REFUSED: (),
}
# Requests that hold their result: at most one of these per result.
LIVE_EXEMPTION_STATES = (ExemptionState.REQUESTED, ExemptionState.APPROVED)


class ExemptionDecision(models.TextChoices):
    """What a group system admin answers a request (API `decide`)."""

    APPROVE = "approve", _("Approve")
    REFUSE = "refuse", _("Refuse")


class ExemptionEventKind(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    TRANSITION = "transition", _("Decided")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")

    @property
    def badge(self) -> str:
        return {"queued": "info", "running": "primary", "done": "success", "failed": "danger"}[self.value]


class RunKind(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly")
    ON_DEMAND = "on_demand", _("On demand")
