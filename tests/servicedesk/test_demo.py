"""The demo's service desk: months of requests of every type and state in every unit, some overdue, some
rated, one requirement that became a change, one support request that became an incident."""

import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from yunwei.org.choices import UnitKind
from yunwei.org.models import Unit
from yunwei.servicedesk import timers
from yunwei.servicedesk.choices import Kind
from yunwei.servicedesk.models import ReplyTemplate, ServiceRequest

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_kind_and_state_in_every_unit(settings):
    settings.DEMO_PASSWORD = "changed-demo-pass-8"
    started = time.monotonic()
    call_command("demo", stdout=io.StringIO())
    assert time.monotonic() - started < 240
    rows = ServiceRequest.objects.all()
    for unit in Unit.objects.filter(kind=UnitKind.UNIT):
        assert set(rows.filter(unit=unit).values_list("kind", flat=True)) == set(Kind.values)
    states = set(rows.values_list("state", flat=True))
    assert {
        "submitted",
        "triaged",
        "accepted",
        "approved",
        "resolved",
        "closed",
        "rejected",
        "incident",
    } <= states
    assert {"waiting_requester", "merged"} <= states
    assert rows.filter(rating__isnull=False).count() >= 10
    assert rows.filter(timers.overdue_q(timezone.now())).exists()
    assert rows.filter(change__isnull=False, kind="requirement").count() == 1
    assert rows.filter(incident__isnull=False, kind="support").count() == 1
    assert rows.filter(known_error__isnull=False).exists()
    assert rows.filter(values__has_key="account").exists()  # an account opened through the accounts service
    assert ReplyTemplate.objects.count() >= 3
