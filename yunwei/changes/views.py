"""Pages of change management (Art. 17–18): thin views over scoped querysets and changes.services.

Every change is looked up through `scoping.visible()` first, so another unit's change is a 404
for every method. The change page shows only the actions the current state and the user allow.
"""

import calendar as pycalendar
import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from yunwei.core import errors, exports, listing, records, saved_filters, scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.listing import Sorting
from yunwei.core.pages import act, bulk_page, done, page_view, paginate
from yunwei.notify.models import Delivery
from yunwei.web import export_jobs

from . import approvals, schedule, services
from . import exports as change_exports
from .choices import ApprovalScope, ChangeKind, State
from .filters import ChangeFilter
from .forms import (
    ChangeForm,
    DecisionForm,
    ExceptionForm,
    FreezeForm,
    RescheduleForm,
    TemplateForm,
    TransitionForm,
)
from .models import Change, ChangeTemplate, FreezePeriod

PAGE_SIZE = 25
RESULTS_ID = "results"


def _change(request, pk) -> Change:
    # A deputy (职务代理) also opens the changes waiting for the approver they stand in for.
    queryset = Change.objects.select_related("unit", "template", "requester")
    return get_object_or_404(approvals.decidable(queryset, request.user), pk=pk)


def _act(request, change, call, message, **form):
    """Run a service call from a page (with `form=`, once the form is valid); a refusal of the flow, or
    what is wrong with the form (`invalid=`), is shown on the change's page."""
    return act(request, reverse("changes:change-detail", args=[change.pk]), call, message, **form)


def _form_error(form, exc: errors.DomainError) -> None:
    field = exc.field.split(".")[0] if exc.field else None
    form.add_error(field if field in form.fields else None, exc.message)


SORTING = Sorting(
    {
        "number": ("id",),
        "state": ("state", "planned_start", "id"),
        "window": ("planned_start", "id"),
        "created": ("created_at", "id"),
    },
    default="-created",
)


def _filtered(request):
    """The list's rows as its filters, search and sort ask (of the changes the user may see), the
    filter form, the search text and the sort; the page, the export and the bulk form share it."""
    user = request.user
    base = approvals.decidable(Change.objects.select_related("unit"), user)
    filterset = ChangeFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, user, dates=("window_after", "window_before"))
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q) | Q(reason__icontains=q) | Q(implementation_plan__icontains=q)
        )
    rows, sort = SORTING.order(rows, request)
    return rows, filterset.form, q, sort


@page_view
def change_list(request):
    user = request.user
    rows, form, q, sort = _filtered(request)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    now = timezone.now()
    context = {
        "page_obj": page_obj,
        "filters": form,
        "q": q,
        "sort": sort,
        "query": query,
        "results_id": RESULTS_ID,
        "overdue_ids": {c.pk for c in page_obj if c.approval_overdue(now)},
        "awaiting_ids": {c.pk for c in page_obj if c.awaiting_approval},
        "can_create": schedule.handleable_units(user).exists(),
        "export_url": reverse("changes:change-export") + "?" + query,
        "bulk": {"actions": BULK_ACTIONS, "people": None}
        if schedule.handleable_units(user).exists()
        else None,
        **saved_filters.context(request, "changes:change-list"),
    }
    partial = request.htmx and request.htmx.target == RESULTS_ID
    return render(
        request, "changes/partials/change_table.html" if partial else "changes/change_list.html", context
    )


def export_source(request) -> exports.ListSource:
    """The filtered list's export (the page's and a background export job's): the same rows as the page."""
    rows, _form, _q, _sort = _filtered(request)
    return exports.ListSource(
        "changes.xlsx",
        change_exports.headers(),
        rows,
        change_exports.rows,
        sheet_name=_("Changes"),
        widths=change_exports.WIDTHS,
    )


@page_view
def change_export(request):
    """The filtered list as an .xlsx workbook, every page of it; a large one is built in the background."""
    return export_jobs.respond(request, "changes", export_source(request))


def _xlsx(rows, filename):
    return exports.xlsx_response(
        filename,
        change_exports.headers(),
        change_exports.rows(rows),
        sheet_name=_("Changes"),
        widths=change_exports.WIDTHS,
    )


BULK_ACTIONS = {"comment": _lazy("Add a comment"), "export": _lazy("Export the selection")}


@require_POST
@page_view
def change_bulk(request):
    """One action on the ticked changes, each through its own service call with its own checks."""
    visible = scoping.visible(Change.objects.select_related("unit"), request.user)
    comment = request.POST.get("comment", "")

    def run(action, ids):
        if action == "export":
            return _xlsx(visible.filter(pk__in=ids).order_by("-created_at", "-id"), "changes-selected.xlsx")
        text = records.comment_text(comment)

        def call(change):
            return services.add_comment(change, actor=request.user, text=text)

        return listing.run_each(visible, ids, call, label=lambda c: f"{c.code} {c.title}")

    return bulk_page(request, actions=BULK_ACTIONS, back_url=reverse("changes:change-list"), run=run)


