"""The change calendar's rules (Art. 18, our reading): collisions between changes, freeze periods,
maintenance windows, and the calendar itself. Read-only questions; the writes are in services.py.

Two changes collide when their windows overlap and their blast radii share an item (the union of the
items each touches and everything depending on them), because then one change's work may break or
mask the other's. Only changes holding their slot (scheduled or implementing) count.
"""

import datetime
import zoneinfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from yunwei.cmdb import impact
from yunwei.cmdb.models import Item
from yunwei.core import scoping
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit

from .choices import ACTIVE_STATES
from .models import Change, FreezePeriod, MaintenanceWindow, RecurringWindow

# -- who sees what --------------------------------------------------------------------------------


def holds_role(user, role: str, unit) -> bool:
    """`user` holds `role` in the change's unit or at the group (the leader in charge of the group, the
    system management lead posted at the group)."""
    units = {unit.pk, unit.parent_id} if unit is not None else set()
    return any(
        held == role and (unit_id in units or kind == UnitKind.GROUP)
        for held, unit_id, kind in scoping.access_of(user).roles
    )


def handleable_units(user):
    """Units whose changes the user may request: those they administer or serve as operations staff."""
    access = scoping.access_of(user)
    if access.is_group_admin or access.is_group_staff:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=access.admin_unit_ids | access.staff_unit_ids)


def visible_freezes(queryset: QuerySet, user) -> QuerySet:
    """Whole-group freezes for everyone; a unit's freeze for those who see the unit."""
    access = scoping.access_of(user)
    if access.is_group_admin or access.is_group_staff or access.is_group_leader:
        return queryset
    if access.user_id is None:
        return queryset.none()
    unit_ids = set(access.admin_unit_ids | access.staff_unit_ids)
    if access.unit_id is not None:
        unit_ids.add(access.unit_id)
    ids = queryset.filter(Q(units__isnull=True) | Q(units__in=unit_ids)).values("pk")
    return queryset.filter(pk__in=ids)


# -- blast radius ---------------------------------------------------------------------------------


def radius_of(item_ids) -> tuple[list[int], list[int]]:
    """(item ids, unit ids) of the items a change touches and everything depending on them, unscoped."""
    item_ids = sorted({int(pk) for pk in item_ids})
    reached = impact.walk(item_ids)
    all_ids = sorted(set(item_ids) | {r.id for r in reached})
    unit_ids = sorted(set(Item.objects.filter(pk__in=all_ids).values_list("unit_id", flat=True)))
    return all_ids, unit_ids


# -- collisions and freezes -----------------------------------------------------------------------


def overlapping(queryset: QuerySet, start, end, start_field: str, end_field: str) -> QuerySet:
    return queryset.filter(**{f"{start_field}__lt": end, f"{end_field}__gt": start})


def collisions(change: Change, start=None, end=None) -> list[Change]:
    """Other scheduled or implementing changes whose window overlaps and whose blast radius shares an
    item with this one's. Unscoped: a clash with another unit's change is still a clash."""
    start = start or change.planned_start
    end = end or change.planned_end
    if start is None or end is None:
        return []
    mine = set(change.radius_item_ids)
    others = overlapping(
        Change.objects.filter(state__in=ACTIVE_STATES).exclude(pk=change.pk),
        start,
        end,
        "planned_start",
        "planned_end",
    ).order_by("planned_start", "pk")
    return [other for other in others if mine & set(other.radius_item_ids)]


def work_window(change: Change) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The window the work holds: the planned one, stretched to the moment the work began when that lies
    outside it (an emergency change carried out at once), lasting at least an hour from then."""
    start, end = change.planned_start, change.planned_end
    began = change.implemented_at
    if began is not None:
        if start is None or began < start:
            start = began
        if end is None or end <= began:
            end = began + datetime.timedelta(hours=1)
    return start, end


def freezes_for(change: Change, start=None, end=None) -> list[FreezePeriod]:
    """Freeze periods overlapping the window that cover the change's unit or a unit of its radius."""
    start = start or change.planned_start
    end = end or change.planned_end
    if start is None or end is None:
        return []
    units = {change.unit_id, *change.radius_unit_ids}
    freezes = overlapping(FreezePeriod.objects.all(), start, end, "starts_at", "ends_at")
    ids = freezes.filter(Q(units__isnull=True) | Q(units__in=units)).values("pk")
    return list(FreezePeriod.objects.filter(pk__in=ids).order_by("starts_at", "pk"))


