"""The check state machine with damping (Art. 3): N failures before down, M successes before up, the
"x failures within y minutes" rule, unknown that neither counts nor resets, monitoring blind while the
reference fails, flapping, reminders while down and the retry interval — each by example, then the
invariants over random sequences of results and reference states."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yunwei.monitoring.damping import (
    MAX_RECENT,
    CheckState,
    DampingState,
    EventKind,
    Policy,
    step,
)
from yunwei.monitoring.probes.base import ProbeResult, Status

T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)

UP = ProbeResult(Status.UP, "HTTP 200")
DOWN = ProbeResult(Status.DOWN, "connection to oa.example.cn:443 refused")
UNKNOWN = ProbeResult(Status.UNKNOWN, "the probe's resolver could not resolve oa.example.cn")


class Run:
    """Feeds results one minute apart (unless told otherwise) and keeps every step."""

    def __init__(self, policy: Policy, state: DampingState | None = None):
        self.policy, self.state, self.at, self.steps = policy, state or DampingState(), T0, []

    def feed(self, *results, every=MINUTE, **kwargs):
        for result in results:
            self.at += every
            outcome = step(self.policy, self.state, result, self.at, **kwargs)
            self.state = outcome.state
            self.steps.append(outcome)
        return self.steps[-1]

    @property
    def events(self) -> list[str]:
        return [event.kind.value for outcome in self.steps for event in outcome.events]


def test_down_only_after_n_consecutive_failures_with_a_shorter_retry_meanwhile():
    run = Run(Policy(fail_after=3, flap_threshold=None))
    run.feed(UP)
    assert run.state.state == CheckState.UP and run.events == []  # a first success tells nobody
    for _ in range(2):
        outcome = run.feed(DOWN)
        assert run.state.state == CheckState.UP
        assert outcome.next_interval == run.policy.retry_interval  # failing, not yet down
    outcome = run.feed(DOWN)
    assert run.state.state == CheckState.DOWN
    [event] = outcome.events
    assert event.kind == EventKind.DOWN and event.tells and "refused" in event.reason
    assert outcome.next_interval == run.policy.interval  # down: back to the normal interval


def test_a_success_between_failures_starts_the_count_again():
    run = Run(Policy(fail_after=3, flap_threshold=None))
    run.feed(UP, DOWN, DOWN, UP, DOWN, DOWN)
    assert run.state.state == CheckState.UP
    assert run.state.consecutive_failures == 2
    assert EventKind.DOWN not in run.events


def test_up_only_after_m_consecutive_successes_and_only_after_down():
    run = Run(Policy(fail_after=1, recover_after=3, flap_threshold=None))
    run.feed(DOWN)
    assert run.state.state == CheckState.DOWN
    run.feed(UP, UP, DOWN, UP, UP)
    assert run.state.state == CheckState.DOWN  # the failure between started the count again
    outcome = run.feed(UP)
    assert run.state.state == CheckState.UP
    assert [event.kind for event in outcome.events] == [EventKind.UP]
    assert run.events == ["down", "up"]


def test_a_new_check_that_starts_up_never_tells_up():
    run = Run(Policy(flap_threshold=None))
    run.feed(UP, UP, UP)
    assert run.state.state == CheckState.UP
    assert run.events == []


def test_unknown_neither_counts_nor_resets_and_shows_its_reason():
    run = Run(Policy(fail_after=3, flap_threshold=None))
    run.feed(UP, DOWN, DOWN)
    outcome = run.feed(UNKNOWN)
    assert run.state.state == CheckState.UNKNOWN
    assert run.state.reason == UNKNOWN.reason
    [event] = outcome.events
    assert event.kind == EventKind.UNKNOWN and not event.tells  # opens nothing, tells nobody
    assert run.state.consecutive_failures == 2  # not reset
    assert outcome.next_interval == run.policy.interval
    run.feed(UNKNOWN, UNKNOWN)
    assert run.state.consecutive_failures == 2  # not counted either
    assert run.events == ["unknown"]  # one event for the stretch
    run.feed(DOWN)  # the third failure among the judged results
    assert run.state.state == CheckState.DOWN
    assert run.events == ["unknown", "down"]


def test_unknown_alone_never_goes_down():
    run = Run(Policy(fail_after=1, flap_threshold=None))
    run.feed(*[UNKNOWN] * 10)
    assert run.state.state == CheckState.UNKNOWN
    assert run.state.judged == CheckState.NEW
    assert run.events == ["unknown"]


def test_after_unknown_a_down_check_is_down_again_without_a_second_down_notice():
    run = Run(Policy(fail_after=1, recover_after=2, flap_threshold=None))
    run.feed(DOWN, UNKNOWN, UP)
    assert run.state.state == CheckState.DOWN  # one success is not yet M
    run.feed(UP)
    assert run.state.state == CheckState.UP
    assert run.events == ["down", "unknown", "known", "up"]


def test_while_the_reference_fails_a_failing_dependent_goes_blind_with_one_event():
    run = Run(Policy(fail_after=2, flap_threshold=None))
    run.feed(UP, DOWN)
    outcome = run.feed(DOWN, reference_failing=True, reference="core-switch-1")
    assert run.state.state == CheckState.UNKNOWN
    assert run.state.blind
    assert run.state.reason == "monitoring blind: reference core-switch-1 is failing"
    assert outcome.counted_as == Status.UNKNOWN
    [event] = outcome.events
    assert event.kind == EventKind.UNKNOWN and event.reason == run.state.reason
    run.feed(DOWN, DOWN, DOWN, UNKNOWN, DOWN, reference_failing=True, reference="core-switch-1")
    assert run.events == ["unknown"]  # one event, not one per result
    assert run.state.state == CheckState.UNKNOWN
    # The reference is back: the next failure is the check's own, the second after the one before.
    run.feed(DOWN)
    assert run.state.state == CheckState.DOWN
    assert run.events == ["unknown", "down"]


def test_a_check_already_unknown_that_goes_blind_says_so_once():
    run = Run(Policy(flap_threshold=None))
    run.feed(UP, UNKNOWN)
    run.feed(DOWN, DOWN, reference_failing=True, reference="gw")
    assert [(e.kind.value, e.reason) for o in run.steps for e in o.events] == [
        ("unknown", UNKNOWN.reason),
        ("unknown", "monitoring blind: reference gw is failing"),
    ]


def test_a_dependent_that_answers_is_up_while_the_reference_fails():
    run = Run(Policy(fail_after=1, recover_after=1, flap_threshold=None))
    run.feed(DOWN)
    outcome = run.feed(UP, reference_failing=True, reference="gw")
    assert run.state.state == CheckState.UP
    assert [event.kind for event in outcome.events] == [EventKind.UP]


def test_x_failures_within_y_minutes_take_an_alternating_pair_down():
    alternating = [UP, DOWN] * 4
    plain = Run(Policy(fail_after=3, flap_threshold=None))
    plain.feed(*alternating)
    assert plain.state.state == CheckState.UP  # never three in a row

    pair = Run(
        Policy(fail_after=3, window_failures=3, window=datetime.timedelta(minutes=10), flap_threshold=None)
    )
    pair.feed(UP, DOWN, UP, DOWN, UP)
    assert pair.state.state == CheckState.UP
    pair.feed(DOWN)  # the third failure within ten minutes
    assert pair.state.state == CheckState.DOWN
    assert pair.events == ["down"]
    assert len(pair.state.failures) <= 3


def test_failures_spread_wider_than_the_window_do_not_count_together():
    run = Run(
        Policy(fail_after=3, window_failures=3, window=datetime.timedelta(minutes=10), flap_threshold=None)
    )
    run.feed(DOWN, UP, DOWN, UP, DOWN, UP, every=6 * MINUTE)
    assert run.state.state == CheckState.UP
    assert run.events == []
    assert len(run.state.failures) == 1  # the older ones fell out of the window


def test_flapping_starts_and_stops_and_is_told():
    policy = Policy(
        fail_after=1, recover_after=1, flap_threshold=4, flap_window=datetime.timedelta(minutes=10)
    )
    run = Run(policy)
    run.feed(UP, DOWN, UP, DOWN)
    assert not run.state.flapping  # three changes
    outcome = run.feed(UP)  # the fourth within ten minutes
    assert run.state.flapping
    assert [e.kind for e in outcome.events] == [EventKind.UP, EventKind.FLAPPING_STARTED]
    assert all(e.tells for e in outcome.events)
    run.feed(UP, UP, UP, UP, UP, UP)  # the changes age: still two within ten minutes at first
    run.feed(UP, UP, UP, UP)
    assert not run.state.flapping
    assert run.events.count("flapping_started") == 1
    assert run.events.count("flapping_stopped") == 1
    assert len(run.state.changes) < policy.flap_clear_below


def test_a_reminder_is_due_at_its_period_while_down_and_not_while_unknown():
    policy = Policy(fail_after=1, remind_every=datetime.timedelta(minutes=30), flap_threshold=None)
    run = Run(policy)
    run.feed(DOWN)  # told down now
    due = [run.feed(DOWN, every=10 * MINUTE).reminder_due for _ in range(6)]
    assert due == [False, False, True, False, False, True]
    run.feed(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, every=10 * MINUTE)
    assert not any(outcome.reminder_due for outcome in run.steps[-4:])
    assert run.feed(DOWN).reminder_due  # down again and overdue
    run.feed(UP, UP)
    assert run.state.reminded_at is None
    assert not any(outcome.reminder_due for outcome in run.steps[-2:])


def test_the_state_keeps_on_a_row_as_json():
    run = Run(Policy(fail_after=2, window_failures=2, window=datetime.timedelta(minutes=5), flap_threshold=3))
    run.feed(UP, DOWN, UP, DOWN, UNKNOWN)
    assert DampingState.from_json(run.state.as_json()) == run.state
    assert DampingState.from_json(None) == DampingState()


def test_results_out_of_time_order_are_refused():
    first = step(Policy(), DampingState(), UP, T0)
    with pytest.raises(ValueError, match="time order"):
        step(Policy(), first.state, UP, T0 - MINUTE)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fail_after": 0}, "fail_after must be at least 1"),
        ({"recover_after": 0}, "recover_after must be at least 1"),
        ({"window_failures": 3}, "set both or neither"),
        ({"window_failures": MAX_RECENT + 1, "window": MINUTE}, "window_failures must be between"),
        ({"flap_threshold": 1}, "flap_threshold must be between"),
        ({"retry_interval": 2 * MINUTE, "interval": MINUTE}, "retry_interval must not be longer"),
        ({"remind_every": datetime.timedelta(0)}, "remind_every must be longer than zero"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(fields, message):
    with pytest.raises(ValueError, match=message):
        Policy(**fields)


# -- invariants over random sequences ---------------------------------------------------------------------

policies = st.builds(
    Policy,
    fail_after=st.integers(1, 4),
    recover_after=st.integers(1, 4),
    flap_threshold=st.none() | st.integers(2, 6),
    flap_window=st.integers(2, 30).map(lambda m: m * MINUTE),
    remind_every=st.none() | st.integers(1, 30).map(lambda m: m * MINUTE),
).flatmap(
    lambda p: st.one_of(
        st.just(p),
        st.builds(
            lambda x, y: Policy(**{**p.__dict__, "window_failures": x, "window": y * MINUTE}),
            st.integers(1, 5),
            st.integers(1, 20),
        ),
    )
)
results = st.lists(
    st.tuples(
        st.sampled_from([UP, DOWN, UNKNOWN]),
        st.booleans(),  # the reference is failing
        st.integers(0, 300),  # seconds since the result before
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, sequence=results)
def test_random_sequences_keep_the_invariants(policy, sequence):
    state, at = DampingState(), T0
    judged: list[tuple[datetime.datetime, Status]] = []  # the results that count, as the rules say
    told_down = False
    for result, reference_failing, gap in sequence:
        at += datetime.timedelta(seconds=gap)
        outcome = step(policy, state, result, at, reference_failing=reference_failing, reference="gw")
        kinds = [event.kind for event in outcome.events]
        if result.status != Status.UNKNOWN and not (reference_failing and result.status == Status.DOWN):
            judged.append((at, result.status))
        outcomes = [status for _at, status in judged]

        if EventKind.DOWN in kinds:
            assert result.status == Status.DOWN, "an unknown result never produces a down"
            assert not reference_failing, "no down while the reference fails"
            last_n = outcomes[-policy.fail_after :]
            in_a_row = len(last_n) == policy.fail_after and set(last_n) == {Status.DOWN}
            in_window = policy.window_failures is not None and (
                sum(1 for t, s in judged if s == Status.DOWN and t > at - policy.window)
                >= policy.window_failures
            )
            assert in_a_row or in_window
            assert not told_down
            told_down = True
        if EventKind.UP in kinds:
            assert told_down, "no up without a down before it"
            last_m = outcomes[-policy.recover_after :]
            assert len(last_m) == policy.recover_after and set(last_m) == {Status.UP}
            told_down = False
        if result.status == Status.UNKNOWN:
            assert EventKind.DOWN not in kinds and EventKind.UP not in kinds

        state = outcome.state
        assert (state.state == CheckState.DOWN) <= told_down
        assert (state.judged == CheckState.DOWN) == told_down
        assert (state.state == CheckState.UNKNOWN) == (outcome.counted_as == Status.UNKNOWN)
        assert not outcome.reminder_due or state.state == CheckState.DOWN
        assert len(state.failures) <= (policy.window_failures or 0) <= MAX_RECENT
        assert len(state.changes) <= (policy.flap_threshold or 0) <= MAX_RECENT
        assert DampingState.from_json(state.as_json()) == state
