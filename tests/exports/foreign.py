"""The foreign-unit cases of the exports, bulk actions and saved filters (issue 25), merged into
tests/test_foreign_unit.py. Kinds: page-export (a list's .xlsx: no row of the record in it), bulk (the
record's number posted: refused as not found, nothing changed)."""

from yunwei.core import saved_filters

CASES: dict[str, tuple[str, str]] = {
    "incidents:incident-export": ("page-export", "incident"),
    "incidents:incident-bulk": ("bulk", "incident"),
    "incidents:incident-report-docx": ("get", "incident"),
    "problems:problem-export": ("page-export", "problem"),
    "problems:problem-bulk": ("bulk", "problem"),
    "changes:change-export": ("page-export", "change"),
    "changes:change-bulk": ("bulk", "change"),
    "audit:event-export": ("page-export", "event"),
    # Another person's saved filter is a 404 like another unit's record (tests/exports/test_saved_filters.py).
    "web:saved-filter-delete": ("page-post", "saved_filter"),
    # A person of unit A's background export: its page, state and file are nobody else's (404).
    "web:export-job": ("get", "export_job"),
    "web:export-job-status": ("get", "export_job"),
    "web:export-job-download": ("get", "export_job"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "web:favicon": "the site's icon, no data",
    "web:saved-filter-save": "saves the caller's own filters; the rows a saved filter shows are scoped when "
    "it is used (tests/exports/test_saved_filters.py)",
}
DETAIL_PAGES: dict[str, str] = {}


def build_records(unit, actor) -> dict:
    saved = saved_filters.save(
        owner=actor, list_name="incidents:incident-list", name="甲机密筛选", query=f"unit={unit.pk}"
    )
    from yunwei.org.choices import Role
    from yunwei.web import export_jobs

    from ..conftest import make_user

    exporter = make_user("a-exporter", unit, Role.UNIT_ADMIN)
    job = export_jobs.start(kind="incidents", actor=exporter, query="")
    return {"saved_filter": saved, "export_job": job}
