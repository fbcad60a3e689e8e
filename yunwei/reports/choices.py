"""States and kinds of the monthly analysis report (Art. 6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("report", "Draft")
    GENERATING = "generating", _("Generating")
    READY = "ready", _("Ready to sign")
    FAILED = "failed", _("Generation failed")
    SIGNED = "signed", pgettext_lazy("report", "Signed")
    SUPERSEDED = "superseded", _("Superseded")

    @property
    def badge(self) -> str:
        return {
            "draft": "secondary",
            "generating": "info",
            "ready": "primary",
            "failed": "danger",
            "signed": "success",
            "superseded": "dark",
        }[self.value]


# Art. 6: the figures are generated from the records (in the background), the lead writes the analysis and
# signs; a signed report is frozen for good, and a correction is a new version that, once signed, marks the
# old one superseded. A failed generation can be tried again; a ready one generated again (newer data).
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.DRAFT: (State.GENERATING,),
    State.GENERATING: (State.READY, State.FAILED),
    State.FAILED: (State.GENERATING,),
    State.READY: (State.GENERATING, State.SIGNED),
    State.SIGNED: (State.SUPERSEDED,),
    State.SUPERSEDED: (),
}
# The lead's text may be written while the report is not being generated and not yet signed.
EDITABLE_STATES = (State.DRAFT, State.READY, State.FAILED)


class Format(models.TextChoices):
    DOCX = "docx", _("Word (.docx)")
    PDF = "pdf", _("PDF (.pdf)")
    XLSX = "xlsx", _("Excel (.xlsx)")

    @property
    def content_type(self) -> str:
        return {
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self.value]


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("State change")
    TEXT = "text", _("Analysis edited")
    CORRECTION = "correction", _("Correction opened")
