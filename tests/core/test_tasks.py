import os

import pytest
from django.conf import settings

from yunwei.celery import app as celery_app
from yunwei.core.models import WorkerHeartbeat
from yunwei.core.tasks import YunweiTask, record_worker_heartbeat

HEARTBEAT_URL = "/api/system/heartbeat/"


def _yunwei_tasks() -> dict:
    celery_app.loader.import_default_modules()  # runs autodiscovery: every app's tasks.py
    return {name: task for name, task in celery_app.tasks.items() if name.startswith("yunwei.")}


def test_every_task_has_an_explicit_queue_route():
    tasks = _yunwei_tasks()
    assert "yunwei.core.tasks.record_worker_heartbeat" in tasks
    unrouted = sorted(name for name in tasks if name not in settings.CELERY_TASK_ROUTES)
    assert not unrouted, f"add these tasks to CELERY_TASK_ROUTES in yunwei/settings.py: {unrouted}"


def test_every_task_shares_the_retrying_base():
    plain = sorted(name for name, task in _yunwei_tasks().items() if not isinstance(task, YunweiTask))
    assert not plain, f"declare these tasks with base=YunweiTask: {plain}"
    assert YunweiTask.max_retries == 5
    assert YunweiTask.retry_backoff and YunweiTask.retry_jitter


def test_every_scheduled_task_exists():
    tasks = _yunwei_tasks()
    missing = sorted(
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in tasks
    )
    assert not missing


@pytest.mark.django_db
def test_heartbeat_task_records_who_ran_it():
    record_worker_heartbeat("direct-call")

    heartbeat = WorkerHeartbeat.objects.get(token="direct-call")
    assert heartbeat.pid == os.getpid()
    assert heartbeat.hostname
    assert heartbeat.at is not None


@pytest.mark.django_db
def test_group_admin_requests_a_heartbeat_and_sees_it(
    group_admin, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(group_admin)  # tasks run eagerly in tests (tests/conftest.py)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(HEARTBEAT_URL)

    assert response.status_code == 202
    token = response.json()["token"]
    status = client.get(HEARTBEAT_URL, {"token": token}).json()
    assert status["seen"] is True
    assert status["token"] == token
    assert status["hostname"]
    assert status["at"]


@pytest.mark.django_db
def test_heartbeat_is_queued_only_after_commit(group_admin, api_client_for):
    client = api_client_for(group_admin)
    token = client.post(HEARTBEAT_URL).json()["token"]

    # The test's transaction never commits, so the task was never queued.
    assert client.get(HEARTBEAT_URL, {"token": token}).json()["seen"] is False


@pytest.mark.django_db
def test_heartbeat_status_without_token_shows_the_latest(group_admin, api_client_for):
    client = api_client_for(group_admin)
    assert client.get(HEARTBEAT_URL).json()["seen"] is False

    record_worker_heartbeat("older")
    record_worker_heartbeat("newer")

    status = client.get(HEARTBEAT_URL).json()
    assert status["seen"] is True
    assert status["token"] == "newer"


@pytest.mark.django_db
def test_non_admin_may_not_request_or_read_heartbeats(unit_user_a, api_client_for):
    client = api_client_for(unit_user_a)
    assert client.post(HEARTBEAT_URL).status_code == 403
    assert client.get(HEARTBEAT_URL).status_code == 403
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_anonymous_may_not_request_heartbeats(client):
    assert client.post(HEARTBEAT_URL).status_code in (401, 403)


def test_a_publish_to_a_hung_redis_fails_instead_of_holding_the_request():
    """A Redis that accepts connections and never answers (a stopped process): publishing with the
    settings' time-outs and retry policy raises, so a web request that queues a task after its commit
    (logged there by a robust on-commit callback) answers all the same. Without them it waits for ever."""
    import socket
    import threading

    from celery import Celery
    from kombu.exceptions import OperationalError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nobody reads or answers
    app = Celery("hung", broker=f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    app.conf.broker_connection_timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    app.conf.task_publish_retry_policy = settings.CELERY_TASK_PUBLISH_RETRY_POLICY
    outcome = []

    def publish():
        try:
            app.send_task("yunwei.core.tasks.record_worker_heartbeat")
        except OperationalError as error:
            outcome.append(error)

    try:
        thread = threading.Thread(target=publish, daemon=True)
        thread.start()
        thread.join(timeout=120)  # a deadline for the test only: the settings bound it far below
        assert not thread.is_alive(), "the publish still waits on the hung broker"
        assert outcome and "Timeout" in str(outcome[0])
    finally:
        listener.close()
        app.close()
