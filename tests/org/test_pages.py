"""The organisation's pages: lists and details, forms through the services, unit scoping, Art. 10 flags,
masked personal data (Art. 11)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.models import MaintenanceContract, Person, RoleAssignment, Team, Unit, Vendor, VendorEngineer

pytestmark = pytest.mark.django_db

PHONE = "13900000001"


@pytest.fixture
def records(org_records_a):
    return org_records_a


@pytest.fixture
def browse(client):
    """The test client logged in as `user`, asking for English pages."""

    def login(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def _form(response):
    return response.context["form"]


# -- every page renders ----------------------------------------------------------------------------

PAGES = [
    ("org:unit-list", None, "unit-table"),
    ("org:team-list", None, "team-table"),
    ("org:person-list", None, "person-table"),
    ("org:vendor-list", None, "vendor-table"),
    ("org:unit-detail", "unit", "unit-roles"),
    ("org:team-detail", "team", "team-members"),
    ("org:person-detail", "person", "person-roles"),
    ("org:vendor-detail", "vendor", "contract-table"),
    ("org:unit-create", None, "record-form"),
    ("org:unit-edit", "unit", "record-form"),
    ("org:team-create", None, "record-form"),
    ("org:team-edit", "team", "record-form"),
    ("org:person-create", None, "record-form"),
    ("org:person-edit", "person", "record-form"),
    ("org:vendor-create", None, "record-form"),
    ("org:vendor-edit", "vendor", "record-form"),
    ("org:engineer-create", "vendor", "record-form"),
    ("org:engineer-edit", "engineer", "record-form"),
    ("org:contract-create", "vendor", "record-form"),
    ("org:contract-edit", "contract", "record-form"),
]


@pytest.mark.parametrize(("route", "key", "testid"), PAGES)
def test_page_renders_for_the_group_admin(route, key, testid, records, group_admin, browse):
    url = reverse(route, args=[records[key].pk] if key else [])
    response = browse(group_admin).get(url)
    assert response.status_code == 200
    assert f'data-testid="{testid}"' in response.content.decode()


def test_org_root_is_the_unit_list(group_admin, unit_a, browse):
    response = browse(group_admin).get("/org/")
    assert response.status_code == 200
    assert "甲单位" in response.content.decode()


def test_pages_require_log_in(client, records):
    response = client.get(reverse("org:person-detail", args=[records["person"].pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# -- search, filters, htmx -------------------------------------------------------------------------


def test_unit_search_and_kind_filter_narrow_the_list(group_admin, unit_a, unit_b, browse):
    http = browse(group_admin)
    body = http.get(reverse("org:unit-list"), {"q": "unit-a"}).content.decode()
    assert "甲单位" in body
    assert "乙单位" not in body
    body = http.get(reverse("org:unit-list"), {"kind": "group"}).content.decode()
    assert "集团公司" in body
    assert "甲单位" not in body


def test_unit_list_filters_units_lacking_art_10_roles(group_admin, unit_a, unit_b, browse):
    person = Person.objects.create(unit=unit_b, name="乙领导")
    for role in ("leader", "unit_admin", "clerk"):
        RoleAssignment.objects.create(person=person, unit=unit_b, role=role)
    response = browse(group_admin).get(reverse("org:unit-list"), {"flagged": "true"})
    body = response.content.decode()
    assert 'data-testid="unit-row-unit-a"' in body
    assert 'data-testid="unit-row-unit-b"' not in body
    assert "no Clerk" in body


def test_person_search_and_filters_narrow_the_list(records, group_admin, unit_b, browse):
    other = services.create(Person, actor=group_admin, unit=unit_b, name="乙某某", department="信息中心")
    services.create_account(other, actor=group_admin, username="yi-user", password="a-long-password-77")
    http = browse(group_admin)
    url = reverse("org:person-list")
    body = http.get(url, {"q": "yi-user"}).content.decode()
    assert "乙某某" in body
    assert "甲某某" not in body
    body = http.get(url, {"q": "信息"}).content.decode()
    assert "乙某某" in body
    assert "甲某某" not in body
    body = http.get(url, {"unit": records["unit"].pk}).content.decode()
    assert "甲某某" in body
    assert "乙某某" not in body
    body = http.get(url, {"role": "clerk"}).content.decode()
    assert "甲某某" in body
    assert "乙某某" not in body
    body = http.get(url, {"team": records["team"].pk}).content.decode()
    assert "甲某某" in body
    assert "乙某某" not in body


def test_team_domain_filter_narrows_the_list(team_a, group_admin, unit_a, browse):
    services.create(
        Team, actor=group_admin, unit=unit_a, code="room", name="机房组", domains=["machine_room"]
    )
    body = browse(group_admin).get(reverse("org:team-list"), {"domain": "machine_room"}).content.decode()
    assert "机房组" in body
    assert "运维班" not in body


def test_people_list_shows_contact_details_masked(records, group_admin, browse):
    body = browse(group_admin).get(reverse("org:person-list")).content.decode()
    assert services.mask_phone(PHONE) in body
    assert PHONE not in body
    assert "jia@example.cn" not in body
    assert "j***@example.cn" in body


def test_list_is_paginated_by_25(group_admin, unit_a, browse):
    for n in range(30):
        Team.objects.create(unit=unit_a, code=f"t{n:02d}", name=f"班组{n:02d}")
    http = browse(group_admin)
    first = http.get(reverse("org:team-list")).content.decode()
    assert "班组24" in first
    assert "班组25" not in first
    second = http.get(reverse("org:team-list"), {"page": 2}).content.decode()
    assert "班组25" in second


def test_htmx_filter_request_gets_only_the_table(records, group_admin, browse):
    response = browse(group_admin).get(
        reverse("org:person-list"), {"q": "甲"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="person-table"' in body
    assert "<html" not in body
    assert "甲某某" in body


# -- unit scoping ---------------------------------------------------------------------------------

# route → (method, record key)
FOREIGN_CASES = [
    ("org:unit-detail", "get", "unit"),
    ("org:unit-edit", "get", "unit"),
    ("org:unit-edit", "post", "unit"),
    ("org:team-detail", "get", "team"),
    ("org:team-edit", "get", "team"),
    ("org:team-edit", "post", "team"),
    ("org:team-delete", "post", "team"),
    ("org:person-detail", "get", "person"),
    ("org:person-edit", "get", "person"),
    ("org:person-edit", "post", "person"),
    ("org:person-delete", "post", "person"),
    ("org:person-reveal", "post", "person"),
    ("org:person-assign-role", "post", "person"),
    ("org:person-account", "post", "person"),
    ("org:person-account-active", "post", "person"),
    ("org:role-revoke", "post", "role"),
    ("org:vendor-detail", "get", "vendor"),
    ("org:vendor-edit", "get", "vendor"),
    ("org:vendor-edit", "post", "vendor"),
    ("org:vendor-delete", "post", "vendor"),
    ("org:engineer-create", "get", "vendor"),
    ("org:engineer-create", "post", "vendor"),
    ("org:engineer-edit", "post", "engineer"),
    ("org:engineer-delete", "post", "engineer"),
    ("org:engineer-reveal", "post", "engineer"),
    ("org:contract-create", "post", "vendor"),
    ("org:contract-edit", "get", "contract"),
    ("org:contract-edit", "post", "contract"),
    ("org:contract-delete", "post", "contract"),
]


@pytest.mark.parametrize(("route", "method", "key"), FOREIGN_CASES)
def test_unit_admin_of_another_unit_gets_404(route, method, key, records, unit_admin_b, browse):
    record = records[key]
    events = AuditEvent.objects.count()
    data = {"name": "越权", "code": "x", "version": 1, "role-role": "clerk", "active": "0"}
    response = getattr(browse(unit_admin_b), method)(reverse(route, args=[record.pk]), data)
    assert response.status_code == 404
    record.refresh_from_db()
    assert AuditEvent.objects.count() == events  # nothing written, nothing un-masked


@pytest.mark.parametrize(
    ("route", "names"),
    [
        ("org:unit-list", ["甲单位"]),
        ("org:team-list", ["运维班"]),
        ("org:person-list", ["甲某某", "a-admin"]),
        ("org:vendor-list", ["甲厂家"]),
    ],
)
def test_unit_admin_of_another_unit_sees_none_of_its_rows(
    route, names, records, unit_admin_a, unit_admin_b, browse
):
    http = browse(unit_admin_b)
    for query in ({}, {"q": "甲"}, {"unit": records["unit"].pk}, {"team": records["team"].pk}):
        body = http.get(reverse(route), query).content.decode()
        for name in names:
            assert name not in body, (query, name)  # neither as a row nor as a filter choice


def test_unit_admin_cannot_choose_another_units_team(records, unit_admin_b, unit_b, browse):
    response = browse(unit_admin_b).post(
        reverse("org:person-create"), {"name": "乙新人", "team": records["team"].pk}
    )
    assert response.status_code == 200
    assert "team" in _form(response).errors
    assert not Person.objects.filter(name="乙新人").exists()


# -- creating through the forms -------------------------------------------------------------------


def test_group_admin_creates_a_team_through_the_form(group_admin, unit_a, browse):
    response = browse(group_admin).post(
        reverse("org:team-create"),
        {
            "unit": unit_a.pk,
            "code": "net",
            "name": "网络组",
            "domains": ["network", "hardware"],
            "duties": "网络",
        },
    )
    team = Team.objects.get(unit=unit_a, code="net")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:team-detail", args=[team.pk])
    assert team.domains == ["network", "hardware"]
    assert AuditEvent.objects.filter(action="create", object_type="org.team", object_id=str(team.pk)).exists()


def test_group_admin_creates_a_person_and_a_vendor_through_the_forms(group_admin, unit_a, browse):
    http = browse(group_admin)
    http.post(
        reverse("org:person-create"),
        {"unit": unit_a.pk, "name": "新同事", "phone": "13700000000", "is_active": "on"},
    )
    person = Person.objects.get(name="新同事")
    assert person.unit == unit_a
    assert person.phone == "13700000000"
    assert AuditEvent.objects.filter(
        action="create", object_type="org.person", object_id=str(person.pk)
    ).exists()
    http.post(reverse("org:vendor-create"), {"unit": unit_a.pk, "code": "acme", "name": "某厂家"})
    vendor = Vendor.objects.get(code="acme")
    assert AuditEvent.objects.filter(
        action="create", object_type="org.vendor", object_id=str(vendor.pk)
    ).exists()


def test_unit_admin_has_no_unit_field_and_creates_in_their_unit(unit_admin_a, unit_a, unit_b, browse):
    http = browse(unit_admin_a)
    assert "unit" not in _form(http.get(reverse("org:team-create"))).fields
    response = http.post(reverse("org:team-create"), {"code": "desk", "name": "服务台", "unit": unit_b.pk})
    assert response.status_code == 302
    assert Team.objects.get(code="desk").unit == unit_a


def test_engineer_and_contract_are_created_on_their_vendor(records, group_admin, browse):
    http = browse(group_admin)
    vendor = records["vendor"]
    response = http.post(
        reverse("org:engineer-create", args=[vendor.pk]), {"name": "新工程师", "phone": "13600000000"}
    )
    assert response["Location"] == reverse("org:vendor-detail", args=[vendor.pk])
    assert vendor.engineers.filter(name="新工程师").exists()
    http.post(
        reverse("org:contract-create", args=[vendor.pk]),
        {
            "unit": records["unit"].pk,
            "number": "A-002",
            "title": "续签",
            "domains": ["network"],
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    contract = MaintenanceContract.objects.get(number="A-002")
    assert contract.vendor == vendor
    assert contract.ends_on == datetime.date(2026, 12, 31)


def test_htmx_post_answers_with_hx_location(group_admin, unit_a, browse):
    response = browse(group_admin).post(
        reverse("org:team-create"), {"unit": unit_a.pk, "code": "hx", "name": "htmx"}, HTTP_HX_REQUEST="true"
    )
    team = Team.objects.get(code="hx")
    assert response.status_code == 200
    assert reverse("org:team-detail", args=[team.pk]) in response["HX-Location"]


# -- bad input, stale edits -----------------------------------------------------------------------


def test_duplicate_team_code_is_an_error_on_the_code_field(team_a, group_admin, unit_a, browse):
    events = AuditEvent.objects.count()
    response = browse(group_admin).post(
        reverse("org:team-create"), {"unit": unit_a.pk, "code": team_a.code, "name": "重复"}
    )
    assert response.status_code == 200
    assert "already in use" in " ".join(_form(response).errors["code"])
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert not Team.objects.filter(name="重复").exists()
    assert AuditEvent.objects.count() == events


def test_empty_name_is_an_error_on_the_name_field(group_admin, unit_a, browse):
    response = browse(group_admin).post(
        reverse("org:vendor-create"), {"unit": unit_a.pk, "code": "v", "name": ""}
    )
    assert response.status_code == 200
    assert "name" in _form(response).errors
    assert not Vendor.objects.filter(code="v").exists()


def test_contract_ending_before_it_starts_is_an_error_on_ends_on(records, group_admin, browse):
    response = browse(group_admin).post(
        reverse("org:contract-create", args=[records["vendor"].pk]),
        {
            "unit": records["unit"].pk,
            "number": "A-003",
            "title": "反了",
            "starts_on": "2026-05-01",
            "ends_on": "2026-01-01",
        },
    )
    assert "ends_on" in _form(response).errors
    assert not MaintenanceContract.objects.filter(number="A-003").exists()


def test_stale_edit_shows_the_error_and_does_not_overwrite(team_a, group_admin, browse):
    http = browse(group_admin)
    assert _form(http.get(reverse("org:team-edit", args=[team_a.pk]))).initial["version"] == 1
    services.update(team_a, actor=group_admin, expected_version=1, name="别人先存")
    response = http.post(
        reverse("org:team-edit", args=[team_a.pk]),
        {"unit": team_a.unit_id, "code": team_a.code, "name": "我的修改", "version": 1},
    )
    assert response.status_code == 200
    assert "Someone else saved" in response.content.decode()
    team_a.refresh_from_db()
    assert team_a.name == "别人先存"


def test_edit_with_the_current_version_saves(team_a, group_admin, browse):
    response = browse(group_admin).post(
        reverse("org:team-edit", args=[team_a.pk]),
        {"unit": team_a.unit_id, "code": team_a.code, "name": "新名字", "domains": ["network"], "version": 1},
    )
    assert response.status_code == 302
    team_a.refresh_from_db()
    assert (team_a.name, team_a.version) == ("新名字", 2)


def test_editing_a_person_keeps_the_masked_phone(records, group_admin, browse):
    person = records["person"]
    http = browse(group_admin)
    form = _form(http.get(reverse("org:person-edit", args=[person.pk])))
    assert form.initial["phone"] == services.mask_phone(PHONE)
    response = http.post(
        reverse("org:person-edit", args=[person.pk]),
        {
            "unit": person.unit_id,
            "name": "甲改名",
            "phone": form.initial["phone"],
            "email": form.initial["email"],
            "team": person.team_id,
            "is_active": "on",
            "version": person.version,
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone, person.email) == ("甲改名", PHONE, "jia@example.cn")


def test_editing_keeps_a_group_team_the_unit_admin_cannot_list(
    group, unit_a, unit_admin_a, group_admin, browse
):
    room = services.create(Team, actor=group_admin, unit=group, code="computer-room", name="计算机室")
    person = services.create(Person, actor=group_admin, unit=unit_a, name="驻场工程师", team=room)
    http = browse(unit_admin_a)
    assert "计算机室" in http.get(reverse("org:person-edit", args=[person.pk])).content.decode()
    http.post(
        reverse("org:person-edit", args=[person.pk]),
        {"name": "驻场工程师", "team": room.pk, "is_active": "on", "version": person.version},
    )
    person.refresh_from_db()
    assert person.team == room
    assert "计算机室" not in http.get(reverse("org:team-list")).content.decode()


def test_unit_admin_edits_their_unit_but_not_its_code(unit_admin_a, unit_a, browse):
    http = browse(unit_admin_a)
    assert set(_form(http.get(reverse("org:unit-edit", args=[unit_a.pk]))).fields) == {
        "name",
        "address",
        "version",
    }
    http.post(
        reverse("org:unit-edit", args=[unit_a.pk]), {"name": "甲单位（新）", "code": "hacked", "version": 1}
    )
    unit_a.refresh_from_db()
    assert (unit_a.name, unit_a.code, unit_a.is_active) == ("甲单位（新）", "unit-a", True)


# -- plain users ----------------------------------------------------------------------------------


def test_plain_user_sees_no_edit_buttons(records, unit_user_a, browse):
    http = browse(unit_user_a)
    for route, key in (
        ("org:team-detail", "team"),
        ("org:person-detail", "person"),
        ("org:vendor-detail", "vendor"),
        ("org:unit-detail", "unit"),
    ):
        body = http.get(reverse(route, args=[records[key].pk])).content.decode()
        assert "-edit" not in body
        assert 'data-testid="delete"' not in body
        assert "reveal-person" not in body
    body = http.get(reverse("org:team-list")).content.decode()
    assert 'data-testid="team-create"' not in body


def _org_state() -> dict:
    """Everything an organisation page could write: its records, accounts and the audit log."""
    tables = (Unit, Team, Person, Vendor, VendorEngineer, MaintenanceContract, RoleAssignment)
    return {
        **{model.__name__: list(model.objects.order_by("pk").values()) for model in tables},
        "accounts": list(get_user_model().objects.order_by("pk").values("pk", "username", "is_active")),
        "audit": AuditEvent.objects.count(),
    }


def _contract_form(records) -> dict:
    contract = records["contract"]
    return {
        "number": contract.number,
        "title": "改",
        "engineer": records["engineer"].pk,
        "response_hours": 4,
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "version": contract.version,
    }


# Each post is one the unit's admin gets through (the test proves it), so the 403 comes from the rule.
EDIT_POSTS = {
    "org:team-edit": ("team", lambda r: {"code": r["team"].code, "name": "改", "version": 1}),
    "org:person-edit": ("person", lambda r: {"name": "改", "version": 1}),
    "org:vendor-edit": ("vendor", lambda r: {"code": r["vendor"].code, "name": "改", "version": 1}),
    "org:unit-edit": ("unit", lambda r: {"name": "改", "version": 1}),
    "org:contract-edit": ("contract", _contract_form),
    "org:engineer-edit": ("engineer", lambda r: {"name": "改", "version": 1}),
    "org:team-delete": ("team", lambda r: {}),
    "org:person-assign-role": ("person", lambda r: {"role-role": "tech_staff", "role-unit": r["unit"].pk}),
    "org:person-account": (
        "person",
        lambda r: {"account-username": "jia-new", "account-password": "a-long-password-77"},
    ),
    "org:role-revoke": ("role", lambda r: {}),
    "org:engineer-create": ("vendor", lambda r: {"name": "新工程师"}),
}


@pytest.mark.parametrize("route", sorted(EDIT_POSTS))
def test_plain_user_gets_403_on_edit_posts(route, records, unit_user_a, unit_admin_a, browse):
    key, form = EDIT_POSTS[route]
    url, data = reverse(route, args=[records[key].pk]), form(records)
    before = _org_state()

    response = browse(unit_user_a).post(url, data)

    assert response.status_code == 403
    assert _org_state() == before
    allowed = browse(unit_admin_a).post(url, data)
    assert allowed.status_code == 302, _form(allowed).errors if allowed.context else allowed.status_code
    assert _org_state() != before


def test_plain_user_cannot_open_create_forms(unit_user_a, browse):
    http = browse(unit_user_a)
    for route in ("org:unit-create", "org:team-create", "org:person-create", "org:vendor-create"):
        assert http.get(reverse(route)).status_code == 403


# -- personal data (Art. 11) ----------------------------------------------------------------------


def test_reveal_returns_the_real_phone_and_is_audited(records, group_admin, browse):
    person = records["person"]
    http = browse(group_admin)
    detail = http.get(reverse("org:person-detail", args=[person.pk])).content.decode()
    assert PHONE not in detail
    assert f'data-testid="reveal-person-{person.pk}"' in detail
    response = http.post(reverse("org:person-reveal", args=[person.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert "jia@example.cn" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="unmask", object_type="org.person", object_id=str(person.pk)
    ).exists()


def test_engineer_reveal_is_audited(records, unit_admin_a, browse):
    engineer = records["engineer"]
    response = browse(unit_admin_a).post(reverse("org:engineer-reveal", args=[engineer.pk]))
    assert (
        '<span class="yw-masked" data-testid="engineer-phone">13900000002</span>' in response.content.decode()
    )
    assert AuditEvent.objects.filter(action="unmask", object_type="org.vendorengineer").exists()


def test_plain_user_may_reveal_only_their_own_contact(records, unit_user_a, browse):
    http = browse(unit_user_a)
    assert http.post(reverse("org:person-reveal", args=[records["person"].pk])).status_code == 403
    own = unit_user_a.person
    assert f"reveal-person-{own.pk}" in http.get(reverse("org:person-detail", args=[own.pk])).content.decode()
    assert http.post(reverse("org:person-reveal", args=[own.pk])).status_code == 200
    assert not AuditEvent.objects.filter(action="unmask", object_id=str(records["person"].pk)).exists()


# -- Art. 10 staffing, roles and accounts ---------------------------------------------------------


def test_unit_page_flags_a_unit_without_a_clerk(unit_a, unit_admin_a, group_admin, browse):
    leader = services.create(Person, actor=group_admin, unit=unit_a, name="甲领导")
    services.assign_role(leader, "leader", actor=group_admin)
    response = browse(group_admin).get(reverse("org:unit-detail", args=[unit_a.pk]))
    body = response.content.decode()
    flag = body[body.index('data-testid="staffing-flag"') :]
    assert "Clerk" in flag[: flag.index("</div>\n</div>")]
    assert "Leader in charge" not in flag[: flag.index("</div>\n</div>")]
    clerk = services.create(Person, actor=group_admin, unit=unit_a, name="甲文书")
    services.assign_role(clerk, "clerk", actor=group_admin)
    body = browse(group_admin).get(reverse("org:unit-detail", args=[unit_a.pk])).content.decode()
    assert 'data-testid="staffing-flag"' not in body
    assert "甲文书" in body


def test_assign_and_revoke_a_role_on_the_person_page(records, unit_admin_a, browse):
    person, http = records["person"], browse(unit_admin_a)
    response = http.post(
        reverse("org:person-assign-role", args=[person.pk]),
        {"role-role": "tech_staff", "role-unit": records["unit"].pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(person=person, role="tech_staff")
    assert assignment.granted_by == unit_admin_a
    http.post(reverse("org:role-revoke", args=[assignment.pk]))
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_assigning_a_held_role_is_an_error_on_the_role_field(records, unit_admin_a, browse):
    response = browse(unit_admin_a).post(
        reverse("org:person-assign-role", args=[records["person"].pk]),
        {"role-role": "clerk", "role-unit": records["unit"].pk},
    )
    assert response.status_code == 200
    assert "role" in response.context["role_form"].errors


def test_unit_admin_is_not_offered_group_only_roles(records, unit_admin_a, browse):
    response = browse(unit_admin_a).get(reverse("org:person-detail", args=[records["person"].pk]))
    codes = [code for code, _label in response.context["role_form"].fields["role"].choices]
    assert "group_admin" not in codes
    assert "clerk" in codes


def test_account_password_rules_show_on_the_password_field(records, group_admin, browse):
    person, http = records["person"], browse(group_admin)
    response = http.post(
        reverse("org:person-account", args=[person.pk]),
        {"account-username": "jia", "account-password": "123"},
    )
    assert response.status_code == 200
    assert "password" in response.context["account_form"].errors
    person.refresh_from_db()
    assert person.account is None
    response = http.post(
        reverse("org:person-account", args=[person.pk]),
        {"account-username": "jia", "account-password": "a-long-password-77"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.account.username == "jia"


def test_disable_and_enable_an_account(records, group_admin, unit_user_a, browse):
    person, http = unit_user_a.person, browse(group_admin)
    http.post(reverse("org:person-account-active", args=[person.pk]), {"active": "0"})
    unit_user_a.refresh_from_db()
    assert not unit_user_a.is_active
    assert AuditEvent.objects.filter(action="account_disabled").exists()
    http.post(reverse("org:person-account-active", args=[person.pk]), {"active": "1"})
    unit_user_a.refresh_from_db()
    assert unit_user_a.is_active


# -- delete ---------------------------------------------------------------------------------------


def test_delete_goes_through_the_service_and_is_audited(records, group_admin, browse):
    engineer = records["engineer"]
    response = browse(group_admin).post(reverse("org:contract-delete", args=[records["contract"].pk]))
    assert response["Location"] == reverse("org:vendor-detail", args=[records["vendor"].pk])
    assert not MaintenanceContract.objects.filter(pk=records["contract"].pk).exists()
    browse(group_admin).post(reverse("org:engineer-delete", args=[engineer.pk]))
    assert not VendorEngineer.objects.filter(pk=engineer.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="org.vendorengineer").exists()


def test_refused_delete_shows_the_reason_on_the_detail_page(records, group_admin, browse):
    vendor = records["vendor"]  # still has a contract: the database protects it
    response = browse(group_admin).post(reverse("org:vendor-delete", args=[vendor.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:vendor-detail", args=[vendor.pk])
    assert "Cannot delete" in response.content.decode()
    assert Vendor.objects.filter(pk=vendor.pk).exists()


def test_delete_is_post_only(records, group_admin, browse):
    team = records["team"]
    response = browse(group_admin).get(reverse("org:team-delete", args=[team.pk]))
    assert response.status_code == 405
    assert Team.objects.filter(pk=team.pk).exists()
    assert not AuditEvent.objects.filter(action="delete", object_type="org.team").exists()


def test_the_edit_page_keeps_ones_own_phone_and_email_for_the_account_page(unit_admin_a, browse):
    person = Person.objects.get(account=unit_admin_a)
    before = (person.phone, person.email)
    http = browse(unit_admin_a)
    response = http.get(reverse("org:person-edit", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="en")
    form = _form(response)
    for name in ("phone", "email"):
        assert form.fields[name].disabled
        assert str(form.fields[name].help_text) == (
            "Change your own e-mail and phone on your account page, where you confirm it is you."
        )
    response = http.post(
        reverse("org:person-edit", args=[person.pk]),
        {
            "unit": person.unit_id,
            "name": person.name,
            "title": "管理员",
            "phone": "13900000099",
            "email": "thief@example.cn",
            "is_active": "on",
            "version": person.version,
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.phone, person.email, person.title) == (*before, "管理员")
