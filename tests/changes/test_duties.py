"""Art. 18, what submitting requires and who reviews: a change is submitted only with its test plan, and
the review is written by a system management lead who neither requested nor carried out the change, so
requester, implementer and reviewer are never one person. Service, API and page."""

import pytest

from yunwei.changes import rules, services
from yunwei.changes.models import Change
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import approve, new_change

pytestmark = pytest.mark.django_db

URL = "/api/changes/"
TEST_PLAN = "A change is submitted with its test plan (Art. 18)."
NEITHER = "its review is written by a system management lead who neither requested nor carried it out"


@pytest.fixture
def other_lead(group):
    return make_user("other-lead", group, Role.SYSTEM_LEAD)


def _api(api_client_for, user):
    http = api_client_for(user)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return http


# -- the test plan -------------------------------------------------------------------------------------


def test_a_change_without_a_test_plan_is_not_submitted(unit_admin_a, unit_a, server_a):
    change = new_change(unit_admin_a, unit_a, [server_a], test_plan=" ")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.transition(change, to="submitted", actor=unit_admin_a)
    assert refused.value.message == TEST_PLAN and refused.value.field == "test_plan"
    change.refresh_from_db()
    assert change.state == "draft" and change.approval_round == 0
    change = services.update_change(change, actor=unit_admin_a, test_plan="开机自检，业务抽查")
    assert services.transition(change, to="submitted", actor=unit_admin_a).state == "submitted"


def test_a_submitted_change_keeps_its_test_plan(unit_admin_a, unit_a, server_a):
    change = services.transition(
        new_change(unit_admin_a, unit_a, [server_a]), to="submitted", actor=unit_admin_a
    )
    with pytest.raises(DomainError) as refused:
        services.update_change(change, actor=unit_admin_a, test_plan="")
    assert TEST_PLAN in refused.value.message and refused.value.field == "test_plan"
    change.refresh_from_db()
    assert change.test_plan == "开机自检"


def test_the_api_refuses_submitting_without_a_test_plan(api_client_for, unit_admin_a, unit_a, server_a):
    change = new_change(unit_admin_a, unit_a, [server_a], test_plan="")
    http = _api(api_client_for, unit_admin_a)
    body = http.get(f"{URL}{change.pk}/").json()
    assert body["refused_transitions"] == {"submitted": [TEST_PLAN]}
    response = http.post(
        f"{URL}{change.pk}/transition/", {"to": "submitted", "version": body["version"]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == TEST_PLAN and response.json()["field"] == "test_plan"
    assert Change.objects.get(pk=change.pk).state == "draft"
    response = http.patch(
        f"{URL}{change.pk}/", {"test_plan": "回归测试", "version": body["version"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    response = http.post(
        f"{URL}{change.pk}/transition/",
        {"to": "submitted", "version": response.json()["version"]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "submitted"


def test_the_page_shows_submitting_disabled_without_a_test_plan(client, unit_admin_a, unit_a, server_a):
    change = new_change(unit_admin_a, unit_a, [server_a], test_plan="")
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-submitted" disabled' in page and TEST_PLAN in page


# -- who reviews ---------------------------------------------------------------------------------------


def _finished(change, requester, approver, implementer):
    change = services.transition(change, to="submitted", actor=requester)
    change = approve(change, approver)
    change = services.transition(change, to="scheduled", actor=requester)
    change = services.transition(change, to="implementing", actor=implementer)
    change = services.transition(change, to="verifying", actor=implementer)
    return services.transition(change, to="completed", actor=implementer, verification_result="通过")


def test_a_lead_who_requested_the_change_does_not_review_it(unit_a, server_a, lead, other_lead, unit_admin_a):
    change = _finished(new_change(lead, unit_a, [server_a]), lead, other_lead, unit_admin_a)
    with pytest.raises(PermissionDenied) as refused:
        services.transition(change, to="reviewed", actor=lead, review="自评")
    assert (
        refused.value.message.startswith("You requested this change: ") and NEITHER in refused.value.message
    )
    change.refresh_from_db()
    assert change.state == "completed" and change.review == ""
    change = services.transition(change, to="reviewed", actor=other_lead, review="按计划完成")
    assert change.state == "reviewed"


def test_a_lead_who_carried_out_the_change_does_not_review_it(
    unit_admin_a, unit_a, server_a, lead, other_lead
):
    change = _finished(new_change(unit_admin_a, unit_a, [server_a]), unit_admin_a, other_lead, lead)
    with pytest.raises(PermissionDenied) as refused:
        services.transition(change, to="reviewed", actor=lead, review="自评")
    assert (
        refused.value.message.startswith("You carried out this change: ") and NEITHER in refused.value.message
    )
    change.refresh_from_db()
    assert change.state == "completed" and change.review == ""
    # The lead who only approved it reviews it: requester, implementer and reviewer are three people.
    change = services.transition(change, to="reviewed", actor=other_lead, review="按计划完成")
    assert change.state == "reviewed"
    assert len({change.requester_id, *rules.carried_out_by(change), other_lead.pk}) == 3


def test_the_api_refuses_the_review_of_the_lead_who_carried_it_out(
    api_client_for, unit_admin_a, unit_a, server_a, lead, other_lead
):
    change = _finished(new_change(unit_admin_a, unit_a, [server_a]), unit_admin_a, other_lead, lead)
    http = _api(api_client_for, lead)
    body = http.get(f"{URL}{change.pk}/").json()
    assert NEITHER in " ".join(body["refused_transitions"]["reviewed"])
    response = http.post(
        f"{URL}{change.pk}/transition/",
        {"to": "reviewed", "review": "自评", "version": body["version"]},
        format="json",
    )
    assert response.status_code == 403 and NEITHER in response.json()["detail"]
    assert Change.objects.get(pk=change.pk).state == "completed"
    response = _api(api_client_for, other_lead).post(
        f"{URL}{change.pk}/transition/",
        {"to": "reviewed", "review": "按计划完成", "version": body["version"]},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "reviewed"


def test_the_page_shows_the_review_disabled_to_the_lead_who_carried_it_out(
    client, unit_admin_a, unit_a, server_a, lead, other_lead
):
    change = _finished(new_change(unit_admin_a, unit_a, [server_a]), unit_admin_a, other_lead, lead)
    client.force_login(lead)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-reviewed" disabled' in page and NEITHER in page
    client.force_login(other_lead)
    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert 'data-testid="to-reviewed"' in page and 'data-testid="to-reviewed" disabled' not in page
