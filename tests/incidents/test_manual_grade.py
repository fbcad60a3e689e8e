"""Art. 12: a grade set by hand with its reason stays until the facts change (the impact scope, or a
threshold of the matrix passing after it was set); lowering a grade is the system management lead's, and a
unit admin proposes it. Everything is on the timeline."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.incidents import services
from yunwei.incidents.models import GradingRule, Incident
from yunwei.org.choices import Role

from ..conftest import make_user
from .conftest import walk

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0)


def at(minutes: int):
    return time_machine.travel(T0 + datetime.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def lead(group):
    return make_user("lead", group, Role.SYSTEM_LEAD)


@pytest.fixture
def lowered(unit_a, unit_admin_a, lead):
    """A department's fault raised to Ⅱ by the matrix after 240 minutes, then lowered to Ⅲ by the lead."""
    with at(0):
        incident = services.report(
            actor=unit_admin_a, unit=unit_a, title="部门无法发文", impact_scope="one_department"
        )
        incident = walk(incident, unit_admin_a, "acknowledged")
    with at(300):
        assert services.reevaluate_grade(incident.pk)
    with at(310):
        incident = services.set_grade(
            Incident.objects.get(pk=incident.pk), grade="III", reason="已有临时办法，影响很小", actor=lead
        )
    assert (incident.grade, incident.grade_manual) == ("III", True)
    return incident


def _grade(incident) -> tuple[str, bool]:
    fresh = Incident.objects.get(pk=incident.pk)
    return fresh.grade, fresh.grade_manual


def test_the_sweep_leaves_a_hand_set_grade_until_a_threshold_passes_again(lowered):
    with at(400):
        assert not services.reevaluate_grade(lowered.pk)
    assert _grade(lowered) == ("III", True)
    GradingRule.objects.create(impact_scope="one_department", min_duration_minutes=480, grade="II")
    with at(470):
        assert not services.reevaluate_grade(lowered.pk)
    with at(500):
        assert services.reevaluate_grade(lowered.pk)
    assert _grade(lowered) == ("II", False)
    event = lowered.events.filter(kind="grade").latest("id")
    assert "threshold" in event.comment and event.data["manual"] is False


def test_a_new_impact_scope_lets_the_matrix_grade_again(lowered, unit_admin_a):
    with at(320):
        incident = services.update_details(lowered, actor=unit_admin_a, impact_scope="one_unit")
    assert _grade(incident) == ("II", False)
    assert "facts changed" in incident.events.filter(kind="grade").latest("id").comment


def test_a_unit_admin_cannot_lower_a_grade(lowered, unit_admin_a, lead):
    with at(320):
        incident = services.set_grade(lowered, grade="II", reason="影响扩大", actor=unit_admin_a)
    with pytest.raises(PermissionDenied) as excinfo:
        services.set_grade(incident, grade="III", reason="又好了", actor=unit_admin_a)
    assert "Art. 12" in excinfo.value.message and "system management lead" in excinfo.value.message
    assert _grade(incident) == ("II", True)


def test_a_unit_admin_proposes_and_the_lead_decides(unit_a, unit_admin_a, lead):
    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )
    assert incident.grade == "II"
    with pytest.raises(DomainError) as excinfo:
        services.propose_grade(incident, grade="III", reason=" ", actor=unit_admin_a)
    assert excinfo.value.field == "reason"
    incident = services.propose_grade(incident, grade="III", reason="实际只影响一个部门", actor=unit_admin_a)
    with pytest.raises(PermissionDenied) as excinfo:
        services.decide_grade(incident, accept=True, actor=unit_admin_a)
    assert "Art. 12" in excinfo.value.message
    with pytest.raises(DomainError) as excinfo:
        services.decide_grade(incident, accept=False, actor=lead)
    assert excinfo.value.field == "comment"
    incident = services.decide_grade(incident, accept=False, actor=lead, comment="范围待核实")
    assert (incident.grade, incident.proposed_grade) == ("II", "")
    incident = services.propose_grade(
        incident, grade="III", reason="已核实只影响一个部门", actor=unit_admin_a
    )
    incident = services.decide_grade(incident, accept=True, actor=lead)
    assert _grade(incident) == ("III", True)
    kinds = list(incident.events.exclude(kind__in=["reported", "notice"]).values_list("kind", flat=True))
    assert kinds == ["grade_proposed", "grade_refused", "grade_proposed", "grade"]
    assert incident.events.get(kind="grade").actor == lead


def test_the_api_refuses_a_lowering_and_takes_the_proposal(api_client_for, unit_a, unit_admin_a, lead):
    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )
    http = api_client_for(unit_admin_a)
    http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"/api/incidents/{incident.pk}/"
    response = http.post(url + "grade/", {"grade": "III", "reason": "小"}, format="json")
    assert response.status_code == 403 and "Art. 12" in response.json()["detail"]
    assert _grade(incident) == ("II", False)
    response = http.post(url + "grade-proposal/", {"grade": "III", "reason": "小"}, format="json")
    assert response.status_code == 200 and response.json()["proposed_grade"] == "III"
    response = http.post(url + "grade-decision/", {"accept": True}, format="json")
    assert response.status_code == 403
    response = api_client_for(lead).post(url + "grade-decision/", {"accept": True}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["grade"], response.json()["grade_manual"]) == ("III", True)


def test_the_page_offers_a_unit_admin_only_the_proposal_of_a_lower_grade(client, unit_a, unit_admin_a, lead):
    incident = services.report(
        actor=unit_admin_a, unit=unit_a, title="全网中断", impact_scope="several_units"
    )
    client.force_login(unit_admin_a)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    form = page[page.index('data-testid="grade-form"') :]
    form = form[: form.index("</form>")]
    assert 'value="III"' not in form
    assert 'data-testid="lowering-note"' in page and 'data-testid="propose-grade-form"' in page
    client.post(
        f"/incidents/{incident.pk}/grade/proposal/", {"proposal-grade": "III", "proposal-reason": "小"}
    )
    assert Incident.objects.get(pk=incident.pk).proposed_grade == "III"
    client.force_login(lead)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="decide-grade-form"' in page
    client.post(f"/incidents/{incident.pk}/grade/decision/", {"accept": "true"})
    assert _grade(incident) == ("III", True)
