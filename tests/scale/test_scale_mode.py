"""Scale mode end to end: two web and two worker processes against PostgreSQL and Redis on loopback.

A heartbeat requested through one web process must be run by one of the workers (another process,
reached only through Redis) and be visible through the other web process (shared PostgreSQL).
"""

import secrets
import time
from pathlib import Path

import pytest

from .stack import Processes, fresh_services, product_env, request, start_web_and_workers

pytestmark = pytest.mark.scale

REDIS_URL = "redis://127.0.0.1:6379/9"
WAIT_SECONDS = 60
ADMIN_PASSWORD = secrets.token_urlsafe(16)


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
def processes(tmp_path):
    """A fresh PostgreSQL database and Redis database 9 (skips when either is unreachable), and the
    product's processes on them, stopped at the end."""
    with fresh_services(REDIS_URL) as database_url:
        env = product_env(database_url, REDIS_URL, tmp_path, DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD)
        procs = Processes(env, tmp_path)
        try:
            yield procs
        finally:
            procs.stop()


def test_heartbeat_crosses_from_web_to_worker_through_redis(processes):
    processes.run("migrate", "--noinput")
    processes.run("manage", "createsuperuser", "--noinput", "--username", "scale-admin", "--email", "a@b.cn")

    bases, workers = start_web_and_workers(processes, scheduler=False)

    credentials = {"username": "scale-admin", "password": ADMIN_PASSWORD}
    status, body = request(f"{bases[0]}/api/auth/token/", data=credentials)
    assert status in (200, 201), f"token endpoint answered {status}\n{processes.output()}"
    api_token = body["token"]
    status, body = request(f"{bases[0]}/api/system/heartbeat/", data={}, token=api_token)
    assert status == 202, f"heartbeat request answered {status}\n{processes.output()}"
    heartbeat_token = body["token"]

    seen = {"seen": False}
    deadline = time.monotonic() + WAIT_SECONDS
    while not seen["seen"] and time.monotonic() < deadline:
        processes.check_alive()
        time.sleep(0.5)
        _status, seen = request(f"{bases[1]}/api/system/heartbeat/?token={heartbeat_token}", token=api_token)
    assert seen["seen"], f"no worker ran the heartbeat within {WAIT_SECONDS} s\n{processes.output()}"

    node = seen["hostname"].split("@", 1)[0]
    assert node in workers, f"heartbeat recorded by {seen['hostname']}, not by a worker"
    assert _descends_from(seen["pid"], workers[node].pid), "the recorded pid is not the worker's"
    webs = [proc for name, proc in processes.procs.items() if name.startswith("web")]
    assert not any(_descends_from(seen["pid"], proc.pid) for proc in webs)
