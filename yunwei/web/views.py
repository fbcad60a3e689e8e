"""The home dashboard and the liveness probe."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.compliance import scores as compliance
from yunwei.core import scoping
from yunwei.core.models import WorkerHeartbeat
from yunwei.incidents import services as incidents
from yunwei.logbook.book import months_at_a_glance
from yunwei.org.choices import UnitKind
from yunwei.org.models import CONTRACT_EXPIRING_DAYS, MaintenanceContract, Person, Team, Unit, Vendor
from yunwei.reports import services as reports

from .charts import chart_units
from .work import my_work, work_in_hand


def _charts() -> list[dict]:
    """The dashboard's charts: their endpoint's name, how each is drawn and the list behind it."""
    return [
        {
            "name": "incidents-by-grade",
            "kind": "bar",
            "title": _("Incidents by grade per week"),
            "list": reverse("incidents:incident-list"),
        },
        {
            "name": "restore-time",
            "kind": "line",
            "title": _("Mean time to restore"),
            "list": reverse("incidents:incident-list") + "?state=closed",
        },
        {
            "name": "problems-by-age",
            "kind": "bar",
            "title": _("Open problems by age"),
            "list": reverse("problems:problem-list"),
        },
        {
            "name": "changes-by-outcome",
            "kind": "bar",
            "title": _("Changes by outcome"),
            "list": reverse("changes:change-list"),
        },
    ]


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
        "charts": _charts(),
        "chart_units": chart_units(user),
        # The group's catalogue: a grade and cause without a plan in force concerns every unit (Art. 13).
        "gaps": incidents.plan_gaps(),
        # Art. 5: last month's logs and review per unit, an unsigned month past its day shown overdue.
        "months": months_at_a_glance(user),
        # The month's compliance score per unit, from the one function the compliance pages call.
        "compliance": compliance.month_scores(units),
        # Art. 6: last month's analysis report per unit, issued (signed) or not.
        "reports": reports.issued_last_month(units.filter(kind=UnitKind.UNIT)),
        "heartbeat": WorkerHeartbeat.objects.order_by("-at").first() if user.access.is_group_admin else None,
    }
    return render(request, "web/dashboard.html", context)


@login_required
def my_work_page(request):
    """My work: what waits on the signed-in person across the apps, each with its deadline and lateness."""
    sections = my_work(request.user)
    return render(
        request,
        "web/my_work.html",
        {"sections": sections, "empty": not any(s.entries for s in sections), "now": timezone.now()},
    )


def healthz(request):
    """Liveness for nginx and monitors: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    return redirect(static("web/favicon.svg"), permanent=True)
