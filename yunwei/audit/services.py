"""Writing, sealing and verifying the audit log (Art. 3, 11): the only code that creates audit events.

Every service of every app calls `record()` inside its own transaction, so the event is committed
with the change it describes, or not at all. `record()` takes no lock: the event gets its place from
the table's own sequence (its primary key) and is written unnumbered. Just after the transaction
commits, `seal()` numbers the committed events 1, 2, 3 … and chains their hashes, in one short
transaction of its own that alone locks the chain's head; a periodic task seals whatever a sealer
left (see `seal`). So audited writes no longer queue behind one lock until they commit, and the chain
still reveals a removed, altered or inserted event once sealed; `seal_status()` says how fresh the
seal is, and a verification reports an event left unsealed longer than `AUDIT_SEAL_LIMIT`.
"""

import datetime
import decimal
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
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
    """An event's `before` and `after` un-masked; the viewing is itself an audit event.

    Pages and the API address an event by its number, so only a sealed one is revealed; the new event
    names it by that number too."""
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
    """Write one event, to be sealed into the chain when its transaction commits. `obj` fills in the
    object fields that are not given explicitly.

    Call it inside the transaction that makes the change: the event commits with it or not at all.
    It locks nothing, so concurrent writers do not wait on one another; the event has no number
    (`seq`) or hashes until `seal()` gives them just after the commit. A rolled-back transaction takes
    its event with it and leaves no gap, since numbers are given only to committed events.
    """
    action = Action(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        unit_id = unit_id if unit_id is not None else _unit_of(obj)
    has_account = actor is not None and actor.pk is not None
    # One INSERT, atomic by itself: no savepoint inside the caller's transaction.
    event = AuditEvent.objects.create(
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
    )
    _seal_after_commit()
    return event


def _seal_after_commit() -> None:
    # Once per transaction, however many events it records: the first seal takes them all.
    pending = getattr(connection, "run_on_commit", [])
    if not any(entry[1] is seal_quietly for entry in pending):
        transaction.on_commit(seal_quietly, robust=True)


# -- sealing --------------------------------------------------------------------------------------

SEAL_BATCH = 1000
# A sealer that keeps finding new events stops after this many batches (its caller is a request that
# has committed and waits on it); the next commit's sealer or the periodic task goes on.
SEAL_ROUNDS = 20


def _claim_head() -> AuditChainHead | None:
    """The head row locked for this transaction, or None when another sealer holds it.

    SKIP LOCKED rather than waiting: a second sealer has nothing to add, since the one holding the lock
    looks again after each batch it commits (see `_seal_batches`). SQLite has no row locks (Django drops the
    clause there); its IMMEDIATE transactions take the database's one write lock at BEGIN, which
    serialises sealers.
    """
    head = AuditChainHead.objects.select_for_update(skip_locked=True).filter(pk=1).first()
    if head is None and not AuditChainHead.objects.filter(pk=1).exists():
        # First event ever (or after a test flush): concurrent creators end up sharing the one row.
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update(skip_locked=True).filter(pk=1).first()
    return head


def _write_seals(events: list[AuditEvent]) -> None:
    # The one update audit rows allow: an unsealed event given its number and hashes, nothing else
    # (the model refuses updates; the database triggers of migration 0005 allow exactly this one).
    # The table name is the model's own; the values go as parameters.
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s AND seq IS NULL"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [(event.seq, event.prev_hash, event.hash, event.pk) for event in events],
        )
        if cursor.rowcount != len(events):
            # Under the head's lock nobody else seals; this is someone writing by hand: refuse the batch.
            raise RuntimeError(f"audit seal: {cursor.rowcount} of {len(events)} events updated")


# One thread of a process seals at a time (web servers run several threads per process): the others
# return at once instead of each asking the database for unsealed events and trying the head's lock
# after every commit. `_arrived` tells the thread holding `_sealing` that another came by meanwhile.
_sealing = threading.Lock()
_arrived = False


