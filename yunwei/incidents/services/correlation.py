"""One fault, one incident (Art. 3, 13, 18; docs/correlation.md): monitoring's signals onto incidents.

The checks (yunwei.monitoring) and the alert intake (yunwei.alerts) call two functions, through
`yunwei.incidents.signals`:

    signals.fire(source="check"|"alert", key="check:12", item=<Item>, at=<datetime>, summary="…")
    signals.resolve(source=…, key=…, at=…)

A fire of a key already firing is a repeat: only its last-seen time (and repeat count) move. A new signal
is placed:

1. inside a maintenance window of its item (`changes.schedule.active_window_for`): recorded as
   suppressed by the window's change, no incident, no notice;
2. else, when a firing signal on the same item or upstream of it (`cmdb.impact`) has an open incident and
   began within the fold window of this one: it folds into that incident (the most upstream root wins);
3. else it opens an incident through `report` (source "monitoring", state "to confirm", the timers from
   the signal's first moment, the grade from the impact scope its downstream reaches, routed and told as
   any reported fault), referring to the root's incident when that one is already closed.

Whichever incident it lands in then adopts the open incidents that monitoring opened for signals
downstream of it within the fold window: they close as "merged into" it and their signals move to it.
A resolve always resolves its signal; it is never suppressed, and it changes no incident. When a window
ends, `recheck_windows` places again every suppressed signal still firing, the change as suspected cause.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.changes import schedule
from yunwei.cmdb import impact
from yunwei.cmdb.choices import Direction
from yunwei.cmdb.models import Item
from yunwei.core import memo, records
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.scoping import access_of
from yunwei.org.models import Unit

from ..choices import OPEN_STATES, ClosedAs, EventKind, ImpactScope, SignalSource, SignalState, Source, State
from ..models import CorrelationSettings, Incident, IncidentEvent, Signal
from .common import add_event
from .incident import report
from .suspects import correlation_settings, link_suspects, settings_in_force

SETTINGS_FIELDS = ("fold_window_minutes", "suspect_hours")
SETTINGS_LIMITS = {"fold_window_minutes": (1, 24 * 60), "suspect_hours": (0, 30 * 24)}


# -- the settings ---------------------------------------------------------------------------------


def fold_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings_in_force().fold_window_minutes)


@transaction.atomic
def update_settings(*, actor, expected_version: int | None = None, **fields) -> CorrelationSettings:
    """A group system admin sets the fold window and how long a change stays suspected."""
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may change the correlation settings."))
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be edited here."), field=sorted(unknown)[0])
    for name, value in fields.items():
        low, high = SETTINGS_LIMITS[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise DomainError(
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}, field=name
            )
    row = correlation_settings()
    return records.update_record(row, actor=actor, expected_version=expected_version, **fields)


# -- the interface for monitoring -----------------------------------------------------------------


def _check(source: str, key: str) -> None:
    if source not in SignalSource.values:
        raise DomainError(_("Unknown signal source: %(source)s") % {"source": source}, field="source")
    if not key or not str(key).strip():
        raise DomainError(_("A signal needs a key."), field="key")
    if len(key) > 200:
        raise DomainError(_("A signal's key is at most 200 characters."), field="key")


@transaction.atomic
def fire(
    *, source: str, key: str, item: Item, at: datetime.datetime | None = None, summary: str = ""
) -> Signal:
    """A check down or an alert firing on `item` at `at`: the firing signal of (source, key), placed."""
    _check(source, key)
    if item is None or getattr(item, "pk", None) is None:
        raise DomainError(_("A signal belongs to an inventory item."), field="item")
    at = at or timezone.now()
    existing = (
        Signal.objects.select_for_update().filter(source=source, key=key, state=SignalState.FIRING).first()
    )
    if existing is not None:
        return _repeat(existing, at)
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                source=source,
                key=key,
                item=item,
                unit_id=item.unit_id,
                summary=summary[:500],
                first_at=at,
                last_at=at,
            )
    except IntegrityError:  # the same key fired at the same moment in another transaction
        existing = Signal.objects.select_for_update().get(source=source, key=key, state=SignalState.FIRING)
        return _repeat(existing, at)
    place(signal, at)
    return signal


def _repeat(signal: Signal, at: datetime.datetime) -> Signal:
    signal.last_at = max(signal.last_at, at)
    signal.repeats += 1
    signal.stale = False
    signal.save(update_fields=["last_at", "repeats", "stale"])
    return signal


@transaction.atomic
def resolve(*, source: str, key: str, at: datetime.datetime | None = None) -> Signal | None:
    """The firing signal of (source, key) recovered at `at`; None when none fires (a recovery without a
    problem before it is not an error). Never suppressed; the incident it is in stays as it is."""
    _check(source, key)
    at = at or timezone.now()
    signal = (
        Signal.objects.select_for_update().filter(source=source, key=key, state=SignalState.FIRING).first()
    )
    if signal is None:
        return None
    signal.state = SignalState.RESOLVED
    signal.resolved_at = max(at, signal.first_at)
    signal.last_at = max(signal.last_at, signal.resolved_at)
    signal.stale = False
    signal.save(update_fields=["state", "resolved_at", "last_at", "stale"])
    return signal


def mark_stale(*, source: str, before: datetime.datetime) -> int:
    """Flag the firing signals of a source not seen since `before` (a lost recovery); how many."""
    return Signal.objects.filter(
        source=source, state=SignalState.FIRING, stale=False, last_at__lt=before
    ).update(stale=True)


# -- placing a signal -----------------------------------------------------------------------------


def place(signal: Signal, at: datetime.datetime) -> None:
    """Suppress the signal inside its item's window, else put it into an incident."""
    if not _hold(signal, at):
        correlate(signal, reported_at=at)


