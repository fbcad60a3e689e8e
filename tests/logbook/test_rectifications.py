"""Rectifications (整改, Art. 5): a finding becomes an item with owner and deadline, tracked to done and
verified by somebody other than its owner; overdue ones escalate as problems do."""

import datetime

import pytest
import time_machine

from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.logbook import services
from yunwei.logbook.models import Rectification

from .conftest import FEBRUARY

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(unit_a, lead):
    review = services.open_review(unit_a, FEBRUARY, actor=lead)
    return services.add_finding(review, log="daily", text="2 月 10 日机房巡检漏检", actor=lead)


@pytest.fixture
def rect(finding, lead, tech_a):
    return services.rectify(finding, actor=lead, owner=tech_a.person, deadline=datetime.date(2026, 3, 20))


def test_a_finding_becomes_one_rectification_with_owner_and_deadline(finding, rect, lead, tech_a):
    assert rect.state == "open" and rect.owner == tech_a.person and rect.title == finding.text
    with pytest.raises(TransitionNotAllowed, match="has its rectification already"):
        services.rectify(finding, actor=lead, owner=tech_a.person, deadline=datetime.date(2026, 3, 20))
    assert Rectification.objects.count() == 1


def test_a_deadline_in_the_past_or_an_owner_of_another_unit_is_refused(finding, lead, unit_admin_b, tech_a):
    with pytest.raises(DomainError) as refused:
        services.rectify(finding, actor=lead, owner=tech_a.person, deadline=datetime.date(2026, 3, 1))
    assert refused.value.field == "deadline"
    with pytest.raises(DomainError) as refused:
        services.rectify(finding, actor=lead, owner=unit_admin_b.person, deadline=datetime.date(2026, 3, 20))
    assert refused.value.field == "owner"
    assert not Rectification.objects.exists()


def test_the_owner_cannot_verify_their_own_rectification(rect, tech_a, tech_a2):
    rect = services.transition(rect, to="in_progress", actor=tech_a)
    with pytest.raises(DomainError) as refused:
        services.transition(rect, to="done", actor=tech_a)
    assert refused.value.field == "result"
    with pytest.raises(PermissionDenied, match="Only the owner"):
        services.transition(rect, to="done", actor=tech_a2, result="补巡检")
    rect = services.transition(rect, to="done", actor=tech_a, result="补巡检并增加提醒")
    with pytest.raises(PermissionDenied, match="other than the owner"):
        services.transition(rect, to="verified", actor=tech_a)
    rect = services.transition(rect, to="verified", actor=tech_a2)
    rect.refresh_from_db()
    assert rect.state == "verified" and rect.verified_by == tech_a2
    assert list(rect.events.values_list("to_state", flat=True)) == ["open", "in_progress", "done", "verified"]


def test_a_failed_verification_sends_it_back_with_a_reason(rect, tech_a, lead):
    rect = services.transition(rect, to="in_progress", actor=tech_a)
    rect = services.transition(rect, to="done", actor=tech_a, result="已处理")
    with pytest.raises(DomainError) as refused:
        services.transition(rect, to="in_progress", actor=lead)
    assert refused.value.field == "comment"
    rect = services.transition(rect, to="in_progress", actor=lead, comment="提醒未生效")
    assert rect.state == "in_progress"


def test_an_illegal_step_is_refused_naming_the_states(rect, lead):
    with pytest.raises(TransitionNotAllowed, match="cannot move"):
        services.transition(rect, to="verified", actor=lead)


def test_an_overdue_rectification_tells_the_owner_then_the_lead_once_each(rect, tech_a, lead):
    with time_machine.travel(datetime.datetime(2026, 3, 21, 9, tzinfo=datetime.UTC), tick=False):
        assert services.escalate_overdue() == 1
        assert services.escalate_overdue() == 0
    rect.refresh_from_db()
    assert rect.escalation_level == 1
    assert rect.events.get(kind="escalation").data["recipients"] == [tech_a.pk]
    with time_machine.travel(datetime.datetime(2026, 3, 25, 9, tzinfo=datetime.UTC), tick=False):
        assert services.escalate_overdue() == 1
        assert services.escalate_overdue() == 0
    rect.refresh_from_db()
    assert rect.escalation_level == 2
    assert rect.events.filter(kind="escalation").last().data["recipients"] == [lead.pk]


def test_a_verified_rectification_is_not_escalated(rect, tech_a, tech_a2):
    rect = services.transition(rect, to="in_progress", actor=tech_a)
    rect = services.transition(rect, to="done", actor=tech_a, result="done")
    services.transition(rect, to="verified", actor=tech_a2)
    with time_machine.travel(datetime.datetime(2026, 4, 30, 9, tzinfo=datetime.UTC), tick=False):
        assert services.escalate_overdue() == 0
