"""The duty-room wall (值班墙, Art. 3, 13): every application the reader may see, with the state of its
chain, its firing alerts and its open incidents, on one large screen that refreshes itself.

The chain of an application is the application and every item it depends on (`cmdb.impact`, upstream,
bounded). Its state is the worst of the chain's checks, heartbeats and firing signals:

* **down** — a check or heartbeat of the chain is down, or a signal fires outside a window;
* **warning** — something could not be judged (a check unknown, a heartbeat late);
* **maintenance** — the only firing signals are held by a change's window or a recurring maintenance window;
* **ok** — watched and nothing failing; **not watched** — no check, heartbeat or signal in the chain.

The page reads a fixed number of queries whatever the number of applications (`board`): the
applications, the chains (one recursive query), then checks, heartbeats, signals, alerts and incidents
of every chain item at once. It is read-only: nothing here writes.
"""

import dataclasses

from django.contrib.auth.decorators import login_required
from django.db import models
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yunwei.alerts.choices import AlertStatus
from yunwei.alerts.models import Alert
from yunwei.cmdb import impact
from yunwei.cmdb.choices import ItemStatus
from yunwei.cmdb.models import Item
from yunwei.core import scoping, watch
from yunwei.incidents.choices import OPEN_STATES, SignalState, State
from yunwei.incidents.models import Incident, Signal
from yunwei.monitoring.choices import CheckState, HeartbeatState
from yunwei.monitoring.models import Check, Heartbeat

BOARD_ID = "wall-board"
REFRESH_SECONDS = 20
# How far up a chain the wall looks: real chains (application → middleware → host → storage → power)
# are far shorter; the bound keeps the one query small on a dense inventory.
CHAIN_DEPTH = 12
INCIDENTS_SHOWN = 3


class WallState(models.TextChoices):
    """The state of an application's chain, its label (shown beside the colour) and its colour."""

    DOWN = "down", pgettext_lazy("wall state", "Down")
    WARNING = "warning", pgettext_lazy("wall state", "Warning")
    MAINTENANCE = "maintenance", pgettext_lazy("wall state", "In maintenance")
    OK = "ok", pgettext_lazy("wall state", "Normal")
    UNWATCHED = "unwatched", pgettext_lazy("wall state", "Not watched")

    @property
    def badge(self) -> str:
        return {
            "down": "danger",
            "warning": "warning",
            "maintenance": "info",
            "ok": "success",
            "unwatched": "secondary",
        }[self.value]

    @property
    def icon(self) -> str:
        return {
            "down": "x-octagon-fill",
            "warning": "exclamation-triangle-fill",
            "maintenance": "tools",
            "ok": "check-circle-fill",
            "unwatched": "eye-slash",
        }[self.value]

    @property
    def rank(self) -> int:
        """Smaller is worse: the wall lists the worst first."""
        return RANK[self.value]


# The order of the choices, worst first (read once: `values` is rebuilt on every access).
RANK = {value: index for index, value in enumerate(WallState.values)}


@dataclasses.dataclass
class Tile:
    """One application on the wall."""

    item: Item
    state: WallState = WallState.UNWATCHED
    # What fails in the chain, worst first: (code, name, why) of items the reader may see.
    failing: list = dataclasses.field(default_factory=list)
    hidden_failing: int = 0
    signals: int = 0
    alerts: int = 0
    incidents: list = dataclasses.field(default_factory=list)
    chain_size: int = 0

    @property
    def to_confirm(self) -> int:
        return sum(1 for incident in self.incidents if incident.state == State.TO_CONFIRM)

    @property
    def shown_incidents(self) -> list:
        return self.incidents[:INCIDENTS_SHOWN]

    @property
    def more_incidents(self) -> int:
        return max(0, len(self.incidents) - INCIDENTS_SHOWN)


def _worse(a: WallState, b: WallState) -> WallState:
    return a if a.rank <= b.rank else b


# What each state of a check or heartbeat means for the chain.
CHECK_STATES = {
    CheckState.DOWN: WallState.DOWN,
    CheckState.UNKNOWN: WallState.WARNING,
    CheckState.UP: WallState.OK,
}
HEARTBEAT_STATES = {
    HeartbeatState.DOWN: WallState.DOWN,
    HeartbeatState.LATE: WallState.WARNING,
    HeartbeatState.UP: WallState.OK,
}
WHY = {
    "check_down": _("check down"),
    "check_unknown": _("check unknown"),
    "heartbeat_down": _("heartbeat down"),
    "heartbeat_late": _("heartbeat late"),
    "signal": _("alert firing"),
    "suppressed": _("held by a maintenance window"),
}


def _sees_unit(access, unit_id) -> bool:
    """Whether the reader may see an item of `unit_id` (the rule of `scoping.visible` for items)."""
    if access.is_group_admin or access.is_group_staff:
        return True
    return unit_id == access.unit_id or unit_id in access.admin_unit_ids or unit_id in access.staff_unit_ids


