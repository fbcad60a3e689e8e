"""Pages of the monthly report (Art. 6): the archive, a report's page (figures, charts, the lead's text,
progress, generate, sign, downloads) and the group's template. Thin views over the scoped reports and
reports.services: another unit's report answers 404 for every method."""

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yunwei.core import errors, scoping
from yunwei.core.pages import act, done, form_call, page_view, paginate
from yunwei.org.models import Unit

from . import build, forms, services
from .api import file_response
from .choices import EDITABLE_STATES, Format, State
from .document import Chart, Paragraph, Table
from .models import Report, ReportTemplate

ARCHIVE_PAGE = 50


def _reports(user):
    return scoping.visible(Report.objects.select_related("unit"), user)


def _report(request, pk) -> Report:
    return get_object_or_404(_reports(request.user), pk=pk)


def _open_form(request, data=None):
    units = scoping.visible(Unit.objects.filter(is_active=True), request.user).order_by("kind", "code")
    units = [unit for unit in units if services.may_handle(request.user, unit)]
    initial = {"month": f"{services.logbook.facts.first_of(timezone.localdate()):%Y-%m}"}
    return forms.OpenForm(data, units=units, group=services.may_handle(request.user, None), initial=initial)


@page_view
def archive(request, form=None, status=200):
    """Every month and unit the reader may see, newest first, a bounded page at a time."""
    rows = _reports(request.user).order_by("-month", "unit_id", "-edition")
    unit = request.GET.get("unit", "")
    if unit == "group":
        rows = rows.filter(unit__isnull=True)
    elif unit.isdigit() and len(unit) < 10:
        rows = rows.filter(unit_id=int(unit))
    month = request.GET.get("month", "")
    if month:
        try:
            rows = rows.filter(month=services.parse_month(month))
        except errors.DomainError as exc:
            messages.error(request, exc.message)
            status = 400
    page, query = paginate(request, rows, ARCHIVE_PAGE)
    context = {
        "page_obj": page,
        "query": query,
        "form": form or _open_form(request),
        "units": scoping.visible(Unit.objects.all(), request.user).order_by("kind", "code"),
        "sees_group": services.may_handle(request.user, None),
        "unit_filter": unit,
        "month_filter": month,
    }
    return render(request, "reports/archive.html", context, status=status)


@require_POST
@page_view
def open_page(request):
    """Open (or find) the month's report of a unit or of the group, then show it."""
    form = _open_form(request, request.POST)
    if not form.is_valid():
        return archive(request, form=form, status=400)
    raw = form.cleaned_data["unit"]
    unit = (
        None
        if raw == forms.GROUP
        else get_object_or_404(scoping.visible(Unit.objects.all(), request.user), pk=raw)
    )
    report = form_call(
        form, lambda: services.open_report(unit, form.cleaned_data["month"], actor=request.user)
    )
    if report is None:
        return archive(request, form=form, status=400)
    return done(request, reverse("reports:detail", args=[report.pk]))


def _chart_options(charts: list[Chart]) -> dict[str, str]:
    try:
        render = services._renderers()
    except ImportError:  # the renderers are not installed: the page shows the tables alone
        return {}
    return {chart.key: json.dumps(render.chart_option(chart), ensure_ascii=False) for chart in charts}


def _blocks(section, options, prefix=""):
    """A section of the document as the page shows it: numbered, blocks tagged by kind."""
    entries = []
    for block in section.blocks:
        if isinstance(block, Paragraph):
            entries.append({"kind": "paragraph", "block": block})
        elif isinstance(block, Table):
            entries.append({"kind": "table", "block": block})
        elif isinstance(block, Chart):
            entries.append({"kind": "chart", "block": block, "option": options.get(block.key, "")})
    return {
        "title": section.title,
        "number": prefix,
        "blocks": entries,
        "sections": [
            _blocks(sub, options, f"{prefix}.{n}") for n, sub in enumerate(section.sections, start=1)
        ],
    }


