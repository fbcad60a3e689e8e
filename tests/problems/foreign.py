"""The problems app's foreign-unit cases, merged into tests/test_foreign_unit.py."""

CASES: dict[str, tuple[str, str]] = {}
NOT_OBJECT_ROUTES: dict[str, str] = {}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {}


def build_records(unit, actor) -> dict:
    """One record of each kind in `unit`, created through the services."""
    return {}
