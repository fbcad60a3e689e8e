"""Pages of monitoring's heartbeats (Art. 3, 5, 9): the list, a heartbeat with its runs and ping URLs, its
form, and the backup log of a unit and a month.

Querysets start from `scoping.visible()`, so another unit's heartbeat is a 404 here as in the API;
services decide and write, and their refusals come back as form errors or 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.pages import act, form_page, page_view, paginate

from . import services
from .filters import BackupLogFilter, CheckFilter, HeartbeatFilter
from .forms import CheckForm, HeartbeatForm, manageable_units
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


@page_view
def heartbeat_list(request):
    base = scoping.visible(Heartbeat.objects.select_related("unit", "item"), request.user)
    filterset = HeartbeatFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user)
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows.order_by("unit__code", "name"), PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "filters": [filterset.form[name] for name in ("state", "kind", "unit")],
        "results_id": RESULTS_ID,
        "can_create": manageable_units(request.user).exists(),
    }
    partial = request.htmx and request.htmx.target == RESULTS_ID
    return render(
        request,
        "monitoring/partials/heartbeat_table.html" if partial else "monitoring/heartbeat_list.html",
        context,
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
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = HeartbeatForm(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create(Heartbeat, actor=request.user, **form.service_fields()),
        title=_("New heartbeat"),
        cancel_url=reverse("monitoring:heartbeat-list"),
        after=_detail_url,
    )


@page_view
def heartbeat_edit(request, pk):
    heartbeat = _heartbeat(request, pk)
    if not services.may_manage(request.user, heartbeat.unit_id):
        raise PermissionDenied
    # The form edits its own copy: the service re-reads and locks the stored row.
    form = HeartbeatForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        instance=_heartbeat(request, pk),
    )

    def call():
        return services.update(
            heartbeat, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": heartbeat},
        cancel_url=_detail_url(heartbeat),
        after=_detail_url,
    )


@page_view
@require_POST
def heartbeat_delete(request, pk):
    heartbeat = _heartbeat(request, pk)
    return act(
        request,
        reverse("monitoring:heartbeat-list"),
        lambda: services.delete(heartbeat, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": heartbeat},
        fail_url=_detail_url(heartbeat),
    )


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
LATEST_RESULTS = 50


def _check_of(request, pk) -> Check:
    return get_object_or_404(
        scoping.visible(Check.objects.select_related("unit", "item", "reference"), request.user), pk=pk
    )


def _check_url(check) -> str:
    return reverse("monitoring:check-detail", args=[check.pk])


@page_view
def check_list(request):
    base = scoping.visible(Check.objects.select_related("unit", "item"), request.user)
    filterset = CheckFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, request.user)
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows.order_by("unit__code", "name"), PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "filters": [filterset.form[name] for name in ("state", "kind", "unit")],
        "results_id": CHECK_RESULTS_ID,
        "can_create": manageable_units(request.user).exists(),
    }
    partial = request.htmx and request.htmx.target == CHECK_RESULTS_ID
    return render(
        request, "monitoring/partials/check_table.html" if partial else "monitoring/check_list.html", context
    )


@page_view
def check_detail(request, pk):
    check = _check_of(request, pk)
    if request.method != "GET":
        return redirect("monitoring:check-detail", pk)
    return render(
        request,
        "monitoring/check_detail.html",
        {
            "check": check,
            "results": check.results.order_by("-at", "-id")[:LATEST_RESULTS],
            "can_manage": services.may_manage(request.user, check.unit_id),
        },
    )


@page_view
def check_create(request):
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = CheckForm(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create(Check, actor=request.user, **form.service_fields()),
        title=_("New check"),
        cancel_url=reverse("monitoring:check-list"),
        after=_check_url,
    )


@page_view
def check_edit(request, pk):
    check = _check_of(request, pk)
    if not services.may_manage(request.user, check.unit_id):
        raise PermissionDenied
    form = CheckForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=_check_of(request, pk)
    )

    def call():
        return services.update(
            check, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": check},
        cancel_url=_check_url(check),
        after=_check_url,
    )


@page_view
@require_POST
def check_run(request, pk):
    """ "Test now": run the check's probe at once and show the check with its new result."""
    check = _check_of(request, pk)
    services.require_manage_checks(request.user, check.unit_id)
    return act(
        request,
        _check_url(check),
        lambda: services.run_check(check.pk),
        _("Tested “%(name)s” now: see its latest result.") % {"name": check},
    )


@page_view
@require_POST
def check_delete(request, pk):
    check = _check_of(request, pk)
    return act(
        request,
        reverse("monitoring:check-list"),
        lambda: services.delete(check, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": check},
        fail_url=_check_url(check),
    )
