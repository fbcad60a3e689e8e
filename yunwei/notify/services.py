"""Notifications: the one write path for channels, preferences and the outbox (Art. 13).

Service API for the other apps
------------------------------
``send(*, event_key, unit_id, recipients, subject, body, urgent=False) -> list[Delivery]``
    Write one notice and its deliveries. Call it inside your own transaction, next to the change
    that causes the notice: the rows commit or roll back with it (an outbox), and ``deliver`` is
    queued with ``transaction.on_commit`` only. ``event_key`` names the event ("incident:42:restored");
    a second call with the same event key and recipient creates nothing, so callers may retry freely.
    ``subject`` and ``body`` map a language ("zh-hans", "en") to text; Chinese is required.
    With ``now_in_this_process=True`` the deliveries are sent by the calling process right after commit,
    not queued: for the notice that the background workers themselves are down.
    ``recipients`` is a list of ``Recipient``:

    - ``Recipient("email", "ops@example.cn")``: an e-mail through the unit's SMTP channel;
    - ``Recipient("channel", str(channel.pk))``: a message to a robot or webhook channel;
    - ``Recipient("user", str(user.pk))``: whatever that person's preferences say (default: an e-mail
      to their address), deferred while their quiet hours last unless ``urgent`` (grade Ⅱ).

    Returns the deliveries this call created or sent again (empty when all existed already). With
    ``again=True`` a failed delivery (or one waiting to retry after a failure) to a recipient named
    again is sent again, now, when its target works (the notice is sent by hand once more, after its
    channel or address was fixed).

``reachable(recipients, unit_id) -> list[Recipient]``
    The recipients at least one of whose targets works now: an enabled channel, or an address with an
    e-mail server. Writes nothing; a rule that needs a notice to reach somebody asks this first.

``reached(event_key, recipients, unit_id) -> bool``
    Whether the event's notice reached one of ``recipients``: a delivery to them was sent, or waits on a
    working channel (enabled, and no attempt of it failed). A failed delivery counts for nothing.

``test_channel(channel, *, actor) -> (ok, reason)``
    Send a test message now; answers only whether it went out, or why not. It counts toward the
    robot's rate limit; over the limit nothing is sent and the reason says so.

``retry_delivery(delivery, *, actor) -> Delivery``
    Send a failed delivery again (its attempts start over); for whoever manages the unit's channels.

Channels are written with ``create`` / ``update`` / ``delete`` (the RecordViewSet protocol); the
targets are checked against the SSRF guard (``guard``) when saved and again before each send.
"""

import datetime
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.audit import services as audit
from yunwei.core import scoping
from yunwei.core.errors import DomainError, PermissionDenied, StaleEdit, TransitionNotAllowed
from yunwei.core.scoping import access_of

from . import delivery as outbox
from . import guard, tasks
from .choices import ChannelKind, DeliveryState, Language, RecipientKind
from .models import AllowedAddress, Channel, Delivery, InboxItem, Notice, Preference