# -- maintenance windows --------------------------------------------------------------------------


def active_window_for(item, at: datetime.datetime | None = None) -> MaintenanceWindow | None:
    """The maintenance window `item` is inside at `at` (now by default), or None: monitoring holds back
    the item's alerts while one is open."""
    at = at or timezone.now()
    item_id = item.pk if hasattr(item, "pk") else int(item)
    return (
        MaintenanceWindow.objects.filter(item_id=item_id, starts_at__lte=at, ends_at__gt=at)
        .select_related("change")
        .order_by("starts_at", "pk")
        .first()
    )


WINDOWED_LOOKBACK = datetime.timedelta(days=1)


def windowed_items() -> tuple[datetime.datetime, set[int]]:
    """(since, ids): the items with a maintenance window that ends after `since` (a day ago) or with a
    recurring window. No other item is inside a window at any moment from `since` on."""
    since = timezone.now() - WINDOWED_LOOKBACK
    ids = set(MaintenanceWindow.objects.filter(ends_at__gt=since).values_list("item_id", flat=True))
    ids.update(RecurringWindow.items.through.objects.values_list("item_id", flat=True))
    return since, ids


def occurrence_at(window: RecurringWindow, at: datetime.datetime) -> tuple | None:
    """(start, end) of the occurrence of a recurring window that `at` falls in, or None.

    Occurrences are laid out in the window's own time zone: 02:00 every Sunday stays 02:00 local across a
    daylight-saving change, and an occurrence may run past midnight into the next days."""
    zone = zoneinfo.ZoneInfo(window.time_zone)
    length = datetime.timedelta(minutes=window.duration_minutes)
    local_day = at.astimezone(zone).date()
    for back in range(length.days + 2):  # the occurrences that began on the days an open one can span
        day = local_day - datetime.timedelta(days=back)
        if day.isoweekday() not in window.weekdays or day < window.starts_on:
            continue
        if window.ends_on is not None and day > window.ends_on:
            continue
        start = datetime.datetime.combine(day, window.start_time, tzinfo=zone)
        if start <= at < start + length:
            return start, start + length
    return None


def occurrences(window: RecurringWindow, since: datetime.datetime, until: datetime.datetime) -> list[tuple]:
    """(start, end) of every occurrence of a recurring window that overlaps [since, until), the first
    first, laid out as `occurrence_at` lays them out (local time, across daylight saving and midnight)."""
    zone = zoneinfo.ZoneInfo(window.time_zone)
    length = datetime.timedelta(minutes=window.duration_minutes)
    day = since.astimezone(zone).date() - datetime.timedelta(days=length.days + 1)
    last = until.astimezone(zone).date()
    found = []
    while day <= last:
        inside = day >= window.starts_on and (window.ends_on is None or day <= window.ends_on)
        if inside and day.isoweekday() in window.weekdays:
            start = datetime.datetime.combine(day, window.start_time, tzinfo=zone)
            if start < until and start + length > since:
                found.append((start, start + length))
        day += datetime.timedelta(days=1)
    return found


def next_occurrences(window: RecurringWindow, now: datetime.datetime, count: int = 3) -> list[tuple]:
    """The occurrence open at `now`, if any, and the next ones: at most `count`, within a year."""
    found: list[tuple] = []
    since = now
    for _weeks in range(53):
        until = since + datetime.timedelta(days=7)
        found += [pair for pair in occurrences(window, since, until) if pair not in found]
        if len(found) >= count or (window.ends_on is not None and until.date() > window.ends_on):
            break
        since = until
    return found[:count]


def active_recurring_for(item, at: datetime.datetime | None = None) -> RecurringWindow | None:
    """The recurring window `item` is inside at `at` (now by default), or None."""
    at = at or timezone.now()
    item_id = item.pk if hasattr(item, "pk") else int(item)
    candidates = RecurringWindow.objects.filter(
        items=item_id, starts_on__lte=at.date() + datetime.timedelta(days=1)
    )
    candidates = candidates.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=at.date() - datetime.timedelta(days=8))
    )
    return next((window for window in candidates.order_by("pk") if occurrence_at(window, at)), None)


