"""A finding of a compliance check becomes a rectification in one step, from the article's page: the form
comes prefilled, the rectification is the log book's (a finding of the unit's review), the finding shows
it, a second one is refused naming the finding, and another unit's finding answers 404."""

import datetime

import pytest
from django.utils import timezone

from yunwei.compliance import services
from yunwei.compliance.models import Finding
from yunwei.core.errors import PermissionDenied, TransitionNotAllowed
from yunwei.logbook.models import MonthlyReview, Rectification
from yunwei.org.choices import Role
from yunwei.org.models import RoleAssignment

from ..conftest import make_user
from .conftest import IN_MONTH, MONTH, judge

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD, name="系统管理负责人")


@pytest.fixture
def admin_a(unit_a):
    return make_user("a-admin", unit_a, Role.UNIT_ADMIN, name="甲管理员")


@pytest.fixture
def finding(unit_a, admin_a) -> Finding:
    """Unit A's Art. 10 in October: a leader and a clerk missing (two findings)."""
    RoleAssignment.objects.update(assigned_at=IN_MONTH)
    result = judge("art10-people", unit_a)
    assert result.failing == 2
    return result.findings.order_by("id").first()


def _deadline() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=10)


def test_the_article_page_offers_the_lead_to_make_a_rectification_of_a_finding(client, lead, finding):
    client.force_login(lead)
    page = client.get(f"/compliance/articles/10/?month={MONTH}").content.decode()
    assert f"/compliance/findings/{finding.pk}/rectify/" in page


def test_the_form_comes_prefilled_with_the_units_admin_and_a_deadline(client, lead, admin_a, finding):
    client.force_login(lead)
    response = client.get(f"/compliance/findings/{finding.pk}/rectify/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["owner"] == admin_a.person
    assert form.fields["deadline"].initial > timezone.localdate()
    assert finding.detail in response.content.decode()


def test_a_finding_becomes_the_log_books_rectification_linked_to_the_finding(
    client, lead, admin_a, unit_a, finding
):
    client.force_login(lead)
    response = client.post(
        f"/compliance/findings/{finding.pk}/rectify/",
        {"owner": admin_a.person.pk, "deadline": _deadline().isoformat(), "title": "补齐单位领导"},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    rect = Rectification.objects.get()
    assert finding.rectification == rect
    assert (rect.unit, rect.owner, rect.deadline, rect.title, rect.state) == (
        unit_a,
        admin_a.person,
        _deadline(),
        "补齐单位领导",
        "open",
    )
    # Recorded as a finding of unit A's October review (open), in the daily management log.
    review = rect.finding.review
    assert (review.unit, review.month, rect.finding.log) == (unit_a, datetime.date(2026, 10, 1), "daily")
    assert finding.detail in rect.finding.text
    page = client.get(f"/compliance/articles/10/?month={MONTH}").content.decode()
    assert rect.code in page


def test_a_second_rectification_of_the_same_finding_is_refused_naming_the_finding(
    client, lead, admin_a, finding
):
    services.rectify_finding(finding, actor=lead, owner=admin_a.person, deadline=_deadline())
    with pytest.raises(TransitionNotAllowed) as refused:
        services.rectify_finding(finding, actor=lead, owner=admin_a.person, deadline=_deadline())
    assert refused.value.field == "finding"
    client.force_login(lead)
    response = client.post(
        f"/compliance/findings/{finding.pk}/rectify/",
        {"owner": admin_a.person.pk, "deadline": _deadline().isoformat()},
    )
    assert response.status_code == 400
    assert "already" in response.content.decode()
    assert Rectification.objects.count() == 1


def test_bad_input_names_the_field_and_writes_nothing(client, lead, admin_a, finding):
    client.force_login(lead)
    response = client.post(
        f"/compliance/findings/{finding.pk}/rectify/",
        {"owner": admin_a.person.pk, "deadline": "2020-01-01"},
    )
    assert response.status_code == 400
    assert "deadline" in response.context["form"].errors
    assert not Rectification.objects.exists()
    finding.refresh_from_db()
    assert finding.rectification is None


def test_a_signed_month_takes_the_finding_on_the_running_months_review(lead, admin_a, unit_a, finding):
    MonthlyReview.objects.create(
        unit=unit_a, month=datetime.date(2026, 10, 1), due_on=datetime.date(2026, 11, 10), state="signed"
    )
    rect = services.rectify_finding(finding, actor=lead, owner=admin_a.person, deadline=_deadline())
    assert rect.finding.review.month == timezone.localdate().replace(day=1)


def test_only_a_lead_makes_a_rectification(client, admin_a, finding):
    with pytest.raises(PermissionDenied):
        services.rectify_finding(finding, actor=admin_a, owner=admin_a.person, deadline=_deadline())
    client.force_login(admin_a)
    assert client.get(f"/compliance/findings/{finding.pk}/rectify/").status_code == 403
    assert (
        f"/compliance/findings/{finding.pk}/rectify/"
        not in client.get(f"/compliance/articles/10/?month={MONTH}").content.decode()
    )


def test_another_units_finding_answers_404(client, unit_b, finding):
    lead_b = make_user("b-lead", unit_b, Role.SYSTEM_LEAD)
    client.force_login(lead_b)
    assert client.get(f"/compliance/findings/{finding.pk}/rectify/").status_code == 404
    assert client.post(f"/compliance/findings/{finding.pk}/rectify/", {}).status_code == 404


def test_the_link_survives_a_new_judging_while_the_record_is_still_at_fault(lead, admin_a, unit_a, finding):
    rect = services.rectify_finding(finding, actor=lead, owner=admin_a.person, deadline=_deadline())
    result = judge("art10-people", unit_a)
    kept = result.findings.get(detail=finding.detail)
    assert kept.rectification == rect
    assert result.findings.exclude(pk=kept.pk).get().rectification is None
