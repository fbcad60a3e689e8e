"""Reading requests for the lists and the queue: filters, the reader's queue, and paging without a count.

A list at a million requests must not count them all for a page number: a page reads one row more than
it shows, to know whether there is a next one (keyset-free, but index-ordered)."""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from yunwei.accounts import delegation
from yunwei.core import scoping
from yunwei.core.filters import is_id
from yunwei.org import services as org
from yunwei.org.choices import Role
from yunwei.org.models import Unit

from . import services, timers
from .choices import OPEN_STATES, Actor, Kind, State, WaitingOn
from .models import ServiceRequest


@dataclass
class Filters:
    q: str = ""
    state: str = ""
    kind: str = ""
    unit: str = ""
    overdue: bool = False
    mine: bool = False
    everything: bool = False

    @classmethod
    def from_query(cls, query) -> "Filters":
        state = query.get("state", "")
        kind = query.get("kind", "")
        unit = query.get("unit", "")
        return cls(
            q=query.get("q", "").strip()[:100],
            state=state if state in State.values or state == "open" else "",
            kind=kind if kind in Kind.values else "",
            unit=unit if is_id(unit) else "",
            overdue=query.get("overdue") in ("1", "true", "on"),
            mine=query.get("mine") in ("1", "true", "on"),
            everything=query.get("all") in ("1", "true", "on"),
        )

    def query(self) -> str:
        pairs = {k: v for k, v in self.__dict__.items() if v}
        if "everything" in pairs:
            pairs["all"] = "1"
            pairs.pop("everything")
        return urlencode({k: ("1" if v is True else v) for k, v in pairs.items()})


def waiting_q(user) -> Q:
    """What waits on the reader: the part each of their roles plays (choices.WaitingOn), and the
    approvals of whom they deputise for."""
    access = scoping.access_of(user)
    leads = {unit for role, unit, _kind in access.roles if role == Role.LEADER}
    admins = {unit for role, unit, _kind in access.roles if role == Role.UNIT_ADMIN}
    condition = Q(pk__in=[])
    if admins:
        condition |= Q(waiting_on=WaitingOn.UNIT_ADMIN, unit_id__in=admins)
    if leads:
        condition |= Q(waiting_on=WaitingOn.LEADER, unit_id__in=leads)
    if access.is_group_admin:
        condition |= Q(waiting_on=WaitingOn.GROUP_ADMIN)
    if access.is_group_admin or access.is_group_staff:
        condition |= Q(waiting_on=WaitingOn.TECH_STAFF)
    if access.staff_unit_ids and not access.is_group_staff:
        condition |= Q(waiting_on=WaitingOn.UNIT_ADMIN, unit_id__in=access.staff_unit_ids, kind=Kind.SUPPORT)
    # A deputy's queue holds the approvals waiting for the approvers they stand in for (职务代理).
    return condition | services.waiting_for_principals(user)


def handles_any(user) -> bool:
    access = scoping.access_of(user)
    leads = any(role == Role.LEADER for role, _u, _k in access.roles)
    return bool(
        access.is_group_admin
        or access.admin_unit_ids
        or access.is_group_staff
        or access.staff_unit_ids
        or leads
        or delegation.acting_for(user)
    )


def listing(user, f: Filters, *, queue: bool) -> QuerySet:
    rows = services.visible(ServiceRequest.objects.all(), user)
    if queue:
        rows = rows.filter(waiting_q(user)).exclude(requester=user)
    if f.state == "open" or (queue and not f.state and f.everything):
        rows = rows.filter(state__in=OPEN_STATES)
    elif f.state:
        rows = rows.filter(state=f.state)
    if f.kind:
        rows = rows.filter(kind=f.kind)
    if f.unit:
        rows = rows.filter(unit_id=int(f.unit))
    if f.overdue:
        rows = rows.filter(timers.overdue_q(timezone.now()))
    if f.mine:
        rows = rows.filter(assignee=user)
    if f.q:
        condition = Q(title__icontains=f.q)
        code = f.q.upper()
        if code.startswith("REQ") and code[3:].isdigit():
            condition |= Q(pk=int(code[3:]))
        rows = rows.filter(condition)
    return rows.order_by("-submitted_at", "-id")


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool
    has_previous: bool = field(init=False)

    def __post_init__(self):
        self.has_previous = self.number > 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


MAX_PAGE = 400


RELATED = ("unit", "type", "requester", "assignee")


def page(rows: QuerySet, number, size: int) -> Page:
    """The page's keys first, from the filtered and ordered rows alone, then those rows with what they
    show: joined before the limit, the planner misjudges the filters at a million rows and sorts thousands
    of joined rows for 25 (a unit's overdue queue took 200 ms so; the keys take a few)."""
    number = int(number) if str(number or "").isdigit() and int(number) > 0 else 1
    number = min(number, MAX_PAGE)
    start = (number - 1) * size
    keys = list(rows.values_list("pk", flat=True)[start : start + size + 1])
    found = {row.pk: row for row in rows.model.objects.filter(pk__in=keys[:size]).select_related(*RELATED)}
    return Page([found[pk] for pk in keys[:size] if pk in found], number, len(keys) > size)


def units_of(user) -> QuerySet:
    return scoping.visible(Unit.objects.exclude(kind="group"), user).order_by("code")


def assignable_for(user) -> QuerySet:
    """Whom the reader may assign requests to in bulk: staff of the units they handle and the group's."""
    access = scoping.access_of(user)
    if access.is_group_admin or access.is_group_staff:
        unit_ids = list(Unit.objects.values_list("pk", flat=True))
    else:
        unit_ids = list(access.admin_unit_ids | access.staff_unit_ids)
        groups = Unit.objects.filter(pk__in=unit_ids).exclude(parent=None).values_list("parent_id", flat=True)
        unit_ids += list(groups)
    ids = org.accounts_holding(
        [Role.UNIT_ADMIN, Role.TECH_STAFF, Role.SYSTEM_LEAD, Role.GROUP_ADMIN], unit_ids
    )
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")


def month_of(raw) -> datetime.date:
    try:
        year, month = (int(p) for p in str(raw).split("-"))
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        today = timezone.localdate()
        return today.replace(day=1)


PARTS = dict(Actor.choices)
