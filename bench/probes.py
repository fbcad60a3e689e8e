"""Benchmark: the check runner at 4,000 checks a minute against local targets, with the product's own worker.

    python bench/probes.py --scale small|full

In its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own; the figures are meant
for PostgreSQL), else a temporary SQLite file — it starts the embedded mode's worker exactly as
`yunwei serve` does (`celery worker -B --pool=threads --concurrency=4 -Q default`: the worker with the
beat scheduler inside it, on the filesystem broker under its own var folder) and serves the targets from
this process on 127.0.0.1: TCP ports that accept, an HTTP server answering at once and one answering
after a fixed 200 ms.

1. **Baseline** (the same run, the same worker, once it is up): a handful of checks every 10 s for
   30 s — the start delay of an idle dispatcher — and the 200 ms target probed alone, one request at a
   time from this process with the product's probe.
2. **Load**: the checks (full: 4,000, small: 600), each every 60 s, their slots spread over the minute:
   three in four TCP connects, one in ten HTTP to the 200 ms target, the rest HTTP answered at once. After
   a warm-up the window is measured (full: 3 minutes, small: 1 minute).

It reports, over the runs whose slot falls in the window: the start delay (the result's start minus its
slot: p50, p99, max; target p99 ≤ 2 s), the runs missing (a slot with no result), the median latency the
200 ms target reads under load (target 200 ± 20 ms) and alone, and the CPU of the worker process tree
(worker and scheduler: utime + stime from /proc/<pid>/stat of every process in it, over the window;
target under half a core), each load figure beside its baseline as a ratio. Prints the figures and, as
its last line, one JSON object; exits non-zero when a run is missing.
"""

import argparse
import asyncio
import datetime
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import migrate_empty, ms, report, setup_django

ROOT = Path(__file__).resolve().parent.parent
SCALES = {"small": (600, 60), "full": (4_000, 180)}  # checks a minute, measured window (s)
WARM_UP = 30  # seconds of load before the window
INTERVAL = 60
DELAY = 0.2
TCP_PORTS = 20
BASELINE_CHECKS, BASELINE_SECONDS, BASELINE_INTERVAL = 6, 30, 10
ALONE_PROBES = 30
STARTUP = 30  # seconds for the worker to start and the beat to tick once


# -- targets --------------------------------------------------------------------------------------


