"""Pages of monitoring's heartbeats (Art. 3, 5, 9): the list, a heartbeat with its runs and ping URLs, its
form, and the backup log of a unit and a month.

Querysets start from `scoping.visible()`, so another unit's heartbeat is a 404 here as in the API;
services decide and write, and their refusals come back as form errors or 403.
"""

import json

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.listing import Sorting
from yunwei.core.pages import act, form_page, page_view, paginate

from . import series as check_series
from . import services
from .filters import BackupLogFilter, CheckFilter, HeartbeatFilter
from .forms import SECRET_KEYS, CheckForm, HeartbeatForm, manageable_units
from .models import Check, Heartbeat, HeartbeatRun

PAGE_SIZE = 25
RUNS_PAGE_SIZE = 50
RESULTS_ID = "heartbeat-results"


def _heartbeat(request, pk) -> Heartbeat:
    return get_object_or_404(
        scoping.visible(Heartbeat.objects.select_related("unit", "item"), request.user), pk=pk
    )


def _detail_url(heartbeat) -> str:
    return reverse("monitoring:heartbeat-detail", args=[heartbeat.pk])


# Each list's next moment is indexed (the sweeps read it); otherwise the lists read by unit and name.
HEARTBEAT_SORTING = Sorting({"due": ("next_due_at", "id")}, fallback=("unit__code", "name"))
CHECK_SORTING = Sorting({"due": ("next_run_at", "id")}, fallback=("unit__code", "name"))


def _listing(request, model, filter_class, results_id: str, template: str, partial: str, sorting: Sorting):
    """A list of heartbeats or checks the user may see, filtered, searched by name and paged; the rows
    alone when htmx asks for the results."""
    base = scoping.visible(model.objects.select_related("unit", "item"), request.user)
    filterset = filter_class(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user)
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    rows, sort = sorting.order(rows, request)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "sort": sort,
        "query": query,
        "q": q,
        "filters": [filterset.form[name] for name in ("state", "kind", "unit")],
        "results_id": results_id,
        "can_create": manageable_units(request.user).exists(),
    }
    is_partial = request.htmx and request.htmx.target == results_id
    return render(request, partial if is_partial else template, context)


def _create(request, model, form_class, *, title: str, list_url: str, after, template="web/form.html"):
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = form_class(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create(model, actor=request.user, **form.service_fields()),
        title=title,
        cancel_url=reverse(list_url),
        after=after,
        template=template,
    )


def _edit(request, record, fresh, form_class, *, after, template="web/form.html"):
    """`fresh` is the form's own copy of `record`: the service re-reads and locks the stored row."""
    if not services.may_manage(request.user, record.unit_id):
        raise PermissionDenied
    form = form_class(request.POST if request.method == "POST" else None, user=request.user, instance=fresh)

    def call():
        return services.update(
            record, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": record},
        cancel_url=after(record),
        after=after,
        template=template,
    )


