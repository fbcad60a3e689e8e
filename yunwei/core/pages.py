"""What every app's pages share: log-in and the service's refusals as 403, the answer after a POST, a
service call made from a page (a button's, or a form's), and the page of a record form."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseLocation

from . import errors, listing


def page_view(view):
    """Log-in required; a service's refusal of who acts (core PermissionDenied) answers 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None

    return login_required(wrapper)


def done(request, url, message=None):
    """After a successful POST: a message, then the page (HX-Location for htmx requests)."""
    if message:
        messages.success(request, message)
    return HttpResponseLocation(url) if request.htmx else redirect(url)


def act(request, url, call, message, *, form=None, invalid="", fail_url=None):
    """A one-action POST (a button): run a service call, then show `url` with `message`, or show
    `fail_url` (by default `url`) with the reason the flow refused it. A refusal of who acts still
    answers 403.

    With `form`, the call runs only when the form is valid; otherwise `url` shows `invalid` (a text, or
    a function of the form that names what is wrong)."""
    if form is not None and not form.is_valid():
        messages.error(request, invalid(form) if callable(invalid) else invalid)
        return done(request, url)
    try:
        call()
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, fail_url or url)
    return done(request, url, message)


def form_call(form, call, field_for=None):
    """Run a service call for a valid form and return its result; None when the service refused.

    The refusal becomes an error on the field it names, translated by `field_for` (by default the
    form's own `field_for()`, where it has one: a service's `attributes.ports` is the form's
    `attr_ports`), and that field is marked invalid; on the whole form when it names no field of the
    form, or a hidden one: a stale version is about the whole form, not the field carrying it. A
    refusal of who acts still answers 403."""
    try:
        return call()
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        field_for = field_for or getattr(form, "field_for", None)
        name = field_for(exc.field) if field_for else exc.field
        field = form.fields.get(name)
        named = field is not None and not field.widget.is_hidden
        form.add_error(name if named else None, exc.message)
        if named:
            field.widget.attrs["class"] = field.widget.attrs.get("class", "") + " is-invalid"
        return None


def form_page(
    request, form, call, *, title, cancel_url, after, template="web/form.html", formset=None, **context
):
    """The page of a record form (NetBox's ObjectEditView): a valid POST (form and `formset`) runs
    `call` through `form_call()` and goes to `after(record)` with "Saved …"; a GET, an invalid form or
    a refusal shows `template` with the form, its errors, `title`, `cancel_url` and `context`."""
    valid = request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid())
    if valid:
        record = form_call(form, call)
        if record is not None:
            return done(request, after(record), _("Saved “%(name)s”.") % {"name": record})
    if formset is not None:
        context["formset"] = formset
    return render(request, template, {"form": form, "title": title, "cancel_url": cancel_url, **context})


# A list counts and pages through at most this many rows (issue 27): COUNT(*) and OFFSET read every row
# they pass, which at a million incidents costs a second or more a page; narrowing the filters (a unit, a
# state, a period) or sorting the other way reaches every record.
MAX_ROWS = 10_000


class BoundedPaginator(Paginator):
    """A paginator that counts at most `bound` + 1 rows and offers the pages of the first `bound`: the
    page says "more than `bound` records" (`capped`) instead of the exact number."""

    def __init__(self, object_list, per_page, bound: int):
        super().__init__(object_list, per_page)
        self.bound = bound

    @cached_property
    def seen(self) -> int:
        """The rows counted, at most `bound` + 1: a LIMIT in a subquery, so the count stops there."""
        rows = self.object_list
        if isinstance(rows, QuerySet):
            return rows.order_by()[: self.bound + 1].count()
        return min(len(rows), self.bound + 1)

    @property
    def capped(self) -> bool:
        return self.seen > self.bound

    @cached_property
    def count(self) -> int:
        return min(self.seen, self.bound)


def paginate(request, rows, size: int, *, bound: int | None = None):
    """The page of `rows` the request asks for, and the request's other parameters as a query string
    for the page links. At most `bound` rows are counted and paged (BoundedPaginator); a page asked
    beyond them shows the last one offered, marked `too_deep` so the page can say why."""
    query = request.GET.copy()
    query.pop("page", None)
    paginator = BoundedPaginator(rows, size, bound or MAX_ROWS)
    asked = request.GET.get("page", "")
    page = paginator.get_page(asked)
    page.too_deep = asked.isdigit() and int(asked) > paginator.num_pages and paginator.capped
    return page, query.urlencode()


def bulk_page(request, *, actions: dict, back_url: str, run):
    """A bulk form's POST: `run(action, ids)` acts on the ticked records and answers a BulkOutcome (the
    result page lists what was done and each refusal with its reason) or a response of its own (an
    export). Bad input (no action, no selection, a missing field) answers 400 naming the field."""
    action = request.POST.get("action", "")
    try:
        if action not in actions:
            raise errors.DomainError(_("Choose an action."), field="action")
        result = run(action, listing.selected_ids(request))
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        context = {"error": exc, "action": actions.get(action, ""), "back_url": back_url}
        return render(request, "core/bulk_result.html", context, status=400)
    if not isinstance(result, listing.BulkOutcome):
        return result
    context = {"outcome": result, "action": actions[action], "back_url": back_url}
    return render(request, "core/bulk_result.html", context)
