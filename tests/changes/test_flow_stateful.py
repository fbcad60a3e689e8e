"""Random action sequences on one change keep the flow's invariants: the timeline is complete and in
order, the requester never approves, a change is approved only with every needed approval, and an
approved or scheduled risky change always has its rollback plan."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yunwei.changes import services
from yunwei.changes.choices import ChangeKind, State
from yunwei.core.errors import DomainError

from .conftest import new_change

pytestmark = pytest.mark.django_db

TEXT_FIELDS = {
    "completed": {"verification_result": "通过"},
    "rolled_back": {"rollback_note": "已回退"},
    "failed": {"failure_note": "失败"},
    "reviewed": {"review": "总结"},
}


def test_random_walks_keep_the_invariants(unit_a, unit_admin_a, server_a, app_a, lead, leader_a):
    people = {"requester": unit_admin_a, "lead": lead, "leader": leader_a}

    class Flow(RuleBasedStateMachine):
        @initialize(
            impact=st.sampled_from(["none", "degraded", "outage"]),
            kind=st.sampled_from([ChangeKind.NORMAL, ChangeKind.EMERGENCY]),
            rollback=st.booleans(),
        )
        def request(self, impact, kind, rollback):
            self.change = new_change(
                unit_admin_a,
                unit_a,
                [server_a],
                service_impact=impact,
                kind=kind,
                rollback_plan="回退" if rollback else "",
            )

        def _try(self, call):
            before = (self.change.state, self.change.version)
            try:
                call()
            except DomainError:
                self.change.refresh_from_db()
                assert (self.change.state, self.change.version) == before  # a refusal leaves nothing
            else:
                self.change.refresh_from_db()

        @rule(to=st.sampled_from(State.values), who=st.sampled_from(sorted(people)), with_text=st.booleans())
        def transition(self, to, who, with_text):
            fields = TEXT_FIELDS.get(to, {}) if with_text else {}
            comment = "理由" if with_text else ""
            self._try(
                lambda: services.transition(self.change, to=to, actor=people[who], comment=comment, **fields)
            )

        @rule(who=st.sampled_from(sorted(people)), decision=st.sampled_from(["approved", "rejected"]))
        def decide(self, who, decision):
            self._try(
                lambda: services.decide(self.change, actor=people[who], decision=decision, comment="意见")
            )

        @rule()
        def submit(self):  # the step every path through the flow takes, so it comes up often
            self._try(lambda: services.transition(self.change, to=State.SUBMITTED, actor=unit_admin_a))

        @rule()
        def everyone_needed_approves(self):
            for who in ("lead", "leader"):
                self._try(
                    lambda who=who: services.decide(self.change, actor=people[who], decision="approved")
                )

        @rule(impact=st.sampled_from(["none", "degraded", "outage"]))
        def edit(self, impact):
            self._try(lambda: services.update_change(self.change, actor=unit_admin_a, service_impact=impact))

        @rule(
            rollback=st.booleans(),
            risk=st.sampled_from([None, "low", "medium", "high"]),
        )
        def edit_plans(self, rollback, risk):
            fields = {"rollback_plan": "回退" if rollback else ""}
            if risk is not None:
                fields.update(risk=risk, risk_override_reason="人工评估")
            self._try(lambda: services.update_change(self.change, actor=unit_admin_a, **fields))

        @rule()
        def carry_out_first(self):  # an emergency change's own step, so its approval after the fact comes up
            self._try(lambda: services.transition(self.change, to=State.IMPLEMENTING, actor=unit_admin_a))

        @rule(outcome=st.sampled_from([State.COMPLETED, State.ROLLED_BACK]))
        def finish_the_work(self, outcome):  # verify and close what is being carried out
            self._try(lambda: services.transition(self.change, to=State.VERIFYING, actor=unit_admin_a))
            self._try(
                lambda: services.transition(
                    self.change, to=outcome, actor=unit_admin_a, **TEXT_FIELDS[outcome]
                )
            )

        @rule()
        def review(self):
            self._try(
                lambda: services.transition(
                    self.change, to=State.REVIEWED, actor=lead, **TEXT_FIELDS["reviewed"]
                )
            )

        @rule(who=st.sampled_from(sorted(people)))
        def except_the_refusal(self, who):
            self._try(lambda: services.record_exception(self.change, actor=people[who], comment="例外"))

        @invariant()
        def no_emergency_change_closed_without_its_approval(self):
            """Art. 18: an emergency change is completed or reviewed only with its approval after the fact
            (or the leader's exception to its refusal); refused, it is reviewed only once rolled back."""
            if not hasattr(self, "change") or self.change.kind != ChangeKind.EMERGENCY:
                return
            standing = self.change.approved_at is not None or self.change.exception_at is not None
            if self.change.events.filter(to_state=State.COMPLETED).exists():
                assert standing, "an emergency change completed without its approval"
            if self.change.state == State.REVIEWED and not standing:
                before = self.change.events.filter(to_state=State.REVIEWED).get().from_state
                assert self.change.approval_refused and before == State.ROLLED_BACK, (
                    "an emergency change reviewed without its approval"
                )

        @invariant()
        def approved_risky_change_has_a_rollback_plan(self):
            if not hasattr(self, "change"):
                return
            if self.change.state in (State.APPROVED, State.SCHEDULED) and self.change.is_risky:
                assert self.change.rollback_plan.strip()

        @invariant()
        def timeline_is_complete_and_ordered(self):
            if not hasattr(self, "change"):
                return
            events = list(self.change.events.order_by("id"))
            assert [e.at for e in events] == sorted(e.at for e in events)
            steps = [e for e in events if e.to_state]
            assert steps[0].kind == "created" and steps[0].to_state == State.DRAFT
            for previous, current in zip(steps, steps[1:], strict=False):
                assert current.from_state == previous.to_state
                assert current.to_state in services.ALLOWED_TRANSITIONS[previous.to_state]
            assert steps[-1].to_state == self.change.state

        @invariant()
        def never_approved_by_the_requester(self):
            if not hasattr(self, "change"):
                return
            assert not self.change.approvals.filter(approver=unit_admin_a).exists()

        @invariant()
        def approved_only_with_every_needed_approval(self):
            if not hasattr(self, "change"):
                return
            events = list(self.change.events.filter(to_state=State.APPROVED, from_state=State.SUBMITTED))
            for event in events:
                # the approvals given up to that moment, in the round then current, cover the needed roles
                given = set(
                    self.change.approvals.filter(
                        scope="change", decision="approved", at__lte=event.at
                    ).values_list("round", "role")
                )
                rounds = {r for r, _role in given}
                assert any(
                    {role for r, role in given if r == round_} >= {"system_lead"} for round_ in rounds
                ), "approved without the system management lead"
            if self.change.approved_at is not None and self.change.state not in (State.DRAFT, State.REJECTED):
                assert services.missing_roles(self.change) == []

    run_state_machine_as_test(
        Flow,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
