"""Pages of the service desk (Art. 9–10): the users' portal, the request's page, the admins' queue and list,
the catalogue, the working calendar, reply templates and the month's figures. Thin views over
`services.visible()` and the services; another unit's request is a 404 for every method."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.changes.models import Change
from yunwei.core import calendar as work_calendar
from yunwei.core import errors, scoping, uploads
from yunwei.core.pages import act, done, form_call, page_view
from yunwei.incidents.choices import NoticeKind
from yunwei.incidents.models import Incident, Notice
from yunwei.org.models import Unit

from . import fields as form_fields
from . import queries, services, timers
from .choices import FINAL_STATES, Kind, State
from .forms import (
    CalendarDayForm,
    CalendarImportForm,
    KnownErrorForm,
    RateForm,
    RequestForm,
    StepForm,
    TemplateForm,
    TextForm,
    TypeForm,
)
from .models import Attachment, ReplyTemplate, RequestType, ServiceRequest

PAGE_SIZE = 25
NOTICE_DAYS = 7


def _request(request, pk) -> ServiceRequest:
    rows = ServiceRequest.objects.select_related(
        "unit", "type", "requester", "assignee", "change", "incident", "known_error", "duplicate_of"
    )
    return get_object_or_404(services.visible(rows, request.user), pk=pk)


def _detail_url(sr) -> str:
    return reverse("servicedesk:request-detail", args=[sr.pk])


# -- the portal -------------------------------------------------------------------------------------


@page_view
def portal(request):
    """One page for a user: make a request or report a fault, follow their own, read current notices."""
    user = request.user
    access = scoping.access_of(user)
    mine = queries.page(
        ServiceRequest.objects.filter(requester=user).select_related("type"),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    faults = Incident.objects.filter(reporter=user).order_by("-reported_at")[:10]
    since = timezone.now() - datetime.timedelta(days=NOTICE_DAYS)
    notices = (
        scoping.visible(Notice.objects.select_related("incident"), user)
        .filter(kind__in=[NoticeKind.SUSPENSION, NoticeKind.RECOVERY], sent_at__gte=since)
        .order_by("-sent_at")[:10]
        if access.unit_id or access.is_group_admin
        else Notice.objects.none()
    )
    return render(
        request,
        "servicedesk/portal.html",
        {
            "types": services.requestable_types(),
            "kinds": Kind,
            "mine": mine,
            "faults": faults,
            "notices": notices,
            "handles": queries.handles_any(user),
        },
    )


@page_view
def request_create(request, code):
    request_type = get_object_or_404(services.requestable_types(), code=code)
    unit = Unit.objects.filter(pk=scoping.access_of(request.user).unit_id).first()
    if unit is None:
        raise Http404
    form = RequestForm(request.POST or None, request.FILES or None, request_type=request_type, unit=unit)
    if request.method == "POST" and form.is_valid():

        def submit():
            data, files = form.values()  # refuses an attachment over its limits before reading it
            return services.submit(
                actor=request.user,
                request_type=request_type,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                data=data,
                files=files,
            )

        created = form_call(form, submit)
        if created is not None:
            return done(
                request, _detail_url(created), _("Thank you: %(code)s is made.") % {"code": created.code}
            )
    return render(request, "servicedesk/request_form.html", {"form": form, "request_type": request_type})


# -- a request ---------------------------------------------------------------------------------------


@page_view
def request_detail(request, pk):
    sr = _request(request, pk)
    user = request.user
    handles = services.may_handle(sr, user)
    events = sr.events.all() if handles else sr.events.filter(internal=False)
    now = timezone.now()
    targets = services.allowed_targets(sr, user)
    context = {
        "sr": sr,
        "events": events,
        "values": form_fields.shown(sr.policy.get("fields", []), sr.values),
        "attachments": sr.attachments.defer("content"),
        "handles": handles,
        "is_requester": services.is_requester(user, sr),
        "targets": [
            (t, State(t).label)
            for t in targets
            if t not in (State.APPROVING, State.APPROVED, State.RESOLVED) or sr.kind != Kind.USAGE
        ],
        "may_approve": sr.kind == Kind.USAGE and any(t in (State.APPROVING, State.APPROVED) for t in targets),
        "may_carry_out": sr.kind == Kind.USAGE and State.RESOLVED in targets,
        "may_incident": sr.kind == Kind.SUPPORT
        and services.permission_failure(sr, State.INCIDENT, user) is None
        and services.flow_failure(sr, State.INCIDENT) is None,
        "may_change": sr.kind == Kind.REQUIREMENT
        and sr.state in (State.ACCEPTED, State.IN_PROGRESS)
        and not sr.change_id
        and services.holds(user, "group_admin", sr.unit_id)
        and not services.is_requester(user, sr),
        "may_rate": services.is_requester(user, sr)
        and sr.state in (State.CLOSED, State.REJECTED, State.MERGED, State.INCIDENT)
        and sr.rating is None,
        "may_reply": sr.state not in FINAL_STATES and (handles or services.is_requester(user, sr)),
        "templates": services.templates_for(sr) if handles else [],
        "assignable": services.assignable(sr) if handles and sr.state not in FINAL_STATES else [],
        "held": timers.held_now(sr, now),
        "overdue": timers.is_overdue(sr, now),
        "clock_note": services.clock_note(sr),
        "filled": {t.pk: services.fill(t, sr) for t in services.templates_for(sr)} if handles else {},
        # The change the requirement became: its state for whoever sees the request, its page for those
        # who may read the change.
        "change_visible": bool(sr.change_id)
        and scoping.visible(Change.objects.filter(pk=sr.change_id), user).exists(),
    }
    return render(request, "servicedesk/request_detail.html", context)


def _act(request, sr, call, message, **kwargs):
    return act(request, _detail_url(sr), call, message, **kwargs)


def _invalid(form) -> str:
    name, errors_ = next(iter(form.errors.items()))
    return f"{name}: {errors_[0]}"


@require_POST
@page_view
def request_transition(request, pk):
    sr = _request(request, pk)
    form = StepForm(request.POST)

    def call():
        data = form.cleaned_data
        extra = {}
        if data.get("priority"):
            extra["priority"] = data["priority"]
        if data.get("target_release"):
            extra["target_release"] = data["target_release"]
        if data.get("duplicate_of"):
            duplicate = (
                services.visible(ServiceRequest.objects.all(), request.user)
                .filter(pk=data["duplicate_of"])
                .first()
            )
            if duplicate is None:
                raise errors.DomainError(_("No such request."), field="duplicate_of")
            extra["duplicate_of"] = duplicate
        services.transition(
            sr,
            to=data["to"],
            actor=request.user,
            comment=data["comment"],
            expected_version=data.get("version"),
            **extra,
        )

    return _act(request, sr, call, _("Done."), form=form, invalid=_invalid)


@require_POST
@page_view
def request_approve(request, pk):
    sr = _request(request, pk)
    comment = request.POST.get("text", "")
    return _act(
        request, sr, lambda: services.approve(sr, actor=request.user, comment=comment), _("Approved.")
    )


@require_POST
@page_view
def request_carry_out(request, pk):
    sr = _request(request, pk)
    comment = request.POST.get("text", "")
    result = {}

    def call():
        result["request"], result["password"] = services.carry_out(sr, actor=request.user, comment=comment)

    response = _act(request, sr, call, _("Carried out."))
    if result.get("password"):
        messages.info(
            request,
            _("The account %(account)s is open; its first password, shown only now: %(password)s")
            % {"account": result["request"].values.get("account"), "password": result["password"]},
        )
    return response


@require_POST
@page_view
def request_reply(request, pk):
    sr = _request(request, pk)
    form = TextForm(request.POST)
    return _act(
        request,
        sr,
        lambda: services.reply(sr, actor=request.user, text=form.cleaned_data["text"]),
        _("Sent."),
        form=form,
        invalid=_("Write the reply."),
    )


@require_POST
@page_view
def request_note(request, pk):
    sr = _request(request, pk)
    form = TextForm(request.POST)
    return _act(
        request,
        sr,
        lambda: services.add_note(sr, actor=request.user, text=form.cleaned_data["text"]),
        _("Note added."),
        form=form,
        invalid=_("Write the note."),
    )


@require_POST
@page_view
def request_rate(request, pk):
    sr = _request(request, pk)
    form = RateForm(request.POST)
    return _act(
        request,
        sr,
        lambda: services.rate(
            sr, actor=request.user, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        ),
        _("Thank you for your rating."),
        form=form,
        invalid=_("A rating is 1 to 5."),
    )


@require_POST
@page_view
def request_assign(request, pk):
    sr = _request(request, pk)
    raw = request.POST.get("assignee", "")
    assignee = services.assignable(sr).filter(pk=int(raw)).first() if raw.isdigit() else None

    def call():
        if raw and assignee is None:
            raise errors.DomainError(_("Assign to the unit's or the group's staff."), field="assignee")
        services.assign(sr, actor=request.user, assignee=assignee)

    return _act(request, sr, call, _("Assigned."))


@require_POST
@page_view
def request_incident(request, pk):
    sr = _request(request, pk)
    return _act(
        request,
        sr,
        lambda: services.make_incident(sr, actor=request.user, comment=request.POST.get("text", "")),
        _("The fault is reported and linked."),
    )


@require_POST
@page_view
def request_change(request, pk):
    sr = _request(request, pk)
    return _act(
        request,
        sr,
        lambda: services.make_change(sr, actor=request.user),
        _("The change request is made and linked."),
    )


@require_POST
@page_view
def request_known_error(request, pk):
    sr = _request(request, pk)
    form = KnownErrorForm(request.POST)

    def call():
        data = form.cleaned_data
        problem = None
        if data.get("problem"):
            from yunwei.problems.models import Problem

            problem = scoping.visible(Problem.objects.all(), request.user).filter(pk=data["problem"]).first()
            if problem is None:
                raise errors.DomainError(_("No such known error."), field="problem")
        services.cite_known_error(
            sr,
            actor=request.user,
            problem=problem,
            title=data.get("title", ""),
            workaround=data.get("workaround", ""),
        )

    return _act(request, sr, call, _("Linked to the known error."), form=form, invalid=_invalid)


@page_view
def attachment(request, pk):
    found = get_object_or_404(Attachment.objects.select_related("request"), pk=pk)
    if not services.visible(ServiceRequest.objects.filter(pk=found.request_id), request.user).exists():
        raise Http404
    response = HttpResponse(bytes(found.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{found.pk}.{found.name.rsplit(".", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- queues and lists -------------------------------------------------------------------------------


@page_view
def queue(request):
    """What waits for the reader, or (?all=1) every open request they see, with filters and bulk assign."""
    user = request.user
    params = queries.Filters.from_query(request.GET)
    rows = queries.listing(user, params, queue=not params.everything)
    page_obj = queries.page(rows, request.GET.get("page"), PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "f": params,
        "states": State.choices,
        "kinds": Kind.choices,
        "units": queries.units_of(user),
        "assignable": queries.assignable_for(user),
        "now": timezone.now(),
        "is_queue": True,
        "query": params.query(),
    }
    template = (
        "servicedesk/partials/request_table.html"
        if request.htmx and request.htmx.target == "results"
        else "servicedesk/queue.html"
    )
    return render(request, template, context)


@page_view
def request_list(request):
    """Every request the reader may see (a user: their own), searched and filtered."""
    params = queries.Filters.from_query(request.GET)
    rows = queries.listing(request.user, params, queue=False)
    page_obj = queries.page(rows, request.GET.get("page"), PAGE_SIZE)
    context = {
        "page_obj": page_obj,
        "f": params,
        "states": State.choices,
        "kinds": Kind.choices,
        "units": queries.units_of(request.user),
        "now": timezone.now(),
        "is_queue": False,
        "handles": queries.handles_any(request.user),
        "query": params.query(),
    }
    template = (
        "servicedesk/partials/request_table.html"
        if request.htmx and request.htmx.target == "results"
        else "servicedesk/request_list.html"
    )
    return render(request, template, context)


@require_POST
@page_view
def bulk_assign(request):
    ids = [int(v) for v in request.POST.getlist("requests") if v.isdigit()]
    raw = request.POST.get("assignee", "")
    url = reverse("servicedesk:queue")
    if not ids:
        messages.error(request, _("Tick the requests to assign."))
        return done(request, url)
    assignee = queries.assignable_for(request.user).filter(pk=int(raw)).first() if raw.isdigit() else None

    def call():
        if raw and assignee is None:
            raise errors.DomainError(_("Assign to the unit's or the group's staff."), field="assignee")
        services.bulk_assign(ids, actor=request.user, assignee=assignee)

    return act(request, url, call, _("Assigned %(n)s requests.") % {"n": len(ids)})


# -- the catalogue -----------------------------------------------------------------------------------


@page_view
def type_list(request):
    access = scoping.access_of(request.user)
    return render(
        request,
        "servicedesk/type_list.html",
        {
            "types": RequestType.objects.all(),
            "can_edit": access.is_group_admin,
            "handles": queries.handles_any(request.user),
        },
    )


def _type_form(request, instance=None):
    if not scoping.access_of(request.user).is_group_admin:
        raise errors.PermissionDenied(_("Only a group system admin edits the catalogue of request types."))
    form = TypeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        if instance is None:
            saved = form_call(
                form, lambda: services.create(RequestType, actor=request.user, **form.service_fields())
            )
        else:
            saved = form_call(
                form,
                lambda: services.update(
                    instance,
                    actor=request.user,
                    expected_version=int(request.POST.get("version") or instance.version),
                    **form.service_fields(),
                ),
            )
        if saved is not None:
            return done(request, reverse("servicedesk:type-list"), _("Saved “%(name)s”.") % {"name": saved})
    title = _("New request type") if instance is None else _("Edit %(name)s") % {"name": instance}
    return render(
        request,
        "servicedesk/type_form.html",
        {"form": form, "title": title, "instance": instance, "cancel_url": reverse("servicedesk:type-list")},
    )


@page_view
def type_create(request):
    return _type_form(request)


@page_view
def type_edit(request, pk):
    return _type_form(request, get_object_or_404(RequestType, pk=pk))


# -- reply templates ----------------------------------------------------------------------------------


@page_view
def template_list(request):
    user = request.user
    access = scoping.access_of(user)
    # A plain user sees an empty page: the templates are the admins'.
    units = Unit.objects.all() if access.is_group_admin else Unit.objects.filter(pk__in=access.admin_unit_ids)
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = units.filter(pk=request.POST.get("unit") or 0).first()
        created = form_call(
            form, lambda: services.create_template(actor=user, unit=unit, **form.cleaned_data)
        )
        if created is not None:
            return done(
                request, reverse("servicedesk:template-list"), _("Saved “%(name)s”.") % {"name": created}
            )
    templates = scoping.writable(ReplyTemplate.objects.select_related("unit"), user)
    return render(
        request, "servicedesk/template_list.html", {"form": form, "templates": templates, "units": units}
    )


@require_POST
@page_view
def template_delete(request, pk):
    template = get_object_or_404(scoping.writable(ReplyTemplate.objects.all(), request.user), pk=pk)
    return act(
        request,
        reverse("servicedesk:template-list"),
        lambda: services.delete(template, actor=request.user),
        _("Deleted."),
    )


# -- the working calendar ---------------------------------------------------------------------------


def _calendar_unit(request):
    """The unit whose override is shown (?unit=), else the group's calendar; a foreign unit is a 404."""
    raw = request.GET.get("unit") or request.POST.get("unit")
    if not raw:
        return None
    unit = (
        scoping.visible(Unit.objects.all(), request.user)
        .filter(pk=int(raw) if str(raw).isdigit() else 0)
        .first()
    )
    if unit is None:
        raise Http404
    return unit


