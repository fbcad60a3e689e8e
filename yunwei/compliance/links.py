"""Where a finding's record lives: its page, by record type (findings link, never copy)."""

from django.urls import NoReverseMatch, reverse

DETAIL_ROUTES = {
    "incidents.incident": "incidents:incident-detail",
    "problems.problem": "problems:problem-detail",
    "changes.change": "changes:change-detail",
    "monitoring.indicator": "monitoring:indicator-detail",
    "org.unit": "org:unit-detail",
    "monitoring.heartbeat": "monitoring:heartbeat-detail",
    "logbook.drill": "logbook:drill-edit",
}
# The log books' month pages, keyed by the unit, for the month of the finding.
MONTH_ROUTES = {"logbook.review": "logbook:review", "logbook.month": "logbook:month"}


def record_url(object_type: str, object_id, month: str = "") -> str:
    if object_id is None:
        return ""
    if object_type in MONTH_ROUTES:
        url = reverse(MONTH_ROUTES[object_type], kwargs={"pk": object_id})
        return f"{url}?month={month}" if month else url
    if object_type == "audit.event":
        return reverse("audit:event-detail", kwargs={"seq": object_id})
    route = DETAIL_ROUTES.get(object_type)
    if route is None:
        return ""
    try:
        return reverse(route, kwargs={"pk": object_id})
    except NoReverseMatch:
        return ""
