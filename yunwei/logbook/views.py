"""Pages of the log books (Art. 5): thin views over scoped querysets and logbook.services.

Every unit, entry, round, review and rectification is looked up through `scoping.visible()` first, so
another unit's answers 404 for every method; a bad month is said on the page, never a 500."""

import datetime
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yunwei.core import errors, scoping
from yunwei.core.pages import act, done, form_call, page_view, paginate
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import book, facts, forms, services
from .choices import LogKind, RectificationState
from .models import (
    Attachment,
    BackupEntry,
    Finding,
    LogNote,
    MonthlyReview,
    Reading,
    Rectification,
    RestoreDrill,
    Round,
    RoundTemplate,
)

ENTRY_MODELS = {"note": LogNote, "backup": BackupEntry, "drill": RestoreDrill}


def _unit(request, pk) -> Unit:
    return get_object_or_404(scoping.visible(Unit.objects.all(), request.user), pk=pk)


def _month(request, source=None):
    """The month asked for; a malformed or future one is said on the page and this month shown."""
    raw = (source if source is not None else request.GET).get("month")
    try:
        return services.parse_month(raw)
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return services.parse_month(None)


def _month_url(unit, month) -> str:
    return reverse("logbook:month", args=[unit.pk]) + f"?month={month:%Y-%m}"


def _review_url(unit, month) -> str:
    return reverse("logbook:review", args=[unit.pk]) + f"?month={month:%Y-%m}"