@page_view
def calendar_page(request):
    unit = _calendar_unit(request)
    raw_year = request.GET.get("year", "")
    year = (
        int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else timezone.localdate().year
    )
    cal = work_calendar.calendar_for(unit.pk if unit else None)
    days = sorted((d, cal.days[d], cal.names.get(d, "")) for d in cal.days if d.year == year)
    access = scoping.access_of(request.user)
    may_edit = access.is_group_admin if unit is None else access.can_manage_unit(unit.pk)
    return render(
        request,
        "servicedesk/calendar.html",
        {
            "unit": unit,
            "year": year,
            "days": days,
            "cal": cal,
            "may_edit": may_edit,
            "import_form": CalendarImportForm(),
            "day_form": CalendarDayForm(),
            "units": scoping.writable(Unit.objects.all(), request.user),
            "handles": queries.handles_any(request.user),
        },
    )


def _calendar_url(unit) -> str:
    url = reverse("servicedesk:calendar")
    return f"{url}?unit={unit.pk}" if unit else url


@require_POST
@page_view
def calendar_import(request):
    unit = _calendar_unit(request)
    form = CalendarImportForm(request.POST, request.FILES)

    def call():
        upload = form.cleaned_data["file"]
        uploads.check_file(
            upload,
            field="file",
            label=form.fields["file"].label,
            max_bytes=settings.CALENDAR_IMPORT_LIMIT,
            types=["csv", "txt"],
        )
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise errors.DomainError(_("The file is not UTF-8 text."), field="file") from None
        count = work_calendar.import_days(work_calendar.calendar_of(unit), text, actor=request.user)
        messages.success(
            request, _("%(n)s days imported; open requests have their due times again.") % {"n": count}
        )

    return act(request, _calendar_url(unit), call, None, form=form, invalid=_("Choose the CSV file."))


@require_POST
@page_view
def calendar_day(request):
    unit = _calendar_unit(request)
    form = CalendarDayForm(request.POST)

    def call():
        data = form.cleaned_data
        working = {"holiday": False, "workday": True}.get(data["kind"])
        work_calendar.set_day(
            work_calendar.calendar_of(unit),
            data["date"],
            is_working=working,
            name=data["name"],
            actor=request.user,
        )

    return act(request, _calendar_url(unit), call, _("Saved."), form=form, invalid=_invalid)


# -- figures -------------------------------------------------------------------------------------------


@page_view
def figures(request):
    """Per unit and month: counts, working-time figures, overdue, ratings (what the monthly report reads)."""
    month = queries.month_of(request.GET.get("month"))
    user = request.user
    base = services.visible(ServiceRequest.objects.all(), user)
    rows = []
    for unit in queries.units_of(user):
        rows.append((unit, timers.figures(base.filter(unit=unit), month)))
    return render(request, "servicedesk/figures.html", {"month": month, "rows": rows, "kinds": Kind})
