"""The state machine of an active check, with damping both ways (Art. 3): plain dataclasses, no models.

One probe result at a time goes through :func:`step` with the check's :class:`Policy` and its current
:class:`DampingState`; the answer is the new state, the events to record (and which of them to tell the
item's team), whether a reminder is due while down, and the interval until the next run. The scheduler
keeps the state on the check's row (:meth:`DampingState.as_json`, :meth:`DampingState.from_json`).

The rules, in the words of ``docs/probes.md`` ("Damping"):

- **Down** after ``fail_after`` consecutive failures, or — with ``window_failures`` and ``window`` set,
  for load-balanced pairs where every other request fails — after that many failures within the window.
- **Up again** only after ``recover_after`` consecutive successes, and only from down: the first success
  of a new check makes it up without any event, so there is never an "up" without a "down" before it.
- **Unknown** results neither count nor reset: the counters stay where the last judged results left
  them. Resetting would let a probe's own intermittent trouble hide a real outage (fail, unknown, fail,
  unknown … would never reach ``fail_after``); counting them either way would judge the target on what
  the probe could not see. The state shows unknown at once with its reason (it opens nothing and tells
  nobody), and the next judged result takes up where the judged ones left off.
- **Monitoring blind**: while the check's reference (the core switch or gateway it depends on) fails,
  a down result of the check is taken as unknown ("monitoring blind: reference X is failing"); one event
  says so when the blindness starts, not one per result (the probe's own unknowns meanwhile keep it
  blind while the reference fails).
- **Flapping**: ``flap_threshold`` changes between up and down results within ``flap_window`` start it;
  it stops when the changes within the window fall below half the threshold. It is shown and told; it
  does not hold back the damped down and up events (the damping is what holds them back).
- A **reminder** is due while down every ``remind_every``; the next run comes after ``retry_interval``
  while the check is failing but not yet down, after ``interval`` otherwise.

Memory stays bounded: the state keeps at most ``window_failures`` failure times and ``flap_threshold``
change times (both capped by :data:`MAX_RECENT`), and drops those older than their window.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field, replace
from typing import Any

from .probes.base import ProbeResult, Status

MAX_RECENT = 100


class CheckState(enum.StrEnum):
    NEW = "new"
    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


class EventKind(enum.StrEnum):
    DOWN = "down"  # became down
    UP = "up"  # became up after being down
    UNKNOWN = "unknown"  # went unknown, or went blind while unknown (the reason says which)
    KNOWN = "known"  # judged again after unknown, back at the state the judged results had left
    FLAPPING_STARTED = "flapping_started"
    FLAPPING_STOPPED = "flapping_stopped"

    @property
    def tells(self) -> bool:
        """Whether the item's team is told: unknown opens nothing and tells nobody (the reference's own
        down is what tells of a blind probe)."""
        return self not in (EventKind.UNKNOWN, EventKind.KNOWN)


@dataclass(frozen=True)
class Policy:
    """How a check judges: ``fail_after`` (N) and ``recover_after`` (M) consecutive results, the optional
    "``window_failures`` within ``window``" rule, the flapping window and threshold (``None``: no flapping
    detection), the run intervals and the reminder period while down (``None``: no reminder)."""

    fail_after: int = 3
    recover_after: int = 2
    window_failures: int | None = None
    window: datetime.timedelta | None = None
    flap_threshold: int | None = 6
    flap_window: datetime.timedelta = datetime.timedelta(hours=1)
    interval: datetime.timedelta = datetime.timedelta(minutes=1)
    retry_interval: datetime.timedelta = datetime.timedelta(seconds=20)
    remind_every: datetime.timedelta | None = datetime.timedelta(hours=4)

    def __post_init__(self):
        for name in ("fail_after", "recover_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if (self.window_failures is None) != (self.window is None):
            raise ValueError("window_failures and window go together: set both or neither")
        if self.window_failures is not None and not 1 <= self.window_failures <= MAX_RECENT:
            raise ValueError(f"window_failures must be between 1 and {MAX_RECENT}")
        if self.window is not None and self.window <= datetime.timedelta(0):
            raise ValueError("window must be longer than zero")
        if self.flap_threshold is not None and not 2 <= self.flap_threshold <= MAX_RECENT:
            raise ValueError(f"flap_threshold must be between 2 and {MAX_RECENT}")
        for name in ("flap_window", "interval", "retry_interval"):
            if getattr(self, name) <= datetime.timedelta(0):
                raise ValueError(f"{name} must be longer than zero")
        if self.retry_interval > self.interval:
            raise ValueError("retry_interval must not be longer than interval")
        if self.remind_every is not None and self.remind_every <= datetime.timedelta(0):
            raise ValueError("remind_every must be longer than zero")

    @property
    def flap_clear_below(self) -> int:
        """Flapping stops when the changes within the window fall below this (half the threshold), so the
        flag does not itself flap around the threshold."""
        return max(1, (self.flap_threshold or 0) // 2)


@dataclass(frozen=True)
class DampingState:
    """A check's damping state: the state shown (``state``), the state the judged results left
    (``judged``: new, up or down — what an unknown stretch covers), the counters and the bounded recent
    memory the window and flapping rules need."""

    state: CheckState = CheckState.NEW
    judged: CheckState = CheckState.NEW
    reason: str = ""
    since: datetime.datetime | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    failures: tuple[datetime.datetime, ...] = ()  # the latest failure times, at most window_failures
    changes: tuple[datetime.datetime, ...] = ()  # the latest up↔down change times, at most flap_threshold
    last_outcome: Status | None = None  # the last judged result (up or down)
    last_at: datetime.datetime | None = None
    flapping: bool = False
    blind: bool = False
    reminded_at: datetime.datetime | None = None  # when down was last told (the down itself or a reminder)

    def as_json(self) -> dict[str, Any]:
        def moment(value):
            return value.isoformat() if value else None

        return {
            "state": self.state.value,
            "judged": self.judged.value,
            "reason": self.reason,
            "since": moment(self.since),
            "consecutive_failures": self.consecutive_failures,
            "consecutive_successes": self.consecutive_successes,
            "failures": [moment(at) for at in self.failures],
            "changes": [moment(at) for at in self.changes],
            "last_outcome": self.last_outcome.value if self.last_outcome else None,
            "last_at": moment(self.last_at),
            "flapping": self.flapping,
            "blind": self.blind,
            "reminded_at": moment(self.reminded_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DampingState:
        if not data:
            return cls()

        def moment(value):
            return datetime.datetime.fromisoformat(value) if value else None

        return cls(
            state=CheckState(data.get("state", "new")),
            judged=CheckState(data.get("judged", "new")),
            reason=data.get("reason", ""),
            since=moment(data.get("since")),
            consecutive_failures=int(data.get("consecutive_failures", 0)),
            consecutive_successes=int(data.get("consecutive_successes", 0)),
            failures=tuple(moment(at) for at in data.get("failures", ())),
            changes=tuple(moment(at) for at in data.get("changes", ())),
            last_outcome=Status(data["last_outcome"]) if data.get("last_outcome") else None,
            last_at=moment(data.get("last_at")),
            flapping=bool(data.get("flapping", False)),
            blind=bool(data.get("blind", False)),
            reminded_at=moment(data.get("reminded_at")),
        )


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime.datetime
    reason: str = ""

    @property
    def tells(self) -> bool:
        return self.kind.tells


@dataclass(frozen=True)
class Step:
    """What one result did: the new state, the events in the order they happened, whether a reminder of
    the down is due, the interval until the next run, and the result as counted (a blind down counts as
    unknown)."""

    state: DampingState
    events: tuple[Event, ...] = ()
    reminder_due: bool = False
    next_interval: datetime.timedelta = field(default=datetime.timedelta(minutes=1))
    counted_as: Status = Status.UNKNOWN


def blind_reason(reference: str) -> str:
    return f"monitoring blind: reference {reference or 'check'} is failing"


def _recent(times: tuple[datetime.datetime, ...], at: datetime.datetime, span, keep: int | None):
    """The times within ``span`` before ``at``, the latest ``keep`` of them (none when the rule is off)."""
    if span is None or not keep:
        return ()
    kept = tuple(moment for moment in times if moment > at - span)
    return kept[-keep:]


def step(
    policy: Policy,
    state: DampingState,
    result: ProbeResult,
    at: datetime.datetime,
    *,
    reference_failing: bool = False,
    reference: str = "",
) -> Step:
    """Judge one result of a check taken at ``at`` (results must come in time order)."""
    if state.last_at is not None and at < state.last_at:
        raise ValueError(f"results must come in time order: {at.isoformat()} is before {state.last_at}")
    status, reason, blind = Status(result.status), result.reason, False
    if status == Status.DOWN and reference_failing:
        status, reason, blind = Status.UNKNOWN, blind_reason(reference), True

    events: list[Event] = []
    failures = _recent(state.failures, at, policy.window, policy.window_failures)
    changes = _recent(state.changes, at, policy.flap_window, policy.flap_threshold)
    new = replace(state, last_at=at)

    if status == Status.UNKNOWN:
        # Blind stays blind through the probe's own unknowns while the reference keeps failing, so the
        # next blind down is no second event.
        blind = blind or (reference_failing and state.blind)
        if state.state != CheckState.UNKNOWN or (blind and not state.blind):
            events.append(Event(EventKind.UNKNOWN, at, reason))
        since = at if state.state != CheckState.UNKNOWN else state.since
        new = replace(new, state=CheckState.UNKNOWN, reason=reason, since=since, blind=blind)
    else:
        failed = status == Status.DOWN
        if state.last_outcome is not None and state.last_outcome != status:
            changes = (*changes, at)[-(policy.flap_threshold or 0) :] if policy.flap_threshold else ()
        if failed:
            failures = (*failures, at)[-policy.window_failures :] if policy.window_failures else ()
            counts = (state.consecutive_failures + 1, 0)
        else:
            counts = (0, state.consecutive_successes + 1)
        judged = _judge(policy, state.judged, counts, failures)
        if judged == CheckState.DOWN and state.judged != CheckState.DOWN:
            events.append(Event(EventKind.DOWN, at, reason))
        elif judged == CheckState.UP and state.judged == CheckState.DOWN:
            events.append(Event(EventKind.UP, at, reason))
        # (a new check's first success is no event: nothing went down, so there is nothing to tell)
        elif state.state == CheckState.UNKNOWN:
            events.append(Event(EventKind.KNOWN, at, f"judged again: {judged.value}"))
        shown_before = state.state
        new = replace(
            new,
            state=judged,
            judged=judged,
            reason=reason,
            since=at if judged != shown_before else state.since,
            consecutive_failures=counts[0],
            consecutive_successes=counts[1],
            last_outcome=status,
            blind=False,
            reminded_at=_told_down(judged, state, at),
        )

    new = replace(new, failures=failures, changes=changes)
    if policy.flap_threshold:
        if not state.flapping and len(changes) >= policy.flap_threshold:
            new = replace(new, flapping=True)
            events.append(Event(EventKind.FLAPPING_STARTED, at, f"{len(changes)} changes within the window"))
        elif state.flapping and len(changes) < policy.flap_clear_below:
            new = replace(new, flapping=False)
            events.append(Event(EventKind.FLAPPING_STOPPED, at, f"{len(changes)} changes within the window"))
    elif state.flapping:
        new = replace(new, flapping=False)
        events.append(Event(EventKind.FLAPPING_STOPPED, at, "flapping detection turned off"))

    reminder_due = False
    if (
        new.state == CheckState.DOWN
        and policy.remind_every is not None
        and new.reminded_at is not None
        and at - new.reminded_at >= policy.remind_every
    ):
        reminder_due = True
        new = replace(new, reminded_at=at)

    retrying = status == Status.DOWN and new.judged != CheckState.DOWN
    return Step(
        state=new,
        events=tuple(events),
        reminder_due=reminder_due,
        next_interval=policy.retry_interval if retrying else policy.interval,
        counted_as=status,
    )


def _told_down(judged: CheckState, state: DampingState, at: datetime.datetime):
    """When down was last told: now when the check has just gone down, none once it is no longer down."""
    if judged != CheckState.DOWN:
        return None
    return state.reminded_at if state.judged == CheckState.DOWN else at


def _judge(policy: Policy, judged: CheckState, counts: tuple[int, int], failures) -> CheckState:
    """The state the judged results now say, from the one they said before."""
    failures_in_a_row, successes_in_a_row = counts
    if judged == CheckState.DOWN:
        return CheckState.UP if successes_in_a_row >= policy.recover_after else CheckState.DOWN
    if failures_in_a_row >= policy.fail_after:
        return CheckState.DOWN
    if failures_in_a_row and policy.window_failures and len(failures) >= policy.window_failures:
        return CheckState.DOWN
    if judged == CheckState.NEW and successes_in_a_row:
        return CheckState.UP
    return judged
