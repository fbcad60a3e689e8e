"""The embedded supervisor (`yunwei serve`): a dead child is restarted, one that keeps dying stops all."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yunwei.cli import RestartPolicy

ROOT = Path(__file__).resolve().parents[2]

# The supervisor loop as `yunwei serve` runs it (signals included), over children the test chooses.
SUPERVISOR = """
import json, sys
from yunwei.cli import RestartPolicy, run_supervisor
children, policy = json.loads(sys.argv[1])
sys.exit(run_supervisor(children, RestartPolicy(**policy)))
"""
STAYS_UP = [sys.executable, "-c", "import time; time.sleep(600)"]
EXITS_AT_ONCE = [sys.executable, "-c", "import sys; sys.exit(3)"]
STARTED = re.compile(r"The (\w+) process started \(pid (\d+)\)\.")


# --- the policy, with plain inputs ---------------------------------------------------------------


def test_delay_doubles_with_each_death_and_stops_growing_at_the_cap():
    policy = RestartPolicy(first_delay=1, max_delay=5, give_up_after=10, window=60)
    assert [policy.next_delay([0, 1, 2, 3, 4][:n]) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_the_default_policy_tries_four_times_then_gives_up_on_the_fifth_death_in_a_minute():
    policy = RestartPolicy()
    deaths = [0.0, 1.5, 4.0, 8.5, 17.0]
    assert [policy.next_delay(deaths[:n]) for n in range(1, 5)] == [1, 2, 4, 8]
    assert policy.next_delay(deaths) is None


def test_deaths_spread_wider_than_the_window_never_give_up():
    policy = RestartPolicy(first_delay=1, max_delay=30, give_up_after=3, window=60)
    assert policy.next_delay([0, 50, 100]) == 2  # only 50 and 100 are within a minute of each other
    assert policy.next_delay([41, 59, 100]) is None  # three within the last minute


def test_a_child_that_stayed_up_longer_than_the_window_starts_again_at_the_first_delay():
    policy = RestartPolicy(first_delay=1, max_delay=30, give_up_after=5, window=60)
    deaths = [0.0, 1.0, 3.0, 7.0]  # four quick deaths: one more would be the end
    assert policy.next_delay(deaths) == 8
    deaths.append(7.0 + 15 + 120)  # restarted after 8 s, then up for two minutes
    assert policy.next_delay(deaths) == 1
    policy.forget(deaths, now=deaths[-1])
    assert deaths == [142.0]


# --- the loop, over real processes ----------------------------------------------------------------


def _wait_for(condition, timeout: float = 15.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def start_supervisor(tmp_path):
    started: list[tuple[subprocess.Popen, Path]] = []

    def start(children: dict[str, list[str]], **policy) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"supervisor-{len(started)}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with log.open("w") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, "-c", SUPERVISOR, json.dumps([children, policy])],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            )  # fmt: skip
        started.append((proc, log))
        return proc, log

    yield start
    for proc, _log in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


def _pids(log: Path) -> list[tuple[str, int]]:
    return [(name, int(pid)) for name, pid in STARTED.findall(log.read_text())]


def test_a_killed_child_is_restarted_while_the_others_keep_running_and_sigterm_stops_all(start_supervisor):
    supervisor, log = start_supervisor(
        {"web": STAYS_UP, "worker": STAYS_UP}, first_delay=0.2, max_delay=1, give_up_after=3, window=30
    )
    first = dict(_wait_for(lambda: len(_pids(log)) == 2 and _pids(log), what="both children started"))
    os.kill(first["worker"], signal.SIGKILL)

    _wait_for(lambda: len(_pids(log)) == 3, what="the worker restarted")
    (name, new_worker), = _pids(log)[2:]  # fmt: skip
    assert name == "worker" and new_worker != first["worker"]
    assert "The worker process was killed by SIGKILL; restarting it in 0.2 s." in log.read_text()
    assert _alive(first["web"]) and _alive(new_worker)
    assert [pid for name, pid in _pids(log) if name == "web"] == [first["web"]]

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0, log.read_text()
    assert not _alive(first["web"]) and not _alive(new_worker)


def test_a_child_that_keeps_dying_makes_the_supervisor_stop_the_others_and_exit_non_zero(start_supervisor):
    supervisor, log = start_supervisor(
        {"web": STAYS_UP, "worker": EXITS_AT_ONCE},
        first_delay=0.05,
        max_delay=0.1,
        give_up_after=3,
        window=30,
    )
    _wait_for(lambda: supervisor.poll() is not None, timeout=30, what="the supervisor gave up")
    assert supervisor.returncode == 1
    text = log.read_text()
    assert "The worker process exited with code 3; restarting it in 0.05 s." in text
    assert "The worker process exited with code 3; restarting it in 0.1 s." in text
    assert "it died 3 times within 30 s, so Yunwei gives up and stops the others" in text
    pids = _pids(log)
    assert [name for name, pid in pids].count("worker") == 3
    web = [pid for name, pid in pids if name == "web"]
    assert len(web) == 1 and not _alive(web[0])
