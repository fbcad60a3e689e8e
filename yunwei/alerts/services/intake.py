"""The intake path (Art. 3, 13): token, signature, parse, store raw, dedup, map — one transaction per
request, answered after the commit. Machine data only: nothing here calls the audit chain, so a storm of
alerts never queues behind people's audited writes (DESIGN).

Refusals store nothing: an unknown token (`Unauthenticated`, 401), a missing or wrong signature
(`Unauthenticated`, 401), an old timestamp or a replayed signature (`Forbidden`, 403) and a payload of
the wrong shape (DomainError, 400) all roll the transaction back, the seen signature with it.
"""

import datetime
import hashlib
import hmac
import ipaddress

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yunwei.cmdb.models import Item

from ..choices import AlertChange, AlertStatus, IntegrationState, MatchField, MatchState
from ..models import Alert, Integration, LabelMapping, MappingRule, Payload, SeenSignature
from . import parsing
from .history import alert_changed, alerts_created, ask_for_correlation, first_change
from .sweeps import wake

SIGNATURE_HEADER = "X-Yunwei-Signature"
TIMESTAMP_HEADER = "X-Yunwei-Timestamp"
DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected
DEADLOCK_RETRIES = 2
# How stale the integration's last-payload and last-watchdog times may get before a request rewrites them.
MARK_EVERY = datetime.timedelta(seconds=10)
# The labels looked at for an unmatched alert's sibling key when no rule's label has a value.
FALLBACK_KEYS = ("instance", "host", "hostname", "job")


class Unauthenticated(Exception):
    """401: no token, an unknown one, or a missing or wrong signature."""


class Forbidden(Exception):
    """403: a signature outside its time window, or one already used (a replay)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def integration_for(token: str, kind: str) -> Integration:
    """The integration of this token and kind, or Unauthenticated (the same answer for a token of another
    kind: a caller learns nothing about which tokens exist)."""
    if not token:
        raise Unauthenticated(_("Send the integration's token."))
    integration = Integration.objects.filter(token_hash=token_hash(token)).first()
    if integration is None or integration.kind != kind:
        raise Unauthenticated(_("Unknown token."))
    return integration


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex: what a sender puts after `sha256=`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(integration: Integration, body: bytes, timestamp, signature, now) -> str | None:
    """The accepted signature (to be remembered), None when none was needed; raises otherwise."""
    if not integration.hmac_secret or (not signature and not integration.signature_required):
        return None
    if not signature or not timestamp:
        raise Unauthenticated(
            _("Sign the request: headers %(ts)s and %(sig)s.")
            % {"ts": TIMESTAMP_HEADER, "sig": SIGNATURE_HEADER}
        )
    given = signature.removeprefix("sha256=").strip().lower()
    if not hmac.compare_digest(given, sign(integration.hmac_secret, timestamp.strip(), body)):
        raise Unauthenticated(_("The signature does not match the body and timestamp."))
    try:
        moment = datetime.datetime.fromtimestamp(int(timestamp.strip()), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise Unauthenticated(_("The timestamp is not a number of seconds since 1970.")) from None
    if abs((now - moment).total_seconds()) > integration.signature_window:
        raise Forbidden(
            _("The timestamp is outside the %(seconds)s-second window.")
            % {"seconds": integration.signature_window}
        )
    return given


# -- mapping --------------------------------------------------------------------------------------


def instance_host(value: str) -> str:
    """The host part of Prometheus' `instance` (`host:port`, `[v6]:port`, a bare host or IP)."""
    value = value.strip()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def _lookup(unit_id: int, field: str, value: str) -> list[int]:
    return list(candidates(unit_id, field, value).values_list("pk", flat=True)[:2])  # one, or two: "several"


def candidates(unit_id: int, field: str, value: str):
    """The unit's items a rule's value names (read by index: the hostname's in any case too)."""
    items = Item.objects.filter(unit_id=unit_id).order_by()
    if field == MatchField.CODE:
        return items.filter(code=value)
    if field == MatchField.HOSTNAME:
        return items.filter(hostname__iexact=value)
    if field == MatchField.IP:
        return items.filter(ip=value) if _is_ip(value) else items.none()
    host = instance_host(value)
    return items.filter(ip=host) if _is_ip(host) else items.filter(hostname__iexact=host)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# The rules and hand mappings of each integration, kept by the process under the integration's