@page_view
def index(request):
    """The units the reader sees, with last month's and this month's review."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    units = scoping.visible(Unit.objects.filter(kind__in=[UnitKind.GROUP, UnitKind.UNIT]), request.user)
    reviews = {
        (r.unit_id, r.month): r
        for r in MonthlyReview.objects.filter(unit__in=units, month__in=[last_month, this_month])
    }
    rows = []
    for unit in units.order_by("kind", "code"):
        last = reviews.get((unit.pk, last_month))
        rows.append(
            {
                "unit": unit,
                "last": last,
                "last_overdue": services.is_overdue(last, last_month),
                "current": reviews.get((unit.pk, this_month)),
            }
        )
    rectifications = scoping.visible(Rectification.objects.all(), request.user)
    context = {
        "rows": rows,
        "last_month": last_month,
        "this_month": this_month,
        "last_due": facts.due_on(last_month),
        "open_rectifications": rectifications.filter(state__in=["open", "in_progress", "done"]).count(),
        "overdue_rectifications": rectifications.filter(services.overdue_q()).count(),
    }
    return render(request, "logbook/index.html", context)


@page_view
def month(request, pk):
    unit = _unit(request, pk)
    month = _month(request)
    context = book.month_book(unit, month, request.user)
    context["may_record"] = services.may_record(request.user, unit.pk)
    context["review_url"] = _review_url(unit, month)
    return render(request, "logbook/month.html", context)


# -- entries ---------------------------------------------------------------------------------------

SERVICE_OF = {"note": services.record_note, "backup": services.record_backup, "drill": services.record_drill}
TITLES = {
    "note": gettext_lazy("New handover or routine entry"),
    "backup": gettext_lazy("New manual backup"),
    "drill": gettext_lazy("New restore drill"),
}


@page_view
def entry_create(request, pk, kind):
    unit = _unit(request, pk)
    services.require_record(request.user, unit.pk)
    form = forms.ENTRY_FORMS[kind](
        request.POST or None, unit=unit, initial={"occurred_at": timezone.localtime()}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "succeeded"}
        entry = form_call(form, lambda: SERVICE_OF[kind](actor=request.user, unit=unit, **data))
        if entry is not None:
            return done(request, _month_url(unit, facts.month_of(entry.occurred_at)), _("Recorded."))
    return render(
        request,
        "logbook/entry_form.html",
        {
            "form": form,
            "title": str(TITLES[kind]),
            "cancel_url": reverse("logbook:month", args=[unit.pk]),
            "unit": unit,
        },
    )


def _entry(request, kind, pk):
    model = ENTRY_MODELS[kind]
    return get_object_or_404(scoping.visible(model.objects.select_related("unit"), request.user), pk=pk)


@page_view
def entry_edit(request, pk, kind):
    entry = _entry(request, kind, pk)
    unit = entry.unit
    month_url = _month_url(unit, facts.month_of(entry.occurred_at))
    initial = {name: getattr(entry, name) for name in forms.EDIT_FIELDS[kind]}
    initial["occurred_at"] = timezone.localtime(entry.occurred_at)
    form = forms.ENTRY_FORMS[kind](request.POST or None, unit=unit, initial=initial)
    for name in list(form.fields):
        if name not in forms.EDIT_FIELDS[kind]:
            del form.fields[name]
    frozen = facts.is_frozen(unit.pk, facts.month_of(entry.occurred_at))
    if request.method == "POST" and form.is_valid():
        services.require_record(request.user, unit.pk)
        data = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        saved = form_call(
            form,
            lambda: services.update_entry(entry, actor=request.user, expected_version=entry.version, **data),
        )
        if saved is not None:
            return done(request, month_url, _("Saved."))
    context = {
        "form": form,
        "entry": entry,
        "kind": kind,
        "frozen": frozen,
        "title": str(entry),
        "cancel_url": month_url,
        "attachments": services.attachments_of(entry),
        "attach_form": forms.AttachForm()
        if services.may_record(request.user, unit.pk) and not frozen
        else None,
        "attach_url": reverse(f"logbook:{kind}-attach", args=[entry.pk]),
    }
    return render(request, "logbook/entry_edit.html", context)


@require_POST
@page_view
def entry_attach(request, pk, kind):
    entry = _entry(request, kind, pk)
    form = forms.AttachForm(request.POST, request.FILES)
    back = reverse(f"logbook:{kind}-edit", args=[entry.pk])
    return act(
        request,
        back,
        lambda: services.attach(entry, form.cleaned_data["file"], actor=request.user),
        _("File attached."),
        form=form,
        invalid=_("Choose a file."),
    )


@page_view
def attachment(request, pk):
    record = get_object_or_404(scoping.visible(Attachment.objects.all(), request.user), pk=pk)
    response = FileResponse(record.file.open("rb"), as_attachment=True, filename=record.name)
    response["X-Content-SHA256"] = record.sha256
    return response


# -- rounds ----------------------------------------------------------------------------------------


@page_view
def template_list(request):
    templates = scoping.visible(
        RoundTemplate.objects.select_related("unit", "team", "location"), request.user
    )
    q = request.GET.get("q", "").strip()
    if q:
        templates = templates.filter(name__icontains=q)
    page_obj, query = paginate(request, templates.order_by("unit__code", "name"), 50)
    return render(request, "logbook/template_list.html", {"page_obj": page_obj, "query": query, "q": q})


@page_view
def template_create(request):
    form = forms.TemplateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        template = form_call(form, lambda: services.create_template(actor=request.user, **data))
        if template is not None:
            return done(request, reverse("logbook:template-detail", args=[template.pk]), _("Saved."))
    return render(
        request,
        "web/form.html",
        {"form": form, "title": _("New inspection round"), "cancel_url": reverse("logbook:template-list")},
    )


def _template(request, pk) -> RoundTemplate:
    queryset = RoundTemplate.objects.select_related("unit", "team", "location")
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


@page_view
def template_detail(request, pk):
    template = _template(request, pk)
    rounds = template.rounds.select_related("performed_by").order_by("-occurred_at")[:30]
    walk_url = request.build_absolute_uri(reverse("logbook:round-walk", args=[template.pk]))
    context = {
        "template": template,
        "checkpoints": template.current_checkpoints(),
        "weekday_names": [str(label) for day, label in forms.WEEKDAYS if day in template.weekdays],
        "rounds": rounds,
        "walk_url": walk_url,
        "may_record": services.may_record(request.user, template.unit_id) and template.retired_on is None,
        "may_define": services.may_define_rounds(request.user, template.unit_id)
        and template.retired_on is None,
    }
    return render(request, "logbook/template_detail.html", context)


def _checkpoint_lines(template) -> str:
    def number(value):
        return "" if value is None else f"{value:g}"

    return "\n".join(
        f"{c.label} | {c.kind} | {c.unit_label} | {number(c.low)} | {number(c.high)}"
        for c in template.current_checkpoints()
    )


@page_view
def template_edit(request, pk):
    """Edit a round's checklist (the unit's admins), guarded by its version; the rounds already walked
    keep the readings they were judged against."""
    template = _template(request, pk)
    if not services.may_define_rounds(request.user, template.unit_id):
        raise PermissionDenied(_("Only the unit's system admins edit its rounds."))
    initial = {
        "unit": template.unit,
        "team": template.team,
        "name": template.name,
        "location": template.location,
        "weekdays": template.weekdays,
        "checkpoints": _checkpoint_lines(template),
        "version": template.version,
    }
    form = forms.TemplateForm(request.POST or None, user=request.user, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        saved = form_call(
            form,
            lambda: services.update_template(template, actor=request.user, expected_version=version, **data),
        )
        if saved is not None:
            return done(request, reverse("logbook:template-detail", args=[template.pk]), _("Saved."))
    return render(
        request,
        "web/form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": template.name},
            "cancel_url": reverse("logbook:template-detail", args=[template.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@page_view
def template_retire(request, pk):
    template = _template(request, pk)
    back = reverse("logbook:template-detail", args=[template.pk])
    version = request.POST.get("version", "")
    return act(
        request,
        back,
        lambda: services.retire_template(
            template, actor=request.user, expected_version=int(version) if version.isdigit() else None
        ),
        _("The round is retired."),
    )


@page_view
def template_qr(request, pk):
    """The QR code printed at the room or rack: it opens the round's page on a phone (log-in first)."""
    template = _template(request, pk)
    url = request.build_absolute_uri(reverse("logbook:round-walk", args=[template.pk]))
    svg = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12).save(svg)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")


