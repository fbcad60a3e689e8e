"""Benchmark: heartbeat pings through the product's web server, against a lean app doing the same writes.

    python bench/pings.py --scale small|full

Creates a unit with heartbeats (full: 2,000, each with a year of daily runs behind it; small: 200 with
50 runs each) in its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else
a temporary SQLite file — then starts two servers on free loopback ports, each with its own var folder:

- the product: `yunwei web` with its default workers and threads (gunicorn, the whole middleware stack,
  `/ping/<uuid>` as a job's script calls it);
- the baseline: `bench/ping_baseline.py`, a bare WSGI function that runs one UPDATE of the heartbeat row
  and one INSERT of a run row in one transaction, in raw SQL on the same database settings, served by
  gunicorn with exactly the arguments of `yunwei web`.

Half of the heartbeats are pinged on the product and half on the baseline, so each server writes the
same tables and indexes. Against each server, clients send heartbeat pings (three GETs, then a POST
with a short log as its body) to random heartbeats of its half at 8 and at 32 concurrent connections
(each client a thread keeping one HTTP/1.1 connection open; full: 20,000 pings per load, small: 2,000),
after a warm-up that reaches every gunicorn worker. It measures throughput (pings/s) and the latency
of each ping as the client sees it (p50, p99), and reports the product's throughput as a ratio of the
baseline's at each concurrency. Afterwards it counts the runs stored for each half: every ping answered
"OK" must be a stored run, and the script exits non-zero when one is missing or a ping was refused.
Prints the figures and, as its last line, one JSON object.

The client runs in this process on the same machine: its own work is in every figure, the same for
both servers. SQLite allows one writer at a time, so there the pings queue on the database lock.
"""

import argparse
import contextlib
import datetime
import http.client
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import migrate_empty, ms, report, setup_django

