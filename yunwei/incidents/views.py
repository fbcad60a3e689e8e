"""Pages of fault handling (Art. 12–13): thin views over scoped querysets and incidents.services.

Every incident is looked up through `scoping.visible()` first, so another unit's incident is a 404 for
every method. The incident page shows only the actions the current state allows, and polls: when the
incident's version moves on, the page reloads itself.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from yunwei.core import errors, exports, listing, records, saved_filters, scoping
from yunwei.core.filters import prepare_filter_form
from yunwei.core.listing import Sorting
from yunwei.core.pages import act, bulk_page, done, form_page, page_view, paginate
from yunwei.notify.models import Delivery
from yunwei.org.models import Person, Unit
from yunwei.web import export_jobs

from . import exports as incident_exports
from . import services
from .choices import OPEN_STATES, Cause, ChecklistKind, DrillState, NoticeKind, State
from .filters import IncidentFilter, breached_q
from .forms import (
    ArrivalForm,
    CorrelationSettingsForm,
    DrillForm,
    DrillResultForm,
    EscalateForm,
    GradeForm,
    ReportForm,
    TransitionForm,
    grades_up_to,
    lower_grades,
)
from .models import Drill, EmergencyPlan, Incident
from .services import correlation, figures, suspects

PAGE_SIZE = 25
RESULTS_ID = "results"
# A search counts and pages through fewer rows than a list: a term of one or two characters has no
# trigram for the index to look up (PostgreSQL), so its matches are counted by reading the table.
SEARCH_ROWS = 1_000
# A search term too short for the trigram indexes is looked for among this many newest incidents.
SHORT_TERM_ROWS = 100_000
# The duty view's cards: a board to watch, not a list to page (the list has every open incident).
DUTY_SHOWN = 200


def _incident(request, pk) -> Incident:
    queryset = Incident.objects.select_related("unit", "assignee", "team", "reporter", "plan")
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


def _first_error(form, fallback: str) -> str:
    """The first field error of a refused form, with the field's label, for the message bar."""
    for name, field_errors in form.errors.items():
        if name in form.fields:
            return _("%(field)s: %(error)s") % {"field": form.fields[name].label, "error": field_errors[0]}
        return field_errors[0]
    return fallback


def _act(request, incident, call, message, **form):
    """Run a service call from a page (with `form=`, once the form is valid); a refusal of the flow, or
    what is wrong with the form (`invalid=`), is shown on the incident's page."""
    return act(request, reverse("incidents:incident-detail", args=[incident.pk]), call, message, **form)


SORTING = Sorting(
    {
        "number": ("id",),
        "grade": ("grade", "reported_at", "id"),
        "state": ("state", "reported_at", "id"),
        "reported": ("reported_at", "id"),
    },
    default="-reported",
)


def _search(rows, q: str):
    """The rows whose title or description holds `q`, and whether the search was held to the newest
    SHORT_TERM_ROWS incidents. The trigram indexes (migration 0004) answer a term of three characters
    or more; a shorter one has no trigram to look up, so it is looked for among the newest incidents
    only, not in every row of the table (issue 27)."""
    rows = rows.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if len(q) >= 3:
        return rows, False
    # The moment of the newest SHORT_TERM_ROWS-th report, read from the reported_at index: a range on the
    # column the list is ordered by, so the page, its count and a unit's index all stop at it.
    since = Incident.objects.order_by("-reported_at").values_list("reported_at", flat=True)
    since = next(iter(since[SHORT_TERM_ROWS - 1 : SHORT_TERM_ROWS]), None)
    if since is None:
        return rows, False
    return rows.filter(reported_at__gte=since), True


def _filtered(request):
    """The list's rows as its filters, search and sort ask (of the incidents the user may see), the
    filter form, the search text, the sort and whether a short search term was held to the newest
    incidents; the page, the export and the bulk form share it."""
    user = request.user
    base = scoping.visible(Incident.objects.select_related("unit", "assignee", "team"), user)
    filterset = IncidentFilter(request.GET, queryset=base, request=request)
    prepare_filter_form(filterset.form, user, dates=("reported_after", "reported_before"))
    rows = filterset.qs if filterset.is_valid() else base.none()
    q = request.GET.get("q", "").strip()
    held = False
    if q:
        rows, held = _search(rows, q)
    rows, sort = SORTING.order(rows, request)
    return rows, filterset.form, q, sort, held


