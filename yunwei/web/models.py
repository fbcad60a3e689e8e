"""The web app's one record: whether a unit's public status page is on."""

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
