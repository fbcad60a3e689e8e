import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.incidents import services, tasks
from yunwei.incidents.models import GradingRule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("scope", "minutes", "grade"),
    [
        ("one_user", 0, "III"),
        ("one_user", 479, "III"),
        ("one_user", 480, "II"),
        ("one_department", 240, "II"),
        ("one_unit", 119, "III"),
        ("one_unit", 120, "II"),
        ("several_units", 0, "II"),
        ("whole_group", 0, "II"),
    ],
)
def test_shipped_matrix(scope, minutes, grade):
    assert services.grade_for(scope, minutes) == grade


def test_a_group_may_add_grade_i():
    GradingRule.objects.create(impact_scope="whole_group", min_duration_minutes=60, grade="I")
    assert services.grade_for("whole_group", 59) == "II"
    assert services.grade_for("whole_group", 60) == "I"


def test_a_grade_iii_that_lasts_becomes_ii_with_an_event_and_a_notice(unit_a, unit_user_a, leader_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_user_a, unit=unit_a, title="部门断网", impact_scope="one_unit")
    assert incident.grade == "III"
    with time_machine.travel(start + datetime.timedelta(minutes=119), tick=False):
        assert tasks.reevaluate_grades.delay().get() == 0
    with time_machine.travel(start + datetime.timedelta(minutes=121), tick=False):
        assert tasks.reevaluate_grades.delay().get() == 1
        assert tasks.reevaluate_grades.delay().get() == 0  # once only
    incident.refresh_from_db()
    assert incident.grade == "II"
    event = incident.events.get(kind="grade")
    assert event.data["after"] == "II" and event.actor_name == "system"
    # Reported at grade Ⅲ (to the system lead), then once more at grade Ⅱ (to the leaders in charge).
    keys = set(incident.notices.filter(kind="leader_report").values_list("event_key", flat=True))
    assert keys == {f"incident:{incident.pk}:leader_report:III", f"incident:{incident.pk}:leader_report:II"}


def test_a_closed_incident_is_not_regraded(unit_a, unit_admin_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_admin_a, unit=unit_a, title="x", impact_scope="one_unit")
    incident.state = "closed"
    incident.save(update_fields=["state"])
    with time_machine.travel(start + datetime.timedelta(hours=5), tick=False):
        assert services.reevaluate_grade(incident.pk) is False


def test_sla_breach_from_stored_deadlines(unit_a, unit_admin_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        incident = services.report(actor=unit_admin_a, unit=unit_a, title="x", impact_scope="one_user")
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        timers = services.timers(incident)
        assert timers.acknowledge_breached and not timers.restore_breached
        services.transition(incident, to="acknowledged", actor=unit_admin_a)
    incident.refresh_from_db()
    timers = services.timers(incident)
    assert timers.to_acknowledge == datetime.timedelta(minutes=31)
    assert timers.acknowledge_breached
