"""Delegation (职务代理) applied to the service desk's usage approvals (issue 26 item 5): while the unit's
system admin is away, the deputy they named approves in their stead, sees what waits for them and is
told of it; the approval names both; segregation of duties holds for both names."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from yunwei.accounts import delegation
from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.notify.models import InboxItem
from yunwei.org.choices import Role
from yunwei.servicedesk import queries, services
from yunwei.servicedesk.models import RequestEvent, ServiceRequest

from ..conftest import make_user
from .conftest import MONDAY

pytestmark = pytest.mark.django_db

DURING = MONDAY + datetime.timedelta(hours=1)


@pytest.fixture
def deputy(unit_a):
    """A unit A user with no approving role of their own: they approve only as the admin's deputy."""
    return make_user("a-deputy", unit_a, Role.USER)


@pytest.fixture
def away(unit_admin_a, deputy):
    """The unit admin is away from Monday 08:00 for three days."""
    return delegation.name_deputy(
        unit_admin_a,
        deputy=deputy,
        starts_at=MONDAY - datetime.timedelta(hours=1),
        ends_at=MONDAY + datetime.timedelta(days=3),
        actor=unit_admin_a,
        reason="出差",
        now=MONDAY - datetime.timedelta(hours=2),
    )


@pytest.fixture
def account_request(unit_user_a, make_request):
    return make_request(
        unit_user_a, "open-account", data={"person_name": "新同事", "username": "xin.tongshi"}
    )


def _queue_of(user, now):
    return set(
        services.visible(ServiceRequest.objects.all(), user, now)
        .filter(queries.waiting_q(user) | services.waiting_for_principals(user, now))
        .exclude(requester=user)
        .values_list("pk", flat=True)
    )


def test_the_deputy_approves_and_the_approval_names_both(away, account_request, deputy, unit_admin_a):
    assert services.permission_failure(account_request, "approved", deputy, now=DURING) is None
    audited = AuditEvent.objects.count()
    request = services.approve(account_request, actor=deputy, comment="代批", now=DURING)
    assert request.state == "approved"
    event = RequestEvent.objects.get(request=request, kind="approval")
    assert event.actor == deputy and event.actor_name == "a-deputy"
    assert event.data["on_behalf_of"] == unit_admin_a.get_username()
    assert event.data["on_behalf_of_id"] == unit_admin_a.pk
    audit = AuditEvent.objects.order_by("-pk").first()  # the last written (numbers come at sealing)
    assert AuditEvent.objects.count() == audited + 1
    assert audit.actor_id == deputy.pk and audit.after["on_behalf_of"] == unit_admin_a.get_username()


def test_the_wrong_actor_is_refused_even_while_a_delegation_runs(away, account_request, unit_a):
    bystander = make_user("a-bystander", unit_a, Role.USER)
    with pytest.raises(PermissionDenied, match="Unit system admin"):
        services.approve(account_request, actor=bystander, now=DURING)
    account_request.refresh_from_db()
    assert account_request.state == "submitted" and account_request.approval_step == 0


def test_an_expired_delegation_gives_the_deputy_nothing(away, account_request, deputy):
    after = MONDAY + datetime.timedelta(days=4)
    assert services.permission_failure(account_request, "approved", deputy, now=after) is not None
    with pytest.raises(PermissionDenied, match="Unit system admin"):
        services.approve(account_request, actor=deputy, now=after)
    account_request.refresh_from_db()
    assert account_request.state == "submitted"
    assert not RequestEvent.objects.filter(request=account_request, kind="approval").exists()


def test_a_delegation_ended_early_gives_the_deputy_nothing(away, account_request, deputy, unit_admin_a):
    delegation.end_delegation(away, actor=unit_admin_a, now=MONDAY)
    with pytest.raises(PermissionDenied):
        services.approve(account_request, actor=deputy, now=DURING)


def test_the_deputy_never_approves_their_own_request(away, deputy, make_request):
    own = make_request(deputy, "open-account", data={"person_name": "自己人", "username": "zi.ji"})
    with pytest.raises(PermissionDenied, match="someone else decides"):
        services.approve(own, actor=deputy, now=DURING)
    assert own.pk not in _queue_of(deputy, DURING)
    own.refresh_from_db()
    assert own.state == "submitted"


def test_the_deputy_never_approves_their_principals_request(unit_a, unit_admin_a, deputy, make_request):
    # The admin's request waits for another admin of the unit; the admin's deputy may not approve it.
    make_user("a-admin-2", unit_a, Role.UNIT_ADMIN)
    delegation.name_deputy(
        unit_admin_a,
        deputy=deputy,
        starts_at=MONDAY - datetime.timedelta(hours=1),
        ends_at=MONDAY + datetime.timedelta(days=3),
        actor=unit_admin_a,
        now=MONDAY - datetime.timedelta(hours=2),
    )
    theirs = make_request(unit_admin_a, "open-account", data={"person_name": "某人", "username": "mou.ren"})
    with pytest.raises(PermissionDenied):
        services.approve(theirs, actor=deputy, now=DURING)
    assert theirs.pk not in _queue_of(deputy, DURING)


