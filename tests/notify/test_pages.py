"""The notify pages: channel list, form, detail with its test button, deliveries, own preferences."""

import datetime

import pytest
from django.urls import reverse

from yunwei.notify.models import AllowedAddress, Channel, Preference

pytestmark = pytest.mark.django_db


def test_unit_admin_creates_a_channel_from_the_form(allow_loopback, unit_admin_a, unit_a, client):
    client.force_login(unit_admin_a)
    form = client.get(reverse("notify:channel-create"))
    assert form.status_code == 200

    response = client.post(
        reverse("notify:channel-create"),
        {
            "unit": unit_a.pk,
            "name": "值班群",
            "kind": "wecom",
            "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=abc",
            "enabled": "on",
        },
    )

    channel = Channel.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notify:channel-detail", args=[channel.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "值班群" in detail and "key=abc" not in detail
    assert reverse("notify:channel-test", args=[channel.pk]) in detail


def test_internal_url_is_a_form_error(unit_admin_a, unit_a, client):
    client.force_login(unit_admin_a)

    response = client.post(
        reverse("notify:channel-create"),
        {"unit": unit_a.pk, "name": "x", "kind": "webhook", "url": "http://10.0.0.1/hook"},
    )

    assert response.status_code == 200
    assert "10.0.0.1" in str(response.context["form"].errors["url"])
    assert not Channel.objects.exists()


def test_test_button_shows_why_it_failed(httpserver, make_channel, unit_admin_a, client):
    httpserver.expect_request("/hook").respond_with_data("secret inner page", status=500)
    channel = make_channel("webhook", httpserver.url_for("/hook"))
    client.force_login(unit_admin_a)

    response = client.post(reverse("notify:channel-test", args=[channel.pk]), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="test-failed"' in page
    assert "500" in page and "secret inner page" not in page


def test_edit_keeps_the_secret_when_left_empty(make_channel, unit_admin_a, unit_a, client):
    channel = make_channel("dingtalk", "http://127.0.0.1:9/robot/send?access_token=t", secret="keep-me")
    client.force_login(unit_admin_a)

    response = client.post(
        reverse("notify:channel-edit", args=[channel.pk]),
        {
            "unit": unit_a.pk,
            "name": "改名",
            "kind": "dingtalk",
            "url": channel.target,
            "secret": "",
            "version": 1,
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.secret, channel.version) == ("改名", "keep-me", 2)


def test_plain_user_sees_no_create_button_and_may_not_create(unit_user_a, client):
    client.force_login(unit_user_a)

    assert reverse("notify:channel-create") not in client.get(reverse("notify:channel-list")).content.decode()
    assert client.get(reverse("notify:channel-create")).status_code == 403


def test_delivery_list_renders(unit_admin_a, client):
    client.force_login(unit_admin_a)

    assert client.get(reverse("notify:delivery-list")).status_code == 200
    assert (
        client.get(reverse("notify:delivery-list"), {"state": "failed"}, HTTP_HX_REQUEST="true").status_code
        == 200
    )


def test_own_preferences_page_saves(make_channel, unit_user_a, client):
    channel = make_channel("webhook", "http://127.0.0.1:9/hook")
    client.force_login(unit_user_a)
    assert client.get(reverse("notify:preferences")).status_code == 200

    response = client.post(
        reverse("notify:preferences"),
        {"channels": [str(channel.pk)], "quiet_start": "22:00", "quiet_end": "07:00", "language": "en"},
    )

    assert response.status_code == 302
    stored = Preference.objects.get(user=unit_user_a)
    assert stored.channels == [str(channel.pk)]
    assert (stored.quiet_start, stored.quiet_end) == (datetime.time(22), datetime.time(7))
    assert stored.language == "en"


def test_group_admin_allows_and_removes_an_internal_address_on_the_page(group_admin, client):
    client.force_login(group_admin)
    url = reverse("notify:allow-list")

    refused = client.post(url, {"value": "not a host!"})
    assert "invalid-feedback" in refused.content.decode()
    assert not AllowedAddress.objects.exists()

    added = client.post(url, {"value": "10.20.0.0/16", "note": "内网网关"})
    assert added.status_code == 302
    page = client.get(url).content.decode()
    assert "10.20.0.0/16" in page and "内网网关" in page
    allowed = AllowedAddress.objects.get()
    client.post(reverse("notify:allow-list-remove", args=[allowed.pk]))
    assert not AllowedAddress.objects.exists()


def test_the_allow_list_page_is_for_group_admins_only(unit_admin_a, client):
    client.force_login(unit_admin_a)
    assert client.get(reverse("notify:allow-list")).status_code == 403
    assert "allow-list" not in client.get(reverse("notify:channel-list")).content.decode()
