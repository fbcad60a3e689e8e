"""Delegation (职务代理) applied to change approvals: while the system management lead is away, the
deputy they named decides in their stead; the decision records both names; segregation of duties
holds for both (issue 26 item 5)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from yunwei.accounts import delegation
from yunwei.changes import approvals, services
from yunwei.changes.models import Approval
from yunwei.core.errors import PermissionDenied
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import new_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def deputy(unit_a):
    """A unit A user with no approving role of their own: they decide only as the lead's deputy."""
    return make_user("a-deputy", unit_a, Role.USER)


@pytest.fixture
def away(lead, deputy):
    now = timezone.now()
    return delegation.name_deputy(
        lead,
        deputy=deputy,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(days=3),
        actor=lead,
        reason="出差",
    )


@pytest.fixture
def submitted(change, unit_admin_a):
    return services.transition(change, to="submitted", actor=unit_admin_a)


def test_the_deputy_approves_and_the_decision_names_both(submitted, away, lead, deputy):
    assert approvals.may_decide(submitted, deputy)
    assert [c.pk for c in approvals.waiting_for(deputy)] == [submitted.pk]
    change = services.decide(submitted, actor=deputy, decision="approved")
    assert change.state == "approved"
    approval = Approval.objects.get(change=change)
    assert (approval.approver, approval.on_behalf_of, approval.role) == (deputy, lead, Role.SYSTEM_LEAD)
    assert approval.approver_name == "a-deputy" and approval.on_behalf_of_name == "lead"
    event = change.events.get(kind="approval")
    assert event.actor == deputy and event.data["on_behalf_of"] == "lead"


def test_without_a_running_delegation_the_deputy_decides_nothing(submitted, away, deputy, lead):
    delegation.end_delegation(away, actor=lead)
    assert not approvals.may_decide(submitted, deputy)
    assert approvals.waiting_for(deputy) == []
    with pytest.raises(PermissionDenied):
        services.decide(submitted, actor=deputy, decision="approved")
    assert not Approval.objects.exists()


def test_a_delegation_not_yet_started_gives_nothing(submitted, lead, deputy):
    now = timezone.now()
    delegation.name_deputy(
        lead,
        deputy=deputy,
        starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=2),
        actor=lead,
    )
    assert not approvals.may_decide(submitted, deputy)


def test_a_deputy_never_approves_their_own_change(unit_a, server_a, lead):
    staff = make_user("a-staff", unit_a, Role.TECH_STAFF)
    now = timezone.now()
    delegation.name_deputy(
        lead, deputy=staff, starts_at=now, ends_at=now + datetime.timedelta(days=1), actor=lead
    )
    own = services.transition(new_change(staff, unit_a, [server_a]), to="submitted", actor=staff)
    assert not approvals.may_decide(own, staff)
    with pytest.raises(PermissionDenied) as refused:
        services.decide(own, actor=staff, decision="approved")
    assert "You requested this change" in refused.value.message
    assert not Approval.objects.exists()


def test_a_deputy_never_approves_what_the_principal_may_not(unit_a, server_a, deputy, group):
    """The lead requested the change: the lead cannot approve it, so neither can the lead's deputy."""
    lead2 = make_user("lead-2", group, Role.SYSTEM_LEAD)
    now = timezone.now()
    delegation.name_deputy(
        lead2, deputy=deputy, starts_at=now, ends_at=now + datetime.timedelta(days=1), actor=lead2
    )
    theirs = services.transition(new_change(lead2, unit_a, [server_a]), to="submitted", actor=lead2)
    assert not approvals.may_decide(theirs, deputy)
    with pytest.raises(PermissionDenied) as refused:
        services.decide(theirs, actor=deputy, decision="approved")
    assert refused.value.message == "lead-2 requested it: their deputy may not decide on it either."
    assert not Approval.objects.exists()


def test_once_the_principal_decided_the_deputy_has_nothing_left(submitted, away, lead, deputy):
    services.decide(submitted, actor=lead, decision="approved")
    submitted.refresh_from_db()
    assert not approvals.may_decide(submitted, deputy)


def test_the_deputy_reaches_the_change_page_of_a_unit_they_do_not_see(
    client, unit_b, server_a, unit_admin_a, unit_a, lead
):
    """A deputy of another unit opens only what waits for the approver, and decides on the page."""
    outsider = make_user("b-deputy", unit_b, Role.USER)
    change = services.transition(
        new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
    )
    client.force_login(outsider)
    url = reverse("changes:change-detail", args=[change.pk])
    assert client.get(url).status_code == 404
    now = timezone.now()
    delegation.name_deputy(
        lead, deputy=outsider, starts_at=now, ends_at=now + datetime.timedelta(days=1), actor=lead
    )
    assert client.get(url).status_code == 200
    decide = reverse("changes:change-decide", args=[change.pk])
    client.post(decide, {"decision": "approved", "scope": "change", "comment": ""})
    change.refresh_from_db()
    assert change.state == "approved"
    assert Approval.objects.get(change=change).on_behalf_of == lead
