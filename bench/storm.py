"""Benchmark: an alert storm through the product's web server — one incident per root, pages still usable.

    python bench/storm.py --scale small|full

Creates, in its own database (`YUNWEI_DATABASE_URL` when set, an empty database of its own; else a
temporary SQLite file), a unit whose inventory has switches, the servers behind them (each server
`connected-via` one switch) and applications that depend on servers, filled up with more servers so the
duty-room wall shows its full number of items (full: 5 switches, 500 servers behind them, 2,000 items;
small: 5, 100, 400); an Alertmanager integration with the rule "`instance`'s host → item"; a unit user
(the wall), a technician (the incident page) and a unit admin with an API token (mapping).

Then it starts `yunwei web` (its default workers and threads), a `yunwei worker` and the scheduler beside
it (they drain the correlation outbox intake fills), and sends a storm: every server fires many distinct
alerts and every switch fires one (full: 40 alerts a server, 20,000 in all, planned over 60 s; small: 10
a server, 1,000, over 15 s), plus a few alerts on hosts not in the inventory, all shuffled (so some
servers' alerts come before their switch's and some after) and sent in Alertmanager-sized batches of 50
from 4 senders keeping to the plan. While the storm runs, one client reads, in turn, the wall page, the
incident page of the switch whose incident holds the most alerts (the first page of its signals), and
maps an unmatched alert to an item through the API, until the worker has correlated the whole storm
(`drain_tail_s`: how long that took after the last batch was answered). The same reads after the storm,
on the idle server with the same data, are the baseline; each figure is reported with its ratio to it.

Afterwards it checks what correlation promises (docs/correlation.md): every alert stored once; every
alert placed on an item is in exactly one incident, and it is its switch's (following "merged into");
at most one open incident per switch. The script exits non-zero when a check fails or a request was
refused. Prints the figures and, as its last line, one JSON object.

The clients run in this process on the same machine as the server: their own work is in every figure.
SQLite allows one writer at a time, so there the storm queues on the database lock.
"""

import argparse
import datetime
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

from common import migrate_empty, ms, report, setup_django
from ingest import DRAIN_DEADLINE, body_of, drained
from pings import _free_port, percentile, running

ROOT = Path(__file__).resolve().parent.parent
# switches, servers behind them, alerts a server, planned seconds, items on the wall
SCALES = {"small": (5, 100, 10, 15, 400), "full": (5, 500, 40, 60, 2_000)}
UNMATCHED = 20  # alerts on hosts not in the inventory: half mapped during the storm, half after
APPS_EVERY = 20  # one application for this many items
SENDERS = 4
BATCH = 50


