"""The rules and records every change service shares (Art. 17–18): the risk, who may act, the timeline and
the checks of a change's content. The flow table is `choices.ALLOWED_TRANSITIONS`."""

import ipaddress

from django.utils.translation import gettext as _

from yunwei.cmdb import services as cmdb
from yunwei.cmdb.choices import Criticality, ItemStatus
from yunwei.cmdb.models import Item
from yunwei.core import records
from yunwei.core.errors import DomainError, PermissionDenied
from yunwei.core.scoping import access_of
from yunwei.org.choices import Role, UnitKind

from . import schedule
from .choices import (
    WORK_STATES,
    ApprovalScope,
    ChangeKind,
    ChangeType,
    Decision,
    EventKind,
    Risk,
    ServiceImpact,
    State,
)
from .models import Change, ChangeEvent

CONTENT_FIELDS = (
    "title",
    "change_type",
    "reason",
    "implementation_plan",
    "test_plan",
    "rollback_plan",
    "planned_start",
    "planned_end",
    "service_impact",
    "risk_override_reason",
)
EMERGENCY_APPROVAL_HOURS = 24
# Plain item fields a change may set on the inventory (besides the type's own attributes).
ITEM_FIELDS = ("name", "status", "criticality", "hostname", "ip", "site", "room", "rack", "position")
# Types that rebuild or move what other things stand on: a mistake spreads.
STRUCTURAL_TYPES = frozenset(
    {
        ChangeType.SYSTEM_STRUCTURE,
        ChangeType.RELOCATION,
        ChangeType.DATA_MIGRATION,
        ChangeType.REDUNDANCY_RETROFIT,
        ChangeType.DEPLOYMENT,
    }
)


def compute_risk(radius_size: int, service_impact: str, change_type: str) -> str:
    """The risk of a change from what it touches, what users lose and what kind of work it is.

    Why this shape: an outage is always high — users lose the system, so the leader in charge must agree
    (Art. 18). Otherwise risk grows with the blast radius (more dependants, more to break: 1 point from
    3 items, 2 from 20), with degraded service (1 point) and with structural work that other things
    stand on (1 point); templates and documents of Art. 17 touch no running system beyond themselves.
    3 points or more is high, 1–2 medium, none low.
    """
    if service_impact == ServiceImpact.OUTAGE:
        return Risk.HIGH
    points = 0
    if radius_size >= 20:
        points += 2
    elif radius_size >= 3:
        points += 1
    if service_impact == ServiceImpact.DEGRADED:
        points += 1
    if change_type in STRUCTURAL_TYPES:
        points += 1
    if points >= 3:
        return Risk.HIGH
    return Risk.MEDIUM if points else Risk.LOW


# -- who may act ----------------------------------------------------------------------------------


def may_handle(actor, unit_id: int | None) -> bool:
    """Who requests and carries out a unit's changes: its admins, the group's admins, operations staff."""
    return access_of(actor).can_handle_unit(unit_id)


def require_handler(actor, change: Change) -> None:
    if not may_handle(actor, change.unit_id):
        raise PermissionDenied(_("Only the unit's system staff may work on this change."))


def require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may manage templates and freeze periods."))


def needed_roles(change: Change) -> list[str]:
    """The system management lead approves every change; a risky one needs the leader in charge too
    (risky by the computed risk or the overridden one), and so does an emergency change whose work falls
    in a freeze period: it skips scheduling, where a normal change would need the leader for that."""
    roles = [Role.SYSTEM_LEAD]
    if change.is_risky or emergency_in_freeze(change):
        roles.append(Role.LEADER)
    return roles


def emergency_in_freeze(change: Change) -> bool:
    if change.kind != ChangeKind.EMERGENCY:
        return False
    start, end = schedule.work_window(change)
    return bool(schedule.freezes_for(change, start, end))


def approver_roles(actor, change: Change) -> list[str]:
    return [role for role in (Role.SYSTEM_LEAD, Role.LEADER) if schedule.holds_role(actor, role, change.unit)]


def current_approvals(change: Change):
    return change.approvals.filter(scope=ApprovalScope.CHANGE, round=change.approval_round)


def missing_roles(change: Change) -> list[str]:
    given = set(current_approvals(change).filter(decision=Decision.APPROVED).values_list("role", flat=True))
    return [role for role in needed_roles(change) if role not in given]


# -- segregation of duties and approval after the fact (Art. 18) ----------------------------------


def carried_out_by(change: Change) -> set[int]:
    """Accounts that carried the change out, read from its timeline (the evidence Art. 18 keeps)."""
    return set(
        change.events.filter(kind=EventKind.TRANSITION, to_state__in=WORK_STATES, actor__isnull=False)
        .values_list("actor_id", flat=True)
        .distinct()
    )


