"""Pages of the problem database (Art. 14–16) and the problem-tracking log (Art. 5): thin views over
scoped querysets and problems.services.

Every problem is looked up through `scoping.visible()` first, so another unit's problem is a 404 for
every method. The problem page shows only the actions the current state and the reader allow.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
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
from yunwei.incidents.models import Incident
from yunwei.org.models import Person
from yunwei.web import export_jobs

from . import closing, services, tracking
from . import exports as problem_exports
from .choices import State
from .filters import ProblemFilter
from .forms import (
    CloseIncidentForm,
    LinkForm,
    ProblemForm,
    PublishForm,
    StepForm,
    TransitionForm,
    incident_initial,
)
from .models import Problem

PAGE_SIZE = 25
RESULTS_ID = "results"
LIST_FILTERS = ("state", "nature", "priority", "owner", "unit", "overdue")


def _problem(request, pk) -> Problem:
    queryset = Problem.objects.select_related(
        "unit", "owner", "source_incident", "registered_by", "verified_by"
    )
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


def _detail_url(problem) -> str:
    return reverse("problems:problem-detail", args=[problem.pk])


def _act(request, problem, call, message, **form):
    """Run a service call from a page (with `form=`, once the form is valid); a refusal of the flow, or
    what is wrong with the form (`invalid=`), is shown on the problem's page."""
    return act(request, _detail_url(problem), call, message, **form)


def _search(rows, q: str):
    if not q:
        return rows
    condition = Q(title__icontains=q) | Q(description__icontains=q) | Q(workaround__icontains=q)
    condition |= Q(solution_summary__icontains=q) | Q(proposed_solution__icontains=q)
    if q.upper().startswith("PRB") and q[3:].isdigit():
        condition |= Q(pk=int(q[3:]))
    return rows.filter(condition)


SORTING = Sorting(
    {
        "number": ("id",),
        "state": ("state", "deadline", "id"),
        "deadline": ("deadline", "id"),
        "registered": ("registered_at", "id"),
        "archived": ("archived_at", "id"),
    },
    default="-registered",
)
ARCHIVE_SORTING = Sorting(SORTING.columns, default="-archived")


def _filtered(request, *, archive: bool):
    """The list's rows as its filters, search and sort ask (of the problems the user may see), the shown
    filter fields and the sort; the page, the export and the bulk form share it."""
    user = request.user
    base = scoping.visible(Problem.objects.select_related("unit", "owner"), user)
    params = request.GET.copy()
    params["archived"] = "true" if archive else "false"
    filterset = ProblemFilter(params, queryset=base, request=request)
    shown = () if archive else LIST_FILTERS
    prepare_filter_form(filterset.form, user)
    for name, field in filterset.form.fields.items():
        if name not in shown:
            field.widget = field.hidden_widget()
    if not archive:
        # The active list has no archived problems ("All" stays first: it is the field's empty label).
        filterset.form.fields["state"].choices = [(s.value, s.label) for s in State if s != State.ARCHIVED]
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    rows, sort = (ARCHIVE_SORTING if archive else SORTING).order(_search(rows, q), request)
    return rows, [filterset.form[name] for name in shown], q, sort


def _listing(request, *, archive: bool):
    user = request.user
    rows, filters, q, sort = _filtered(request, archive=archive)
    page_obj, query = paginate(request, rows, PAGE_SIZE)
    export = reverse("problems:problem-export") + "?" + query + ("&archive=true" if archive else "")
    context = {
        "page_obj": page_obj,
        "filters": filters,
        "q": q,
        "sort": sort,
        "query": query,
        "results_id": RESULTS_ID,
        "archive": archive,
        # Of the shown rows only: asked of the whole list it reads every overdue problem (issue 27).
        "overdue_ids": set(
            rows.filter(services.overdue_q(timezone.now()), pk__in=[p.pk for p in page_obj]).values_list(
                "pk", flat=True
            )
        ),
        "can_register": handled_units_exist(user),
        "export_url": export,
        "bulk": None if archive else _bulk_context(request),
        **({} if archive else saved_filters.context(request, "problems:problem-list")),
    }
    partial = request.htmx and request.htmx.target == RESULTS_ID
    template = "problems/partials/problem_table.html" if partial else "problems/problem_list.html"
    return render(request, template, context)


