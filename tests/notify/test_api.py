"""The notify API: channels (secrets never returned), the test action, deliveries, own preferences."""

import datetime

import pytest

from yunwei.audit.models import AuditEvent
from yunwei.notify import services
from yunwei.notify.models import AllowedAddress, Channel, Delivery, Preference
from yunwei.notify.services import Recipient

pytestmark = pytest.mark.django_db
CHANNELS = "/api/notify/channels/"
DELIVERIES = "/api/notify/deliveries/"
PREFERENCES = "/api/notify/preferences/me/"


def _dingtalk(unit, url="http://127.0.0.1:9/robot/send?access_token=tok-a") -> dict:
    return {"unit": unit.pk, "name": "值班群", "kind": "dingtalk", "target": url, "secret": "SEC-very-secret"}


def test_unit_admin_creates_a_channel_whose_secrets_never_come_back(
    allow_loopback, unit_admin_a, unit_a, api_client_for
):
    http = api_client_for(unit_admin_a)

    created = http.post(CHANNELS, _dingtalk(unit_a), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert "secret" not in body and body["secret_set"] is True
    assert "tok-a" not in str(body)
    listed = http.get(CHANNELS).json()
    assert "SEC-very-secret" not in str(listed) and "tok-a" not in str(listed)
    events = AuditEvent.objects.filter(object_type="notify.channel")
    assert events.exists()
    assert "SEC-very-secret" not in str(list(events.values())) and "tok-a" not in str(list(events.values()))


def test_echoing_the_masked_target_keeps_the_real_one(allow_loopback, unit_admin_a, unit_a, api_client_for):
    http = api_client_for(unit_admin_a)
    body = http.post(CHANNELS, _dingtalk(unit_a), format="json").json()

    updated = http.put(
        f"{CHANNELS}{body['id']}/",
        {**body, "name": "值班群（新）", "secret": "", "version": body["version"]},
        format="json",
    )

    assert updated.status_code == 200, updated.json()
    channel = Channel.objects.get()
    assert channel.target.endswith("access_token=tok-a")
    assert channel.secret == "SEC-very-secret"
    assert channel.version == 2


def test_stale_version_is_409_and_keeps_the_first_save(allow_loopback, unit_admin_a, unit_a, api_client_for):
    http = api_client_for(unit_admin_a)
    body = http.post(CHANNELS, _dingtalk(unit_a), format="json").json()
    first = http.patch(f"{CHANNELS}{body['id']}/", {"name": "一", "version": 1}, format="json")
    assert first.status_code == 200, first.json()

    response = http.patch(f"{CHANNELS}{body['id']}/", {"name": "二", "version": 1}, format="json")

    assert response.status_code == 409
    assert response.json()["field"] == "version"
    channel = Channel.objects.get()
    assert (channel.name, channel.version) == ("一", 2)


def test_unit_admin_cannot_create_a_channel_in_another_unit(
    allow_loopback, unit_admin_a, unit_b, api_client_for
):
    response = api_client_for(unit_admin_a).post(CHANNELS, _dingtalk(unit_b), format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "unit"
    assert not Channel.objects.exists()


def test_plain_user_cannot_change_channels(make_channel, unit_user_a, unit_a, api_client_for):
    channel = make_channel("webhook", "http://127.0.0.1:9/hook", name="值班")
    http = api_client_for(unit_user_a)
    url = f"{CHANNELS}{channel.pk}/"

    created = http.post(CHANNELS, {**_dingtalk(unit_a), "name": "新群"}, format="json")
    updated = http.patch(
        url, {"name": "改名", "version": channel.version}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    deleted = http.delete(url, HTTP_ACCEPT_LANGUAGE="en")

    assert created.status_code == 400
    assert created.json()["field"] == "unit"
    for refused in (updated, deleted):
        assert refused.status_code == 403, refused.content
        assert refused.json()["detail"] == "You may not manage the channels of this unit."
    assert list(Channel.objects.values_list("name", "version")) == [("值班", 1)]
    assert not AuditEvent.objects.filter(object_type="notify.channel").exclude(action="create").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "http://10.0.0.1/robot"}, "target"),
        ({"target": "http://169.254.169.254/"}, "target"),
        ({"target": "ftp://127.0.0.1/x"}, "target"),
        ({"kind": "pager"}, "kind"),
        ({"name": ""}, "name"),
        ({"unit": "abc"}, "unit"),
    ],
)
def test_bad_input_names_the_field(change, field, allow_loopback, group_admin, unit_a, api_client_for):
    response = api_client_for(group_admin).post(CHANNELS, {**_dingtalk(unit_a), **change}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Channel.objects.exists()


def test_localhost_is_refused_without_the_allow_list(group_admin, unit_a, api_client_for):
    response = api_client_for(group_admin).post(
        CHANNELS, _dingtalk(unit_a, "http://localhost:9/robot"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "target"


def test_email_channel_needs_a_host(group_admin, unit_a, api_client_for):
    response = api_client_for(group_admin).post(
        CHANNELS, {"unit": unit_a.pk, "name": "邮件", "kind": "email", "target": {"port": 25}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "target"


def test_smtp_password_is_write_only(allow_loopback, group_admin, unit_a, api_client_for):
    target = {"host": "127.0.0.1", "port": 2525, "username": "u", "password": "pw-123", "from": "a@b.cn"}
    http = api_client_for(group_admin)
    body = http.post(
        CHANNELS, {"unit": unit_a.pk, "name": "邮件", "kind": "email", "target": target}, format="json"
    ).json()

    assert "pw-123" not in str(body)
    assert body["target"]["password_set"] is True
    updated = http.patch(
        f"{CHANNELS}{body['id']}/",
        {"target": {**body["target"], "port": 587}, "version": body["version"]},
        format="json",
    )

    assert updated.status_code == 200, updated.json()
    assert "pw-123" not in str(updated.json())
    channel = Channel.objects.get()
    assert channel.target["port"] == 587
    assert channel.target["password"] == "pw-123"
    assert channel.version == body["version"] + 1


def test_test_action_answers_ok_and_reason(httpserver, make_channel, unit_admin_a, api_client_for):
    httpserver.expect_request("/hook").respond_with_data("ok")
    channel = make_channel("webhook", httpserver.url_for("/hook"))

    response = api_client_for(unit_admin_a).post(f"{CHANNELS}{channel.pk}/test/")

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert set(response.json()) == {"ok", "reason"}


def test_deliveries_are_listed_and_filtered(make_channel, unit_a, unit_admin_a, api_client_for):
    channel = make_channel("webhook", "http://127.0.0.1:9/hook")
    for key in ("incident:1:reported", "incident:2:reported"):
        services.send(
            event_key=key,
            unit_id=unit_a.pk,
            recipients=[Recipient("channel", str(channel.pk))],
            subject={"zh-hans": "通知"},
            body={},
        )
    http = api_client_for(unit_admin_a)

    everything = http.get(DELIVERIES).json()
    one = http.get(DELIVERIES, {"event_key": "incident:2:reported"}).json()
    pending = http.get(DELIVERIES, {"state": "pending", "channel": channel.pk}).json()

    assert everything["count"] == 2
    assert [row["event_key"] for row in one["results"]] == ["incident:2:reported"]
    assert pending["count"] == 2
    bad = http.get(DELIVERIES, {"state": "nonsense"})
    assert bad.status_code == 400 and bad.json()["field"] == "state"


def test_deliveries_of_another_unit_are_invisible(make_channel, unit_a, unit_admin_b, api_client_for):
    channel = make_channel("webhook", "http://127.0.0.1:9/hook")
    [delivery] = services.send(
        event_key="incident:3:reported",
        unit_id=unit_a.pk,
        recipients=[Recipient("channel", str(channel.pk))],
        subject={"zh-hans": "通知"},
        body={},
    )
    http = api_client_for(unit_admin_b)

    assert http.get(DELIVERIES).json()["count"] == 0
    assert http.get(DELIVERIES, {"event_key": "incident:3:reported"}).json()["count"] == 0
    assert http.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert http.get(f"{CHANNELS}{channel.pk}/").status_code == 404
    assert http.post(f"{CHANNELS}{channel.pk}/test/").status_code == 404
    assert Delivery.objects.count() == 1


def test_own_preferences_read_and_write(make_channel, unit_user_a, api_client_for):
    channel = make_channel("webhook", "http://127.0.0.1:9/hook")
    http = api_client_for(unit_user_a)

    assert http.get(PREFERENCES).json() == {
        "channels": ["email"],
        "quiet_start": None,
        "quiet_end": None,
        "language": "zh-hans",
    }
    saved = http.put(
        PREFERENCES,
        {
            "channels": ["email", str(channel.pk)],
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "language": "en",
        },
        format="json",
    )

    assert saved.status_code == 200, saved.json()
    assert http.get(PREFERENCES).json() == {
        "channels": ["email", str(channel.pk)],
        "quiet_start": "22:00:00",
        "quiet_end": "07:00:00",
        "language": "en",
    }
    stored = Preference.objects.get(user=unit_user_a)
    assert stored.channels == ["email", str(channel.pk)]
    assert (stored.quiet_start, stored.quiet_end) == (datetime.time(22), datetime.time(7))
    assert stored.language == "en"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["sms"]}, "channels"),
        ({"channels": ["email"], "quiet_start": "22:00"}, "quiet_end"),
        ({"channels": ["email"], "quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"channels": ["email"], "language": "fr"}, "language"),
    ],
)
def test_bad_preferences_name_the_field(body, field, unit_user_a, api_client_for):
    response = api_client_for(unit_user_a).put(PREFERENCES, body, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_preferences_cannot_name_another_units_channel(make_channel, unit_b, unit_user_a, api_client_for):
    foreign = make_channel("webhook", "http://127.0.0.1:9/hook", unit=unit_b)

    response = api_client_for(unit_user_a).put(PREFERENCES, {"channels": [str(foreign.pk)]}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "channels"


ALLOW_LIST = "/api/notify/allowed-addresses/"


def test_group_admin_keeps_the_allow_list_and_each_change_is_audited(group_admin, api_client_for):
    http = api_client_for(group_admin)

    created = http.post(ALLOW_LIST, {"value": "SMTP.Intra", "note": "邮件中继"}, format="json")
    again = http.post(ALLOW_LIST, {"value": "smtp.intra"}, format="json")

    assert created.status_code == 201, created.json()
    assert again.json()["id"] == created.json()["id"]
    assert [row["value"] for row in http.get(ALLOW_LIST).json()["results"]] == ["smtp.intra"]
    assert http.delete(f"{ALLOW_LIST}{created.json()['id']}/").status_code == 204
    assert http.get(ALLOW_LIST).json()["count"] == 0
    actions = AuditEvent.objects.filter(object_type="notify.allowedaddress").values_list("action", flat=True)
    assert sorted(actions) == ["create", "delete"]


@pytest.mark.parametrize("value", ["", "not a host!", "-bad.example", "10.0.0.0/33"])
def test_an_allow_list_entry_that_is_no_host_or_network_names_the_field(group_admin, api_client_for, value):
    response = api_client_for(group_admin).post(ALLOW_LIST, {"value": value}, format="json")
    assert response.status_code == 400
    assert "value" in response.json()["errors"]


def test_only_group_admins_see_or_change_the_allow_list(unit_admin_a, group_admin, api_client_for):
    allowed = services.allow_address("10.1.2.3", actor=group_admin)
    http = api_client_for(unit_admin_a)
    assert http.get(ALLOW_LIST).status_code == 403
    assert http.post(ALLOW_LIST, {"value": "10.9.9.9"}, format="json").status_code == 403
    assert http.delete(f"{ALLOW_LIST}{allowed.pk}/").status_code == 403
    assert not AllowedAddress.objects.filter(value="10.9.9.9").exists()
