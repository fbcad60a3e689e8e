"""The monthly report's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.reports import services

CASES: dict[str, tuple[str, str]] = {
    "api:reports:report-list": ("list", "report"),
    "api:reports:report-detail": ("get", "report"),
    "api:reports:report-generate": ("post", "report"),
    "api:reports:report-text": ("post", "report"),
    "api:reports:report-sign": ("post", "report"),
    "api:reports:report-correct": ("post", "report"),
    "api:reports:report-progress": ("get", "report"),
    "api:reports:report-download": ("get", "report"),
    "reports:archive": ("page-list", "report"),
    "reports:detail": ("page", "report"),
    "reports:progress": ("get", "report"),
    "reports:generate": ("page-post", "report"),
    "reports:text": ("page-post", "report"),
    "reports:sign": ("page-post", "report"),
    "reports:correct": ("page-post", "report"),
    "reports:download": ("get", "report"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:reports:api-root": "index of links",
    "api:reports:report-open": "names the unit in its body: another unit's is refused as missing, 400 naming "
    "unit (tests/reports/test_api.py)",
    "reports:open": "a form; other units are not among its choices (tests/reports/test_pages.py)",
    "reports:templates": "the group's template: group system admins only, 403 for anyone else "
    "(tests/reports/test_pages.py)",
}
DETAIL_PAGES: dict[str, str] = {"report": "reports:detail"}


def build_records(unit, actor) -> dict:
    """Last month's report of `unit`, opened as a draft (`actor` is a group admin). `fmt` names the file
    the download routes ask for."""
    report = services.open_report(
        unit, services.issued_last_month(type(unit).objects.none())["month"], actor=actor
    )
    report.fmt = "docx"
    return {"report": report}
