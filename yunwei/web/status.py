"""A unit's public status page (Art. 3, 13): what the unit's users need to know without logging in —
the OA availability this month, the current suspension and recovery notices, the planned windows.

Off by default: `/status/<unit code>/` answers 404 (not 403: nobody learns the unit exists) until a unit
system admin turns it on (`set_enabled`, audited). It shows only the unit's own records and only their
public fields: an indicator's name and availability, a notice's text as the general office sent it
(Art. 13), a change's title and window times — never the items, people, plans or incidents behind them.
"""

import dataclasses
import datetime

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max, Min
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.changes.models import MaintenanceWindow
from yunwei.core import records, scoping
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.pages import act
from yunwei.incidents.choices import OPEN_STATES, NoticeKind
from yunwei.incidents.models import Notice
from yunwei.monitoring.services import indicators
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from .models import StatusPage

PLANNED_DAYS = 7
RECOVERY_DAYS = 7


# -- the setting (people's act: audited) ----------------------------------------------------------


def is_enabled(unit: Unit) -> bool:
    return StatusPage.objects.filter(unit=unit, enabled=True).exists()


@transaction.atomic
def set_enabled(unit: Unit, *, actor, enabled: bool, expected_version: int | None = None) -> StatusPage:
    """Turn the unit's public status page on or off: its system admin (or a group system admin)."""
    if not scoping.access_of(actor).can_manage_unit(unit.pk):
        raise PermissionDenied(_("Only the unit's system admin may turn its status page on or off."))
    if not isinstance(enabled, bool):
        raise DomainError(_("Say on or off."), field="enabled")
    row = StatusPage.objects.select_for_update().filter(unit=unit).first()
    if row is None:
        return records.create_record(StatusPage, actor=actor, unit=unit, enabled=enabled)
    return records.update_record(row, actor=actor, expected_version=expected_version, enabled=enabled)


# -- what the page shows --------------------------------------------------------------------------


@dataclasses.dataclass
class PublicNotice:
    kind: str
    kind_label: str
    subject: str
    body: str
    sent_at: datetime.datetime


@dataclasses.dataclass
class PlannedWindow:
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    ongoing: bool


def _in_language(texts: dict) -> str:
    language = (get_language() or "zh-hans").lower()
    return texts.get(language) or texts.get("zh-hans") or next(iter(texts.values()), "")


def notices(unit: Unit, now: datetime.datetime) -> list[PublicNotice]:
    """The suspension notices of the unit's faults still open (the system is suspended now), and the
    recovery notices of the last days, newest first."""
    rows = Notice.objects.filter(incident__unit=unit).filter(
        kind=NoticeKind.SUSPENSION, incident__state__in=OPEN_STATES
    ) | Notice.objects.filter(
        incident__unit=unit,
        kind=NoticeKind.RECOVERY,
        sent_at__gte=now - datetime.timedelta(days=RECOVERY_DAYS),
        sent_at__lte=now,
    )
    return [
        PublicNotice(
            kind=row.kind,
            kind_label=row.get_kind_display(),
            subject=_in_language(row.subject),
            body=_in_language(row.body),
            sent_at=row.sent_at,
        )
        for row in rows.only("kind", "subject", "body", "sent_at").order_by("-sent_at", "-pk")
    ]


def planned_windows(unit: Unit, now: datetime.datetime) -> list[PlannedWindow]:
    """The windows of the unit's own changes under way or starting within PLANNED_DAYS: one per change,
    its title and times only."""
    rows = (
        MaintenanceWindow.objects.filter(
            change__unit=unit,
            ends_at__gt=now,
            starts_at__lt=now + datetime.timedelta(days=PLANNED_DAYS),
        )
        .values("change_id", "change__title")
        .annotate(start=Min("starts_at"), end=Max("ends_at"))
        .order_by("start", "change_id")
    )
    return [
        PlannedWindow(
            title=row["change__title"],
            starts_at=row["start"],
            ends_at=row["end"],
            ongoing=row["start"] <= now,
        )
        for row in rows
    ]


def availability(unit: Unit, now: datetime.datetime) -> list[dict]:
    """Each indicator of the unit with its availability this month (the monthly report's figure) and its
    target; None where nothing was judged yet."""
    month = timezone.localtime(now).strftime("%Y-%m")
    return [
        {
            "name": period.indicator.name,
            "availability": period.total.availability,
            "target": period.indicator.availability_target,
        }
        for period in indicators.figures_for_unit(unit, month, now)
    ]


# -- pages ----------------------------------------------------------------------------------------


def status_page(request, code):
    """The public page, without log-in; 404 while it is off."""
    unit = Unit.objects.filter(code=code, kind=UnitKind.UNIT).first()
    if unit is None or not is_enabled(unit):
        raise Http404
    now = timezone.now()
    context = {
        "unit": unit,
        "availability": availability(unit, now),
        "notices": notices(unit, now),
        "windows": planned_windows(unit, now),
        "now": now,
        "planned_days": PLANNED_DAYS,
        "recovery_days": RECOVERY_DAYS,
    }
    return render(request, "web/status.html", context)


@login_required
def status_settings(request):
    """The units whose status page the reader may turn on or off."""
    units = list(scoping.writable(Unit.objects.filter(kind=UnitKind.UNIT), request.user).order_by("code"))
    enabled = set(StatusPage.objects.filter(unit__in=units, enabled=True).values_list("unit_id", flat=True))
    rows = [{"unit": unit, "enabled": unit.pk in enabled} for unit in units]
    return render(request, "web/status_settings.html", {"rows": rows})


@login_required
@require_POST
def status_toggle(request, pk):
    unit = get_object_or_404(scoping.writable(Unit.objects.filter(kind=UnitKind.UNIT), request.user), pk=pk)
    enabled = request.POST.get("enabled") == "on"
    message = (
        _("The status page of %(unit)s is on.") if enabled else _("The status page of %(unit)s is off.")
    ) % {"unit": unit.name}
    return act(
        request,
        reverse("web:status-settings"),
        lambda: set_enabled(unit, actor=request.user, enabled=enabled),
        message,
    )
