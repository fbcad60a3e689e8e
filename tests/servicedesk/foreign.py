"""The service desk's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.org.choices import Role
from yunwei.servicedesk import services
from yunwei.servicedesk.fields import Upload
from yunwei.servicedesk.models import RequestType

from ..conftest import make_user

CASES: dict[str, tuple[str, str]] = {
    "api:servicedesk:request-list": ("list", "service_request"),
    "api:servicedesk:request-detail": ("get", "service_request"),
    "api:servicedesk:request-transition": ("post", "service_request"),
    "api:servicedesk:request-approve": ("post", "service_request"),
    "api:servicedesk:request-carry-out": ("post", "service_request"),
    "api:servicedesk:request-reply": ("post", "service_request"),
    "api:servicedesk:request-note": ("post", "service_request"),
    "api:servicedesk:request-rate": ("post", "service_request"),
    "api:servicedesk:request-assign": ("post", "service_request"),
    "api:servicedesk:request-make-incident": ("post", "service_request"),
    "api:servicedesk:request-make-change": ("post", "service_request"),
    "api:servicedesk:request-known-error": ("post", "service_request"),
    "api:servicedesk:template-list": ("list", "reply_template"),
    "api:servicedesk:template-detail": ("detail", "reply_template"),
    "servicedesk:portal": ("page-list", "service_request"),
    "servicedesk:request-list": ("page-list", "service_request"),
    "servicedesk:queue": ("page-list", "service_request"),
    "servicedesk:figures": ("page-list", "service_request"),
    "servicedesk:request-detail": ("page", "service_request"),
    "servicedesk:request-transition": ("page-post", "service_request"),
    "servicedesk:request-approve": ("page-post", "service_request"),
    "servicedesk:request-carry-out": ("page-post", "service_request"),
    "servicedesk:request-reply": ("page-post", "service_request"),
    "servicedesk:request-note": ("page-post", "service_request"),
    "servicedesk:request-rate": ("page-post", "service_request"),
    "servicedesk:request-assign": ("page-post", "service_request"),
    "servicedesk:request-incident": ("page-post", "service_request"),
    "servicedesk:request-change": ("page-post", "service_request"),
    "servicedesk:request-known-error": ("page-post", "service_request"),
    "servicedesk:attachment": ("get", "attachment"),
    "servicedesk:template-list": ("page-list", "reply_template"),
    "servicedesk:template-delete": ("page-post", "reply_template"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:servicedesk:request-bulk-assign": "names requests in its body; another unit's is refused as missing "
    "(tests/servicedesk/test_api.py::test_bulk_assign_naming_another_units_request_is_refused_whole)",
    "api:servicedesk:request-figures": "counts of the caller's own units only "
    "(tests/servicedesk/test_api.py::test_figures_show_only_the_callers_units)",
    "servicedesk:bulk-assign": "names requests in its body; another unit's is refused as missing "
    "(tests/servicedesk/test_pages.py::test_bulk_assign_on_the_queue_refuses_another_units_request)",
    "api:servicedesk:type-list": "the group's catalogue of request types, the same for every unit",
    "api:servicedesk:type-detail": "the group's catalogue of request types, the same for every unit",
    "servicedesk:type-list": "the group's catalogue of request types, the same for every unit",
    "servicedesk:type-create": "the group's catalogue: group admins only (tests/servicedesk/test_pages.py)",
    "servicedesk:type-edit": "the group's catalogue: group admins only (tests/servicedesk/test_pages.py)",
    "servicedesk:request-create": "a form of a type of the group's catalogue; the request is made in "
    "the maker's own unit",
    "api:servicedesk:calendar-list": "the group's calendar, or a unit's by ?unit=, a 404 for another "
    "unit (tests/servicedesk/test_api.py::test_another_units_calendar_is_a_404)",
    "api:servicedesk:calendar-import-days": "the group's calendar (group admins) or a unit's by unit=, a 404 "
    "for another unit (tests/servicedesk/test_api.py::test_another_units_calendar_is_a_404)",
    "servicedesk:calendar": "the group's calendar, or a unit's by ?unit=, a 404 for another unit "
    "(tests/servicedesk/test_pages.py::test_another_units_calendar_is_a_404)",
    "servicedesk:calendar-import": "as servicedesk:calendar (tests/servicedesk/test_pages.py)",
    "servicedesk:calendar-day": "as servicedesk:calendar (tests/servicedesk/test_pages.py)",
}
DETAIL_PAGES: dict[str, str] = {
    "service_request": "servicedesk:request-detail",
    "reply_template": "servicedesk:template-delete",
}


def build_records(unit, actor) -> dict:
    """A support request of a user of `unit` with an attachment, and a reply template of the unit."""
    requester = make_user(f"{unit.code}-desk-user", unit, Role.USER)
    request = services.submit(
        actor=requester,
        request_type=RequestType.objects.get(code="support"),
        title="甲机密求助",
        files={"screenshot": Upload("jia.png", "image/png", b"\x89PNG secret")},
    )
    template = services.create_template(actor=actor, unit=unit, name="甲机密模板", body="{title}")
    return {"service_request": request, "attachment": request.attachments.get(), "reply_template": template}
