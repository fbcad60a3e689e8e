"""Demo alerts and correlation (Art. 3, 13, 18): the power company's Prometheus Alertmanager and Zabbix,
with ten weeks of alerts fired and resolved through the real intake path (`services.receive` with the
moment each was received), folded into incidents by correlation and handled through the incidents flow.

Among them: a core switch failing after the servers behind it (their incidents merged into the switch's),
a false alarm closed with its reason, a change whose window held its alerts back (suppressed, never an
incident), a change whose window ended with an alert still firing (the incident names the change as
suspected cause), two alerts no rule could place (the unmatched queue), and a few alerts firing now so
the duty-room wall shows them. Loaded after the monitoring and indicator demos; a few seconds.
"""

import datetime
import json
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from yunwei.changes import schedule
from yunwei.changes.models import MaintenanceWindow
from yunwei.cmdb.models import Item
from yunwei.incidents import demo as incidents_demo
from yunwei.incidents import services as incidents
from yunwei.incidents.choices import OPEN_STATES, State
from yunwei.incidents.models import Incident, Signal
from yunwei.incidents.services import correlation
from yunwei.org.models import Unit

from . import services
from .models import Alert

UNIT = "power"
WEEKS = 10


def _am(status, name, at, *, item=None, instance=None, severity="critical", summary=""):
    """One alert of Alertmanager's webhook (version 4); `item` sets the CMDB code label the demo's
    Prometheus relabelling adds, `instance` the scrape target."""
    labels = {"alertname": name, "job": "node", "severity": severity, "prometheus_replica": "prom-a"}
    if item is not None:
        labels["yunwei_item"] = item.code
    if instance is not None:
        labels["instance"] = instance
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary or name},
        "startsAt": at.isoformat(),
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else at.isoformat(),
        "generatorURL": "http://prometheus.power.example.cn:9090/graph",
    }


def _am_body(*alerts) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "groupKey": "{}:{alertname}",
            "truncatedAlerts": 0,
            "status": alerts[0]["status"],
            "receiver": "yunwei",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.power.example.cn:9093",
            "alerts": list(alerts),
        }
    ).encode()


def _zabbix(event_value, event_id, host, name, at) -> bytes:
    return json.dumps(
        {
            "event_source": "0",
            "event_value": event_value,
            "event_update_status": "0",
            "event_id": str(event_id),
            "trigger_id": str(20000 + event_id),
            "host_name": host,
            "event_name": name,
            "event_nseverity": "4",
            "event_severity": "High",
            "alert_subject": ("Problem: " if event_value == "1" else "Resolved: ") + name,
            "alert_message": f"Problem started at {timezone.localtime(at):%H:%M:%S}",
        }
    ).encode()