def write_windows(change: Change, start, end) -> int:
    """Replace the change's windows by one per item of its radius for [start, end)."""
    MaintenanceWindow.objects.filter(change=change).delete()
    existing = set(Item.objects.filter(pk__in=change.radius_item_ids).values_list("pk", flat=True))
    MaintenanceWindow.objects.bulk_create(
        [
            MaintenanceWindow(change=change, item_id=pk, starts_at=start, ends_at=end)
            for pk in sorted(existing)
        ]
    )
    return len(existing)


def clear_windows(change: Change) -> int:
    count, _detail = MaintenanceWindow.objects.filter(change=change).delete()
    return count


def cut_windows(change: Change, now) -> None:
    """The work is over: the windows end now (an earlier planned end stays)."""
    MaintenanceWindow.objects.filter(change=change, ends_at__gt=now).update(ends_at=now)
    MaintenanceWindow.objects.filter(change=change, starts_at__gt=now).update(starts_at=now)


def open_windows_early(change: Change, now) -> None:
    """The work started before its window: the windows start now."""
    MaintenanceWindow.objects.filter(change=change, starts_at__gt=now).update(starts_at=now)


# -- the calendar ---------------------------------------------------------------------------------


def calendar(user, start: datetime.datetime, end: datetime.datetime) -> dict:
    """Scheduled and implementing changes the user may see whose window meets [start, end), each with
    the visible changes it collides with, and the freeze periods the user may see in the range."""
    rows = list(
        overlapping(
            scoping.visible(Change.objects.filter(state__in=ACTIVE_STATES), user),
            start,
            end,
            "planned_start",
            "planned_end",
        )
        .select_related("unit")
        .order_by("planned_start", "pk")
    )
    clashes: dict[int, list[int]] = {row.pk: [] for row in rows}
    for index, row in enumerate(rows):
        for other in rows[index + 1 :]:
            overlaps = row.planned_start < other.planned_end and other.planned_start < row.planned_end
            if overlaps and set(row.radius_item_ids) & set(other.radius_item_ids):
                clashes[row.pk].append(other.pk)
                clashes[other.pk].append(row.pk)
    freezes = list(
        overlapping(visible_freezes(FreezePeriod.objects.all(), user), start, end, "starts_at", "ends_at")
        .prefetch_related("units")
        .order_by("starts_at", "pk")
    )
    return {"changes": rows, "collisions": clashes, "freezes": freezes}


def decides_on(user, change: Change) -> bool:
    """The user holds a role that approves the unit's changes (the system management lead, the leader in
    charge, the group's included): whoever must approve a change sees what it affects (Art. 18)."""
    return any(holds_role(user, role, change.unit) for role in (Role.SYSTEM_LEAD, Role.LEADER))


def affected_items(change: Change, user) -> QuerySet:
    """The change's affected items as the user is shown them: all of them, through the change's own
    relation, to whoever decides on it (the group's leader in charge sees the unit's items of a risky
    change, not "0 items"), without widening their inventory scope; otherwise those the user may see."""
    items = change.affected_items.all()
    return items if decides_on(user, change) else scoping.visible(items, user)


def radius_summary(change: Change, user) -> dict:
    """The blast radius as the user is shown it: the affected items, the applications and the units
    they reach (the affected items' own included), and the per-unit detail of `impact.blast_radius`.
    Whoever decides on the change sees all it reaches; anyone else, what they may see."""
    decides = decides_on(user, change)
    items = list(affected_items(change, user))
    radius = (
        impact.blast_radius(items, user=None if decides else user)
        if items
        else {"items": [], "count": 0, "units": []}
    )
    apps = {item.pk: item for item in items if item.domain == "application"}
    unit_names = dict(Item.objects.filter(pk__in=[i.pk for i in items]).values_list("unit_id", "unit__name"))
    for group in radius["units"]:
        unit_names[group["unit"]] = group["unit_name"]
        for app in group["applications"]:
            apps.setdefault(app["id"], app)
    applications = [
        {"id": a.pk, "code": a.code, "name": a.name} if isinstance(a, Item) else a for a in apps.values()
    ]
    return {
        "count": len(items) + radius["count"],
        "applications": sorted(
            ({"id": a["id"], "code": a["code"], "name": a["name"]} for a in applications),
            key=lambda a: a["code"],
        ),
        "units": [{"id": pk, "name": name} for pk, name in sorted(unit_names.items(), key=lambda u: u[1])],
        "detail": radius["units"],
    }
