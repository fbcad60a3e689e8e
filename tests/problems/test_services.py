"""The problem database's rules (Art. 14–16), through the services: registering, classifying by a group
system admin with every field of Art. 15, the owner's work, verification by another group admin."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunwei.audit.models import AuditEvent
from yunwei.core.errors import DomainError, PermissionDenied, TransitionNotAllowed
from yunwei.core.models import AppendOnlyError
from yunwei.incidents import services as incidents
from yunwei.notify.models import Delivery
from yunwei.org.choices import Role
from yunwei.problems import services
from yunwei.problems.models import Problem, ProblemEvent

from ..conftest import make_user
from ..incidents.conftest import restore
from .conftest import classification, classify, deadline_in, solve

pytestmark = pytest.mark.django_db


def test_staff_register_a_hidden_danger_with_its_first_timeline_entry(problem, unit_admin_a, app_a):
    assert problem.state == "registered" and problem.origin == "inspection"
    assert list(problem.affected_items.all()) == [app_a]
    event = problem.events.get()
    assert (event.kind, event.to_state, event.actor) == ("registered", "registered", unit_admin_a)
    assert AuditEvent.objects.filter(object_type="problems.problem", action="create").exists()


def test_a_plain_user_cannot_register_a_problem(unit_a, unit_user_a):
    with pytest.raises(PermissionDenied):
        services.register(actor=unit_user_a, unit=unit_a, title="x")
    assert not Problem.objects.exists()


def test_a_foreign_item_or_person_is_refused_naming_the_field(unit_a, unit_b, group_admin, unit_admin_b):
    foreign_person = unit_admin_b.person
    with pytest.raises(DomainError) as excinfo:
        services.register(actor=group_admin, unit=unit_a, title="x", owner=foreign_person)
    assert excinfo.value.field == "owner"
    with pytest.raises(DomainError) as excinfo:
        services.register(actor=group_admin, unit=unit_a, title="x", collaborators=[foreign_person])
    assert excinfo.value.field == "collaborators"
    assert not Problem.objects.exists()


def test_group_staff_may_own_a_unit_problem(problem, group_admin, lead, helper_a):
    problem = classify(problem, group_admin, lead, helper_a)
    assert problem.owner == lead.person and problem.state == "classified"


def test_classifying_names_every_missing_field_of_art_15(problem, group_admin):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="classified", actor=group_admin)
    message = str(excinfo.value.message)
    for word in (
        "category",
        "nature",
        "owner",
        "collaborators",
        "proposed solution",
        "work plan",
        "deadline",
    ):
        assert word in message
    assert excinfo.value.field == "category"
    problem.refresh_from_db()
    assert problem.state == "registered" and problem.events.count() == 1


def test_classifying_needs_a_collaborator_and_a_step(problem, group_admin, owner_a, helper_a):
    fields = {**classification(owner_a, helper_a), "collaborators": []}
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="classified", actor=group_admin, **fields)
    assert excinfo.value.field == "collaborators"
    assert "work plan" in str(excinfo.value.message)


def test_only_a_group_admin_classifies(problem, unit_admin_a, owner_a, helper_a):
    services.add_step(problem, actor=unit_admin_a, text="采购", due_on=deadline_in(5))
    with pytest.raises(PermissionDenied) as excinfo:
        services.transition(problem, to="classified", actor=unit_admin_a, **classification(owner_a, helper_a))
    assert "group system admin" in str(excinfo.value.message)


def test_classification_tells_the_owner(problem, group_admin, owner_a, helper_a):
    problem = classify(problem, group_admin, owner_a, helper_a)
    assert problem.classified_at is not None and problem.owner_alert_at is not None
    deliveries = Delivery.objects.filter(event_key__startswith=f"problem:{problem.pk}:classified")
    assert set(deliveries.values_list("recipient_kind", "recipient")) == {("email", owner_a.person.email)}


def test_the_owner_works_and_solves_with_a_summary_after_every_step(problem, group_admin, owner_a, helper_a):
    problem = classify(problem, group_admin, owner_a, helper_a)
    with pytest.raises(PermissionDenied):
        services.transition(problem, to="in_progress", actor=group_admin)
    problem = services.transition(problem, to="in_progress", actor=owner_a)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="solved", actor=owner_a, solution_summary="done")
    assert excinfo.value.field == "steps"
    services.tick_step(problem.steps.get(), actor=helper_a)  # a collaborator may tick
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="solved", actor=owner_a)
    assert excinfo.value.field == "solution_summary"
    problem = services.transition(problem, to="solved", actor=owner_a, solution_summary="已更换")
    assert problem.state == "solved" and problem.solved_at is not None


def test_owner_cannot_verify_own_problem(problem, group_admin, other_group_admin, helper_a):
    problem = classify(problem, group_admin, group_admin, helper_a)  # a group admin owning the problem
    problem = solve(problem, group_admin)
    with pytest.raises(PermissionDenied) as excinfo:
        services.transition(problem, to="archived", actor=group_admin)
    assert "owner cannot verify" in str(excinfo.value.message)
    assert services.allowed_targets(problem, group_admin) == []
    problem = services.transition(problem, to="archived", actor=other_group_admin)
    assert problem.state == "archived" and problem.verified_by == other_group_admin


def test_a_non_group_admin_cannot_verify(problem, group_admin, owner_a, helper_a, unit_admin_a, lead):
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    for actor in (unit_admin_a, lead):
        with pytest.raises(PermissionDenied):
            services.transition(problem, to="archived", actor=actor)
    problem.refresh_from_db()
    assert problem.state == "solved"


def _refused_to_verify(problem, actor) -> str:
    """Both outcomes of the verification are refused to `actor` for one reason, which is returned; the
    problem is left solved and unverified, and the page offers neither."""
    reasons = set()
    for to, comment in (("archived", ""), ("in_progress", "复核未通过")):
        with pytest.raises(PermissionDenied) as excinfo:
            services.transition(problem, to=to, actor=actor, comment=comment)
        reasons.add(str(excinfo.value.message))
    stored = Problem.objects.get(pk=problem.pk)
    assert stored.state == "solved" and stored.verified_by is None and stored.archived_at is None
    assert not stored.events.filter(to_state__in=["archived", "in_progress"], from_state="solved").exists()
    assert services.allowed_targets(stored, actor) == []
    (reason,) = reasons
    assert "(Art. 16)" in reason
    return reason


def test_an_owner_who_hands_the_solved_problem_over_cannot_verify_it(
    problem, group_admin, owner_a, helper_a, third_group_admin
):
    problem = solve(classify(problem, group_admin, group_admin, helper_a), group_admin)
    # The bypass: ownership handed to someone else while solved, so that the owner is no longer the owner.
    problem = services.update_details(problem, actor=group_admin, owner=owner_a.person)
    assert problem.owner == owner_a.person
    handover = problem.events.filter(kind="edit").last()
    assert handover.data["owner_id"] == owner_a.person.pk
    assert handover.data["previous_owner_id"] == group_admin.person.pk
    assert _refused_to_verify(problem, group_admin).startswith("You marked this problem solved")
    problem = services.transition(problem, to="archived", actor=third_group_admin)
    assert problem.state == "archived" and problem.verified_by == third_group_admin


def test_whoever_owned_the_problem_since_its_classification_cannot_verify_it(
    problem, group_admin, other_group_admin, owner_a, helper_a, third_group_admin
):
    problem = classify(problem, group_admin, other_group_admin, helper_a)
    problem = services.transition(problem, to="in_progress", actor=other_group_admin)
    # Handed over while in progress: the new owner does the work and solves it.
    problem = services.update_details(problem, actor=group_admin, owner=owner_a.person)
    for step in problem.steps.all():
        services.tick_step(step, actor=owner_a)
    problem = services.transition(problem, to="solved", actor=owner_a, solution_summary="已更换")
    reason = _refused_to_verify(problem, other_group_admin)
    assert reason.startswith("You owned this problem since it was classified")
    # The admin who classified it and handed it over took no part in the work: they verify.
    problem = services.transition(problem, to="archived", actor=group_admin)
    assert problem.state == "archived" and problem.verified_by == group_admin


def test_an_owner_before_the_classification_may_verify(
    problem, group_admin, other_group_admin, owner_a, helper_a
):
    problem = services.update_details(problem, actor=group_admin, owner=other_group_admin.person)
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    problem = services.transition(problem, to="archived", actor=other_group_admin)
    assert problem.verified_by == other_group_admin


def test_a_collaborator_who_ticked_a_step_cannot_verify(
    problem, group_admin, other_group_admin, owner_a, helper_a, third_group_admin
):
    services.add_step(problem, actor=group_admin, text="采购电池", due_on=deadline_in(10))
    services.add_step(problem, actor=group_admin, text="更换电池", due_on=deadline_in(15))
    problem = services.transition(
        problem,
        to="classified",
        actor=group_admin,
        **{**classification(owner_a, helper_a), "collaborators": [other_group_admin.person]},
    )
    problem = services.transition(problem, to="in_progress", actor=owner_a)
    first, second = problem.steps.order_by("position")
    services.tick_step(first, actor=owner_a)
    services.tick_step(second, actor=other_group_admin)  # the collaborator did the work
    problem = services.transition(problem, to="solved", actor=owner_a, solution_summary="已更换")
    reason = _refused_to_verify(problem, other_group_admin)
    assert reason.startswith("You carried out step “2. 更换电池” of this problem")
    problem = services.transition(problem, to="archived", actor=third_group_admin)
    assert problem.verified_by == third_group_admin


def test_a_group_admin_who_ticked_a_step_cannot_verify(problem, group_admin, owner_a, helper_a):
    problem = classify(problem, group_admin, owner_a, helper_a)
    problem = services.transition(problem, to="in_progress", actor=owner_a)
    services.tick_step(problem.steps.get(), actor=group_admin)
    problem = services.transition(problem, to="solved", actor=owner_a, solution_summary="已更换")
    assert "You carried out step “1. 采购电池”" in _refused_to_verify(problem, group_admin)


def test_the_history_is_read_in_a_fixed_number_of_queries(
    problem, group_admin, owner_a, helper_a, third_group_admin
):
    def queries_for(problem) -> int:
        problem = Problem.objects.select_related("owner").get(pk=problem.pk)
        assert services.is_group_admin(third_group_admin)  # the account's roles, read once and kept
        with CaptureQueriesContext(connection) as captured:
            assert services.allowed_targets(problem, third_group_admin) == ["archived", "in_progress"]
        return len(captured)

    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    few = queries_for(problem)
    services.transition(problem, to="in_progress", actor=third_group_admin, comment="再做几步")
    for n in range(8):
        services.add_step(problem, actor=owner_a, text=f"补充步骤 {n}", due_on=deadline_in(5))
    for step in problem.steps.filter(done_at__isnull=True):
        services.tick_step(step, actor=owner_a)
    problem = services.transition(problem, to="solved", actor=owner_a, solution_summary="已补充")
    assert problem.events.count() > 20
    assert queries_for(problem) == few


def test_a_failed_verification_returns_it_with_a_reason(problem, group_admin, owner_a, helper_a):
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="in_progress", actor=group_admin)
    assert excinfo.value.field == "comment"
    problem = services.transition(problem, to="in_progress", actor=group_admin, comment="电池型号不符")
    assert problem.state == "in_progress"
    assert Delivery.objects.filter(event_key__startswith=f"problem:{problem.pk}:returned").exists()


def test_a_step_the_flow_does_not_allow_is_refused_with_the_states(problem, group_admin):
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.transition(problem, to="archived", actor=group_admin)
    assert excinfo.value.field == "to"
    assert "Registered" in str(excinfo.value.message) and "Archived" in str(excinfo.value.message)
    with pytest.raises(DomainError) as excinfo:
        services.transition(problem, to="nowhere", actor=group_admin)
    assert excinfo.value.field == "to"


def test_an_archived_problem_is_kept_and_cannot_change(
    problem, group_admin, other_group_admin, owner_a, helper_a
):
    problem = solve(classify(problem, group_admin, owner_a, helper_a), owner_a)
    problem = services.transition(problem, to="archived", actor=other_group_admin, comment="现场核实")
    with pytest.raises(TransitionNotAllowed):
        services.update_details(problem, actor=group_admin, title="改")
    with pytest.raises(TransitionNotAllowed):
        services.publish_workaround(problem, actor=group_admin, workaround="x")
    states = [e.to_state for e in problem.events.order_by("at", "id") if e.to_state]
    assert states == ["registered", "classified", "in_progress", "solved", "archived"]
    assert Problem.objects.filter(pk=problem.pk).exists()


def test_once_classified_only_a_group_admin_changes_the_deadline(problem, group_admin, owner_a, helper_a):
    problem = classify(problem, group_admin, owner_a, helper_a)
    with pytest.raises(PermissionDenied):
        services.update_details(problem, actor=owner_a, deadline=deadline_in(90))
    problem = services.update_details(problem, actor=owner_a, workaround="临时改用市电直供")
    assert problem.workaround == "临时改用市电直供"
    problem = services.update_details(problem, actor=group_admin, deadline=deadline_in(90))
    assert problem.deadline == deadline_in(90)
    assert problem.events.filter(kind="edit").count() == 2


def test_registering_from_an_incident_links_it(unit_a, unit_admin_a, app_a):
    incident = incidents.report(actor=unit_admin_a, unit=unit_a, title="OA 慢", affected_items=[app_a])
    with pytest.raises(DomainError) as excinfo:
        services.register(actor=unit_admin_a, unit=unit_a, title="x", source_incident=incident)
    assert excinfo.value.field == "source_incident"  # a just-reported fault is not yet diagnosed
    incident = incidents.transition(incident, to="acknowledged", actor=unit_admin_a)
    incident = incidents.transition(incident, to="diagnosing", actor=unit_admin_a)
    problem = services.register(actor=unit_admin_a, unit=unit_a, title="OA 慢", source_incident=incident)
    assert problem.origin == "incident" and problem.nature == "unresolved_fault"
    assert list(incident.problems.all()) == [problem]
    assert list(incident.source_problems.all()) == [problem]


def test_an_incident_not_fixed_for_good_closes_only_with_a_linked_problem(unit_a, unit_admin_a):
    incident = restore(incidents.report(actor=unit_admin_a, unit=unit_a, title="慢"), unit_admin_a)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        incidents.transition(
            incident, to="closed", actor=unit_admin_a, resolution_summary="重启", fixed_for_good=False
        )
    assert excinfo.value.field == "problems"
    services.register(actor=unit_admin_a, unit=unit_a, title="慢的根因", source_incident=incident)
    incident = incidents.transition(
        incident, to="closed", actor=unit_admin_a, resolution_summary="重启", fixed_for_good=False
    )
    assert incident.state == "closed"


def test_further_incidents_are_linked_only_from_the_same_unit(problem, unit_admin_a, unit_b, unit_admin_b):
    mine = incidents.report(actor=unit_admin_a, unit=problem.unit, title="又慢了")
    foreign = incidents.report(actor=unit_admin_b, unit=unit_b, title="乙")
    services.link_incident(problem, mine, actor=unit_admin_a)
    assert list(problem.incidents.all()) == [mine]
    with pytest.raises(DomainError) as excinfo:
        services.link_incident(problem, foreign, actor=unit_admin_a)
    assert excinfo.value.field == "incident"
    with pytest.raises(DomainError):
        services.link_incident(problem, mine, actor=unit_admin_a)


def test_a_published_workaround_is_a_known_error_of_its_items(problem, unit_admin_a, app_a):
    with pytest.raises(DomainError) as excinfo:
        services.publish_workaround(problem, actor=unit_admin_a)
    assert excinfo.value.field == "workaround"
    problem = services.publish_workaround(problem, actor=unit_admin_a, workaround="切换到备用 UPS")
    assert problem.is_known_error
    assert list(services.known_errors(Problem.objects.all(), [app_a.pk])) == [problem]
    assert problem.events.filter(kind="known_error").exists()
    with pytest.raises(TransitionNotAllowed):
        services.publish_workaround(problem, actor=unit_admin_a)


def test_the_work_plan_is_ticked_only_in_progress_and_once(
    problem, group_admin, owner_a, helper_a, unit_user_a
):
    problem = classify(problem, group_admin, owner_a, helper_a)
    step = problem.steps.get()
    with pytest.raises(TransitionNotAllowed):
        services.tick_step(step, actor=owner_a)
    problem = services.transition(problem, to="in_progress", actor=owner_a)
    with pytest.raises(PermissionDenied):
        services.tick_step(step, actor=unit_user_a)
    services.tick_step(step, actor=owner_a)
    with pytest.raises(TransitionNotAllowed):
        services.tick_step(step, actor=owner_a)
    added = services.add_step(problem, actor=owner_a, text="验收", due_on=deadline_in(20))
    assert added.position == 2


def test_the_timeline_is_append_only(problem):
    event = problem.events.get()
    event.comment = "改写"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        ProblemEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ProblemEvent.objects.update(comment="x")


def test_a_unit_admin_of_another_unit_cannot_touch_the_problem(problem, unit_b):
    admin_b = make_user("b-admin-x", unit_b, Role.UNIT_ADMIN)
    with pytest.raises(PermissionDenied):
        services.update_details(problem, actor=admin_b, title="越权")
    with pytest.raises(PermissionDenied):
        services.publish_workaround(problem, actor=admin_b, workaround="x")
    assert Problem.objects.get(pk=problem.pk).title == "UPS 电池老化"


def test_alert_moments_start_the_day_after_the_deadline_in_the_group_time_zone():
    owner_at, lead_at = services.alert_moments(datetime.date(2025, 3, 31))
    assert owner_at.isoformat() == "2025-04-01T00:00:00+08:00"
    assert lead_at - owner_at == services.LEAD_ESCALATION_DELAY
