"""The incidents app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from django.utils import timezone

from yunwei.cmdb import services as cmdb
from yunwei.cmdb.models import Item, ItemType
from yunwei.incidents import services, signals
from yunwei.incidents.models import Drill, EmergencyPlan

CASES: dict[str, tuple[str, str]] = {
    "api:incidents:incident-list": ("list", "incident"),
    "api:incidents:incident-detail": ("detail", "incident"),
    "api:incidents:incident-transition": ("post", "incident"),
    "api:incidents:incident-tick": ("post", "incident"),
    "api:incidents:incident-grade": ("post", "incident"),
    "api:incidents:incident-grade-proposal": ("post", "incident"),
    "api:incidents:incident-grade-decision": ("post", "incident"),
    "api:incidents:incident-notice": ("post", "incident"),
    "api:incidents:incident-activate-plan": ("post", "incident"),
    "api:incidents:incident-replace-plan": ("post", "incident"),
    "api:incidents:incident-escalate": ("post", "incident"),
    "api:incidents:incident-arrival": ("post", "incident"),
    "api:incidents:incident-assign": ("post", "incident"),
    "api:incidents:incident-signals": ("get", "incident"),
    "api:incidents:signal-list": ("list", "signal"),
    "api:incidents:signal-detail": ("get", "signal"),
    "api:incidents:drill-list": ("list", "drill"),
    "api:incidents:drill-detail": ("detail", "drill"),
    "incidents:incident-list": ("page-list", "incident"),
    "incidents:duty": ("page-list", "incident"),
    "incidents:incident-detail": ("get", "incident"),
    "incidents:incident-transition": ("page-post", "incident"),
    "incidents:incident-tick": ("page-post", "incident"),
    "incidents:incident-plan": ("page-post", "incident"),
    "incidents:incident-replace-plan": ("page-post", "incident"),
    "incidents:incident-notice": ("page-post", "incident"),
    "incidents:incident-escalate": ("page-post", "incident"),
    "incidents:incident-grade": ("page-post", "incident"),
    "incidents:incident-assign": ("page-post", "incident"),
    "incidents:incident-grade-proposal": ("page-post", "incident"),
    "incidents:incident-grade-decision": ("page-post", "incident"),
    "incidents:drill-list": ("page-list", "drill"),
    "incidents:drill-detail": ("page", "drill"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:incidents:plan-list": "the group's emergency plans, shared by every unit",
    "api:incidents:plan-detail": "the group's emergency plans, shared by every unit (writes: group admins)",
    "api:incidents:gradingrule-list": "the group's grading matrix, shared by every unit",
    "api:incidents:gradingrule-detail": "the group's grading matrix (writes: group admins)",
    "api:incidents:slatarget-list": "the group's SLA targets, shared by every unit",
    "api:incidents:slatarget-detail": "the group's SLA targets (writes: group admins)",
    "api:incidents:correlation-settings": "the group's correlation settings, shared by every unit "
    "(writes: group admins, tested in tests/incidents/test_signals_api.py)",
    "incidents:correlation-settings": "the group's correlation settings, shared by every unit (writes: group "
    "admins)",
    "incidents:report": "a form; only the units the caller may report for, and their applications, are "
    "among its choices",
    "incidents:drill-create": "a form; other units and their people are not among its choices",
    "incidents:plan-list": "the group's emergency plans, shared by every unit",
    "incidents:plan-detail": "a shared plan; its drill history lists only visible drills (tests/incidents)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {"incident": "incidents:incident-detail", "drill": "incidents:drill-detail"}


def build_records(unit, actor) -> dict:
    """One record of each kind in `unit`, created through the services."""
    incident = services.report(actor=actor, unit=unit, title="甲机密故障", impact_scope="one_unit")
    plan = EmergencyPlan.objects.filter(code="foreign-plan").first() or services.create(
        EmergencyPlan,
        actor=actor,
        code="foreign-plan",
        title="甲演练预案",
        grade="III",
        cause_category="network",
        steps=[{"text": "检查链路"}],
    )
    drill = services.create(
        Drill,
        actor=actor,
        unit=unit,
        plan=plan,
        scheduled_for=timezone.now() + datetime.timedelta(days=7),
        findings="甲机密演练",
    )
    server = cmdb.create(
        Item,
        actor=actor,
        unit=unit,
        type=ItemType.objects.get(code="server"),
        code="SIG-SRV",
        name="甲机密监控服务器",
        attributes={},
    )
    signal = signals.fire(source="check", key=f"foreign:{unit.pk}", item=server, summary="甲机密告警")
    return {"incident": incident, "drill": drill, "signal": signal}
