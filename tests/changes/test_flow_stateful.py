"""Random action sequences on one change keep the flow's invariants: the timeline is complete and in
order, the requester never approves (though they hold an approving role), a change is approved only with
every needed approval of the round then current, and an approved or scheduled risky change always has its
rollback plan. Walks must reach approval and scheduling, or those invariants are never put to the test."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yunwei.changes import services
from yunwei.changes.choices import ChangeKind, State
from yunwei.core.errors import DomainError
from yunwei.org.choices import Role

from .conftest import new_change

pytestmark = pytest.mark.django_db

TEXT_FIELDS = {
    "completed": {"verification_result": "通过"},
    "rolled_back": {"rollback_note": "已回退"},
    "failed": {"failure_note": "失败"},
    "reviewed": {"review": "总结"},
}

# The step `advance` takes from the other states, and who takes it: a rejected change is reworked and comes
# back for a new round; a scheduled one is carried out and reviewed.
ONWARD = {
    State.REJECTED: (State.DRAFT, "requester"),
    State.SCHEDULED: (State.IMPLEMENTING, "requester"),
    State.IMPLEMENTING: (State.VERIFYING, "requester"),
    State.VERIFYING: (State.COMPLETED, "requester"),
    State.COMPLETED: (State.REVIEWED, "lead"),
    State.ROLLED_BACK: (State.REVIEWED, "lead"),
    State.FAILED: (State.REVIEWED, "lead"),
}


def test_random_walks_keep_the_invariants(unit_a, unit_admin_a, server_a, app_a, lead, leader_a):
    people = {"requester": unit_admin_a, "lead": lead, "leader": leader_a}
    # The requester is a leader in charge of the unit too: only the rule keeps them from approving.
    unit_admin_a.person.role_assignments.create(unit=unit_a, role=Role.LEADER)
    reached = set()

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
            # The roles each round of approvals needs, noted while the change awaits them (within a round
            # the content is fixed: an edit while submitted opens the next round).
            self.needed = {}

        def _note(self):
            self.change.refresh_from_db()
            reached.add(self.change.state)
            if self.change.state == State.SUBMITTED:
                risky = {Role.LEADER} if self.change.is_risky else set()
                self.needed[self.change.approval_round] = {Role.SYSTEM_LEAD, *risky}

        def _try(self, call):
            before = (self.change.state, self.change.version)
            try:
                call()
            except DomainError:
                self.change.refresh_from_db()
                assert (self.change.state, self.change.version) == before  # a refusal leaves nothing
            else:
                self._note()

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

        def _awaited(self, leader_first):
            order = ("leader", "lead") if leader_first else ("lead", "leader")
            return [who for who in order if services.may_decide(self.change, people[who])]

        def _approve(self, who):
            self._try(lambda: services.decide(self.change, actor=people[who], decision="approved"))

        @rule(leader_first=st.booleans())
        def everyone_needed_approves(self, leader_first):
            for who in self._awaited(leader_first):
                self._approve(who)

        @rule(leader_first=st.booleans())
        def advance(self, leader_first):
            """The right person takes the next step, so that walks often get approved and scheduled. When two
            approvals are awaited, the requester reworks the change after the first: the edit opens a new
            round, so the second alone must not approve it, and the next step asks the first again."""
            state = self.change.state
            if state == State.DRAFT:
                if self.change.is_risky and not self.change.rollback_plan.strip():
                    self.edit_plans(rollback=True, risk=None)
                self.submit()
            elif state == State.SUBMITTED:
                awaited = self._awaited(leader_first)
                if len(awaited) == 2:
                    self._approve(awaited[0])
                    plan = "回退" if self.change.rollback_plan != "回退" else "回退并核对"
                    self._try(
                        lambda: services.update_change(self.change, actor=unit_admin_a, rollback_plan=plan)
                    )
                    self._approve(awaited[1])
                elif awaited:
                    self._approve(awaited[0])
            elif state == State.APPROVED:
                if services.schedule_blockers(self.change):  # earlier walks' changes hold the same slot
                    self._try(
                        lambda: services.decide(
                            self.change, actor=leader_a, decision="approved", scope="schedule"
                        )
                    )
                self._try(lambda: services.transition(self.change, to=State.SCHEDULED, actor=unit_admin_a))
            elif state in ONWARD:
                self.transition(*ONWARD[state], with_text=True)

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

        def _approved_roles(self, round_, until=None):
            approvals = self.change.approvals.filter(scope="change", decision="approved", round=round_)
            if until is not None:
                approvals = approvals.filter(at__lte=until)
            return set(approvals.values_list("role", flat=True))

        @invariant()
        def approved_only_with_every_needed_approval(self):
            if not hasattr(self, "change"):
                return
            # The round current at each step, read off the timeline: every submission opens a round, and
            # so does every edit while submitted.
            state, round_ = None, 0
            for event in self.change.events.order_by("id"):
                if event.kind == "edit" and state == State.SUBMITTED:
                    round_ += 1
                if not event.to_state:
                    continue
                if event.to_state == State.SUBMITTED:
                    round_ += 1
                if (event.from_state, event.to_state) == (State.SUBMITTED, State.APPROVED):
                    # the approvals given up to that moment, in the round then current, cover the needed roles
                    given = self._approved_roles(round_, until=event.at)
                    assert given >= self.needed[round_], f"approved in round {round_} with only {given}"
                state = event.to_state
            assert round_ == self.change.approval_round
            if self.change.approved_at is not None and self.change.state not in (State.DRAFT, State.REJECTED):
                given = self._approved_roles(self.change.approval_round)
                assert given >= self.needed[self.change.approval_round]

    run_state_machine_as_test(
        Flow,
        # A fixed seed: the walks below must reach "approved" and "scheduled" every run, not by luck.
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            derandomize=True,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    for deep in (State.APPROVED, State.SCHEDULED):
        assert deep in reached, (
            f"no walk reached “{deep}”: the rules no longer exercise that part of the flow"
        )
