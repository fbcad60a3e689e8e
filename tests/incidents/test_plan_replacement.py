"""Art. 13, the plan picker: the cause starts empty and must be chosen, and a plan activated by mistake is
replaced by the right one with a reason, both kept on the timeline."""

import pytest

from yunwei.core.errors import DomainError, TransitionNotAllowed
from yunwei.incidents import services
from yunwei.incidents.models import EmergencyPlan, Incident

from .conftest import to_repairing, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def diagnosing(incident, unit_admin_a):
    return walk(walk(incident, unit_admin_a, "acknowledged"), unit_admin_a, "diagnosing")


@pytest.fixture
def wrong(diagnosing, unit_admin_a):
    """The network plan activated for what is an application fault, one of its steps already ticked."""
    incident = services.activate_plan(diagnosing, actor=unit_admin_a, cause_category="network")
    services.tick(incident.checklist.filter(kind="step").first(), actor=unit_admin_a)
    return Incident.objects.get(pk=incident.pk)


def test_the_plan_needs_a_chosen_cause(diagnosing, unit_admin_a):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.activate_plan(diagnosing, actor=unit_admin_a)
    assert excinfo.value.field == "cause_category" and "Art. 13" in excinfo.value.message
    assert Incident.objects.get(pk=diagnosing.pk).plan_id is None


def test_a_wrong_plan_is_replaced_with_a_reason_both_on_the_timeline(wrong, unit_admin_a, plans):
    assert wrong.plan.code == "network-iii"
    incident = services.replace_plan(
        wrong, actor=unit_admin_a, cause_category="application", reason="误判为网络故障"
    )
    assert (incident.plan, incident.cause_category) == (plans["III"], "application")
    assert incident.plan_snapshot["code"] == "app-iii"
    assert sorted(incident.checklist.values_list("text", flat=True)) == sorted(
        ["切换备用服务器", "检查日志", "登录测试", "流程测试"]
    )
    activated = incident.events.get(kind="plan")
    replaced = incident.events.get(kind="plan_replaced")
    assert activated.data["code"] == "network-iii"
    assert replaced.comment == "误判为网络故障"
    assert replaced.data["before"]["code"] == "network-iii" and replaced.data["after"]["code"] == "app-iii"
    assert replaced.data["ticked"] == 1
    # The old plan's ticked step stays on the timeline.
    assert incident.events.filter(kind="tick").count() == 1


def test_replacing_needs_a_reason(wrong, unit_admin_a, plans):
    with pytest.raises(DomainError) as excinfo:
        services.replace_plan(wrong, actor=unit_admin_a, cause_category="application", reason=" ")
    assert excinfo.value.field == "reason" and "Art. 13" in excinfo.value.message
    incident = Incident.objects.get(pk=wrong.pk)
    assert (incident.plan.code, incident.cause_category) == ("network-iii", "network")
    assert not incident.events.filter(kind="plan_replaced").exists()


def test_the_same_plan_is_no_replacement(wrong, unit_admin_a):
    with pytest.raises(DomainError) as excinfo:
        services.replace_plan(wrong, actor=unit_admin_a, reason="再来一次")
    assert excinfo.value.field == "plan"


def test_no_replacement_once_verifying(incident, unit_admin_a, plans):
    incident = to_repairing(incident, unit_admin_a)
    for item in incident.checklist.filter(kind="step"):
        services.tick(item, actor=unit_admin_a)
    incident = walk(incident, unit_admin_a, "verifying")
    assert "Art. 13" in services.replacement_refusal(incident)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.replace_plan(incident, actor=unit_admin_a, cause_category="network", reason="换")
    assert excinfo.value.message == services.replacement_refusal(incident)


def test_the_api_replaces_the_plan_and_refuses_without_a_reason(api_client_for, wrong, unit_admin_a, plans):
    http = api_client_for(unit_admin_a)
    url = f"/api/incidents/{wrong.pk}/replace-plan/"
    response = http.post(url, {"cause_category": "application"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "reason"
    response = http.post(url, {"cause_category": "application", "reason": "误判"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["plan"] == plans["III"].pk
    assert [e["kind"] for e in response.json()["events"] if e["kind"].startswith("plan")] == [
        "plan",
        "plan_replaced",
    ]
    response = http.post(
        f"/api/incidents/{wrong.pk}/activate-plan/", {"cause_category": "application"}, format="json"
    )
    assert response.status_code == 409 and response.json()["field"] == "plan"


def test_the_page_starts_the_cause_empty_and_disables_a_late_replacement(client, wrong, unit_admin_a):
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{wrong.pk}/").content.decode()
    assert 'data-testid="replace-plan-form"' in page and 'data-testid="replace-plan-refusal"' not in page
    fresh = services.report(actor=unit_admin_a, unit=wrong.unit, title="新故障")
    fresh = walk(fresh, unit_admin_a, "acknowledged")
    page = client.get(f"/incidents/{fresh.pk}/").content.decode()
    picker = page[page.index('data-testid="plan-cause"') :]
    picker = picker[: picker.index("</select>")]
    assert picker.index('value="" selected') < picker.index('value="power"')
    assert 'value="power" selected' not in picker
    response = client.post(
        f"/incidents/{wrong.pk}/replace-plan/", {"cause_category": "application", "reason": "误判"}
    )
    assert response.status_code == 302
    assert (
        EmergencyPlan.objects.get(pk=Incident.objects.get(pk=wrong.pk).plan_id).cause_category
        == "application"
    )
