"""The catalogue of item types and relation types: the rules that keep a schema change from stranding
items, and the group admin's pages for it (every other user gets 403)."""

import pytest
from django.utils import translation

from yunwei.cmdb import services
from yunwei.cmdb.models import ItemType, RelationType
from yunwei.core.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def rack_type(group_admin) -> ItemType:
    return services.create(
        ItemType,
        actor=group_admin,
        code="rack",
        name="机柜",
        domain="machine_room",
        attributes=[
            {"code": "height_u", "label": "高度", "kind": "int"},
            {"code": "colour", "label": "颜色", "kind": "choice", "choices": ["black", "white"]},
        ],
    )


def _attrs(item_type, *changes, drop=()):
    specs = [dict(spec) for spec in item_type.attributes if spec["code"] not in drop]
    for change in changes:
        found = next((s for s in specs if s["code"] == change["code"]), None)
        if found:
            found.update(change)
        else:
            specs.append(change)
    return specs


def _refusal(item_type, actor, attributes) -> str:
    with translation.override("en"), pytest.raises(DomainError) as exc:
        services.update(item_type, actor=actor, attributes=attributes)
    return exc.value.message


def test_an_attribute_items_hold_cannot_be_removed(rack_type, make_item, unit_a, group_admin):
    make_item(unit_a, "rack", "R1", attributes={"height_u": 42})
    make_item(unit_a, "rack", "R2", attributes={"height_u": 47})
    make_item(unit_a, "rack", "R3", attributes={})
    message = _refusal(rack_type, group_admin, _attrs(rack_type, drop=["height_u"]))
    assert "height_u" in message and "2 items" in message
    rack_type.refresh_from_db()
    assert rack_type.attribute("height_u")
    # an attribute no item holds goes
    services.update(rack_type, actor=group_admin, attributes=_attrs(rack_type, drop=["colour"]))
    assert ItemType.objects.get(code="rack").attribute("colour") is None


def test_an_attribute_items_hold_cannot_change_its_kind(rack_type, make_item, unit_a, group_admin):
    make_item(unit_a, "rack", "R1", attributes={"height_u": 42})
    message = _refusal(rack_type, group_admin, _attrs(rack_type, {"code": "height_u", "kind": "text"}))
    assert "height_u" in message and "1 items" in message and "kind" in message
    # the label may change
    services.update(
        rack_type, actor=group_admin, attributes=_attrs(rack_type, {"code": "height_u", "label": "U 数"})
    )
    spec = ItemType.objects.get(code="rack").attribute("height_u")
    assert (spec["label"], spec["kind"]) == ("U 数", "int")


def test_a_choice_in_use_cannot_be_removed(rack_type, make_item, unit_a, group_admin):
    make_item(unit_a, "rack", "R1", attributes={"colour": "black"})
    message = _refusal(rack_type, group_admin, _attrs(rack_type, {"code": "colour", "choices": ["white"]}))
    assert "colour" in message and "1 items" in message
    services.update(
        rack_type,
        actor=group_admin,
        attributes=_attrs(rack_type, {"code": "colour", "choices": ["black", "grey"]}),
    )
    assert ItemType.objects.get(code="rack").attribute("colour")["choices"] == ["black", "grey"]


def test_a_required_attribute_needs_a_value_on_every_item(rack_type, make_item, unit_a, group_admin):
    item = make_item(unit_a, "rack", "R1", attributes={})
    new = {"code": "row", "label": "列", "kind": "text", "required": True}
    message = _refusal(rack_type, group_admin, _attrs(rack_type, new))
    assert "row" in message and "1 items" in message
    message = _refusal(rack_type, group_admin, _attrs(rack_type, {"code": "height_u", "required": True}))
    assert "height_u" in message
    # optional first, filled in, then required
    services.update(rack_type, actor=group_admin, attributes=_attrs(rack_type, {**new, "required": False}))
    rack_type.refresh_from_db()
    item.refresh_from_db()
    services.update(item, actor=group_admin, attributes={"row": "A"})
    services.update(rack_type, actor=group_admin, attributes=_attrs(rack_type, new))
    assert ItemType.objects.get(code="rack").attribute("row")["required"] is True


def test_a_type_without_items_takes_any_change(rack_type, group_admin):
    new = {"code": "row", "label": "列", "kind": "text", "required": True}
    services.update(rack_type, actor=group_admin, attributes=[new])
    assert ItemType.objects.get(code="rack").attributes == [new]


def test_only_a_group_admin_changes_the_catalogue(rack_type, unit_admin_a):
    with pytest.raises(PermissionDenied):
        services.update(rack_type, actor=unit_admin_a, attributes=[])


# -- pages ----------------------------------------------------------------------------------------

CATALOGUE_URLS = [
    "/cmdb/catalogue/",
    "/cmdb/catalogue/types/new/",
    "/cmdb/catalogue/relation-types/new/",
]


