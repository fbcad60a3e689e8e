"""The sweeps of alert intake (Art. 3): stale alerts, silent integrations, and the retention of payloads.

Each sweep reads candidates from stored, indexed deadlines and claims each with a conditional update whose
row count says whether this worker won (Healthchecks' `sendalerts`), so several workers sweeping at once
change and tell each thing once.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yunwei.notify import services as notify
from yunwei.org.choices import Role, UnitKind
from yunwei.org.models import Unit
from yunwei.org.services import accounts_holding

from ..choices import AlertChange, AlertStatus, IntegrationState
from ..models import Alert, Integration, Payload, SeenSignature
from .history import alert_changed

BATCH = 1000


# -- stale alerts ---------------------------------------------------------------------------------


def sweep_stale(now: datetime.datetime | None = None, limit: int = BATCH) -> int:
    """Mark stale every firing alert not repeated within k × its integration's repeat interval, so a lost
    "resolved" does not leave it firing for ever; returns how many changed."""
    now = now or timezone.now()
    candidates = Alert.objects.filter(status=AlertStatus.FIRING, stale_after__lt=now).order_by("stale_after")
    changed = 0
    for pk in list(candidates.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            rows = Alert.objects.filter(pk=pk, status=AlertStatus.FIRING, stale_after__lt=now)
            if rows.update(status=AlertStatus.STALE, stale_after=None) != 1:
                continue  # a repeat or another worker came first
            alert_changed(Alert.objects.get(pk=pk), AlertChange.STALE, at=now, previous=AlertStatus.FIRING)
            changed += 1
    return changed


# -- silent integrations --------------------------------------------------------------------------


def quiet(integration: Integration, now: datetime.datetime, traffic: int | None = None) -> bool:
    """Whether the integration has gone quiet: its watchdog not seen, or fewer payloads than its minimum,
    within its quiet period (counted from its creation at the earliest)."""
    horizon = now - datetime.timedelta(seconds=integration.quiet_after)
    if integration.created_at > horizon:
        return False
    watched = integration.expect_watchdog and integration.watchdog_alert
    if watched and (integration.last_watchdog_at is None or integration.last_watchdog_at < horizon):
        return True
    if integration.min_payloads:
        if traffic is None:
            traffic = integration.payloads.filter(received_at__gte=horizon).count()
        if traffic < integration.min_payloads:
            return True
    return False


def sweep_silent(now: datetime.datetime | None = None) -> int:
    """Mark silent (and tell) every watched integration gone quiet; wake those whose traffic is back.
    Returns how many changed."""
    now = now or timezone.now()
    watched = Integration.objects.select_related("unit").filter(
        Q(expect_watchdog=True) & ~Q(watchdog_alert="") | Q(min_payloads__gt=0)
    )
    changed = 0
    for integration in watched:
        horizon = now - datetime.timedelta(seconds=integration.quiet_after)
        traffic = None
        if integration.min_payloads:
            traffic = Payload.objects.filter(integration=integration, received_at__gte=horizon).count()
        is_quiet = quiet(integration, now, traffic)
        if is_quiet and integration.state == IntegrationState.RECEIVING:
            changed += silence(integration.pk, now)
        elif not is_quiet and integration.state == IntegrationState.SILENT:
            changed += wake(integration.pk, now)
    return changed


@transaction.atomic
def silence(integration_id: int, now: datetime.datetime) -> bool:
    claimed = Integration.objects.filter(pk=integration_id, state=IntegrationState.RECEIVING).update(
        state=IntegrationState.SILENT, silent_since=now
    )
    if claimed != 1:
        return False
    tell(Integration.objects.select_related("unit").get(pk=integration_id), IntegrationState.SILENT, at=now)
    return True


@transaction.atomic
def wake(integration_id: int, now: datetime.datetime) -> bool:
    """Back to receiving (a watchdog or enough traffic again), told once, by whoever claims it."""
    integration = Integration.objects.select_related("unit").filter(pk=integration_id).first()
    if integration is None or integration.state != IntegrationState.SILENT:
        return False
    if integration.min_payloads and quiet(integration, now):
        return False  # one payload is not yet the minimum traffic
    claimed = Integration.objects.filter(pk=integration_id, state=IntegrationState.SILENT).update(
        state=IntegrationState.RECEIVING, silent_since=None
    )
    if claimed != 1:
        return False
    tell(integration, IntegrationState.RECEIVING, at=now)
    return True


NOTICES = {
    IntegrationState.SILENT: {
        "zh-hans": (
            "【告警接入静默】{name}",
            "{unit}的告警接入“{name}”（{kind}）已超过{minutes}分钟未收到看门狗告警或最低流量。"
            "监控系统本身可能已停止工作，请检查其告警发送。",
        ),
        "en": (
            "[Alert integration silent] {name}",
            "The alert integration “{name}” ({kind}) of {unit} has received neither its watchdog alert nor "
            "its minimum traffic for over {minutes} minutes. The monitoring system itself may have stopped: "
            "please check that it still sends alerts.",
        ),
    },
    IntegrationState.RECEIVING: {
        "zh-hans": ("【告警接入恢复】{name}", "{unit}的告警接入“{name}”于{at}重新收到告警。"),
        "en": (
            "[Alert integration receiving] {name}",
            "The alert integration “{name}” of {unit} receives alerts again since {at}.",
        ),
    },
}


def recipients_of(integration: Integration) -> list[int]:
    """The unit's system admins and system management lead; the group's admins when the unit has none."""
    accounts = accounts_holding([Role.UNIT_ADMIN, Role.SYSTEM_LEAD], [integration.unit_id])
    if accounts:
        return accounts
    group_ids = list(Unit.objects.filter(kind=UnitKind.GROUP).values_list("pk", flat=True))
    return accounts_holding(Role.GROUP_ADMIN, group_ids)


def tell(integration: Integration, state: str, *, at: datetime.datetime) -> list:
    """Tell of an integration gone silent or receiving again: a notice, never an incident on an item."""
    values = {
        "name": integration.name,
        "unit": integration.unit.name,
        "kind": integration.get_kind_display(),
        "minutes": integration.quiet_after // 60,
        "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
    }
    templates = NOTICES[state]
    return notify.send(
        event_key=f"alert-integration:{integration.pk}:{state}:{at:%Y%m%dT%H%M%S}",
        unit_id=integration.unit_id,
        recipients=notify.user_recipients(recipients_of(integration)),
        subject={language: s.format(**values) for language, (s, _b) in templates.items()},
        body={language: b.format(**values) for language, (_s, b) in templates.items()},
    )


# -- retention ------------------------------------------------------------------------------------


def prune(now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    """Delete raw payloads past their integration's retention and signatures past their window, in
    batches of `batch` rows (no long lock, no unbounded table); alerts are kept. Returns rows deleted."""
    now = now or timezone.now()
    deleted = 0
    retention = Integration.objects.values_list("pk", "payload_retention_days")
    for integration_id, days in retention:
        cutoff = now - datetime.timedelta(days=days)
        while True:
            ids = list(
                Payload.objects.filter(integration_id=integration_id, received_at__lt=cutoff)
                .order_by("received_at")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            deleted += Payload.objects.filter(pk__in=ids).delete()[0]
    while True:
        ids = list(SeenSignature.objects.filter(expires_at__lt=now).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        deleted += SeenSignature.objects.filter(pk__in=ids).delete()[0]
    return deleted
