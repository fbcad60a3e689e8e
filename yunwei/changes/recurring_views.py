"""Pages of recurring maintenance windows, under /changes/recurring-windows/."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import scoping
from yunwei.core.pages import act, done, form_call, page_view
from yunwei.org.models import Unit

from . import recurring, schedule
from .forms import WEEKDAYS, RecurringWindowForm
from .models import RecurringWindow

DAY_NAMES = dict(WEEKDAYS)
NEXT_SHOWN = 3


def _rows(user):
    return scoping.visible(RecurringWindow.objects.select_related("unit").prefetch_related("items"), user)


def _page(request, form, instance=None):
    rows = list(_rows(request.user).order_by("unit__name", "name", "pk")) if instance is None else None
    now = timezone.now()
    for row in rows or []:
        row.day_names = [DAY_NAMES[day] for day in row.weekdays if day in DAY_NAMES]
        # The occurrence open now, if any, and the next ones, in the window's own time zone (written
        # out here: the template's date filter would show them in the reader's).
        row.upcoming = [
            {
                "start": start.strftime("%Y-%m-%d %H:%M"),
                "end": end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"),
                "open": start <= now < end,
            }
            for start, end in schedule.next_occurrences(row, now, NEXT_SHOWN)
        ]
    context = {"rows": rows, "form": form, "instance": instance}
    return render(request, "changes/recurring_windows.html", context)


@page_view
def recurring_list(request):
    may_declare = bool(scoping.writable(Unit.objects.all(), request.user).exists())
    form = RecurringWindowForm(request.POST or None, user=request.user) if may_declare else None
    if request.method == "POST":
        if form is None:
            recurring.require_manager(request.user, None)  # manages no unit: refused
        if form.is_valid():
            data = dict(form.cleaned_data)
            unit = data.pop("unit")
            call = lambda: recurring.create(RecurringWindow, actor=request.user, unit=unit, **data)  # noqa: E731
            if form_call(form, call) is not None:
                return done(request, request.path, _("Saved."))
    return _page(request, form)


@page_view
def recurring_edit(request, pk):
    instance = get_object_or_404(_rows(request.user), pk=pk)
    if not recurring.may_manage(request.user, instance.unit_id):
        if request.method == "POST":
            recurring.require_manager(request.user, instance.unit_id)
        return _page(request, None, instance)
    form = RecurringWindowForm(request.POST or None, user=request.user, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "unit"}
        call = lambda: recurring.update(instance, actor=request.user, **data)  # noqa: E731
        if form_call(form, call) is not None:
            return done(request, reverse("changes:recurring-list"), _("Saved."))
    return _page(request, form, instance)


@require_POST
@page_view
def recurring_delete(request, pk):
    instance = get_object_or_404(_rows(request.user), pk=pk)
    url = reverse("changes:recurring-list")
    return act(request, url, lambda: recurring.delete(instance, actor=request.user), _("Deleted."))