def export_source(request) -> exports.ListSource:
    """The filtered list's export (the page's and a background export job's): the same rows as the page."""
    rows, _filters, _q, _sort = _filtered(request, archive=request.GET.get("archive") == "true")
    return exports.ListSource(
        "problems.xlsx",
        problem_exports.headers(),
        rows,
        problem_exports.rows,
        sheet_name=_("Problems"),
        widths=problem_exports.WIDTHS,
    )


@page_view
def problem_export(request):
    """The filtered list (or the archive's, with archive=true) as an .xlsx workbook, every page of it; a
    large one is built in the background."""
    return export_jobs.respond(request, "problems", export_source(request))


def _xlsx(rows, filename):
    return exports.xlsx_response(
        filename,
        problem_exports.headers(),
        problem_exports.rows(rows),
        sheet_name=_("Problems"),
        widths=problem_exports.WIDTHS,
    )


BULK_ACTIONS = {
    "assign": _lazy("Assign an owner"),
    "comment": _lazy("Add a comment"),
    "export": _lazy("Export the selection"),
}


def _bulk_context(request) -> dict | None:
    """The bulk form's choices, for those who work on problems: whom to make the owner."""
    if not handled_units_exist(request.user):
        return None
    people = scoping.visible(Person.objects.filter(is_active=True), request.user)
    return {
        "actions": BULK_ACTIONS,
        "people": people.select_related("unit").order_by("unit__code", "name")[:300],
    }


@require_POST
@page_view
def problem_bulk(request):
    """One action on the ticked problems, each through its own service call with its own checks (a new
    owner goes through `update_details`, which keeps a classified problem's owner to a group admin)."""
    visible = scoping.visible(Problem.objects.select_related("unit", "owner"), request.user)
    comment = request.POST.get("comment", "")

    def run(action, ids):
        if action == "export":
            return _xlsx(
                visible.filter(pk__in=ids).order_by("-registered_at", "-id"), "problems-selected.xlsx"
            )
        if action == "comment":
            text = records.comment_text(comment)

            def call(problem):
                return services.add_comment(problem, actor=request.user, text=text)
        else:
            value = request.POST.get("assignee", "")
            people = scoping.visible(Person.objects.filter(is_active=True), request.user)
            owner = people.filter(pk=int(value)).first() if value.isdigit() and len(value) < 19 else None
            if owner is None:
                raise errors.DomainError(_("Choose whom to make the owner."), field="assignee")

            def call(problem):
                return services.update_details(problem, actor=request.user, owner=owner)

        return listing.run_each(visible, ids, call, label=lambda p: f"{p.code} {p.title}")

    return bulk_page(request, actions=BULK_ACTIONS, back_url=reverse("problems:problem-list"), run=run)


def handled_units_exist(user) -> bool:
    access = scoping.access_of(user)
    return bool(
        access.is_group_admin or access.is_group_staff or access.admin_unit_ids or access.staff_unit_ids
    )


@page_view
def problem_list(request):
    return _listing(request, archive=False)


@page_view
def archive(request):
    return _listing(request, archive=True)


