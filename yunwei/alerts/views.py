"""Pages of alert intake (Art. 3): integrations (the URL to paste, the token shown once, the latest
payloads and how each was mapped, silent or not), their mapping rules, the alerts, and the unmatched
queue where a person maps an alert (and its siblings) to an item.

Querysets start from `scoping.visible()`, so another unit's integration or alert is a 404 here as in the
API; services decide and write, and their refusals come back as form errors or 403.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from yunwei.core import errors, scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.pages import act, done, form_page, page_view, paginate

from . import services
from .choices import WAITING, AlertStatus, MatchState
from .filters import AlertFilter, IntegrationFilter
from .forms import IntegrationForm, MapForm, RuleForm, manageable_units
from .models import Alert, Integration, MappingRule

PAGE_SIZE = 25
LATEST_PAYLOADS = 20
# The token shown once: kept in the session from the create or rotate until the next view of the page.
SHOWN_ONCE = "alerts-token"


def _integration(request, pk) -> Integration:
    return get_object_or_404(scoping.visible(Integration.objects.select_related("unit"), request.user), pk=pk)


def _alert(request, pk) -> Alert:
    return get_object_or_404(
        scoping.visible(Alert.objects.select_related("integration", "item", "unit"), request.user), pk=pk
    )


def _rule(request, pk) -> MappingRule:
    return get_object_or_404(
        scoping.visible(MappingRule.objects.select_related("integration"), request.user), pk=pk
    )


def _detail_url(integration) -> str:
    return reverse("alerts:integration-detail", args=[integration.pk])


def _listing(request, rows, filterset, names, results_id, template, partial, **context):
    prepare_filter_form(filterset.form, request.user)
    rows = filterset.qs if filterset.is_valid() else rows.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    context.update(
        page_obj=page_obj,
        query=query,
        q=q,
        filters=[filterset.form[name] for name in names],
        results_id=results_id,
    )
    is_partial = request.htmx and request.htmx.target == results_id
    return render(request, partial if is_partial else template, context)


# -- integrations ---------------------------------------------------------------------------------


@page_view
def integration_list(request):
    base = scoping.visible(Integration.objects.select_related("unit"), request.user)
    filterset = IntegrationFilter(request.GET, queryset=base.order_by("unit__code", "name"), request=request)
    return _listing(
        request,
        base,
        filterset,
        ("kind", "state", "unit"),
        "integration-results",
        "alerts/integration_list.html",
        "alerts/partials/integration_table.html",
        can_create=manageable_units(request.user).exists(),
    )


def _remember_token(request, integration, token) -> None:
    request.session[SHOWN_ONCE] = {"pk": integration.pk, "token": token}


@page_view
def integration_create(request):
    if not manageable_units(request.user).exists():
        raise PermissionDenied
    form = IntegrationForm(request.POST if request.method == "POST" else None, user=request.user)

    def call():
        integration, token = services.create_integration(actor=request.user, **form.service_fields())
        _remember_token(request, integration, token)
        return integration

    return form_page(
        request,
        form,
        call,
        title=_("New alert integration"),
        cancel_url=reverse("alerts:integration-list"),
        after=_detail_url,
    )


def _with_entries(payloads) -> list:
    """The payloads, each with its alerts' outcome in the reader's words (status, how it was mapped)."""
    rows = list(payloads)
    for payload in rows:
        payload.entries = [
            {
                **entry,
                "status_display": AlertStatus(entry["status"]).label,
                "match_display": MatchState(entry["match"]).label,
                "badge": MatchState(entry["match"]).badge,
            }
            for entry in payload.outcome
        ]
    return rows


@page_view
def integration_detail(request, pk):
    integration = _integration(request, pk)
    if request.method != "GET":
        return redirect("alerts:integration-detail", pk)
    shown = request.session.get(SHOWN_ONCE)
    token = None
    if shown and shown.get("pk") == integration.pk:
        token = shown["token"]
        del request.session[SHOWN_ONCE]
    bearer_url = request.build_absolute_uri(f"/intake/{integration.kind}/")
    return render(
        request,
        "alerts/integration_detail.html",
        {
            "integration": integration,
            "token": token,
            "url": f"{bearer_url}{token or '<token>'}/",
            "bearer_url": bearer_url,
            "rules": integration.rules.order_by("position", "id"),
            "payloads": _with_entries(integration.payloads.order_by("-received_at", "-id")[:LATEST_PAYLOADS]),
            "can_manage": services.may_manage(request.user, integration.unit_id),
            "waiting": integration.alerts.filter(match__in=WAITING).count(),
        },
    )


@page_view
def integration_edit(request, pk):
    integration = _integration(request, pk)
    if not services.may_manage(request.user, integration.unit_id):
        raise PermissionDenied
    form = IntegrationForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        instance=_integration(request, pk),
    )

    def call():
        fields = form.service_fields()
        fields.pop("unit", None)
        fields.pop("kind", None)
        if not fields.get("hmac_secret"):
            fields.pop("hmac_secret", None)  # left empty: the stored secret stays (it is never shown)
        return services.update_integration(
            integration, actor=request.user, expected_version=form.expected_version, **fields
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": integration},
        cancel_url=_detail_url(integration),
        after=_detail_url,
    )


@page_view
@require_POST
def integration_rotate(request, pk):
    integration = _integration(request, pk)

    def call():
        updated, token = services.rotate_token(integration, actor=request.user)
        _remember_token(request, updated, token)

    return act(
        request,
        _detail_url(integration),
        call,
        _("A new token was made: the old one no longer works. Copy the new address now."),
    )


@page_view
@require_POST
def integration_delete(request, pk):
    integration = _integration(request, pk)
    return act(
        request,
        reverse("alerts:integration-list"),
        lambda: services.delete_integration(integration, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": integration},
        fail_url=_detail_url(integration),
    )


# -- mapping rules --------------------------------------------------------------------------------


def _rule_page(request, integration, rule=None):
    if not services.may_manage(request.user, integration.unit_id):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = RuleForm(data, integration=integration, instance=rule or MappingRule(integration=integration))

    def call():
        fields = form.service_fields()
        if rule is None:
            return services.create_rule(actor=request.user, integration=integration, **fields)
        return services.update_rule(
            rule, actor=request.user, expected_version=form.expected_version, **fields
        )

    return form_page(
        request,
        form,
        call,
        title=_("Mapping rule of “%(name)s”") % {"name": integration},
        cancel_url=_detail_url(integration),
        after=lambda _rule: _detail_url(integration),
    )


@page_view
def rule_create(request, pk):
    return _rule_page(request, _integration(request, pk))


@page_view
def rule_edit(request, pk):
    rule = _rule(request, pk)
    return _rule_page(request, rule.integration, rule)


@page_view
@require_POST
def rule_delete(request, pk):
    rule = _rule(request, pk)
    return act(
        request,
        _detail_url(rule.integration),
        lambda: services.delete_rule(rule, actor=request.user),
        _("Deleted “%(name)s”.") % {"name": rule},
    )


# -- alerts ---------------------------------------------------------------------------------------


@page_view
def alert_list(request):
    base = scoping.visible(Alert.objects.select_related("integration", "item", "unit"), request.user)
    filterset = AlertFilter(request.GET, queryset=base.order_by("-last_seen_at", "-id"), request=request)
    return _listing(
        request,
        base,
        filterset,
        ("status", "match", "integration", "unit"),
        "alert-results",
        "alerts/alert_list.html",
        "alerts/partials/alert_table.html",
    )


@page_view
def alert_detail(request, pk):
    alert = _alert(request, pk)
    if request.method != "GET":
        return redirect("alerts:alert-detail", pk)
    waiting = alert.match in WAITING
    can_map = waiting and services.may_map(request.user, alert.unit_id)
    map_form = MapForm(user=request.user, unit_id=alert.unit_id) if can_map else None
    return render(
        request,
        "alerts/alert_detail.html",
        {
            "alert": alert,
            "labels": json.dumps(alert.labels, ensure_ascii=False, indent=2, sort_keys=True),
            "events": alert.events.order_by("at", "id"),
            "map_form": map_form,
            "map_suggestions": map_form.suggestions(alert.match_value) if map_form else [],
            "siblings": services.siblings(alert).count() if waiting else 0,
        },
    )


@page_view
def unmatched(request):
    """The queue of alerts that matched no item or several, oldest first, each with "map to item"."""
    base = scoping.visible(
        Alert.objects.select_related("integration", "unit").filter(match__in=WAITING), request.user
    )
    filterset = AlertFilter(request.GET, queryset=base.order_by("first_seen_at", "id"), request=request)
    return _listing(
        request,
        base,
        filterset,
        ("status", "integration", "unit"),
        "unmatched-results",
        "alerts/unmatched.html",
        "alerts/partials/unmatched_table.html",
    )


@page_view
@require_POST
def alert_map(request, pk):
    """Map a waiting alert, with its siblings, to the chosen item; back to the queue (or `next`)."""
    alert = _alert(request, pk)
    if not services.may_map(request.user, alert.unit_id):
        raise PermissionDenied
    form = MapForm(request.POST, user=request.user, unit_id=alert.unit_id)
    back = request.POST.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("alerts:unmatched")
    if not form.is_valid():
        messages.error(request, form.errors["item"][0])
        return done(request, reverse("alerts:alert-detail", args=[alert.pk]))
    item = form.cleaned_data["item"]
    try:
        mapped = services.map_alert(alert, item, actor=request.user)
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, reverse("alerts:alert-detail", args=[alert.pk]))
    message = ngettext(
        "Mapped %(count)s alert to %(item)s.", "Mapped %(count)s alerts to %(item)s.", len(mapped)
    ) % {"count": len(mapped), "item": item}
    return done(request, back, message)
