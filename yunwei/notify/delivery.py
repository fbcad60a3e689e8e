"""Working the outbox: claim a delivery, send it, record the outcome, retry with backoff (Art. 13).

The Delivery table is the record of pending work; the queue only wakes workers. A worker claims a row
with a conditional UPDATE (pending → sending) whose row count it checks, so two workers never send the
same row. A worker killed mid-send leaves a 'sending' row that the sweeper hands back after
STUCK_AFTER: the message may then go out twice, the price of never losing one.

Group robots publish rate limits (RATE_LIMITS). They are counted from the Delivery table (sent in the
last window), not in memory, so they hold across workers, and per robot (`robot_key`, the URL hashed),
not per channel row, since two channels may name the same robot; a message over the limit is merged
into one pending digest for its channel, sent when the window frees up, never dropped. The test button
(`send_test`) writes a delivery row too, so its messages count toward the same limits.
"""

import datetime
import hashlib
import logging
import math
import time
import uuid

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import senders
from .choices import RATE_LIMITS, DeliveryState, Language, RecipientKind
from .models import Channel, Delivery, Notice

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min between the five attempts
STUCK_AFTER = datetime.timedelta(minutes=5)
# Seconds waited between tries to record a send's outcome while the database is away (a restart).
OUTCOME_WAITS = (1, 2, 4, 8, 15)
DIGEST_PREFIX = "notify.digest:"
TEST_PREFIX = "notify.test:"
DIGEST_SUBJECT = {
    Language.ZH_HANS: "{count} 条通知（超过机器人频率限制，已合并）",
    Language.EN: "{count} notices (merged: over the robot's rate limit)",
}

PENDING, SENDING, SENT, FAILED, MERGED = (
    DeliveryState.PENDING,
    DeliveryState.SENDING,
    DeliveryState.SENT,
    DeliveryState.FAILED,
    DeliveryState.MERGED,
)


def backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def is_digest(delivery: Delivery) -> bool:
    return delivery.event_key.startswith(DIGEST_PREFIX)


def robot_key(channel: Channel) -> str:
    """The robot `channel` sends to: its full URL hashed (the robot's key is in the URL's query)."""
    return hashlib.sha256(str(channel.target).encode()).hexdigest()


def window_wait(channel: Channel, now: datetime.datetime) -> datetime.timedelta:
    """How long until `channel`'s robot may take a message again under its limits (zero: it may now)."""
    wait = datetime.timedelta(0)
    key = robot_key(channel)
    for limit, seconds in RATE_LIMITS.get(channel.kind, ()):
        since = now - datetime.timedelta(seconds=seconds)
        rows = Delivery.objects.filter(robot_key=key).filter(
            Q(state=SENT, sent_at__gt=since) | Q(state=SENDING, claimed_at__gt=since)
        )
        times = sorted(
            (sent_at if state == SENT else claimed_at)
            for state, sent_at, claimed_at in rows.values_list("state", "sent_at", "claimed_at")
        )
        if len(times) >= limit:
            frees_at = times[len(times) - limit] + datetime.timedelta(seconds=seconds)
            wait = max(wait, frees_at - now)
    return wait


def _claim(delivery: Delivery, now, key: str = "") -> bool:
    claimed = Delivery.objects.filter(pk=delivery.pk, state=PENDING).update(
        state=SENDING, claimed_at=now, robot_key=key
    )
    return claimed == 1


def _lock_robot(channel_id: int) -> Channel | None:
    """Lock every channel row naming the same robot as `channel_id` (in id order: no deadlock).

    Counting a robot's window and claiming a row under it must be one step for all workers, and
    the rows of all its channels are what they share.
    """
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return None
    list(Channel.objects.select_for_update().filter(target=channel.target).order_by("pk"))
    return Channel.objects.filter(pk=channel_id).first()


