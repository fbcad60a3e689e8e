"""Log-in sessions stay known when their key changes; failed log-ins are audited."""

import pytest
from django.contrib.sessions.models import Session
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from yunwei.accounts.models import LoginSession
from yunwei.audit.models import AuditEvent
from yunwei.org import services
from yunwei.org.models import Person

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-horse-battery-42"


def _log_in(client):
    assert client.post("/accounts/login/", {"username": "a-user", "password": PASSWORD}).status_code == 302


def _disable(user, actor):
    services.set_account_active(Person.objects.get(account=user), False, actor=actor)


def test_disabling_after_a_password_change_ends_the_session(client, group_admin, unit_user_a):
    _log_in(client)
    before = client.session.session_key
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/").status_code == 200  # still logged in, under the new key
    assert list(LoginSession.objects.values_list("session_key", flat=True)) == [client.session.session_key]
    _disable(unit_user_a, group_admin)
    assert client.get("/").status_code == 302
    assert not Session.objects.exists()


def test_disabling_after_the_second_factor_ends_the_session(client, group_admin, unit_user_a):
    device = TOTPDevice.objects.create(user=unit_user_a, name="phone", confirmed=True)
    _log_in(client)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    before = client.session.session_key
    assert client.post("/accounts/otp/", {"code": code, "next": "/"}).status_code == 302
    assert client.session.session_key != before  # the raised privilege gets a new key
    assert client.get("/").status_code == 200
    _disable(unit_user_a, group_admin)
    assert client.get("/").status_code == 302
    assert not Session.objects.exists()


def test_failed_log_ins_are_audited_alike_for_known_and_unknown_accounts(client, unit_user_a):
    client.post("/accounts/login/", {"username": "a-user", "password": "not-the-password"})
    client.post("/accounts/login/", {"username": "nobody-here", "password": "not-the-password"})
    APIClient().post("/api/auth/token/", {"username": "ghost", "password": "nope-nope"}, format="json")
    events = list(AuditEvent.objects.filter(action="login_failed").order_by("pk"))
    assert [e.object_repr for e in events] == ["a-user", "nobody-here", "ghost"]
    assert [e.comment for e in events] == ["via web", "via web", "via api"]
    # Nothing in the event tells whether the account exists.
    shapes = {(e.actor_id, e.actor_name, e.object_type, e.object_id, e.unit_id) for e in events}
    assert shapes == {(None, "anonymous", "accounts.user", "", None)}
