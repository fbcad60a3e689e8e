"""`yunwei serve` as an operator starts it: the supervisor prepares the database in a child, then runs the
web server and one worker whose scheduler is one of its threads (bench/memory.py measures what that
saves), and stops them all on SIGTERM."""

import os
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.product import YUNWEI, _demo_folder, _environment, _free_port

pytestmark = pytest.mark.e2e
DEADLINE = 120  # seconds; the scheduler's first tick comes within a minute of its start


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    return (Path(f"/proc/{pid}/cmdline").read_bytes()).decode(errors="replace").replace("\0", " ")


def test_serve_runs_the_scheduler_inside_its_one_worker_and_stops_on_sigterm(tmp_path, run_folder):
    var = tmp_path / "var"
    shutil.copytree(_demo_folder(run_folder), var)
    port = _free_port()
    env = {**_environment(var), "YUNWEI_PORT": str(port), "YUNWEI_DEMO_TARGETS": "false"}
    env.pop("YUNWEI_TASKS_EAGER")
    started = time.time()
    with (tmp_path / "serve.log").open("w") as log:
        serve = subprocess.Popen([YUNWEI, "serve"], env=env, stdout=log, stderr=log)  # noqa: S603 - ours
    try:
        ticks: list = []
        deadline = time.monotonic() + DEADLINE
        while not ticks and time.monotonic() < deadline:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            time.sleep(1)
            with sqlite3.connect(var / "yunwei.sqlite3", timeout=5) as database:
                ticks = database.execute(
                    "SELECT pid FROM core_schedulerheartbeat WHERE at > ?",
                    (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)),),
                ).fetchall()
        log_tail = (tmp_path / "serve.log").read_text()[-3000:]
        assert ticks, f"no scheduler tick within {DEADLINE} s:\n{log_tail}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
            assert answer.status == 200

        children = {pid: _cmdline(pid) for pid in _children(serve.pid)}
        workers = [pid for pid, line in children.items() if "celery" in line]
        assert len(workers) == 1 and "--beat-thread" in children[workers[0]]
        # The scheduler ticked in the worker's own process, and the worker forked no scheduler of its own.
        assert {pid for (pid,) in ticks} == {workers[0]}
        assert _children(workers[0]) == []
        assert not [line for line in children.values() if "prepare" in line]  # the preparation is over
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    assert code == 0
