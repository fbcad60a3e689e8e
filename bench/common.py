"""What the benchmarks share: a database of their own, client processes, the units they report in, and
their output."""

import atexit
import json
import math
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def setup_django() -> None:
    """Django on `YUNWEI_DATABASE_URL` when set, else on a temporary SQLite file removed at exit."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if not os.environ.get("YUNWEI_DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="yunwei-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["YUNWEI_VAR_DIR"] = folder
        Path(folder, "static").mkdir()  # WhiteNoise warns about a missing static root otherwise
        os.environ["YUNWEI_DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunwei.settings")
    import django

    django.setup()


def migrate_empty(model, what: str) -> None:
    """Migrate, and refuse a database that already holds `model` rows: the figures need known data."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if model.objects.exists():
        sys.exit(f"The benchmark needs an empty database of its own (YUNWEI_DATABASE_URL holds {what}).")


# -- client processes -------------------------------------------------------------------------------

START_TIMEOUT_S = 600  # spawning and setting up Django in every client, on a busy machine
_barrier = None  # in a client process: where the clients meet before their clock starts
_started = 0.0


def _set_up_client(barrier) -> None:
    global _barrier
    _barrier = barrier
    setup_django()


def start_together() -> None:
    """Called by a client when it is ready to be timed: it waits for the others, and all start at once."""
    global _started
    _barrier.wait(timeout=START_TIMEOUT_S)
    _started = time.perf_counter()


def _run_client(work, job: tuple):
    try:
        result = work(*job)
    except BaseException:
        _barrier.abort()  # the others must not wait for a client that has failed
        raise
    # perf_counter is the system's monotonic clock: moments of different processes compare.
    return result, _started, time.perf_counter()


class Clients:
    """`count` client processes, each with Django set up and its own database connections, kept for
    every run of a benchmark (`with Clients(8) as clients: clients.run(work, jobs)`).

    Processes rather than threads of the benchmark's own process: threads share one interpreter lock,
    so their Python work runs one at a time, as it never does in a deployment, which runs several web
    processes. Spawned, not forked: the benchmark's process may have threads and open connections.
    """

    def __init__(self, count: int):
        context = multiprocessing.get_context("spawn")
        self.count = count
        self._executor = ProcessPoolExecutor(
            count, mp_context=context, initializer=_set_up_client, initargs=(context.Barrier(count),)
        )

    def run(self, work, jobs: list[tuple]) -> tuple[list, float]:
        """`work(*job)` for each job, each in a client process of its own; `work`, a function of the
        benchmark's module, calls `start_together()` when its preparation is done. Returns what each
        returned, in the jobs' order, and the seconds from their start until the last one ended."""
        assert len(jobs) == self.count, f"{len(jobs)} jobs for {self.count} clients"
        futures = [self._executor.submit(_run_client, work, job) for job in jobs]
        outcomes = [future.result() for future in futures]
        wall = max(ended for _, _, ended in outcomes) - min(started for _, started, _ in outcomes)
        return [result for result, _, _ in outcomes], wall

    def __enter__(self) -> "Clients":
        return self

    def __exit__(self, *exc) -> None:
        self._executor.shutdown()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def p95(values: list[float]) -> float:
    """Nearest rank: the ⌈0.95·n⌉-th smallest value (the 48th of 50)."""
    return sorted(values)[max(0, math.ceil(len(values) * 0.95) - 1)]


def report(figures: dict, width: int, summary: dict) -> None:
    """Each figure on its own line, then everything as one JSON object, the last line."""
    for key, value in figures.items():
        print(f"{key:>{width}}: {value}")
    print(json.dumps({**summary, **figures}, ensure_ascii=False))
