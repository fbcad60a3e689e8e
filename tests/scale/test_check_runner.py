"""The check runner with two dispatchers and two Celery workers against PostgreSQL and Redis (database 5).

Sixty TCP checks against a listener on 127.0.0.1, every 10 s, over several slots: two dispatcher processes
claim at the same moments of the same (simulated) time, and two real worker processes, reached only through
Redis, run the batches. For every check and slot there must be exactly one claim and exactly one result —
none twice, none skipped — and the claimed slots of each check must follow each other without a gap.
Skips, saying why, when PostgreSQL or Redis is not reachable.
"""

import collections
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

from ..monitoring.targets import tcp_server
from .stack import Processes, fresh_services

pytestmark = pytest.mark.scale

REDIS_URL = "redis://127.0.0.1:6379/5"
DRIVER = Path(__file__).with_name("runner_driver.py")
CHECKS = 60
ROUNDS = 5
INTERVAL = 10
WAIT_SECONDS = 120


@pytest.fixture
def database():
    """A fresh PostgreSQL database and Redis database 5 (flushed), with a client of the latter; skips when
    either server is unreachable."""
    with fresh_services(REDIS_URL) as url:
        broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            yield url, broker
        finally:
            broker.close()


def _driver(env: dict, *args) -> subprocess.Popen:
    argv = [sys.executable, str(DRIVER), *map(str, args)]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=WAIT_SECONDS)
    assert proc.returncode == 0, f"driver failed:\n{err.decode()[-3000:]}"
    return out.decode()


def _results(url: str) -> list[tuple[int, datetime.datetime]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT active_check_id, slot FROM monitoring_checkresult").fetchall()


def test_two_dispatchers_and_two_workers_run_every_check_once_in_every_slot(database, tmp_path):
    url, broker = database
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yunwei.settings",
        "YUNWEI_DATABASE_URL": url,
        "YUNWEI_BROKER_URL": REDIS_URL,
        "YUNWEI_VAR_DIR": str(tmp_path / "var"),
        "YUNWEI_TASKS_EAGER": "false",
        "YUNWEI_DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
        # The processes import this checkout's code, whichever checkout installed the `yunwei` script.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(DRIVER.parents[2]), os.environ.get("PYTHONPATH")])),
    }
    procs = Processes(env, tmp_path)
    try:
        procs.run("migrate", "--noinput")
        with tcp_server(lambda conn: conn.close()) as port:
            # Slots in the past, so the workers start each run at once; the dispatchers' `now` walks them.
            first = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(minutes=5)
            _finish(_driver(env, "setup", port, CHECKS, first.isoformat()))
            for index in (1, 2):
                procs.start(
                    f"worker{index}", "worker", "--hostname", f"runner{index}@%h", "--concurrency", "2"
                )
            start = time.time() + 4  # both dispatchers set up and waiting before the first round
            dispatchers = [
                _driver(env, "dispatch", start, 1, first.isoformat(), ROUNDS, INTERVAL) for _ in range(2)
            ]
            claims = [json.loads(_finish(proc)) for proc in dispatchers]
            claimed = [(pk, datetime.datetime.fromisoformat(slot)) for pair in claims for pk, slot in pair]

            deadline = time.monotonic() + WAIT_SECONDS
            while len(_results(url)) < len(claimed) and time.monotonic() < deadline:
                procs.check_alive()
                time.sleep(0.5)
            while broker.llen("default") and time.monotonic() < deadline:  # nothing left to run twice
                time.sleep(0.5)
            results = _results(url)
    finally:
        procs.stop()

    assert all(claims), f"each dispatcher should have won some claims: {[len(c) for c in claims]}"
    twice = [pair for pair, count in collections.Counter(claimed).items() if count > 1]
    assert not twice, f"claimed twice: {twice[:5]}"
    by_check = collections.defaultdict(list)
    for pk, slot in claimed:
        by_check[pk].append(slot)
    assert len(by_check) == CHECKS
    step = datetime.timedelta(seconds=INTERVAL)
    for pk, slots in by_check.items():
        slots.sort()
        expected = [first + step * k for k in range(len(slots))]
        assert slots == expected, f"check {pk} skipped a slot: {slots}"
        assert len(slots) >= ROUNDS
    run_twice = [pair for pair, count in collections.Counter(results).items() if count > 1]
    assert not run_twice, f"run twice: {run_twice[:5]}"
    missing = sorted(set(claimed) - set(results))
    assert sorted(results) == sorted(claimed), f"{len(missing)} claims without a result\n{procs.output()}"
    assert "IntegrityError" not in procs.output(), procs.output()