@page_view
def round_walk(request, pk):
    """The round on a phone, where the equipment stands: one field per reading."""
    template = _template(request, pk)
    services.require_record(request.user, template.unit_id)
    form = forms.RoundForm(
        request.POST or None, template=template, initial={"occurred_at": timezone.localtime()}
    )
    if request.method == "POST" and form.is_valid():
        round_ = form_call(
            form,
            lambda: services.record_round(
                actor=request.user,
                template=template,
                occurred_at=form.cleaned_data["occurred_at"],
                performed_by=getattr(request.user, "person", None),
                readings=form.readings(),
                remarks=form.cleaned_data["remarks"],
                correction=form.cleaned_data["correction"],
            ),
        )
        if round_ is not None:
            return done(request, reverse("logbook:round-detail", args=[round_.pk]), _("Round recorded."))
    return render(request, "logbook/round_walk.html", {"template": template, "form": form})


@page_view
def round_detail(request, pk):
    round_ = get_object_or_404(
        scoping.visible(Round.objects.select_related("unit", "template", "performed_by"), request.user), pk=pk
    )
    context = {
        "round": round_,
        "readings": round_.readings.select_related("checkpoint", "incident", "problem"),
        "may_record": services.may_record(request.user, round_.unit_id),
        "attachments": services.attachments_of(round_),
        "month_url": _month_url(round_.unit, facts.month_of(round_.occurred_at)),
    }
    return render(request, "logbook/round_detail.html", context)


@require_POST
@page_view
def reading_escalate(request, pk):
    reading = get_object_or_404(scoping.visible(Reading.objects.select_related("round"), request.user), pk=pk)
    form = forms.EscalateForm(request.POST)
    return act(
        request,
        reverse("logbook:round-detail", args=[reading.round_id]),
        lambda: services.escalate_reading(reading, to=form.cleaned_data["to"], actor=request.user),
        _("Escalated."),
        form=form,
        invalid=_("Choose an incident or a problem."),
    )


# -- the monthly review ------------------------------------------------------------------------------


@page_view
def review(request, pk):
    unit = _unit(request, pk)
    month = _month(request)
    context = book.month_book(unit, month, request.user)
    review = context["review"]
    is_lead = services.is_lead_for(request.user, unit)
    context.update(
        {
            "is_lead": is_lead,
            "month_url": _month_url(unit, month),
            "may_record": services.may_record(request.user, unit.pk),
            "logs": [
                {
                    "code": log.value,
                    "label": log.label,
                    "confirmed_at": review.confirmed_at(log.value) if review else None,
                }
                for log in LogKind
            ],
            "findings": list(review.findings.select_related("rectification")) if review else [],
            "finding_form": forms.FindingForm(initial={"month": f"{month:%Y-%m}"}) if is_lead else None,
            "sign_form": forms.SignForm(initial={"month": f"{month:%Y-%m}"}) if is_lead else None,
            "rectify_form": forms.RectifyForm(unit=unit) if is_lead else None,
            "sign_refusal": services.sign_refusal(review)
            if review
            else _("Confirm each of the three logs first."),
            "corrections": services.corrections(review) if review else [],
            "events": review.events.all() if review else [],
        }
    )
    return render(request, "logbook/review.html", context)


