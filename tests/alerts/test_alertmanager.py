"""Against a real Alertmanager: Debian's `prometheus-alertmanager`, started by the test on loopback with a
config it writes, whose webhook receiver is this test's live Yunwei. Alerts posted to Alertmanager's API
(v2) arrive grouped and firing, are repeated after the repeat interval (counted, no state change) and
arrive resolved. ``./test.sh`` installs the package where it can; without it the test skips and says why.

Nothing here is timed: the test waits (up to a generous deadline) for what Alertmanager sends."""

import datetime
import json
import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from yunwei.alerts import services
from yunwei.alerts.models import Alert, AlertEvent, Integration, MappingRule, Payload
from yunwei.cmdb.models import Item, ItemType

from ..monitoring.targets import free_port

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
DEADLINE = 60  # seconds to wait for a notification; Alertmanager sends within a few with this config
CONFIG = """
route:
  receiver: yunwei
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
receivers:
  - name: yunwei
    webhook_configs:
      - url: '{url}'
        send_resolved: true
"""


@pytest.fixture
def alertmanager(tmp_path):
    """Start Alertmanager for a receiver URL; yields a function that starts it and returns its API base."""
    if ALERTMANAGER is None or not os.access(ALERTMANAGER, os.X_OK):
        pytest.skip(
            "Debian's prometheus-alertmanager is not installed (./test.sh installs it as root with apt-get)"
        )
    processes = []

    def start(receiver_url: str) -> str:
        (tmp_path / "alertmanager.yml").write_text(CONFIG.format(url=receiver_url))
        port = free_port()
        log = (tmp_path / "alertmanager.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - Debian's binary, our own arguments
            [
                ALERTMANAGER,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=log,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=1):  # noqa: S310 - loopback
                    return base
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "Alertmanager did not start: " + (tmp_path / "alertmanager.log").read_text()[-2000:]
                    )
                time.sleep(0.2)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _post_alerts(base: str, alerts: list) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
        assert answer.status == 200


def _wait_for(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"Alertmanager never sent {what}")


def _alert(instance: str, *, ends_at: datetime.datetime | None = None) -> dict:
    alert = {
        "labels": {"alertname": "InstanceDown", "instance": instance, "job": "node", "severity": "critical"},
        "annotations": {"summary": f"{instance} is down"},
        "generatorURL": "http://prometheus.example:9090/graph",
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat().replace("+00:00", "Z")
    return alert


def _unaudited_setup(unit) -> tuple[Item, Item, Integration, str]:
    """Two servers and an integration with its rule, written directly: an audit event (the services')
    would make the flush after this committed test fail on SQLite, whose audit triggers refuse deletes."""
    server = ItemType.objects.get(code="server")
    app = Item.objects.create(
        unit=unit, type=server, domain=server.domain, code="OA-APP-01", name="应用", hostname="oa-app-01"
    )
    db = Item.objects.create(
        unit=unit, type=server, domain=server.domain, code="OA-DB-01", name="库", ip="10.0.0.12"
    )
    token = services.integrations.new_token()
    integration = Integration.objects.create(
        unit=unit,
        kind="alertmanager",
        name="真实告警管理器",
        token_hash=services.token_hash(token),
        token_hint=token[-4:],
    )
    MappingRule.objects.create(integration=integration, label="instance", field="instance")
    return app, db, integration, token


# serialized_rollback: the flush afterwards leaves the database empty and the next transactional test
# reloads what the migrations shipped (as tests/monitoring/test_ping.py's live test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_alertmanager_delivers_grouped_firing_repeated_and_resolved_alerts(
    alertmanager, live_server, unit_a
):
    app, db, integration, token = _unaudited_setup(unit_a)
    base = alertmanager(f"{live_server.url}/intake/alertmanager/{token}/")

    _post_alerts(base, [_alert("oa-app-01:9100"), _alert("10.0.0.12:9100")])
    first = _wait_for(
        lambda: Payload.objects.filter(integration=integration).order_by("id").first(), "a group"
    )
    body = json.loads(first.body)
    assert (body["version"], body["status"], len(body["alerts"])) == ("4", "firing", 2)  # one group, both
    alerts = {alert.item_id: alert for alert in Alert.objects.filter(integration=integration)}
    assert set(alerts) == {app.pk, db.pk}
    for alert in alerts.values():
        assert alert.status == "firing"
        assert len(alert.fingerprint) == 16  # Alertmanager's own fingerprint, used as it is
        assert alert.fingerprint in {entry["fingerprint"] for entry in body["alerts"]}

    # Nothing changes, so after the repeat interval Alertmanager sends the group again: a repeat.
    _wait_for(
        lambda: Alert.objects.filter(integration=integration, repeat_count__gte=1).count() == 2, "a repeat"
    )
    assert Alert.objects.filter(integration=integration).count() == 2
    assert AlertEvent.objects.filter(alert__integration=integration).count() == 2  # two "fired", no more

    _post_alerts(base, [_alert("10.0.0.12:9100", ends_at=datetime.datetime.now(datetime.UTC))])
    # Waits for the resolve's event, the last row its delivery writes: on SQLite the live server shares
    # this test's connection, so a row written earlier in that delivery shows before its commit.
    resolved = AlertEvent.objects.filter(alert=alerts[db.pk], kind="resolved")
    _wait_for(resolved.exists, "the resolve")
    assert Alert.objects.get(pk=alerts[db.pk].pk).status == "resolved"
    assert Alert.objects.get(pk=alerts[app.pk].pk).status == "firing"
    assert list(Alert.objects.get(pk=alerts[db.pk].pk).events.values_list("kind", flat=True)) == [
        "fired",
        "resolved",
    ]
