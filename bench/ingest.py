"""Benchmark: Alertmanager webhooks through the product's whole intake path, against a lean app doing the
same writes.

    python bench/ingest.py --scale tiny|small|full [--url http://host:port ...]

Creates a unit with servers (full: 2,000, small: 200) and two Alertmanager integrations with the rule
"`instance`'s host → item" in its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its
own), else a temporary SQLite file — then starts two servers on free loopback ports, each with its own
var folder:

- the product: `yunwei web` with its default workers and threads, beside a `yunwei worker` and the
  `yunwei scheduler` on the same var folder (their broker): the whole intake path — gunicorn, the
  middleware stack, the token, the raw payload, dedup by fingerprint, the mapping rules onto the items,
  the alert's state history and its correlation outbox, the answer after the commit — and then the
  worker's drain of that outbox: correlation, the incidents service opening, folding and auditing;
- the baseline: `bench/ingest_baseline.py`, a bare WSGI function that looks the token up and, in one
  transaction, inserts the raw payload and upserts each alert by (integration, fingerprint) in raw SQL on
  the same database settings, served by gunicorn with exactly the arguments of `yunwei web`.

Each server has its own integration, so both write the same tables and indexes. Against each, 8 clients
(threads, each keeping one HTTP/1.1 connection open) send Alertmanager v4 webhooks: first one alert per
request (full: 20,000 requests, small: 2,000), then batches of 50 (full: 2,000 requests, small: 200).
The alerts are drawn from a set of distinct ones (full: 10,000, small: 1,000; one in ten on a host that
is not in the inventory, so it waits unmatched), so most deliveries after the first are repeats. It
measures alerts/s and each request's latency (p50, p99) as the client sees it, and reports the product's
throughput as a ratio of the baseline's. After each load it waits for the worker to empty the outbox and
reports `correlated_alerts_per_s`: the alerts of the load over the time from its start until the last of
them was correlated (`drain_tail_s`: how long that took after the last answer). Afterwards it checks that
every accepted alert was stored once: as many alert rows as distinct alerts sent, and rows + repeats =
deliveries; the script exits non-zero when that fails or a request was refused. Prints the figures and,
as its last line, one JSON object.

`--url` (given once per web process): against a Yunwei already running on the database of
`YUNWEI_DATABASE_URL` (scale mode: its web processes, workers and scheduler) instead of servers of its
own. The bench adds its unit (codes tagged with the run, so the database may hold other data), servers
and one integration there, spreads its clients over the URLs, waits for the product's workers to drain
the outbox, and checks its own integration's alerts as above. No baseline in this mode (nothing to
compare on the product's machines), so no ratio. `--scale tiny` (20 servers, 200 distinct alerts, 200
single requests, 20 batches) is for a test to run the bench.

The client runs in this process on the same machine: its own work is in every figure, the same for both
servers. SQLite allows one writer at a time, so there the requests queue on the database lock.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import math
import random
import secrets
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from common import migrate_empty, ms, report, setup_django
from pings import _free_port, _web_defaults, percentile, running

ROOT = Path(__file__).resolve().parent.parent
# servers, distinct alerts, requests of one alert, requests of 50
SCALES = {
    "tiny": (20, 200, 200, 20),
    "small": (200, 1_000, 2_000, 200),
    "full": (2_000, 10_000, 20_000, 2_000),
}
CLIENTS = 8
BATCH = 50
WARM_UP = 200
DRAIN_DEADLINE = 600  # seconds the worker gets to empty the correlation outbox after a load


def generate(servers: int, names=("product", "baseline"), tag: str = "bench") -> tuple[int, dict]:
    """A unit (codes `TAG-group`, `TAG-unit`), its servers (hostname `host-NNNN`), an integration for
    each of `names` with the `instance` rule: the unit's id and, by name, (integration id, token)."""
    from django.db import connection, transaction

    from yunwei.alerts import services
    from yunwei.alerts.models import Integration, MappingRule
    from yunwei.cmdb.models import Item, ItemType
    from yunwei.org.choices import UnitKind
    from yunwei.org.models import Unit

    group = Unit.objects.create(code=f"{tag}-group", name=f"集团公司 {tag}", kind=UnitKind.GROUP)
    unit = Unit.objects.create(code=f"{tag}-unit", name=f"第一单位 {tag}", parent=group)
    server = ItemType.objects.get(code="server")
    with transaction.atomic():
        Item.objects.bulk_create(
            [
                Item(
                    unit=unit,
                    type=server,
                    domain=server.domain,
                    code=f"SRV-{k:04d}",
                    name=f"服务器 {k:04d}",
                    hostname=f"host-{k:04d}",
                )
                for k in range(servers)
            ],
            batch_size=1000,
        )
    tokens = {}
    for name in names:
        token = services.integrations.new_token()
        integration = Integration.objects.create(
            unit=unit,
            kind="alertmanager",
            name=f"bench {name}",
            token_hash=services.token_hash(token),
            token_hint=token[-4:],
        )
        MappingRule.objects.create(integration=integration, label="instance", field="instance")
        tokens[name] = (integration.pk, token)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return unit.pk, tokens


