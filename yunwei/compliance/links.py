"""Where a finding's record lives: its page, by record type (findings link, never copy)."""

from django.urls import NoReverseMatch, reverse

DETAIL_ROUTES = {
    "incidents.incident": "incidents:incident-detail",
    "problems.problem": "problems:problem-detail",
    "changes.change": "changes:change-detail",
    "monitoring.indicator": "monitoring:indicator-detail",
    "org.unit": "org:unit-detail",
}


def record_url(object_type: str, object_id) -> str:
    if object_id is None:
        return ""
    if object_type == "audit.event":
        return reverse("audit:event-detail", kwargs={"seq": object_id})
    route = DETAIL_ROUTES.get(object_type)
    if route is None:
        return ""
    try:
        return reverse(route, kwargs={"pk": object_id})
    except NoReverseMatch:
        return ""
