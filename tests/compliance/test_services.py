"""The judging runs (on demand and nightly, with their progress), the versioned rules, and the
"not applicable" flow with its refusals."""

import dataclasses
import datetime

import pytest
from django.utils import timezone

from yunwei.audit.models import AuditEvent
from yunwei.compliance import registry, services
from yunwei.compliance.models import ComplianceRun, Exemption, Result
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.incidents.models import Incident

from .conftest import IN_MONTH, MONTH, NOW, judge

pytestmark = pytest.mark.django_db


def _bare_grade(unit):
    return Incident.objects.create(
        unit=unit,
        title="手工定级无理由",
        impact_scope="one_user",
        started_at=IN_MONTH,
        reported_at=IN_MONTH,
        grade="II",
        grade_manual=True,
    )


# -- months ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "2026-13", "2026/10", "26-10", "2026-1", "abcd-ef", "1899-01"])
def test_a_malformed_month_is_refused_naming_month(bad):
    with pytest.raises(DomainError) as refused:
        services.parse_month(bad)
    assert refused.value.field == "month"


def test_a_month_in_the_future_is_refused_naming_month():
    with pytest.raises(DomainError) as refused:
        services.parse_month("2999-01")
    assert refused.value.field == "month"
    assert "2999-01" in refused.value.message


# -- versioning ------------------------------------------------------------------------------------


def test_a_later_edit_of_the_rules_does_not_rewrite_an_ended_month(unit_a, monkeypatch):
    _bare_grade(unit_a)
    first = judge("art12-grading", unit_a)
    assert (first.duty_version, first.judged, first.failing) == (1, "not_met", 1)

    # The rule is edited (version 2) and now finds nothing at fault.
    lenient = dataclasses.replace(
        registry.BY_CODE["art12-grading"], version=2, check=lambda ctx: {u.pk: _met() for u in ctx.units}
    )
    monkeypatch.setitem(registry.BY_CODE, "art12-grading", lenient)
    assert services.judge(lenient, MONTH, [unit_a], now=NOW) == []
    kept = Result.objects.get(pk=first.pk)
    assert (kept.duty_version, kept.judged, kept.failing) == (1, "not_met", 1)
    assert kept.findings.count() == 1

    # The running month is judged under the rules in force.
    current = judge("art12-grading", unit_a, month=services.this_month(), now=timezone.now())
    assert (current.duty_version, current.judged) == (2, "met")


def test_an_ended_month_is_judged_again_under_the_same_rules(unit_a):
    incident = _bare_grade(unit_a)
    assert judge("art12-grading", unit_a).judged == "not_met"
    Incident.objects.filter(pk=incident.pk).update(grade_reason="影响部门办公")
    assert judge("art12-grading", unit_a).judged == "met"
    assert Result.objects.filter(duty="art12-grading", unit=unit_a).count() == 1


def _met():
    from yunwei.compliance.checks import Judgment

    return Judgment(checked=1)


# -- runs ------------------------------------------------------------------------------------------


def test_a_run_judges_every_duty_and_records_its_progress(
    group, unit_a, unit_b, group_admin, django_capture_on_commit_callbacks
):
    _bare_grade(unit_a)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(MONTH, actor=group_admin)
    run.refresh_from_db()
    # Every duty of the registry is a step: Art. 3 ×2, 5, 9 ×4, 10, 11, 12, 13, 15, 16, 18.
    assert (run.state, run.steps_done, run.steps_total, run.percent) == ("done", 14, 14, 100)
    assert run.started_at and run.finished_at
    grading = Result.objects.get(unit=unit_a, duty="art12-grading", month=MONTH)
    assert grading.judged == "not_met" and grading.run_id == run.pk
    # Unit duties for every unit and the group; the group's duty once; Art. 10 for the member units.
    assert Result.objects.filter(duty="art3-group-indicators").count() == 1
    assert set(Result.objects.filter(duty="art10-people").values_list("unit", flat=True)) == {
        unit_a.pk,
        unit_b.pk,
    }