def alerts(servers: int, distinct: int) -> list[dict]:
    """The distinct alerts the load draws from: Alertmanager's shape, with its fingerprint."""
    names = ["InstanceDown", "HighLoad", "DiskFull", "MemoryPressure", "NTPDrift"]
    made = []
    for k in range(distinct):
        host = f"host-{k % servers:04d}" if k % 10 else f"unknown-{k:05d}"
        made.append(
            {
                "status": "firing",
                "labels": {
                    "alertname": names[k % len(names)],
                    "instance": f"{host}:9100",
                    "job": "node",
                    "severity": "warning",
                    "prometheus_replica": "prom-a",
                },
                "annotations": {"summary": f"{host} needs a look"},
                "startsAt": "2026-12-07T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                "fingerprint": f"{k:016x}",
            }
        )
    return made


def body_of(batch: list[dict]) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "groupKey": "{}:{}",
            "status": "firing",
            "receiver": "yunwei",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "truncatedAlerts": 0,
            "alerts": batch,
        }
    ).encode()


def load(bases: list[str], path: str, bodies: list[tuple[bytes, int]], clients: int) -> dict:
    """Send `bodies` (each with its alert count) from `clients` threads on kept-alive connections, the
    clients spread over the `bases` (URLs of web processes)."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]
    sent: list[int] = [0] * clients
    refused: list[str] = []
    counter = iter(range(len(bodies)))
    lock = threading.Lock()

    def work(index: int) -> None:
        base = urllib.parse.urlsplit(bases[index % len(bases)])
        kind = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
        connection = kind(base.netloc, timeout=60)
        headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.25.0"}
        try:
            connection.connect()
            barrier.wait()
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                body, count = bodies[number]
                began = time.perf_counter()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                elapsed = time.perf_counter() - began
                if response.status != 200:
                    refused.append(f"{response.status} {answer[:200]!r}")
                    continue
                results[index].append(elapsed)
                sent[index] += count
        except Exception as error:  # a client's failure must reach the report
            refused.append(repr(error))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    times = [value for result in results for value in result] or [math.nan]
    return {
        "alerts_per_s": round(sum(sent) / wall, 1),
        "p50_ms": ms(statistics.median(times)),
        "p99_ms": ms(percentile(times, 0.99)),
        "alerts": sum(sent),
        "wall_s": wall,
        "refused": refused,
    }


def drained(deadline_s: float, integration_id: int | None = None) -> float:
    """Seconds until the correlation outbox holds none of the integration's alerts (any alert's when
    None; the product's workers drain it), or the deadline."""
    from django.db import connection

    from yunwei.alerts.models import PendingCorrelation

    began = time.perf_counter()
    waiting = PendingCorrelation.objects.all()
    if integration_id is not None:
        waiting = waiting.filter(alert__integration_id=integration_id)
    while waiting.exists() and time.perf_counter() - began < deadline_s:
        time.sleep(0.1)
    connection.close()
    return time.perf_counter() - began


def measure(name: str, argv: list[str], port: int, integration: tuple, plan: dict, companions=()) -> dict:
    """The loads against a server this bench starts (with `companions`: the product's worker and
    scheduler, whose drain of the outbox is measured too)."""
    folders = [ROOT, ROOT / "bench"] if name == "baseline" else [ROOT]
    with running(name, argv, port, folders, companions=companions):
        return loads([f"http://127.0.0.1:{port}"], integration, plan, drain=bool(companions))


