"""Scale mode end to end: two web and two worker processes against PostgreSQL and Redis on loopback.

A heartbeat requested through one web process must be run by one of the workers (another process,
reached only through Redis) and be visible through the other web process (shared PostgreSQL).
"""

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

pytestmark = pytest.mark.scale

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS_URL = "redis://127.0.0.1:6379/9"
WAIT_SECONDS = 60
ADMIN_PASSWORD = secrets.token_urlsafe(16)


def _yunwei() -> list[str]:
    script = Path(sys.executable).with_name("yunwei")
    return [str(script)] if script.exists() else [sys.executable, "-m", "yunwei.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    method = "POST" if data is not None else "GET"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether `pid` is `ancestor` or one of its children (a prefork pool process), from /proc."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False


@pytest.fixture
def services():
    """A fresh PostgreSQL database and Redis database 9; skips when either server is unreachable."""
    try:
        admin = psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432: {error}")
    broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        broker.ping()
    except redis.RedisError as error:
        admin.close()
        pytest.skip(f"Redis is not reachable on 127.0.0.1:6379: {error}")
    name = f"yunwei_scale_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        broker.flushdb()
        broker.close()


class Processes:
    """Child processes with their output in files; all are stopped at the end, whatever happens."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.procs = env, logs, {}

    def run(self, *args: str) -> None:
        done = subprocess.run([*_yunwei(), *args], env=self.env, timeout=300, capture_output=True, text=True)
        assert done.returncode == 0, f"yunwei {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [*_yunwei(), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, process_group=0
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


@pytest.fixture
def processes(services, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "yunwei.settings"),
        "YUNWEI_DATABASE_URL": services,
        "YUNWEI_BROKER_URL": REDIS_URL,
        "YUNWEI_VAR_DIR": str(tmp_path / "var"),
        "YUNWEI_TASKS_EAGER": "false",
        "YUNWEI_DEBUG": "false",
        "YUNWEI_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    procs = Processes(env, tmp_path)
    try:
        yield procs
    finally:
        procs.stop()


def _wait_until_answering(procs: Processes, base: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            status, _body = _request(f"{base}/api/system/heartbeat/")
        except OSError:
            time.sleep(0.5)
            continue
        if status in (401, 403):
            return
        raise AssertionError(f"{base} answered {status} to an anonymous request")
    raise AssertionError(f"{base} did not answer within {WAIT_SECONDS} s\n{procs.output()}")


def test_heartbeat_crosses_from_web_to_worker_through_redis(processes):
    processes.run("migrate", "--noinput")
    processes.run("manage", "createsuperuser", "--noinput", "--username", "scale-admin", "--email", "a@b.cn")

    bases = []
    for index in (1, 2):
        port = _free_port()
        processes.start(f"web{index}", "web", "--bind", f"127.0.0.1:{port}", "--workers", "2")
        bases.append(f"http://127.0.0.1:{port}")
    workers = {
        f"scale-worker{index}": processes.start(
            f"worker{index}", "worker", "--hostname", f"scale-worker{index}@%h", "--concurrency", "1"
        )
        for index in (1, 2)
    }
    for base in bases:
        _wait_until_answering(processes, base)

    credentials = {"username": "scale-admin", "password": ADMIN_PASSWORD}
    status, body = _request(f"{bases[0]}/api/auth/token/", data=credentials)
    assert status in (200, 201), f"token endpoint answered {status}\n{processes.output()}"
    api_token = body["token"]
    status, body = _request(f"{bases[0]}/api/system/heartbeat/", data={}, token=api_token)
    assert status == 202, f"heartbeat request answered {status}\n{processes.output()}"
    heartbeat_token = body["token"]

    seen = {"seen": False}
    deadline = time.monotonic() + WAIT_SECONDS
    while not seen["seen"] and time.monotonic() < deadline:
        processes.check_alive()
        time.sleep(0.5)
        _status, seen = _request(f"{bases[1]}/api/system/heartbeat/?token={heartbeat_token}", token=api_token)
    assert seen["seen"], f"no worker ran the heartbeat within {WAIT_SECONDS} s\n{processes.output()}"

    node = seen["hostname"].split("@", 1)[0]
    assert node in workers, f"heartbeat recorded by {seen['hostname']}, not by a worker"
    assert _descends_from(seen["pid"], workers[node].pid), "the recorded pid is not the worker's"
    webs = [proc for name, proc in processes.procs.items() if name.startswith("web")]
    assert not any(_descends_from(seen["pid"], proc.pid) for proc in webs)