# `rules_key` (read with the integration by every request, so checking it costs nothing): every write of a
# rule or a hand mapping gives the integration a new key, and the next request reads them again.
_RULES: dict[int, tuple[str, list, dict]] = {}
_RULES_KEPT = 256


def _rules_of(integration: Integration) -> tuple[list, dict]:
    kept = _RULES.get(integration.pk)
    if kept is None or kept[0] != integration.rules_key or not integration.rules_key:
        rules = list(MappingRule.objects.filter(integration=integration).order_by("position", "id"))
        kept = (integration.rules_key, rules, {})
        if len(_RULES) >= _RULES_KEPT:
            _RULES.clear()
        _RULES[integration.pk] = kept
    return kept[1], kept[2]


class Mapper:
    """The rules and hand mappings of one integration (kept by the process until one of them is written);
    the inventory's lookups cached by value for the request."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self.rules, self.hands = _rules_of(integration)
        self.cache: dict = {}

    def _hand(self, label: str, value: str) -> int | None:
        key = (label, value)
        if key not in self.hands:
            self.hands[key] = (
                LabelMapping.objects.filter(integration=self.integration, label=label, value=value)
                .values_list("item_id", flat=True)
                .first()
            )
        return self.hands[key]

    def place(self, labels: dict) -> tuple[str, int | None, str, str]:
        """(match state, item id, the label that decided, its value)."""
        first_key = None
        for rule in self.rules:
            value = (labels.get(rule.label) or "").strip()
            if not value:
                continue
            first_key = first_key or (rule.label, value)
            hand = self._hand(rule.label, value)
            if hand is not None:
                return MatchState.MANUAL, hand, rule.label, value
            cache_key = (rule.field, value)
            if cache_key not in self.cache:
                self.cache[cache_key] = _lookup(self.integration.unit_id, rule.field, value)
            found = self.cache[cache_key]
            if len(found) == 1:
                return MatchState.MATCHED, found[0], rule.label, value
            if len(found) > 1:
                return MatchState.AMBIGUOUS, None, rule.label, value
        if first_key is None:
            first_key = next(
                ((key, labels[key].strip()) for key in FALLBACK_KEYS if (labels.get(key) or "").strip()),
                ("", ""),
            )
            if first_key[0]:
                hand = self._hand(*first_key)
                if hand is not None:
                    return MatchState.MANUAL, hand, *first_key
        return MatchState.UNMATCHED, None, first_key[0], first_key[1][:500]


# -- the intake -----------------------------------------------------------------------------------


def receive(
    token: str,
    kind: str,
    body: bytes,
    *,
    content_type: str = "application/json",
    timestamp: str | None = None,
    signature: str | None = None,
    remote_addr: str | None = None,
    now: datetime.datetime | None = None,
) -> Payload:
    """Authenticate, verify, parse and store one request; returns its Payload once committed."""
    now = now or timezone.now()
    integration = integration_for(token, kind)
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            return _receive(integration, body, content_type, timestamp, signature, remote_addr, now)
        except OperationalError as exc:
            # Two deliveries creating and repeating the same alerts can, rarely, lock each other in a
            # cycle on PostgreSQL; the database aborts one, which is run again whole (nothing of it stayed).
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK or attempt == DEADLOCK_RETRIES:
                raise
    raise AssertionError("unreachable")


def _receive(integration, body, content_type, timestamp, signature, remote_addr, now) -> Payload:
    with transaction.atomic():
        accepted = verify_signature(integration, body, timestamp, signature, now)
        if accepted:
            try:
                with transaction.atomic():
                    SeenSignature.objects.create(
                        integration=integration,
                        signature=accepted,
                        expires_at=now + datetime.timedelta(seconds=integration.signature_window),
                    )
            except IntegrityError:
                raise Forbidden(_("This signature was already used: a replay.")) from None
        incoming = parsing.PARSERS[integration.kind](parsing.parse_json(body))
        payload = Payload(
            integration=integration,
            received_at=now,
            body=body.decode("utf-8"),
            content_type=content_type[:100],
            remote_addr=remote_addr or None,
        )
        payload.outcome = ingest(integration, incoming, now)
        payload.alert_count = len(incoming)
        payload.save()
        _mark_received(integration, incoming, now)
    ask_for_correlation()
    return payload


def _mark_received(integration: Integration, incoming: list, now) -> None:
    """Note the traffic on the integration. Written only when the stored time is older than
    `MARK_EVERY`: on PostgreSQL an UPDATE of the one integration row by every request would queue all of
    its concurrent requests on that row's lock; a conditional UPDATE that matches nothing takes none. The
    times read with the integration at the start of the request can only be older than the stored ones, so
    a recent one read there spares the query."""
    rows = Integration.objects.filter(pk=integration.pk)
    stale = now - MARK_EVERY

    def _recent(at) -> bool:
        return at is not None and at >= stale

    if not _recent(integration.last_payload_at):
        rows.filter(Q(last_payload_at__isnull=True) | Q(last_payload_at__lt=stale)).update(
            last_payload_at=now
        )
    watchdog = integration.watchdog_alert
    fired = watchdog and any(
        alert.name == watchdog and alert.status == AlertStatus.FIRING for alert in incoming
    )
    if fired and not _recent(integration.last_watchdog_at):
        rows.filter(Q(last_watchdog_at__isnull=True) | Q(last_watchdog_at__lt=stale)).update(
            last_watchdog_at=now
        )
    if integration.state == IntegrationState.SILENT:
        wake(integration.pk, now)


def ingest(integration: Integration, incoming: list, now: datetime.datetime) -> list[dict]:
    """Store each alert once by its identity; a repeat changes no state, only last-seen and the count.
    Each change of state goes into the correlation outbox. Returns how each was mapped (the payload's
    `outcome`). The watchdog is not an alert on an item: it only proves the source alive."""
    watchdog = integration.watchdog_alert
    keyed = {}
    for alert in incoming:
        if watchdog and alert.name == watchdog:
            continue
        keyed[parsing.identity(alert, integration.replica_labels)] = alert  # the last of a key wins
    # Sorted, and locked in that order: two batches sharing alerts lock them in the same order, never in a
    # cycle (a deadlock on PostgreSQL).
    fingerprints = sorted(keyed)
    existing = {
        alert.fingerprint: alert
        for alert in Alert.objects.select_for_update()
        .filter(integration=integration, fingerprint__in=fingerprints)
        .only(*REPEAT_FIELDS)
        .order_by("fingerprint")
    }
    stale_in = datetime.timedelta(seconds=integration.repeat_interval * integration.stale_factor)
    # Read the rules only when a new alert needs placing (most deliveries are repeats).
    mapper = Mapper(integration) if len(existing) < len(fingerprints) else None
    created = _create_all(
        integration, mapper, [(fp, keyed[fp]) for fp in fingerprints if fp not in existing], now, stale_in
    )
    outcome = []
    counted: dict[bool, list[Alert]] = {True: [], False: []}  # plain repeats, by firing or not
    for fingerprint in fingerprints:
        new = keyed[fingerprint]
        alert = existing.get(fingerprint)
        if alert is not None and _plain_repeat(alert, new):
            counted[alert.status == AlertStatus.FIRING].append(alert)
        elif alert is None and fingerprint in created:
            alert = created[fingerprint]
        elif alert is None:
            try:
                with transaction.atomic():
                    alert = _create(integration, mapper, fingerprint, new, now, stale_in)
            except IntegrityError:
                # Another request stored the same new alert meanwhile: this delivery is its repeat.
                alert = Alert.objects.select_for_update().get(
                    integration=integration, fingerprint=fingerprint
                )
                _repeat(alert, new, now, stale_in)
        else:
            _repeat(alert, new, now, stale_in)
        outcome.append(
            {
                "alert": alert.pk,
                "name": alert.name,
                "status": alert.status,
                "match": alert.match,
                "item": alert.item_id,
                "key": f"{alert.match_label}={alert.match_value}" if alert.match_label else "",
            }
        )
    _count_repeats(counted[True], now, stale_after=now + stale_in)
    _count_repeats(counted[False], now)
    return outcome


def _create_all(integration, mapper, new_ones: list, now, stale_in) -> dict[str, Alert]:
    """The delivery's new alerts in one INSERT, with their first changes (`history.alerts_created`), by
    fingerprint. When another request stored one of them meanwhile, nothing: the caller then stores them
    one by one, and that one is this delivery's repeat."""
    if not new_ones:
        return {}
    alerts = [_new(integration, mapper, fingerprint, new, now, stale_in) for fingerprint, new in new_ones]
    try:
        with transaction.atomic():
            Alert.objects.bulk_create(alerts)
    except IntegrityError:
        return {}
    alerts_created(alerts, at=now)
    return {alert.fingerprint: alert for alert in alerts}


