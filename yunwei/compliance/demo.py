"""Demo compliance history (every article): six months judged from the demo's own records, as the
nightly runs would have judged them, with their findings, and one "not applicable" asked for by the
chemical company's admin and approved by the group system admin; one finding of last month turned into
a rectification by the system management lead (a backup gap of Art. 9 where there is one). Loaded last."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.org.models import RoleAssignment, Unit

from . import judging, registry, services
from .choices import RunKind, RunState
from .models import ComplianceRun, Finding, Result
from .months import bounds, months_back, this_month

MONTHS = 6


def load(stdout=None) -> dict:
    now = timezone.now()
    months = months_back(this_month(now), MONTHS)
    # The demo organisation stood before the history began (it is loaded at once, today): its people held
    # their roles through the six months, as Art. 10 is judged month by month.
    RoleAssignment.objects.filter(assigned_at__gte=bounds(months[0])[0]).update(
        assigned_at=bounds(months[0])[0]
    )
    units = list(Unit.objects.filter(is_active=True).order_by("pk"))
    runs = []
    for month in months:
        run = ComplianceRun.objects.create(
            kind=RunKind.NIGHTLY,
            month=month,
            day=min(bounds(month)[1], now).date(),
            state=RunState.DONE,
            steps_total=len(registry.DUTIES),
            steps_done=len(registry.DUTIES),
            started_at=now,
            finished_at=now,
        )
        for duty in registry.DUTIES:
            judging.judge(duty, month, units, now=now, run=run)
        runs.append(run)
    User = get_user_model()
    exempted = Result.objects.get(unit__code="chem", duty="art10-people", month=months[-2])
    exemption = services.request_exemption(
        exempted,
        actor=User.objects.get(username="chem-admin"),
        reason="化工公司文书岗位当月由办公室主任兼任，已报集团综合办公室备案。",
    )
    exemption = services.decide_exemption(exemption, actor=User.objects.get(username="admin"), approve=True)
    lead = User.objects.get(username="lead")
    last = Finding.objects.filter(result__month=months[-2]).select_related("result__unit")
    finding = last.filter(result__article=9).order_by("id").first() or last.order_by("id").first()
    rectification = None
    if finding is not None:
        owner = services.default_owner(finding.result.unit) or lead.person
        rectification = services.rectify_finding(
            finding, actor=lead, owner=owner, deadline=timezone.localdate() + datetime.timedelta(days=14)
        )
    if stdout is not None:
        stdout.write(f"Compliance: {len(months)} months judged, {Result.objects.count()} results.")
    return {"runs": runs, "exemption": exemption, "months": months, "rectification": rectification}
