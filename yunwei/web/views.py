"""The home dashboard and the liveness probe."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

from yunwei.core import scoping
from yunwei.core.models import WorkerHeartbeat
from yunwei.incidents import services as incidents
from yunwei.org.choices import UnitKind
from yunwei.org.models import CONTRACT_EXPIRING_DAYS, MaintenanceContract, Person, Team, Unit, Vendor

from .work import work_in_hand


@login_required
def dashboard(request):
    user = request.user
    units = scoping.visible(Unit.objects.with_staffing(), user)
    today = timezone.localdate()
    expiring = scoping.visible(MaintenanceContract.objects.select_related("vendor", "unit"), user).filter(
        ends_on__gte=today, ends_on__lte=today + datetime.timedelta(days=CONTRACT_EXPIRING_DAYS)
    )
    context = {
        "counts": {
            "units": units.count(),
            "teams": scoping.visible(Team.objects.all(), user).count(),
            "people": scoping.visible(Person.objects.filter(is_active=True), user).count(),
            "vendors": scoping.visible(Vendor.objects.all(), user).count(),
        },
        "flagged_units": [u for u in units.filter(kind=UnitKind.UNIT) if u.staffing_gaps()],
        "expiring_contracts": expiring.order_by("ends_on")[:10],
        "work": work_in_hand(user),
        # The group's catalogue: a grade and cause without a plan in force concerns every unit (Art. 13).
        "gaps": incidents.plan_gaps(),
        "heartbeat": WorkerHeartbeat.objects.order_by("-at").first() if user.access.is_group_admin else None,
    }
    return render(request, "web/dashboard.html", context)


def healthz(request):
    """Liveness for nginx and monitors: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    return redirect(static("web/favicon.svg"), permanent=True)
