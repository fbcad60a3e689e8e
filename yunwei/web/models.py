"""The web app's records: whether a unit's public status page is on; large exports built in the background."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yunwei.core.models import VersionedModel
from yunwei.org.models import Unit


class StatusPage(VersionedModel):
    """A unit's status page (Art. 3, 13): readable without log-in at /status/<unit code>/ when `enabled`,
    showing the OA availability, the current suspension and recovery notices and the planned windows.
    Off by default (no row, or `enabled` false: the address answers 404). A unit system admin turns it
    on or off through `web.status.set_enabled`, audited."""

    scope_unit_field = "unit"

    unit = models.OneToOneField(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="status_page"
    )
    enabled = models.BooleanField(_("public status page on"), default=False)

    class Meta:
        verbose_name = _("status page")
        verbose_name_plural = _("status pages")

    def __str__(self) -> str:
        return f"{self.unit_id} {'on' if self.enabled else 'off'}"


class ExportJob(models.Model):
    """A large list export built in the background (`yunwei.web.export_jobs`): who asked, which list and
    filter, how far it got, and the finished .xlsx under var/exports with its row count and SHA-256. Only
    its owner sees it; the file is deleted when the job expires."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being written")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    scope_unit_field = "unit"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.CASCADE, related_name="+"
    )
    # The owner's unit when asked (none for an account without a person); the rows are scoped by the owner.
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("list"), max_length=20)
    query = models.TextField(_("filter"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("rows to write"), null=True, blank=True)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("asked at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"))

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="web_exportjob_owner"),
            models.Index(fields=["state", "expires_at"], name="web_exportjob_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def state_badge(self) -> str:
        return {"queued": "secondary", "running": "primary", "done": "success", "failed": "danger"}.get(
            self.state, "secondary"
        )

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, int(100 * self.written / self.total)) if self.total else 0
