"""Each duty's check with a passing and a failing case, judged from records of the month (2026-10)."""

import datetime

import pytest
from django.utils import timezone

from yunwei.audit import services as audit
from yunwei.changes.models import Change
from yunwei.compliance import registry, services
from yunwei.incidents.models import ChecklistItem, Incident, IncidentEvent, Notice
from yunwei.monitoring import services as monitoring
from yunwei.monitoring.models import Check, CheckRollup, Indicator, IndicatorBreach
from yunwei.monitoring.services import indicators
from yunwei.org import services as org
from yunwei.org.models import Person, RoleAssignment
from yunwei.problems.models import Problem

from ..conftest import make_item, make_user
from .conftest import IN_MONTH, MONTH, NOW, judge

pytestmark = pytest.mark.django_db
H = 3600.0


# -- Art. 3 ---------------------------------------------------------------------------------------


def _indicator(unit, actor, code="OA-DB"):
    item = make_item(unit, "application", code, actor=actor)
    check = monitoring.create(
        Check, actor=actor, item=item, name=f"{code} port", kind="tcp", spec={"host": "127.0.0.1", "port": 9}
    )
    Check.objects.filter(pk=check.pk).update(created_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC))
    indicator = monitoring.create(
        Indicator, actor=actor, item=item, name=f"{code} 可用性", availability_target="99.0"
    )
    return indicator, check


def _day(check, day: int, up: float, down: float = 0.0):
    CheckRollup.objects.create(
        active_check=check,
        period="day",
        start=indicators.day_start(datetime.date(2026, 10, day)),
        up_seconds=up,
        down_seconds=down,
        no_data_seconds=86400 - up - down,
    )


def test_indicators_met_over_the_month_is_met(unit_a, group_admin):
    indicator, check = _indicator(unit_a, group_admin)
    _day(check, 1, 24 * H)
    result = judge("art3-indicators", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 1, 0)


def test_an_indicator_missed_over_the_month_is_not_met_and_named(unit_a, group_admin, findings):
    indicator, check = _indicator(unit_a, group_admin)
    _day(check, 1, 12 * H, 12 * H)
    result = judge("art3-indicators", unit_a)
    assert (result.judged, result.failing) == ("not_met", 1)
    assert findings(result)[0][:2] == ("monitoring.indicator", indicator.pk)


def test_an_indicator_met_over_the_month_but_missed_on_a_day_is_partly_met(unit_a, group_admin, findings):
    indicator, check = _indicator(unit_a, group_admin)
    for day in range(1, 31):
        _day(check, day, 24 * H)
    IndicatorBreach.objects.create(
        indicator=indicator, figure="availability", day=datetime.date(2026, 10, 3), target=99, actual=98
    )
    result = judge("art3-indicators", unit_a)
    assert (result.judged, result.failing) == ("partly_met", 0)
    assert "1" in findings(result)[0][2]


def test_the_group_indicators_are_judged_on_the_group_only(group, unit_a, group_admin):
    _indicator(group, group_admin, "GROUP-OA")
    written = services.judge(registry.BY_CODE["art3-group-indicators"], MONTH, [group, unit_a], now=NOW)
    assert [(r.unit_id, r.carried_by) for r in written] == [(group.pk, "group")]


# -- Art. 10 ---------------------------------------------------------------------------------------


def test_a_unit_with_its_leader_admin_and_clerk_is_met(unit_a):
    make_user("a-leader", unit_a, "leader")
    make_user("a-admin", unit_a, "unit_admin")
    make_user("a-clerk", unit_a, "clerk")
    RoleAssignment.objects.update(assigned_at=IN_MONTH)
    result = judge("art10-people", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 3, 0)


def test_a_unit_without_its_clerk_is_partly_met_naming_the_clerk(unit_a, findings):
    make_user("a-leader", unit_a, "leader")
    make_user("a-admin", unit_a, "unit_admin")
    make_user("a-late-clerk", unit_a, "clerk")  # named only after the month: not counted for it
    RoleAssignment.objects.exclude(role="clerk").update(assigned_at=IN_MONTH)
    result = judge("art10-people", unit_a)
    assert (result.judged, result.failing) == ("partly_met", 1)
    assert findings(result) == [("org.unit", unit_a.pk, "No Clerk named")]


def test_a_unit_with_nobody_is_not_met_and_the_group_is_not_judged(group, unit_a):
    written = services.judge(registry.BY_CODE["art10-people"], MONTH, [group, unit_a], now=NOW)
    assert [(r.unit_id, r.judged) for r in written] == [(unit_a.pk, "not_met")]


# -- Art. 11 ---------------------------------------------------------------------------------------


