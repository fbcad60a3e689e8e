"""Pages of the indicators (运行指标, Art. 3 (1)): the list with each target beside this month's and last
month's figures, an indicator with a month's figures day by day, its form, and the breaches.

Querysets start from `scoping.visible()`, so another unit's indicator is a 404 here as in the API; the
figures come from `services.indicators`, the same the API and the monthly report read.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.filters import prepare_filter_form
from yunwei.core.pages import act, form_page, page_view, paginate

from . import services
from .choices import IndicatorFigure
from .forms import manageable_units
from .indicator_filters import BreachFilter, IndicatorFilter
from .indicator_forms import IndicatorForm
from .models import Indicator, IndicatorBreach
from .services import indicators

PAGE_SIZE = 25
BREACHES_PAGE_SIZE = 50
LIST_ID = "indicator-results"
BREACHES_ID = "breach-results"


def _indicator(request, pk) -> Indicator:
    return get_object_or_404(
        scoping.visible(Indicator.objects.select_related("unit", "item"), request.user), pk=pk
    )


def _detail_url(indicator) -> str:
    return reverse("monitoring:indicator-detail", args=[indicator.pk])


def _month(request) -> tuple[str, list[str]]:
    """The month asked for (YYYY-MM), this month when none or a bad one is asked (and why)."""
    this_month = timezone.localdate().strftime("%Y-%m")
    month = request.GET.get("month", "").strip() or this_month
    try:
        indicators.month_of(month)
    except DomainError as exc:
        return this_month, [exc.message]
    return month, []


def _previous(month: str) -> str:
    first = datetime.date.fromisoformat(f"{month}-01")
    return (first - datetime.timedelta(days=1)).strftime("%Y-%m")


def _hours(seconds: float) -> float:
    return seconds / 3600


def _figure_rows(period: indicators.Period, before: indicators.Period | None = None) -> list[dict]:
    """Each figure that has a target or a figure: its label, unit, target, actual (and last month's)."""
    rows = []
    for index, row in enumerate(period.rows):
        earlier = before.rows[index] if before is not None else None
        if row["target"] is None and row["actual"] is None and (earlier is None or earlier["actual"] is None):
            continue
        figure = IndicatorFigure(row["figure"])
        target = row["target"]
        # 99.500 stored, 99.5 shown: the target as it was declared.
        shown = format(Decimal(target).normalize(), "f") if target is not None else None
        rows.append(
            {**row, "target_text": shown, "label": figure.label, "unit": figure.unit_label, "before": earlier}
        )
    return rows


def _day_rows(period: indicators.Period) -> list[dict]:
    rows = []
    for day in reversed(period.days):
        rows.append(
            {
                "day": day.first,
                "figures": day,
                "hours": {
                    name: _hours(getattr(day, name))
                    for name in ("up_seconds", "down_seconds", "unknown_seconds", "maintenance_seconds")
                }
                | {"no_data_seconds": _hours(day.no_data_seconds)},
                "missed": {
                    figure: indicators.missed(period.indicator, name, day.value(figure))
                    for name, (figure, _under) in indicators.TARGETS.items()
                },
            }
        )
    return rows


@page_view
def indicator_list(request):
    """The indicators the user sees, each figure's target beside this month's and last month's."""
    base = scoping.visible(Indicator.objects.select_related("unit", "item"), request.user)
    filterset = IndicatorFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user)
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows.order_by("unit__code", "name"), PAGE_SIZE)
    month, errors = _month(request)
    previous = _previous(month)
    shown = list(page_obj)
    now_periods = {p.indicator.pk: p for p in indicators.periods(shown, month)}
    before_periods = {p.indicator.pk: p for p in indicators.periods(shown, previous)}
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "filters": [filterset.form[name] for name in ("unit", "domain")],
        "results_id": LIST_ID,
        "month": month,
        "previous": previous,
        "errors": errors,
        "entries": [
            {"indicator": i, "rows": _figure_rows(now_periods[i.pk], before_periods[i.pk])} for i in shown
        ],
        "can_create": manageable_units(request.user).exists(),
    }
    partial = request.htmx and request.htmx.target == LIST_ID
    return render(
        request,
        "monitoring/indicator_table.html" if partial else "monitoring/indicator_list.html",
        context,
    )


@page_view
def indicator_detail(request, pk):
    indicator = _indicator(request, pk)
    if request.method != "GET":
        return redirect("monitoring:indicator-detail", pk)
    month, errors = _month(request)
    period = indicators.figures(indicator, month)
    return render(
        request,
        "monitoring/indicator_detail.html",
        {
            "indicator": indicator,
            "checks": list(indicator.checks.order_by("name")),
            "month": month,
            "errors": errors,
            "summary": _figure_rows(period),
            "total": period.total,
            "total_hours": {name: _hours(getattr(period.total, name)) for name in indicators.SECONDS},
            "days": _day_rows(period),
            "breaches": indicator.breaches.order_by("-day", "figure")[:BREACHES_PAGE_SIZE],
            "can_manage": services.may_manage(request.user, indicator.unit_id),
        },
    )


@page_view
def indicator_create(request):
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = IndicatorForm(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create(Indicator, actor=request.user, **form.service_fields()),
        title=_("New indicator"),
        cancel_url=reverse("monitoring:indicator-list"),
        after=_detail_url,
    )


@page_view
def indicator_edit(request, pk):
    indicator = _indicator(request, pk)
    if not services.may_manage(request.user, indicator.unit_id):
        raise PermissionDenied
    fresh = _indicator(request, pk)  # the form's own copy: the service re-reads and locks the stored row
    form = IndicatorForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=fresh
    )

    def call():
        return services.update(
            indicator, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": indicator},
        cancel_url=_detail_url(indicator),
        after=_detail_url,
    )


@page_view
@require_POST
def indicator_delete(request, pk):
    indicator = _indicator(request, pk)
    return act(
        request,
        reverse("monitoring:indicator-list"),
        lambda: services.delete(indicator, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": indicator},
        fail_url=_detail_url(indicator),
    )


@page_view
def breach_list(request):
    """The days an indicator missed its target, latest first."""
    base = scoping.visible(
        IndicatorBreach.objects.select_related("indicator__unit", "indicator__item"), request.user
    )
    filterset = BreachFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user, dates=("day_after", "day_before"))
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(indicator__name__icontains=q)
    page_obj, query = paginate(
        request, rows.order_by("-day", "indicator__name", "figure"), BREACHES_PAGE_SIZE
    )
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "filters": [filterset.form[name] for name in ("unit", "figure", "day_after", "day_before")],
        "results_id": BREACHES_ID,
        "errors": filterset.form.errors,
    }
    partial = request.htmx and request.htmx.target == BREACHES_ID
    return render(
        request,
        "monitoring/indicator_breach_table.html" if partial else "monitoring/indicator_breaches.html",
        context,
    )
