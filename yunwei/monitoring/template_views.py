"""Pages of check templates (Art. 3): the list, a template with its checks and the items of its type still
without one (and why applying would skip them), its form, and "apply to every item of the type".

Querysets start from `scoping.visible()`, so another unit's template is a 404 here as in the API; the
services decide and write, and their refusals come back as form errors, messages or 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from yunwei.core import errors, scoping
from yunwei.core.pages import act, done, form_page, page_view, paginate

from . import services
from .models import CheckTemplate
from .template_forms import CheckTemplateForm, template_units

PAGE_SIZE = 25
CHECKS_PAGE_SIZE = 50
MISSING_SHOWN = 50
SKIPPED_TOLD = 20
FORM_TEMPLATE = "monitoring/checktemplate_form.html"


def _template(request, pk) -> CheckTemplate:
    return get_object_or_404(
        scoping.visible(CheckTemplate.objects.select_related("unit", "item_type"), request.user), pk=pk
    )


def _detail_url(template) -> str:
    return reverse("monitoring:checktemplate-detail", args=[template.pk])


@page_view
def checktemplate_list(request):
    rows = scoping.visible(
        CheckTemplate.objects.select_related("unit", "item_type").annotate(check_count=Count("checks")),
        request.user,
    )
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    page_obj, query = paginate(request, rows.order_by("unit__code", "name"), PAGE_SIZE)
    return render(
        request,
        "monitoring/checktemplate_list.html",
        {"page_obj": page_obj, "query": query, "q": q, "can_create": template_units(request.user).exists()},
    )


@page_view
def checktemplate_detail(request, pk):
    template = _template(request, pk)
    if request.method != "GET":
        return redirect(_detail_url(template))
    checks, query = paginate(
        request,
        template.checks.select_related("unit", "item").order_by("unit__code", "name"),
        CHECKS_PAGE_SIZE,
    )
    missing_count, missing = services.missing_with_reasons(template, MISSING_SHOWN)
    return render(
        request,
        "monitoring/checktemplate_detail.html",
        {
            "template": template,
            "page_obj": checks,
            "query": query,
            "missing_count": missing_count,
            "missing": missing,
            "can_manage": services.may_manage_template(request.user, template.unit),
        },
    )


@page_view
def checktemplate_create(request):
    if not template_units(request.user).exists():
        raise PermissionDenied
    form = CheckTemplateForm(request.POST if request.method == "POST" else None, user=request.user)
    return form_page(
        request,
        form,
        lambda: services.create_template(actor=request.user, **form.service_fields()),
        title=_("New check template"),
        cancel_url=reverse("monitoring:checktemplate-list"),
        after=_detail_url,
        template=FORM_TEMPLATE,
    )


@page_view
def checktemplate_edit(request, pk):
    template = _template(request, pk)
    services.require_manage_template(request.user, template.unit)
    form = CheckTemplateForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=_template(request, pk)
    )

    def call():
        return services.update_template(
            template, actor=request.user, expected_version=form.expected_version, **form.service_fields()
        )

    return form_page(
        request,
        form,
        call,
        title=_("Edit “%(name)s”") % {"name": template},
        cancel_url=_detail_url(template),
        after=_detail_url,
        template=FORM_TEMPLATE,
    )


@page_view
@require_POST
def checktemplate_delete(request, pk):
    template = _template(request, pk)
    return act(
        request,
        reverse("monitoring:checktemplate-list"),
        lambda: services.delete_template(template, actor=request.user),
        _("Deleted “%(name)s”; its checks stay, as checks of their own.") % {"name": template},
        fail_url=_detail_url(template),
    )


@page_view
@require_POST
def checktemplate_apply(request, pk):
    """Apply the template to every item of its type in scope: the page tells what was created, what was
    brought up to date and which items were skipped, each with its reason."""
    template = _template(request, pk)
    try:
        applied = services.apply_template(template, actor=request.user)
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, _detail_url(template))
    created, updated, skipped = len(applied.created), len(applied.updated), len(applied.skipped)
    told = [
        ngettext("%(count)s check created", "%(count)s checks created", created) % {"count": created},
        ngettext("%(count)s brought up to date", "%(count)s brought up to date", updated)
        % {"count": updated},
        ngettext("%(count)s item skipped", "%(count)s items skipped", skipped) % {"count": skipped},
    ]
    message = _("Applied “%(name)s”: %(what)s.") % {
        "name": template,
        "what": pgettext("list separator", ", ").join(told),
    }
    if skipped:
        reasons = [f"{skip.item.code}: {skip.why}" for skip in applied.skipped[:SKIPPED_TOLD]]
        if skipped > SKIPPED_TOLD:
            reasons.append(_("and %(count)s more (listed below)") % {"count": skipped - SKIPPED_TOLD})
        messages.warning(request, _("Skipped: %(items)s") % {"items": "; ".join(reasons)})
    return done(request, _detail_url(template), message)
