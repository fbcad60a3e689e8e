"""The outbox: idempotency, retries with backoff, the sweeper, rate-limit digests, quiet hours, SSRF."""

import datetime
import threading

import pytest
import time_machine
from django.utils import timezone, translation
from werkzeug import Response

from yunwei.core.errors import DomainError
from yunwei.notify import delivery as outbox
from yunwei.notify import senders, services, tasks
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import AllowedAddress, Channel, Delivery, Notice
from yunwei.notify.services import Recipient

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


def _send(capture, unit, recipients, event_key="incident:7:restored", urgent=False):
    with capture(execute=True):
        return services.send(
            event_key=event_key,
            unit_id=unit.pk,
            recipients=recipients,
            subject={"zh-hans": f"通知 {event_key}", "en": f"Notice {event_key}"},
            body={"zh-hans": "正文", "en": "Body"},
            urgent=urgent,
        )


@pytest.fixture
def webhook(httpserver, make_channel):
    return make_channel("webhook", httpserver.url_for("/hook"), secret="k")


def test_same_event_twice_sends_once(httpserver, webhook, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_data("ok")
    recipient = Recipient("channel", str(webhook.pk))

    first = _send(django_capture_on_commit_callbacks, unit_a, [recipient])
    second = _send(django_capture_on_commit_callbacks, unit_a, [recipient, recipient])

    assert len(first) == 1 and second == []
    assert Delivery.objects.count() == 1
    assert Notice.objects.count() == 1
    assert len(httpserver.log) == 1


def test_nothing_is_queued_when_the_callers_transaction_rolls_back(webhook, unit_a):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.send(
            event_key="incident:8:reported",
            unit_id=unit_a.pk,
            recipients=[Recipient("channel", str(webhook.pk))],
            subject={"zh-hans": "通知"},
            body={},
        )
        raise RuntimeError("the incident's save failed")

    assert not Delivery.objects.exists()


def test_failure_is_retried_with_backoff(httpserver, webhook, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_oneshot_request("/hook").respond_with_data("", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")

    with time_machine.travel(START, tick=False) as clock:
        [delivery] = _send(
            django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(webhook.pk))]
        )
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
        assert "500" in delivery.last_error
        assert delivery.next_attempt_at == START + datetime.timedelta(seconds=30)

        clock.shift(datetime.timedelta(seconds=29))
        tasks.sweep_deliveries()
        assert len(httpserver.log) == 1  # not due yet

        clock.shift(datetime.timedelta(seconds=2))
        tasks.sweep_deliveries()

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 2, "")
    assert len(httpserver.log) == 2


def test_backoff_doubles_and_gives_up_after_the_last_attempt(
    httpserver, webhook, unit_a, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("", status=503)

    with time_machine.travel(START, tick=False) as clock:
        [delivery] = _send(
            django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(webhook.pk))]
        )
        waits = []
        for _attempt in range(outbox.MAX_ATTEMPTS - 1):
            delivery.refresh_from_db()
            waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
            clock.move_to(delivery.next_attempt_at)
            tasks.sweep_deliveries()

    delivery.refresh_from_db()
    assert waits == [30, 60, 120, 240]
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, outbox.MAX_ATTEMPTS)
    assert "503" in delivery.last_error


def test_sweeper_resends_what_a_killed_worker_left(httpserver, webhook, unit_a):
    httpserver.expect_request("/hook").respond_with_data("ok")
    with time_machine.travel(START, tick=False) as clock:
        [delivery] = services.send(  # committed never: no worker woken, as after a crash
            event_key="incident:9:reported",
            unit_id=unit_a.pk,
            recipients=[Recipient("channel", str(webhook.pk))],
            subject={"zh-hans": "通知"},
            body={},
        )
        assert outbox._claim(delivery, timezone.now())  # a worker claimed it, then died

        clock.shift(datetime.timedelta(minutes=4))
        tasks.sweep_deliveries()
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.SENDING  # it may still be working

        clock.shift(datetime.timedelta(minutes=2))
        tasks.sweep_deliveries()

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert len(httpserver.log) == 1


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(httpserver, webhook, unit_a):
    httpserver.expect_request("/hook").respond_with_data("ok")
    [delivery] = services.send(
        event_key="incident:10:reported",
        unit_id=unit_a.pk,
        recipients=[Recipient("channel", str(webhook.pk))],
        subject={"zh-hans": "通知"},
        body={},
    )
    assert outbox._claim(delivery, timezone.now())

    tasks.deliver(delivery.pk)

    assert httpserver.log == []