def _walk(item_id: int, direction: str) -> list:
    """The items reached from one item, remembered for the unit of work (`memo.scope`): a storm's drain
    places dozens of signals on each item and walks from each."""
    return memo.remember(f"correlation.walk:{direction}:{item_id}", lambda: impact.walk([item_id], direction))


def _may_be_held(item_id: int, at: datetime.datetime) -> bool:
    """Whether the item has any window that could hold a signal at `at`; asked of the items with windows
    read once per unit of work, so that most signals (on items with no window) read none."""
    if not memo.active():
        return True
    since, windowed = memo.remember("correlation.windowed_items", schedule.windowed_items)
    return at < since or item_id in windowed


def _hold(signal: Signal, at: datetime.datetime) -> bool:
    """Hold the signal back when its item is inside a change's window or an occurrence of a recurring
    window at `at` (the change's first: it is the suspect when the window ends); whether it is held."""
    if not _may_be_held(signal.item_id, at):
        return False
    window = schedule.active_window_for(signal.item_id, at)
    held = {"suppressed_by_id": window.change_id if window else None, "held_by_window_id": None}
    if window is None:
        recurring = schedule.active_recurring_for(signal.item_id, at)
        held["held_by_window_id"] = recurring.pk if recurring else None
    changed = [name for name, value in held.items() if getattr(signal, name) != value and value is not None]
    if changed:
        for name in held:
            setattr(signal, name, held[name])
        signal.save(update_fields=[name.removesuffix("_id") for name in held])
    return any(value is not None for value in held.values())


def _within(a: Signal, b: Signal, window: datetime.timedelta) -> bool:
    return abs(a.first_at - b.first_at) <= window


def impact_scope_of(item: Item) -> str:
    """The impact scope the impact analysis reaches from a failing item: several units (or the whole
    group) when its dependants span units, one unit when an application of the unit depends on it (or it
    is one), one department otherwise."""
    reached = _walk(item.pk, Direction.DOWN)
    unit_ids = {item.unit_id} | {r.unit_id for r in reached}
    if len(unit_ids) > 1:
        return ImpactScope.WHOLE_GROUP if len(unit_ids) >= Unit.objects.count() else ImpactScope.SEVERAL_UNITS
    if item.domain == "application" or any(r.domain == "application" for r in reached):
        return ImpactScope.ONE_UNIT
    return ImpactScope.ONE_DEPARTMENT