@page_view
def incident_list(request):
    rows, form, q, sort, held = _filtered(request)
    page_obj, query = paginate(request, rows, PAGE_SIZE, bound=SEARCH_ROWS if q else None)
    shown = [incident.pk for incident in page_obj]
    context = {
        "page_obj": page_obj,
        "filters": form,
        "q": q,
        "held_to": SHORT_TERM_ROWS if held else None,
        "sort": sort,
        "query": query,
        "results_id": RESULTS_ID,
        "breached_ids": set(
            rows.filter(breached_q(timezone.now()), pk__in=shown).values_list("pk", flat=True)
        ),
        # False alarms are listed (and filtered) but left out of the count, restore times and compliance.
        # Beyond the paginator's bound they are not figured at all (a million rows' aggregate takes
        # seconds): the page asks for narrower filters instead (issue 27).
        # Nor are those of a short search term, held to the newest incidents: they would be of a part.
        "figures": None if page_obj.paginator.capped or held else figures.figures(rows.order_by()),
        "bulk": _bulk_context(request),
        **saved_filters.context(request, "incidents:incident-list"),
    }
    partial = request.htmx and request.htmx.target == RESULTS_ID
    template = "incidents/partials/incident_table.html" if partial else "incidents/incident_list.html"
    return render(request, template, context)


def export_source(request) -> exports.ListSource:
    """The filtered list's export (the page's and a background export job's): the same rows as the page."""
    rows, _form, _q, _sort, _held = _filtered(request)
    return exports.ListSource(
        "incidents.xlsx",
        incident_exports.headers(),
        rows,
        incident_exports.rows,
        sheet_name=_("Incidents"),
        widths=incident_exports.WIDTHS,
    )


@page_view
def incident_export(request):
    """The filtered list as an .xlsx workbook, every page of it; a large one is built in the background."""
    return export_jobs.respond(request, "incidents", export_source(request))


def _xlsx(rows, filename):
    return exports.xlsx_response(
        filename,
        incident_exports.headers(),
        incident_exports.rows(rows),
        sheet_name=_("Incidents"),
        widths=incident_exports.WIDTHS,
    )


@page_view
def incident_report_docx(request, pk):
    """One incident as the one-page report for the leader in charge (.docx)."""
    incident = _incident(request, pk)
    return exports.file_response(
        incident_exports.report_docx(incident), f"{incident.code}.docx", exports.DOCX
    )


BULK_ACTIONS = {
    "assign": _lazy("Assign"),
    "comment": _lazy("Add a comment"),
    "export": _lazy("Export the selection"),
}


def _bulk_context(request) -> dict:
    """The bulk form's choices: whom the selection may be assigned to (staff of the units in view)."""
    access = scoping.access_of(request.user)
    if not (access.is_group_admin or access.is_group_staff or access.admin_unit_ids or access.staff_unit_ids):
        return {}
    people = scoping.visible(Person.objects.filter(is_active=True, account__isnull=False), request.user)
    return {
        "actions": BULK_ACTIONS,
        "people": people.select_related("unit").order_by("unit__code", "name")[:300],
    }


@require_POST
@page_view
def incident_bulk(request):
    """One action on the ticked incidents, each through its own service call with its own checks; the
    result names every incident that was refused and why."""
    visible = scoping.visible(Incident.objects.select_related("unit", "assignee"), request.user)
    comment = request.POST.get("comment", "")

    def run(action, ids):
        if action == "export":
            return _xlsx(
                visible.filter(pk__in=ids).order_by("-reported_at", "-id"), "incidents-selected.xlsx"
            )
        # Checked once for all (empty or too long is bad input), before any incident is touched.
        text = records.comment_text(comment) if action == "comment" or comment.strip() else ""
        if action == "comment":
            return listing.run_each(
                visible, ids, lambda i: services.add_comment(i, actor=request.user, text=text), label=_label
            )
        to_me, assignee = request.POST.get("assignee") == "me", None
        if not to_me:
            people = scoping.visible(Person.objects.filter(is_active=True), request.user)
            value = request.POST.get("assignee", "")
            assignee = people.filter(pk=int(value)).first() if value.isdigit() and len(value) < 19 else None
            if assignee is None:
                raise errors.DomainError(_("Choose whom to assign to."), field="assignee")
        return listing.run_each(
            visible,
            ids,
            lambda i: services.assign(i, actor=request.user, assignee=assignee, to_me=to_me, comment=text),
            label=_label,
        )

    return bulk_page(request, actions=BULK_ACTIONS, back_url=reverse("incidents:incident-list"), run=run)


