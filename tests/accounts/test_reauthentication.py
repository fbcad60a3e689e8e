"""Re-authentication before changing one's e-mail, phone or second factor (the password change asks
for the current password itself): a session alone never passes, and the refusal names the field."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yunwei.audit.models import AuditEvent
from yunwei.org.models import Person

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client):
    assert client.post("/accounts/login/", {"username": "a-user", "password": PASSWORD}).status_code == 302


def _code(device, drift=0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def test_the_api_asks_for_the_password_before_changing_contact_details(client, unit_user_a):
    _log_in(client)
    person = Person.objects.get(account=unit_user_a)
    before = (person.email, person.phone, person.version)
    for body, field in (
        ({"email": "new@example.cn"}, "password"),
        ({"email": "new@example.cn", "password": "not-it"}, "password"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
    ):
        refused = client.patch("/api/auth/me/", body, content_type="application/json")
        assert refused.status_code == 400, refused.json()
        assert refused.json()["field"] == field
        person.refresh_from_db()
        assert (person.email, person.phone, person.version) == before
    changed = client.patch(
        "/api/auth/me/",
        {"email": "new@example.cn", "phone": "13900000000", "password": PASSWORD, "version": before[2]},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.json()
    person.refresh_from_db()
    assert (person.email, person.phone, person.version) == ("new@example.cn", "13900000000", before[2] + 1)
    event = AuditEvent.objects.filter(action="update", object_id=str(person.pk)).latest("pk")
    assert event.actor_id == unit_user_a.pk and "re-authenticated" in event.comment
    stale = client.patch(
        "/api/auth/me/",
        {"phone": "13911111111", "password": PASSWORD, "version": before[2]},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["field"] == "version"


def test_with_a_device_a_fresh_code_is_asked_not_the_password(client, unit_user_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a refused code would hold the next try back a second
    device = TOTPDevice.objects.create(user=unit_user_a, name="phone", confirmed=True)
    _log_in(client)
    assert client.post("/accounts/otp/", {"code": _code(device), "next": "/"}).status_code == 302
    person = Person.objects.get(account=unit_user_a)
    by_password = client.patch(
        "/api/auth/me/", {"phone": "13922222222", "password": PASSWORD}, content_type="application/json"
    )
    assert by_password.status_code == 400 and by_password.json()["field"] == "otp"
    used = client.patch(
        "/api/auth/me/", {"phone": "13922222222", "otp": _code(device)}, content_type="application/json"
    )
    assert used.status_code == 400 and used.json()["field"] == "otp"  # the log-in's code, used already
    fresh = client.patch(
        "/api/auth/me/", {"phone": "13922222222", "otp": _code(device, 1)}, content_type="application/json"
    )
    assert fresh.status_code == 200, fresh.json()
    person.refresh_from_db()
    assert person.phone == "13922222222"


def test_the_contact_page_names_the_field_it_refuses(client, unit_user_a, settings):
    _log_in(client)
    person = Person.objects.get(account=unit_user_a)
    page = client.get("/accounts/contact/")
    assert page.status_code == 200 and "password" in page.context["form"].fields
    refused = client.post(
        "/accounts/contact/",
        {"email": "x@example.cn", "phone": person.phone, "password": "wrong", "version": person.version},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors.keys() == {"password"}
    person.refresh_from_db()
    assert person.email == "a-user@example.cn"
    done = client.post(
        "/accounts/contact/",
        {"email": "x@example.cn", "phone": person.phone, "password": PASSWORD, "version": person.version},
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.email == "x@example.cn"


def test_setting_up_a_second_factor_asks_for_the_password(client, unit_user_a):
    _log_in(client)
    assert client.get("/accounts/otp/setup/").status_code == 200
    new = TOTPDevice.objects.get(user=unit_user_a, confirmed=False)
    refused = client.post("/accounts/otp/setup/", {"code": _code(new), "next": "/"})
    assert refused.status_code == 200 and refused.context["form"].errors.keys() == {"password"}
    assert not TOTPDevice.objects.get(pk=new.pk).confirmed
    ok = client.post("/accounts/otp/setup/", {"password": PASSWORD, "code": _code(new), "next": "/"})
    assert ok.status_code == 302
    assert TOTPDevice.objects.get(pk=new.pk).confirmed


def test_the_password_change_asks_for_the_current_password(client, unit_user_a):
    _log_in(client)
    new = "another-horse-battery-42"
    refused = client.post(
        "/accounts/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new}
    )
    assert refused.status_code == 200 and "old_password" in refused.context["form"].errors
    unit_user_a.refresh_from_db()
    assert unit_user_a.check_password(PASSWORD)
