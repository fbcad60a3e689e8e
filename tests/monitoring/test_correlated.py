"""Checks reach correlation: a check's damped down fires its signal and opens the one incident of its
fault (to be confirmed, docs/correlation.md), an unknown opens nothing, and the up after down resolves it."""

import datetime
import socket

import pytest

from yunwei.incidents.models import Incident, Signal
from yunwei.monitoring import services
from yunwei.monitoring.models import Check

from .targets import free_port

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


def _tcp_check(actor, item, port, **fields) -> Check:
    spec = {"host": "127.0.0.1", "port": port, "timeout": 0.5}
    return services.create(
        Check,
        actor=actor,
        item=item,
        name="甲数据库端口",
        kind="tcp",
        spec=spec,
        fail_after=2,
        recover_after=1,
    )


def test_a_down_check_opens_its_incident_and_its_up_resolves_the_signal(group_admin, db_server_a):
    port = free_port()
    check = _tcp_check(group_admin, db_server_a, port)

    services.run_check(check.pk, now=START)
    assert not Signal.objects.exists()  # one failure of two: not down yet
    services.run_check(check.pk, now=START + datetime.timedelta(seconds=20))

    signal = Signal.objects.get(source="check", key=f"check:{check.pk}")
    assert (signal.state, signal.item, signal.first_at) == (
        "firing",
        db_server_a,
        START + datetime.timedelta(seconds=20),
    )
    incident = signal.incident
    assert incident.state == "to_confirm" and list(incident.affected_items.all()) == [db_server_a]

    with socket.create_server(("127.0.0.1", port)):
        services.run_check(check.pk, now=START + datetime.timedelta(seconds=40))

    signal.refresh_from_db()
    assert signal.state == "resolved" and Check.objects.get(pk=check.pk).state == "up"
    assert Incident.objects.count() == 1


def test_an_unknown_check_opens_nothing(group_admin, db_server_a):
    check = services.create(
        Check,
        actor=group_admin,
        item=db_server_a,
        name="甲域名解析",
        kind="dns",
        spec={"name": "oa.example.cn", "server": "127.0.0.1", "port": free_port(), "timeout": 0.3},
        fail_after=1,
    )
    for seconds in (0, 20, 40):
        services.run_check(check.pk, now=START + datetime.timedelta(seconds=seconds))

    assert Check.objects.get(pk=check.pk).state == "unknown"
    assert not Signal.objects.exists() and not Incident.objects.exists()