def test_every_unmasking_through_the_product_is_recorded(unit_a, group_admin):
    person = Person.objects.create(unit=unit_a, name="张三", phone="13912345678")
    org.reveal_personal_data(person, actor=group_admin)
    audit.seal()  # as just after the commit
    result = judge("art11-unmasking", unit_a, month=services.this_month(), now=timezone.now())
    assert (result.judged, result.checked, result.failing) == ("met", 1, 0)


def test_an_unmasking_waiting_to_be_sealed_is_judged_once_sealed(unit_a, group_admin):
    person = Person.objects.create(unit=unit_a, name="张三", phone="13912345678")
    org.reveal_personal_data(person, actor=group_admin)
    # No hash yet: not a record altered after it was written, just not judged until the sealer runs.
    result = judge("art11-unmasking", unit_a, month=services.this_month(), now=timezone.now())
    assert (result.checked, result.failing) == (0, 0)


def test_an_unmasking_recorded_without_who_is_a_finding(unit_a, group_admin, findings):
    person = Person.objects.create(unit=unit_a, name="张三", phone="13912345678")
    org.reveal_personal_data(person, actor=group_admin)
    event = audit.record("unmask", actor=None, obj=person, comment="")
    audit.seal()
    event.refresh_from_db()
    result = judge("art11-unmasking", unit_a, month=services.this_month(), now=timezone.now())
    assert (result.judged, result.checked, result.failing) == ("partly_met", 2, 1)
    assert findings(result)[0][:2] == ("audit.event", event.seq)


# -- Art. 12 ---------------------------------------------------------------------------------------


def _incident(unit, **fields) -> Incident:
    defaults = {
        "title": "OA 登录失败",
        "impact_scope": "one_unit",
        "started_at": IN_MONTH,
        "reported_at": IN_MONTH,
        "grade": "III",
        "grade_reason": "From the grading matrix",
    }
    return Incident.objects.create(unit=unit, **{**defaults, **fields})


def test_incidents_graded_by_the_matrix_or_by_hand_with_a_reason_are_met(unit_a):
    _incident(unit_a, restored_at=IN_MONTH + datetime.timedelta(minutes=30))
    _incident(unit_a, grade="II", grade_manual=True, grade_reason="影响全单位办公")
    _incident(unit_a, grade="II", restored_at=IN_MONTH + datetime.timedelta(hours=3))
    result = judge("art12-grading", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 3, 0)


def test_a_hand_grade_without_reason_or_a_grade_below_the_matrix_is_a_finding(unit_a, findings):
    _incident(unit_a, restored_at=IN_MONTH + datetime.timedelta(minutes=30))
    bare = _incident(unit_a, grade="II", grade_manual=True, grade_reason="")
    low = _incident(unit_a, grade="III", restored_at=IN_MONTH + datetime.timedelta(hours=3))
    result = judge("art12-grading", unit_a)
    assert (result.judged, result.checked, result.failing) == ("partly_met", 3, 2)
    assert [(f[1], f[2]) for f in findings(result)] == [
        (bare.pk, "Grade set by hand without a reason"),
        (low.pk, "Graded below the matrix for its scope and duration"),
    ]


def test_false_alarms_and_merged_incidents_are_left_out(unit_a):
    _incident(unit_a, grade_manual=True, grade_reason="", closed_as="false_alarm", state="closed")
    result = judge("art12-grading", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 0, 0)


# -- Art. 13 ---------------------------------------------------------------------------------------


def _severe(unit, *, notices=("leader_report", "recovery"), verified=True, suspend=False) -> Incident:
    incident = _incident(
        unit,
        grade="II",
        state="closed",
        closed_at=IN_MONTH + datetime.timedelta(hours=5),
        restored_at=IN_MONTH + datetime.timedelta(hours=4),
        impact_scope="several_units",
        plan_snapshot={"suspend_service": suspend},
    )
    for kind in notices:
        Notice.objects.create(
            incident=incident, kind=kind, event_key=f"{incident.pk}:{kind}", sent_at=IN_MONTH
        )
    if verified:
        ChecklistItem.objects.create(
            incident=incident, kind="verification", position=1, text="登录测试", passed=True
        )
        IncidentEvent.objects.create(
            incident=incident, at=IN_MONTH, kind="transition", from_state="verifying", to_state="restored"
        )
    return incident


def test_a_severe_incident_with_its_notices_and_a_passed_verification_is_met(unit_a):
    _severe(unit_a)
    _severe(unit_a, notices=("leader_report", "suspension", "recovery"), suspend=True)
    result = judge("art13-severe", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 2, 0)


def test_a_severe_incident_missing_a_notice_or_the_verification_is_a_finding(unit_a, findings):
    _severe(unit_a)
    no_recovery = _severe(unit_a, notices=("leader_report",))
    no_suspension = _severe(unit_a, suspend=True)
    unverified = _severe(unit_a, verified=False)
    result = judge("art13-severe", unit_a)
    assert (result.judged, result.checked, result.failing) == ("partly_met", 4, 3)
    details = {f[1]: f[2] for f in findings(result)}
    assert details[no_recovery.pk] == "Missing: Recovery notice"
    assert details[no_suspension.pk] == "Missing: Suspension notice"
    assert details[unverified.pk] == "Missing: passed verification"


