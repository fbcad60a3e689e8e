"""Sending a failed delivery again: the service, its API action and the page's "Send again" button."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import PermissionDenied, TransitionNotAllowed
from yunwei.notify import delivery as outbox
from yunwei.notify import services, tasks
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import AllowedAddress, Delivery
from yunwei.notify.services import Recipient

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)


def _send(capture, unit, recipient, event_key="incident:3:reported"):
    with capture(execute=True):
        return services.send(
            event_key=event_key,
            unit_id=unit.pk,
            recipients=[recipient],
            subject={"zh-hans": f"通知 {event_key}"},
            body={"zh-hans": "正文"},
        )


@pytest.fixture
def failed(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    """A webhook delivery that used up its attempts; the server answers again afterwards."""
    httpserver.expect_request("/hook").respond_with_data("", status=503)
    channel = make_channel("webhook", httpserver.url_for("/hook"))
    with time_machine.travel(START, tick=False) as clock:
        [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))
        for _attempt in range(outbox.MAX_ATTEMPTS - 1):
            delivery.refresh_from_db()
            clock.move_to(delivery.next_attempt_at)
            tasks.sweep_deliveries()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, outbox.MAX_ATTEMPTS)
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    return delivery


def test_a_failed_delivery_is_sent_again_from_the_start(
    failed, unit_admin_a, httpserver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        retried = services.retry_delivery(failed, actor=unit_admin_a)
        assert (retried.state, retried.attempts, retried.last_error) == (DeliveryState.PENDING, 0, "")

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (DeliveryState.SENT, 1)
    assert len(httpserver.log) == 1
    event = AuditEvent.objects.filter(object_type="notify.delivery", object_id=str(failed.pk)).get()
    assert event.action == "transition"
    assert event.before["state"] == "failed" and event.after["state"] == "pending"


def test_only_a_failed_delivery_can_be_sent_again(failed, unit_admin_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_delivery(failed, actor=unit_admin_a)

    with pytest.raises(TransitionNotAllowed):
        services.retry_delivery(failed, actor=unit_admin_a)


def test_a_plain_user_cannot_send_again(failed, unit_user_a):
    with pytest.raises(PermissionDenied):
        services.retry_delivery(failed, actor=unit_user_a)

    failed.refresh_from_db()
    assert failed.state == DeliveryState.FAILED


def test_api_sends_again_and_answers_409_when_not_failed(
    failed, unit_admin_a, api_client_for, django_capture_on_commit_callbacks
):
    http = api_client_for(unit_admin_a)
    url = f"/api/notify/deliveries/{failed.pk}/retry/"

    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(url)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "pending"

    again = http.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409
    assert "Only a failed delivery" in again.json()["detail"]
    failed.refresh_from_db()
    assert failed.state == DeliveryState.SENT


def test_delivery_page_sends_again(
    failed, unit_admin_a, unit_user_a, client, django_capture_on_commit_callbacks
):
    client.force_login(unit_user_a)
    assert 'data-testid="delivery-retry"' not in client.get(reverse("notify:delivery-list")).content.decode()
    client.force_login(unit_admin_a)
    page = client.get(reverse("notify:delivery-list")).content.decode()
    url = reverse("notify:delivery-retry", args=[failed.pk])
    assert url in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == DeliveryState.SENT


def test_email_without_a_server_is_sent_again_once_one_is_configured(
    smtp_server, make_channel, unit_a, unit_admin_a, django_capture_on_commit_callbacks
):
    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("email", "lead@example.cn"))
    assert delivery.state == DeliveryState.FAILED
    with pytest.raises(TransitionNotAllowed):
        services.retry_delivery(delivery, actor=unit_admin_a)

    make_channel("email", {"host": "127.0.0.1", "port": smtp_server.port})
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_delivery(delivery, actor=unit_admin_a)

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["lead@example.cn"]]


def test_merged_deliveries_show_their_failed_digest(
    httpserver, make_channel, unit_a, unit_admin_a, client, api_client_for, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0})
    robot = make_channel("dingtalk", httpserver.url_for("/robot/send?access_token=t"))
    recipient = Recipient("channel", str(robot.pk))
    with time_machine.travel(START, tick=False) as clock, translation.override("en"):
        for n in range(21):
            _send(django_capture_on_commit_callbacks, unit_a, recipient, event_key=f"e:{n}")
        AllowedAddress.objects.all().delete()  # the digest cannot go out: failed, no retry
        clock.shift(datetime.timedelta(seconds=61))
        tasks.sweep_deliveries()
    merged = Delivery.objects.get(event_key="e:20")
    digest = merged.digest
    assert (merged.state, digest.state) == (DeliveryState.MERGED, DeliveryState.FAILED)

    client.force_login(unit_admin_a)
    page = client.get(reverse("notify:delivery-list"), {"q": "e:20"}).content.decode()
    assert 'data-testid="digest-failed"' in page
    assert "127.0.0.1" in page  # the digest's reason
    assert reverse("notify:delivery-retry", args=[digest.pk]) in page
    detail = api_client_for(unit_admin_a).get(f"/api/notify/deliveries/{merged.pk}/").json()
    assert "127.0.0.1" in detail["digest_error"]