def test_a_unit_admin_runs_their_own_unit_only(
    unit_a, unit_b, unit_admin_a, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        services.start_run(MONTH, actor=unit_admin_a)
    with pytest.raises(PermissionDenied):
        services.start_run(MONTH, actor=unit_admin_a, unit=unit_b)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(MONTH, actor=unit_admin_a, unit=unit_a)
    assert set(Result.objects.values_list("unit", flat=True)) == {unit_a.pk}
    assert ComplianceRun.objects.get(pk=run.pk).state == "done"


def test_a_run_of_a_future_month_is_refused_and_nothing_is_queued(group_admin):
    with pytest.raises(DomainError) as refused:
        services.start_run("2999-01", actor=group_admin)
    assert refused.value.field == "month"
    assert not ComplianceRun.objects.exists()


def test_the_nightly_run_is_claimed_once_per_night(unit_a):
    night = datetime.datetime(2026, 12, 3, 18, 0, tzinfo=datetime.UTC)  # 02:00 on the 4th in Shanghai
    claimed = services.claim_nightly(night)
    assert [r.month for r in claimed] == ["2026-11", "2026-12"]
    assert services.claim_nightly(night + datetime.timedelta(hours=1)) == []
    later = services.claim_nightly(datetime.datetime(2026, 12, 10, 18, 0, tzinfo=datetime.UTC))
    assert [r.month for r in later] == ["2026-12"]


# -- "not applicable" ------------------------------------------------------------------------------


@pytest.fixture
def failing(unit_a):
    _bare_grade(unit_a)
    return judge("art12-grading", unit_a)


def test_not_applicable_without_a_reason_is_refused_naming_reason(failing, unit_admin_a):
    with pytest.raises(DomainError) as refused:
        services.request_exemption(failing, actor=unit_admin_a, reason="   ")
    assert refused.value.field == "reason"
    assert not Exemption.objects.exists()


def test_only_a_group_admin_other_than_the_requester_decides(failing, unit_admin_a, group_admin, group):
    from ..conftest import make_user

    exemption = services.request_exemption(failing, actor=group_admin, reason="该单位无手工定级")
    with pytest.raises(PermissionDenied) as own:
        services.decide_exemption(exemption, actor=group_admin, approve=True)
    assert "asked" in own.value.message
    with pytest.raises(PermissionDenied):
        services.decide_exemption(exemption, actor=unit_admin_a, approve=True)
    other = make_user("group-admin-2", group, "group_admin")
    services.decide_exemption(exemption, actor=other, approve=True)
    result = Result.objects.get(pk=failing.pk)
    assert (result.outcome, result.judged) == ("not_applicable", "not_met")
    assert list(exemption.events.values_list("kind", "to_state")) == [
        ("requested", "requested"),
        ("transition", "approved"),
    ]
    assert AuditEvent.objects.filter(object_type="compliance.exemption", action="transition").count() == 1


def test_a_refusal_needs_its_note_and_a_decision_is_final(failing, unit_admin_a, group_admin):
    exemption = services.request_exemption(failing, actor=unit_admin_a, reason="本月无此业务")
    with pytest.raises(DomainError) as bare:
        services.decide_exemption(exemption, actor=group_admin, approve=False)
    assert bare.value.field == "note"
    services.decide_exemption(exemption, actor=group_admin, approve=False, note="有手工定级记录")
    assert Result.objects.get(pk=failing.pk).outcome == "not_met"
    with pytest.raises(TransitionNotAllowed):
        services.decide_exemption(exemption, actor=group_admin, approve=True)
    # Refused, it may be asked for again; two live requests never stand side by side.
    services.request_exemption(failing, actor=unit_admin_a, reason="补充说明")
    with pytest.raises(TransitionNotAllowed) as twice:
        services.request_exemption(failing, actor=unit_admin_a, reason="再次申请")
    assert twice.value.field == "result"


def test_an_approved_not_applicable_stands_when_the_month_is_judged_again(failing, unit_admin_a, group_admin):
    exemption = services.request_exemption(failing, actor=unit_admin_a, reason="本单位无此系统")
    services.decide_exemption(exemption, actor=group_admin, approve=True)
    again = judge("art12-grading", failing.unit)
    assert (again.outcome, again.judged) == ("not_applicable", "not_met")


def test_a_plain_user_cannot_ask_for_not_applicable(failing, unit_user_a):
    with pytest.raises(PermissionDenied):
        services.request_exemption(failing, actor=unit_user_a, reason="不适用")
    assert NOW  # the month judged has ended