# -- Art. 15–16 ------------------------------------------------------------------------------------


def _problem(unit, **fields) -> Problem:
    return Problem.objects.create(unit=unit, title="存储告警反复", registered_at=IN_MONTH, **fields)


def test_a_problem_archived_after_a_group_admin_other_than_its_owner_verified_it_is_met(unit_a, group_admin):
    owner = Person.objects.create(unit=unit_a, name="李四")
    _problem(unit_a, owner=owner, state="archived", archived_at=IN_MONTH, verified_by=group_admin)
    result = judge("art16-verified", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 1, 0)


def test_a_problem_archived_by_its_owner_or_by_no_group_admin_is_not_met(unit_a, group_admin, findings):
    owner_account = make_user("owner-admin", unit_a, "group_admin")
    owner = Person.objects.get(account=owner_account)
    own = _problem(unit_a, owner=owner, state="archived", archived_at=IN_MONTH, verified_by=owner_account)
    unit_admin = make_user("a-admin", unit_a, "unit_admin")
    other = _problem(unit_a, state="archived", archived_at=IN_MONTH, verified_by=unit_admin)
    result = judge("art16-verified", unit_a)
    assert (result.judged, result.failing) == ("not_met", 2)
    assert [f[1] for f in findings(result)] == [own.pk, other.pk]


def test_a_problem_past_its_deadline_and_escalated_is_met(unit_a):
    _problem(
        unit_a,
        state="in_progress",
        deadline=datetime.date(2026, 10, 5),
        owner_alert_at=IN_MONTH,
        escalation_level=1,
    )
    result = judge("art15-escalated", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 1, 0)


def test_a_problem_past_its_deadline_never_escalated_is_a_finding(unit_a, findings):
    quiet = _problem(
        unit_a, state="in_progress", deadline=datetime.date(2026, 10, 5), owner_alert_at=IN_MONTH
    )
    result = judge("art15-escalated", unit_a)
    assert (result.judged, result.failing) == ("not_met", 1)
    assert findings(result)[0][1] == quiet.pk


# -- Art. 18 ---------------------------------------------------------------------------------------


def _change(unit, **fields) -> Change:
    defaults = {
        "title": "OA 升级",
        "change_type": "software_upgrade",
        "state": "reviewed",
        "rollback_plan": "回退到上一版本",
        "submitted_at": IN_MONTH - datetime.timedelta(days=2),
        "approved_at": IN_MONTH - datetime.timedelta(days=1),
        "finished_at": IN_MONTH,
        "reviewed_at": IN_MONTH + datetime.timedelta(days=1),
    }
    return Change.objects.create(unit=unit, **{**defaults, **fields})


def test_changes_approved_with_rollback_plan_and_review_are_met(unit_a):
    _change(unit_a)
    _change(
        unit_a,
        kind="emergency",
        approval_due_at=IN_MONTH + datetime.timedelta(hours=24),
        approved_at=IN_MONTH + datetime.timedelta(hours=3),
    )
    result = judge("art18-changes", unit_a)
    assert (result.judged, result.checked, result.failing) == ("met", 2, 0)


def test_a_change_unapproved_late_approved_without_rollback_or_review_is_a_finding(unit_a, findings):
    _change(unit_a)
    late = _change(
        unit_a,
        kind="emergency",
        approval_due_at=IN_MONTH,
        approved_at=IN_MONTH + datetime.timedelta(hours=30),
    )
    bare = _change(unit_a, approved_at=None, rollback_plan="", reviewed_at=None, state="completed")
    result = judge("art18-changes", unit_a)
    assert (result.judged, result.checked, result.failing) == ("partly_met", 3, 2)
    details = {f[1]: f[2] for f in findings(result)}
    assert details[late.pk] == "Missing: approval within 24 hours"
    assert details[bare.pk] == "Missing: approval, rollback plan, review"


# -- set-based -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["art12-grading", "art13-severe", "art18-changes", "art16-verified"])
def test_a_check_takes_as_many_queries_for_forty_records_as_for_four(unit_a, unit_b, code):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(count):
        for k in range(count):
            unit = unit_a if k % 2 else unit_b
            _severe(unit, notices=("leader_report",))
            _incident(unit, grade="II", grade_manual=True, grade_reason="")
            _change(unit, approved_at=None)
            _problem(unit, state="archived", archived_at=IN_MONTH)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            services.judge(registry.BY_CODE[code], MONTH, [unit_a, unit_b], now=NOW)
        return len(captured)

    make(4)
    queries()  # the results written once: every later run updates them the same way
    few = queries()
    make(36)
    assert queries() == few
