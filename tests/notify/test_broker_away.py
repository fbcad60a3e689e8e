"""A broker that is away (Redis stopped, in scale mode) never turns a saved notice into an error: the
deliveries are committed, the failed queueing is logged, and the sweep sends them once it is back."""

import contextlib
import socket

import pytest
from werkzeug import Response

from tests.conftest import end_backend
from yunwei.celery import app as celery_app
from yunwei.notify import services, tasks
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import Delivery
from yunwei.notify.services import Recipient

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def broker_refusing():
    """Tasks are published for real, to a Redis address on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    celery_app._pool, celery_app.amqp._producer_pool = None, None  # made again from the address above
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        celery_app._pool, celery_app.amqp._producer_pool = None, None


@pytest.fixture
def webhook(httpserver, make_channel):
    httpserver.expect_request("/hook").respond_with_data("ok")
    return make_channel("webhook", httpserver.url_for("/hook"))


def test_a_notice_saved_while_the_broker_is_away_is_sent_by_the_sweep_once(
    httpserver, webhook, unit_a, django_capture_on_commit_callbacks, caplog
):
    with broker_refusing(), django_capture_on_commit_callbacks(execute=True) as queued:
        created = services.send(
            event_key="incident:9:reported",
            unit_id=unit_a.pk,
            recipients=[Recipient("channel", str(webhook.pk))],
            subject={"zh-hans": "新故障"},
            body={"zh-hans": "正文"},
        )

    assert len(queued) == 1 and len(created) == 1
    assert "Error calling" in caplog.text  # logged by the robust callback, not raised
    assert Delivery.objects.get().state == DeliveryState.PENDING
    assert httpserver.log == []

    assert tasks.sweep_deliveries() == 1  # the broker is back (eager here): the sweep queues it
    assert tasks.sweep_deliveries() == 0
    assert Delivery.objects.get().state == DeliveryState.SENT
    assert len(httpserver.log) == 1


def test_a_retry_asked_while_the_broker_is_away_is_saved(
    httpserver, webhook, unit_a, group_admin, django_capture_on_commit_callbacks
):
    delivery = services.send(
        event_key="incident:10:reported",
        unit_id=unit_a.pk,
        recipients=[Recipient("channel", str(webhook.pk))],
        subject={"zh-hans": "新故障"},
        body={},
    )[0]
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, last_error="down")

    with broker_refusing(), django_capture_on_commit_callbacks(execute=True):
        services.retry_delivery(delivery, actor=group_admin)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.PENDING, 0, "")
    assert tasks.sweep_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_sent_while_the_database_restarts_is_recorded_once_it_is_back(
    httpserver, make_channel, unit_a
):
    """The receiver has the message, then the worker's database connection dies (as in a restart of
    PostgreSQL): the outcome is written once the database answers again, so the row is not left
    'sending' to be handed back and sent a second time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("ends the worker's connection with PostgreSQL's pg_terminate_backend")
    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def answer_then_drop_the_connection(request):
        end_backend(settings, backend)
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(answer_then_drop_the_connection)
    channel = make_channel("webhook", httpserver.url_for("/hook"))
    services.send(
        event_key="incident:11:reported",
        unit_id=unit_a.pk,
        recipients=[Recipient("channel", str(channel.pk))],
        subject={"zh-hans": "新故障"},
        body={},
    )  # queued after the commit: sent at once, the tasks being eager here

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 1, "")
    assert len(httpserver.log) == 1