ROOT = Path(__file__).resolve().parent.parent
SCALES = {"small": (200, 50, 2_000), "full": (2_000, 365, 20_000)}  # heartbeats, runs each, pings per load
CONCURRENCY = [8, 32]
WARM_UP = 400  # pings per server before the measured loads, enough to reach every worker and thread
LOG_BODY = (
    "backup started 02:00:01\n"
    "dumping database oa_main … 1832 tables\n"
    "compressing with zstd -3\n"
    "uploading to nas-02:/backup/oa/ … done\n"
    "size=5368709120\n"
).encode()


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the ⌈share·n⌉-th smallest value."""
    return sorted(values)[max(0, math.ceil(len(values) * share) - 1)]


# -- data -----------------------------------------------------------------------------------------


def generate(heartbeats: int, runs_each: int) -> dict:
    """A unit, its heartbeats (all up, daily with an hour's grace) and their past runs, bulk-inserted."""
    from django.db import connection, transaction
    from ping_baseline import GRACE, PERIOD  # the baseline's fixed schedule is the heartbeats' here

    from yunwei.monitoring.models import Heartbeat, HeartbeatRun
    from yunwei.org.choices import UnitKind
    from yunwei.org.models import Unit

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    unit = Unit.objects.create(code="bench-unit", name="第一单位", parent=group)
    period, grace = PERIOD, GRACE
    with transaction.atomic():
        Heartbeat.objects.bulk_create(
            [
                Heartbeat(
                    unit=unit,
                    name=f"备份作业 {k:04d}",
                    kind="backup" if k % 2 else "cron",
                    period=int(period.total_seconds()),
                    grace=int(grace.total_seconds()),
                    state="up",
                    last_ping_at=now - datetime.timedelta(hours=1),
                    next_due_at=now + period - datetime.timedelta(hours=1),
                    alert_after=now + period + grace - datetime.timedelta(hours=1),
                )
                for k in range(heartbeats)
            ],
            batch_size=1000,
        )
    rows = list(Heartbeat.objects.order_by("pk").values_list("pk", "uuid"))
    batch = []
    for pk, _ in rows:
        for day in range(runs_each, 0, -1):
            batch.append(
                HeartbeatRun(
                    heartbeat_id=pk,
                    kind="success",
                    received_at=now - datetime.timedelta(days=day),
                    succeeded=True,
                    body="size=5368709120\n",
                    size=5368709120,
                    remote_addr="10.1.2.3",
                    user_agent="curl/7.88.1",
                )
            )
            if len(batch) == 10_000:
                HeartbeatRun.objects.bulk_create(batch)
                batch = []
    HeartbeatRun.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE monitoring_heartbeat, monitoring_heartbeatrun")
        else:
            cursor.execute("ANALYZE")
    half = len(rows) // 2
    return {
        "product": [(pk, str(key)) for pk, key in rows[:half]],
        "baseline": [(pk, str(key)) for pk, key in rows[half:]],
        "runs_before": HeartbeatRun.objects.count(),
    }


# -- servers --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _web_defaults() -> tuple[int, int]:
    """The workers and threads `yunwei web` starts with when given none."""
    from yunwei import cli

    defaults = cli._parser().parse_args(["web"])
    return defaults.workers, defaults.threads


@contextlib.contextmanager
def running(
    name: str, argv: list[str], port: int, path: list[Path], pages: bool = False, companions: tuple = ()
):
    """A server started with `argv` on its own var folder, importing from `path` first, until /healthz
    answers; stopped afterwards. `pages`: the static files are collected first, as `yunwei serve` does,
    for a load that reads HTML pages. `companions`: the argvs of processes started beside it on the same
    var folder (a worker, the scheduler: they share its broker), stopped with it."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"yunwei-bench-{name}-"))
    (var_dir / "static").mkdir()
    env = {
        **os.environ,
        "YUNWEI_VAR_DIR": str(var_dir),
        "PYTHONPATH": os.pathsep.join(str(folder) for folder in path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if pages:
        yunwei = str(Path(sys.executable).with_name("yunwei"))
        subprocess.run([yunwei, "manage", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    log_path = var_dir / "web.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=log, cwd=ROOT)  # noqa: S603 - our own
    started: list[subprocess.Popen] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"the {name} server exited: {log_path.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    tail = log_path.read_text()[-2000:]
                    raise SystemExit(f"the {name} server did not start within 60 s: {tail}") from None
                time.sleep(0.2)
        for companion in companions:
            with log_path.open("a") as log:
                started.append(
                    subprocess.Popen(companion, env=env, stdout=log, stderr=log, cwd=ROOT)  # noqa: S603 - our own
                )
        yield
    finally:
        for process in [*started, server]:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(var_dir, ignore_errors=True)


# -- load -----------------------------------------------------------------------------------------


def load(port: int, uuids: list[str], total: int, clients: int, seed: int) -> dict:
    """`total` pings from `clients` threads, each on one kept-alive connection; latencies and counts."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]
    refused: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"User-Agent": "curl/7.88.1"}
        post_headers = {**headers, "Content-Type": "text/plain"}
        times = results[index]
        try:
            connection.connect()
            barrier.wait()
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                path = f"/ping/{rng.choice(uuids)}"
                began = time.perf_counter()
                if number % 4 == 3:
                    connection.request("POST", path, body=LOG_BODY, headers=post_headers)
                else:
                    connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                elapsed = time.perf_counter() - began
                if response.status != 200 or answer != b"OK":
                    refused.append(f"{path}: {response.status} {answer[:200]!r}")
                    continue
                times.append(elapsed)
        except Exception as error:  # a client's failure must reach the report
            refused.append(repr(error))
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client that could not connect says why
        barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    times = [value for result in results for value in result]
    return {"times": times, "wall": wall, "ok": len(times), "refused": refused}


