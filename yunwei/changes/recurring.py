"""Recurring maintenance windows (Art. 3, 18): the one write path, for pages, the API and the demo.

A unit's system admin (or a group admin) declares them for the unit's items; every write is checked
whole before anything is saved, and audited. The RecordViewSet protocol: create / update / delete.
"""

import datetime
import zoneinfo

from django.db import transaction
from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.records import create_record, delete_record, update_record
from yunwei.core.scoping import access_of

from .models import RecurringWindow

MAX_MINUTES = 7 * 24 * 60  # an occurrence lasts at most a week
FIELDS = ("name", "weekdays", "start_time", "duration_minutes", "time_zone", "starts_on", "ends_on")


def may_manage(user, unit_id: int | None) -> bool:
    return access_of(user).can_manage_unit(unit_id)


def require_manager(actor, unit_id) -> None:
    if not may_manage(actor, unit_id):
        raise PermissionDenied(
            _("Only the unit's system admin or a group system admin may manage its windows.")
        )


def _checked(fields: dict, unit_id: int, instance: RecurringWindow | None = None) -> tuple[dict, list | None]:
    """The fields made whole and checked, and the items (None: unchanged); DomainError names the field."""
    unknown = set(fields) - {*FIELDS, "items", "unit"}
    if unknown:
        raise DomainError(_("This field cannot be edited here."), field=sorted(unknown)[0])
    values = {name: fields.get(name, getattr(instance, name, None)) for name in FIELDS}
    if not (values["name"] or "").strip():
        raise DomainError(_("This field is required."), field="name")
    weekdays = values["weekdays"]
    if (
        not isinstance(weekdays, list | tuple)
        or not weekdays
        or any(isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7 for day in weekdays)
    ):
        raise DomainError(_("Choose at least one weekday (1 is Monday, 7 is Sunday)."), field="weekdays")
    values["weekdays"] = sorted(set(weekdays))
    if not isinstance(values["start_time"], datetime.time):
        raise DomainError(_("Give the local start time."), field="start_time")
    minutes = values["duration_minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise DomainError(
            _("Give a whole number of minutes from 1 to %(max)s.") % {"max": MAX_MINUTES},
            field="duration_minutes",
        )
    try:
        zoneinfo.ZoneInfo(str(values["time_zone"] or ""))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            _("Unknown time zone: give an IANA name such as Asia/Shanghai."), field="time_zone"
        ) from None
    if not isinstance(values["starts_on"], datetime.date):
        raise DomainError(_("This field is required."), field="starts_on")
    if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
        raise DomainError(_("The last day cannot come before the first."), field="ends_on")
    items = fields.get("items")
    if items is not None:
        items = list(items)
        if not items:
            raise DomainError(_("Choose at least one item."), field="items")
        if any(not isinstance(item, Item) or item.unit_id != unit_id for item in items):
            raise DomainError(_("Choose items of the window's unit."), field="items")
    elif instance is None:
        raise DomainError(_("Choose at least one item."), field="items")
    return values, items


def create(model, *, actor, unit=None, **fields) -> RecurringWindow:
    if model is not RecurringWindow:
        raise TypeError(f"not a recurring window: {model}")
    if unit is None:
        raise DomainError(_("This field is required."), field="unit")
    require_manager(actor, unit.pk)
    values, items = _checked(fields, unit.pk)
    with transaction.atomic():
        window = create_record(RecurringWindow, actor=actor, unit=unit, created_by=actor, **values)
        window.items.set(items)
    return window


def update(instance: RecurringWindow, *, actor, expected_version=None, **fields) -> RecurringWindow:
    require_manager(actor, instance.unit_id)
    if "unit" in fields and getattr(fields["unit"], "pk", None) != instance.unit_id:
        raise DomainError(_("A window stays in its unit."), field="unit")
    fields.pop("unit", None)
    values, items = _checked(fields, instance.unit_id, instance)
    with transaction.atomic():
        window = update_record(instance, actor=actor, expected_version=expected_version, **values)
        if items is not None:
            window.items.set(items)
    return window


def delete(instance: RecurringWindow, *, actor) -> None:
    require_manager(actor, instance.unit_id)
    delete_record(instance, actor=actor)
