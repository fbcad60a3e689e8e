"""Art. 18: an emergency change carried out first is completed or reviewed only once its approval after
the fact is given; a refusal sends it to rollback, or the leader in charge records an exception. Tried
through the service, the API and the page; the legitimate paths still close the change."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from yunwei.changes import services
from yunwei.changes.models import Change
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import approve, new_change

pytestmark = pytest.mark.django_db

URL = "/api/changes/"
AWAITING = "completed or reviewed only once its approval after the fact is given (Art. 18)"
REFUSED = "it is rolled back, unless the leader in charge records an exception (Art. 18)"


@pytest.fixture
def reviewer(group):
    """A system management lead who had no hand in the changes below."""
    return make_user("reviewer", group, Role.SYSTEM_LEAD)


def carried_out(requester, unit, items):
    start = timezone.now()
    change = new_change(
        requester,
        unit,
        items,
        kind="emergency",
        planned_start=start,
        planned_end=start + datetime.timedelta(hours=1),
    )
    change = services.transition(change, to="submitted", actor=requester)
    return services.transition(change, to="implementing", actor=requester)


def refuse(change, lead):
    return services.decide(change, actor=lead, decision="rejected", comment="未评估影响，须回退")


def _unchanged(change, state):
    change.refresh_from_db()
    assert change.state == state and change.finished_at is None and change.reviewed_at is None


# -- awaiting its approval ---------------------------------------------------------------------------


def test_an_emergency_change_awaiting_its_approval_is_not_completed(unit_admin_a, unit_a, server_a):
    change = services.transition(
        carried_out(unit_admin_a, unit_a, [server_a]), to="verifying", actor=unit_admin_a
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="completed", actor=unit_admin_a, verification_result="通过")
    assert AWAITING in refused.value.message and refused.value.field == "approved_at"
    _unchanged(change, "verifying")


def test_an_emergency_change_rolled_back_before_its_approval_is_not_reviewed_yet(
    unit_admin_a, unit_a, server_a, lead, reviewer
):
    change = services.transition(
        carried_out(unit_admin_a, unit_a, [server_a]),
        to="rolled_back",
        actor=unit_admin_a,
        rollback_note="已恢复",
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="reviewed", actor=reviewer, review="总结")
    assert AWAITING in refused.value.message
    stored = Change.objects.get(pk=change.pk)
    assert stored.state == "rolled_back" and stored.review == "" and stored.reviewed_at is None
    # The approvers still decide on it; then it is reviewed.
    change = approve(change, lead)
    change = services.transition(change, to="reviewed", actor=reviewer, review="回退及时")
    assert change.state == "reviewed"


def test_an_emergency_change_approved_after_the_fact_is_completed_and_reviewed(
    unit_admin_a, unit_a, server_a, lead, reviewer
):
    change = approve(carried_out(unit_admin_a, unit_a, [server_a]), lead)
    change = services.transition(change, to="verifying", actor=unit_admin_a)
    change = services.transition(change, to="completed", actor=unit_admin_a, verification_result="通过")
    change = services.transition(change, to="reviewed", actor=reviewer, review="处置得当")
    assert change.state == "reviewed" and change.approved_at is not None


# -- refused after the fact --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "fields"),
    [
        ("verifying", {}),
        ("completed", {"verification_result": "通过"}),
        ("failed", {"failure_note": "失败"}),
    ],
)
def test_a_refused_emergency_change_goes_nowhere_but_rollback(
    unit_admin_a, unit_a, server_a, lead, to, fields
):
    change = carried_out(unit_admin_a, unit_a, [server_a])
    if to == "completed":  # completion is from verifying, reached before the refusal came in
        change = services.transition(change, to="verifying", actor=unit_admin_a)
    change = refuse(change, lead)
    assert change.approval_refused and change.awaiting_rollback
    state = change.state
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to=to, actor=unit_admin_a, **fields)
    assert REFUSED in refused.value.message and refused.value.field == "approved_at"
    _unchanged(change, state)


def test_a_refused_emergency_change_is_rolled_back_and_then_reviewed(
    unit_admin_a, unit_a, server_a, lead, reviewer
):
    change = refuse(carried_out(unit_admin_a, unit_a, [server_a]), lead)
    change = services.transition(change, to="rolled_back", actor=unit_admin_a, rollback_note="已恢复原配置")
    assert not change.awaiting_rollback
    assert not Change.objects.filter(pk=change.pk, approval_refused=True, state="implementing").exists()
    change = services.transition(change, to="reviewed", actor=reviewer, review="回退后另行申请")
    assert change.state == "reviewed" and change.approved_at is None and change.exception_at is None


def test_only_the_leader_in_charge_records_an_exception_with_its_reason(
    unit_admin_a, unit_a, server_a, lead, leader_a, reviewer
):
    change = carried_out(unit_admin_a, unit_a, [server_a])
    with pytest.raises(TransitionNotAllowed) as refused:  # not refused: there is nothing to except
        services.record_exception(change, actor=leader_a, comment="业务需要")
    assert "whose approval after the fact was refused" in refused.value.message
    change = refuse(change, lead)
    for someone in (lead, unit_admin_a):
        with pytest.raises(PermissionDenied) as refused:
            services.record_exception(change, actor=someone, comment="业务需要")
        assert "Only the leader in charge records an exception" in refused.value.message
    with pytest.raises(DomainError) as refused:
        services.record_exception(change, actor=leader_a, comment=" ")
    assert refused.value.field == "comment"
    change.refresh_from_db()
    assert change.exception_at is None and change.awaiting_rollback
    change = services.record_exception(change, actor=leader_a, comment="回退风险更大，保留变更")
    assert change.exception_by == leader_a and not change.awaiting_rollback
    assert change.events.filter(kind="exception", actor=leader_a).exists()
    # Excepted, it is carried through and reviewed like an approved one.
    change = services.transition(change, to="verifying", actor=unit_admin_a)
    change = services.transition(change, to="completed", actor=unit_admin_a, verification_result="通过")
    change = services.transition(change, to="reviewed", actor=reviewer, review="例外已记录")
    assert change.state == "reviewed"


# -- the API ------------------------------------------------------------------------------------------


def _api(api_client_for, user):
    http = api_client_for(user)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


def test_the_api_refuses_completing_an_emergency_change_awaiting_its_approval(
    api_client_for, unit_admin_a, unit_a, server_a, lead
):
    change = carried_out(unit_admin_a, unit_a, [server_a])
    http = _api(api_client_for, unit_admin_a)
    url = f"{URL}{change.pk}/transition/"
    body = http.get(f"{URL}{change.pk}/").json()
    assert "verifying" not in body["refused_transitions"]  # checking the work needs no approval yet
    response = http.post(url, {"to": "verifying", "version": body["version"]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert AWAITING in " ".join(body["refused_transitions"]["completed"])
    response = http.post(
        url,
        {"to": "completed", "verification_result": "通过", "version": body["version"]},
        format="json",
    )
    assert response.status_code == 409
    assert AWAITING in response.json()["detail"] and response.json()["field"] == "approved_at"
    assert Change.objects.get(pk=change.pk).state == "verifying"
    approve(change, lead)
    version = Change.objects.get(pk=change.pk).version
    response = http.post(
        url, {"to": "completed", "verification_result": "通过", "version": version}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "completed"


def test_the_api_sends_a_refused_emergency_change_to_rollback_or_the_leaders_exception(
    api_client_for, unit_admin_a, unit_a, server_a, lead, group_leader
):
    change = refuse(carried_out(unit_admin_a, unit_a, [server_a]), lead)
    http = _api(api_client_for, unit_admin_a)
    body = http.get(f"{URL}{change.pk}/").json()
    assert body["awaiting_rollback"] is True and body["approval_refused"] is True
    response = http.post(
        f"{URL}{change.pk}/transition/", {"to": "verifying", "version": body["version"]}, format="json"
    )
    assert response.status_code == 409 and REFUSED in response.json()["detail"]
    rows = http.get(URL, {"awaiting_rollback": "true"}).json()["results"]
    assert [row["id"] for row in rows] == [change.pk]
    # The requester cannot let it stand; the leader in charge can, with the reason and the version.
    response = http.post(
        f"{URL}{change.pk}/exception/", {"comment": "x", "version": body["version"]}, format="json"
    )
    assert response.status_code == 403
    assert "Only the leader in charge records an exception" in response.json()["detail"]
    leader = _api(api_client_for, group_leader)
    response = leader.post(f"{URL}{change.pk}/exception/", {"version": body["version"]}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "comment"
    response = leader.post(
        f"{URL}{change.pk}/exception/", {"comment": "保留", "version": body["version"] - 1}, format="json"
    )
    assert response.status_code == 409 and response.json()["field"] == "version"
    response = leader.post(
        f"{URL}{change.pk}/exception/",
        {"comment": "回退风险更大，保留变更", "version": body["version"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["awaiting_rollback"] is False and body["exception_by"] == group_leader.pk
    assert body["exception_reason"] == "回退风险更大，保留变更"
    response = http.post(
        f"{URL}{change.pk}/transition/", {"to": "verifying", "version": body["version"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "verifying"


# -- the page and the dashboard ------------------------------------------------------------------------


def test_the_page_shows_completion_disabled_with_its_reason_until_approved(
    client, unit_admin_a, unit_a, server_a, lead
):
    change = services.transition(
        carried_out(unit_admin_a, unit_a, [server_a]), to="verifying", actor=unit_admin_a
    )
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-completed" disabled' in page and AWAITING in page
    assert 'data-testid="to-rolled_back" disabled' not in page
    approve(change, lead)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-completed" disabled' not in page and AWAITING not in page


def test_the_page_offers_the_leader_the_exception_and_the_dashboard_counts_both(
    client, unit_admin_a, unit_a, server_a, lead, group_leader
):
    awaiting = carried_out(unit_admin_a, unit_a, [server_a])
    change = refuse(carried_out(unit_admin_a, unit_a, [server_a]), lead)
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="awaiting-rollback"' in page and 'data-testid="exception-form"' not in page
    assert 'data-testid="to-verifying" disabled' in page and REFUSED in page
    assert 'data-testid="to-rolled_back" disabled' not in page
    figures = {f.key: f.count for f in client.get(reverse("web:dashboard")).context["work"]}
    assert figures["emergency-awaiting"] == 1 and figures["emergency-refused"] == 1
    listing = client.get("/changes/", {"awaiting_rollback": "true"}).content.decode()
    assert f'data-testid="change-row-{change.pk}"' in listing
    assert f'data-testid="change-row-{awaiting.pk}"' not in listing
    client.force_login(group_leader)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="exception-form"' in page
    response = client.post(f"/changes/{change.pk}/exception/", {"comment": ""}, follow=True)
    assert "An exception needs its reason." in response.content.decode()
    client.post(f"/changes/{change.pk}/exception/", {"comment": "保留变更"})
    change.refresh_from_db()
    assert change.exception_by == group_leader and change.exception_reason == "保留变更"
    assert 'data-testid="exception-form"' not in client.get(f"/changes/{change.pk}/").content.decode()
    figures = {f.key: f.count for f in client.get(reverse("web:dashboard")).context["work"]}
    assert figures["emergency-refused"] == 0