def measure(name: str, argv: list[str], port: int, uuids: list[str], pings: int, seed: int) -> dict:
    """Warm the server up, then one load at each concurrency; the figures and the pings answered OK."""
    figures, answered, refused = {}, 0, []
    path = [ROOT, ROOT / "bench"] if name == "baseline" else [ROOT]  # this tree's code, not an installed one
    with running(name, argv, port, path):
        warm = load(port, uuids, WARM_UP, max(CONCURRENCY), seed)
        answered += warm["ok"]
        refused += warm["refused"]
        for clients in CONCURRENCY:
            result = load(port, uuids, pings, clients, seed + clients)
            answered += result["ok"]
            refused += result["refused"]
            times = result["times"] or [math.nan]
            figures[clients] = {
                "per_s": round(result["ok"] / result["wall"], 1),
                "p50_ms": ms(statistics.median(times)),
                "p99_ms": ms(percentile(times, 0.99)),
            }
    return {"figures": figures, "answered": answered, "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from yunwei.monitoring.models import Heartbeat, HeartbeatRun

    migrate_empty(Heartbeat, "heartbeats")
    heartbeats, runs_each, pings = SCALES[args.scale]
    began = time.perf_counter()
    data = generate(heartbeats, runs_each)
    generated = time.perf_counter() - began
    print(
        f"generated {heartbeats} heartbeats with {data['runs_before']} past runs in {generated:.1f} s "
        f"({connection.vendor})",
        flush=True,
    )
    connection.close()  # the servers write now; this process only counts afterwards

    workers, threads = _web_defaults()
    yunwei = str(Path(sys.executable).with_name("yunwei"))
    product_port, baseline_port = _free_port(), _free_port()
    product_argv = [yunwei, "web", "--bind", f"127.0.0.1:{product_port}"]
    from yunwei import cli

    baseline_argv = cli._gunicorn_argv(f"127.0.0.1:{baseline_port}", workers, threads)
    baseline_argv[baseline_argv.index("yunwei.wsgi:application")] = "ping_baseline:application"

    product_uuids = [key for _, key in data["product"]]
    baseline_uuids = [key for _, key in data["baseline"]]
    baseline = measure("baseline", baseline_argv, baseline_port, baseline_uuids, pings, args.seed)
    product = measure("product", product_argv, product_port, product_uuids, pings, args.seed)

    def stored(half: str) -> int:
        ids = [pk for pk, _ in data[half]]
        return HeartbeatRun.objects.filter(heartbeat_id__in=ids).count() - runs_each * len(ids)

    product_stored, baseline_stored = stored("product"), stored("baseline")
    figures = {"backend": connection.vendor, "gunicorn_workers": workers, "gunicorn_threads": threads}
    for clients in CONCURRENCY:
        mine, theirs = product["figures"][clients], baseline["figures"][clients]
        figures[f"pings_per_s_{clients}"] = mine["per_s"]
        figures[f"p50_ms_{clients}"] = mine["p50_ms"]
        figures[f"p99_ms_{clients}"] = mine["p99_ms"]
        figures[f"baseline_pings_per_s_{clients}"] = theirs["per_s"]
        figures[f"baseline_p50_ms_{clients}"] = theirs["p50_ms"]
        figures[f"baseline_p99_ms_{clients}"] = theirs["p99_ms"]
        figures[f"ratio_throughput_{clients}"] = round(mine["per_s"] / max(theirs["per_s"], 1e-9), 2)
    figures["target_ratio_throughput"] = ">= 0.4"
    figures["target_p99_ms_32"] = "<= 50"
    figures["pings_answered_ok"] = product["answered"]
    figures["runs_stored"] = product_stored
    figures["baseline_pings_answered_ok"] = baseline["answered"]
    figures["baseline_runs_stored"] = baseline_stored
    figures["refused"] = len(product["refused"]) + len(baseline["refused"])
    if connection.vendor == "sqlite":
        figures["note"] = "SQLite: one writer at a time, so concurrent pings queue on the database lock"
    summary = {
        "bench": "pings",
        "scale": args.scale,
        "heartbeats": heartbeats,
        "runs_before": data["runs_before"],
        "pings_per_load": pings,
        "generate_s": round(generated, 1),
    }
    report(figures, 28, summary)
    problems = [f"refused: {text}" for text in (product["refused"] + baseline["refused"])[:5]]
    if product_stored != product["answered"]:
        problems.append(f"product: {product['answered']} pings answered OK, {product_stored} runs stored")
    if baseline_stored != baseline["answered"]:
        problems.append(f"baseline: {baseline['answered']} pings answered OK, {baseline_stored} runs stored")
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
