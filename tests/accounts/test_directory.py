"""Accounts from the group's directory against a real OpenLDAP slapd on 127.0.0.1 (issue 26 item 8):
log-in, group mapping (a nested group too), accounts made on first log-in, the sync disabling a removed
user and revoking their token, and a directory that never answers."""

import socket

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from yunwei.accounts import provisioning, tasks
from yunwei.accounts.models import ApiToken, DirectoryAccount, LoginSession
from yunwei.accounts.services import issue_token
from yunwei.org.choices import Role
from yunwei.org.models import RoleAssignment

from ..conftest import PASSWORD, make_user
from .slapd import GROUPS, PASSWORDS, PEOPLE, running_slapd, silent_port

pytestmark = pytest.mark.django_db
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "yunwei.accounts.directory.DirectoryBackend",
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def slapd(tmp_path):
    with running_slapd(tmp_path / "slapd") as directory:
        yield directory


def _configure(settings, url: str, timeout: int = 2):
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.LDAP_URL = url
    settings.LDAP_BIND_DN = "cn=admin,dc=yunwei,dc=test"
    settings.LDAP_BIND_PASSWORD = "slapd-test-secret"
    settings.LDAP_USER_BASE = PEOPLE
    settings.LDAP_USER_FILTER = "(uid=%(user)s)"
    settings.LDAP_GROUP_BASE = GROUPS
    settings.LDAP_GROUP_TYPE = "group_of_names"
    settings.LDAP_TIMEOUT = timeout


@pytest.fixture
def directory(slapd, settings, unit_a, group, group_admin):
    _configure(settings, slapd.url)
    provisioning.create_rule(
        actor=group_admin, group_dn=f"cn=oa-admins,{GROUPS}", unit=unit_a, role=Role.UNIT_ADMIN
    )
    provisioning.create_rule(
        actor=group_admin, group_dn=f"CN=power-staff,{GROUPS}", unit=unit_a, role=Role.USER, order=200
    )
    return slapd


def _log_in(client, username, password):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_a_directory_user_logs_in_and_gets_the_rules_roles(client, directory, unit_a, settings):
    settings.REQUIRE_TOTP_FOR_ADMINS = True
    response = _log_in(client, "zhang", PASSWORDS["zhang"])
    assert response.status_code == 302
    user = get_user_model().objects.get(username="zhang")
    assert user.person.unit == unit_a and user.person.name == "张三" and user.email == "zhang@yunwei.test"
    assert set(RoleAssignment.objects.filter(person=user.person).values_list("role", "unit")) == {
        (Role.UNIT_ADMIN, unit_a.pk)
    }
    assert DirectoryAccount.objects.get(user=user).dn == f"uid=zhang,{PEOPLE}"
    assert not user.has_usable_password()
    # An admin made by the directory passes the second factor, as the setting asks of every admin.
    assert response["Location"].startswith(reverse("accounts:otp"))


def test_a_member_of_a_nested_group_matches_the_outer_groups_rule(client, directory, unit_a):
    assert _log_in(client, "li", PASSWORDS["li"]).status_code == 302
    person = get_user_model().objects.get(username="li").person
    assert list(RoleAssignment.objects.filter(person=person).values_list("role", flat=True)) == [Role.USER]


def test_a_wrong_password_or_no_matching_group_makes_no_account(client, directory):
    refused = _log_in(client, "li", "wrong")
    assert "Wrong user name or password." in refused.content.decode()
    no_rule = _log_in(client, "wang", PASSWORDS["wang"])
    assert "None of your directory groups gives access to Yunwei" in no_rule.content.decode()
    assert not get_user_model().objects.filter(username__in=["li", "wang"]).exists()


def test_a_rule_taken_away_takes_its_role_back_at_the_next_log_in(client, directory, group_admin, unit_a):
    from yunwei.accounts.models import DirectoryRule

    assert _log_in(client, "zhang", PASSWORDS["zhang"]).status_code == 302
    provisioning.create_rule(
        actor=group_admin, group_dn=f"cn=power-ops,{GROUPS}", unit=unit_a, role=Role.CLERK
    )
    provisioning.delete_rule(DirectoryRule.objects.get(role=Role.UNIT_ADMIN), actor=group_admin)
    client.logout()
    # zhang is in no group left with a rule: refused, the role the rule gave taken back, the account off.
    assert "None of your directory groups" in _log_in(client, "zhang", PASSWORDS["zhang"]).content.decode()
    user = get_user_model().objects.get(username="zhang")
    assert not RoleAssignment.objects.filter(person__account=user).exists()
    assert not user.is_active


def test_the_sync_disables_a_removed_user_and_revokes_their_token_and_session(client, directory):
    assert _log_in(client, "li", PASSWORDS["li"]).status_code == 302
    user = get_user_model().objects.get(username="li")
    _key, token = issue_token(user)
    assert LoginSession.objects.filter(user=user).exists()
    assert tasks.sync_directory() == 0  # still there: nothing changes
    directory.delete(f"uid=li,{PEOPLE}")
    assert tasks.sync_directory() == 1
    user.refresh_from_db()
    token.refresh_from_db()
    assert not user.is_active and token.revoked_at is not None
    assert not LoginSession.objects.filter(user=user).exists()
    assert client.get(reverse("web:dashboard")).status_code == 302  # the session is gone
    assert not ApiToken.objects.usable().filter(user=user).exists()
    assert DirectoryAccount.objects.get(user=user).disabled_at is not None
    # And the directory password no longer opens it.
    assert _log_in(client, "li", PASSWORDS["li"]).status_code == 200


def test_a_silent_directory_fails_its_log_in_saying_so_and_local_accounts_never_ask_it(
    client, settings, unit_a
):
    local = make_user("local-admin", unit_a, Role.UNIT_ADMIN)
    with silent_port() as directory:
        _configure(settings, directory.url, timeout=1)
        response = _log_in(client, "zhang", PASSWORDS["zhang"])
        assert response.status_code == 200
        # Only the timeout gives this message: the log-in waited for it, not for ever.
        assert "The directory (LDAP / AD) did not answer in time" in response.content.decode()
        asked = directory.connections()
        assert asked >= 1
        # Local accounts never wait on it: a right and a wrong password, and no connection to it.
        assert _log_in(client, "local-admin", "wrong-password").status_code == 200
        assert _log_in(client, local.username, PASSWORD).status_code == 302
        assert directory.connections() == asked
        # The sync disables nobody while the directory is silent.
        assert tasks.sync_directory() == 0


def test_without_a_directory_the_sync_does_nothing(settings):
    settings.LDAP_URL = ""
    assert tasks.sync_directory() == 0


def test_a_directory_that_is_down_says_so_and_local_accounts_still_log_in(client, settings, unit_a):
    local = make_user("local-admin", unit_a, Role.UNIT_ADMIN)
    # A port nobody listens on: the connection is refused at once (a directory server that is down).
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    _configure(settings, f"ldap://127.0.0.1:{port}", timeout=1)
    response = _log_in(client, "zhang", PASSWORDS["zhang"])
    assert response.status_code == 200
    assert "The directory (LDAP / AD) did not answer in time" in response.content.decode()
    assert not get_user_model().objects.filter(username="zhang").exists()  # nothing half-made
    assert _log_in(client, local.username, PASSWORD).status_code == 302