def loads(bases: list[str], integration: tuple, plan: dict, drain: bool) -> dict:
    """Each load of `plan` in turn against the running server(s) at `bases`; with `drain`, each followed
    by the wait for the workers to correlate its alerts."""
    integration_id, token = integration
    path_of = f"/intake/alertmanager/{token}/"
    figures, delivered, refused = {}, {}, []
    for mode, bodies in plan.items():
        result = load(bases, path_of, bodies, CLIENTS)
        if drain:  # the product: its alerts are correlated once the workers have drained the outbox
            tail = drained(DRAIN_DEADLINE, integration_id)
            result["drain_tail_s"] = round(tail, 1)
            result["correlated_alerts_per_s"] = round(result["alerts"] / (result["wall_s"] + tail), 1)
        figures[mode] = result
        delivered[mode] = result["alerts"]
        refused += result["refused"]
    return {"figures": figures, "delivered": sum(delivered.values()), "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        help="a web process of a Yunwei running on the same database (once per process): send to it",
    )
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum

    from yunwei.alerts.models import Alert, PendingCorrelation
    from yunwei.incidents.models import Incident

    servers, distinct, singles, batches = SCALES[args.scale]
    began = time.perf_counter()
    if args.url:  # the running product's database: its own tagged unit beside whatever is there
        call_command("migrate", verbosity=0)
        unit_id, tokens = generate(servers, ("product",), f"ingest-{secrets.token_hex(3)}")
    else:
        migrate_empty(Alert, "alerts")
        unit_id, tokens = generate(servers)
    generated = time.perf_counter() - began
    print(
        f"generated {servers} servers, {len(tokens)} integration(s) in {generated:.1f} s",
        flush=True,
    )
    connection.close()

    pool = alerts(servers, distinct)
    rng = random.Random(args.seed)
    plan = {
        "warm_up": [(body_of([alert]), 1) for alert in rng.sample(pool, min(WARM_UP, distinct))],
        "single": [(body_of([rng.choice(pool)]), 1) for _ in range(singles)],
        "batch50": [(body_of(rng.sample(pool, BATCH)), BATCH) for _ in range(batches)],
    }
    sent_fingerprints = {
        json.loads(body)["alerts"][k]["fingerprint"]
        for bodies in plan.values()
        for body, count in bodies
        for k in range(count)
    }

    workers, threads = _web_defaults()
    results = {}
    if args.url:
        results["product"] = loads(args.url, tokens["product"], plan, drain=True)
    else:
        yunwei = str(Path(sys.executable).with_name("yunwei"))
        product_port, baseline_port = _free_port(), _free_port()
        product_argv = [yunwei, "web", "--bind", f"127.0.0.1:{product_port}"]
        from yunwei import cli

        baseline_argv = cli._gunicorn_argv(f"127.0.0.1:{baseline_port}", workers, threads)
        baseline_argv[baseline_argv.index("yunwei.wsgi:application")] = "ingest_baseline:application"
        results["baseline"] = measure("baseline", baseline_argv, baseline_port, tokens["baseline"], plan)
        results["product"] = measure(
            "product",
            product_argv,
            product_port,
            tokens["product"],
            plan,
            ([yunwei, "worker"], [yunwei, "scheduler"]),
        )

    def stored(name: str) -> tuple[int, int]:
        rows = Alert.objects.filter(integration_id=tokens[name][0])
        return rows.count(), rows.count() + (rows.aggregate(total=Sum("repeat_count"))["total"] or 0)

    counted = {name: stored(name) for name in results}
    product, baseline = results["product"], results.get("baseline")
    figures = {"backend": connection.vendor, "over": "--url" if args.url else "servers of its own"}
    if not args.url:
        figures |= {"gunicorn_workers": workers, "gunicorn_threads": threads}
    for mode in ("single", "batch50"):
        mine = product["figures"][mode]
        figures[f"alerts_per_s_{mode}"] = mine["alerts_per_s"]
        figures[f"p50_ms_{mode}"] = mine["p50_ms"]
        figures[f"p99_ms_{mode}"] = mine["p99_ms"]
        if baseline:
            theirs = baseline["figures"][mode]
            figures[f"baseline_alerts_per_s_{mode}"] = theirs["alerts_per_s"]
            figures[f"baseline_p50_ms_{mode}"] = theirs["p50_ms"]
            figures[f"baseline_p99_ms_{mode}"] = theirs["p99_ms"]
            figures[f"ratio_throughput_{mode}"] = round(
                mine["alerts_per_s"] / max(theirs["alerts_per_s"], 1e-9), 2
            )
        figures[f"correlated_alerts_per_s_{mode}"] = mine["correlated_alerts_per_s"]
        figures[f"drain_tail_s_{mode}"] = mine["drain_tail_s"]
    figures["target_alerts_per_s_single"] = ">= 1000"
    figures["target_alerts_per_s_batch50"] = ">= 5000"
    figures["distinct_alerts_sent"] = len(sent_fingerprints)
    figures["alerts_delivered"] = product["delivered"]
    figures["alert_rows"], figures["rows_plus_repeats"] = counted["product"]
    if baseline:
        figures["baseline_alert_rows"], figures["baseline_rows_plus_repeats"] = counted["baseline"]
    figures["unmatched_rows"] = Alert.objects.filter(
        integration_id=tokens["product"][0], match="unmatched"
    ).count()
    figures["incidents_opened"] = Incident.objects.filter(unit_id=unit_id).count()
    figures["left_uncorrelated"] = PendingCorrelation.objects.filter(
        alert__integration_id=tokens["product"][0]
    ).count()
    figures["refused"] = sum(len(result["refused"]) for result in results.values())
    if connection.vendor == "sqlite":
        figures["note"] = "SQLite: one writer at a time, so concurrent requests queue on the database lock"
    summary = {
        "bench": "ingest",
        "scale": args.scale,
        "servers": servers,
        "distinct_alerts": distinct,
        "clients": CLIENTS,
        "requests_single": singles,
        "requests_batch50": batches,
        "generate_s": round(generated, 1),
        "urls": args.url,
        "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    report(figures, 30, summary)
    problems = [f"refused: {text}" for result in results.values() for text in result["refused"]][:5]
    if figures["left_uncorrelated"]:
        problems.append(
            f"{figures['left_uncorrelated']} alert changes left uncorrelated after {DRAIN_DEADLINE} s"
        )
    for name, result in results.items():
        rows, deliveries = counted[name]
        if rows != len(sent_fingerprints):
            problems.append(f"{name}: {len(sent_fingerprints)} distinct alerts sent, {rows} stored")
        if deliveries != result["delivered"]:
            problems.append(
                f"{name}: {result['delivered']} alerts accepted, {deliveries} counted (rows + repeats)"
            )
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