@page_view
def problem_create(request):
    incident = None
    incident_id = request.GET.get("incident") or request.POST.get("source_incident")
    if incident_id:
        incident = get_object_or_404(
            scoping.visible(Incident.objects.select_related("unit"), request.user),
            pk=incident_id if str(incident_id).isdigit() else 0,
        )
    initial = incident_initial(incident) if incident is not None else {}
    form = ProblemForm(request.POST or None, user=request.user, incident=incident, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        steps = data.pop("steps", [])
        try:
            problem = services.register(
                actor=request.user,
                source_incident=incident,
                steps=steps,
                **{k: v for k, v in data.items() if v not in (None, "") or k in ("unit", "title")},
            )
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return done(
                request, _detail_url(problem), _("The problem is registered in the problem database.")
            )
    return render(request, "problems/problem_form.html", {"form": form, "incident": incident})


@page_view
def problem_edit(request, pk):
    problem = _problem(request, pk)
    services.require_staff_or_owner(request.user, problem)
    form = ProblemForm(
        request.POST or None,
        user=request.user,
        instance=problem,
        initial={"collaborators": list(problem.collaborators.values_list("pk", flat=True))},
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS
        }
        problem.refresh_from_db()  # the form wrote the new values onto the instance; the service compares
        try:
            if fields:
                services.update_details(problem, actor=request.user, **fields)
        except errors.PermissionDenied as exc:
            form.add_error(None, exc.message)
        except errors.DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return done(request, _detail_url(problem), _("Saved."))
    return render(request, "problems/problem_form.html", {"form": form, "problem": problem})


TRANSITION_FORM_FIELDS = {
    State.CLASSIFIED: (
        "category",
        "nature",
        "priority",
        "owner",
        "collaborators",
        "proposed_solution",
        "deadline",
        "comment",
    ),
    State.IN_PROGRESS: ("comment",),
    State.SOLVED: ("solution_summary", "comment"),
    State.ARCHIVED: ("comment",),
}


def _transition_forms(problem, user, *, involved: bool):
    """A form for each step the reader may take; for a reader who works on the problem, each step they
    may not take is shown too, disabled, with the service's reason (who takes it, and under which rule)."""
    forms = []
    for target, refusal in services.transition_options(problem, user):
        action = {
            "to": target,
            "label": State(target).label,
            "back": problem.state == State.SOLVED and target == State.IN_PROGRESS,
            "verify": target == State.ARCHIVED,
        }
        if refusal is not None:
            if involved:
                forms.append({**action, "refusal": refusal})
            continue
        form = TransitionForm(
            problem=problem,
            user=user,
            initial={
                "category": problem.category,
                "nature": problem.nature,
                "priority": problem.priority,
                "owner": problem.owner_id,
                "collaborators": list(problem.collaborators.values_list("pk", flat=True)),
                "proposed_solution": problem.proposed_solution,
                "deadline": problem.deadline,
                "solution_summary": problem.solution_summary,
            },
            prefix=target,
        )
        fields = TRANSITION_FORM_FIELDS[target] if not action["back"] else ("comment",)
        forms.append(
            {
                **action,
                "fields": [form[name] for name in fields],
                "prefix": target,
                "lacking": [
                    reason
                    for reason, _field in services.requirement_failures(problem, target)
                    if target != State.CLASSIFIED  # the classification form itself supplies its fields
                ],
            }
        )
    return forms


@page_view
def problem_detail(request, pk):
    problem = _problem(request, pk)
    user = request.user
    may_edit = services.may_edit(problem, user)
    steps = list(problem.steps.select_related("done_by"))
    link_form = LinkForm(problem=problem, user=user) if may_edit else None
    context = {
        "problem": problem,
        "events": problem.events.select_related("actor"),
        "steps": steps,
        "collaborators": problem.collaborators.select_related("unit"),
        "items": problem.affected_items.all(),
        "incidents": scoping.visible(problem.incidents.all(), user),
        "transitions": _transition_forms(problem, user, involved=services.is_staff_or_owner(user, problem)),
        "may_edit": may_edit,
        "may_tick": services.may_tick(problem, user),
        "step_form": StepForm() if services.may_add_step(problem, user) else None,
        "link_form": link_form,
        "link_suggestions": link_form.recent() if link_form else [],
        "publish_form": PublishForm(initial={"workaround": problem.workaround}) if may_edit else None,
        "overdue": services.is_overdue(problem),
        "gaps": services.classification_gaps(problem) if problem.state == State.REGISTERED else [],
    }
    return render(request, "problems/problem_detail.html", context)


@require_POST
@page_view
def problem_transition(request, pk):
    problem = _problem(request, pk)
    to = request.POST.get("to", "")
    prefix = to if to in State.values else None
    form = TransitionForm(request.POST, problem=problem, user=request.user, prefix=prefix)
    if prefix is None or not form.is_valid():
        messages.error(request, _("Check the fields of the step."))
        return done(request, _detail_url(problem))
    sent = {name for name in form.fields if form.add_prefix(name) in request.POST}
    data = {k: v for k, v in form.cleaned_data.items() if k in sent}
    comment = data.pop("comment", "")
    allowed = services.TRANSITION_FIELDS.get(to, ())
    data = {k: v for k, v in data.items() if k in allowed and v not in ("", None)}
    return _act(
        request,
        problem,
        lambda: services.transition(problem, to=to, actor=request.user, comment=comment, **data),
        _("Moved to “%(state)s”.") % {"state": State(to).label},
    )


@require_POST
@page_view
def problem_step(request, pk):
    problem = _problem(request, pk)
    form = StepForm(request.POST)
    return _act(
        request,
        problem,
        lambda: services.add_step(problem, actor=request.user, **form.cleaned_data),
        _("Step added to the work plan."),
        form=form,
        invalid=_("A step needs a text and a due date."),
    )


@require_POST
@page_view
def problem_tick(request, pk):
    problem = _problem(request, pk)
    raw = request.POST.get("step", "")
    step = get_object_or_404(problem.steps, pk=raw if raw.isdigit() else 0)
    return _act(request, problem, lambda: services.tick_step(step, actor=request.user), None)


@require_POST
@page_view
def problem_link(request, pk):
    problem = _problem(request, pk)
    form = LinkForm(request.POST, problem=problem, user=request.user)
    return _act(
        request,
        problem,
        lambda: services.link_incident(problem, form.cleaned_data["incident"], actor=request.user),
        _("Incident linked."),
        form=form,
        invalid=lambda form: form.errors["incident"][0],
    )


@require_POST
@page_view
def problem_publish(request, pk):
    problem = _problem(request, pk)
    form = PublishForm(request.POST)
    return _act(
        request,
        problem,
        lambda: services.publish_workaround(
            problem, actor=request.user, workaround=form.cleaned_data["workaround"]
        ),
        _("The workaround is published as a known error."),
        form=form,
        invalid=_("Describe the workaround before publishing it."),
    )


@require_POST
@page_view
def incident_close(request, pk):
    """Close a restored incident not fixed for good from its page's problem panel (Art. 14)."""
    incident = get_object_or_404(scoping.visible(Incident.objects.all(), request.user), pk=pk)
    back = reverse("incidents:incident-detail", args=[incident.pk])
    form = CloseIncidentForm(request.POST, problems=closing.linkable_problems(incident, request.user))

    def close():
        data = form.cleaned_data
        return closing.close_incident(
            incident,
            actor=request.user,
            resolution_summary=data["resolution_summary"],
            problem=data["problem"],
            register=data["problem"] is None,
            comment=data["comment"],
        )

    return act(
        request,
        back,
        close,
        _("Closed as not fixed for good; the problem database tracks the fault."),
        form=form,
        invalid=_("Give the resolution summary and choose the problem."),
    )


@page_view
def tracking_log(request):
    """The problem-tracking log of Art. 5: a month's events of every visible problem, with the download."""
    try:
        month = tracking.parse_month(request.GET.get("month"))
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        month = tracking.parse_month(None)
    events = tracking.log_events(request.user, month)
    page_obj = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "problems/log.html",
        {
            "month": month,
            "page_obj": page_obj,
            "query": f"month={month:%Y-%m}",
            "export_url": reverse("api:problems:problem-log") + f"?month={month:%Y-%m}",
        },
    )