MASK = "******"


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to: an e-mail address, a channel (its id) or a user (their id)."""

    kind: Literal["email", "channel", "user"]
    value: str
    language: str = Language.ZH_HANS


def user_recipients(account_ids) -> list[Recipient]:
    """One recipient per account (each reached as their preferences say), in a stable order."""
    return [Recipient("user", str(pk)) for pk in sorted({pk for pk in account_ids if pk})]


# -- channels -------------------------------------------------------------------------------------


def require_manage(actor, unit_id: int | None) -> None:
    if not access_of(actor).can_manage_unit(unit_id):
        raise PermissionDenied(_("You may not manage the channels of this unit."))


def mask_target(channel_kind: str, target):
    """The target as it may be shown: no SMTP password, no token in a robot URL's query."""
    if channel_kind == ChannelKind.EMAIL:
        shown = {key: value for key, value in (target or {}).items() if key != "password"}
        shown["password_set"] = bool((target or {}).get("password"))
        return shown
    if not isinstance(target, str):
        return target
    parts = urlsplit(target)
    query = urlencode([(key, MASK) for key, _value in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit(parts._replace(query=query))


def _merge_secret_parts(channel: Channel | None, kind: str, target):
    """An edit that echoes the masked target back (or leaves the password out) keeps the real one."""
    if channel is None or channel.kind != kind:
        return target
    if kind == ChannelKind.EMAIL and isinstance(target, dict):
        target = {key: value for key, value in target.items() if key != "password_set"}
        if not target.get("password") and isinstance(channel.target, dict):
            target["password"] = channel.target.get("password", "")
        return target
    if target == mask_target(kind, channel.target):
        return channel.target
    return target


def _check_target(kind: str, target) -> None:
    if kind == ChannelKind.EMAIL:
        if not isinstance(target, dict) or not target.get("host"):
            raise DomainError(_("An e-mail channel needs the SMTP server's host."), field="target")
        try:
            port = int(target.get("port") or 25)
        except (TypeError, ValueError):
            raise DomainError(_("The SMTP port must be a number."), field="target") from None
        if not 0 < port < 65536:
            raise DomainError(_("The SMTP port must be between 1 and 65535."), field="target")
        try:
            guard.check_host(str(target["host"]), port)
        except guard.Refused as exc:
            raise DomainError(str(exc), field="target") from None
        return
    if not isinstance(target, str) or not target:
        raise DomainError(_("This channel needs the robot's or webhook's URL."), field="target")
    try:
        guard.check_url(target)
    except guard.Refused as exc:
        raise DomainError(str(exc), field="target") from None


def _audit_view(channel: Channel) -> dict:
    """What the audit log keeps of a channel: never its secrets."""
    return {
        "unit_id": channel.unit_id,
        "name": channel.name,
        "kind": channel.kind,
        "target": mask_target(channel.kind, channel.target),
        "secret_set": bool(channel.secret),
        "enabled": channel.enabled,
        "announcements": channel.announcements,
    }


def _validate(channel: Channel) -> None:
    if channel.kind not in ChannelKind.values:
        raise DomainError(_("Unknown kind of channel."), field="kind")
    if not (channel.name or "").strip():
        raise DomainError(_("This field is required."), field="name")
    clash = Channel.objects.filter(unit_id=channel.unit_id, name=channel.name).exclude(pk=channel.pk)
    if clash.exists():
        raise DomainError(_("“%(value)s” is already in use.") % {"value": channel.name}, field="name")
    _check_target(channel.kind, channel.target)


CHANNEL_FIELDS = ("unit_id", "name", "kind", "target", "secret", "enabled", "announcements")


@transaction.atomic
def create(model=Channel, *, actor, **fields) -> Channel:
    """A new channel of a unit the actor manages; the target must pass the SSRF guard."""
    fields = {key: value for key, value in fields.items() if key in CHANNEL_FIELDS}
    require_manage(actor, fields.get("unit_id"))
    channel = Channel(**fields)
    _validate(channel)
    channel.save()
    audit.record("create", actor=actor, obj=channel, after=_audit_view(channel))
    return channel


@transaction.atomic
def update(channel: Channel, *, actor, expected_version: int | None = None, **fields) -> Channel:
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    require_manage(actor, locked.unit_id)
    if expected_version is not None and expected_version != locked.version:
        raise StaleEdit(
            _("Someone else saved this record first (version %(current)s, yours %(yours)s); reload.")
            % {"current": locked.version, "yours": expected_version},
            field="version",
        )
    before = _audit_view(locked)
    if "unit_id" in fields:
        require_manage(actor, fields["unit_id"])
    if "target" in fields:
        fields["target"] = _merge_secret_parts(locked, fields.get("kind", locked.kind), fields["target"])
    if "secret" in fields and not fields["secret"]:
        fields.pop("secret")  # write-only: an empty value keeps the stored secret
    for name, value in fields.items():
        if name in CHANNEL_FIELDS:
            setattr(locked, name, value)
    _validate(locked)
    locked.version += 1
    locked.save()
    changed_before, changed_after = audit.diff(before, _audit_view(locked))
    if changed_after:
        audit.record("update", actor=actor, obj=locked, before=changed_before, after=changed_after)
    return locked


@transaction.atomic
def delete(channel: Channel, *, actor) -> None:
    require_manage(actor, channel.unit_id)
    audit.record("delete", actor=actor, obj=channel, before=_audit_view(channel))
    channel.delete()  # its deliveries stay, with the channel emptied (history)


def _own_address(user) -> str:
    person = getattr(user, "person", None)  # the org app's person, reached without importing it
    return (user.email or getattr(person, "email", "") or "").strip()


def test_channel(channel: Channel, *, actor) -> tuple[bool, str]:
    """Send a test message through `channel` now: (True, "OK") or (False, why it failed)."""
    require_manage(actor, channel.unit_id)
    subject = _("Yunwei test message")
    body = _("This channel works: sent by %(user)s.") % {"user": actor.get_username()}
    to = ""
    if channel.kind == ChannelKind.EMAIL:
        to = _own_address(actor)
        if not to:
            return False, _("You have no e-mail address to send the test message to.")
    reason = outbox.send_test(channel, subject=subject, body=body, to=to)
    return (False, reason) if reason else (True, _("OK"))


# -- allow-list and preferences -------------------------------------------------------------------


_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


def _require_group_admin(actor) -> None:
    if not access_of(actor).is_group_admin:
        raise PermissionDenied(_("Only a group system admin may do this."))


@transaction.atomic
def allow_address(value: str, *, actor, note: str = "") -> AllowedAddress:
    """Let channels reach an internal host, address or network (group admins only)."""
    _require_group_admin(actor)
    value = (value or "").strip().lower()
    if not value:
        raise DomainError(_("This field is required."), field="value")
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        if not _HOST_NAME.match(value):
            raise DomainError(
                _("Enter a host name, an IP address or a network such as 10.0.0.0/8."), field="value"
            ) from None
    allowed, created = AllowedAddress.objects.get_or_create(value=value, defaults={"note": note})
    if created:
        audit.record("create", actor=actor, obj=allowed, after={"value": value, "note": note})
    return allowed


@transaction.atomic
def disallow_address(allowed: AllowedAddress, *, actor) -> None:
    """Take an address off the allow-list; channels that need it fail their next send with the reason."""
    _require_group_admin(actor)
    audit.record("delete", actor=actor, obj=allowed, before={"value": allowed.value, "note": allowed.note})
    allowed.delete()


def preference_of(user) -> Preference:
    """The user's preferences, or the defaults (not saved) when they have none."""
    return Preference.objects.filter(user=user).first() or Preference(user=user, channels=["email"])


def announcement_channels(unit_ids) -> list[Recipient]:
    """The general office's channels (Art. 13) of these units: where suspension and recovery go."""
    ids = Channel.objects.filter(unit_id__in=unit_ids, announcements=True, enabled=True).values_list(
        "pk", flat=True
    )
    return [Recipient("channel", str(pk)) for pk in ids.order_by("pk")]


def visible_channels(user) -> models.QuerySet:
    return scoping.visible(Channel.objects.filter(enabled=True), user)


@transaction.atomic
def set_preferences(user, *, channels: list, quiet_start=None, quiet_end=None, language=Language.ZH_HANS):
    """Save the user's own preferences; channels are "email" or ids of channels they can see."""
    clean = []
    seen_ids = set(visible_channels(user).values_list("pk", flat=True))
    for entry in channels or []:
        entry = str(entry).strip()
        if entry == "email":
            clean.append("email")
        elif entry.isdigit() and int(entry) in seen_ids:
            clean.append(entry)
        else:
            raise DomainError(_("Unknown channel: %(value)s") % {"value": entry}, field="channels")
    if (quiet_start is None) != (quiet_end is None):
        field = "quiet_end" if quiet_end is None else "quiet_start"
        raise DomainError(_("Quiet hours need both a start and an end."), field=field)
    if quiet_start is not None and quiet_start == quiet_end:
        raise DomainError(_("Quiet hours cannot start and end at the same time."), field="quiet_end")
    if language not in Language.values:
        raise DomainError(_("Unknown language."), field="language")
    preference, _created = Preference.objects.select_for_update().get_or_create(user=user)
    preference.channels = list(dict.fromkeys(clean))
    preference.quiet_start, preference.quiet_end, preference.language = quiet_start, quiet_end, language
    preference.save()
    return preference


def quiet_until(preference: Preference, now: datetime.datetime) -> datetime.datetime | None:
    """When the quiet hours around `now` end (local time), or None when `now` is not in them."""
    start, end = preference.quiet_start, preference.quiet_end
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    clock = local.time()
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:  # over midnight, e.g. 22:00–07:00
        quiet = clock >= start or clock < end
        end_day = local.date() + datetime.timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return None
    naive = datetime.datetime.combine(end_day, end)
    return timezone.make_aware(naive, timezone.get_current_timezone())


# -- the outbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    recipient_kind: str
    recipient: str
    language: str
    channel: Channel | None
    not_before: datetime.datetime | None = None
    error: str = ""
    user_id: int | None = None


def _email_channel(unit_id: int | None) -> Channel | None:
    """The SMTP server for a unit's e-mails: its own, else any enabled one (usually the group's)."""
    channels = Channel.objects.filter(kind=ChannelKind.EMAIL, enabled=True)
    return channels.filter(unit_id=unit_id).order_by("pk").first() or channels.order_by("pk").first()


def _no_email_server() -> str:
    return _("No e-mail server (SMTP channel) is configured for this unit or the group.")


def _email_target(address: str, language: str, unit_id: int | None, not_before=None) -> _Target:
    channel = _email_channel(unit_id)
    error = "" if channel is not None else _no_email_server()
    return _Target(RecipientKind.EMAIL, address, language, channel, not_before, error)


def _channel_target(value: str, language: str, not_before=None) -> _Target:
    channel = Channel.objects.filter(pk=int(value)).first() if str(value).isdigit() else None
    error = "" if channel is not None else _("The channel %(id)s does not exist.") % {"id": value}
    return _Target(RecipientKind.CHANNEL, str(value), language, channel, not_before, error)


def _expand(recipient: Recipient, unit_id: int | None, urgent: bool, now) -> list[_Target]:
    if recipient.kind == "email":
        return [_email_target(recipient.value.strip(), recipient.language, unit_id)]
    if recipient.kind == "channel":
        return [_channel_target(recipient.value, recipient.language)]
    if recipient.kind != "user":
        raise DomainError(_("Unknown kind of recipient."), field="recipients")
    user = get_user_model().objects.filter(pk=recipient.value).first() if recipient.value.isdigit() else None
    if user is None:
        raise DomainError(_("No such user: %(id)s") % {"id": recipient.value}, field="recipients")
    preference = preference_of(user)
    language = preference.language if preference.pk else recipient.language
    not_before = None if urgent else quiet_until(preference, now)
    targets = []
    for entry in preference.channels or ["email"]:
        if entry == "email":
            address = _own_address(user)
            if address:
                target = _email_target(address, language, unit_id, not_before)
            else:
                error = _("%(user)s has no e-mail address.") % {"user": user.get_username()}
                target = _Target(RecipientKind.EMAIL, f"user:{user.pk}", language, None, not_before, error)
        else:
            target = _channel_target(entry, language, not_before)
        targets.append(_Target(**{**target.__dict__, "user_id": user.pk}))
    return targets


def _works(target: _Target) -> bool:
    return not target.error and target.channel is not None and target.channel.enabled


def reachable(recipients: list[Recipient], unit_id: int | None) -> list[Recipient]:
    """The recipients at least one of whose targets works now (see the module's docstring)."""
    now = timezone.now()
    return [r for r in recipients if any(_works(t) for t in _expand(r, unit_id, True, now))]


def _counts(delivery: Delivery) -> bool:
    """Sent, or queued on a working channel: enabled, and no attempt of this delivery failed yet (a
    delivery waiting for its retry is on a channel that just failed). A merged one counts as its digest."""
    if delivery.state == DeliveryState.MERGED:
        delivery = delivery.digest
        if delivery is None:
            return False
    if delivery.state == DeliveryState.SENT:
        return True
    if delivery.state in (DeliveryState.PENDING, DeliveryState.SENDING):
        channel = delivery.channel
        return channel is not None and channel.enabled and not delivery.last_error
    return False


def reached(event_key: str, recipients: list[Recipient], unit_id: int | None) -> bool:
    """Whether the notice of `event_key` reached one of `recipients` (see the module's docstring)."""
    now = timezone.now()
    keys = {(t.recipient_kind, t.recipient) for r in recipients for t in _expand(r, unit_id, True, now)}
    deliveries = Delivery.objects.filter(event_key=event_key).select_related(
        "channel", "digest", "digest__channel"
    )
    return any(_counts(d) for d in deliveries if (d.recipient_kind, d.recipient) in keys)


def _text(mapping: dict[str, str], language: str) -> str:
    return (mapping or {}).get(language) or (mapping or {}).get(language.split("-")[0]) or ""


def send(
    *,
    event_key: str,
    unit_id: int | None,
    recipients: list[Recipient],
    subject: dict[str, str],
    body: dict[str, str],
    urgent: bool = False,
    again: bool = False,
    now_in_this_process: bool = False,
) -> list[Delivery]:
    """Write the notice and one delivery per new (event, recipient); queue them after commit. With
    `again`, a failed delivery whose target works now is sent again (see the module's docstring).
    With `now_in_this_process`, the due deliveries are sent after commit by the calling process itself
    instead of being queued for a worker (for a notice that the workers are down)."""
    event_key = (event_key or "").strip()
    if not event_key:
        raise DomainError(_("This field is required."), field="event_key")
    subject_zh = _text(subject, Language.ZH_HANS)
    if not subject_zh:
        raise DomainError(_("A notice needs a Chinese subject."), field="subject")
    now = timezone.now()
    targets = [target for recipient in recipients for target in _expand(recipient, unit_id, urgent, now)]
    people = sorted({int(r.value) for r in recipients if r.kind == "user"})
    with transaction.atomic():
        notice, _created = Notice.objects.get_or_create(
            event_key=event_key,
            defaults={
                "unit_id": unit_id,
                "subject_zh": subject_zh[:300],
                "subject_en": _text(subject, Language.EN)[:300],
                "body_zh": _text(body, Language.ZH_HANS),
                "body_en": _text(body, Language.EN),
                "urgent": urgent,
            },
        )
        _to_inboxes(notice, people)
        if not targets:
            _nobody_to_reach(notice)
            return []
        existing = {(d.recipient_kind, d.recipient): d for d in Delivery.objects.filter(event_key=event_key)}
        created = []
        for target in targets:
            key = (target.recipient_kind, target.recipient)
            if key in existing:
                earlier = existing[key]
                failed = earlier is not None and (
                    earlier.state == DeliveryState.FAILED
                    or (earlier.state == DeliveryState.PENDING and earlier.last_error)
                )
                if again and failed and _works(target):
                    earlier.channel, earlier.state, earlier.attempts, earlier.last_error = (
                        target.channel,
                        DeliveryState.PENDING,
                        0,
                        "",
                    )
                    earlier.next_attempt_at, earlier.claimed_at = target.not_before or now, None
                    earlier.save(
                        update_fields=[
                            "channel",
                            "state",
                            "attempts",
                            "last_error",
                            "next_attempt_at",
                            "claimed_at",
                        ]
                    )
                    existing[key] = None
                    created.append(earlier)
                continue
            existing[key] = None
            delivery = Delivery(
                notice=notice,
                event_key=event_key,
                unit_id=unit_id,
                channel=target.channel,
                recipient_kind=target.recipient_kind,
                recipient=target.recipient[:254],
                user_id=target.user_id,
                language=target.language,
                next_attempt_at=target.not_before or now,
            )
            if target.error:
                delivery.state, delivery.last_error = DeliveryState.FAILED, target.error[:500]
            try:
                with transaction.atomic():  # a concurrent twin wins the unique key; this one steps aside
                    delivery.save()
            except IntegrityError:
                continue
            created.append(delivery)
    due = [d.pk for d in created if d.state == DeliveryState.PENDING and d.next_attempt_at <= now]
    if due and now_in_this_process:
        transaction.on_commit(lambda: [outbox.process(pk) for pk in due])
    elif due:
        # Robust: the rows are committed, so a broker that is away is logged, not raised into the
        # caller's answer (a 500 on a saved write); the sweep queues them once the broker is back.
        transaction.on_commit(lambda: [tasks.deliver.delay(pk) for pk in due], robust=True)
    return created


def _to_inboxes(notice: Notice, user_ids: list[int]) -> None:
    """The notice lands in the inbox of every person it names, once (a retried send adds nothing)."""
    if user_ids:
        InboxItem.objects.bulk_create(
            [InboxItem(user_id=pk, notice=notice, unit_id=notice.unit_id) for pk in user_ids],
            ignore_conflicts=True,
        )


def _nobody_to_reach(notice: Notice) -> None:
    """A notice that named no recipient at all: the delivery log says so, instead of showing nothing."""
    Delivery.objects.get_or_create(
        event_key=notice.event_key,
        recipient_kind=RecipientKind.NOBODY,
        recipient="",
        defaults={
            "notice": notice,
            "unit_id": notice.unit_id,
            "state": DeliveryState.UNREACHABLE,
            "last_error": _("The notice named nobody who could be reached."),
            "next_attempt_at": timezone.now(),
        },
    )


# -- the inbox ------------------------------------------------------------------------------------


def inbox(user) -> models.QuerySet:
    """The person's own inbox, newest first: nobody reads another's."""
    if user is None or not user.is_authenticated:
        return InboxItem.objects.none()
    return InboxItem.objects.filter(user=user).select_related("notice").order_by("-id")


UNREAD_SHOWN = 99


def unread_count(user) -> int:
    """Unread notices of the person, counted up to UNREAD_SHOWN + 1 (the top bar shows "99+"): one
    index range scan over the partial index of unread rows, however large the inbox."""
    if user is None or not user.is_authenticated:
        return 0
    rows = InboxItem.objects.filter(user=user, read_at__isnull=True).values_list("pk", flat=True)
    return len(rows[: UNREAD_SHOWN + 1])


def mark_read(item: InboxItem, *, user) -> InboxItem:
    """Mark one of the person's own notices read (a no-op when it already is)."""
    if item.user_id != getattr(user, "pk", None):
        raise PermissionDenied(_("This notice is not in your inbox."))
    if item.read_at is None:
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=timezone.now())
        item.refresh_from_db(fields=["read_at"])
    return item


def mark_all_read(user) -> int:
    """Mark every unread notice of the person read; how many were."""
    return InboxItem.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def _delivery_view(delivery: Delivery) -> dict:
    return {
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "channel": delivery.channel_id,
    }


@transaction.atomic
def retry_delivery(delivery: Delivery, *, actor) -> Delivery:
    """Send a failed delivery again: its attempts start over and the worker takes it as a new one.

    An e-mail whose server was missing or deleted goes through the unit's e-mail server of now.
    """
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    require_manage(actor, locked.unit_id)
    if locked.state != DeliveryState.FAILED:
        raise TransitionNotAllowed(
            _("Only a failed delivery can be sent again; this one is “%(state)s”.")
            % {"state": locked.get_state_display()},
            field="state",
        )
    if locked.recipient_kind == RecipientKind.EMAIL:
        if "@" not in locked.recipient:
            raise TransitionNotAllowed(_("There is no e-mail address to send this to."), field="recipient")
        if locked.channel_id is None:
            locked.channel = _email_channel(locked.unit_id)
            if locked.channel is None:
                raise TransitionNotAllowed(_no_email_server(), field="channel")
    elif locked.channel_id is None:
        raise TransitionNotAllowed(_("The channel was deleted."), field="channel")
    before = _delivery_view(locked)
    locked.state, locked.attempts, locked.last_error = DeliveryState.PENDING, 0, ""
    locked.next_attempt_at, locked.claimed_at = timezone.now(), None
    locked.save(update_fields=["state", "attempts", "last_error", "next_attempt_at", "claimed_at", "channel"])
    audit.record("transition", actor=actor, obj=locked, before=before, after=_delivery_view(locked))
    transaction.on_commit(lambda: tasks.deliver.delay(locked.pk), robust=True)  # as in send: the sweep
    return locked