def _label(incident) -> str:
    return f"{incident.code} {incident.title}"


@page_view
def duty(request):
    """The on-duty view: open incidents, most severe and oldest first. The first DUTY_SHOWN are drawn, read
    in that order from the open incidents' index with their SLA state from the stored moments (one query
    at any size); the page says when more wait and links the list."""
    now = timezone.now()
    rows = scoping.visible(
        Incident.objects.filter(state__in=OPEN_STATES).select_related("unit", "assignee"), request.user
    )
    rows = list(
        rows.annotate(breached=ExpressionWrapper(breached_q(now), output_field=BooleanField())).order_by(
            "grade", "reported_at", "id"
        )[: DUTY_SHOWN + 1]
    )
    context = {"rows": rows[:DUTY_SHOWN], "more": len(rows) > DUTY_SHOWN, "shown": DUTY_SHOWN, "now": now}
    return render(request, "incidents/duty.html", context)


REPORT_KEPT = ("title", "description", "impact_scope", "started_at")


@page_view
def report(request):
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
    else:  # a chosen unit reloads the form with its applications, keeping what was typed
        kept = {name: request.GET[name] for name in REPORT_KEPT if request.GET.get(name)}
        form = ReportForm(user=request.user, unit=request.GET.get("unit"), initial=kept)
    if request.method == "POST" and form.is_valid():
        application = form.cleaned_data["application"]
        try:
            incident = services.report(
                actor=request.user,
                unit=form.cleaned_data["unit"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                impact_scope=form.cleaned_data["impact_scope"],
                started_at=form.cleaned_data["started_at"] or None,
                affected_items=[application],
            )
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return done(
                request,
                reverse("incidents:incident-detail", args=[incident.pk]),
                _("Thank you: the fault is reported and the system staff are told."),
            )
    return render(request, "incidents/report.html", {"form": form})


# The steps out of "to confirm" (an incident monitoring opened) by their names.
CONFIRM_LABELS = {State.ACKNOWLEDGED: _lazy("Confirm"), State.CLOSED: _lazy("False alarm")}


def _transition_forms(incident, user):
    """The steps the actor may take now; a step that lacks what its form cannot give (a notice that reached
    nobody, the plan, the checklist) is shown disabled with its reasons."""
    forms = []
    confirming = incident.state == State.TO_CONFIRM
    for target in services.allowed_targets(incident, user):
        fields = {"comment"}
        if target == State.REPAIRING and incident.state == State.DIAGNOSING:
            fields |= {"cause_category", "cause_detail"}
        if target == State.CLOSED:
            fields |= {"false_alarm_reason"} if confirming else {"resolution_summary", "fixed_for_good"}
        form = TransitionForm(initial={"to": target, "cause_category": incident.cause_category})
        failures = services.requirement_failures(incident, target)
        notes = []
        if target == State.CLOSED and not confirming and not incident.problems.exists():
            # Art. 14: without a linked problem only "fixed for good" closes here; the problem database's
            # panel closes an unfixed fault together with its problem.
            form.fields["fixed_for_good"].widget.choices = form.fields["fixed_for_good"].widget.choices[:2]
            notes.append(services.UNFIXED_CLOSE_REFUSAL)
        forms.append(
            {
                "to": target,
                "label": (CONFIRM_LABELS if confirming else {}).get(target, State(target).label),
                "back": incident.state == State.VERIFYING and target == State.REPAIRING,
                "fields": [form[name] for name in form.fields if name in fields],
                "hidden": form["to"],
                "lacking": [reason for reason, _field in failures],
                "blocked": any(field not in fields for _reason, field in failures),
                "notes": notes,
            }
        )
    return forms


@page_view
def incident_detail(request, pk):
    incident = _incident(request, pk)
    if request.htmx and request.GET.get("version"):
        # The poll: nothing to do while the incident is unchanged; a newer version reloads the page.
        if request.GET["version"] == str(incident.version):
            return HttpResponse(status=204)
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    user = request.user
    staff = services.is_staff_for(user, incident.unit_id)
    open_ = incident.state in OPEN_STATES
    may_notice = services.may_send_notices(incident, user)
    checklist = list(incident.checklist.select_related("done_by"))
    transitions = _transition_forms(incident, user) if staff else []
    notice_kinds = [
        {
            "kind": k.value,
            "label": k.label,
            "refused": services.notice_refusal(incident, k.value),
            "unreachable": services.reach_failure(incident, k.value) is not None,
        }
        for k in (NoticeKind.LEADER_REPORT, NoticeKind.SUSPENSION)
    ]
    context = {
        "incident": incident,
        "events": incident.events.select_related("actor"),
        "steps": [c for c in checklist if c.kind == ChecklistKind.STEP],
        "checks": [c for c in checklist if c.kind == ChecklistKind.VERIFICATION],
        "notices": incident.notices.all(),
        "deliveries": Delivery.objects.select_related("channel", "digest", "user__person")
        .filter(unit_id=incident.unit_id, event_key__startswith=f"incident:{incident.pk}:")
        .order_by("pk"),
        "escalations": incident.escalations.select_related("engineer", "contract"),
        "timers": services.timers(incident),
        "staff": staff,
        "transitions": transitions,
        "states": State,
        "can_activate_plan": services.may_activate_plan(incident, user),
        "replace_plan": {"refusal": services.replacement_refusal(incident)}
        if staff and open_ and incident.plan_snapshot
        else None,
        "can_tick_steps": services.may_tick(incident, user, ChecklistKind.STEP),
        "can_tick_checks": services.may_tick(incident, user, ChecklistKind.VERIFICATION),
        "can_notice": may_notice,
        "causes": Cause.choices,
        "notice_kinds": notice_kinds if may_notice else [],
        # Art. 13: how to make a notice reach somebody, shown where one reached nobody.
        "how_to_reach": services.HOW_TO_REACH if any(n["unreachable"] for n in notice_kinds) else "",
        "assignable": services.assignable(incident) if staff and open_ else [],
        "assign_refused": services.assign_failure(incident, user),
        "take_refused": services.assign_failure(incident, user, to_me=True),
        "can_escalate": services.may_escalate(incident, user),
        "escalate_form": EscalateForm(unit=incident.unit) if staff else None,
        "arrival_form": ArrivalForm() if staff else None,
        **_grade_context(incident, user, staff and open_),
        "affected": incident.affected_items.all(),
        **_correlation_context(request, incident),
        # Panels of the apps built on fault handling (problems: linked problems and known errors);
        # named in settings, so this app does not depend on them.
        "panels": settings.INCIDENT_PAGE_PANELS,
    }
    return render(request, "incidents/incident_detail.html", context)


SIGNALS_PAGE_SIZE = 50


def _correlation_context(request, incident) -> dict:
    """What correlation says of the incident: its signals (paged: a root may hold thousands), the
    incidents merged into it or the one it was merged into, the one it follows, the suspected changes
    the reader may see."""
    signals = correlation.incident_signals(incident)
    page = Paginator(signals, SIGNALS_PAGE_SIZE).get_page(request.GET.get("signals_page"))
    visible = scoping.visible
    return {
        "signals_page": page,
        "merged": visible(incident.merged.all(), request.user).order_by("pk"),
        "merged_into": visible(Incident.objects.filter(pk=incident.merged_into_id), request.user).first(),
        "follows": visible(Incident.objects.filter(pk=incident.follows_id), request.user).first(),
        "followed_by": visible(incident.followed_by.all(), request.user).order_by("pk"),
        "suspected": visible(incident.suspected_changes.all(), request.user).order_by("pk"),
    }


def _grade_context(incident, user, may_grade: bool) -> dict:
    """The grade form; for whoever may not lower the grade (Art. 12), the lower grades are not among its
    choices but in a proposal to the system management lead, with the reason shown."""
    if not may_grade:
        return {"grade_form": None, "propose_form": None, "lowering_note": "", "decide_proposal": False}
    lead = services.may_lower_grade(user, incident)
    lower = lower_grades(incident.grade)
    return {
        "grade_form": GradeForm(
            initial={"grade": incident.grade}, grades=None if lead else grades_up_to(incident.grade)
        ),
        "propose_form": GradeForm(grades=lower, prefix="proposal") if lower and not lead else None,
        "lowering_note": services.LOWERING_REFUSAL if lower and not lead else "",
        "decide_proposal": lead and bool(incident.proposed_grade),
    }


@require_POST
@page_view
def incident_transition(request, pk):
    incident = _incident(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the fields of the step."))
        return done(request, reverse("incidents:incident-detail", args=[incident.pk]))
    data = {k: v for k, v in form.cleaned_data.items() if k in request.POST}
    to, comment = data.pop("to"), data.pop("comment", "")
    allowed = services.TRANSITION_FIELDS.get(to, ())
    data = {k: v for k, v in data.items() if k in allowed}
    return _act(
        request,
        incident,
        lambda: services.transition(incident, to=to, actor=request.user, comment=comment, **data),
        _("Moved to “%(state)s”.") % {"state": State(to).label if to in State.values else to},
    )


@require_POST
@page_view
def incident_tick(request, pk):
    incident = _incident(request, pk)
    item = get_object_or_404(incident.checklist, pk=request.POST.get("item") or 0)
    passed = request.POST.get("passed", "true") != "false"
    note = request.POST.get("note", "")
    return _act(
        request, incident, lambda: services.tick(item, actor=request.user, passed=passed, note=note), None
    )


@require_POST
@page_view
def incident_plan(request, pk):
    incident = _incident(request, pk)
    cause = request.POST.get("cause_category", "")
    return _act(
        request,
        incident,
        lambda: services.activate_plan(incident, actor=request.user, cause_category=cause),
        _("Emergency plan activated."),
    )


@require_POST
@page_view
def incident_replace_plan(request, pk):
    incident = _incident(request, pk)
    cause, reason = request.POST.get("cause_category", ""), request.POST.get("reason", "")
    return _act(
        request,
        incident,
        lambda: services.replace_plan(
            incident, actor=request.user, cause_category=cause, reason=reason[:300]
        ),
        _("Emergency plan replaced."),
    )


@require_POST
@page_view
def incident_notice(request, pk):
    incident = _incident(request, pk)
    kind = request.POST.get("kind", "")
    return _act(
        request, incident, lambda: services.send_notice(incident, kind, actor=request.user), _("Notice sent.")
    )


@require_POST
@page_view
def incident_escalate(request, pk):
    incident = _incident(request, pk)
    arrival = request.POST.get("escalation")
    if arrival:
        escalation = get_object_or_404(incident.escalations, pk=arrival)
        arrival_form = ArrivalForm(request.POST, escalation=escalation)
        return _act(
            request,
            incident,
            lambda: services.record_arrival(
                escalation, actor=request.user, arrived_at=arrival_form.cleaned_data["arrived_at"]
            ),
            _("Arrival recorded."),
            form=arrival_form,
            invalid=lambda refused: _first_error(refused, _("Check the arrival time.")),
        )
    form = EscalateForm(request.POST, unit=incident.unit)
    return _act(
        request,
        incident,
        lambda: services.escalate(incident, actor=request.user, **form.cleaned_data),
        _("The vendor's engineer is called in."),
        form=form,
        invalid=lambda refused: _first_error(refused, _("Check the fields of the escalation.")),
    )


@require_POST
@page_view
def incident_grade(request, pk):
    incident = _incident(request, pk)
    form = GradeForm(request.POST)
    return _act(
        request,
        incident,
        lambda: services.set_grade(incident, actor=request.user, **form.cleaned_data),
        _("Grade changed."),
        form=form,
        invalid=_("A manual change of grade needs a reason."),
    )


@require_POST
@page_view
def incident_assign(request, pk):
    incident = _incident(request, pk)
    to_me = request.POST.get("to_me") == "true"
    assignee = None
    if not to_me and request.POST.get("assignee"):
        assignee = get_object_or_404(services.assignable(incident), pk=request.POST["assignee"])
    version = request.POST.get("version")
    return _act(
        request,
        incident,
        lambda: services.assign(
            incident,
            actor=request.user,
            assignee=assignee,
            to_me=to_me,
            comment=request.POST.get("comment", ""),
            expected_version=int(version) if version and version.isdigit() else None,
        ),
        _("Assignee changed."),
    )


@require_POST
@page_view
def incident_grade_proposal(request, pk):
    incident = _incident(request, pk)
    form = GradeForm(request.POST, prefix="proposal")
    return _act(
        request,
        incident,
        lambda: services.propose_grade(incident, actor=request.user, **form.cleaned_data),
        _("The lower grade is proposed to the system management lead."),
        form=form,
        invalid=_("A proposed grade needs a reason."),
    )


@require_POST
@page_view
def incident_grade_decision(request, pk):
    incident = _incident(request, pk)
    accept = request.POST.get("accept") == "true"
    comment = request.POST.get("comment", "")[:300]
    return _act(
        request,
        incident,
        lambda: services.decide_grade(incident, actor=request.user, accept=accept, comment=comment),
        _("Decided on the proposed grade."),
    )


@page_view
def correlation_settings(request):
    """The fold window and how long a change stays suspected: shown to everyone, set by a group admin."""
    row = suspects.correlation_settings()
    editable = scoping.access_of(request.user).is_group_admin
    initial = {"fold_window_minutes": row.fold_window_minutes, "suspect_hours": row.suspect_hours}
    form = CorrelationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "version": row.version},
        editable=editable,
    )

    def call():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        return correlation.update_settings(actor=request.user, expected_version=version, **data)

    return form_page(
        request,
        form,
        call,
        title=_("Correlation of monitoring signals"),
        cancel_url=reverse("incidents:incident-list"),
        after=lambda _row: reverse("incidents:correlation-settings"),
        template="incidents/correlation_settings.html",
        read_only=not editable,
    )


