"""Saved filters (issue 25): a person keeps a list's filters and sort under a name. Each belongs to its
owner alone: the list shows only the owner's, and every other lookup of it is a 404."""

from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .errors import DomainError
from .models import SavedFilter

# The lists whose filters can be saved (their URL names).
LISTS = {
    "incidents:incident-list": _lazy("Incidents"),
    "problems:problem-list": _lazy("Problems"),
    "changes:change-list": _lazy("Changes"),
    "audit:event-list": _lazy("Audit log"),
}
MAX_PER_LIST = 50


def owned(user):
    return SavedFilter.objects.filter(owner_id=user.pk)


def clean_query(query: str) -> str:
    """The list's parameters without the page number (a saved filter opens at the first page)."""
    params = QueryDict(query or "", mutable=True)
    params.pop("page", None)
    params.pop("csrfmiddlewaretoken", None)
    return params.urlencode()


@transaction.atomic
def save(*, owner, list_name: str, name: str, query: str) -> SavedFilter:
    """Save (or replace, under the same name) the owner's filters of a list."""
    if list_name not in LISTS:
        raise DomainError(_("Filters of this list cannot be saved."), field="list_name")
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the saved filter a name."), field="name")
    if len(name) > 80:
        raise DomainError(_("A name has at most 80 characters."), field="name")
    query = clean_query(query)
    if len(query) > 2000:
        raise DomainError(_("These filters are too long to save."), field="query")
    mine = owned(owner).select_for_update().filter(list_name=list_name)
    existing = mine.filter(name=name).first()
    if existing is None and mine.count() >= MAX_PER_LIST:
        raise DomainError(
            _("At most %(count)s saved filters per list.") % {"count": MAX_PER_LIST}, field="name"
        )
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    return SavedFilter.objects.create(owner=owner, list_name=list_name, name=name, query=query)


def delete(saved: SavedFilter, *, actor) -> None:
    if saved.owner_id != actor.pk:  # callers find it among the actor's own; this guards the service itself
        raise DomainError(_("Not found."), field="id")
    saved.delete()


def url_of(saved: SavedFilter) -> str:
    return f"{reverse(saved.list_name)}?{saved.query}" if saved.query else reverse(saved.list_name)


def context(request, list_name: str) -> dict:
    """What a list page shows of its saved filters: the reader's own, each with its address."""
    if not request.user.is_authenticated:
        return {}
    mine = list(owned(request.user).filter(list_name=list_name))
    for saved in mine:
        saved.url = url_of(saved)
    return {
        "saved_filters": mine,
        "saved_list": list_name,
        "saved_query": clean_query(request.GET.urlencode()),
    }
