"""The accounts app's foreign-unit cases for delegation (职务代理), merged into tests/test_foreign_unit.py."""

import datetime

from django.utils import timezone

from yunwei.accounts import delegation, provisioning
from yunwei.org.choices import Role

from ..conftest import make_user

CASES: dict[str, tuple[str, str]] = {
    "accounts:delegation-list": ("page-list", "delegation"),
    "accounts:delegation-end": ("page-post", "delegation"),
    "accounts:directory-rule-list": ("page-list", "directory_rule"),
    "accounts:directory-rule-edit": ("page", "directory_rule"),
    "accounts:directory-rule-delete": ("page-post", "directory_rule"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "accounts:directory-rule-create": "a form for group system admins only (403 for others, tests/accounts)",
    "accounts:contact": "one's own contact details: no record is addressed (tests/accounts)",
}
# The delegation has no page of its own: the end button's address shows where it is listed.
DETAIL_PAGES: dict[str, str] = {
    "delegation": "accounts:delegation-end",
    "directory_rule": "accounts:directory-rule-edit",
}


def build_records(unit, actor) -> dict:
    """A running delegation between two people of `unit`, named by `actor` (a group admin)."""
    principal = make_user(f"{unit.code}-principal", unit, Role.LEADER)
    deputy = make_user(f"{unit.code}-deputy", unit, Role.USER)
    now = timezone.now()
    row = delegation.name_deputy(
        principal, deputy=deputy, starts_at=now, ends_at=now + datetime.timedelta(days=2), actor=actor
    )
    rule = provisioning.create_rule(
        actor=actor, group_dn=f"cn={unit.code}-secret-group,ou=groups,dc=example", unit=unit, role=Role.USER
    )
    return {"delegation": row, "directory_rule": rule}