def _review_act(request, unit, form, call, message, invalid):
    """A POST on the month's review: the month from the form (a malformed or future one refused, naming
    it), the review opened on first use and the act, in one transaction."""
    raw = request.POST.get("month", "")
    try:
        back = _review_url(unit, services.parse_month(raw))
    except errors.DomainError:
        back = reverse("logbook:review", args=[unit.pk])

    def run():
        month = services.parse_month(raw or None)
        with transaction.atomic():
            return call(services.open_review(unit, month, actor=request.user), form.cleaned_data)

    return act(request, back, run, message, form=form, invalid=invalid)


@require_POST
@page_view
def review_confirm(request, pk):
    unit = _unit(request, pk)
    return _review_act(
        request,
        unit,
        forms.ConfirmForm(request.POST),
        lambda review, data: services.confirm_log(review, data["log"], actor=request.user),
        _("Confirmed."),
        _("Choose one of the three logs."),
    )


@require_POST
@page_view
def review_finding(request, pk):
    unit = _unit(request, pk)
    return _review_act(
        request,
        unit,
        forms.FindingForm(request.POST),
        lambda review, data: services.add_finding(
            review, log=data["log"], text=data["text"], actor=request.user
        ),
        _("Finding recorded."),
        _("Choose the log and describe the finding."),
    )


@require_POST
@page_view
def review_sign(request, pk):
    unit = _unit(request, pk)
    return _review_act(
        request,
        unit,
        forms.SignForm(request.POST),
        lambda review, data: services.sign(
            review, actor=request.user, password=data["password"], otp=data["otp"]
        ),
        _("The month is signed."),
        _("Enter your password or a one-time code."),
    )


@require_POST
@page_view
def finding_rectify(request, pk):
    finding = get_object_or_404(
        scoping.visible(Finding.objects.select_related("review__unit"), request.user), pk=pk
    )
    unit = finding.review.unit
    form = forms.RectifyForm(request.POST, unit=unit)
    back = _review_url(unit, finding.review.month)
    if not form.is_valid():
        messages.error(request, _("Choose the owner and the deadline."))
        return done(request, back)
    try:
        rect = services.rectify(finding, actor=request.user, **form.cleaned_data)
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, back)
    return done(request, reverse("logbook:rectification-detail", args=[rect.pk]), _("Rectification created."))


# -- rectifications ---------------------------------------------------------------------------------


@page_view
def rectification_list(request):
    rows = scoping.visible(Rectification.objects.select_related("unit", "owner"), request.user)
    state = request.GET.get("state", "")
    if state in RectificationState.values:
        rows = rows.filter(state=state)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(title__icontains=q)
    page_obj, query = paginate(request, rows.order_by("deadline", "id"), 50)
    context = {
        "page_obj": page_obj,
        "query": query,
        "q": q,
        "state": state,
        "states": RectificationState.choices,
        "overdue_ids": set(rows.filter(services.overdue_q()).values_list("pk", flat=True)[:1000]),
    }
    return render(request, "logbook/rectification_list.html", context)


def _rect(request, pk) -> Rectification:
    queryset = Rectification.objects.select_related(
        "unit", "owner", "finding__review", "verified_by", "done_by"
    )
    return get_object_or_404(scoping.visible(queryset, request.user), pk=pk)


@page_view
def rectification_detail(request, pk):
    rect = _rect(request, pk)
    targets = services.allowed_targets(rect, request.user)
    context = {
        "rect": rect,
        "events": rect.events.all(),
        "targets": [
            {"to": to, "label": RectificationState(to).label, "needs_result": to == RectificationState.DONE}
            for to in targets
        ],
        "overdue": rect.pk
        in set(Rectification.objects.filter(services.overdue_q(), pk=rect.pk).values_list("pk", flat=True)),
        "review_url": _review_url(rect.unit, rect.finding.review.month),
    }
    return render(request, "logbook/rectification_detail.html", context)


@require_POST
@page_view
def rectification_transition(request, pk):
    rect = _rect(request, pk)
    to = request.POST.get("to", "")
    form = forms.TransitionForm(request.POST)
    return act(
        request,
        reverse("logbook:rectification-detail", args=[rect.pk]),
        lambda: services.transition(
            rect,
            to=to,
            actor=request.user,
            comment=form.cleaned_data["comment"],
            result=form.cleaned_data["result"],
        ),
        _("Saved."),
        form=form,
        invalid=_("Check the fields of the step."),
    )