def _delete(request, record, *, list_url: str, after):
    return act(
        request,
        reverse(list_url),
        lambda: services.delete(record, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": record},
        fail_url=after(record),
    )


@page_view
def heartbeat_list(request):
    return _listing(
        request,
        Heartbeat,
        HeartbeatFilter,
        RESULTS_ID,
        "monitoring/heartbeat_list.html",
        "monitoring/partials/heartbeat_table.html",
        HEARTBEAT_SORTING,
    )


@page_view
def heartbeat_detail(request, pk):
    heartbeat = _heartbeat(request, pk)
    if request.method != "GET":
        return redirect("monitoring:heartbeat-detail", pk)
    runs, query = paginate(request, heartbeat.runs.order_by("-received_at", "-id"), RUNS_PAGE_SIZE)
    base = request.build_absolute_uri(f"/ping/{heartbeat.uuid}")
    return render(
        request,
        "monitoring/heartbeat_detail.html",
        {
            "heartbeat": heartbeat,
            "page_obj": runs,
            "query": query,
            "ping_urls": [
                (_("Success"), base),
                (_("Start"), f"{base}/start"),
                (_("Failure"), f"{base}/fail"),
                (_("Exit code"), f"{base}/<0-255>"),
                (_("Log"), f"{base}/log"),
            ],
            "can_manage": services.may_manage(request.user, heartbeat.unit_id),
        },
    )


@page_view
def heartbeat_create(request):
    return _create(
        request,
        Heartbeat,
        HeartbeatForm,
        title=_("New heartbeat"),
        list_url="monitoring:heartbeat-list",
        after=_detail_url,
    )


@page_view
def heartbeat_edit(request, pk):
    return _edit(request, _heartbeat(request, pk), _heartbeat(request, pk), HeartbeatForm, after=_detail_url)


@page_view
@require_POST
def heartbeat_delete(request, pk):
    return _delete(request, _heartbeat(request, pk), list_url="monitoring:heartbeat-list", after=_detail_url)


@page_view
def backup_log(request):
    """The backup log (数据备份日志) of a unit and a month (Art. 5, 9); this month by default."""
    params = request.GET.copy()
    params.setdefault("month", timezone.localdate().strftime("%Y-%m"))
    base = services.backup_log(
        scoping.visible(HeartbeatRun.objects.select_related("heartbeat__unit"), request.user)
    )
    filterset = BackupLogFilter(params, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user)
    filterset.form.fields["month"].widget.input_type = "month"
    filterset.form.fields["month"].widget.attrs["class"] = "form-control form-control-sm"
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(heartbeat__name__icontains=q)
    page_obj, query = paginate(request, rows.order_by("-received_at", "-id"), RUNS_PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "filters": [filterset.form["unit"], filterset.form["month"]],
        "errors": filterset.form.errors,
        "results_id": "backup-log-results",
    }
    partial = request.htmx and request.htmx.target == "backup-log-results"
    return render(
        request,
        "monitoring/partials/backup_log_table.html" if partial else "monitoring/backup_log.html",
        context,
    )


# -- active checks (Art. 3) -----------------------------------------------------------------------

CHECK_RESULTS_ID = "check-results"
CHECK_FORM = "monitoring/check_form.html"
LATEST_RESULTS = 50


def _check_of(request, pk) -> Check:
    return get_object_or_404(
        scoping.visible(Check.objects.select_related("unit", "item", "reference"), request.user), pk=pk
    )


def _check_url(check) -> str:
    return reverse("monitoring:check-detail", args=[check.pk])


@page_view
def check_list(request):
    return _listing(
        request,
        Check,
        CheckFilter,
        CHECK_RESULTS_ID,
        "monitoring/check_list.html",
        "monitoring/partials/check_table.html",
        CHECK_SORTING,
    )


def _shown_spec(check) -> str:
    """The spec as the page shows it, as JSON: the secrets (passwords, communities, keys) never leave the
    server."""
    shown = {
        key: ("••••••" if key in SECRET_KEYS and value else value)
        for key, value in (check.spec or {}).items()
    }
    return json.dumps(shown, ensure_ascii=False)


@page_view
def check_detail(request, pk):
    check = _check_of(request, pk)
    if request.method != "GET":
        return redirect("monitoring:check-detail", pk)
    tested = request.GET.get("tested", "")
    chart_range = request.GET.get("range", "24h")
    return render(
        request,
        "monitoring/check_detail.html",
        {
            "check": check,
            "spec": _shown_spec(check),
            "results": check.results.order_by("-at", "-id")[:LATEST_RESULTS],
            "tested": check.results.filter(pk=tested).first() if tested.isdigit() else None,
            "can_manage": services.may_manage(request.user, check.unit_id),
            "chart_range": chart_range if chart_range in check_series.RANGES else "24h",
            "chart_ranges": [
                ("24h", _("24 hours")),
                ("7d", _("7 days")),
                ("30d", _("30 days")),
                ("90d", _("90 days")),
            ],
            "chart_labels": {
                "state": _("State"),
                "latency": _("Latency (ms)"),
                "failed": _("The chart could not be loaded."),
                "states": {
                    "up": pgettext("check result", "Up"),
                    "down": pgettext("check result", "Down"),
                    "partial": _("Partly down"),
                    "unknown": pgettext("check result", "Unknown"),
                    "maintenance": _("Maintenance"),
                    "none": _("No data"),
                },
            },
        },
    )


@page_view
def check_create(request):
    return _create(
        request,
        Check,
        CheckForm,
        title=_("New check"),
        list_url="monitoring:check-list",
        after=_check_url,
        template=CHECK_FORM,
    )


@page_view
def check_edit(request, pk):
    return _edit(
        request,
        _check_of(request, pk),
        _check_of(request, pk),
        CheckForm,
        after=_check_url,
        template=CHECK_FORM,
    )


@page_view
@require_POST
def check_run(request, pk):
    """ "Test now": run the check's probe at once, inside the request, and show the check with that
    result (status, latency, method, reason) at the top."""
    check = _check_of(request, pk)
    services.require_manage_checks(request.user, check.unit_id)
    result = services.run_check(check.pk)
    if result is None:  # deleted meanwhile
        return redirect("monitoring:check-list")
    return redirect(f"{_check_url(check)}?tested={result.pk}")


@page_view
@require_POST
def check_delete(request, pk):
    return _delete(request, _check_of(request, pk), list_url="monitoring:check-list", after=_check_url)
