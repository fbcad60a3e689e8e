"""Art. 14: an incident not fixed for good closes only linked to a problem of the problem database that the
actor may see, or with one registered from it in the same step — through the service, the API and the
incident page's problem panel."""

import pytest

from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.incidents import services as incidents
from yunwei.incidents.models import Incident
from yunwei.problems import closing, services
from yunwei.problems.models import Problem

from ..incidents.conftest import restore
from .conftest import classify, solve

pytestmark = pytest.mark.django_db

API = "/api/problems/close-incident/"


@pytest.fixture
def restored(unit_a, unit_admin_a, app_a):
    incident = incidents.report(actor=unit_admin_a, unit=unit_a, title="OA 偶发卡顿", affected_items=[app_a])
    return restore(incident, unit_admin_a)


def _unchanged(incident) -> None:
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == "restored"
    assert not incident.problems.exists()


def test_closing_links_a_visible_problem_and_closes_in_one_step(restored, problem, unit_admin_a):
    closed = closing.close_incident(
        restored, actor=unit_admin_a, resolution_summary="重启后恢复", problem=problem
    )
    assert closed == problem
    incident = Incident.objects.get(pk=restored.pk)
    assert (incident.state, incident.fixed_for_good) == ("closed", False)
    assert list(incident.problems.all()) == [problem]
    assert problem.events.filter(kind="incident_linked", data__incident=incident.pk).exists()
    assert incident.events.filter(kind="transition", to_state="closed").exists()


def test_closing_registers_a_problem_from_the_incident(restored, unit_admin_a, app_a):
    problem = closing.close_incident(
        restored, actor=unit_admin_a, resolution_summary="重启后恢复", register=True
    )
    assert (problem.source_incident_id, problem.origin, problem.title) == (
        restored.pk,
        "incident",
        "OA 偶发卡顿",
    )
    assert list(problem.affected_items.all()) == [app_a]
    assert Incident.objects.get(pk=restored.pk).state == "closed"


def test_closing_without_a_problem_is_refused_naming_the_rule(restored, unit_admin_a):
    with pytest.raises(DomainError) as excinfo:
        closing.close_incident(restored, actor=unit_admin_a, resolution_summary="重启后恢复")
    assert excinfo.value.field == "problem" and "Art. 14" in excinfo.value.message
    # The flow's own step refuses it as well: the rule lives in fault handling.
    with pytest.raises(TransitionNotAllowed) as excinfo:
        incidents.transition(
            restored, to="closed", actor=unit_admin_a, resolution_summary="重启后恢复", fixed_for_good=False
        )
    assert excinfo.value.field == "problems" and "Art. 14" in excinfo.value.message
    _unchanged(restored)


def test_a_problem_the_actor_may_not_see_is_refused(restored, unit_admin_a, unit_b, unit_admin_b):
    foreign = services.register(actor=unit_admin_b, unit=unit_b, title="乙的问题")
    with pytest.raises(DomainError) as excinfo:
        closing.close_incident(restored, actor=unit_admin_a, resolution_summary="x", problem=foreign)
    assert excinfo.value.field == "problem"
    assert "that you may see" in excinfo.value.message
    _unchanged(restored)
    assert not foreign.incidents.exists()


def test_a_problem_of_another_unit_is_refused(restored, group_admin, unit_b, unit_admin_b):
    other = services.register(actor=unit_admin_b, unit=unit_b, title="乙的问题")
    with pytest.raises(DomainError) as excinfo:
        closing.close_incident(restored, actor=group_admin, resolution_summary="x", problem=other)
    assert "another unit" in excinfo.value.message
    _unchanged(restored)


def test_an_archived_problem_is_refused(
    restored, problem, unit_admin_a, group_admin, other_group_admin, owner_a, helper_a
):
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    problem = services.transition(problem, to="archived", actor=other_group_admin)
    with pytest.raises(DomainError) as excinfo:
        closing.close_incident(restored, actor=unit_admin_a, resolution_summary="x", problem=problem)
    assert "archived" in excinfo.value.message and "Art. 14" in excinfo.value.message
    _unchanged(restored)


def test_a_refused_close_registers_nothing(restored, unit_admin_a):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        closing.close_incident(restored, actor=unit_admin_a, resolution_summary=" ", register=True)
    assert excinfo.value.field == "resolution_summary"
    assert not Problem.objects.filter(source_incident=restored).exists()
    _unchanged(restored)


def test_an_open_incident_is_not_closed_this_way(unit_a, unit_admin_a):
    incident = incidents.report(actor=unit_admin_a, unit=unit_a, title="刚报")
    with pytest.raises(TransitionNotAllowed) as excinfo:
        closing.close_incident(incident, actor=unit_admin_a, resolution_summary="x", register=True)
    assert excinfo.value.field == "to"
    assert not Problem.objects.exists()


def test_the_api_closes_with_a_problem_and_refuses_without_one(
    api_client_for, restored, problem, unit_admin_a
):
    http = api_client_for(unit_admin_a)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    transition = f"/api/incidents/{restored.pk}/transition/"
    body = {
        "to": "closed",
        "resolution_summary": "重启",
        "fixed_for_good": False,
        "version": restored.version,
    }
    response = http.post(transition, {**body, "problem_ref": "PRB-1"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "problems" and "Art. 14" in response.json()["detail"]
    response = http.post(
        f"{API}{restored.pk}/", {"resolution_summary": "重启", "problem": 999999}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "problem"
    response = http.post(f"{API}{restored.pk}/", {"resolution_summary": "重启"}, format="json")
    assert response.status_code == 400 and "Art. 14" in response.json()["detail"]
    _unchanged(restored)
    response = http.post(
        f"{API}{restored.pk}/",
        {"resolution_summary": "重启", "problem": problem.pk, "version": restored.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert restored.pk in response.json()["incidents"]
    assert Incident.objects.get(pk=restored.pk).state == "closed"


def test_the_api_registers_the_problem_in_the_same_step(api_client_for, restored, unit_admin_a):
    response = api_client_for(unit_admin_a).post(
        f"{API}{restored.pk}/",
        {"resolution_summary": "重启", "register": True, "title": "卡顿根因"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "卡顿根因" and response.json()["source_incident"] == restored.pk


def test_the_incident_page_closes_an_unfixed_fault_from_the_problem_panel(
    client, restored, problem, unit_admin_a
):
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{restored.pk}/").content.decode()
    assert 'data-testid="close-with-problem"' in page
    assert problem.code in page
    # Without a linked problem the flow's own close offers only "fixed for good", and says why.
    assert 'data-testid="note-closed"' in page
    response = client.post(
        f"/problems/incidents/{restored.pk}/close/", {"resolution_summary": "重启", "problem": "register"}
    )
    assert response.status_code == 302
    incident = Incident.objects.get(pk=restored.pk)
    assert incident.state == "closed"
    assert incident.problems.get().source_incident_id == incident.pk