def _lock_chain(item_id: int) -> dict[int, int]:
    """Lock the item and every item upstream of it, in id order; {item id: depth above the item}.

    Two signals at the same instant on one item (or on a root and its child) would each find no incident
    and each open one: whoever finds or opens the incident holds the rows of the chain until it commits,
    so the other waits, then reads the incident the first one committed. The same order for everyone
    (ids ascending) keeps two chains sharing a root from locking each other in a cycle."""
    depth = {item_id: 0, **{r.id: r.depth for r in _walk(item_id, Direction.UP)}}
    list(Item.objects.select_for_update().filter(pk__in=sorted(depth)).order_by("pk").values_list("pk"))
    return depth


def _roots(signal: Signal, depth: dict[int, int]) -> list[Signal]:
    """The firing signals with an incident on the signal's item or upstream of it (`depth`), the most
    upstream first, then the earliest."""
    rows = (
        Signal.objects.filter(state=SignalState.FIRING, item_id__in=list(depth), incident__isnull=False)
        .exclude(pk=signal.pk)
        .select_related("incident")
    )
    return sorted(rows, key=lambda row: (-depth[row.item_id], row.first_at, row.pk))


def correlate(signal: Signal, *, reported_at: datetime.datetime, suspect=None) -> Incident:
    """Put an unsuppressed firing signal into an incident: fold it into its root's open incident, or open
    one; then adopt the incidents of the signals downstream. `suspect`: the change whose window held the
    signal back, linked as suspected cause."""
    window = fold_window()
    roots = _roots(signal, _lock_chain(signal.item_id))
    open_roots = [row for row in roots if row.incident.state in OPEN_STATES and _within(row, signal, window)]
    if open_roots:
        root = open_roots[0]
        incident = root.incident  # read with the root's signal, just now
        signal.incident, signal.folded_under = incident, root
        signal.save(update_fields=["incident", "folded_under"])
    else:
        # The root still fails but its incident was closed: a new incident, referring to that one.
        closed = next((row.incident for row in roots if row.incident.state == State.CLOSED), None)
        incident = _open_incident(signal, reported_at=reported_at, follows=closed)
        signal.incident = incident
        signal.save(update_fields=["incident"])
    if suspect is not None:
        link_suspects(incident, [suspect.pk], why="window")
    _adopt(incident, signal, window, now=reported_at)
    return incident


def _open_incident(signal: Signal, *, reported_at: datetime.datetime, follows: Incident | None) -> Incident:
    item = Item.objects.select_related("unit", "owner_team").get(pk=signal.item_id)
    team = item.owner_team if item.owner_team_id and item.owner_team.unit_id == item.unit_id else None
    summary = signal.summary or _("%(item)s is failing") % {"item": item.name}
    description = _("Opened by monitoring from the %(source)s signal “%(key)s”.") % {
        "source": SignalSource(signal.source).label,
        "key": signal.key,
    }
    if follows is not None:
        description += "\n" + _("Follows %(code)s, closed while its root still fails.") % {
            "code": follows.code
        }
    return report(
        actor=None,
        unit=item.unit,
        title=f"{item.code} {summary}"[:200],
        description=description,
        impact_scope=impact_scope_of(item),
        started_at=signal.first_at,
        affected_items=[item],
        now=max(reported_at, signal.first_at),
        source=Source.MONITORING,
        team=team,
        follows=follows,
    )


def _adopt(incident: Incident, signal: Signal, window: datetime.timedelta, *, now) -> None:
    """Merge into `incident` the open incidents monitoring opened for signals downstream of `signal`'s
    item that began within the fold window of it."""
    below = [r.id for r in _walk(signal.item_id, Direction.DOWN)]
    if not below:
        return
    openers = (
        Signal.objects.filter(
            state=SignalState.FIRING,
            item_id__in=below,
            folded_under__isnull=True,
            incident__state__in=OPEN_STATES,
            incident__source=Source.MONITORING,
        )
        .exclude(incident=incident)
        .order_by("incident_id")
    )
    children = sorted({row.incident_id for row in openers if _within(row, signal, window)})
    for child_id in children:
        merge(child_id, into=incident, root=signal, now=now)


