"""The inventory's foreign-unit cases, merged into tests/test_foreign_unit.py."""

from yunwei.cmdb import services
from yunwei.cmdb.models import Item, ItemType, Relation, RelationType

CASES: dict[str, tuple[str, str]] = {
    "api:cmdb:item-list": ("list", "item"),
    "api:cmdb:item-detail": ("detail", "item"),
    "api:cmdb:item-impact": ("get", "item"),
    "api:cmdb:relation-list": ("list", "relation"),
    "api:cmdb:relation-detail": ("detail", "relation"),
    "cmdb:item-list": ("page-list", "item"),
    "cmdb:item-detail": ("page", "item"),
    "cmdb:item-edit": ("page", "item"),
    "cmdb:item-delete": ("page-post", "item"),
    "cmdb:item-graph": ("get", "item"),
    "cmdb:item-topology": ("page", "application"),
    "cmdb:relation-create": ("page-post", "item"),
    "cmdb:relation-delete": ("page-post", "relation"),
    "cmdb:topology-list": ("page-list", "application"),
}
NOT_OBJECT_ROUTES: dict[str, str] = {
    "api:cmdb:api-root": "index of links",
    "api:cmdb:itemtype-list": "the group's type catalogue, shared by every unit",
    "api:cmdb:itemtype-detail": "the group's type catalogue, shared by every unit (writes: group admins)",
    "api:cmdb:relationtype-list": "the group's relation catalogue, shared by every unit",
    "api:cmdb:relationtype-detail": "the shared relation catalogue (writes: group admins)",
    "api:cmdb:item-export": "an .xlsx of the caller's visible rows: tests/cmdb/test_api.py reads it back",
    "api:cmdb:blast-radius": "ids in the body; a foreign id is 'does not exist' (tests/cmdb/test_api.py)",
    "cmdb:item-create": "a form; other units are not among its choices",
    "cmdb:export": "an .xlsx of the caller's visible rows: tests/cmdb/test_pages.py reads it back",
    "cmdb:import": "an upload form; rows may name only units the uploader manages (tests/cmdb/test_excel.py)",
    "cmdb:import-template": "an empty sheet of a type of the shared catalogue",
    "cmdb:catalogue": "the group's shared catalogue: group admins only, 403 for every other "
    "(tests/cmdb/test_catalogue.py)",
    "cmdb:type-create": "adds to the shared catalogue: group admins only (tests/cmdb/test_catalogue.py)",
    "cmdb:type-edit": "a type of the shared catalogue: group admins only (tests/cmdb/test_catalogue.py)",
    "cmdb:relationtype-create": "adds to the shared relation catalogue: group admins only "
    "(tests/cmdb/test_catalogue.py)",
    "cmdb:relationtype-edit": "a relation type of the shared catalogue: group admins only "
    "(tests/cmdb/test_catalogue.py)",
}
# record key → its detail page route, for the "nothing of it on the list page" check
DETAIL_PAGES: dict[str, str] = {"item": "cmdb:item-detail", "application": "cmdb:item-detail"}


def build_records(unit, actor) -> dict:
    """One inventory record of each kind in `unit`, created through the services."""
    server = services.create(
        Item,
        actor=actor,
        unit=unit,
        type=ItemType.objects.get(code="server"),
        code="SECRET-SRV",
        name="甲机密服务器",
        ip="10.99.0.1",
    )
    application = services.create(
        Item,
        actor=actor,
        unit=unit,
        type=ItemType.objects.get(code="application"),
        code="SECRET-APP",
        name="甲机密应用",
    )
    relation = services.create(
        Relation,
        actor=actor,
        source=application,
        target=server,
        type=RelationType.objects.get(code="runs-on"),
    )
    return {"item": server, "application": application, "relation": relation}
