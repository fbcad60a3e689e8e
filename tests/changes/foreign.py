"""The changes app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

import datetime

from django.utils import timezone

from yunwei.changes import recurring, services
from yunwei.changes.models import FreezePeriod, RecurringWindow
from yunwei.org.choices import Role

from ..conftest import make_item, make_user

CASES: dict[str, tuple[str, str]] = {
    "api:changes:change-list": ("list", "change"),
    "api:changes:change-detail": ("detail", "change"),
    "api:changes:change-transition": ("post", "change"),
    "api:changes:change-decide": ("post", "change"),
    "api:changes:change-reschedule": ("post", "change"),
    "api:changes:change-exception": ("post", "change"),
    "api:changes:change-apply-inventory": ("post", "change"),
    "api:changes:freeze-list": ("list", "freeze"),
    "api:changes:freeze-detail": ("detail", "freeze"),
    "api:changes:maintenancewindow-list": ("list", "window"),
    "api:changes:maintenancewindow-detail": ("get", "window"),
    "changes:change-list": ("page-list", "change"),
    "changes:calendar": ("page-list", "change"),
    "changes:change-detail": ("page", "change"),
    "changes:change-edit": ("page", "change"),
    "changes:change-transition": ("page-post", "change"),
    "changes:change-decide": ("page-post", "change"),
    "changes:change-reschedule": ("page-post", "change"),
    "changes:change-exception": ("page-post", "change"),
    "changes:change-apply-inventory": ("page-post", "change"),
    "changes:freeze-list": ("page-list", "freeze"),
    "changes:freeze-edit": ("page", "freeze"),
    "api:changes:recurringwindow-list": ("list", "recurring"),
    "api:changes:recurringwindow-detail": ("detail", "recurring"),
    "changes:recurring-list": ("page-list", "recurring"),
    "changes:recurring-edit": ("page", "recurring"),
    "changes:recurring-delete": ("page-post", "recurring"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:changes:change-calendar": "no list of ids; foreign changes never appear (tests/changes/test_api.py)",
    "api:changes:template-list": "the group's standard change templates, shared by every unit",
    "api:changes:template-detail": "the group's standard change templates (writes: group admins)",
    "changes:change-create": "a form; other units and their items are not among its choices (tests/changes)",
    "changes:template-list": "the group's standard change templates, shared by every unit",
    "changes:template-edit": "a shared template (writes: group admins)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {
    "change": "changes:change-detail",
    "freeze": "changes:freeze-edit",
    "recurring": "changes:recurring-edit",
}


def build_records(unit, actor) -> dict:
    """A scheduled change of `unit` with its maintenance window, and a freeze period of `unit` only."""
    item = make_item(unit, "server", "CHG-SRV", actor=actor, name="甲变更服务器")
    start = timezone.now() + datetime.timedelta(hours=2)
    change = services.create_change(
        actor=actor,
        unit=unit,
        title="甲机密变更",
        change_type="configuration",
        reason="甲机密原因",
        implementation_plan="改参数",
        test_plan="核对参数",
        rollback_plan="改回",
        affected_items=[item],
        planned_start=start,
        planned_end=start + datetime.timedelta(hours=1),
    )
    change = services.transition(change, to="submitted", actor=actor)
    change = services.decide(
        change, actor=make_user("foreign-lead", unit.parent, Role.SYSTEM_LEAD), decision="approved"
    )
    change = services.transition(change, to="scheduled", actor=actor)
    freeze = services.create(
        FreezePeriod,
        actor=actor,
        starts_at=start + datetime.timedelta(days=40),
        ends_at=start + datetime.timedelta(days=41),
        reason="甲单位机密封网",
        units=[unit],
    )
    recurring_window = recurring.create(
        RecurringWindow,
        actor=actor,
        unit=unit,
        name="甲单位每周补丁夜",
        items=[item],
        weekdays=[7],
        start_time=datetime.time(2, 0),
        duration_minutes=120,
        time_zone="Asia/Shanghai",
        starts_on=datetime.date(2026, 1, 1),
    )
    return {"change": change, "freeze": freeze, "window": change.windows.get(), "recurring": recurring_window}
