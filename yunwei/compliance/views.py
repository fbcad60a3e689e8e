"""Pages of compliance, under /compliance/: the month's scores per unit and article, a page per article
(its text, how the product enforces it, the month's results and findings per unit), the "not
applicable" requests, and the runs with their progress."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from yunwei.core import scoping
from yunwei.core.errors import DomainError
from yunwei.core.pages import act, done, form_call, page_view
from yunwei.logbook import services as logbook
from yunwei.logbook.forms import RectifyForm
from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit

from . import registry, scores, services
from .articles import all_articles, enforcement
from .choices import CarriedBy, ExemptionState, RunState
from .links import record_url
from .models import ComplianceRun, Exemption, Finding, Result

TREND_MONTHS = 6
# Findings listed per result on an article's page; the rest are counted (the API lists the kept ones).
FINDINGS_SHOWN = 10


def _month(request) -> tuple[str, str]:
    """The month asked for (YYYY-MM, not in the future) and the error naming `month` when it is bad."""
    raw = request.GET.get("month") or request.POST.get("month")
    if not raw:
        return services.this_month(), ""
    try:
        return services.parse_month(raw), ""
    except DomainError as exc:
        return services.this_month(), f"month: {exc.message}"


def _units(user):
    return list(scoping.visible(Unit.objects.filter(is_active=True), user).order_by("kind", "code"))


def _latest_run(user, units):
    runs = ComplianceRun.objects.filter(Q(unit__isnull=True) | Q(unit__in=units)).select_related("unit")
    return runs.first()


@page_view
def overview(request):
    month, error = _month(request)
    units = _units(request.user)
    months = services.months_back(month, TREND_MONTHS)
    table = scores.score_table(units, months)
    articles = registry.articles()
    rows = [
        {
            "unit": unit,
            "total": table.get((unit.pk, month, None), scores.Score()),
            "articles": [table.get((unit.pk, month, number), scores.Score()) for number in articles],
            "trend": [(m, table.get((unit.pk, m, None), scores.Score())) for m in months],
        }
        for unit in units
    ]
    context = {
        "month": month,
        "previous": services.previous_month(month),
        "next": _next_month(month),
        "error": error,
        "rows": rows,
        "articles": [(number, all_articles()[number]) for number in articles],
        "all_articles": all_articles().values(),
        "run": (run := _latest_run(request.user, units)),
        # A run still going is followed on the page: its partial asks for its progress every 2 s.
        "polling": run is not None and run.state in (RunState.QUEUED, RunState.RUNNING),
        "can_run_all": services.may_run(request.user, None),
        "run_units": [u for u in units if services.may_run(request.user, u)],
        "months": months,
    }
    return render(request, "compliance/overview.html", context, status=400 if error else 200)


def _next_month(month: str) -> str | None:
    year, number = int(month[:4]), int(month[5:])
    following = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return following if following <= services.this_month() else None


@page_view
def article(request, number: int):
    articles = all_articles()
    if number not in articles:
        raise Http404
    month, error = _month(request)
    user = request.user
    units = _units(user)
    groups = {u.pk if u.kind == UnitKind.GROUP else u.parent_id for u in units} - {None}
    visible_ids = {u.pk for u in units}
    results = (
        Result.objects.filter(article=number, month=month)
        .filter(Q(unit__in=units) | Q(unit__in=groups, carried_by=CarriedBy.GROUP))
        .select_related("unit__parent")
        .prefetch_related(
            Prefetch("findings", queryset=Finding.objects.select_related("rectification").order_by("id")),
            Prefetch(
                "exemptions",
                queryset=Exemption.objects.filter(
                    state__in=(ExemptionState.REQUESTED, ExemptionState.APPROVED)
                ).select_related("requested_by", "decided_by"),
                to_attr="live_exemptions",
            ),
        )
        .order_by("duty", "unit__code")
    )
    by_duty = {}
    lead_of: dict[int, bool] = {}  # whether the reader leads each unit's months (asked once a unit)
    for result in results:
        result.visible_findings = (
            [
                (f, record_url(f.object_type, f.object_id, month))
                for f in result.findings.all()[:FINDINGS_SHOWN]
            ]
            if result.unit_id in visible_ids
            else []
        )
        result.findings_hidden = result.unit_id not in visible_ids and result.failing
        if result.unit_id not in lead_of:
            lead_of[result.unit_id] = result.unit_id in visible_ids and logbook.is_lead_for(user, result.unit)
        result.can_rectify = lead_of[result.unit_id]
        result.exemption = result.live_exemptions[0] if result.live_exemptions else None
        result.can_request = result.exemption is None and services.may_request(user, result)
        result.can_decide = (
            result.exemption is not None
            and result.exemption.state == ExemptionState.REQUESTED
            and not services.decide_refusal(user, result.exemption)
        )
        by_duty.setdefault(result.duty, []).append(result)
    table = scores.score_table(units, [month])
    context = {
        "article": articles[number],
        "number": number,
        "month": month,
        "error": error,
        "enforcement": enforcement().get(number, []),
        "duties": [(duty, by_duty.get(duty.code, [])) for duty in registry.duties_of(number)],
        "unit_scores": [(unit, table.get((unit.pk, month, number), scores.Score())) for unit in units],
        "judged": number in registry.articles(),
        "all_articles": articles.values(),
    }
    return render(request, "compliance/article.html", context, status=400 if error else 200)


def _article_url(result: Result) -> str:
    return f"{reverse('compliance:article', kwargs={'number': result.article})}?month={result.month}"


@page_view
def exempt(request, pk: int):
    if request.method != "POST":
        raise Http404
    result = get_object_or_404(scoping.visible(Result.objects.all(), request.user), pk=pk)
    return act(
        request,
        _article_url(result),
        lambda: services.request_exemption(result, actor=request.user, reason=request.POST.get("reason", "")),
        _("“Not applicable” asked for; a group system admin decides."),
    )


@page_view
def decide(request, pk: int):
    if request.method != "POST":
        raise Http404
    exemption = get_object_or_404(
        scoping.visible(Exemption.objects.select_related("result"), request.user), pk=pk
    )
    approve = request.POST.get("decision") == "approve"
    return act(
        request,
        _next_or(request, _article_url(exemption.result)),
        lambda: services.decide_exemption(
            exemption, actor=request.user, approve=approve, note=request.POST.get("note", "")
        ),
        _("“Not applicable” approved.") if approve else _("“Not applicable” refused."),
    )


def _next_or(request, default: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


@page_view
def exemption_list(request):
    exemptions = scoping.visible(
        Exemption.objects.select_related("result__unit", "requested_by", "decided_by"), request.user
    )
    state = request.GET.get("state", "")
    if state in ExemptionState.values:
        exemptions = exemptions.filter(state=state)
    rows = list(exemptions[:200])
    for exemption in rows:
        exemption.duty = registry.BY_CODE.get(exemption.result.duty)
        exemption.can_decide = exemption.state == ExemptionState.REQUESTED and not services.decide_refusal(
            request.user, exemption
        )
    return render(
        request,
        "compliance/exemptions.html",
        {"exemptions": rows, "state": state, "states": ExemptionState.choices},
    )


@page_view
def run_all(request):
    if request.method != "POST":
        raise Http404
    month = request.POST.get("month", "")
    return act(
        request,
        _overview_url(month),
        lambda: services.start_run(month, actor=request.user),
        _("Judging started."),
    )


@page_view
def run_unit(request, pk: int):
    if request.method != "POST":
        raise Http404
    unit = get_object_or_404(scoping.visible(Unit.objects.all(), request.user), pk=pk)
    month = request.POST.get("month", "")
    return act(
        request,
        _overview_url(month),
        lambda: services.start_run(month, actor=request.user, unit=unit),
        _("Judging started."),
    )


def _overview_url(month: str) -> str:
    url = reverse("compliance:overview")
    try:
        return f"{url}?month={services.parse_month(month)}"
    except DomainError:
        return url


@page_view
def run_detail(request, pk: int):
    units = _units(request.user)
    runs = ComplianceRun.objects.filter(Q(unit__isnull=True) | Q(unit__in=units)).select_related("unit")
    run = get_object_or_404(runs, pk=pk)
    return render(
        request,
        "compliance/partials/run.html",
        {"run": run, "polling": run.state in (RunState.QUEUED, RunState.RUNNING)},
    )


@page_view
def finding_rectify(request, pk: int):
    """A finding becomes a rectification in one step: the form comes prefilled (the unit's system admin,
    a deadline in two weeks); saved, the article's page shows the finding with its rectification."""
    finding = get_object_or_404(
        scoping.visible(Finding.objects.select_related("result__unit", "rectification"), request.user), pk=pk
    )
    result = finding.result
    back = _article_url(result)
    if not services.may_rectify(request.user, finding):
        raise PermissionDenied(_("Only a system management lead reviews and signs a month (Art. 5)."))
    initial = {
        "title": f"{finding.label}: {finding.detail}"[:200],
        "owner": services.default_owner(result.unit),
    }
    form = RectifyForm(request.POST or None, unit=result.unit, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            rect = form_call(
                form,
                lambda: services.rectify_finding(finding, actor=request.user, **form.cleaned_data),
            )
            if rect is not None:
                return done(request, back, _("Rectification %(code)s created.") % {"code": rect.code})
        status = 400
    context = {
        "form": form,
        "finding": finding,
        "result": result,
        "duty": registry.BY_CODE.get(result.duty),
        "title": _("Make a rectification"),
        "cancel_url": back,
    }
    return render(request, "compliance/finding_rectify.html", context, status=status)