@page_view
def change_create(request):
    user = request.user
    template = None
    template_id = request.GET.get("template") or request.POST.get("template")
    if template_id:
        if not str(template_id).isdigit():
            raise Http404
        template = get_object_or_404(ChangeTemplate.objects.filter(is_active=True), pk=template_id)
    if not schedule.handleable_units(user).exists():
        raise PermissionDenied(_("You may request changes only of units you look after."))
    initial = {}
    if template is not None:
        initial = {
            "title": template.name,
            "reason": template.description,
            "implementation_plan": template.implementation_plan,
            "test_plan": template.test_plan,
            "rollback_plan": template.rollback_plan,
            "service_impact": template.service_impact,
        }
    form = ChangeForm(request.POST or None, user=user, template=template, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if template is not None:
            data.update(kind=ChangeKind.STANDARD, template=template)
        try:
            change = services.create_change(actor=user, **data)
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            return done(request, reverse("changes:change-detail", args=[change.pk]), _("Change requested."))
    return render(
        request,
        "changes/change_form.html",
        {"form": form, "template": template, "templates": ChangeTemplate.objects.filter(is_active=True)},
    )


@page_view
def change_edit(request, pk):
    change = _change(request, pk)
    if not services.may_handle(request.user, change.unit_id):
        raise PermissionDenied(_("Only the unit's system staff may work on this change."))
    form = ChangeForm(
        request.POST or None, user=request.user, change=change, initial=ChangeForm.initial_from(change)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_change(change, actor=request.user, **form.service_fields())
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            return done(request, reverse("changes:change-detail", args=[change.pk]), _("Change saved."))
    return render(request, "changes/change_form.html", {"form": form, "change": change, "states": State})


def _transition_forms(change, user):
    forms = []
    for target in services.allowed_targets(change, user):
        fields = {"comment", *services.TRANSITION_FIELDS.get(target, ())}
        form = TransitionForm(initial={"to": target})
        withdraw = target == State.DRAFT and change.state in services.WITHDRAWN_FROM
        forms.append(
            {
                "to": target,
                "label": _("Withdraw (back to draft)") if withdraw else State(target).label,
                "back": target in (State.ROLLED_BACK, State.FAILED, State.DRAFT)
                or (change.state == State.SCHEDULED and target == State.APPROVED),
                "fields": [form[name] for name in form.fields if name in fields],
                "hidden": form["to"],
                # A step the rules refuse now is shown disabled, with the reasons.
                "lacking": services.step_refusals(change, target, user),
            }
        )
    return forms


@page_view
def change_detail(request, pk):
    change = _change(request, pk)
    user = request.user
    now = timezone.now()
    # Told from the draft on (Art. 18): the freezes and collisions the window falls into.
    blockers = services.window_conflicts(change, user)
    context = {
        "change": change,
        "states": State,
        "now": now,
        "overdue": change.approval_overdue(now),
        "awaiting": change.awaiting_approval,
        "radius": schedule.radius_summary(change, user),
        "affected": schedule.affected_items(change, user).select_related("type", "unit"),
        "events": change.events.select_related("actor"),
        "approvals": change.approvals.all(),
        "needed": services.needed_approvals(change),
        "pre_approved": services.pre_approved(change),
        "missing": services.missing_roles(change) if change.approval_round else [],
        "transitions": _transition_forms(change, user),
        "decision_form": DecisionForm() if services.may_decide(change, user) else None,
        "awaiting_rollback": change.awaiting_rollback,
        "exception_form": ExceptionForm() if services.exception_failure(change, user) is None else None,
        "schedule_form": DecisionForm(initial={"scope": ApprovalScope.SCHEDULE})
        if services.may_approve_window(change, user, blockers)
        else None,
        "window_requested": services.window_requested(change),
        "blockers": blockers,
        "can_edit": services.may_edit(change, user),
        "reschedule_form": RescheduleForm(
            initial={"planned_start": change.planned_start, "planned_end": change.planned_end}
        )
        if services.may_reschedule(change, user)
        else None,
        "can_apply": services.may_apply_inventory(change, user),
        "windows": change.windows.select_related("item")[:50],
        "deliveries": Delivery.objects.select_related("channel", "digest", "user__person")
        .filter(event_key__startswith=f"change:{change.pk}:")
        .order_by("pk")[:50],
    }
    # Panels of the apps built on changes, named in settings so that this app does not depend on them.
    context["panels"] = settings.CHANGE_PAGE_PANELS
    return render(request, "changes/change_detail.html", context)


@require_POST
@page_view
def change_transition(request, pk):
    change = _change(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the fields of the step."))
        return done(request, reverse("changes:change-detail", args=[change.pk]))
    to, comment = form.cleaned_data["to"], form.cleaned_data["comment"]
    fields = {name: form.cleaned_data[name] for name in services.TRANSITION_FIELDS.get(to, ())}
    return _act(
        request,
        change,
        lambda: services.transition(change, to=to, actor=request.user, comment=comment, **fields),
        _("Moved to “%(state)s”.") % {"state": State(to).label if to in State.values else to},
    )


@require_POST
@page_view
def change_decide(request, pk):
    change = _change(request, pk)
    form = DecisionForm(request.POST)
    return _act(
        request,
        change,
        lambda: services.decide(change, actor=request.user, **form.cleaned_data),
        _("Decision recorded."),
        form=form,
        invalid=_("Choose a decision."),
    )


@require_POST
@page_view
def change_exception(request, pk):
    change = _change(request, pk)
    form = ExceptionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _act(
        request,
        change,
        lambda: services.record_exception(change, actor=request.user, comment=comment),
        _("Exception recorded."),
    )


@require_POST
@page_view
def change_reschedule(request, pk):
    change = _change(request, pk)
    form = RescheduleForm(request.POST)
    return _act(
        request,
        change,
        lambda: services.reschedule(change, actor=request.user, **form.cleaned_data),
        _("Rescheduled."),
        form=form,
        invalid=_("Give the new window's start and end."),
    )


@require_POST
@page_view
def change_apply_inventory(request, pk):
    change = _change(request, pk)
    return _act(
        request,
        change,
        lambda: services.apply_inventory(change, actor=request.user),
        _("The inventory is updated."),
    )


# -- calendar -------------------------------------------------------------------------------------


def _day(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@page_view
def calendar_view(request):
    """Month or week grid of scheduled and implementing changes, collisions and freezes highlighted."""
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _day(request.GET.get("date"))
    if view == "month":
        first = day.replace(day=1)
        grid_start = first - datetime.timedelta(days=first.weekday())
        last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
        grid_end = last + datetime.timedelta(days=7 - last.weekday())
        prev_day = (first - datetime.timedelta(days=1)).replace(day=1)
        next_day = last + datetime.timedelta(days=1)
    else:
        grid_start = day - datetime.timedelta(days=day.weekday())
        grid_end = grid_start + datetime.timedelta(days=7)
        prev_day, next_day = grid_start - datetime.timedelta(days=7), grid_end
    data = schedule.calendar(request.user, _aware(grid_start), _aware(grid_end))
    today = timezone.localdate()
    days = []
    current = grid_start
    while current < grid_end:
        start, end = _aware(current), _aware(current + datetime.timedelta(days=1))
        days.append(
            {
                "date": current,
                "in_month": view == "week" or current.month == day.month,
                "today": current == today,
                "changes": [
                    {"change": c, "collides": bool(data["collisions"][c.pk])}
                    for c in data["changes"]
                    if c.planned_start < end and c.planned_end > start
                ],
                "freezes": [f for f in data["freezes"] if f.starts_at < end and f.ends_at > start],
            }
        )
        current += datetime.timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    context = {
        "view": view,
        "date": day,
        "weeks": weeks,
        "prev": prev_day.isoformat(),
        "next": next_day.isoformat(),
        "today": today.isoformat(),
        "freezes": data["freezes"],
        "collision_count": sum(1 for ids in data["collisions"].values() if ids),
    }
    return render(request, "changes/calendar.html", context)


# -- templates and freeze periods -----------------------------------------------------------------


def _catalogue_page(request, model, form_class, template_name, instance=None, rows=None):
    admin = scoping.access_of(request.user).is_group_admin
    form = None
    if admin:
        form = form_class(request.POST or None, instance=instance)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if instance is None:
                    services.create(model, actor=request.user, **data)
                else:
                    services.update(instance, actor=request.user, **data)
            except errors.PermissionDenied:
                raise
            except errors.DomainError as exc:
                _form_error(form, exc)
            else:
                return done(request, request.path, _("Saved."))
    elif request.method == "POST":
        raise PermissionDenied(_("Only a group system admin may manage templates and freeze periods."))
    return render(request, template_name, {"rows": rows, "form": form, "instance": instance, "admin": admin})


@page_view
def template_list(request):
    return _catalogue_page(
        request, ChangeTemplate, TemplateForm, "changes/template_list.html", rows=ChangeTemplate.objects.all()
    )


@page_view
def template_edit(request, pk):
    instance = get_object_or_404(ChangeTemplate, pk=pk)
    return _catalogue_page(
        request, ChangeTemplate, TemplateForm, "changes/template_list.html", instance=instance
    )


@page_view
def freeze_list(request):
    rows = schedule.visible_freezes(FreezePeriod.objects.prefetch_related("units"), request.user)
    return _catalogue_page(request, FreezePeriod, FreezeForm, "changes/freeze_list.html", rows=rows)


@page_view
def freeze_edit(request, pk):
    instance = get_object_or_404(schedule.visible_freezes(FreezePeriod.objects.all(), request.user), pk=pk)
    return _catalogue_page(request, FreezePeriod, FreezeForm, "changes/freeze_list.html", instance=instance)
