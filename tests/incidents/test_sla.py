"""The SLA breach sweep: a missed acknowledge or restore deadline is put on the timeline and told to the
assignee, the team (or technical staff) and the group's system management lead — once per deadline."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from yunwei.incidents import services, tasks
from yunwei.incidents.models import Incident
from yunwei.notify.models import Delivery
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import restore, walk

pytestmark = pytest.mark.django_db


def _recipients(event_key: str) -> set[str]:
    return set(Delivery.objects.filter(event_key=event_key).values_list("recipient", flat=True))


@pytest.fixture
def staff(unit_a, group):
    return {
        "tech": make_user("a-tech", unit_a, Role.TECH_STAFF),
        "group_tech": make_user("g-tech", group, Role.TECH_STAFF),
        "lead": make_user("g-lead", group, Role.SYSTEM_LEAD),
    }


def test_a_missed_acknowledge_deadline_is_warned_once(unit_a, unit_user_a, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_user_a, unit=unit_a, title="OA 慢", impact_scope="one_user")
    due = incident.acknowledge_due_at
    with time_machine.travel(due - datetime.timedelta(minutes=1), tick=False):
        assert tasks.warn_sla_breaches() == 0
    with time_machine.travel(due + datetime.timedelta(minutes=1), tick=False):
        assert tasks.warn_sla_breaches() == 1
        assert tasks.warn_sla_breaches() == 0  # the next sweep finds it warned
        assert services.warn_breach(incident.pk, "acknowledge") is False  # a racing worker loses the claim
    incident.refresh_from_db()
    assert incident.acknowledge_warned_at == due + datetime.timedelta(minutes=1)
    assert incident.restore_warned_at is None
    events = incident.events.filter(kind="sla_breach")
    assert [e.data["deadline"] for e in events] == ["acknowledge"]
    key = f"incident:{incident.pk}:sla:acknowledge"
    assert {"a-tech@example.cn", "g-tech@example.cn", "g-lead@example.cn"} <= _recipients(key)
    assert Delivery.objects.filter(event_key=key).count() == len(_recipients(key))
    # Much later the restore deadline passes too: its own warning, once.
    with time_machine.travel(incident.restore_due_at + datetime.timedelta(minutes=1), tick=False):
        assert tasks.warn_sla_breaches() == 1
        assert tasks.warn_sla_breaches() == 0
    assert incident.events.filter(kind="sla_breach").count() == 2


def test_the_assignee_and_the_team_are_warned_of_a_missed_restore(
    unit_a, unit_user_a, unit_admin_a, team_a, staff
):
    assignee = make_user("a-assignee", unit_a, Role.TECH_STAFF)
    member = make_user("a-member", unit_a)
    member.person.team = team_a
    member.person.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_user_a, unit=unit_a, title="OA 慢", impact_scope="one_user")
        incident = walk(incident, unit_admin_a, "acknowledged", assignee=assignee.person, team=team_a)
    with time_machine.travel(incident.restore_due_at + datetime.timedelta(seconds=1), tick=False):
        assert tasks.warn_sla_breaches() == 1
    recipients = _recipients(f"incident:{incident.pk}:sla:restore")
    assert {"a-assignee@example.cn", "a-member@example.cn", "g-lead@example.cn"} <= recipients
    assert "a-tech@example.cn" not in recipients  # the team handles it, not every technician


def test_nothing_is_warned_for_incidents_handled_in_time(unit_a, unit_user_a, unit_admin_a, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_user_a, unit=unit_a, title="OA 慢", impact_scope="one_user")
    with time_machine.travel(start + datetime.timedelta(minutes=5), tick=False):
        restore(incident, unit_admin_a)
    with time_machine.travel(start + datetime.timedelta(days=30), tick=False):
        assert tasks.warn_sla_breaches() == 0
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.acknowledge_warned_at is None and incident.restore_warned_at is None
    assert not incident.events.filter(kind="sla_breach").exists()
    assert not Delivery.objects.filter(event_key__startswith=f"incident:{incident.pk}:sla:").exists()


def test_the_sweep_has_a_route_and_runs_every_minute():
    name = "yunwei.incidents.tasks.warn_sla_breaches"
    assert settings.CELERY_TASK_ROUTES[name]["queue"]
    assert any(
        entry["task"] == name and entry["schedule"] == 60.0
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