def test_a_deputy_does_not_approve_the_next_step_after_approving_the_first(
    unit_a, unit_user_a, unit_admin_a, leader_a, make_request
):
    # The unit admin approves the first step; as the leader's deputy they may not approve the second.
    delegation.name_deputy(
        leader_a,
        deputy=unit_admin_a,
        starts_at=MONDAY - datetime.timedelta(hours=1),
        ends_at=MONDAY + datetime.timedelta(days=3),
        actor=leader_a,
        now=MONDAY - datetime.timedelta(hours=2),
    )
    target = make_user("a-target", unit_a, Role.USER)
    request = make_request(unit_user_a, "change-roles", data={"person": target.person.pk, "roles": "文书"})
    request = services.approve(request, actor=unit_admin_a, now=DURING)
    assert request.state == "approving"
    with pytest.raises(PermissionDenied, match="earlier step"):
        services.approve(request, actor=unit_admin_a, now=DURING)
    other_deputy = make_user("a-deputy-2", unit_a, Role.USER)
    delegation.end_delegation(leader_a.delegations_given.get(), actor=leader_a, now=MONDAY)
    delegation.name_deputy(
        leader_a,
        deputy=other_deputy,
        starts_at=MONDAY + datetime.timedelta(minutes=30),
        ends_at=MONDAY + datetime.timedelta(days=3),
        actor=leader_a,
        now=MONDAY + datetime.timedelta(minutes=10),
    )
    request = services.approve(request, actor=other_deputy, now=DURING)
    assert request.state == "approved"
    last = RequestEvent.objects.filter(request=request, kind="approval").order_by("-pk").first()
    assert (last.actor, last.data["on_behalf_of"]) == (other_deputy, "a-leader")


def test_approval_of_a_decided_request_is_refused(away, account_request, deputy, unit_admin_a):
    services.approve(account_request, actor=deputy, now=DURING)
    with pytest.raises(TransitionNotAllowed) as decided:
        services.approve(account_request, actor=unit_admin_a, now=DURING)
    assert decided.value.field == "to"


def test_what_waits_for_the_admin_waits_for_the_deputy_and_they_are_told(
    away, unit_user_a, deputy, make_request, unit_b
):
    request = make_request(
        unit_user_a, "open-account", now=DURING, data={"person_name": "张三", "username": "zhang.san"}
    )
    support = make_request(unit_user_a, "support", now=DURING)
    queue = _queue_of(deputy, DURING)
    assert request.pk in queue and support.pk not in queue  # only the approvals move to the deputy
    told = InboxItem.objects.filter(user=deputy).values_list("notice__event_key", flat=True)
    assert any(key.startswith(f"request:{request.pk}:") for key in told)
    assert not any(key.startswith(f"request:{support.pk}:") for key in told)
    # The deputy reads the request's page while it waits, and after they approved it.
    assert services.visible(ServiceRequest.objects.filter(pk=request.pk), deputy, DURING).exists()
    services.approve(request, actor=deputy, now=DURING)
    assert services.visible(ServiceRequest.objects.filter(pk=request.pk), deputy).exists()
    assert not services.visible(ServiceRequest.objects.filter(pk=support.pk), deputy, DURING).exists()
    # Once the delegation is over, nothing more reaches them.
    later = MONDAY + datetime.timedelta(days=5)
    assert _queue_of(deputy, later) == set()


def test_the_deputy_approves_on_the_page_and_the_timeline_names_both(
    unit_admin_a, account_request, deputy, client
):
    # The page acts at the real clock: a delegation that runs now.
    now = timezone.now()
    delegation.name_deputy(
        unit_admin_a,
        deputy=deputy,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(days=3),
        actor=unit_admin_a,
    )
    client.force_login(deputy)
    detail = reverse("servicedesk:request-detail", args=[account_request.pk])
    page = client.get(detail)
    assert page.status_code == 200 and 'data-testid="approve"' in page.content.decode()
    queue = client.get(reverse("servicedesk:queue")).content.decode()
    assert account_request.title in queue
    client.post(reverse("servicedesk:request-approve", args=[account_request.pk]), {"text": "代批"})
    account_request.refresh_from_db()
    assert account_request.state == "approved"
    page = client.get(detail).content.decode()
    assert re.search(r'data-testid="on-behalf-of">[^<]*a-admin', page)


def test_a_deputy_named_for_oneself_is_refused(unit_admin_a):
    with pytest.raises(DomainError) as refused:
        delegation.name_deputy(
            unit_admin_a,
            deputy=unit_admin_a,
            starts_at=MONDAY,
            ends_at=MONDAY + datetime.timedelta(days=1),
            actor=unit_admin_a,
            now=MONDAY - datetime.timedelta(hours=1),
        )
    assert refused.value.field == "deputy"
    assert not unit_admin_a.delegations_given.exists()


def test_an_approval_with_a_stale_version_is_refused_and_nothing_is_written(
    away, account_request, deputy, unit_admin_a
):
    read = account_request.version
    services.assign(account_request, actor=unit_admin_a, assignee=unit_admin_a)
    with pytest.raises(StaleEdit):
        services.approve(account_request, actor=deputy, expected_version=read, now=DURING)
    account_request.refresh_from_db()
    assert (account_request.state, account_request.approval_step) == ("submitted", 0)
    assert not RequestEvent.objects.filter(request=account_request, kind="approval").exists()