@page_view
def plan_list(request):
    return render(
        request,
        "incidents/plan_list.html",
        {"plans": EmergencyPlan.objects.all(), "gaps": services.plan_gaps()},
    )


@page_view
def plan_detail(request, pk):
    plan = get_object_or_404(EmergencyPlan, pk=pk)
    drills = scoping.visible(plan.drills.select_related("unit", "plan_revision"), request.user)
    revisions = plan.revisions.select_related("created_by").order_by("-revision")
    return render(
        request, "incidents/plan_detail.html", {"plan": plan, "drills": drills, "revisions": revisions}
    )


@page_view
def drill_list(request):
    drills = scoping.visible(Drill.objects.select_related("unit", "plan"), request.user)
    q = request.GET.get("q", "").strip()
    if q:
        drills = drills.filter(Q(plan__title__icontains=q) | Q(findings__icontains=q))
    can_create = scoping.writable(Unit.objects.all(), request.user)
    return render(
        request,
        "incidents/drill_list.html",
        {"drills": drills[:200], "q": q, "can_create": can_create.exists()},
    )


@page_view
def drill_create(request):
    form = DrillForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            drill = services.create(Drill, actor=request.user, **form.cleaned_data)
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return done(request, reverse("incidents:drill-detail", args=[drill.pk]), _("Drill scheduled."))
    return render(request, "incidents/drill_form.html", {"form": form})


@page_view
def drill_detail(request, pk):
    drill = get_object_or_404(
        scoping.visible(Drill.objects.select_related("unit", "plan", "plan_revision"), request.user), pk=pk
    )
    staff = services.is_staff_for(request.user, drill.unit_id)
    form = DrillResultForm(request.POST or None) if staff and drill.state == DrillState.SCHEDULED else None
    if request.method == "POST" and form is not None and form.is_valid():
        steps = drill.plan.steps
        timings = [
            {"step": steps[i].get("text", "") if i < len(steps) else str(i + 1), "minutes": minutes}
            for i, minutes in enumerate(form.cleaned_data["timings"])
        ]
        try:
            services.update(
                drill,
                actor=request.user,
                findings=form.cleaned_data["findings"],
                step_timings=timings,
                state=DrillState.DONE,
            )
        except errors.PermissionDenied:
            raise
        except errors.DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return done(request, reverse("incidents:drill-detail", args=[drill.pk]), _("Drill recorded."))
    return render(
        request,
        "incidents/drill_detail.html",
        {"drill": drill, "form": form, "participants": drill.participants.all()},
    )