class _Demo:
    def __init__(self, actor, unit, rng, now):
        self.actor, self.unit, self.rng, self.now = actor, unit, rng, now
        self.plans = incidents_demo._plans(actor)  # the plans in force, read (never written twice)
        self.prometheus, self.am_token = services.create_integration(
            actor=actor,
            unit=unit,
            kind="alertmanager",
            name=f"{unit.name} Prometheus",
            description="Prometheus 双副本（prom-a、prom-b）经 Alertmanager 推送；"
            "重标记写入 yunwei_item 标签。",
        )
        services.create_rule(
            actor=actor,
            integration=self.prometheus,
            label="yunwei_item",
            field="code",
            sample={"yunwei_item": "POWE-SRV-01"},
        )
        services.create_rule(
            actor=actor,
            integration=self.prometheus,
            label="instance",
            field="instance",
            sample={"instance": "powe-srv-01:9100"},
        )
        self.zabbix, self.zabbix_token = services.create_integration(
            actor=actor, unit=unit, kind="zabbix", name=f"{unit.name} Zabbix", description="网络设备监控。"
        )
        services.create_rule(
            actor=actor, integration=self.zabbix, label="host", field="hostname", sample={"host": "powe-core"}
        )
        self.zabbix_event = 5000

    # Each delivery is correlated at once, as the worker would a moment later: the demo's story goes on
    # from the incident it opened.
    def am(self, at, *alerts):
        payload = services.receive(self.am_token, "alertmanager", _am_body(*alerts), now=at)
        services.correlate_pending()
        return payload

    def zbx(self, at, event_value, event_id, host, name):
        payload = services.receive(
            self.zabbix_token, "zabbix", _zabbix(event_value, event_id, host, name, at), now=at
        )
        services.correlate_pending()
        return payload

    def incident_of(self, payload) -> Incident | None:
        """The incident the first alert of a payload landed in (after any merge), if any."""
        key = f"alert:{payload.outcome[0]['alert']}"
        signal = Signal.objects.filter(source="alert", key=key).order_by("-first_at", "-pk").first()
        return signal.incident if signal else None

    def free(self, item, at) -> datetime.datetime:
        """`at`, or the first hour after it when no change window holds the item (a fault, not work)."""
        while schedule.active_window_for(item, at) is not None:
            at += datetime.timedelta(hours=1)
        return at

    def handle(self, incident, at, cause):
        """The duty room confirms the fault and handles it through the flow, as the incidents demo does."""
        if incident is None:
            return
        incident.refresh_from_db()
        if incident.state in OPEN_STATES:
            incidents_demo._walk(incident, State.CLOSED, self.plans, self.actor, self.rng, at, cause)

    def episode(self, at, item, name, minutes, cause, *, severity="critical"):
        """An alert that fires, is repeated by Alertmanager, resolves; its incident handled."""
        at = self.free(item, at)
        fired = self.am(at, _am("firing", name, at, item=item, severity=severity))
        for after, status in ((minutes / 2, "firing"), (minutes, "resolved")):  # a repeat, then the end
            self.am(
                at + datetime.timedelta(minutes=after), _am(status, name, at, item=item, severity=severity)
            )
        self.handle(self.incident_of(fired), at + datetime.timedelta(minutes=2), cause)


def _window(unit, *, before, exclude=()) -> MaintenanceWindow | None:
    """A past window of one of the unit's changes, over an item of the unit, long enough to fire in."""
    rows = (
        MaintenanceWindow.objects.filter(change__unit=unit, item__unit=unit, ends_at__lt=before)
        .exclude(change_id__in=exclude)
        .select_related("item", "change")
        .order_by("-ends_at", "pk")
    )
    return next((w for w in rows if w.ends_at - w.starts_at >= datetime.timedelta(minutes=40)), None)


