"""The compliance app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.compliance import services
from yunwei.compliance.models import ComplianceRun

CASES: dict[str, tuple[str, str]] = {
    "api:compliance:result-list": ("list", "result"),
    "api:compliance:result-detail": ("get", "result"),
    "api:compliance:result-exempt": ("post", "result"),
    "api:compliance:exemption-list": ("list", "exemption"),
    "api:compliance:exemption-detail": ("get", "exemption"),
    "api:compliance:exemption-decide": ("post", "exemption"),
    "api:compliance:run-list": ("list", "run"),
    "api:compliance:run-detail": ("get", "run"),
    "api:compliance:score-list": ("list", "unit"),
    "compliance:overview": ("page-list", "unit"),
    "compliance:article": ("page-list", "unit"),
    "compliance:exemption-list": ("page-list", "unit"),
    "compliance:result-exempt": ("page-post", "result"),
    "compliance:exemption-decide": ("page-post", "exemption"),
    "compliance:unit-run": ("page-post", "unit"),
    "compliance:run-detail": ("get", "run"),
    "compliance:finding-rectify": ("get", "finding"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:compliance:api-root": "index of links",
    "compliance:run-all": "judges every unit; a group admin's or the group's staff's act, 403 for anyone "
    "else (tests/compliance/test_pages.py)",
}
DETAIL_PAGES: dict[str, str] = {}


def build_records(unit, actor) -> dict:
    """A judged result of `unit` (Art. 10, this month: nobody named, so findings) with a "not applicable"
    asked for, and a run of the unit."""
    month = services.this_month()
    result = services.judge(services.registry.BY_CODE["art10-people"], month, [unit])[0]
    exemption = services.request_exemption(result, actor=actor, reason="甲单位本月组织调整")
    run = ComplianceRun.objects.create(month=month, unit=unit, requested_by=actor, steps_total=9)
    return {"result": result, "exemption": exemption, "run": run, "finding": result.findings.first()}