def board(user) -> list[Tile]:
    """The wall of `user`: one tile per application they may see, the worst first. A fixed number of
    queries (eight) whatever the number of applications."""
    access = scoping.access_of(user)
    apps = list(
        scoping.visible(Item.objects.filter(domain="application"), user)
        .exclude(status=ItemStatus.RETIRED)
        .select_related("unit")
        .order_by("unit__code", "code")
    )
    if not apps:
        return []
    chains = impact.upstream_of_each([app.pk for app in apps], CHAIN_DEPTH)
    # item id → (code, name, unit id) of every item of every chain
    known = {app.pk: (app.code, app.name, app.unit_id) for app in apps}
    for rows in chains.values():
        for pk, code, name, unit_id in rows:
            known[pk] = (code, name, unit_id)
    item_ids = list(known)
    # item id → (state, list of why keys)
    states: dict[int, list] = {}

    def note(pk, state, why=None):
        entry = states.setdefault(pk, [WallState.OK, []])
        entry[0] = _worse(entry[0], state)
        if why:
            entry[1].append(why)

    for row in Check.objects.filter(item_id__in=item_ids).values("item_id", "state").distinct():
        state = CHECK_STATES.get(row["state"])
        if state is not None:
            note(row["item_id"], state, f"check_{row['state']}" if state != WallState.OK else None)
    for row in Heartbeat.objects.filter(item_id__in=item_ids).values("item_id", "state").distinct():
        state = HEARTBEAT_STATES.get(row["state"])
        if state is not None:
            note(row["item_id"], state, f"heartbeat_{row['state']}" if state != WallState.OK else None)
    signals: dict[int, int] = {}
    for row in Signal.objects.filter(item_id__in=item_ids, state=SignalState.FIRING).values(
        "item_id", "suppressed_by_id", "held_by_window_id", "incident_id"
    ):
        signals[row["item_id"]] = signals.get(row["item_id"], 0) + 1
        by_window = row["suppressed_by_id"] is not None or row["held_by_window_id"] is not None
        held = by_window and row["incident_id"] is None
        if held:
            note(row["item_id"], WallState.MAINTENANCE, "suppressed")
        else:
            note(row["item_id"], WallState.DOWN, "signal")
    alerts = dict(
        scoping.visible(Alert.objects.filter(item_id__in=item_ids, status=AlertStatus.FIRING), user)
        .values("item_id")
        .annotate(n=Count("pk"))
        .values_list("item_id", "n")
    )
    incidents_of: dict[int, dict[int, Incident]] = {}
    open_incidents = scoping.visible(Incident.objects.filter(state__in=OPEN_STATES), user)
    links = (
        Incident.affected_items.through.objects.filter(item_id__in=item_ids, incident__in=open_incidents)
        .select_related("incident")
        .only("item_id", *(f"incident__{name}" for name in ("id", "title", "state", "grade", "reported_at")))
    )
    for link in links:
        incidents_of.setdefault(link.item_id, {})[link.incident_id] = link.incident
    tiles = []
    for app in apps:
        chain = [app.pk, *(row[0] for row in chains.get(app.pk, []))]
        tile = Tile(item=app, chain_size=len(chain))
        found: dict[int, Incident] = {}
        watched = False
        for pk in chain:
            if pk in states:
                watched = True
                state, whys = states[pk]
                tile.state = state if tile.state == WallState.UNWATCHED else _worse(tile.state, state)
                if state in (WallState.DOWN, WallState.WARNING, WallState.MAINTENANCE):
                    code, name, unit_id = known[pk]
                    if _sees_unit(access, unit_id):
                        tile.failing.append(
                            (state.rank, code, name, "、".join(str(WHY[w]) for w in dict.fromkeys(whys)))
                        )
                    else:
                        tile.hidden_failing += 1
            tile.signals += signals.get(pk, 0)
            tile.alerts += alerts.get(pk, 0)
            found.update(incidents_of.get(pk, {}))
        if not watched:
            tile.state = WallState.UNWATCHED
        tile.failing = [row[1:] for row in sorted(tile.failing)]
        # To confirm first (the duty room's next act), then the oldest.
        tile.incidents = sorted(
            found.values(), key=lambda i: (i.state != State.TO_CONFIRM, i.reported_at, i.pk)
        )
        tiles.append(tile)
    tiles.sort(key=lambda t: (t.state.rank, -len(t.incidents), t.item.unit.code, t.item.code))
    return tiles


def summary(tiles: list[Tile]) -> list[tuple[WallState, int]]:
    counts = {state: 0 for state in WallState}
    for tile in tiles:
        counts[tile.state] += 1
    return [(state, counts[state]) for state in WallState]


@login_required
def wall(request):
    """The wall; the board alone when htmx polls it (every REFRESH_SECONDS)."""
    tiles = board(request.user)
    context = {
        "tiles": tiles,
        "summary": summary(tiles),
        "board_id": BOARD_ID,
        "refresh_seconds": REFRESH_SECONDS,
        "updated_at": timezone.now(),
        # Everyone at the wall is told when monitoring itself is late (its states may be out of date), not
        # only the staff the base layout tells: one cached query at most.
        "watch_late": watch.late_parts(watch.cached_state()),
    }
    partial = request.htmx and request.htmx.target == BOARD_ID
    return render(request, "web/partials/wall_board.html" if partial else "web/wall.html", context)