class Targets:
    """TCP ports that accept and close, an HTTP server answering at once and one after DELAY, in an
    event loop of their own in a thread of this process."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.tcp_ports: list[int] = []
        self.http_port = self.slow_port = 0
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self):
        for _ in range(TCP_PORTS):
            server = await asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=1024)
            self.tcp_ports.append(server.sockets[0].getsockname()[1])
        fast = await asyncio.start_server(self._answer(0), "127.0.0.1", 0, backlog=1024)
        slow = await asyncio.start_server(self._answer(DELAY), "127.0.0.1", 0, backlog=1024)
        self.http_port = fast.sockets[0].getsockname()[1]
        self.slow_port = slow.sockets[0].getsockname()[1]

    @staticmethod
    async def _accept(reader, writer):
        writer.close()

    @staticmethod
    def _answer(delay: float):
        async def handle(reader, writer):
            try:
                await reader.readuntil(b"\r\n\r\n")
                if delay:
                    await asyncio.sleep(delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        return handle


# -- the worker -----------------------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    """`root` and every process descending from it, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cpu_seconds(root: int) -> dict[int, float]:
    """utime + stime of each process of the tree, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14 and 15)
    return seconds


def used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def start_worker(var_dir: Path) -> subprocess.Popen:
    from yunwei import cli

    # The embedded mode's worker, as `yunwei serve` starts it (yunwei/cli.py, serve()).
    argv = cli._celery_argv("worker", "-B", "--pool=threads", "--concurrency=4", "-Q", "default")
    env = {
        **os.environ,
        "YUNWEI_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
        "YUNWEI_TASKS_EAGER": "false",
    }
    log = (var_dir / "worker.log").open("w")
    return subprocess.Popen(argv, env=env, stdout=log, stderr=log, cwd=ROOT, process_group=0)  # noqa: S603


def stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


# -- data -----------------------------------------------------------------------------------------


def make_checks(item, count: int, first: datetime.datetime, every: int, targets: Targets, tag: str):
    """`count` checks of `item` every `every` s, their slots spread over the first interval from `first`."""
    from yunwei.monitoring.models import Check

    rows = []
    for n in range(count):
        if n % 10 == 0:
            kind, spec = "http", {"url": f"http://127.0.0.1:{targets.slow_port}/slow", "timeout": 5}
        elif n % 4 == 1:
            kind, spec = "http", {"url": f"http://127.0.0.1:{targets.http_port}/", "timeout": 5}
        else:
            kind, spec = "tcp", {"host": "127.0.0.1", "port": targets.tcp_ports[n % TCP_PORTS], "timeout": 5}
        slot = first + datetime.timedelta(seconds=every * n / count)
        rows.append(
            Check(
                unit=item.unit,
                item=item,
                name=f"{tag}-{n:05d}",
                kind=kind,
                spec=spec,
                interval=every,
                retry_interval=min(20, every),
                next_run_at=slot.replace(microsecond=slot.microsecond // 1000 * 1000),
            )
        )
    return Check.objects.bulk_create(rows, batch_size=1000)


def window_figures(checks, since: datetime.datetime, until: datetime.datetime) -> dict:
    """Start delays and latencies of the runs whose slot lies in [since, until), and the slots missed."""
    from yunwei.monitoring.models import CheckResult

    ids = [check.pk for check in checks]
    slow = {check.pk for check in checks if "/slow" in str(check.spec.get("url", ""))}
    rows = list(
        CheckResult.objects.filter(active_check_id__in=ids, slot__gte=since, slot__lt=until).values_list(
            "active_check_id", "slot", "at", "latency_ms", "status"
        )
    )
    expected = 0
    for check in checks:
        first, step = check.next_run_at, datetime.timedelta(seconds=check.interval)
        # every slot of the check from its first one that falls within the window
        k = max(0, -(-(since - first) // step))
        while first + step * k < until:
            expected += 1
            k += 1
    delays = sorted((at - slot).total_seconds() for _pk, slot, at, _latency, _status in rows)
    slow_latency = [latency for pk, _s, _a, latency, _st in rows if pk in slow and latency is not None]
    return {
        "runs": len(rows),
        "expected": expected,
        "down_or_unknown": sum(1 for row in rows if row[4] != "up"),
        "delay_p50_ms": ms(_pick(delays, 0.5)),
        "delay_p99_ms": ms(_pick(delays, 0.99)),
        "delay_max_ms": ms(delays[-1]) if delays else None,
        "slow_median_ms": round(statistics.median(slow_latency), 1) if slow_latency else None,
        "slow_runs": len(slow_latency),
    }


def _pick(values: list[float], share: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    return values[max(0, min(len(values) - 1, int(-(-len(values) * share // 1)) - 1))]


def probe_alone(port: int) -> float:
    """The 200 ms target probed alone, one request at a time, by the product's probe; the median in ms."""
    from yunwei.monitoring import probes

    spec = {"type": "http", "url": f"http://127.0.0.1:{port}/slow", "timeout": 5}
    latencies = [asyncio.run(probes.run(spec)).latency_ms for _ in range(ALONE_PROBES)]
    return round(statistics.median(latencies), 1)


