"""Reading the sources' payloads into one shape (docs/alerts.md): a list of `Incoming` alerts.

- Alertmanager's webhook, version 4: `{"version": "4", "status", "alerts": [{status, labels, annotations,
  startsAt, endsAt, generatorURL, fingerprint}], "groupKey", …}`; Grafana-managed alerts post the same
  shape with extra fields (`values`, `silenceURL`, `dashboardURL`, `orgId`, …), which are ignored.
- Zabbix: the webhook media type's parameters as one JSON object (the script posts its `value`): see
  ZABBIX_PARAMETERS.
- Generic: `{"alerts": [{"name", "status", "labels", "annotations", "fingerprint"?, "starts_at"?,
  "ends_at"?}]}` or one such alert alone.

A payload of the wrong shape raises DomainError naming the field (`alerts[2].labels`), never a 500.
"""

import dataclasses
import datetime
import hashlib
import json

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from yunwei.core.errors import DomainError

from ..choices import AlertStatus, IntegrationKind

MAX_ALERTS = 1000
MAX_LABELS = 100
MAX_TEXT = 2000
# Zabbix writes a macro it could not resolve as itself: "{EVENT.RECOVERY.VALUE}" means "not given".
ZABBIX_PARAMETERS = (
    "event_id",
    "trigger_id",
    "host_name",
    "host_ip",
    "event_name",
    "event_value",
    "event_update_status",
    "event_source",
    "event_nseverity",
    "event_severity",
    "event_tags_json",
    "alert_subject",
    "alert_message",
    "zabbix_url",
)
ESCALATION_CANCELLED = ("escalation cancelled", "escalation canceled")


@dataclasses.dataclass
class Incoming:
    """One alert as a source told it: what the intake needs, whatever the source."""

    name: str
    status: str
    labels: dict
    annotations: dict
    fingerprint: str = ""  # the source's own identity, when it sends one
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    source_url: str = ""
    severity: str = ""
    is_update: bool = False  # a Zabbix update (acknowledged, commented): a repeat, never a state change


def parse_json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise DomainError(_("The body is not UTF-8 text."), field="body") from None
    except json.JSONDecodeError as exc:
        raise DomainError(
            _("The body is not valid JSON (%(error)s).")
            % {"error": f"{exc.msg}, line {exc.lineno} column {exc.colno}"},
            field="body",
        ) from None