@pytest.mark.parametrize("persona", ["unit_admin_a", "unit_admin_b", "unit_user_a"])
def test_catalogue_pages_are_for_group_admins_only(persona, request, client, rack_type):
    client.force_login(request.getfixturevalue(persona))
    runs_on = RelationType.objects.get(code="runs-on")
    urls = [*CATALOGUE_URLS, f"/cmdb/catalogue/types/{rack_type.pk}/edit/"]
    urls.append(f"/cmdb/catalogue/relation-types/{runs_on.pk}/edit/")
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "改", "code": "x", "domain": "network"}).status_code == 403, url
    assert ItemType.objects.get(pk=rack_type.pk).name == "机柜"
    assert 'data-testid="catalogue-link"' not in client.get("/cmdb/").content.decode()


def test_catalogue_lists_types_with_domain_and_attributes(rack_type, client, group_admin):
    client.force_login(group_admin)
    assert 'data-testid="catalogue-link"' in client.get("/cmdb/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/cmdb/catalogue/").content.decode()
    assert 'data-testid="type-rack"' in page
    assert 'data-testid="attribute-rack-height_u"' in page
    assert "Machine-room environment" in page
    assert 'data-testid="relationtype-runs-on"' in page
    assert client.get("/cmdb/catalogue/types/99999/edit/").status_code == 404


def _type_post(code="cabinet", name="配线柜", version=None, rows=(), **extra):
    data = {
        "code": code,
        "name": name,
        "domain": "machine_room",
        "description": "",
        "attr-TOTAL_FORMS": str(len(rows) + 1),
        "attr-INITIAL_FORMS": "0",
        "attr-MIN_NUM_FORMS": "0",
        "attr-MAX_NUM_FORMS": "1000",
        **extra,
    }
    if version is not None:
        data["version"] = version
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"attr-{n}-{key}"] = value
    data[f"attr-{len(rows)}-kind"] = "text"  # an empty extra row, as the page sends it
    return data


def test_group_admin_creates_a_type_with_attributes_on_the_page(client, group_admin, unit_a):
    client.force_login(group_admin)
    assert 'name="attr-0-code"' in client.get("/cmdb/catalogue/types/new/").content.decode()
    rows = [
        {"code": "ports", "label": "端口数", "kind": "int", "required": "on"},
        {"code": "fiber", "label": "光纤类型", "kind": "choice", "choices": "单模, 多模"},
    ]
    response = client.post("/cmdb/catalogue/types/new/", _type_post(rows=rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    cabinet = ItemType.objects.get(code="cabinet")
    assert cabinet.domain == "machine_room"
    assert cabinet.attributes == [
        {"code": "ports", "label": "端口数", "kind": "int", "required": True},
        {
            "code": "fiber",
            "label": "光纤类型",
            "kind": "choice",
            "required": False,
            "choices": ["单模", "多模"],
        },
    ]
    # the new type's fields appear on the item form
    form = client.get(f"/cmdb/items/new/?type={cabinet.pk}").content.decode()
    assert 'name="attr_ports"' in form and 'name="attr_fiber"' in form


def test_removing_an_attribute_in_use_is_refused_on_the_page(
    rack_type, make_item, unit_a, client, group_admin
):
    make_item(unit_a, "rack", "R1", attributes={"height_u": 42})
    client.force_login(group_admin)
    url = f"/cmdb/catalogue/types/{rack_type.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="height_u"' in page
    rows = [
        {"code": "height_u", "label": "高度", "kind": "int", "DELETE": "on"},
        {"code": "colour", "label": "颜色", "kind": "choice", "choices": "black, white"},
    ]
    data = _type_post(code="rack", name="机柜", version=rack_type.version, rows=rows)
    data["attr-INITIAL_FORMS"] = "2"
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()
    assert "height_u" in response.content.decode()
    assert ItemType.objects.get(pk=rack_type.pk).attribute("height_u")
    # kept, with an attribute added and the name changed, the edit goes through
    rows[0].pop("DELETE")
    rows.append({"code": "depth_mm", "label": "深度", "kind": "int"})
    data = _type_post(code="rack", name="标准机柜", version=rack_type.version, rows=rows)
    data["attr-INITIAL_FORMS"] = "2"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-4000:]
    rack_type.refresh_from_db()
    assert rack_type.name == "标准机柜"
    assert [a["code"] for a in rack_type.attributes] == ["height_u", "colour", "depth_mm"]


def test_group_admin_creates_and_edits_a_relation_type_on_the_page(client, group_admin):
    client.force_login(group_admin)
    response = client.post(
        "/cmdb/catalogue/relation-types/new/",
        {
            "code": "monitored-by",
            "name": "由…监控",
            "inverse_name": "监控",
            "source_domains": ["hardware", "network"],
            "target_types": ["application"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rtype = RelationType.objects.get(code="monitored-by")
    assert (rtype.is_dependency, rtype.source_domains, rtype.target_types) == (
        False,
        ["hardware", "network"],
        ["application"],
    )
    response = client.post(
        f"/cmdb/catalogue/relation-types/{rtype.pk}/edit/",
        {"name": "监控于", "inverse_name": "监控", "version": rtype.version, "is_dependency": "on"},
    )
    assert response.status_code == 302
    rtype.refresh_from_db()
    assert (rtype.name, rtype.is_dependency, rtype.source_domains) == ("监控于", True, [])