def _create(integration, mapper, fingerprint, new, now, stale_in) -> Alert:
    alert = _new(integration, mapper, fingerprint, new, now, stale_in)
    alert.save(force_insert=True)
    alert_changed(alert, first_change(alert), at=now)
    return alert


def _new(integration, mapper, fingerprint, new, now, stale_in) -> Alert:
    match, item_id, label, value = mapper.place(new.labels)
    firing = new.status == AlertStatus.FIRING
    return Alert(
        integration=integration,
        unit_id=integration.unit_id,
        fingerprint=fingerprint,
        name=new.name,
        severity=new.severity,
        labels=new.labels,
        annotations=new.annotations,
        status=new.status,
        starts_at=new.starts_at or now,
        ends_at=new.ends_at if not firing else None,
        first_seen_at=now,
        last_seen_at=now,
        stale_after=now + stale_in if firing else None,
        match=match,
        match_label=label,
        match_value=value,
        item_id=item_id,
        source_url=new.source_url,
    )


# What a repeat reads of a stored alert (and the payload's outcome shows): not its labels.
REPEAT_FIELDS = (
    "id",
    "integration",
    "unit",
    "fingerprint",
    "name",
    "status",
    "annotations",
    "repeat_count",
    "match",
    "match_label",
    "match_value",
    "item",
)