def new_digest(channel: Channel, *, language: str, not_before) -> Delivery:
    """An empty digest for `channel`; merged deliveries point at it and make up its text when sent."""
    key = f"{DIGEST_PREFIX}{channel.pk}:{uuid.uuid4().hex}"
    notice = Notice.objects.create(
        event_key=key,
        unit_id=channel.unit_id,
        subject_zh=DIGEST_SUBJECT[Language.ZH_HANS],
        subject_en=DIGEST_SUBJECT[Language.EN],
    )
    return Delivery.objects.create(
        notice=notice,
        event_key=key,
        unit_id=channel.unit_id,
        channel=channel,
        recipient_kind=RecipientKind.CHANNEL,
        recipient=str(channel.pk),
        language=language,
        next_attempt_at=not_before,
    )


def _claim_rate_limited(delivery: Delivery, now) -> int | None:
    """Claim `delivery` if its channel may send now, else merge it into the channel's digest.

    Returns the id of the delivery to send now (itself, or a digest whose window is free), or None.
    The robot's channel rows are locked so that counting and claiming are one step for all workers.
    """
    with transaction.atomic():
        channel = _lock_robot(delivery.channel_id)
        if channel is None:
            return delivery.pk if _claim(delivery, now) else None
        key = robot_key(channel)
        wait = window_wait(channel, now)
        if is_digest(delivery):
            if wait:
                Delivery.objects.filter(pk=delivery.pk, state=PENDING).update(next_attempt_at=now + wait)
                return None
            return delivery.pk if _claim(delivery, now, key) else None
        digest = (
            Delivery.objects.select_for_update()
            .filter(channel=channel, state=PENDING, event_key__startswith=DIGEST_PREFIX)
            .order_by("pk")
            .first()
        )
        if digest is None and not wait:
            return delivery.pk if _claim(delivery, now, key) else None
        # Over the limit, or a digest already waits (keep the order): merge into the digest.
        if digest is None:
            digest = new_digest(channel, language=delivery.language, not_before=now + wait)
        merged = Delivery.objects.filter(pk=delivery.pk, state=PENDING).update(
            state=MERGED, digest=digest, last_error=""
        )
        if merged and not wait and digest.next_attempt_at <= now:
            return digest.pk
        return None


def _content(delivery: Delivery) -> tuple[str, str]:
    if not is_digest(delivery):
        return delivery.notice.text(delivery.language)
    parts = Delivery.objects.filter(digest=delivery).select_related("notice").order_by("created_at", "pk")
    lines = []
    for part in parts:
        subject, body = part.notice.text(delivery.language)
        lines.append(f"- **{subject}**" + (f"\n  {body}" if body else ""))
    language = Language.EN if delivery.language == Language.EN else Language.ZH_HANS
    return DIGEST_SUBJECT[language].format(count=len(lines)), "\n".join(lines)


def _record(pk: int, **outcome) -> int:
    """Write a send's outcome on its row (still 'sending'), waiting out a database that went away
    meanwhile (a restart, a fail-over): the message has left, and a row left 'sending' would be handed
    back after STUCK_AFTER and go out a second time."""
    for wait in (*OUTCOME_WAITS, None):
        try:
            return Delivery.objects.filter(pk=pk, state=SENDING).update(**outcome)
        except (OperationalError, InterfaceError):
            if wait is None or connection.in_atomic_block:
                raise
            log.warning("delivery %s: the database is away; recording its outcome again in %s s", pk, wait)
            connection.close()  # a broken connection is not reopened by itself outside a request
            time.sleep(wait)
    return 0