def load(stdout=None) -> dict:
    actor = get_user_model().objects.get(username="admin")
    unit = Unit.objects.get(code=UNIT)
    now = timezone.now()
    rng = random.Random(22)
    demo = _Demo(actor, unit, rng, now)
    servers = list(Item.objects.filter(unit=unit, type__code="server").order_by("code"))
    core = Item.objects.get(unit=unit, code="POWE-CORE")
    floors = list(Item.objects.filter(unit=unit, code__startswith="POWE-ACC-").order_by("code"))
    names = [
        ("NodeFilesystemAlmostFull", "storage"),
        ("NodeHighCPU", "server"),
        ("NodeMemoryPressure", "server"),
        ("TongWebDown", "application"),
        ("KingbaseReplicationLag", "application"),
    ]

    # Ten weeks of faults, one every few days, each fired, repeated and resolved.
    start = now - datetime.timedelta(weeks=WEEKS)
    moment, episodes = start, 0
    while True:
        moment += datetime.timedelta(days=rng.uniform(2.5, 4.5), minutes=rng.randint(0, 600))
        if moment > now - datetime.timedelta(days=3):  # each handled well before now
            break
        name, cause = rng.choice(names)
        demo.episode(moment, rng.choice(servers), name, rng.randint(8, 90), cause)
        episodes += 1

    # A core switch fails after the servers behind it told of it: their incidents merge into its own.
    t = demo.free(core, now - datetime.timedelta(days=9, hours=3))
    for server in servers[:3]:
        demo.am(t, _am("firing", "InstanceDown", t, item=server, summary=f"{server.code} 无法抓取"))
    t_root = t + datetime.timedelta(minutes=3)
    root = demo.zbx(t_root, "1", 4001, "powe-core", "Interface Gi0/1 down")
    t_back = t_root + datetime.timedelta(minutes=40)
    demo.zbx(t_back, "0", 4001, "powe-core", "Interface Gi0/1 down")
    for server in servers[:3]:
        demo.am(t_back, _am("resolved", "InstanceDown", t, item=server))
    demo.handle(demo.incident_of(root), t_root + datetime.timedelta(minutes=5), "network")

    # A false alarm: a scrape timeout during a Prometheus restart, closed with its reason.
    t = demo.free(servers[3], now - datetime.timedelta(days=5, hours=7))
    fired = demo.am(t, _am("firing", "NodeExporterScrapeSlow", t, item=servers[3], severity="warning"))
    false_alarm = demo.incident_of(fired)
    incidents.transition(
        false_alarm,
        to=State.CLOSED,
        actor=actor,
        false_alarm_reason="Prometheus 重启期间抓取超时，节点本身正常。",
        now=t + datetime.timedelta(minutes=12),
    )
    demo.am(
        t + datetime.timedelta(minutes=15),
        _am("resolved", "NodeExporterScrapeSlow", t, item=servers[3], severity="warning"),
    )

    # A change's window holds its alerts back: recorded, suppressed by the change, never an incident.
    before = now - datetime.timedelta(days=1)
    held = _window(unit, before=before)
    suspected = _window(unit, before=before, exclude=[held.change_id] if held else [])
    if held is not None:
        t = held.starts_at + datetime.timedelta(minutes=5)
        demo.am(t, _am("firing", "ServiceRestarting", t, item=held.item, severity="warning"))
        demo.am(
            t + datetime.timedelta(minutes=15),
            _am("resolved", "ServiceRestarting", t, item=held.item, severity="warning"),
        )
    # Another change's window ends with its alert still firing: the incident names it as suspected cause.
    if suspected is not None:
        t = suspected.starts_at + datetime.timedelta(minutes=10)
        fired = demo.am(
            t, _am("firing", "HTTPErrorsHigh", t, item=suspected.item, summary="变更后 5xx 错误率升高")
        )
        correlation.recheck_windows(now=suspected.ends_at + datetime.timedelta(minutes=1))
        back = suspected.ends_at + datetime.timedelta(minutes=50)
        demo.am(back, _am("resolved", "HTTPErrorsHigh", t, item=suspected.item))
        demo.handle(demo.incident_of(fired), suspected.ends_at + datetime.timedelta(minutes=3), "application")

    # Two alerts no rule places: an exporter on an address the inventory lacks, a host Zabbix names alone.
    t = now - datetime.timedelta(hours=6)
    demo.am(t, _am("firing", "NodeDown", t, instance="10.99.0.5:9100"))
    demo.zbx(t, "1", 4100, "powe-printer-02", "Printer offline")

    # Firing now: what the duty-room wall shows in red, waiting to be confirmed.
    t = now - datetime.timedelta(minutes=25)
    demo.am(t, _am("firing", "KingbaseConnectionsHigh", t, item=servers[0], summary="数据库连接数接近上限"))
    demo.zbx(now - datetime.timedelta(minutes=12), "1", 4200, floors[0].hostname, "Port Gi0/24 flapping")
    firing = Alert.objects.filter(integration__unit=unit, status="firing").count()
    if stdout:
        stdout.write(
            f"Alerts: {Alert.objects.filter(integration__unit=unit).count()} from 2 integrations "
            f"({episodes} past faults, {firing} firing now), "
            f"{Signal.objects.filter(unit=unit).count()} signals.\n"
        )
    return {
        "prometheus": demo.prometheus,
        "zabbix": demo.zabbix,
        "false_alarm": false_alarm,
        "held": held.change if held else None,
        "suspected": suspected.change if suspected else None,
    }
