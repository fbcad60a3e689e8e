"""The problem API: create, the active list and the archive, the transition action's 409s, 400s naming the
field, known errors, and no deletion."""

import pytest

from yunwei.problems import services
from yunwei.problems.models import Problem

from .conftest import classify, deadline_in, solve

pytestmark = pytest.mark.django_db

URL = "/api/problems/"


def test_staff_register_a_problem_with_its_work_plan(api_client_for, unit_admin_a, unit_a, app_a):
    response = api_client_for(unit_admin_a).post(
        URL,
        {
            "unit": unit_a.pk,
            "title": "交换机固件过旧",
            "origin": "routine",
            "affected_items": [app_a.pk],
            "steps": [{"text": "评估固件", "due_on": str(deadline_in(3))}],
            "state": "archived",  # not the writer's to set
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "registered" and body["code"].startswith("PRB")
    assert [s["text"] for s in body["steps"]] == ["评估固件"]
    assert body["allowed_transitions"] == []  # a unit admin does not classify


def test_bad_input_names_the_field(api_client_for, unit_admin_a, unit_a, unit_b, unit_admin_b, group_admin):
    http = api_client_for(unit_admin_a)
    response = http.post(URL, {"unit": unit_b.pk, "title": "x"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "unit"
    response = http.post(URL, {"unit": unit_a.pk, "title": ""}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "title"
    response = http.post(
        URL, {"unit": unit_a.pk, "title": "x", "owner": unit_admin_b.person.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "owner"
    response = api_client_for(group_admin).post(
        URL, {"unit": unit_a.pk, "title": "x", "owner": unit_admin_b.person.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "owner"
    response = http.post(URL, {"unit": unit_a.pk, "title": "x", "steps": [{"text": "s"}]}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "steps"
    assert not Problem.objects.exists()


def test_transitions_answer_409_with_the_reason(api_client_for, problem, group_admin, owner_a, helper_a):
    http = api_client_for(group_admin)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"{URL}{problem.pk}/transition/"
    response = http.post(url, {"to": "solved"}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "to"
    response = http.post(url, {"to": "classified"}, format="json")
    assert response.status_code == 409
    assert response.json()["field"] == "category" and "deadline" in response.json()["detail"]
    http.post(f"{URL}{problem.pk}/steps/", {"text": "采购", "due_on": str(deadline_in(5))}, format="json")
    response = http.post(
        url,
        {
            "to": "classified",
            "category": "machine_room",
            "nature": "hidden_danger",
            "owner": owner_a.person.pk,
            "collaborators": [helper_a.person.pk],
            "proposed_solution": "更换",
            "deadline": str(deadline_in(30)),
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "classified" and response.json()["allowed_transitions"] == []
    owner = api_client_for(owner_a)
    assert owner.get(f"{URL}{problem.pk}/").json()["allowed_transitions"] == ["in_progress"]
    response = owner.post(url, {"to": "in_progress", "solution_summary": "x"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "solution_summary"
    response = http.post(url, {"to": "in_progress", "version": 1}, format="json")
    assert response.status_code == 409 and response.json()["field"] == "version"


def test_the_owner_verifying_is_refused_with_the_reason(api_client_for, problem, group_admin, helper_a):
    problem = solve(classify(problem, group_admin, group_admin, helper_a), group_admin)
    response = api_client_for(group_admin).post(
        f"{URL}{problem.pk}/transition/", {"to": "archived"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert "owner cannot verify" in response.json()["detail"]


def _verify_by_api(http, problem_id, to="archived"):
    """A verification as a client makes it: the version read from the problem, sent with the step."""
    version = http.get(f"{URL}{problem_id}/").json()["version"]
    body = {"to": to, "version": version, "comment": "复核"}
    return http.post(f"{URL}{problem_id}/transition/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def _assert_refused(http, problem_id, reason):
    for to in ("archived", "in_progress"):
        response = _verify_by_api(http, problem_id, to)
        assert response.status_code == 403, response.json()
        assert response.json()["detail"].startswith(reason) and "(Art. 16)" in response.json()["detail"]
    body = http.get(f"{URL}{problem_id}/").json()
    assert body["allowed_transitions"] == [] and body["state"] == "solved" and body["verified_by"] is None


def test_an_owner_who_hands_the_solved_problem_over_by_api_cannot_verify_it(
    api_client_for, problem, group_admin, owner_a, helper_a, third_group_admin
):
    problem = solve(classify(problem, group_admin, group_admin, helper_a), group_admin)
    http = api_client_for(group_admin)
    version = http.get(f"{URL}{problem.pk}/").json()["version"]
    response = http.patch(
        f"{URL}{problem.pk}/", {"owner": owner_a.person.pk, "version": version}, format="json"
    )
    assert response.status_code == 200 and response.json()["owner"] == owner_a.person.pk
    _assert_refused(http, problem.pk, "You marked this problem solved")
    verifier = api_client_for(third_group_admin)
    assert verifier.get(f"{URL}{problem.pk}/").json()["allowed_transitions"] == ["archived", "in_progress"]
    response = _verify_by_api(verifier, problem.pk)
    assert response.status_code == 200 and response.json()["state"] == "archived"
    assert response.json()["verified_by"] == third_group_admin.pk


def test_a_former_owner_and_a_collaborator_who_worked_cannot_verify_by_api(
    api_client_for, problem, group_admin, other_group_admin, owner_a, helper_a, third_group_admin
):
    problem = classify(problem, group_admin, other_group_admin, helper_a)
    services.add_step(problem, actor=group_admin, text="更换电池", due_on=deadline_in(10))
    former = api_client_for(other_group_admin)
    version = former.get(f"{URL}{problem.pk}/").json()["version"]
    response = former.post(
        f"{URL}{problem.pk}/transition/", {"to": "in_progress", "version": version}, format="json"
    )
    assert response.status_code == 200, response.json()  # the owner starts the work
    admin = api_client_for(group_admin)
    version = admin.get(f"{URL}{problem.pk}/").json()["version"]
    body = {"owner": owner_a.person.pk, "collaborators": [third_group_admin.person.pk], "version": version}
    assert admin.patch(f"{URL}{problem.pk}/", body, format="json").status_code == 200
    first, second = problem.steps.order_by("position")
    owner, collaborator = api_client_for(owner_a), api_client_for(third_group_admin)
    tick = f"{URL}{problem.pk}/tick/"
    assert owner.post(tick, {"step": first.pk}, format="json").status_code == 200
    assert collaborator.post(tick, {"step": second.pk}, format="json").status_code == 200
    version = owner.get(f"{URL}{problem.pk}/").json()["version"]
    response = owner.post(
        f"{URL}{problem.pk}/transition/",
        {"to": "solved", "solution_summary": "已更换", "version": version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    _assert_refused(former, problem.pk, "You owned this problem since it was classified")
    _assert_refused(collaborator, problem.pk, "You carried out step “2. 更换电池” of this problem")
    response = _verify_by_api(admin, problem.pk)  # classified it and handed it over; took no part
    assert response.status_code == 200 and response.json()["verified_by"] == group_admin.pk


def test_archived_problems_leave_the_active_list_and_stay_readable(
    api_client_for, problem, group_admin, other_group_admin, owner_a, helper_a, unit_a, unit_admin_a
):
    active = services.register(actor=unit_admin_a, unit=unit_a, title="仍在处理")
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    http = api_client_for(other_group_admin)
    assert http.post(f"{URL}{problem.pk}/transition/", {"to": "archived"}, format="json").status_code == 200
    ids = {row["id"] for row in http.get(URL).json()["results"]}
    assert ids == {active.pk}
    archive = http.get(URL, {"archived": "true", "search": "UPS"}).json()["results"]
    assert [row["id"] for row in archive] == [problem.pk]
    assert {row["id"] for row in http.get(URL, {"archived": "false"}).json()["results"]} == {active.pk}
    detail = http.get(f"{URL}{problem.pk}/").json()
    assert detail["state"] == "archived" and detail["solution_summary"] == "已更换电池组"
    assert [e["to_state"] for e in detail["events"] if e["to_state"]][-1] == "archived"


def test_list_filters_and_overdue(
    api_client_for, problem, group_admin, owner_a, helper_a, unit_a, unit_admin_a
):
    classify(problem, group_admin, owner_a, helper_a, days=0)
    Problem.objects.filter(pk=problem.pk).update(deadline=deadline_in(-2), owner_alert_at="2000-01-01T00:00Z")
    services.register(actor=unit_admin_a, unit=unit_a, title="其他", priority="low")
    http = api_client_for(unit_admin_a)
    assert [r["id"] for r in http.get(URL, {"overdue": "true"}).json()["results"]] == [problem.pk]
    assert http.get(URL, {"owner": owner_a.person.pk}).json()["count"] == 1
    assert http.get(URL, {"priority": "low"}).json()["count"] == 1
    assert http.get(URL, {"state": "classified", "nature": "hidden_danger"}).json()["count"] == 1


def test_known_errors_of_an_item_or_an_incident(api_client_for, problem, unit_admin_a, app_a, unit_admin_b):
    from yunwei.incidents import services as incidents

    services.publish_workaround(problem, actor=unit_admin_a, workaround="切换备用 UPS")
    http = api_client_for(unit_admin_a)
    rows = http.get(f"{URL}known-errors/", {"item": app_a.pk}).json()["results"]
    assert [(r["id"], r["workaround"]) for r in rows] == [(problem.pk, "切换备用 UPS")]
    incident = incidents.report(actor=unit_admin_a, unit=problem.unit, title="断电", affected_items=[app_a])
    assert http.get(f"{URL}known-errors/", {"incident": incident.pk}).json()["count"] == 1
    assert http.get(f"{URL}known-errors/", {"item": "x"}).status_code == 400
    foreign = api_client_for(unit_admin_b).get(f"{URL}known-errors/", {"item": app_a.pk}).json()
    assert foreign["count"] == 0


def test_problems_are_never_deleted_and_keep_their_unit(api_client_for, problem, group_admin, unit_b):
    http = api_client_for(group_admin)
    assert http.delete(f"{URL}{problem.pk}/").status_code == 405
    response = http.patch(
        f"{URL}{problem.pk}/", {"unit": unit_b.pk, "version": problem.version}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "unit"
    response = http.patch(
        f"{URL}{problem.pk}/",
        {"title": "新标题", "priority": "high", "version": problem.version},
        format="json",
    )
    assert response.status_code == 200 and response.json()["priority"] == "high"
    assert Problem.objects.get(pk=problem.pk).title == "新标题"


def test_steps_tick_and_link_actions(api_client_for, problem, group_admin, owner_a, helper_a, unit_admin_a):
    from yunwei.incidents import services as incidents

    problem = classify(problem, group_admin, owner_a, helper_a)
    services.transition(problem, to="in_progress", actor=owner_a)
    http = api_client_for(owner_a)
    step = problem.steps.get()
    body = http.post(f"{URL}{problem.pk}/tick/", {"step": step.pk}, format="json").json()
    assert body["steps"][0]["done_at"] is not None
    bad = http.post(f"{URL}{problem.pk}/tick/", {"step": 999999}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "step"
    incident = incidents.report(actor=unit_admin_a, unit=problem.unit, title="又出现")
    response = api_client_for(unit_admin_a).post(
        f"{URL}{problem.pk}/link-incident/", {"incident": incident.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["incidents"] == [incident.pk]


def test_the_openapi_schema_documents_the_archive_and_the_log(api_client_for, group_admin):
    schema = api_client_for(group_admin).get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/problems/"]["get"]
    assert any(p["name"] == "archived" for p in listing["parameters"])
    assert "/api/problems/log/" in schema["paths"] and "/api/problems/{id}/transition/" in schema["paths"]
