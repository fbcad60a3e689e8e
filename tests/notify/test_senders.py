"""Every channel against a real server on 127.0.0.1: what the server received is what is asserted."""

import base64
import email
import hashlib
import hmac
import json
import time

import pytest
from django.utils import translation

from yunwei.notify import services
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import Delivery
from yunwei.notify.senders import SIGNATURE_HEADER, TIMESTAMP_HEADER
from yunwei.notify.services import Recipient

pytestmark = pytest.mark.django_db
SUBJECT = {"zh-hans": "甲单位网络故障", "en": "Unit A network fault"}
BODY = {"zh-hans": "核心交换机宕机。", "en": "Core switch down."}


def _send(capture, unit, recipient, event_key="incident:1:reported", **kwargs):
    with capture(execute=True):
        return services.send(
            event_key=event_key, unit_id=unit.pk, recipients=[recipient], subject=SUBJECT, body=BODY, **kwargs
        )


def _state(delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


def test_wecom_robot_gets_markdown(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/cgi-bin/webhook/send", method="POST").respond_with_json({"errcode": 0})
    channel = make_channel("wecom", httpserver.url_for("/cgi-bin/webhook/send?key=abc"))

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    assert _state(delivery).state == DeliveryState.SENT
    [(request, _response)] = httpserver.log
    assert request.args["key"] == "abc"
    payload = json.loads(request.get_data())
    assert payload["msgtype"] == "markdown"
    assert "甲单位网络故障" in payload["markdown"]["content"]
    assert "核心交换机宕机。" in payload["markdown"]["content"]


def test_dingtalk_robot_is_signed(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0, "errmsg": "ok"})
    secret = "SECabc123"
    channel = make_channel("dingtalk", httpserver.url_for("/robot/send?access_token=tok"), secret=secret)

    [delivery] = _send(
        django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk), language="en")
    )

    assert _state(delivery).state == DeliveryState.SENT
    [(request, _response)] = httpserver.log
    timestamp = request.args["timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.args["sign"] == expected  # the server sees it URL-decoded
    assert request.args["access_token"] == "tok"
    payload = json.loads(request.get_data())
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "Unit A network fault"
    assert "Core switch down." in payload["markdown"]["text"]


def test_feishu_robot_is_signed(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/open-apis/bot/v2/hook/x").respond_with_json({"code": 0, "msg": "success"})
    secret = "feishu-secret"
    channel = make_channel("feishu", httpserver.url_for("/open-apis/bot/v2/hook/x"), secret=secret)

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    assert _state(delivery).state == DeliveryState.SENT
    payload = json.loads(httpserver.log[0][0].get_data())
    key = f"{payload['timestamp']}\n{secret}".encode()
    assert payload["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert payload["msg_type"] == "text"
    assert payload["content"]["text"].startswith("甲单位网络故障")


def test_webhook_body_carries_hmac_signature(
    httpserver, make_channel, unit_a, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    channel = make_channel("webhook", httpserver.url_for("/hook"), secret="hook-key")

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    assert _state(delivery).state == DeliveryState.SENT
    request = httpserver.log[0][0]
    body = request.get_data()
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert abs(int(timestamp) - time.time()) < 300  # what a receiver checks before anything else
    signed = timestamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(b"hook-key", signed, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == expected
    unsigned_timestamp = "sha256=" + hmac.new(b"hook-key", body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] != unsigned_timestamp
    payload = json.loads(body)
    assert payload["event_key"] == "incident:1:reported"
    assert payload["unit_id"] == unit_a.pk
    assert payload["subject"] == "甲单位网络故障"


def test_email_reaches_the_smtp_server(smtp_server, make_channel, unit_a, django_capture_on_commit_callbacks):
    make_channel("email", {"host": "127.0.0.1", "port": smtp_server.port, "from": "yunwei@example.cn"})

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("email", "leader@example.cn"))

    assert _state(delivery).state == DeliveryState.SENT
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["leader@example.cn"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "甲单位网络故障"
    assert message["From"] == "yunwei@example.cn"
    assert "核心交换机宕机。" in message.get_content()


def test_redirect_is_a_failure_and_not_followed(
    httpserver, make_channel, unit_a, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("inner secrets")
    channel = make_channel("webhook", httpserver.url_for("/hook"))

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    delivery = _state(delivery)
    assert delivery.state == DeliveryState.PENDING  # to be retried, not sent
    assert "302" in delivery.last_error
    assert [request.path for request, _response in httpserver.log] == ["/hook"]


def test_robot_error_code_is_a_failure(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/robot/send").respond_with_json(
        {"errcode": 310000, "errmsg": "sign not match"}
    )
    channel = make_channel("dingtalk", httpserver.url_for("/robot/send?access_token=t"), secret="s")

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    delivery = _state(delivery)
    assert delivery.state == DeliveryState.PENDING
    assert "310000" in delivery.last_error
    assert delivery.attempts == 1


def test_garbage_answer_is_a_failure(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_data("<html>not json</html>")
    channel = make_channel("wecom", httpserver.url_for("/hook?key=k"))

    with translation.override("en"):
        [delivery] = _send(django_capture_on_commit_callbacks, unit_a, Recipient("channel", str(channel.pk)))

    delivery = _state(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.last_error == "The robot's answer is not the JSON it should be."  # not the body


def test_test_button_answers_ok_or_why(httpserver, make_channel, group_admin):
    httpserver.expect_oneshot_request("/hook").respond_with_data("", status=500)
    httpserver.expect_request("/hook").respond_with_data("fine")
    channel = make_channel("webhook", httpserver.url_for("/hook"))

    with translation.override("en"):
        assert services.test_channel(channel, actor=group_admin) == (False, "The server answered HTTP 500.")
    ok, _reason = services.test_channel(channel, actor=group_admin)
    assert ok