def merge(child_id: int, *, into: Incident, root: Signal, now) -> Incident:
    """Close the child incident as merged into `into`: its signals move there, folded under `root`."""
    child = records.lock(Incident.objects, child_id)
    if child.state not in OPEN_STATES:
        return child
    moved = list(Signal.objects.filter(incident=child).values_list("pk", flat=True))
    Signal.objects.filter(pk__in=moved, folded_under__isnull=True).update(folded_under=root)
    Signal.objects.filter(pk__in=moved).update(incident=into)
    source = child.state
    child.state, child.closed_at = State.CLOSED, now
    child.closed_as, child.merged_into = ClosedAs.MERGED, into
    records.save_version(child, "state", "closed_at", "closed_as", "merged_into")
    comment = _("Merged into %(code)s: its root failed too.") % {"code": into.code}
    records.log_transition(
        IncidentEvent,
        {"incident": child},
        child,
        source,
        State.CLOSED,
        actor=None,
        at=now,
        comment=comment,
        merged_into=into.pk,
    )
    link_suspects(into, child.suspected_changes.values_list("pk", flat=True), why="merged")
    add_event(
        into, EventKind.MERGED, actor=None, at=now, merged=child.pk, code=child.code, signals=len(moved)
    )
    audit.record("update", actor=None, obj=into, after={"merged": child.pk})
    return child


# -- windows --------------------------------------------------------------------------------------


def _ancestors(item_id: int) -> int:
    return len(_walk(item_id, Direction.UP))


def recheck_windows(now: datetime.datetime | None = None) -> int:
    """Place again every suppressed signal still firing whose window is over: it opens (or joins) an
    incident with the change as suspected cause. Roots first, so their children fold. How many placed."""
    now = now or timezone.now()
    waiting = Signal.objects.filter(state=SignalState.FIRING, incident__isnull=True)
    held = waiting.filter(Q(suppressed_by__isnull=False) | Q(held_by_window__isnull=False))
    ready = []
    for signal in held.order_by("first_at", "pk"):
        # Held by another window now (the change was rescheduled, or another began) stays held.
        if not _hold(signal, now):
            ready.append((signal.pk, signal.item_id))
    # An item's ancestors include those of every item downstream of it: fewer ancestors, nearer the root.
    ready.sort(key=lambda pair: _ancestors(pair[1]))
    placed = 0
    for pk, _item_id in ready:
        with transaction.atomic():
            signal = (
                Signal.objects.select_for_update(of=("self",))
                .filter(pk=pk, state=SignalState.FIRING, incident__isnull=True)
                .select_related("suppressed_by")
                .first()
            )
            if signal is None:
                continue
            correlate(signal, reported_at=now, suspect=signal.suppressed_by)
            placed += 1
    return placed


def incident_signals(incident: Incident):
    """The signals an incident holds, the first first."""
    return (
        Signal.objects.filter(incident=incident)
        .select_related("item", "folded_under__item", "suppressed_by", "held_by_window")
        .order_by("first_at", "pk")
    )


__all__ = [
    "correlate",
    "fire",
    "fold_window",
    "impact_scope_of",
    "incident_signals",
    "mark_stale",
    "merge",
    "place",
    "recheck_windows",
    "resolve",
    "update_settings",
]


# -- telling the items' team of a window ------------------------------------------------------------


def tell_windows(now: datetime.datetime | None = None) -> int:
    """Tell the items' teams of every window start and end due now, a change's or a recurring window's
    (yunwei.changes.window_notices): once per window, occurrence and edge. How many notices were written."""
    from yunwei.changes import window_notices

    return window_notices.tell_windows(now)
