"""The organisation API: CRUD through the services, field-named errors, stale edits, Art. 10 flags."""

import datetime

import pytest
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.models import MaintenanceContract, Person, RoleAssignment, Team, Vendor

pytestmark = pytest.mark.django_db


def test_list_is_paginated_with_count_next_results(group_admin, unit_a, api_client_for):
    for n in range(3):
        services.create(Team, actor=group_admin, unit=unit_a, code=f"t{n}", name=f"班组{n}")
    body = api_client_for(group_admin).get("/api/org/teams/", {"page_size": 2, "ordering": "code"}).json()
    assert body["count"] == 3
    assert body["next"] is not None
    assert [row["code"] for row in body["results"]] == ["t0", "t1"]


def test_group_admin_creates_team_and_the_audit_log_records_it(group_admin, unit_a, api_client_for):
    response = api_client_for(group_admin).post(
        "/api/org/teams/",
        {"unit": unit_a.pk, "code": "net", "name": "网络组", "domains": ["network"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    team = Team.objects.get(code="net")
    event = AuditEvent.objects.get(action="create", object_type="org.team", object_id=str(team.pk))
    assert event.after["name"] == "网络组"
    assert event.unit_id == unit_a.pk


def test_unit_admin_creates_in_own_unit_only(unit_admin_a, unit_a, unit_b, api_client_for):
    http = api_client_for(unit_admin_a)
    assert (
        http.post(
            "/api/org/teams/", {"unit": unit_a.pk, "code": "x", "name": "本单位"}, format="json"
        ).status_code
        == 201
    )
    response = http.post("/api/org/teams/", {"unit": unit_b.pk, "code": "y", "name": "外单位"}, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    assert not Team.objects.filter(code="y").exists()


def test_plain_user_cannot_write(unit_user_a, unit_a, api_client_for):
    response = api_client_for(unit_user_a).post(
        "/api/org/teams/", {"unit": unit_a.pk, "code": "z", "name": "z"}, format="json"
    )
    assert response.status_code == 400  # no unit is writable for a plain user: the unit "does not exist"
    assert response.json()["field"] == "unit"


def test_plain_user_cannot_change_a_visible_record(unit_user_a, team_a, api_client_for):
    response = api_client_for(unit_user_a).patch(
        f"/api/org/teams/{team_a.pk}/", {"name": "改", "version": team_a.version}, format="json"
    )
    assert response.status_code == 403
    team_a.refresh_from_db()
    assert team_a.name == "运维班"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "ops", "name": "重复"}, "code"),
        ({"code": "new", "name": ""}, "name"),
        ({"code": "new", "name": "n", "domains": ["kitchen"]}, "domains"),
        ({"code": "has space", "name": "n"}, "code"),
    ],
)
def test_bad_team_input_names_the_field_and_writes_nothing(
    payload, field, group_admin, team_a, api_client_for
):
    before = Team.objects.count()
    response = api_client_for(group_admin).post(
        "/api/org/teams/", {"unit": team_a.unit_id, **payload}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert Team.objects.count() == before


def test_malformed_json_is_a_clear_400(group_admin, api_client_for):
    response = api_client_for(group_admin).generic(
        "POST", "/api/org/teams/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_stale_edit_answers_409_and_keeps_the_first_save(group_admin, team_a, api_client_for):
    http = api_client_for(group_admin)
    first = http.patch(f"/api/org/teams/{team_a.pk}/", {"name": "第一", "version": 1}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == 2
    second = http.patch(f"/api/org/teams/{team_a.pk}/", {"name": "第二", "version": 1}, format="json")
    assert second.status_code == 409
    assert second.json()["field"] == "version"
    team_a.refresh_from_db()
    assert team_a.name == "第一"


def test_version_cannot_be_set(group_admin, team_a, api_client_for):
    http = api_client_for(group_admin)
    http.patch(f"/api/org/teams/{team_a.pk}/", {"name": "改名", "version": 1}, format="json")
    team_a.refresh_from_db()
    assert team_a.version == 2  # raised by the save, not taken from the request


@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_update_without_the_version_is_refused_naming_it(method, group_admin, team_a, api_client_for):
    http = api_client_for(group_admin)
    body = {**http.get(f"/api/org/teams/{team_a.pk}/").json(), "name": "不看版本"}
    del body["version"]
    response = getattr(http, method)(f"/api/org/teams/{team_a.pk}/", body, format="json")
    assert response.status_code == 400 and response.json()["field"] == "version"
    team_a.refresh_from_db()
    assert (team_a.name, team_a.version) == ("运维班", 1)


def test_unit_admin_cannot_move_a_record_to_another_unit(unit_admin_a, team_a, unit_b, api_client_for):
    home = team_a.unit_id
    response = api_client_for(unit_admin_a).patch(
        f"/api/org/teams/{team_a.pk}/", {"unit": unit_b.pk, "version": team_a.version}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    team_a.refresh_from_db()
    assert (team_a.unit_id, team_a.version) == (home, 1)


def test_phone_and_email_are_masked_and_reveal_is_audited(unit_admin_a, unit_user_a, api_client_for):
    person = Person.objects.get(account=unit_user_a)
    http = api_client_for(unit_admin_a)
    row = http.get(f"/api/org/people/{person.pk}/").json()
    assert row["phone"] == "138****5678"
    assert row["email"] == "a***@example.cn"
    revealed = http.post(f"/api/org/people/{person.pk}/reveal/").json()
    assert revealed == {"phone": "13812345678", "email": "a-user@example.cn"}
    assert AuditEvent.objects.filter(action="unmask", object_id=str(person.pk)).count() == 1


def test_a_colleague_cannot_reveal_another_users_contact(unit_a, unit_user_a, api_client_for):
    from tests.conftest import make_user

    colleague = make_user("a-user-2", unit_a, "user")
    person = Person.objects.get(account=unit_user_a)
    assert api_client_for(colleague).post(f"/api/org/people/{person.pk}/reveal/").status_code == 403
    assert not AuditEvent.objects.filter(action="unmask").exists()


def test_echoing_the_masked_phone_back_keeps_the_real_one(unit_admin_a, unit_user_a, api_client_for):
    person = Person.objects.get(account=unit_user_a)
    http = api_client_for(unit_admin_a)
    row = http.get(f"/api/org/people/{person.pk}/").json()
    http.patch(
        f"/api/org/people/{person.pk}/",
        {"phone": row["phone"], "title": "工程师", "version": row["version"]},
        format="json",
    )
    person.refresh_from_db()
    assert person.phone == "13812345678"
    assert person.title == "工程师"


def test_unit_lacking_art10_roles_is_flagged(group_admin, unit_a, unit_admin_a, api_client_for):
    """Each Art. 10 role is named while it is missing; the flag clears only when distinct people hold
    the leader's, the system admin's and the clerk's roles."""
    http = api_client_for(group_admin)

    def gaps():
        return http.get(f"/api/org/units/{unit_a.pk}/").json()["staffing_gaps"]

    def flagged():
        return {u["code"] for u in http.get("/api/org/units/", {"flagged": "true"}).json()["results"]}

    # The unit admin persona holds the system admin's role only.
    assert set(gaps()) == {"leader", "clerk"}
    assert "unit-a" in flagged()
    leader = services.create(Person, actor=group_admin, unit=unit_a, name="甲领导")
    services.assign_role(leader, "leader", actor=group_admin)
    assert gaps() == ["clerk"]
    assert "unit-a" in flagged()
    clerk = services.create(Person, actor=group_admin, unit=unit_a, name="甲文书")
    services.assign_role(clerk, "clerk", actor=unit_admin_a)
    assert gaps() == []
    assert "unit-a" not in flagged()
    holders = {
        role: set(RoleAssignment.objects.filter(unit=unit_a, role=role).values_list("person", flat=True))
        for role in ("leader", "unit_admin", "clerk")
    }
    assert holders == {
        "leader": {leader.pk},
        "unit_admin": {Person.objects.get(account=unit_admin_a).pk},
        "clerk": {clerk.pk},
    }
    # Losing the system admin flags the unit again, naming that role alone.
    services.update(Person.objects.get(account=unit_admin_a), actor=group_admin, is_active=False)
    assert gaps() == ["unit_admin"]
    assert "unit-a" in flagged()


def test_unit_admin_cannot_hand_out_the_group_admin_role(unit_admin_a, unit_a, api_client_for):
    person = Person.objects.get(account=unit_admin_a)
    response = api_client_for(unit_admin_a).post(
        "/api/org/roles/", {"person": person.pk, "unit": unit_a.pk, "role": "group_admin"}, format="json"
    )
    assert response.status_code == 403
    assert not person.role_assignments.filter(role="group_admin").exists()


def test_duplicate_role_and_unknown_role_name_the_field(group_admin, unit_admin_a, unit_a, api_client_for):
    person = Person.objects.get(account=unit_admin_a)
    http = api_client_for(group_admin)
    duplicate = http.post(
        "/api/org/roles/", {"person": person.pk, "unit": unit_a.pk, "role": "unit_admin"}, format="json"
    )
    assert duplicate.status_code == 400
    assert duplicate.json()["field"] == "role"
    unknown = http.post("/api/org/roles/", {"person": person.pk, "role": "emperor"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "role"


def test_deleting_a_unit_still_in_use_is_refused(group_admin, team_a, api_client_for):
    response = api_client_for(group_admin).delete(f"/api/org/units/{team_a.unit_id}/")
    assert response.status_code == 400
    assert "1" in response.json()["detail"]  # how many records still refer to it
    assert Team.objects.filter(pk=team_a.pk).exists()
    assert not AuditEvent.objects.filter(action="delete", object_type="org.unit").exists()


def test_reference_to_a_deleted_record_names_the_field(group_admin, unit_a, api_client_for):
    team = services.create(Team, actor=group_admin, unit=unit_a, code="gone", name="已删除")
    team_id = team.pk
    services.delete(team, actor=group_admin)
    response = api_client_for(group_admin).post(
        "/api/org/people/", {"unit": unit_a.pk, "name": "某人", "team": team_id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "team"


def test_contracts_filter_by_expiry_and_refuse_end_before_start(group_admin, unit_a, api_client_for):
    vendor = services.create(Vendor, actor=group_admin, unit=unit_a, code="v", name="厂家")
    today = timezone.localdate()
    for number, days in (("soon", 20), ("later", 200)):
        services.create(
            MaintenanceContract,
            actor=group_admin,
            unit=unit_a,
            vendor=vendor,
            number=number,
            title=number,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=days),
        )
    http = api_client_for(group_admin)
    rows = http.get("/api/org/contracts/", {"expiring_within": 60}).json()["results"]
    assert [(r["number"], r["status"]) for r in rows] == [("soon", "expiring")]
    bad = http.post(
        "/api/org/contracts/",
        {
            "unit": unit_a.pk,
            "vendor": vendor.pk,
            "number": "bad",
            "title": "x",
            "starts_on": "2026-05-01",
            "ends_on": "2026-01-01",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "ends_on"


def test_contract_engineer_must_work_for_the_vendor(group_admin, unit_a, api_client_for):
    from yunwei.org.models import VendorEngineer

    v1 = services.create(Vendor, actor=group_admin, unit=unit_a, code="v1", name="一")
    v2 = services.create(Vendor, actor=group_admin, unit=unit_a, code="v2", name="二")
    engineer = services.create(VendorEngineer, actor=group_admin, vendor=v2, name="工程师")
    response = api_client_for(group_admin).post(
        "/api/org/contracts/",
        {
            "unit": unit_a.pk,
            "vendor": v1.pk,
            "engineer": engineer.pk,
            "number": "c",
            "title": "c",
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "engineer"


def test_search_and_ordering(group_admin, unit_a, api_client_for):
    services.create(Person, actor=group_admin, unit=unit_a, name="王小明", department="财务部")
    services.create(Person, actor=group_admin, unit=unit_a, name="李大力", department="生产部")
    http = api_client_for(group_admin)
    names = [r["name"] for r in http.get("/api/org/people/", {"search": "财务"}).json()["results"]]
    assert names == ["王小明"]
    ordered = [
        r["name"]
        for r in http.get("/api/org/people/", {"ordering": "-name", "unit": unit_a.pk}).json()["results"]
    ]
    assert ordered == sorted(ordered, reverse=True)


def test_unknown_filter_choice_is_a_400(group_admin, api_client_for):
    response = api_client_for(group_admin).get("/api/org/units/", {"kind": "planet"})
    assert response.status_code == 400
    assert response.json()["field"] == "kind"


def test_roles_cannot_be_set_through_the_person_endpoint(unit_admin_a, api_client_for):
    person = Person.objects.get(account=unit_admin_a)
    response = api_client_for(unit_admin_a).patch(
        f"/api/org/people/{person.pk}/",
        {
            "roles": [{"role": "group_admin", "unit": person.unit_id}],
            "title": "管理员",
            "version": person.version,
        },
        format="json",
    )
    assert response.status_code == 200
    assert not person.role_assignments.filter(role="group_admin").exists()
    unit_admin_a.refresh_from_db()
    assert not Person.objects.get(pk=person.pk).account.access.is_group_admin


def test_ones_own_email_and_phone_are_not_changed_through_the_person_endpoint(unit_admin_a, api_client_for):
    person = Person.objects.get(account=unit_admin_a)
    before = (person.email, person.phone, person.version)
    http = api_client_for(unit_admin_a)
    for field, value in (("email", "thief@example.cn"), ("phone", "13900000000")):
        response = http.patch(
            f"/api/org/people/{person.pk}/", {field: value, "version": person.version}, format="json"
        )
        assert response.status_code == 400 and response.json()["field"] == field
        assert response.json()["detail"] == str(services.OWN_CONTACT_ELSEWHERE)
    person.refresh_from_db()
    assert (person.email, person.phone, person.version) == before
    # The rest of one's own record, with the contact details as they are, still saves.
    response = http.patch(
        f"/api/org/people/{person.pk}/",
        {"title": "管理员", "email": person.email, "version": person.version},
        format="json",
    )
    assert response.status_code == 200 and Person.objects.get(pk=person.pk).title == "管理员"


def test_an_admin_still_changes_another_persons_email(unit_admin_a, unit_a, api_client_for):
    other = services.create(Person, actor=unit_admin_a, unit=unit_a, name="乙某", email="yi@example.cn")
    response = api_client_for(unit_admin_a).patch(
        f"/api/org/people/{other.pk}/", {"email": "yi2@example.cn", "version": other.version}, format="json"
    )
    assert response.status_code == 200 and Person.objects.get(pk=other.pk).email == "yi2@example.cn"