def test_dingtalk_over_its_rate_limit_merges_into_one_digest(
    httpserver, make_channel, unit_a, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0, "errmsg": "ok"})
    robot = make_channel("dingtalk", httpserver.url_for("/robot/send?access_token=t"), secret="s")
    recipient = Recipient("channel", str(robot.pk))

    with time_machine.travel(START, tick=False) as clock:
        for n in range(25):
            clock.shift(datetime.timedelta(seconds=1))
            _send(django_capture_on_commit_callbacks, unit_a, [recipient], event_key=f"incident:{n}:reported")
        assert len(httpserver.log) == 20
        clock.shift(datetime.timedelta(seconds=40))  # the window frees a minute after the first send
        tasks.sweep_deliveries()

    assert len(httpserver.log) == 21
    rows = Delivery.objects.filter(channel=robot)
    digest = rows.get(event_key__startswith=outbox.DIGEST_PREFIX)
    assert digest.state == DeliveryState.SENT
    merged = rows.filter(state=DeliveryState.MERGED)
    assert sorted(merged.values_list("event_key", flat=True)) == sorted(
        f"incident:{n}:reported" for n in range(20, 25)
    )
    assert set(merged.values_list("digest", flat=True)) == {digest.pk}
    assert rows.filter(state=DeliveryState.SENT).count() == 21
    text = httpserver.log[-1][0].get_json()["markdown"]["text"]
    assert "5 条通知" in text
    for n in range(20, 25):
        assert f"通知 incident:{n}:reported" in text  # none lost


def test_feishu_takes_five_a_second(httpserver, make_channel, unit_a, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_json({"code": 0})
    robot = make_channel("feishu", httpserver.url_for("/hook"))

    with time_machine.travel(START, tick=False) as clock:
        for n in range(7):
            _send(django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(robot.pk))], f"e:{n}")
        assert len(httpserver.log) == 5
        clock.shift(datetime.timedelta(seconds=2))
        tasks.sweep_deliveries()

    assert len(httpserver.log) == 6
    assert Delivery.objects.filter(state=DeliveryState.MERGED).count() == 2


def test_user_in_quiet_hours_is_deferred_unless_urgent(
    smtp_server, make_channel, unit_a, unit_user_a, django_capture_on_commit_callbacks
):
    make_channel("email", {"host": "127.0.0.1", "port": smtp_server.port})
    services.set_preferences(
        unit_user_a, channels=["email"], quiet_start=datetime.time(9), quiet_end=datetime.time(12)
    )
    user = Recipient("user", str(unit_user_a.pk))

    with time_machine.travel(START, tick=False) as clock:  # 10:00 local
        [deferred] = _send(
            django_capture_on_commit_callbacks, unit_a, [user], event_key="incident:1:grade-III"
        )
        [urgent] = _send(
            django_capture_on_commit_callbacks, unit_a, [user], event_key="incident:2:grade-II", urgent=True
        )
        assert len(smtp_server.envelopes) == 1  # the urgent one
        assert deferred.next_attempt_at == START + datetime.timedelta(hours=2)
        clock.move_to(START + datetime.timedelta(hours=2, seconds=1))
        tasks.sweep_deliveries()

    assert len(smtp_server.envelopes) == 2
    assert deferred.recipient == urgent.recipient == "a-user@example.cn"  # from the person, by default


def test_user_without_address_is_recorded_as_failed(unit_a, group_admin, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    lonely = get_user_model().objects.create_user("lonely")
    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, [Recipient("user", str(lonely.pk))])

    assert delivery.state == DeliveryState.FAILED
    assert "lonely" in delivery.last_error


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://localhost:8080/x"]
)
def test_internal_targets_are_refused_when_saved(target, unit_a, group_admin):
    with pytest.raises(DomainError) as refused:
        services.create(
            Channel, actor=group_admin, unit_id=unit_a.pk, name="x", kind="webhook", target=target
        )

    assert refused.value.field == "target"
    assert not Channel.objects.exists()


def test_only_http_and_https_are_allowed(unit_a, group_admin, allow_loopback):
    with pytest.raises(DomainError) as refused:
        services.create(
            Channel,
            actor=group_admin,
            unit_id=unit_a.pk,
            name="x",
            kind="webhook",
            target="file:///etc/passwd",
        )
    assert refused.value.field == "target"


def test_guard_runs_again_before_each_send(httpserver, webhook, unit_a, django_capture_on_commit_callbacks):
    AllowedAddress.objects.all().delete()  # the admin took 127.0.0.1 off the list after saving

    [delivery] = _send(django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(webhook.pk))])

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED  # nothing to retry until an admin acts
    assert "127.0.0.1" in delivery.last_error
    assert httpserver.log == []


def test_smtp_host_is_guarded_too(unit_a, group_admin):
    with pytest.raises(DomainError) as refused:
        services.create(
            Channel, actor=group_admin, unit_id=unit_a.pk, name="m", kind="email", target={"host": "10.1.2.3"}
        )
    assert refused.value.field == "target"


def test_send_needs_a_chinese_subject(unit_a):
    with pytest.raises(DomainError) as refused:
        services.send(event_key="e", unit_id=unit_a.pk, recipients=[], subject={"en": "x"}, body={})
    assert refused.value.field == "subject"


