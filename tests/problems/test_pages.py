"""Problem pages: the active list with filters and search, the archive, the register form (pre-filled from
an incident), the problem page with only the actions the state and the reader allow, and the incident
page's panel (Register a problem, known errors)."""

import pytest

from yunwei.incidents import services as incidents
from yunwei.problems import services
from yunwei.problems.models import Problem

from .conftest import classify, deadline_in, solve

pytestmark = pytest.mark.django_db


def _diagnosing_incident(unit, actor, items=()):
    incident = incidents.report(actor=actor, unit=unit, title="公文流转缓慢", affected_items=items)
    incident = incidents.transition(incident, to="acknowledged", actor=actor)
    return incidents.transition(incident, to="diagnosing", actor=actor)


def test_the_list_filters_searches_and_leaves_archived_out(
    client, problem, group_admin, other_group_admin, owner_a, helper_a, unit_a, unit_admin_a
):
    other = services.register(actor=unit_admin_a, unit=unit_a, title="防火墙策略冗余", priority="high")
    done = services.register(actor=unit_admin_a, unit=unit_a, title="已解决的隐患")
    done = solve(classify(done, group_admin, owner_a, helper_a), owner_a)
    services.transition(done, to="archived", actor=other_group_admin)
    client.force_login(unit_admin_a)
    page = client.get("/problems/").content.decode()
    assert problem.title in page and other.title in page and done.title not in page
    assert 'name="overdue"' in page and 'name="nature"' in page
    page = client.get("/problems/", {"priority": "high"}).content.decode()
    assert other.title in page and problem.title not in page
    page = client.get("/problems/", {"q": "UPS"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert problem.title in page.content.decode() and "<html" not in page.content.decode()
    archive = client.get("/problems/archive/").content.decode()
    assert done.title in archive and problem.title not in archive
    archive = client.get("/problems/archive/", {"q": "防火墙"}).content.decode()
    assert done.title not in archive


def test_register_from_an_incident_is_prefilled_and_links_it(
    client, unit_a, unit_admin_a, app_a, unit_admin_b
):
    incident = _diagnosing_incident(unit_a, unit_admin_a, [app_a])
    client.force_login(unit_admin_a)
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/problems/new/?incident={incident.pk}" in detail
    page = client.get("/problems/new/", {"incident": incident.pk}).content.decode()
    assert "公文流转缓慢" in page and 'value="unresolved_fault" selected' in page
    response = client.post(
        f"/problems/new/?incident={incident.pk}",
        {
            "title": "公文流转缓慢",
            "nature": "unresolved_fault",
            "priority": "medium",
            "affected_items": [app_a.pk],
            "steps": f"{deadline_in(3)} 分析慢查询",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    problem = Problem.objects.get()
    assert problem.source_incident == incident and problem.origin == "incident"
    assert list(problem.incidents.all()) == [incident] and problem.steps.count() == 1
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert problem.code in detail
    client.force_login(unit_admin_b)
    assert client.get("/problems/new/", {"incident": incident.pk}).status_code == 404


def test_a_bad_work_plan_line_is_a_form_error(client, unit_a, unit_admin_a):
    client.force_login(unit_admin_a)
    response = client.post(
        "/problems/new/",
        {"unit": unit_a.pk, "title": "x", "origin": "routine", "priority": "medium", "steps": "tomorrow 做"},
    )
    assert response.status_code == 200 and "YYYY-MM-DD" in response.content.decode()
    assert not Problem.objects.exists()


def test_the_page_shows_only_the_actions_the_state_and_the_reader_allow(
    client, problem, group_admin, owner_a, helper_a, unit_user_a
):
    client.force_login(unit_user_a)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert problem.title in page and 'data-testid="actions"' not in page and 'data-testid="edit"' not in page
    client.force_login(group_admin)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert 'data-testid="to-classified"' in page
    problem = classify(problem, group_admin, owner_a, helper_a)
    page = client.get(f"/problems/{problem.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The owner moves it on now: the admin sees the step disabled, with who takes it.
    assert 'data-testid="form-in_progress"' not in page and 'data-testid="refused-in_progress"' in page
    assert "Only the problem&#x27;s owner starts the work" in page
    client.force_login(owner_a)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert 'data-testid="to-in_progress"' in page and 'data-testid="refused-' not in page
    client.force_login(unit_user_a)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert 'data-testid="actions"' not in page  # a reader with no part in the work sees no steps at all


def test_the_verify_action_is_disabled_with_its_reason_for_whoever_took_part(
    client, problem, group_admin, other_group_admin, owner_a, helper_a
):
    problem = solve(classify(problem, group_admin, group_admin, helper_a), group_admin)
    problem = services.update_details(problem, actor=group_admin, owner=owner_a.person)
    url = f"/problems/{problem.pk}/"
    client.force_login(group_admin)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="to-archived"' not in page and 'data-testid="to-in_progress"' not in page
    assert 'data-testid="refused-archived"' in page and 'data-testid="refused-in_progress"' in page
    assert "You marked this problem solved: another group system admin must verify it (Art. 16)." in page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您曾将此问题标记为已解决，须由其他集团系统管理员验证（第十六条）。" in page
    # Posting the step anyway is refused with the same reason and changes nothing.
    response = client.post(url + "transition/", {"to": "archived"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and 'data-testid="refusal"' in response.text
    assert "You marked this problem solved" in response.text
    problem.refresh_from_db()
    assert problem.state == "solved" and problem.verified_by is None
    client.force_login(other_group_admin)
    page = client.get(url).content.decode()
    assert 'data-testid="to-archived"' in page and 'data-testid="refused-' not in page


def test_walk_by_page_from_classification_to_archive(
    client, problem, group_admin, other_group_admin, owner_a, helper_a
):
    url = f"/problems/{problem.pk}/"
    client.force_login(group_admin)
    client.post(url + "steps/", {"text": "更换电池", "due_on": deadline_in(5)})
    response = client.post(url + "transition/", {"to": "classified"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == "registered"  # refused: the fields of Art. 15 are missing
    client.post(
        url + "transition/",
        {
            "to": "classified",
            "classified-category": "machine_room",
            "classified-nature": "hidden_danger",
            "classified-priority": "high",
            "classified-owner": owner_a.person.pk,
            "classified-collaborators": [helper_a.person.pk],
            "classified-proposed_solution": "更换",
            "classified-deadline": deadline_in(20),
        },
    )
    problem.refresh_from_db()
    assert problem.state == "classified" and problem.priority == "high"
    client.force_login(owner_a)
    client.post(url + "transition/", {"to": "in_progress"})
    client.post(url + "tick/", {"step": problem.steps.get().pk})
    client.post(url + "transition/", {"to": "solved", "solved-solution_summary": "已更换"})
    problem.refresh_from_db()
    assert problem.state == "solved"
    client.force_login(other_group_admin)
    client.post(url + "transition/", {"to": "archived", "archived-comment": "核实"})
    problem.refresh_from_db()
    assert problem.state == "archived" and problem.verified_by == other_group_admin
    page = client.get(url).content.decode()
    assert "已更换" in page and 'data-testid="actions"' not in page


def test_edit_page_and_publish_a_known_error_seen_on_the_incident_page(
    client, problem, unit_admin_a, app_a, unit_a
):
    client.force_login(unit_admin_a)
    response = client.post(
        f"/problems/{problem.pk}/edit/",
        {
            "title": "UPS 电池老化（复核）",
            "priority": "high",
            "affected_items": [app_a.pk],
            "nature": "",
            "category": "",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.title == "UPS 电池老化（复核）" and problem.priority == "high"
    client.post(f"/problems/{problem.pk}/publish/", {"workaround": "切换至备用 UPS"})
    problem.refresh_from_db()
    assert problem.is_known_error
    incident = _diagnosing_incident(unit_a, unit_admin_a, [app_a])
    panel = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "切换至备用 UPS" in panel and 'data-testid="known-errors"' in panel
    client.post(f"/problems/{problem.pk}/link/", {"incident": incident.pk})
    assert list(problem.incidents.all()) == [incident]


def test_a_just_reported_incident_offers_no_register_button(client, unit_a, unit_admin_a):
    incident = incidents.report(actor=unit_admin_a, unit=unit_a, title="刚报")
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="problem-panel"' in page and 'data-testid="register-problem"' not in page


def test_an_incident_is_linked_by_its_number_and_only_one_of_the_problems_unit(
    client, problem, unit_a, unit_admin_a, unit_b, unit_admin_b
):
    # A unit may hold a million incidents: the page suggests the latest few and takes any by its number.
    older = incidents.report(actor=unit_admin_a, unit=unit_a, title="较早的故障")
    latest = incidents.report(actor=unit_admin_a, unit=unit_a, title="最近的故障")
    elsewhere = incidents.report(actor=unit_admin_b, unit=unit_b, title="别家单位的故障")
    client.force_login(unit_admin_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    suggested = page.split('<datalist id="link-incidents">', 1)[1].split("</datalist>", 1)[0]
    assert suggested.index(latest.code) < suggested.index(older.code)
    assert elsewhere.code not in suggested

    for number in (elsewhere.code, "INC999999", "最近的故障", "9" * 20):
        response = client.post(f"/problems/{problem.pk}/link/", {"incident": number}, follow=True)
        assert "unit, not yet linked, has this number." in response.content.decode()
    assert list(problem.incidents.all()) == []

    client.post(f"/problems/{problem.pk}/link/", {"incident": older.code.lower()})
    assert list(problem.incidents.all()) == [older]
    response = client.post(f"/problems/{problem.pk}/link/", {"incident": str(older.pk)}, follow=True)
    assert "not yet linked" in response.content.decode()  # linked already
    assert older.code not in client.get(f"/problems/{problem.pk}/").content.decode().split("<datalist", 1)[1]
