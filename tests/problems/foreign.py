"""The problems app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from django.utils import timezone

from yunwei.org.choices import Role
from yunwei.problems import services

from ..conftest import make_user

CASES: dict[str, tuple[str, str]] = {
    "api:problems:problem-list": ("list", "problem"),
    "api:problems:problem-detail": ("detail", "problem"),
    "api:problems:problem-transition": ("post", "problem"),
    "api:problems:problem-steps": ("post", "problem"),
    "api:problems:problem-tick": ("post", "problem"),
    "api:problems:problem-link-incident": ("post", "problem"),
    "api:problems:problem-publish-workaround": ("post", "problem"),
    "api:problems:problem-known-errors": ("list", "known_error"),
    "problems:problem-list": ("page-list", "problem"),
    "problems:archive": ("page-list", "archived_problem"),
    "problems:log": ("page-list", "problem"),
    "problems:problem-detail": ("page", "problem"),
    "problems:problem-edit": ("page", "problem"),
    "problems:problem-transition": ("page-post", "problem"),
    "problems:problem-step": ("page-post", "problem"),
    "problems:problem-tick": ("page-post", "problem"),
    "problems:problem-link": ("page-post", "problem"),
    "problems:problem-publish": ("page-post", "problem"),
    # Closing an incident with its problem (Art. 14) names the incident: another unit's is a 404.
    "api:problems:problem-close-incident": ("post", "incident"),
    "problems:incident-close": ("page-post", "incident"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:problems:problem-log": "an .xlsx of the visible problems' events (tests/problems/test_log.py)",
    "problems:problem-create": "a form; another unit's ?incident= answers 404 (tests/problems/test_pages.py)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {
    "problem": "problems:problem-detail",
    "archived_problem": "problems:problem-detail",
    "known_error": "problems:problem-detail",
}


def build_records(unit, actor) -> dict:
    """One record of each kind in `unit`, created through the services: an active problem that is a known
    error, and an archived one (`actor` is a group admin; the owner is a person of the unit)."""
    problem = services.register(actor=actor, unit=unit, title="甲机密隐患", workaround="甲机密绕行办法")
    problem = services.publish_workaround(problem, actor=actor)
    owner = make_user(f"{unit.code}-problem-owner", unit, Role.TECH_STAFF)
    archived = services.register(actor=actor, unit=unit, title="甲已归档问题")
    due = timezone.localdate() + datetime.timedelta(days=10)
    services.add_step(archived, actor=actor, text="处理", due_on=due)
    archived = services.transition(
        archived,
        to="classified",
        actor=actor,
        category="other",
        nature="hidden_danger",
        owner=owner.person,
        collaborators=[owner.person],
        proposed_solution="处理",
        deadline=due,
    )
    archived = services.transition(archived, to="in_progress", actor=owner)
    services.tick_step(archived.steps.get(), actor=owner)
    archived = services.transition(archived, to="solved", actor=owner, solution_summary="已处理")
    archived = services.transition(archived, to="archived", actor=actor)
    return {"problem": problem, "archived_problem": archived, "known_error": problem}