def _attempt(claimed: Delivery) -> None:
    try:
        # Read inside the try: a database gone right after the claim is recorded as a failed attempt
        # (once it is back), not left 'sending'.
        delivery = Delivery.objects.select_related("notice", "channel").get(pk=claimed.pk)
        channel = delivery.channel
        if channel is None:
            raise senders.PermanentError(_("The channel was deleted."))
        if not channel.enabled:
            raise senders.PermanentError(_("The channel is disabled."))
        subject, body = _content(delivery)
        payload = {
            "event_key": delivery.event_key,
            "unit_id": delivery.unit_id,
            "urgent": delivery.notice.urgent,
            "language": delivery.language,
            "delivery_id": delivery.pk,
        }
        to = delivery.recipient if delivery.recipient_kind == RecipientKind.EMAIL else ""
        senders.send(channel, subject=subject, body=body, to=to, payload=payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded; a row must not stay 'sending'
        permanent = isinstance(exc, senders.PermanentError)
        reason = str(exc) if isinstance(exc, senders.SendError) else f"{exc.__class__.__name__}: {exc}"
        if not isinstance(exc, senders.SendError):
            log.exception("delivery %s failed unexpectedly", claimed.pk)
        attempts = claimed.attempts + 1
        give_up = permanent or attempts >= MAX_ATTEMPTS
        _record(
            claimed.pk,
            state=FAILED if give_up else PENDING,
            attempts=attempts,
            last_error=reason[:500],
            next_attempt_at=timezone.now() + (datetime.timedelta(0) if give_up else backoff(attempts)),
        )
        return
    _record(claimed.pk, state=SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")


def send_test(channel: Channel, *, subject: str, body: str, to: str = "") -> str:
    """Send a test message through `channel` now; "" when it went out, else why not.

    It is written as a delivery row (one attempt, no retry) so that it counts toward the robot's
    rate limit like any message; over the limit it is not sent and the answer says when to try again.
    """
    now = timezone.now()
    key = f"{TEST_PREFIX}{channel.pk}:{uuid.uuid4().hex}"
    with transaction.atomic():
        if channel.kind in RATE_LIMITS:
            channel = _lock_robot(channel.pk) or channel
            wait = window_wait(channel, now)
            if wait:
                return _("Over the robot's rate limit: try again in %(seconds)s seconds.") % {
                    "seconds": math.ceil(wait.total_seconds())
                }
        notice = Notice.objects.create(
            event_key=key, unit_id=channel.unit_id, subject_zh=subject, subject_en=subject, body_zh=body
        )
        row = Delivery.objects.create(
            notice=notice,
            event_key=key,
            unit_id=channel.unit_id,
            channel=channel,
            recipient_kind=RecipientKind.EMAIL if to else RecipientKind.CHANNEL,
            recipient=to or str(channel.pk),
            state=SENDING,
            claimed_at=now,
            next_attempt_at=now,
            robot_key=robot_key(channel) if channel.kind in RATE_LIMITS else "",
        )
    try:
        senders.send(channel, subject=subject, body=body, to=to, payload={"event_key": key})
    except Exception as exc:  # noqa: BLE001 - as in _attempt: the row must not stay 'sending'
        if not isinstance(exc, senders.SendError):
            log.exception("test message %s failed unexpectedly", row.pk)
        reason = str(exc) if isinstance(exc, senders.SendError) else exc.__class__.__name__
        Delivery.objects.filter(pk=row.pk).update(state=FAILED, attempts=1, last_error=reason[:500])
        return reason
    Delivery.objects.filter(pk=row.pk).update(state=SENT, attempts=1, sent_at=timezone.now())
    return ""


def process(delivery_id: int) -> None:
    """Send delivery `delivery_id` if it is due and nobody else has it; quietly nothing otherwise."""
    now = timezone.now()
    delivery = Delivery.objects.select_related("channel").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != PENDING or delivery.next_attempt_at > now:
        return
    if delivery.channel is not None and delivery.channel.kind in RATE_LIMITS:
        to_send = _claim_rate_limited(delivery, now)
        if to_send is None:
            return
        if to_send != delivery.pk:
            process(to_send)
            return
    elif not _claim(delivery, now):
        return
    _attempt(delivery)


def release_stuck(now: datetime.datetime) -> int:
    """Hand 'sending' rows of killed workers back (pending, due now); returns how many."""
    released = 0
    stuck = Delivery.objects.filter(state=SENDING, claimed_at__lt=now - STUCK_AFTER)
    for pk, claimed_at, attempts in stuck.values_list("pk", "claimed_at", "attempts")[:500]:
        give_up = attempts + 1 >= MAX_ATTEMPTS
        released += Delivery.objects.filter(pk=pk, state=SENDING, claimed_at=claimed_at).update(
            state=FAILED if give_up else PENDING,
            attempts=attempts + 1,
            last_error=_("The worker sending this stopped before it finished."),
            next_attempt_at=now,
        )
    return released


def due(now: datetime.datetime, limit: int = 500) -> list[int]:
    rows = Delivery.objects.filter(state=PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    return list(rows.values_list("pk", flat=True)[:limit])