@page_view
def detail(request, pk, text_form=None, sign_form=None, status=200):
    report = _report(request, pk)
    document = build.document(report, language=request.LANGUAGE_CODE) if report.figures else None
    sections = []
    if document is not None:
        options = _chart_options(build.charts(report.figures))
        sections = [
            _blocks(section, options, str(n)) for n, section in enumerate(document.sections[:-2], start=1)
        ]
    is_lead = services.is_lead_for(request.user, report.unit)
    editions = Report.objects.filter(unit=report.unit_id, month=report.month).order_by("-edition")
    context = {
        "report": report,
        "sections": sections,
        "is_lead": is_lead,
        "may_generate": services.may_handle(request.user, report.unit) and not report.is_frozen,
        "may_edit": is_lead and report.state in EDITABLE_STATES,
        "may_correct": is_lead and report.state == State.SIGNED and editions[0].pk == report.pk,
        "sign_refusal": services.sign_refusal(report),
        "text_form": text_form
        or forms.TextForm(
            initial={"analysis": report.analysis, "plan": report.plan, "version": report.version}
        ),
        "sign_form": sign_form or forms.SignForm(initial={"version": report.version}),
        "formats": list(Format),
        "has_files": report.state in (State.READY, State.SIGNED, State.SUPERSEDED) and bool(report.figures),
        "editions": editions,
        "events": report.events.all(),
        "generating": report.state == State.GENERATING,
    }
    return render(request, "reports/detail.html", context, status=status)


@page_view
def progress(request, pk):
    """The small JSON the page polls while the report is generated."""
    report = _report(request, pk)
    return JsonResponse(
        {
            "state": report.state,
            "state_label": str(State(report.state).label),
            "progress": report.progress,
            "step": report.step,
            "failure": report.failure,
        }
    )


@require_POST
@page_view
def generate(request, pk):
    report = _report(request, pk)
    url = reverse("reports:detail", args=[report.pk])
    return act(
        request, url, lambda: services.request_generation(report, actor=request.user), _("Generation queued.")
    )


@require_POST
@page_view
def text(request, pk):
    report = _report(request, pk)
    form = forms.TextForm(request.POST)
    if form.is_valid():
        saved = form_call(
            form,
            lambda: services.save_text(
                report,
                actor=request.user,
                analysis=form.cleaned_data["analysis"],
                plan=form.cleaned_data["plan"],
                expected_version=form.cleaned_data["version"],
            ),
        )
        if saved is not None:
            return done(request, reverse("reports:detail", args=[report.pk]), _("Saved."))
    return detail(request, pk, text_form=form, status=400)


@require_POST
@page_view
def sign(request, pk):
    report = _report(request, pk)
    form = forms.SignForm(request.POST)
    if form.is_valid():
        signed = form_call(
            form,
            lambda: services.sign(
                report,
                actor=request.user,
                password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"],
                expected_version=form.cleaned_data["version"],
            ),
        )
        if signed is not None:
            return done(
                request, reverse("reports:detail", args=[report.pk]), _("Signed: the report is frozen.")
            )
    return detail(request, pk, sign_form=form, status=400)


@require_POST
@page_view
def correct(request, pk):
    report = _report(request, pk)
    url = reverse("reports:detail", args=[report.pk])
    try:
        correction = services.correct(report, actor=request.user)
    except errors.PermissionDenied:
        raise
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return done(request, url)
    return done(request, reverse("reports:detail", args=[correction.pk]), _("A new version is open."))


@page_view
def download(request, pk, fmt):
    report = _report(request, pk)
    if fmt not in Format.values:
        raise Http404
    try:
        return file_response(services.file_of(report, fmt))
    except errors.DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("reports:detail", args=[report.pk]))


@page_view
def templates(request):
    """The group's Word template for the reports: group system admins upload it; it is checked first."""
    if not request.user.access.is_group_admin:
        raise errors.PermissionDenied(_("Only a group system admin uploads the report template."))
    form = forms.TemplateForm()
    status = 200
    if request.method == "POST":
        form = forms.TemplateForm(request.POST, request.FILES)
        if form.is_valid():
            kept = form_call(
                form, lambda: services.upload_template(form.cleaned_data["file"], actor=request.user)
            )
            if kept is not None:
                return done(
                    request, reverse("reports:templates"), _("The template is kept and used from now on.")
                )
        status = 400
    context = {"form": form, "templates": ReportTemplate.objects.order_by("-uploaded_at", "-id")[:20]}
    return render(request, "reports/templates.html", context, status=status)