def seal(*, batch: int = SEAL_BATCH, rounds: int | None = None) -> int:
    """Number and chain the committed events not yet sealed, oldest first; returns how many it sealed.

    Each batch is one short transaction holding the head's lock: the events get the next numbers in
    primary-key order (the order they were written in), each the previous one's hash and its own, and
    the head moves to the last. An event whose transaction committed late is sealed when it is found
    committed, after events written later: the chain's order is the order of sealing.

    Run right after every commit that recorded an event (`record`) and every few seconds by the
    scheduler (`tasks.seal_audit_events`). A sealer that finds another thread of its process sealing
    returns at once, and so does one that finds the head locked by another process; neither leaves
    anything behind by it (see the comments below and `_seal_batches`). What is left to the periodic
    task: a sealer that stops after `rounds` batches while writers keep coming, or one that fails
    (logged); seconds, never forever.
    """
    global _arrived
    sealed = 0
    rounds = SEAL_ROUNDS if rounds is None else rounds
    # My commit happened before I set `_arrived` and before my acquire fails; that failure is before the
    # holder's release, which is before it reads `_arrived` again: either the holder cleared the flag
    # after my commit (so its own look at the database comes after my commit), or it finds the flag set
    # and seals once more. A flag rather than another query: a holder whose every batch finds the head
    # locked by another process would otherwise go round while that process seals.
    _arrived = True
    while rounds > 0 and _sealing.acquire(blocking=False):
        try:
            _arrived = False
            count, rounds = _seal_batches(batch, rounds)
            sealed += count
        finally:
            _sealing.release()
        if not _arrived:
            break
    return sealed


def _seal_batches(batch: int, rounds: int) -> tuple[int, int]:
    """Seal batches until none is left, the head is locked by another sealer, or `rounds` are spent;
    returns how many events it sealed and the rounds left.

    A sealer that finds the head locked returns at once, and leaves nothing behind by it: it looked
    after the commit it runs for, and the holder looks again (the plain read at the top of the loop)
    only after its own commit has released the lock, so it finds them.
    """
    sealed = 0
    while rounds > 0:
        rounds -= 1
        # A plain read first, holding nothing: when another sealer already took my events (the common
        # case with many writers) this one indexed query is the whole cost, with no lock and no commit.
        if not AuditEvent.objects.filter(seq__isnull=True).exists():
            break
        with transaction.atomic():
            head = _claim_head()
            if head is None:
                break
            events = list(AuditEvent.objects.filter(seq__isnull=True).order_by("pk")[:batch])
            if not events:
                break
            seq, prev_hash = head.seq, head.hash
            for event in events:
                seq += 1
                event.seq, event.prev_hash = seq, prev_hash
                event.hash = prev_hash = event.compute_hash()
            _write_seals(events)
            head.seq, head.hash = seq, prev_hash
            head.save(update_fields=["seq", "hash"])
        sealed += len(events)
    return sealed, rounds


def seal_quietly() -> None:
    """`seal()` after a commit. Failing here must not fail the request whose change is committed;
    `transaction.on_commit(robust=True)` logs the error and the periodic task seals the event."""
    seal()


@dataclass(frozen=True)
class SealStatus:
    """How fresh the seal is: events written but not yet sealed, and when the oldest was written."""

    unsealed: int
    oldest_at: datetime.datetime | None

    def age(self, now: datetime.datetime | None = None) -> datetime.timedelta | None:
        if self.oldest_at is None:
            return None
        return max((now or timezone.now()) - self.oldest_at, datetime.timedelta(0))

    def stale(self, now: datetime.datetime | None = None) -> bool:
        """An event has waited longer than `AUDIT_SEAL_LIMIT`: the sealer is not running."""
        age = self.age(now)
        return age is not None and age > seal_limit()


def seal_limit() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.AUDIT_SEAL_LIMIT)


def seal_status() -> SealStatus:
    unsealed = AuditEvent.objects.filter(seq__isnull=True).aggregate(
        n=models.Count("pk"), at=models.Min("at")
    )
    return SealStatus(unsealed["n"], unsealed["at"])


# -- verifying ------------------------------------------------------------------------------------

ALTERED, INSERTED, REMOVED = "altered", "inserted", "removed"
# Not a break in the chain but a finding of its verification: an event waited unsealed beyond the limit.
UNSEALED = "unsealed"


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

    Only sealed events are walked (events still waiting for the sealer have no number yet; `seal_status`
    tells how many and since when). Seals may go on meanwhile: the head is read before the walk
    (everything up to it must be seen) and again after it (a seal commits its events and the head
    together, so a seen event is never beyond the second reading). `seen(seq, hash)` is told every
    intact event walked (the heads written outside the database are compared on the way,
    `anchors.verify`).
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
