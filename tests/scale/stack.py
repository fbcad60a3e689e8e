"""What the scale-mode tests share: a fresh PostgreSQL database and Redis database, the product's processes
(`yunwei web`, `worker`, `scheduler`) as children with their output in files, and waiting for a web
process to answer."""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
WAIT_SECONDS = 60
# The name the fresh databases start with; a checkout sharing the server with others may set its own.
DB_PREFIX = os.environ.get("YUNWEI_SCALE_TEST_DB_PREFIX", "yunwei_scale_")


def yunwei() -> list[str]:
    script = Path(sys.executable).with_name("yunwei")
    return [str(script)] if script.exists() else [sys.executable, "-m", "yunwei.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    method = "POST" if data is not None else "GET"
    sent = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(sent, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


@contextlib.contextmanager
def fresh_services(redis_url: str):
    """A new PostgreSQL database (its URL is yielded, dropped afterwards) and the Redis database of
    `redis_url` (flushed afterwards); skips when either server is unreachable."""
    try:
        admin = psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {error}")
    broker = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        broker.ping()
    except redis.RedisError as error:
        admin.close()
        pytest.skip(f"Redis is not reachable on 127.0.0.1:6379: {error}")
    broker.flushdb()  # nothing left by an earlier run that was cut short
    name = f"{DB_PREFIX}{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        broker.flushdb()
        broker.close()


def product_env(database_url: str, redis_url: str, folder: Path, **extra: str) -> dict:
    """The environment of the product's processes: production settings on the given servers."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "yunwei.settings"),
        "YUNWEI_DATABASE_URL": database_url,
        "YUNWEI_BROKER_URL": redis_url,
        "YUNWEI_VAR_DIR": str(folder / "var"),
        "YUNWEI_TASKS_EAGER": "false",
        "YUNWEI_DEBUG": "false",
        "YUNWEI_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        # The processes import this checkout's code, whichever checkout installed the `yunwei` script.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


class Processes:
    """Child processes with their output in files; all are stopped at the end, whatever happens."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs = env, logs, {}

    def run(self, *args: str) -> None:
        done = subprocess.run([*yunwei(), *args], env=self.env, timeout=300, capture_output=True, text=True)
        assert done.returncode == 0, f"yunwei {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [*yunwei(), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, process_group=0
        )
        return self.procs[name]

    def output(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.logs.glob("*.log"))

    def check_alive(self) -> None:
        dead = {name: proc.returncode for name, proc in self.procs.items() if proc.poll() is not None}
        assert not dead, f"processes exited early: {dead}\n{self.output()}"

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # pool children or gunicorn workers left behind
            proc.wait()


def wait_until_answering(procs: Processes, base: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            status, _body = request(f"{base}/api/system/heartbeat/")
        except OSError:
            time.sleep(0.5)
            continue
        if status in (401, 403):
            return
        raise AssertionError(f"{base} answered {status} to an anonymous request")
    raise AssertionError(f"{base} did not answer within {WAIT_SECONDS} s\n{procs.output()}")


def start_web_and_workers(procs: Processes, *, scheduler: bool) -> tuple[list[str], dict]:
    """Scale mode on a migrated database: two `yunwei web` (two gunicorn workers each), two `yunwei worker`
    (named `scale-workerN@host`) and, when asked, the one `yunwei scheduler`; once both web processes
    answer, their base URLs and the workers' processes by node name."""
    bases = []
    for index in (1, 2):
        port = free_port()
        procs.start(f"web{index}", "web", "--bind", f"127.0.0.1:{port}", "--workers", "2")
        bases.append(f"http://127.0.0.1:{port}")
    workers = {
        f"scale-worker{index}": procs.start(
            f"worker{index}", "worker", "--hostname", f"scale-worker{index}@%h", "--concurrency", "1"
        )
        for index in (1, 2)
    }
    if scheduler:
        procs.start("scheduler", "scheduler")
    for base in bases:
        wait_until_answering(procs, base)
    return bases, workers