def wait_until(moment: datetime.datetime, worker: subprocess.Popen, var_dir: Path) -> None:
    from django.utils import timezone

    while timezone.now() < moment:
        if worker.poll() is not None:
            sys.exit(f"the worker exited: {(var_dir / 'worker.log').read_text()[-3000:]}")
        time.sleep(min(1.0, max(0.05, (moment - timezone.now()).total_seconds())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request of the probe alone
    var_dir = Path(tempfile.mkdtemp(prefix="yunwei-bench-probes-"))
    (var_dir / "static").mkdir()
    os.environ["YUNWEI_VAR_DIR"] = str(var_dir)
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from yunwei import cli
    from yunwei.cmdb.models import Item, ItemType
    from yunwei.monitoring.models import Check
    from yunwei.org.choices import UnitKind
    from yunwei.org.models import Unit

    migrate_empty(Check, "checks")
    cli._prepare_var()
    per_minute, window = SCALES[args.scale]
    unit = Unit.objects.create(code="bench", name="基准测试单位", kind=UnitKind.GROUP)
    item = Item.objects.create(
        unit=unit, type=ItemType.objects.get(code="application"), code="BENCH", name="基准"
    )
    targets = Targets()
    worker = start_worker(var_dir)
    try:
        # 1. Baseline: an idle dispatcher, and the 200 ms target alone. The beat's first dispatch tick
        # comes 10 s after the worker is up: the baseline's slots begin after it.
        began = timezone.now() + datetime.timedelta(seconds=STARTUP)
        idle = make_checks(item, BASELINE_CHECKS, began, BASELINE_INTERVAL, targets, "idle")
        alone_ms = probe_alone(targets.slow_port)
        idle_until = began + datetime.timedelta(seconds=BASELINE_SECONDS)
        wait_until(idle_until + datetime.timedelta(seconds=5), worker, var_dir)
        baseline = window_figures(idle, began, idle_until)
        Check.objects.filter(pk__in=[check.pk for check in idle]).update(next_run_at=None)  # paused

        # 2. Load: `per_minute` checks every minute, warm-up, then the measured window.
        first = timezone.now() + datetime.timedelta(seconds=15)
        made = time.perf_counter()
        loaded = make_checks(item, per_minute, first, INTERVAL, targets, "load")
        print(
            f"made {len(loaded)} checks in {time.perf_counter() - made:.1f} s ({connection.vendor})",
            flush=True,
        )
        since = first + datetime.timedelta(seconds=WARM_UP)
        until = since + datetime.timedelta(seconds=window)
        wait_until(since, worker, var_dir)
        cpu_before, wall_before = cpu_seconds(worker.pid), time.monotonic()
        wait_until(until, worker, var_dir)
        cpu_after, wall = cpu_seconds(worker.pid), time.monotonic() - wall_before
        wait_until(until + datetime.timedelta(seconds=15), worker, var_dir)  # the last batches recorded
        load = window_figures(loaded, since, until)
    finally:
        stop_worker(worker)
    cores = used(cpu_before, cpu_after) / wall
    log_tail = (var_dir / "worker.log").read_text()[-3000:]
    shutil.rmtree(var_dir, ignore_errors=True)

    figures = {
        "backend": connection.vendor,
        "checks_per_minute": per_minute,
        "window_s": window,
        "runs": load["runs"],
        "runs_expected": load["expected"],
        "runs_missing": load["expected"] - load["runs"],
        "runs_not_up": load["down_or_unknown"],
        "start_delay_p50_ms": load["delay_p50_ms"],
        "start_delay_p99_ms": load["delay_p99_ms"],
        "start_delay_max_ms": load["delay_max_ms"],
        "baseline_start_delay_p99_ms": baseline["delay_p99_ms"],
        "ratio_start_delay_p99": round(load["delay_p99_ms"] / max(baseline["delay_p99_ms"], 1e-3), 2),
        "slow_target_median_ms": load["slow_median_ms"],
        "slow_target_runs": load["slow_runs"],
        "baseline_slow_target_alone_median_ms": alone_ms,
        "ratio_slow_target_median": round((load["slow_median_ms"] or 0) / alone_ms, 3),
        "worker_cpu_cores": round(cores, 3),
        "worker_processes": len(cpu_after),
        "target_start_delay_p99_ms": "<= 2000",
        "target_slow_target_median_ms": "200 ± 20",
        "target_worker_cpu_cores": "< 0.5",
    }
    summary = {"bench": "probes", "scale": args.scale, "baseline_runs": baseline["runs"]}
    report(figures, 36, summary)
    if figures["runs_missing"]:
        sys.exit(f"{figures['runs_missing']} runs missing\n{log_tail}")


if __name__ == "__main__":
    main()