def test_wecom_over_its_rate_limit_merges_into_one_digest(
    httpserver, make_channel, unit_a, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/cgi-bin/webhook/send").respond_with_json({"errcode": 0, "errmsg": "ok"})
    robot = make_channel("wecom", httpserver.url_for("/cgi-bin/webhook/send?key=k"))
    recipient = Recipient("channel", str(robot.pk))

    with time_machine.travel(START, tick=False) as clock:
        for n in range(23):
            clock.shift(datetime.timedelta(seconds=1))
            _send(django_capture_on_commit_callbacks, unit_a, [recipient], event_key=f"incident:{n}:reported")
        assert len(httpserver.log) == 20
        clock.shift(datetime.timedelta(seconds=40))
        tasks.sweep_deliveries()

    assert len(httpserver.log) == 21
    rows = Delivery.objects.filter(channel=robot)
    digest = rows.get(event_key__startswith=outbox.DIGEST_PREFIX)
    assert digest.state == DeliveryState.SENT
    merged = rows.filter(state=DeliveryState.MERGED)
    assert set(merged.values_list("digest", flat=True)) == {digest.pk}
    text = httpserver.log[-1][0].get_json()["markdown"]["content"]
    assert "3 条通知" in text
    for n in range(20, 23):
        assert f"通知 incident:{n}:reported" in text


def test_two_channels_of_one_robot_share_its_rate_limit(
    httpserver, make_channel, unit_a, unit_b, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/robot/send").respond_with_json({"errcode": 0})
    url = httpserver.url_for("/robot/send?access_token=shared")
    first = make_channel("dingtalk", url, name="值班群")
    second = make_channel("dingtalk", url, name="值班群（乙）", unit=unit_b)
    other = make_channel("dingtalk", httpserver.url_for("/robot/send?access_token=other"), name="其他群")

    with time_machine.travel(START, tick=False) as clock:
        for n in range(24):
            channel = first if n % 2 else second
            _send(
                django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(channel.pk))], f"e:{n}"
            )
        assert len(httpserver.log) == 20  # the robot's 20 a minute, not 20 per channel row
        _send(django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(other.pk))], "e:other")
        assert len(httpserver.log) == 21  # another robot has a window of its own
        clock.shift(datetime.timedelta(seconds=61))
        tasks.sweep_deliveries()

    assert Delivery.objects.filter(state=DeliveryState.MERGED).count() == 4
    digests = Delivery.objects.filter(event_key__startswith=outbox.DIGEST_PREFIX)
    assert sorted(digests.values_list("channel", flat=True)) == sorted([first.pk, second.pk])
    assert set(digests.values_list("state", flat=True)) == {DeliveryState.SENT}
    sent_text = " ".join(request.get_data(as_text=True) for request, _response in httpserver.log)
    for n in range(24):
        assert f"通知 e:{n}" in sent_text  # none lost


def test_test_button_counts_toward_the_robots_rate_limit(
    httpserver, make_channel, unit_a, group_admin, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/cgi-bin/webhook/send").respond_with_json({"errcode": 0})
    robot = make_channel("wecom", httpserver.url_for("/cgi-bin/webhook/send?key=k"))
    recipient = Recipient("channel", str(robot.pk))

    with time_machine.travel(START, tick=False), translation.override("en"):
        for n in range(19):
            _send(django_capture_on_commit_callbacks, unit_a, [recipient], event_key=f"e:{n}")
        assert services.test_channel(robot, actor=group_admin) == (True, "OK")  # the 20th message
        ok, reason = services.test_channel(robot, actor=group_admin)
        assert not ok
        assert "try again in 60 seconds" in reason
        assert len(httpserver.log) == 20
        [late] = _send(django_capture_on_commit_callbacks, unit_a, [recipient], event_key="e:late")

    late.refresh_from_db()
    assert late.state == DeliveryState.MERGED  # the test message took the window's last place


def test_a_channel_that_answers_too_late_is_retried_and_nothing_lost(
    httpserver, webhook, unit_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(senders, "TIMEOUT", 0.2)
    release = threading.Event()

    def slow(request):
        release.wait(10)  # answers only after the sender has given up waiting
        return Response("late")

    httpserver.expect_oneshot_request("/hook").respond_with_handler(slow)
    httpserver.expect_request("/hook").respond_with_data("ok")

    with translation.override("en"):
        [delivery] = _send(
            django_capture_on_commit_callbacks, unit_a, [Recipient("channel", str(webhook.pk))]
        )
    release.set()

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.last_error == "The server did not answer within 0.2 seconds."
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        tasks.sweep_deliveries()

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 2, "")
    assert httpserver.log[-1][0].get_json()["delivery_id"] == delivery.pk


def test_email_without_a_mail_server_says_so(unit_a, django_capture_on_commit_callbacks):
    with translation.override("en"):
        [delivery] = _send(django_capture_on_commit_callbacks, unit_a, [Recipient("email", "a@example.cn")])

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error == "No e-mail server (SMTP channel) is configured for this unit or the group."
