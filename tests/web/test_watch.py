"""The red banner of the watch and the system management lead's notice, sent without a worker."""

import datetime
import email
import email.policy
import io
import sys
import time

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user
from tests.notify.conftest import allow_loopback, make_channel, smtp_server  # noqa: F401 - fixtures
from yunwei.celery import app as celery_app
from yunwei.cli import RestartPolicy, supervise
from yunwei.core import watch
from yunwei.core.beat import record_tick
from yunwei.core.models import WatchAlarm
from yunwei.core.tasks import record_worker_heartbeat
from yunwei.notify.choices import DeliveryState
from yunwei.notify.models import Delivery
from yunwei.org.choices import Role

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)
LATE = T0 + 2 * watch.TICK + datetime.timedelta(seconds=30)
BANNER = 'data-testid="watch-banner"'


@pytest.fixture(autouse=True)
def _no_cached_state():
    cache.delete(watch.CACHE_KEY)
    yield
    cache.delete(watch.CACHE_KEY)


def _beat(moment, *, scheduler=True, worker=True):
    with time_machine.travel(moment, tick=False):
        if scheduler:
            record_tick()
        if worker:
            record_worker_heartbeat()


def _page(client, url, moment):
    cache.delete(watch.CACHE_KEY)  # each request of a test reads afresh, as after the cache's seconds
    with time_machine.travel(moment, tick=False):
        return client.get(url)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("url_name", ["web:dashboard", "monitoring:heartbeat-list"])
def test_a_late_scheduler_is_named_in_red_on_the_page_for_staff(client, group_admin, url_name):
    _beat(T0)
    _beat(T0 + datetime.timedelta(minutes=2), scheduler=False)  # a worker still runs tasks
    client.force_login(group_admin)

    page = _page(client, reverse(url_name), LATE).content.decode()

    assert BANNER in page
    assert 'data-part="scheduler"' in page and 'data-part="worker"' not in page
    assert f"调度器已超过两个周期未运行：自 {_local(T0)} 起没有心跳" in page


def test_no_worker_reporting_is_named_in_english_too(client, group_admin):
    _beat(T0)
    _beat(T0 + datetime.timedelta(minutes=2), worker=False)  # the scheduler still ticks
    client.force_login(group_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    page = _page(client, "/", LATE).content.decode()

    assert 'data-part="worker"' in page and 'data-part="scheduler"' not in page
    assert f"No worker has reported within two ticks: the last one ran a task at {_local(T0)}." in page


def test_no_banner_while_both_are_fresh(client, group_admin):
    _beat(T0)
    client.force_login(group_admin)

    response = _page(client, "/", T0 + 2 * watch.TICK)

    assert response.context["watch_late"] == []
    assert BANNER not in response.content.decode()


def test_a_plain_user_sees_no_banner(client, unit_user_a):
    """A plain user can do nothing about the background processes; the staff and the lead can."""
    _beat(T0)
    client.force_login(unit_user_a)

    response = _page(client, "/", LATE)

    assert "watch_late" not in response.context
    assert BANNER not in response.content.decode()


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD)


@pytest.fixture
def mail_at_the_group(smtp_server, make_channel, group):  # noqa: F811 - the fixtures imported above
    make_channel("email", {"host": "127.0.0.1", "port": smtp_server.port}, unit=group)
    return smtp_server


@pytest.fixture
def no_eager_tasks():
    """As in production: a task queued is not run by anyone here (the workers are the ones down)."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_the_lead_is_told_once_per_outage_from_the_web_process(
    client, group_admin, lead, mail_at_the_group, no_eager_tasks, django_capture_on_commit_callbacks
):
    _beat(T0)
    _beat(LATE - datetime.timedelta(seconds=30), worker=False)  # the scheduler ticks, no worker runs
    client.force_login(group_admin)

    with django_capture_on_commit_callbacks(execute=True):
        _page(client, "/", LATE)
    # Sent by the request itself: with eager tasks off, a queued delivery would still be pending.
    [delivery] = Delivery.objects.filter(event_key__startswith="watch:")
    assert delivery.state == DeliveryState.SENT
    assert delivery.recipient == "lead@example.cn"
    assert [envelope.rcpt_tos for envelope in mail_at_the_group.envelopes] == [["lead@example.cn"]]
    mail = email.message_from_bytes(mail_at_the_group.envelopes[0].content, policy=email.policy.default)
    assert mail["Subject"] == "【后台停止】后台任务进程已超过两个周期未报告"
    assert WatchAlarm.objects.get(part="worker").down_since == T0
    assert WatchAlarm.objects.get(part="scheduler").down_since is None

    with django_capture_on_commit_callbacks(execute=True):
        _page(client, "/", LATE + datetime.timedelta(seconds=20))

    assert Delivery.objects.filter(event_key__startswith="watch:").count() == 1
    assert len(mail_at_the_group.envelopes) == 1


def test_the_recovery_is_told_once_and_a_plain_user_s_request_notices_it(
    client, unit_user_a, lead, mail_at_the_group, no_eager_tasks, django_capture_on_commit_callbacks
):
    _beat(T0, scheduler=False)
    client.force_login(unit_user_a)
    with django_capture_on_commit_callbacks(execute=True):
        _page(client, "/", LATE)
    assert [e.rcpt_tos for e in mail_at_the_group.envelopes] == [["lead@example.cn"]]

    back = LATE + datetime.timedelta(minutes=5)
    _beat(back, scheduler=False)
    with django_capture_on_commit_callbacks(execute=True):
        _page(client, "/", back + datetime.timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        _page(client, "/", back + datetime.timedelta(seconds=30))

    recovery = Delivery.objects.get(event_key=f"watch:worker:back:{T0:%Y%m%dT%H%M%S}")
    assert recovery.state == DeliveryState.SENT and recovery.recipient == "lead@example.cn"
    assert len(mail_at_the_group.envelopes) == 2
    assert WatchAlarm.objects.get(part="worker").down_since is None


def test_the_watch_command_tells_the_lead_with_nobody_signed_in(
    lead, mail_at_the_group, no_eager_tasks, django_capture_on_commit_callbacks
):
    """The path of scale mode's timer and of the embedded supervisor: no request, no worker."""
    _beat(T0)
    _beat(LATE - datetime.timedelta(seconds=30), scheduler=False)  # the workers run, the scheduler stopped
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(LATE, tick=False):
        call_command("watch", stdout=out)
        call_command("watch", stdout=out)  # a second look tells nothing more

    [delivery] = Delivery.objects.filter(event_key__startswith="watch:")
    assert delivery.event_key == f"watch:scheduler:late:{T0:%Y%m%dT%H%M%S}"
    assert delivery.state == DeliveryState.SENT and delivery.recipient == "lead@example.cn"
    assert [envelope.rcpt_tos for envelope in mail_at_the_group.envelopes] == [["lead@example.cn"]]
    told, again = out.getvalue().splitlines()
    assert (told, again) == ("late: scheduler; notices sent: 1", "late: scheduler; notices sent: 0")


def test_the_embedded_supervisor_looks_at_the_watch_while_it_supervises():
    """`supervise` calls its tick between its looks at the children (the supervisor runs `_watch`)."""
    looks = []

    code = supervise(
        {"sleeper": [sys.executable, "-c", "import time; time.sleep(60)"]},
        RestartPolicy(),
        stopping=lambda: len(looks) >= 3,
        poll=0.01,
        tick=lambda: looks.append(time.monotonic()),
        tick_every=0.05,
    )

    assert code == 0 and len(looks) == 3
    assert looks == sorted(looks) and len(set(looks)) == 3
