"""The second factor cannot be skipped: not by enrolling a new device, not through the API."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from yunwei.accounts import services
from yunwei.core.errors import PermissionDenied

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _device(user, name="phone") -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _next_code(device) -> str:
    """The code of the device's next time step (accepted within django-otp's one-step tolerance)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=1):06d}"


def _password_only(client, username="a-user"):
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302


def _verify(client, device):
    assert client.post("/accounts/otp/", {"code": _code(device), "next": "/"}).status_code == 302


def test_password_alone_cannot_enrol_a_new_device(client, unit_user_a):
    device = _device(unit_user_a)
    _password_only(client)
    setup = client.get("/accounts/otp/setup/")
    assert setup.status_code == 302
    assert setup.url.startswith("/accounts/otp/?")
    assert client.post("/accounts/otp/setup/", {"code": "123456"}).status_code == 302
    # No device was made or confirmed, the real one is still there, and every page still asks for it.
    assert list(TOTPDevice.objects.filter(user=unit_user_a)) == [device]
    assert client.get("/").url.startswith("/accounts/otp/")


def test_confirming_a_device_from_an_unverified_session_keeps_the_real_one(unit_user_a):
    device = _device(unit_user_a)
    new = TOTPDevice.objects.create(user=unit_user_a, name="attacker", confirmed=False)
    with pytest.raises(PermissionDenied):
        services.confirm_totp_device(new, _code(new), actor=unit_user_a)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not TOTPDevice.objects.get(pk=new.pk).confirmed


@pytest.mark.parametrize("path", ["/accounts/password/", "/org/", "/audit/"])
def test_unverified_session_reaches_only_the_otp_step(client, unit_user_a, path):
    _device(unit_user_a)
    _password_only(client)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/otp/?")
    assert client.get("/accounts/otp/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_verified_session_may_replace_its_device(client, unit_user_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a refused code would hold the next try back a second
    old = _device(unit_user_a)
    _password_only(client)
    _verify(client, old)
    assert client.get("/accounts/otp/setup/").status_code == 200
    new = TOTPDevice.objects.get(user=unit_user_a, confirmed=False)
    # Replacing asks for a fresh code of the current device: the one just used does not count again.
    reused = client.post("/accounts/otp/setup/", {"otp": _code(old), "code": _code(new), "next": "/"})
    assert reused.status_code == 200 and reused.context["form"].errors.keys() == {"otp"}
    assert not TOTPDevice.objects.get(pk=new.pk).confirmed
    fresh = _next_code(old)
    replaced = client.post("/accounts/otp/setup/", {"otp": fresh, "code": _code(new), "next": "/"})
    assert replaced.status_code == 302
    assert list(TOTPDevice.objects.filter(user=unit_user_a)) == [TOTPDevice.objects.get(pk=new.pk)]
    assert TOTPDevice.objects.get(pk=new.pk).confirmed


@override_settings(REQUIRE_TOTP_FOR_ADMINS=True)
def test_admin_without_a_device_may_set_one_up_but_nothing_else(client, unit_admin_a):
    _password_only(client, "a-admin")
    assert client.get("/accounts/otp/setup/").status_code == 200
    assert client.get("/org/").status_code == 302
    assert client.get("/api/org/units/").status_code == 403


# -- the API accepts the browser session ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/me/", "/api/org/units/", "/api/audit/events/"])
def test_api_refuses_a_session_that_has_not_passed_the_second_factor(client, unit_user_a, path):
    device = _device(unit_user_a)
    _password_only(client)
    response = client.get(path, headers={"accept-language": "en"})
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=1)):
        _verify(client, device)
        assert client.get("/api/auth/me/").json()["username"] == "a-user"


def test_session_without_a_second_factor_still_uses_the_api(client, unit_user_a):
    _password_only(client)
    assert client.get("/api/auth/me/").status_code == 200


def test_unverified_session_may_still_ask_for_a_token_with_its_code(client, unit_user_a):
    device = _device(unit_user_a)
    _password_only(client)
    response = client.post(
        "/api/auth/token/",
        {"username": "a-user", "password": PASSWORD, "otp": _code(device)},
        content_type="application/json",
    )
    assert response.status_code == 201


# -- tokens ----------------------------------------------------------------------------------------


def _token(username, **extra):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )


@override_settings(REQUIRE_TOTP_FOR_ADMINS=True)
def test_mandatory_totp_is_asked_when_an_admin_asks_for_a_token(unit_admin_a, unit_user_a):
    not_set_up = _token("a-admin")
    assert not_set_up.status_code == 403
    assert not_set_up.json()["detail"]
    device = _device(unit_admin_a)
    missing = _token("a-admin")
    assert missing.status_code == 400
    assert missing.json()["field"] == "otp"
    assert _token("a-admin", otp="000000" if _code(device) != "000000" else "111111").status_code == 400
    assert _token("a-admin", otp=_code(device)).status_code == 201
    assert _token("a-user").status_code == 201  # plain users are not forced