def generate(switches: int, servers: int, wall_items: int, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from yunwei.accounts.models import ApiToken
    from yunwei.alerts import services
    from yunwei.alerts.models import Integration, MappingRule
    from yunwei.cmdb.models import Item, ItemType, Relation, RelationType
    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, RoleAssignment, Unit

    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    unit = Unit.objects.create(code="bench-unit", name="第一单位", parent=group)
    types = {t.code: t for t in ItemType.objects.filter(code__in=["switch", "server", "application"])}

    def items(type_code: str, prefix: str, count: int) -> list:
        kind = types[type_code]
        made = [
            Item(
                unit=unit,
                type=kind,
                domain=kind.domain,
                code=f"{prefix}-{k:04d}",
                name=f"{prefix} {k:04d}",
                hostname=f"{prefix}-{k:04d}",
            )
            for k in range(count)
        ]
        Item.objects.bulk_create(made, batch_size=1000)
        return list(Item.objects.filter(unit=unit, code__startswith=f"{prefix}-").order_by("code"))

    apps = max(1, wall_items // APPS_EVERY)
    with transaction.atomic():
        switch_rows = items("switch", "sw", switches)
        server_rows = items("server", "srv", servers)
        other_rows = items("server", "spare", max(0, wall_items - switches - servers - apps))
        app_rows = items("application", "app", apps)
        via = RelationType.objects.get(code="connected-via")
        depends = RelationType.objects.get(code="depends-on")
        behind = {server.pk: switch_rows[k % switches] for k, server in enumerate(server_rows)}
        relations = [
            Relation(source=server, target=behind[server.pk], type=via, unit=unit) for server in server_rows
        ]
        hosts = server_rows + other_rows
        for app in app_rows:
            relations += [
                Relation(source=app, target=host, type=depends, unit=unit) for host in rng.sample(hosts, 5)
            ]
        Relation.objects.bulk_create(relations, batch_size=2000)

    token = services.integrations.new_token()
    integration = Integration.objects.create(
        unit=unit,
        kind="alertmanager",
        name="bench storm",
        token_hash=services.token_hash(token),
        token_hint=token[-4:],
    )
    MappingRule.objects.create(integration=integration, label="instance", field="instance")

    User = get_user_model()

    def account(username: str, role: str):
        user = User.objects.create_user(username, "", None)
        person = Person.objects.create(unit=unit, name=username, account=user)
        RoleAssignment.objects.create(person=person, unit=unit, role=role)
        return user

    def session(user) -> str:
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    admin = account("bench-unit-admin", Role.UNIT_ADMIN)
    key = ApiToken.new_key()
    ApiToken.objects.create(
        user=admin,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "integration": integration.pk,
        "token": token,
        "switches": {switch.pk: switch.hostname for switch in switch_rows},
        "servers": {server.pk: (server.hostname, behind[server.pk].pk) for server in server_rows},
        "spare": [row.pk for row in other_rows],
        "wall_cookie": session(account("bench-unit-user", Role.USER)),
        "incident_cookie": session(account("bench-tech", Role.TECH_STAFF)),
        "api_key": key,
    }


def storm_alerts(data: dict, per_server: int, rng: random.Random) -> list[dict]:
    """The distinct alerts of the storm, shuffled: each switch's, each server's, a few on unknown hosts."""

    def alert(name: str, host: str, fingerprint: str) -> dict:
        return {
            "status": "firing",
            "labels": {"alertname": name, "instance": f"{host}:9100", "job": "node", "severity": "critical"},
            "annotations": {"summary": f"{name} on {host}"},
            "startsAt": datetime.datetime.now(datetime.UTC).isoformat(),
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": fingerprint,
        }

    made = [alert("SwitchDown", host, f"sw{pk:014x}") for pk, host in data["switches"].items()]
    for pk, (host, _switch) in data["servers"].items():
        made += [alert(f"Probe{k:02d}Failed", host, f"{pk:08x}{k:08x}") for k in range(per_server)]
    made += [alert("NodeDown", f"ghost-{k:03d}", f"ghost{k:011x}") for k in range(UNMATCHED)]
    rng.shuffle(made)
    return made


# -- the storm ------------------------------------------------------------------------------------


def send(port: int, token: str, batches: list[bytes], seconds: float) -> dict:
    """The batches from `SENDERS` threads, batch i not before its planned moment; latencies and lag."""
    plan_every = seconds / len(batches)
    counter = iter(range(len(batches)))
    lock = threading.Lock()
    latencies: list[float] = []
    refused: list[str] = []
    start = time.monotonic()

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            # The server closes a connection idle past its keep-alive (2 s) while a sender waits for its
            # plan; a real sender connects again, so this one does each time.
            connection.close()
            with lock:
                index = next(counter, None)
            if index is None:
                break
            wait = start + index * plan_every - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            began = time.perf_counter()
            connection.request(
                "POST",
                f"/intake/alertmanager/{token}/",
                body=batches[index],
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            text = response.read()
            with lock:
                latencies.append(time.perf_counter() - began)
                if response.status != 200:
                    refused.append(f"{response.status} {text[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.monotonic() - start, "latencies": latencies, "refused": refused}


class Reader:
    """One client reading the wall, the busiest root's incident page and mapping an unmatched alert, in
    turn, until told to stop; each read's latency by kind."""

    def __init__(self, port: int, data: dict):
        self.port, self.data = port, data
        self.times: dict[str, list[float]] = {"wall": [], "incident": [], "map": []}
        self.refused: list[str] = []
        self.to_map: list[tuple[int, int]] = []  # (alert, item) still to map
        self.mapped_alerts = 0

    def _get(self, connection, path: str, cookie: str, kind: str) -> None:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        self.times[kind].append(time.perf_counter() - began)
        if response.status != 200:
            self.refused.append(f"{kind} {path} {response.status}")

    def _map(self, connection) -> None:
        if not self.to_map:
            self.to_map = waiting_alerts(self.data)
            if not self.to_map:
                return
        alert, item = self.to_map.pop()
        began = time.perf_counter()
        connection.request(
            "POST",
            f"/api/alerts/unmatched/{alert}/map/",
            body=json.dumps({"item": item}),
            headers={"Content-Type": "application/json", "Authorization": f"Token {self.data['api_key']}"},
        )
        response = connection.getresponse()
        text = response.read()
        self.times["map"].append(time.perf_counter() - began)
        if response.status != 200:
            self.refused.append(f"map {alert} {response.status} {text[:200]!r}")
        else:
            self.mapped_alerts += 1

    def read(self, stop: threading.Event, rounds: int | None = None, maps: int = 0) -> None:
        """Read until `stop` is set (or for `rounds` rounds); map at most `maps` alerts, one every few
        rounds."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        done = 0
        while not stop.is_set() and (rounds is None or done < rounds):
            self._get(connection, "/wall/", self.data["wall_cookie"], "wall")
            root = busiest_root(self.data)
            if root is not None:
                self._get(connection, f"/incidents/{root}/", self.data["incident_cookie"], "incident")
            if maps and done % 3 == 0 and self.mapped_alerts < maps:
                self._map(connection)
            done += 1
            time.sleep(0.05)
        connection.close()


def busiest_root(data: dict) -> int | None:
    """The open incident of a switch's signal holding the most signals, or None before there is one."""
    from django.db import close_old_connections
    from django.db.models import Count

    from yunwei.incidents.models import Signal

    close_old_connections()
    incidents = Signal.objects.filter(item_id__in=list(data["switches"]), incident__isnull=False)
    row = (
        Signal.objects.filter(incident__in=incidents.values("incident"))
        .values("incident")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return row["incident"] if row else None


def waiting_alerts(data: dict) -> list[tuple[int, int]]:
    """The unmatched alerts waiting now, each with a spare server to map it to."""
    from django.db import close_old_connections

    from yunwei.alerts.choices import MatchState
    from yunwei.alerts.models import Alert

    close_old_connections()
    waiting = Alert.objects.filter(integration_id=data["integration"], match=MatchState.UNMATCHED)
    ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:UNMATCHED])
    return [(pk, data["spare"][k % len(data["spare"])]) for k, pk in enumerate(ids)]


# -- the checks -----------------------------------------------------------------------------------


def check(data: dict, distinct: int) -> dict:
    """What correlation promises, read from the database after the storm."""
    from django.db import close_old_connections
    from django.db.models import Sum

    from yunwei.alerts.models import Alert
    from yunwei.incidents.choices import OPEN_STATES
    from yunwei.incidents.models import Incident, Signal

    close_old_connections()
    alerts = Alert.objects.filter(integration_id=data["integration"])
    placed = alerts.filter(item__isnull=False)
    signals = {
        int(key.removeprefix("alert:")): (item, incident)
        for key, item, incident in Signal.objects.filter(source="alert").values_list(
            "key", "item_id", "incident_id"
        )
    }
    final = {}  # incident → the incident it ended in (merged into, followed)
    for pk, merged_into in Incident.objects.values_list("pk", "merged_into_id"):
        final[pk] = merged_into or pk

    def ended_in(incident: int) -> int:
        seen = set()
        while final[incident] != incident and incident not in seen:
            seen.add(incident)
            incident = final[incident]
        return incident

    switch_incident = {}
    for item, incident in signals.values():
        if item in data["switches"] and incident is not None:
            switch_incident[item] = ended_in(incident)
    without, elsewhere = 0, 0
    for pk, item in placed.values_list("pk", "item_id"):
        item_incident = signals.get(pk, (None, None))[1]
        if item_incident is None:
            without += 1
            continue
        root = item if item in data["switches"] else data["servers"].get(item, (None, None))[1]
        if root is not None and ended_in(item_incident) != switch_incident.get(root):
            elsewhere += 1
    open_per_switch = {
        switch: Incident.objects.filter(
            state__in=OPEN_STATES, merged_into__isnull=True, signals__item_id__in=[switch, *behind]
        )
        .distinct()
        .count()
        for switch, behind in _behind(data).items()
    }
    return {
        "alert_rows": alerts.count(),
        "distinct_alerts_sent": distinct,
        "repeats_counted": alerts.aggregate(n=Sum("repeat_count"))["n"] or 0,
        "placed_alerts": placed.count(),
        "placed_without_incident": without,
        "placed_in_another_incident": elsewhere,
        "max_open_incidents_per_switch": max(open_per_switch.values()),
        "switches_with_incident": len(switch_incident),
        "monitoring_incidents_opened": Incident.objects.filter(source="monitoring").count(),
    }


def _behind(data: dict) -> dict[int, list[int]]:
    behind: dict[int, list[int]] = {switch: [] for switch in data["switches"]}
    for server, (_host, switch) in data["servers"].items():
        behind[switch].append(server)
    return behind


def _figures(times: dict[str, list[float]], suffix: str) -> dict:
    figures = {}
    for kind, values in times.items():
        if values:
            figures[f"{kind}_p95_ms{suffix}"] = ms(percentile(values, 0.95))
            figures[f"{kind}_reads{suffix}"] = len(values)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    switches, servers, per_server, seconds, wall_items = SCALES[args.scale]
    rng = random.Random(args.seed)

    setup_django()
    from django.db import connection

    from yunwei.alerts.models import Alert
    from yunwei.incidents.models import Signal

    migrate_empty(Alert, "alerts")
    began = time.perf_counter()
    data = generate(switches, servers, wall_items, rng)
    generate_s = round(time.perf_counter() - began, 1)
    made = storm_alerts(data, per_server, rng)
    batches = [body_of(made[k : k + BATCH]) for k in range(0, len(made), BATCH)]
    connection.close()

    port = _free_port()
    yunwei = str(Path(sys.executable).with_name("yunwei"))
    web = [yunwei, "web", "--bind", f"127.0.0.1:{port}"]
    beside = ([yunwei, "worker"], [yunwei, "scheduler"])
    with running("product", web, port, [ROOT], pages=True, companions=beside):
        reader = Reader(port, data)
        stop = threading.Event()
        reading = threading.Thread(target=reader.read, args=(stop,), kwargs={"maps": UNMATCHED // 2})
        reading.start()
        storm = send(port, data["token"], batches, seconds)
        drain_tail = drained(DRAIN_DEADLINE)  # the worker correlating what the storm stored
        stop.set()
        reading.join()
        during = reader.times
        idle = Reader(port, data)
        idle.read(threading.Event(), rounds=max(10, len(during["wall"])), maps=UNMATCHED // 2)
    figures = {
        "backend": connection.vendor,
        "items": wall_items,
        "alerts_sent": len(made),
        "batches": len(batches),
        "planned_s": seconds,
        "storm_s": round(storm["seconds"], 1),
        "alerts_per_s": round(len(made) / storm["seconds"], 1),
        "batch_p99_ms": ms(percentile(storm["latencies"], 0.99)),
        "drain_tail_s": round(drain_tail, 1),
        **_figures(during, "_storm"),
        **_figures(idle.times, "_idle"),
    }
    for kind in ("wall", "incident", "map"):
        if during[kind] and idle.times[kind]:
            figures[f"{kind}_ratio_storm_to_idle"] = round(
                percentile(during[kind], 0.95) / percentile(idle.times[kind], 0.95), 2
            )
    root = busiest_root(data)
    figures["busiest_root_signals"] = Signal.objects.filter(incident_id=root).count() if root else 0
    figures.update(check(data, len(made)))
    figures.update(
        {
            "target_incident_p95_ms": "< 1000",
            "target_wall_p95_ms": "< 500",
            "target_map_ms": "< 300",
            "refused": len(storm["refused"]) + len(reader.refused) + len(idle.refused),
        }
    )
    report(figures, 34, {"bench": "storm", "scale": args.scale, "seed": args.seed, "generate_s": generate_s})
    failures = [*storm["refused"], *reader.refused, *idle.refused]
    if figures["alert_rows"] != len(made):
        failures.append(f"{figures['alert_rows']} alert rows for {len(made)} distinct alerts")
    if figures["placed_without_incident"] or figures["placed_in_another_incident"]:
        failures.append("an alert placed on an item is in no incident, or not in its switch's")
    if figures["max_open_incidents_per_switch"] > 1:
        failures.append("more than one open incident for a switch")
    if failures:
        sys.exit("\n".join(failures[:20]))


if __name__ == "__main__":
    main()
