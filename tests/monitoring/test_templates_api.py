"""The check templates API: CRUD through the services (audited, version on update), `apply` answering what
was created and what was skipped and why, an edit reaching the checks, bad input a 400 naming the field,
refusals a 403 saying why, and another unit's template a 404 that no list shows."""

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.cmdb.models import ItemType
from yunwei.monitoring.models import Check, CheckTemplate

from ..conftest import make_item

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/check-templates/"


@pytest.fixture
def api_client_for(api_client_for):
    def build(user):
        http = api_client_for(user)
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return http

    return build


@pytest.fixture
def server_type():
    return ItemType.objects.get(code="server")


@pytest.fixture
def servers_a(unit_a, group_admin):
    return [
        make_item(unit_a, "server", "A-WEB1", actor=group_admin, ip="10.0.0.11"),
        make_item(unit_a, "server", "A-WEB2", actor=group_admin, hostname="web2.a.example"),
        make_item(unit_a, "server", "A-BARE", actor=group_admin),
    ]


def _body(unit, item_type, **fields):
    return {
        "unit": unit.pk,
        "item_type": item_type.pk,
        "name": "SSH",
        "kind": "tcp",
        "spec": {"host": "{host}", "port": 22},
        **fields,
    }


def test_a_unit_admin_creates_applies_edits_and_deletes_a_template(
    unit_a, unit_admin_a, server_type, servers_a, api_client_for
):
    http = api_client_for(unit_admin_a)
    created = http.post(URL, _body(unit_a, server_type), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit"], body["item_type"], body["version"], body["checks"]) == (
        unit_a.pk,
        server_type.pk,
        1,
        0,
    )
    assert AuditEvent.objects.filter(action="create", object_type="monitoring.checktemplate").count() == 1

    applied = http.post(f"{URL}{body['id']}/apply/", format="json")
    assert applied.status_code == 200, applied.json()
    answer = applied.json()
    assert sorted(row["item_code"] for row in answer["created"]) == ["A-WEB1", "A-WEB2"]
    assert answer["updated"] == []
    assert answer["skipped"] == [
        {
            "item": servers_a[2].pk,
            "item_code": "A-BARE",
            "unit": unit_a.pk,
            "placeholder": "host",
            "reason": "{host} is empty for this item",
        }
    ]
    assert http.get(f"{URL}{body['id']}/").json()["checks"] == 2
    check = Check.objects.get(item=servers_a[0])
    assert http.get(f"/api/monitoring/checks/{check.pk}/").json()["template"] == body["id"]

    edited = http.patch(
        f"{URL}{body['id']}/", {"spec": {"host": "{host}", "port": 2222}, "version": 1}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["checks"] == 2
    assert sorted(Check.objects.filter(template_id=body["id"]).values_list("spec", flat=True), key=str) == [
        {"host": "10.0.0.11", "port": 2222},
        {"host": "web2.a.example", "port": 2222},
    ]
    stale = http.patch(f"{URL}{body['id']}/", {"interval": 120, "version": 1}, format="json")
    assert (stale.status_code, stale.json()["field"]) == (409, "version")

    assert http.delete(f"{URL}{body['id']}/").status_code == 204
    assert not CheckTemplate.objects.exists()
    assert set(Check.objects.values_list("template_id", flat=True)) == {None}
    assert Check.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"spec": {"host": "{ipaddr}", "port": 22}}, "spec", "Unknown placeholder {ipaddr}"),
        ({"spec": {"host": "{host}"}}, "spec", "the spec has no 'port'"),
        ({"spec": {"host": "{host}", "port": "{attr.port}"}}, "spec", "has no attribute “port”"),
        ({"item_type": None}, "item_type", "This field is required."),
        ({"retry_interval": 600}, "retry_interval", "not be longer than the interval"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    unit_a, unit_admin_a, server_type, api_client_for, fields, field, words
):
    body = {**_body(unit_a, server_type), **fields}
    if body["item_type"] is None:  # not sent at all
        del body["item_type"]
    response = api_client_for(unit_admin_a).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert not CheckTemplate.objects.exists()


def test_an_edit_by_hand_of_a_templated_check_s_interval_is_a_400_naming_it(
    unit_a, unit_admin_a, server_type, servers_a, api_client_for
):
    http = api_client_for(unit_admin_a)
    template = http.post(URL, _body(unit_a, server_type), format="json").json()
    http.post(f"{URL}{template['id']}/apply/", format="json")
    check = Check.objects.filter(template_id=template["id"]).first()
    refused = http.patch(
        f"/api/monitoring/checks/{check.pk}/", {"interval": 600, "version": 1}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "interval"
    assert "follows the template “SSH”" in refused.json()["detail"]
    assert Check.objects.get(pk=check.pk).interval == 60


def test_refusals_say_why(group, unit_a, unit_b, unit_admin_a, unit_user_a, server_type, api_client_for):
    http = api_client_for(unit_admin_a)
    group_template = http.post(URL, _body(group, server_type), format="json")
    # The group is not a unit a unit admin sees: the owner is refused as missing, naming the field.
    assert group_template.status_code == 400 and group_template.json()["field"] == "unit"
    other = http.post(URL, _body(unit_b, server_type), format="json")
    assert other.status_code == 400 and other.json()["field"] == "unit"
    template = http.post(URL, _body(unit_a, server_type), format="json").json()
    reader = api_client_for(unit_user_a)
    assert reader.get(f"{URL}{template['id']}/").status_code == 200  # the unit's users see it
    refused = reader.post(f"{URL}{template['id']}/apply/", format="json")
    assert refused.status_code == 403
    assert "may not manage the check templates of this unit" in refused.json()["detail"]
    assert not Check.objects.exists()


def test_a_group_template_is_the_group_admin_s_and_unit_b_sees_none_of_unit_a_s(
    group, unit_a, unit_b, group_admin, unit_admin_a, unit_admin_b, server_type, servers_a, api_client_for
):
    make_item(unit_b, "server", "B-WEB1", actor=group_admin, ip="10.1.0.11")
    admin = api_client_for(group_admin)
    group_template = admin.post(URL, _body(group, server_type, name="集团SSH"), format="json").json()
    applied = admin.post(f"{URL}{group_template['id']}/apply/", format="json").json()
    assert sorted(row["item_code"] for row in applied["created"]) == ["A-WEB1", "A-WEB2", "B-WEB1"]
    unit_template = api_client_for(unit_admin_a).post(URL, _body(unit_a, server_type), format="json").json()
    outsider = api_client_for(unit_admin_b)
    listed = {row["id"] for row in outsider.get(URL).json()["results"]}
    assert unit_template["id"] not in listed and group_template["id"] not in listed
    assert outsider.get(f"{URL}{unit_template['id']}/").status_code == 404
    assert outsider.post(f"{URL}{unit_template['id']}/apply/", format="json").status_code == 404
    # Unit A's admin sees its own template, not the group's, yet the checks the group's made in unit A.
    unit_admin = api_client_for(unit_admin_a)
    assert {row["id"] for row in unit_admin.get(URL).json()["results"]} == {unit_template["id"]}
    assert unit_admin.get(f"{URL}{group_template['id']}/").status_code == 404
    checks = unit_admin.get("/api/monitoring/checks/").json()["results"]
    assert sorted(row["name"] for row in checks) == ["集团SSH · A-WEB1", "集团SSH · A-WEB2"]
