"""Naming a deputy (职务代理): the page, the bad input it refuses naming the field, ending one early,
and the audit trail (issue 26 item 5)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from yunwei.accounts import delegation
from yunwei.accounts.models import Delegation
from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.org.choices import Role

from ..conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD)


@pytest.fixture
def deputy(group):
    return make_user("tech", group, Role.TECH_STAFF)


def _fmt(at):
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def _span(days_from=0, days_to=3):
    now = timezone.now().replace(second=0, microsecond=0)
    return now + datetime.timedelta(days=days_from), now + datetime.timedelta(days=days_to)


def test_the_approver_names_a_deputy_on_the_page_audited(client, lead, deputy):
    client.force_login(lead)
    start, end = _span(0, 3)
    response = client.post(
        reverse("accounts:delegation-list"),
        {"deputy": deputy.pk, "starts_at": _fmt(start), "ends_at": _fmt(end), "reason": "年假"},
    )
    assert response.status_code == 302
    row = Delegation.objects.get()
    assert (row.principal, row.deputy, row.reason, row.created_by) == (lead, deputy, "年假", lead)
    assert AuditEvent.objects.filter(object_type="accounts.delegation", action="create").exists()
    assert delegation.acting_for(deputy) == [lead]
    page = client.get(reverse("accounts:delegation-list")).content.decode()
    assert "tech" in page


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("oneself", "deputy", "You cannot be your own deputy."),
        ("backwards", "ends_at", "The span ends before it starts."),
        ("over", "ends_at", "The span is already over."),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, lead, deputy, case, field, message):
    client.force_login(lead)
    start, end = _span(0, 3)
    data = {"deputy": deputy.pk, "starts_at": _fmt(start), "ends_at": _fmt(end)}
    if case == "oneself":
        data["deputy"] = lead.pk
    elif case == "backwards":
        data["ends_at"] = _fmt(start - datetime.timedelta(hours=1))
    else:
        data["starts_at"] = _fmt(start - datetime.timedelta(days=5))
        data["ends_at"] = _fmt(start - datetime.timedelta(days=4))
    response = client.post(reverse("accounts:delegation-list"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Delegation.objects.exists()


def test_an_overlapping_span_is_refused(lead, deputy, group):
    other = make_user("office", group, Role.CLERK)
    start, end = _span(1, 5)
    delegation.name_deputy(lead, deputy=deputy, starts_at=start, ends_at=end, actor=lead)
    with pytest.raises(DomainError) as refused:
        delegation.name_deputy(
            lead,
            deputy=other,
            starts_at=start + datetime.timedelta(days=2),
            ends_at=end + datetime.timedelta(days=2),
            actor=lead,
        )
    assert refused.value.field == "starts_at" and "overlaps the delegation to tech" in refused.value.message
    assert Delegation.objects.count() == 1
    # Right after it, it is fine.
    delegation.name_deputy(
        lead, deputy=other, starts_at=end, ends_at=end + datetime.timedelta(days=1), actor=lead
    )


def test_nobody_names_a_deputy_for_someone_else_unless_admin_of_their_unit(lead, deputy, unit_a, group_admin):
    user = make_user("a-user", unit_a, Role.USER)
    start, end = _span(0, 1)
    with pytest.raises(PermissionDenied):
        delegation.name_deputy(lead, deputy=deputy, starts_at=start, ends_at=end, actor=user)
    delegation.name_deputy(lead, deputy=deputy, starts_at=start, ends_at=end, actor=group_admin)


def test_ending_a_delegation_early_stops_it_at_once(client, lead, deputy):
    start, end = _span(-1, 3)
    row = delegation.name_deputy(lead, deputy=deputy, starts_at=start, ends_at=end, actor=lead)
    client.force_login(lead)
    client.post(reverse("accounts:delegation-end", args=[row.pk]))
    row.refresh_from_db()
    assert row.ended_at is not None
    assert delegation.acting_for(deputy) == []
    # Someone else's delegation is not found.
    client.force_login(deputy)
    assert client.post(reverse("accounts:delegation-end", args=[row.pk])).status_code == 403  # sees, not ends
    stranger = make_user("stranger", None)
    client.force_login(stranger)
    assert client.post(reverse("accounts:delegation-end", args=[row.pk])).status_code == 404
