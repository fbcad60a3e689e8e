"""Pages of saved filters: save a list's filters under a name, delete one. Each person's own: another
person's saved filter is a 404, like a record of another unit."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import errors, saved_filters
from yunwei.core.pages import page_view


@require_POST
@page_view
def save(request):
    list_name = request.POST.get("list_name", "")
    try:
        saved = saved_filters.save(
            owner=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except errors.DomainError as exc:
        if exc.field == "list_name":
            return HttpResponseBadRequest(f"{exc.field}: {exc.message}")
        messages.error(request, _("%(field)s: %(error)s") % {"field": _("Name"), "error": exc.message})
        return redirect(reverse(list_name))
    messages.success(request, _("Filters saved as “%(name)s”.") % {"name": saved.name})
    return redirect(saved_filters.url_of(saved))


@require_POST
@page_view
def delete(request, pk):
    saved = get_object_or_404(saved_filters.owned(request.user), pk=pk)
    list_name = saved.list_name
    saved_filters.delete(saved, actor=request.user)
    messages.success(request, _("Saved filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect(reverse(list_name))