def review_failure(change: Change, actor) -> str | None:
    """Why `actor` may not write the post-implementation review, or None: a system management lead who
    neither requested nor carried out the change writes it, so requester, implementer and reviewer are
    never one person (Art. 18)."""
    if actor is None or not schedule.holds_role(actor, Role.SYSTEM_LEAD, change.unit):
        return _("The post-implementation review is written by the system management lead.")
    if change.requester_id == actor.pk:
        return _(
            "You requested this change: its review is written by a system management lead who neither "
            "requested nor carried it out (Art. 18)."
        )
    if actor.pk in carried_out_by(change):
        return _(
            "You carried out this change: its review is written by a system management lead who neither "
            "requested nor carried it out (Art. 18)."
        )
    return None


def emergency_approval_failure(change: Change, to: str) -> str | None:
    """Why an emergency change may not take the step to `to` for want of its approval after the fact, or
    None (Art. 18). Until the approval is given it is neither completed nor reviewed; once refused, it is
    rolled back (then reviewed) unless the leader in charge records an exception."""
    if change.kind != ChangeKind.EMERGENCY or change.approved_at is not None or change.exception_at:
        return None
    if change.approval_refused:
        if to in (State.VERIFYING, State.COMPLETED, State.FAILED) or (
            to == State.REVIEWED and change.state != State.ROLLED_BACK
        ):
            return _(
                "The approval of this emergency change was refused after the fact: it is rolled back, "
                "unless the leader in charge records an exception (Art. 18)."
            )
        return None
    if to in (State.COMPLETED, State.REVIEWED):
        return _(
            "An emergency change carried out first is completed or reviewed only once its approval after "
            "the fact is given (Art. 18)."
        )
    return None


# -- timeline -------------------------------------------------------------------------------------


def add_event(change: Change, kind: str, *, actor, **details) -> ChangeEvent:
    return records.append_event(ChangeEvent, {"change": change}, kind, actor=actor, **details)


def lock_change(change: Change, expected_version: int | None = None) -> Change:
    return records.lock(Change.objects, change.pk, expected_version)


# -- content checks ---------------------------------------------------------------------------------


def check_items(unit, items) -> list[Item]:
    """A unit's change touches the unit's items; a change of the group may touch any unit's."""
    items = list(items)
    if unit.kind != UnitKind.GROUP:
        foreign = [item for item in items if item.unit_id != unit.pk]
        if foreign:
            raise DomainError(
                _("Affected items must belong to the change's unit: %(codes)s")
                % {"codes": ", ".join(item.code for item in foreign)},
                field="affected_items",
            )
    return items


def _parse_item_field(name: str, value):
    if name == "status" and value not in ItemStatus.values:
        raise ValueError(_("“%(value)s” is not a status of an item.") % {"value": value})
    if name == "criticality" and value not in Criticality.values:
        raise ValueError(_("“%(value)s” is not a criticality.") % {"value": value})
    if name == "ip":
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise ValueError(_("“%(value)s” is not an IP address.") % {"value": value}) from None
    text = str(value).strip()
    if name == "name" and not text:
        raise ValueError(_("A name cannot be empty."))
    return text


def check_attribute_changes(entries, items) -> list[dict]:
    """The inventory updates a change carries, checked against the affected items and their types."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise DomainError(
            _("Inventory updates are a list of {item, attribute or field, value}."), field="attribute_changes"
        )
    by_pk = {item.pk: item for item in items}
    clean = []
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise DomainError(_("Update %(n)s is not an object.") % {"n": index}, field="attribute_changes")
        try:
            item = by_pk.get(int(entry.get("item")))
        except (TypeError, ValueError):
            item = None
        if item is None:
            raise DomainError(
                _("Update %(n)s: the item must be one of the change's affected items.") % {"n": index},
                field="attribute_changes",
            )
        attribute, name, value = entry.get("attribute"), entry.get("field"), entry.get("value")
        row = {"item": item.pk, "item_code": item.code}
        try:
            if attribute and not name:
                spec = item.type.attribute(str(attribute))
                if spec is None:
                    raise ValueError(
                        _("“%(type)s” has no attribute “%(code)s”.") % {"type": item.type, "code": attribute}
                    )
                row.update(attribute=spec["code"], value=cmdb.parse_attribute(spec, value))
            elif name and not attribute:
                if name not in ITEM_FIELDS:
                    raise ValueError(_("“%(field)s” cannot be changed by a change.") % {"field": name})
                row.update(field=name, value=_parse_item_field(name, "" if value is None else value))
            else:
                raise ValueError(_("Name either an attribute or a field."))
        except ValueError as exc:
            raise DomainError(
                _("Update %(n)s (%(item)s): %(error)s") % {"n": index, "item": item.code, "error": exc},
                field="attribute_changes",
            ) from None
        clean.append(row)
    return clean


def log_transition(change, source, to, *, actor, now, comment="", fields=None) -> None:
    records.log_transition(
        ChangeEvent,
        {"change": change},
        change,
        source,
        to,
        actor=actor,
        at=now,
        comment=comment,
        **(fields or {}),
    )