def _text(value, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    if value is None or value == "":
        if required:
            raise DomainError(_("This field is required."), field=field)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise DomainError(_("Give a text."), field=field)
    return str(value)[:limit]


def _string_map(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError(_("Give an object of names and texts."), field=field)
    if len(value) > MAX_LABELS:
        raise DomainError(_("At most %(count)s entries.") % {"count": MAX_LABELS}, field=field)
    out = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise DomainError(_("Give a text."), field=f"{field}.{key}")
        out[str(key)[:100]] = str(item)[:MAX_TEXT]
    return out


def _moment(value, field: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise DomainError(_("Give a time as RFC 3339 (2026-01-31T08:00:00Z)."), field=field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    # Alertmanager's "no end" is year 1; Python keeps it, the database might not: none it is.
    return None if parsed.year < 1971 else parsed


def _status(value, field: str) -> str:
    if value not in (AlertStatus.FIRING, AlertStatus.RESOLVED):
        raise DomainError(_("Give “firing” or “resolved”."), field=field)
    return value


def _alert_list(data) -> list:
    if not isinstance(data, dict):
        raise DomainError(_("Give a JSON object."), field="body")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise DomainError(_("Give a list of alerts."), field="alerts")
    if len(alerts) > MAX_ALERTS:
        raise DomainError(
            _("At most %(count)s alerts in one request.") % {"count": MAX_ALERTS}, field="alerts"
        )
    return alerts


def alertmanager(data) -> list[Incoming]:
    incoming = []
    for index, alert in enumerate(_alert_list(data)):
        at = f"alerts[{index}]"
        if not isinstance(alert, dict):
            raise DomainError(_("Give a JSON object."), field=at)
        labels = _string_map(alert.get("labels"), f"{at}.labels")
        if not labels:
            raise DomainError(_("An alert needs its labels."), field=f"{at}.labels")
        incoming.append(
            Incoming(
                name=labels.get("alertname", "")[:300] or _("(no alertname)"),
                status=_status(alert.get("status"), f"{at}.status"),
                labels=labels,
                annotations=_string_map(alert.get("annotations"), f"{at}.annotations"),
                fingerprint=_text(alert.get("fingerprint"), f"{at}.fingerprint", limit=64),
                starts_at=_moment(alert.get("startsAt"), f"{at}.startsAt"),
                ends_at=_moment(alert.get("endsAt"), f"{at}.endsAt"),
                source_url=_text(alert.get("generatorURL"), f"{at}.generatorURL", limit=1000),
                severity=labels.get("severity", "")[:50],
            )
        )
    return incoming


def generic(data) -> list[Incoming]:
    if isinstance(data, dict) and "alerts" not in data:
        data = {"alerts": [data]}
    incoming = []
    for index, alert in enumerate(_alert_list(data)):
        at = f"alerts[{index}]"
        if not isinstance(alert, dict):
            raise DomainError(_("Give a JSON object."), field=at)
        labels = _string_map(alert.get("labels"), f"{at}.labels")
        name = _text(alert.get("name") or labels.get("alertname"), f"{at}.name", required=True, limit=300)
        labels.setdefault("alertname", name)
        incoming.append(
            Incoming(
                name=name,
                status=_status(alert.get("status", AlertStatus.FIRING), f"{at}.status"),
                labels=labels,
                annotations=_string_map(alert.get("annotations"), f"{at}.annotations"),
                fingerprint=_text(alert.get("fingerprint"), f"{at}.fingerprint", limit=64),
                starts_at=_moment(alert.get("starts_at"), f"{at}.starts_at"),
                ends_at=_moment(alert.get("ends_at"), f"{at}.ends_at"),
                source_url=_text(alert.get("url"), f"{at}.url", limit=1000),
                severity=_text(alert.get("severity") or labels.get("severity"), f"{at}.severity", limit=50),
            )
        )
    return incoming


def _zabbix_value(data: dict, name: str) -> str:
    value = _text(data.get(name), name)
    return "" if value.startswith("{") and value.endswith("}") and "." in value else value.strip()


def zabbix(data) -> list[Incoming]:
    """One Zabbix message: a problem (event_value 1), a recovery (0), an update (event_update_status 1).

    A message saying "escalation cancelled" (a host, trigger or action disabled) resolves. The identity is
    the problem's event id (a recovery message carries the problem's {EVENT.ID}); without one, the trigger
    id and the host — never the event's name, which a macro may change between problem and recovery."""
    if not isinstance(data, dict):
        raise DomainError(_("Give a JSON object."), field="body")
    event_id = _zabbix_value(data, "event_id")
    trigger_id = _zabbix_value(data, "trigger_id")
    host = _zabbix_value(data, "host_name")
    if not event_id and not (trigger_id and host):
        raise DomainError(_("Send event_id, or trigger_id and host_name."), field="event_id")
    value = _zabbix_value(data, "event_value")
    update = _zabbix_value(data, "event_update_status") == "1"
    text = f"{_zabbix_value(data, 'alert_subject')}\n{_zabbix_value(data, 'alert_message')}".lower()
    cancelled = any(words in text for words in ESCALATION_CANCELLED)
    if value not in ("0", "1") and not update and not cancelled:
        raise DomainError(_("Give event_value 1 (problem) or 0 (recovery)."), field="event_value")
    status = AlertStatus.RESOLVED if cancelled or value == "0" else AlertStatus.FIRING
    labels = {"host": host, "host_ip": _zabbix_value(data, "host_ip"), "trigger_id": trigger_id}
    tags = _zabbix_value(data, "event_tags_json")
    if tags:
        try:
            parsed = json.loads(tags)
        except json.JSONDecodeError:
            raise DomainError(
                _("Give the tags as {EVENT.TAGSJSON} sends them."), field="event_tags_json"
            ) from None
        if not isinstance(parsed, list):
            raise DomainError(_("Give the tags as {EVENT.TAGSJSON} sends them."), field="event_tags_json")
        for tag in parsed[:MAX_LABELS]:
            if isinstance(tag, dict) and tag.get("tag"):
                labels.setdefault(str(tag["tag"])[:100], str(tag.get("value", ""))[:MAX_TEXT])
    labels = {key: value for key, value in labels.items() if value}
    key = f"event:{event_id}" if event_id else f"trigger:{trigger_id}:host:{host}"
    name = _zabbix_value(data, "event_name") or _zabbix_value(data, "alert_subject") or _("Zabbix problem")
    return [
        Incoming(
            name=name[:300],
            status=status,
            labels={**labels, "alertname": name[:300]},
            annotations={
                key: text
                for key, text in (
                    ("subject", _zabbix_value(data, "alert_subject")),
                    ("message", _zabbix_value(data, "alert_message")),
                    ("event_id", event_id),
                )
                if text
            },
            fingerprint=hashlib.sha256(f"zabbix:{key}".encode()).hexdigest(),
            source_url=_zabbix_value(data, "zabbix_url")[:1000],
            severity=(_zabbix_value(data, "event_severity") or _zabbix_value(data, "event_nseverity"))[:50],
            is_update=update and not cancelled and value != "0",
        )
    ]


PARSERS = {
    IntegrationKind.ALERTMANAGER: alertmanager,
    IntegrationKind.ZABBIX: zabbix,
    IntegrationKind.GENERIC: generic,
}


def identity(incoming: Incoming, replica_labels) -> str:
    """The source's own fingerprint as it is; else sha256 of the sorted labels without the replica
    labels, so a redundant Prometheus pair (the same alert from two replicas) counts once."""
    if incoming.fingerprint:
        return incoming.fingerprint
    dropped = set(replica_labels or ())
    labels = sorted((key, value) for key, value in incoming.labels.items() if key not in dropped)
    return hashlib.sha256(json.dumps(labels, ensure_ascii=False).encode()).hexdigest()


# A sample of each kind: the labels a rule is checked against before the integration has received one.
SAMPLES = {
    IntegrationKind.ALERTMANAGER: {
        "alertname": "InstanceDown",
        "instance": "oa-app-01:9100",
        "job": "node",
        "severity": "critical",
    },
    IntegrationKind.ZABBIX: {
        "alertname": "High CPU",
        "host": "oa-db-01",
        "host_ip": "10.0.0.5",
        "trigger_id": "13",
    },
    IntegrationKind.GENERIC: {"alertname": "Disk full", "host": "oa-file-01"},
}
