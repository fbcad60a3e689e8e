"""Random action sequences on problems keep the invariants of Art. 15–16: the timeline is complete and in
order, the state is one the table allows, only a group admin who is not the owner archives, no archived
problem was verified by anyone who owned it since its classification, marked it solved or ticked one of its
steps (the walk hands ownership over and lets anyone tick, to try exactly that), and an archived problem is
never in the active list."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yunwei.core.errors import DomainError
from yunwei.problems import services
from yunwei.problems.choices import ALLOWED_TRANSITIONS, State
from yunwei.problems.filters import ProblemFilter
from yunwei.problems.models import Problem

from .conftest import deadline_in

pytestmark = pytest.mark.django_db


def test_random_walks_keep_the_invariants(
    unit_a, unit_admin_a, group_admin, other_group_admin, third_group_admin, owner_a, helper_a, app_a
):
    actors = {
        "unit_admin": unit_admin_a,
        "group_admin": group_admin,
        "other_group_admin": other_group_admin,
        "owner": owner_a,
        "helper": helper_a,
    }
    group_admins = {group_admin.pk, other_group_admin.pk, third_group_admin.pk}
    accounts_of = {user.person.pk: user for user in actors.values()}
    reached = set()

    class Flow(RuleBasedStateMachine):
        @initialize(owner=st.sampled_from(["owner", "group_admin"]))
        def register(self, owner):
            self.owner = actors[owner]
            self.problem = services.register(
                actor=unit_admin_a, unit=unit_a, title="随机", affected_items=[app_a]
            )
            # The walk's own account of who took part since the classification, kept apart from the
            # service's reading of the timeline: owners, those who marked it solved, those who ticked.
            self.owned, self.solved_by, self.ticked_by = set(), set(), set()

        def _try(self, call) -> bool:
            before = (self.problem.state, self.problem.events.count())
            try:
                call()
            except DomainError:
                self.problem.refresh_from_db()
                # a refusal leaves nothing behind
                assert (self.problem.state, self.problem.events.count()) == before
                return False
            self.problem.refresh_from_db()
            return True

        def _current_owner(self):
            return accounts_of[self.problem.owner_id]

        @rule(
            to=st.sampled_from(State.values),
            actor=st.sampled_from(sorted(actors)),
            complete=st.booleans(),
            comment=st.sampled_from(["", "理由"]),
        )
        def transition(self, to, actor, complete, comment):
            fields = {}
            if to == State.CLASSIFIED and complete:
                fields = {
                    "category": "other",
                    "nature": "hidden_danger",
                    "owner": self.owner.person,
                    "collaborators": [helper_a.person],
                    "proposed_solution": "处理",
                    "deadline": deadline_in(10),
                }
            if to == State.SOLVED and complete:
                fields = {"solution_summary": "已处理"}
            done = self._try(
                lambda: services.transition(
                    self.problem, to=to, actor=actors[actor], comment=comment, **fields
                )
            )
            if done and to == State.CLASSIFIED:
                self.owned = {self._current_owner().pk}
            if done and to == State.SOLVED:
                self.solved_by.add(actors[actor].pk)

        @rule(by=st.sampled_from(["group_admin", "other_group_admin"]), to=st.sampled_from(sorted(actors)))
        def hand_over(self, by, to):
            """A group admin gives the problem to someone else, at any moment (solved included)."""
            classified = self.problem.state != State.REGISTERED
            done = self._try(
                lambda: services.update_details(self.problem, actor=actors[by], owner=actors[to].person)
            )
            if done and classified:
                self.owned.add(actors[to].pk)

        @rule(by=st.sampled_from(["group_admin", "other_group_admin"]))
        def verify(self, by):
            """Either group admin of the walk tries to verify, whatever part they took."""
            self._try(lambda: services.transition(self.problem, to=State.ARCHIVED, actor=actors[by]))

        @rule(actor=st.sampled_from(sorted(actors)))
        def add_step(self, actor):
            self._try(
                lambda: services.add_step(
                    self.problem, actor=actors[actor], text="步骤", due_on=deadline_in(5)
                )
            )

        @rule(actor=st.sampled_from(sorted(actors)))
        def tick_all(self, actor):
            for step in self.problem.steps.filter(done_at__isnull=True):
                if self._try(lambda step=step: services.tick_step(step, actor=actors[actor])):
                    self.ticked_by.add(actors[actor].pk)

        @rule()
        def advance(self):
            """The right person takes the next step, so that walks often get all the way to the archive."""
            state = self.problem.state
            if state == State.REGISTERED:
                services.add_step(self.problem, actor=group_admin, text="步骤", due_on=deadline_in(5))
                self.transition(State.CLASSIFIED, "group_admin", True, "")
            elif state == State.CLASSIFIED:
                owner = self._current_owner()
                self._try(lambda: services.transition(self.problem, to=State.IN_PROGRESS, actor=owner))
            elif state == State.IN_PROGRESS:
                owner = self._current_owner()
                self.tick_all(next(name for name, user in actors.items() if user == owner))
                self.transition(State.SOLVED, next(n for n, u in actors.items() if u == owner), True, "")
            elif state == State.SOLVED:
                # The first group admin with no part in the work; the third one never takes any.
                took_part = self.owned | self.solved_by | self.ticked_by
                verifier = next(
                    user
                    for user in (group_admin, other_group_admin, third_group_admin)
                    if user.pk not in took_part
                )
                if self._try(lambda: services.transition(self.problem, to=State.ARCHIVED, actor=verifier)):
                    reached.add(self.problem.pk)

        @rule()
        def publish(self):
            self._try(
                lambda: services.publish_workaround(self.problem, actor=unit_admin_a, workaround="绕行")
            )

        @invariant()
        def timeline_is_complete_and_ordered(self):
            if not hasattr(self, "problem"):
                return
            events = list(self.problem.events.order_by("id"))
            assert [e.at for e in events] == sorted(e.at for e in events)
            changes = [e for e in events if e.to_state]
            assert changes[0].kind == "registered"
            for previous, current in zip(changes, changes[1:], strict=False):
                assert current.from_state == previous.to_state
                assert current.to_state in ALLOWED_TRANSITIONS[previous.to_state]
            assert changes[-1].to_state == self.problem.state

        @invariant()
        def archived_only_by_a_group_admin_who_is_not_the_owner(self):
            if not hasattr(self, "problem"):
                return
            for event in self.problem.events.filter(to_state=State.ARCHIVED):
                assert event.actor_id in group_admins and event.actor_id != self._current_owner().pk
            if self.problem.state == State.ARCHIVED:
                assert self.problem.verified_by_id in group_admins
                assert self.problem.verified_by_id != self.problem.owner.account_id

        @invariant()
        def archived_only_by_one_who_took_no_part_in_the_work(self):
            if not hasattr(self, "problem") or self.problem.state != State.ARCHIVED:
                return
            assert self.problem.verified_by_id not in self.owned, "verified by who owned it"
            assert self.problem.verified_by_id not in self.solved_by, "verified by who marked it solved"
            assert self.problem.verified_by_id not in self.ticked_by, "verified by who ticked a step"

        @invariant()
        def archived_never_in_the_active_list(self):
            if not hasattr(self, "problem"):
                return
            active = ProblemFilter({}, queryset=Problem.objects.all()).qs
            assert not active.filter(state=State.ARCHIVED).exists()
            assert active.filter(pk=self.problem.pk).exists() == (self.problem.state != State.ARCHIVED)

    run_state_machine_as_test(
        Flow,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert reached, "no walk reached the archive: the rules no longer exercise verification"