def _plain_repeat(alert: Alert, new) -> bool:
    """A redelivery that changes nothing but the alert's last-seen time and count."""
    same = new.is_update or new.status == alert.status
    return same and not (new.annotations and new.annotations != alert.annotations)


def _count_repeats(alerts: list[Alert], now, **fields) -> None:
    """One UPDATE for all the plain repeats of a delivery (a batch of 50 is mostly repeats), on rows
    already locked by `ingest`."""
    if alerts:
        Alert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(
            last_seen_at=now, repeat_count=F("repeat_count") + 1, **fields
        )


def _repeat(alert: Alert, new, now, stale_in) -> None:
    fields = {"last_seen_at": now}
    if new.annotations and new.annotations != alert.annotations:
        fields["annotations"] = new.annotations
    changed = None
    if new.is_update or new.status == alert.status:
        fields["repeat_count"] = alert.repeat_count + 1
        if alert.status == AlertStatus.FIRING:
            fields["stale_after"] = now + stale_in
    elif new.status == AlertStatus.FIRING:  # resolved or stale, firing again
        changed = AlertChange.FIRED
        fields.update(status=AlertStatus.FIRING, stale_after=now + stale_in, ends_at=None)
        if alert.status == AlertStatus.RESOLVED:
            fields["starts_at"] = new.starts_at or now
    else:
        changed = AlertChange.RESOLVED
        fields.update(status=AlertStatus.RESOLVED, stale_after=None, ends_at=new.ends_at or now)
    Alert.objects.filter(pk=alert.pk).update(**fields)
    previous = alert.status
    for name, value in fields.items():
        setattr(alert, name, value)
    if changed:
        alert_changed(alert, changed, at=now, previous=previous)
