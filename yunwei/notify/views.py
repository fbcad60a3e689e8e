"""Pages of notify (Art. 13): channels with a test button, deliveries (failed ones sent again), preferences.

Querysets start from `scoping.visible()`, so another unit's channel is a 404 here as in the API;
services decide and write, and their refusals come back as form errors or 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.pages import act, done, form_call, form_page, page_view, paginate

from . import services
from .choices import DeliveryState
from .filters import ChannelFilter, DeliveryFilter
from .forms import AllowedAddressForm, ChannelForm, PreferenceForm
from .models import AllowedAddress, Channel, Delivery

PAGE_SIZE = 25


def _channel(request, pk) -> Channel:
    return get_object_or_404(scoping.visible(Channel.objects.all(), request.user), pk=pk)


def _may_manage(user, channel) -> bool:
    return scoping.access_of(user).can_manage_unit(channel.unit_id)


def _with_retry(user, rows):
    """Mark the rows whose failure `user` may send again: a failed one, or a merged one whose digest failed.

    `retry_id` is the delivery the button sends again (the digest for a merged one).
    """
    access = scoping.access_of(user)
    for row in rows:
        failed = row if row.state == DeliveryState.FAILED else row.failed_digest
        row.retry_id = failed.pk if failed is not None and access.can_manage_unit(row.unit_id) else None
    return rows


@page_view
def channel_list(request):
    filterset = ChannelFilter(request.GET, queryset=scoping.visible(Channel.objects.all(), request.user))
    rows = filterset.qs
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    access = scoping.access_of(request.user)
    return render(
        request,
        "notify/channel_list.html",
        {
            "page_obj": page_obj,
            "query": query,
            "q": q,
            "can_create": access.is_group_admin or access.is_unit_admin,
        },
    )


@page_view
def channel_detail(request, pk):
    channel = _channel(request, pk)
    if request.method != "GET":
        return redirect("notify:channel-detail", pk)
    deliveries = scoping.visible(
        Delivery.objects.filter(channel=channel).select_related("digest", "notice", "user__person"),
        request.user,
    )[:20]
    return render(
        request,
        "notify/channel_detail.html",
        {
            "channel": channel,
            "target": services.mask_target(channel.kind, channel.target),
            "deliveries": _with_retry(request.user, list(deliveries)),
            "can_manage": _may_manage(request.user, channel),
        },
    )


def _channel_url(channel) -> str:
    return reverse("notify:channel-detail", args=[channel.pk])


@page_view
def channel_create(request):
    access = scoping.access_of(request.user)
    if not (access.is_group_admin or access.is_unit_admin):
        raise PermissionDenied
    form = ChannelForm(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create(Channel, actor=request.user, **form.service_fields()),
        title=_("New channel"),
        cancel_url=reverse("notify:channel-list"),
        after=_channel_url,
    )


@page_view
def channel_edit(request, pk):
    channel = _channel(request, pk)
    if not _may_manage(request.user, channel):
        raise PermissionDenied
    form = ChannelForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=channel
    )

    def call():
        return services.update(
            channel, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": channel},
        cancel_url=_channel_url(channel),
        after=_channel_url,
    )


@page_view
@require_POST
def channel_delete(request, pk):
    channel = _channel(request, pk)
    services.delete(channel, actor=request.user)
    return done(request, reverse("notify:channel-list"), _("Deleted “%(name)s”.") % {"name": channel})


@page_view
@require_POST
def channel_test(request, pk):
    """The test button (htmx): sends now and shows only OK or why it failed."""
    channel = _channel(request, pk)
    ok, reason = services.test_channel(channel, actor=request.user)
    return render(request, "notify/partials/test_result.html", {"ok": ok, "reason": reason})


@page_view
def allow_list(request):
    """The group's allow-list of internal addresses (group system admins): list, add."""
    if not scoping.access_of(request.user).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may do this."))
    form = AllowedAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed = form_call(form, lambda: services.allow_address(actor=request.user, **form.cleaned_data))
        if allowed is not None:
            message = _("Allowed “%(value)s”.") % {"value": allowed}
            return done(request, reverse("notify:allow-list"), message)
    return render(
        request, "notify/allow_list.html", {"form": form, "addresses": AllowedAddress.objects.all()}
    )


@page_view
@require_POST
def allow_list_remove(request, pk):
    allowed = get_object_or_404(AllowedAddress, pk=pk)
    services.disallow_address(allowed, actor=request.user)
    return done(request, reverse("notify:allow-list"), _("Removed “%(value)s”.") % {"value": allowed})


@page_view
def delivery_list(request):
    visible = scoping.visible(
        Delivery.objects.select_related("notice", "channel", "digest", "user__person"), request.user
    )
    filterset = DeliveryFilter(request.GET, queryset=visible)
    rows = filterset.qs
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(event_key__icontains=q) | Q(recipient__icontains=q))
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    _with_retry(request.user, page_obj)
    template = "notify/partials/delivery_table.html" if request.htmx else "notify/delivery_list.html"
    return render(
        request,
        template,
        {"page_obj": page_obj, "query": query, "q": q, "filters": filterset.form},
    )


@page_view
@require_POST
def delivery_retry(request, pk):
    """The "Send again" button of a failed delivery; the reason when it cannot be."""
    delivery = get_object_or_404(scoping.visible(Delivery.objects.all(), request.user), pk=pk)
    return act(
        request,
        reverse("notify:delivery-list"),
        lambda: services.retry_delivery(delivery, actor=request.user),
        _("The delivery will be sent again."),
    )


@page_view
def preferences(request):
    preference = services.preference_of(request.user)
    form = PreferenceForm(
        request.POST if request.method == "POST" else None, user=request.user, preference=preference
    )
    if request.method == "POST" and form.is_valid():
        saved = form_call(form, lambda: services.set_preferences(request.user, **form.cleaned_data))
        if saved is not None:
            return done(request, reverse("notify:preferences"), _("Your notification preferences are saved."))
    return render(request, "notify/preferences.html", {"form": form})
