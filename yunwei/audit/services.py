"""Writing and verifying the audit log (Art. 3, 11): the only code that creates audit events.

Every service of every app calls `record()` inside its own transaction, so the event is committed
with the change it describes, or not at all.
"""

import datetime
import decimal
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

from .models import GENESIS_HASH, Action, AuditChainHead, AuditEvent

# Secrets never enter the audit log: a password, an intake token's hash, an HMAC secret.
OMITTED_FIELDS = frozenset({"password", "token_hash", "hmac_secret"})


def can_view(user) -> bool:
    """Only group system admins read the audit log (pages and API share this guard)."""
    access = getattr(user, "access", None)
    return bool(getattr(user, "is_authenticated", False) and access is not None and access.is_group_admin)


# -- personal data (Art. 11) ----------------------------------------------------------------------

# Keys under which events hold people's and vendor engineers' contact details (org.Person and
# org.VendorEngineer `phone`/`email`, an account's `email`). The event keeps them, since it is the
# trail; pages and the API show them masked until a reader un-masks them, which is itself audited.
PERSONAL_KEYS = frozenset({"phone", "mobile", "email"})


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    if "@" not in value:
        return value and "***"
    name, domain = value.split("@", 1)
    return f"{name[:1]}***@{domain}"


def _mask_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    return mask_email(value) if key == "email" else mask_phone(value)


def masked(data: Any) -> Any:
    """An event's `before` or `after` with every phone number and e-mail address masked."""
    if isinstance(data, dict):
        return {
            key: _mask_value(key, value) if key in PERSONAL_KEYS else masked(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data


def holds_personal_data(event: AuditEvent) -> bool:
    return masked(event.before) != event.before or masked(event.after) != event.after


@transaction.atomic
def reveal_event(event: AuditEvent, *, actor) -> dict[str, Any]:
    """An event's `before` and `after` un-masked; the viewing is itself an audit event."""
    if not can_view(actor):
        raise PermissionDenied
    record(
        "unmask",
        actor=actor,
        object_type=AuditEvent._meta.label_lower,
        object_id=str(event.seq),
        object_repr=f"#{event.seq}",
        unit_id=event.unit_id,
        comment="before, after",
    )
    return {"before": event.before, "after": event.after}


# -- values ---------------------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision, unlike DjangoJSONEncoder's milliseconds
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID | Promise):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name
    # An audit write must never fail on an unusual value; its text is still readable.
    return str(value)


def _integral_floats_to_int(value: Any) -> Any:
    # PostgreSQL's jsonb prints 1e+20 as 100000000000000000000, which reads back as an int; making
    # such floats ints before storing keeps the hash identical after the round trip.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_to_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats_to_int(item) for item in value]
    return value


def json_safe(value: Any) -> Any:
    """`value` as it will read back from a JSON column: what is stored is exactly what is hashed."""
    if value is None:
        return None
    return _integral_floats_to_int(json.loads(json.dumps(value, default=_to_json, allow_nan=False)))


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete fields of `instance` (foreign keys as `<name>_id`), JSON-safe, without passwords."""
    wanted = None if fields is None else set(fields)
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in OMITTED_FIELDS or (wanted is not None and not {field.name, field.attname} & wanted):
            continue
        data[field.attname] = field.value_from_object(instance)
    return json_safe(data)


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after): an update event stores just these."""
    keys = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after.get(key) for key in keys}


# -- writing --------------------------------------------------------------------------------------


def _unit_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "org.unit":
        return obj.pk
    path = getattr(obj, "scope_unit_field", None)
    if path is None:
        return getattr(obj, "unit_id", None)
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    target = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    # `unit_id` avoids fetching the unit when the path ends in a foreign key.
    value = getattr(target, f"{last}_id", None)
    if value is None:
        value = getattr(target, last, None)
    return value.pk if isinstance(value, models.Model) else value


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First event ever (or after a test flush): concurrent creators end up sharing the one row.
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    unit_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    comment: str = "",
) -> AuditEvent:
    """Append one event to the chain. `obj` fills in the object fields that are not given explicitly.

    Call it inside the transaction that makes the change. Locking the head row serialises appends,
    so numbers stay contiguous on PostgreSQL with many writers; a rolled-back transaction takes its
    number back with it.
    """
    action = Action(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        unit_id = unit_id if unit_id is not None else _unit_of(obj)
    has_account = actor is not None and actor.pk is not None
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor.pk if has_account else None,
            actor_name=actor.get_username() if has_account else ("system" if actor is None else "anonymous"),
            action=action.value,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=str(object_repr)[:200],
            unit_id=unit_id,
            before=json_safe(before),
            after=json_safe(after),
            comment=str(comment),
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


# -- verifying ------------------------------------------------------------------------------------

ALTERED, INSERTED, REMOVED = "altered", "inserted", "removed"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # events found intact before the first bad one (all of them when ok)
    first_bad_seq: int | None = None
    reason: str = ""  # "", ALTERED, INSERTED or REMOVED


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def verify_chain(after_seq: int = 0, after_hash: str = GENESIS_HASH, *, seen=None) -> VerifyResult:
    """Walk the chain from event 1 (or from the event after a trusted `after_seq` with its hash, for an
    incremental check) and name the first event that is not what was written.

    - removed: a number is missing (in the middle, or at the end: the head is ahead of the last event);
    - inserted: a number appears twice, an event does not chain to its predecessor, or an event lies
      beyond the head; when an event chains to the one *before* its predecessor, the predecessor is
      the one slipped in (an insertion that renumbered the rest);
    - altered: an event's content no longer matches its own hash, or the head's hash.
    Someone who rewrites the tail and the head consistently is caught only against the copies of the
    head written outside the database (`anchors`).

    Appends may go on meanwhile: the head is read before the walk (everything up to it must be seen)
    and again after it (an append commits its event and the head together, so a seen event is never
    beyond the second reading). `seen(seq, hash)` is told every intact event walked (the heads written
    outside the database are compared on the way, `anchors.verify`).
    """
    head_seq, head_hash = _head()
    hash_at_head = after_hash if head_seq == after_seq else GENESIS_HASH
    checked = 0
    prev_seq, prev_hash, prevprev_hash = after_seq, after_hash, None
    events = AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq", "pk")
    for event in events.iterator(chunk_size=2000):
        if event.seq == prev_seq:
            return VerifyResult(False, checked, event.seq, INSERTED)
        if event.seq != prev_seq + 1:
            return VerifyResult(False, checked, prev_seq + 1, REMOVED)
        if event.prev_hash != prev_hash:
            if prevprev_hash is not None and event.prev_hash == prevprev_hash:
                return VerifyResult(False, checked - 1, prev_seq, INSERTED)
            return VerifyResult(False, checked, event.seq, INSERTED)
        if event.compute_hash() != event.hash:
            return VerifyResult(False, checked, event.seq, ALTERED)
        checked += 1
        prev_seq, prevprev_hash, prev_hash = event.seq, prev_hash, event.hash
        if seen is not None:
            seen(event.seq, event.hash)
        if event.seq == head_seq:
            hash_at_head = event.hash

    if prev_seq < head_seq:
        return VerifyResult(False, checked, prev_seq + 1, REMOVED)
    if hash_at_head != head_hash:
        return VerifyResult(False, max(head_seq - 1 - after_seq, 0), head_seq, ALTERED)
    head_seq, _hash = _head()
    if prev_seq > head_seq:
        return VerifyResult(False, head_seq - after_seq, head_seq + 1, INSERTED)
    return VerifyResult(True, checked)
