"""Who hands out roles (Art. 10, 18): the roles that approve are a group system admin's to assign, nobody
changes their own roles, and each assignment records who granted it — through the service, the API and
the person's page."""

import pytest
from django.urls import reverse
from django.utils import translation

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record
from yunwei.org import services
from yunwei.org.choices import APPROVING_ROLES, Role
from yunwei.org.models import Person, RoleAssignment

from ..conftest import make_user

pytestmark = pytest.mark.django_db

OWN = "Nobody grants, changes or takes back their own roles (Art. 10, 18)"
APPROVES = "is a role that approves: only a group system admin assigns or revokes it (Art. 10, 18)"


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in the source language."""
    with translation.override("en"):
        yield


@pytest.fixture
def clerk_a(unit_a, group_admin):
    return services.create(Person, actor=group_admin, unit=unit_a, name="甲文书")


def _own(user) -> Person:
    return Person.objects.get(account=user)


@pytest.fixture
def api_in_english(api_client_for):
    def build(user):
        http = api_client_for(user)
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return http

    return build


def test_the_roles_that_approve_are_those_the_flows_ask_for():
    assert {Role.LEADER, Role.SYSTEM_LEAD, Role.GROUP_ADMIN} == APPROVING_ROLES


# -- the service -----------------------------------------------------------------------------------


def test_unit_admin_cannot_make_himself_the_units_leader(unit_admin_a, unit_a):
    me = _own(unit_admin_a)
    with pytest.raises(PermissionDenied) as refused:
        services.assign_role(me, Role.LEADER, actor=unit_admin_a, unit=unit_a)
    assert OWN in refused.value.message and refused.value.field == "person"
    assert not RoleAssignment.objects.filter(person=me, role=Role.LEADER).exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.SYSTEM_LEAD])
def test_unit_admin_cannot_assign_a_role_that_approves_to_anyone(unit_admin_a, clerk_a, role):
    with pytest.raises(PermissionDenied) as refused:
        services.assign_role(clerk_a, role, actor=unit_admin_a)
    assert APPROVES in refused.value.message and refused.value.field == "role"
    assert str(Role(role).label) in refused.value.message
    assert not clerk_a.role_assignments.exists()


def test_unit_admin_still_assigns_the_roles_that_do_not_approve(unit_admin_a, clerk_a):
    assignment = services.assign_role(clerk_a, Role.CLERK, actor=unit_admin_a)
    assert RoleAssignment.objects.get(pk=assignment.pk).granted_by == unit_admin_a


def test_unit_admin_cannot_take_back_a_leader_the_group_admin_assigned(unit_admin_a, clerk_a, group_admin):
    assignment = services.assign_role(clerk_a, Role.LEADER, actor=group_admin)
    with pytest.raises(PermissionDenied) as refused:
        services.revoke_role(assignment, actor=unit_admin_a)
    assert APPROVES in refused.value.message
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_nobody_takes_back_their_own_role(unit_admin_a):
    mine = _own(unit_admin_a).role_assignments.get(role=Role.UNIT_ADMIN)
    with pytest.raises(PermissionDenied) as refused:
        services.revoke_role(mine, actor=unit_admin_a)
    assert OWN in refused.value.message
    assert RoleAssignment.objects.filter(pk=mine.pk).exists()


def test_a_group_admin_does_not_assign_himself_either(group_admin, group):
    me = _own(group_admin)
    with pytest.raises(PermissionDenied) as refused:
        services.assign_role(me, Role.LEADER, actor=group_admin, unit=group)
    assert OWN in refused.value.message
    with pytest.raises(PermissionDenied) as refused:
        services.revoke_role(me.role_assignments.get(role=Role.GROUP_ADMIN), actor=group_admin)
    assert OWN in refused.value.message
    assert list(me.role_assignments.values_list("role", flat=True)) == [Role.GROUP_ADMIN]


def test_nobody_deletes_or_switches_off_their_own_person(unit_admin_a):
    me = _own(unit_admin_a)
    with pytest.raises(PermissionDenied) as refused:
        services.delete(me, actor=unit_admin_a)
    assert OWN in refused.value.message
    with pytest.raises(PermissionDenied) as refused:
        services.update(me, actor=unit_admin_a, is_active=False)
    assert OWN in refused.value.message and refused.value.field == "is_active"
    me = Person.objects.get(pk=me.pk)
    assert me.is_active and me.role_assignments.filter(role=Role.UNIT_ADMIN).exists()
    # Their other details are still theirs to keep up to date.
    assert services.update(me, actor=unit_admin_a, title="系统管理员").title == "系统管理员"


def test_the_group_admin_assigns_a_unit_leader_and_is_recorded_as_granter(group_admin, clerk_a):
    assignment = services.assign_role(clerk_a, Role.LEADER, actor=group_admin)
    assert RoleAssignment.objects.get(pk=assignment.pk).granted_by == group_admin
    assert services.granter_id(assignment) == group_admin.pk
    event = AuditEvent.objects.get(
        action="create", object_type="org.roleassignment", object_id=str(assignment.pk)
    )
    assert event.actor_id == group_admin.pk


def test_an_older_assignment_without_its_granter_is_read_from_the_audit_trail(unit_a, group):
    # Written as before the granter was recorded: a unit admin who made himself the unit's leader.
    admin = make_user("old-admin", unit_a, Role.UNIT_ADMIN)
    me = _own(admin)
    legacy = create_record(RoleAssignment, actor=admin, person=me, unit=unit_a, role=Role.LEADER)
    assert legacy.granted_by_id is None
    assert services.granter_id(legacy) == admin.pk
    assert services.self_granted(admin, Role.LEADER, [unit_a.pk, group.pk])
    # Roles made without an audited grant (here: the test's personas) have no known granter.
    unit_admin_role = me.role_assignments.get(role=Role.UNIT_ADMIN)
    assert services.granter_id(unit_admin_role) is None
    assert not services.self_granted(admin, Role.UNIT_ADMIN, [unit_a.pk])


def test_a_role_held_through_somebody_elses_grant_is_not_self_granted(unit_a, group, group_admin):
    admin = make_user("old-admin", unit_a, Role.UNIT_ADMIN)
    me = _own(admin)
    create_record(RoleAssignment, actor=admin, person=me, unit=unit_a, role=Role.LEADER)
    services.assign_role(me, Role.LEADER, actor=group_admin, unit=group)
    assert not services.self_granted(admin, Role.LEADER, [unit_a.pk, group.pk])
    assert services.self_granted(admin, Role.LEADER, [unit_a.pk])


def test_the_first_group_admin_role_is_granted_by_the_system_only_to_an_operators_account(
    group, unit_admin_a
):
    root = make_user("root", group, superuser=True)
    assignment = services.grant_first_group_admin(_own(root), comment="createadmin")
    assert assignment.granted_by is None and services.granter_id(assignment) is None
    assert not services.self_granted(root, Role.GROUP_ADMIN, [group.pk])
    with pytest.raises(DomainError) as refused:
        services.grant_first_group_admin(_own(unit_admin_a), comment="createadmin")
    assert refused.value.field == "person"
    assert not RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, person__account=unit_admin_a).exists()


# -- the API ---------------------------------------------------------------------------------------


def test_unit_admin_making_himself_leader_through_the_api_is_refused(unit_admin_a, unit_a, api_in_english):
    me = _own(unit_admin_a)
    response = api_in_english(unit_admin_a).post(
        "/api/org/roles/", {"person": me.pk, "unit": unit_a.pk, "role": "leader"}, format="json"
    )
    assert response.status_code == 403
    assert OWN in response.json()["detail"] and response.json()["field"] == "person"
    assert not me.role_assignments.filter(role=Role.LEADER).exists()


def test_unit_admin_assigning_a_leader_through_the_api_is_refused(
    unit_admin_a, unit_a, clerk_a, api_in_english
):
    response = api_in_english(unit_admin_a).post(
        "/api/org/roles/", {"person": clerk_a.pk, "unit": unit_a.pk, "role": "leader"}, format="json"
    )
    assert response.status_code == 403
    assert APPROVES in response.json()["detail"] and response.json()["field"] == "role"
    assert not clerk_a.role_assignments.exists()


def test_nobody_revokes_their_own_role_through_the_api(unit_admin_a, api_in_english):
    mine = _own(unit_admin_a).role_assignments.get(role=Role.UNIT_ADMIN)
    response = api_in_english(unit_admin_a).delete(f"/api/org/roles/{mine.pk}/")
    assert response.status_code == 403 and OWN in response.json()["detail"]
    assert RoleAssignment.objects.filter(pk=mine.pk).exists()


def test_group_admin_assigns_a_leader_through_the_api_and_is_its_granter(
    group_admin, unit_a, clerk_a, api_in_english
):
    response = api_in_english(group_admin).post(
        "/api/org/roles/", {"person": clerk_a.pk, "unit": unit_a.pk, "role": "leader"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["granted_by"] == group_admin.pk
    assert RoleAssignment.objects.get(pk=response.json()["id"]).granted_by == group_admin


# -- the person's page ------------------------------------------------------------------------------


@pytest.fixture
def browse(client):
    def login(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def test_unit_admin_is_offered_only_the_roles_he_may_grant_with_the_reason(unit_admin_a, clerk_a, browse):
    response = browse(unit_admin_a).get(reverse("org:person-detail", args=[clerk_a.pk]))
    field = response.context["role_form"].fields["role"]
    codes = {code for code, _label in field.choices if code}
    assert codes == {Role.TECH_STAFF, Role.UNIT_ADMIN, Role.CLERK, Role.USER}
    assert "only a group system admin assigns them (Art. 10, 18)" in str(field.help_text)


def test_group_admin_is_offered_the_leader_role(group_admin, clerk_a, browse):
    response = browse(group_admin).get(reverse("org:person-detail", args=[clerk_a.pk]))
    codes = {code for code, _label in response.context["role_form"].fields["role"].choices if code}
    assert codes == set(Role.values)


def test_own_page_shows_role_actions_disabled_with_the_reason(unit_admin_a, browse):
    me = _own(unit_admin_a)
    response = browse(unit_admin_a).get(reverse("org:person-detail", args=[me.pk]))
    body = response.content.decode()
    assert response.context["role_form"] is None
    assert 'data-testid="assign-role-form"' not in body
    assert 'data-testid="assign-role-disabled"' in body
    reason = body[body.index('data-testid="assign-role-reason"') :]
    assert OWN in reason[: reason.index("</span>")]
    revoke = body[body.index('data-testid="revoke-unit_admin"') - 120 :]
    assert "disabled" in revoke[: revoke.index("</button>")]
    assert 'data-testid="delete-disabled"' in body
    assert reverse("org:role-revoke", args=[me.role_assignments.get().pk]) not in body


def test_a_leader_the_unit_admin_may_not_take_back_shows_why(unit_admin_a, clerk_a, group_admin, browse):
    services.assign_role(clerk_a, Role.LEADER, actor=group_admin)
    body = browse(unit_admin_a).get(reverse("org:person-detail", args=[clerk_a.pk])).content.decode()
    reason = body[body.index('data-testid="revoke-reason-leader"') :]
    assert APPROVES in reason[: reason.index("</span>")]
    assert "granted by group-admin" in body


def test_posting_oneself_a_role_from_the_page_is_refused_with_the_reason(unit_admin_a, unit_a, browse):
    me = _own(unit_admin_a)
    response = browse(unit_admin_a).post(
        reverse("org:person-assign-role", args=[me.pk]), {"role-role": "clerk", "role-unit": unit_a.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    reason = body[body.index('data-testid="assign-role-reason"') :]
    assert OWN in reason[: reason.index("</span>")]
    assert not me.role_assignments.filter(role=Role.CLERK).exists()


def test_own_person_form_keeps_active_switched_on(unit_admin_a, browse):
    me = _own(unit_admin_a)
    http = browse(unit_admin_a)
    response = http.get(reverse("org:person-edit", args=[me.pk]))
    field = response.context["form"].fields["is_active"]
    assert field.disabled and OWN in str(field.help_text)
    response = http.post(
        reverse("org:person-edit", args=[me.pk]),
        {"name": me.name, "title": "系统管理员", "version": me.version},
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.is_active and me.title == "系统管理员"


def test_own_page_shows_disabling_ones_own_account_disabled_with_the_reason(unit_admin_a, browse):
    me = _own(unit_admin_a)
    body = browse(unit_admin_a).get(reverse("org:person-detail", args=[me.pk])).content.decode()
    button = body[body.index('data-testid="account-disable"') :]
    assert "disabled" in button[: button.index(">")]
    reason = button[button.index("</button>") :]
    assert "You cannot disable your own account." in reason[: reason.index("</span>")]
    unit_admin_a.refresh_from_db()
    assert unit_admin_a.is_active


def test_a_colleagues_account_may_be_disabled_from_the_page(unit_admin_a, unit_user_a, browse):
    colleague = _own(unit_user_a)
    body = browse(unit_admin_a).get(reverse("org:person-detail", args=[colleague.pk])).content.decode()
    button = body[body.index('data-testid="account-disable"') :]
    assert "disabled" not in button[: button.index(">")]
