"""Pages of the audit log (Art. 11): list with filters, one event, chain verification. Group admins only."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from yunwei.core import saved_filters
from yunwei.core.exports import ListSource
from yunwei.core.listing import Sorting
from yunwei.web import export_jobs

from . import anchors, exports, services
from .filters import AuditEventFilter
from .models import AuditEvent, ChainCheck

PAGE_SIZE = 50


def _require_viewer(request) -> None:
    # 404, not 403: the log's existence is no business of those who may not read it.
    if not services.can_view(request.user):
        raise Http404


# Both columns are indexed (seq is unique, at has its index); the number breaks ties of a time.
SORTING = Sorting({"number": ("seq",), "time": ("at", "seq")}, default="-number")


def _filtered(request):
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.all())
    rows, sort = SORTING.order(filterset.qs, request)
    return filterset, rows, sort


@login_required
@require_GET
def event_list(request):
    _require_viewer(request)
    filterset, rows, sort = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = exports.name_events(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page_obj": page,
        "query": query.urlencode(),
        "sort": sort,
        "export_url": reverse("audit:event-export") + "?" + query.urlencode(),
        "last_check": _last_check(),
        "seal": _seal(),
        **saved_filters.context(request, "audit:event-list"),
    }
    # A history restore asks for the whole page, though it comes through htmx.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "audit/partials/event_table.html" if partial else "audit/event_list.html"
    return render(request, template, context)


@login_required
@require_GET
def event_export(request):
    """The filtered log as an .xlsx workbook, every page of it (group admins only, like the log)."""
    _require_viewer(request)
    filterset, _rows, _sort = _filtered(request)
    if not filterset.is_valid():
        return HttpResponseBadRequest(_errors(filterset))
    return export_jobs.respond(request, "audit", export_source(request))


def _errors(filterset) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())


def export_source(request) -> ListSource:
    """The filtered log's export (the page's and a background export job's), group admins only."""
    _require_viewer(request)
    filterset, rows, _sort = _filtered(request)
    if not filterset.is_valid():
        raise ValueError(_errors(filterset))
    return ListSource(
        "audit-log.xlsx",
        exports.headers(),
        rows,
        exports.rows,
        sheet_name=_("Audit log"),
        widths=exports.WIDTHS,
    )


def _pretty(value) -> str:
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _detail(request, event: AuditEvent, *, revealed: bool):
    # Contact details show masked unless this request un-masked them (audited by the service).
    shown = services.reveal_event(event, actor=request.user) if revealed else None
    before, after = (
        (shown["before"], shown["after"])
        if shown
        else (services.masked(event.before), services.masked(event.after))
    )
    context = {
        "event": exports.name_events([event])[0],
        "before": _pretty(before),
        "after": _pretty(after),
        "revealed": revealed,
        "can_reveal": not revealed and services.holds_personal_data(event),
    }
    return render(request, "audit/event_detail.html", context)


@login_required
@require_GET
def event_detail(request, seq: int):
    _require_viewer(request)
    return _detail(request, get_object_or_404(AuditEvent, seq=seq), revealed=False)


@login_required
@require_POST
def event_reveal(request, seq: int):
    _require_viewer(request)
    return _detail(request, get_object_or_404(AuditEvent, seq=seq), revealed=True)


def _freshness(unsealed: int, oldest_at, now) -> str:
    """How fresh the seal is: events recorded but not yet numbered and chained, and the oldest's wait."""
    if not unsealed:
        return _("Every event is sealed into the chain.")
    return ngettext(
        "%(count)s event is waiting to be sealed into the chain, for %(age)s.",
        "%(count)s events are waiting to be sealed into the chain, the oldest for %(age)s.",
        unsealed,
    ) % {"count": unsealed, "age": timesince(oldest_at, now)}


def _seal() -> dict:
    status = services.seal_status()
    now = timezone.now()
    return {
        "status": status,
        "stale": status.stale(now),
        "text": _freshness(status.unsealed, status.oldest_at, now),
    }


def _describe(check: ChainCheck) -> str:
    freshness = _freshness(check.unsealed, check.oldest_unsealed_at, check.finished_at)
    if check.ok:
        text = _("The audit chain is intact: %(count)s events checked.") % {"count": check.checked}
        text = f"{text} {freshness}"
    elif check.reason == services.UNSEALED:
        text = _(
            "The sealed chain is intact (%(count)s events checked), but events waited longer than "
            "%(limit)s to be sealed: the sealer is not running. %(freshness)s"
        ) % {
            "count": check.checked,
            "limit": timesince(check.finished_at - services.seal_limit(), check.finished_at),
            "freshness": freshness,
        }
    elif check.reason == anchors.UNREADABLE:
        return _("The file of heads written outside the database cannot be read: it was altered or cut.")
    else:
        reasons = {
            services.ALTERED: _("its content no longer matches its hash (altered)"),
            services.INSERTED: _("it is not part of the original chain (inserted)"),
            services.REMOVED: _("it is missing (removed)"),
            anchors.REWRITTEN: _("its hash differs from the head written outside the database (rewritten)"),
        }
        text = _("The audit chain is broken at event #%(seq)s: %(reason)s.") % {
            "seq": check.first_bad_seq,
            "reason": reasons[check.reason],
        }
    return f"{text} {_agreement(check)}"


def _agreement(check: ChainCheck) -> str:
    """Since when the chain and the heads written outside the database agree (what a rewrite cannot fake)."""
    if check.disagreed_seq is not None:
        return _("It disagrees with the head written outside on %(at)s (event #%(seq)s).") % {
            "at": date_format(timezone.localtime(check.disagreed_at), "DATETIME_FORMAT"),
            "seq": check.disagreed_seq,
        }
    if check.agreed_seq is None:
        return _("No head has been written outside the database yet to compare with.")
    return _("It agrees with the heads written outside, the last on %(at)s (event #%(seq)s).") % {
        "at": date_format(timezone.localtime(check.agreed_at), "DATETIME_FORMAT"),
        "seq": check.agreed_seq,
    }


def _last_check() -> dict | None:
    check = anchors.last_check()
    return check and {"check": check, "text": _describe(check)}


@login_required
@require_POST
def verify(request):
    _require_viewer(request)
    check = anchors.verify(ChainCheck.Kind.FULL)
    text = _describe(check)
    if request.htmx:
        return render(request, "audit/partials/verify_result.html", {"result": check, "text": text})
    (messages.success if check.ok else messages.error)(request, text)
    return redirect("audit:event-list")
