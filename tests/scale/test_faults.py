"""Faults in scale mode: nothing lost, nothing twice (issue 27).

The product runs as in production (two `yunwei web`, two `yunwei worker`, one `yunwei scheduler`) against a
PostgreSQL cluster and a Redis server of this test's own, on loopback, so restarting them disturbs nobody.
Its notices go to a webhook channel whose receiver runs in this test, so deliveries are counted where they
arrive.

1. Load while faulting: one client sends Alertmanager webhooks (each alert its own fingerprint, some sent
   again), another reports incidents through the API (each its own title); meanwhile a worker is killed
   with SIGKILL and started again, a gunicorn worker and a gunicorn master are killed with SIGKILL (the
   master's web started again), and PostgreSQL is restarted twice with `pg_ctl restart -m immediate` (a
   crash: no shutdown checkpoint, recovery from the WAL). The clients retry like real senders (a
   connection error or a 5xx is sent again; an incident report whose answer was lost is looked up by its
   title first, since a report carries no idempotency key) and count only what was answered 2xx.
   Afterwards: every alert answered 2xx is stored once (its repeats counted), every incident answered 2xx
   exists once, no notice and no delivery is duplicated (in the tables and at the receiver), the
   correlation outbox is empty and every placed alert is in an incident, and what the killed worker left
   (the tasks it had taken from the queue, the outbox rows and deliveries pending when it died) is done.
   The worker is killed holding tasks but between two sends (`_holding_work_between_sends` says why).
2. Redis stopped: while it is away (REDIS_DOWN seconds here; the issue says minutes — nothing in the
   product counts how long, the outbox rows and claims wait in PostgreSQL however long it is), both web
   processes answer reads and accept alerts and incident reports with a 2xx. It comes back empty (no
   persistence), as a restarted Redis without a disk would: after that, each notice due meanwhile reaches
   the receiver exactly once (the delivery sweep finds it), the alerts sent meanwhile are placed, and the
   checks run again with one result per check and slot.

No timing is asserted: each wait has a deadline only so a failure ends. Skips, saying why, without
PostgreSQL's server binaries, `runuser`, a `postgres` user or `redis-server`, or when not run as root
(the cluster runs as the `postgres` user).
"""

import base64
import collections
import contextlib
import datetime
import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
import redis

from .stack import Processes

pytestmark = pytest.mark.scale

DRIVER = Path(__file__).with_name("faults_driver.py")
PASSWORD = "correct-horse-battery-9"  # tests.conftest.PASSWORD, which the driver's make_user sets
ITEMS = 12
CHECKS = 4
ALERT_REQUESTS = 90
REPORTS = 30
LOAD_GAP = 0.5  # seconds between two requests of one client
REDIS_DOWN = 30  # seconds Redis stays away
DRAIN_SECONDS = 240  # deadline of each wait for the background work
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done


# -- the private PostgreSQL cluster and Redis server ----------------------------------------------


class Cluster:
    """A PostgreSQL cluster in a temporary folder, run as the `postgres` user (initdb refuses root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="yunwei-faults-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/yunwei"
        self.admin = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _pg(self, *args: str) -> None:
        _run(["runuser", "-u", "postgres", "--", str(self.bindir / args[0]), *args[1:]])

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "postgres.log")
        self._pg("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "-t", "60", *args)

    def create(self) -> None:
        uid = pwd.getpwnam("postgres")
        os.chown(self.folder, uid.pw_uid, uid.pw_gid)
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._ctl("start")
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE yunwei")

    def restart(self) -> None:
        """A crash-like restart: the server stops without a checkpoint and recovers from its WAL."""
        self._ctl("restart", "-m", "immediate")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def rows(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()


class RedisServer:
    """A Redis server of the test's own, without persistence: restarted, it comes back empty."""

    def __init__(self, folder: Path):
        self.port, self.folder, self.proc = _free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        log = (self.folder / "redis.log").open("a")
        self.proc = subprocess.Popen([*argv, "--dir", str(self.folder)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            assert self.proc.poll() is None, (self.folder / "redis.log").read_text()[-2000:]
            time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def servers(tmp_path):
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        pytest.skip("PostgreSQL's server binaries (/usr/lib/postgresql/<version>/bin) are not installed")
    if not shutil.which("runuser") or not shutil.which("redis-server"):
        pytest.skip("runuser or redis-server is not installed")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("there is no postgres user to run a private cluster as")
    if os.geteuid() != 0:
        pytest.skip("running a cluster as the postgres user needs root")
    cluster, redis_server = Cluster(Path(binaries[-1]).parent), RedisServer(tmp_path)
    try:
        cluster.create()
        redis_server.start()
        yield cluster, redis_server
    finally:
        redis_server.stop()
        cluster.remove()


# -- the receiver of the webhook channel ----------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    """Takes every webhook the product sends, keeping (delivery id, event key) in arrival order."""

    daemon_threads = True

    def __init__(self):
        self.got: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Hook)


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        with self.server.lock:
            self.server.got.append((body.get("delivery_id"), body.get("event_key")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def receiving():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- clients that retry like real senders ---------------------------------------------------------


class Answer(Exception):
    """No answer (a connection error); `reached`: the request may have been handled all the same."""

    def __init__(self, reason: str, reached: bool):
        super().__init__(reason)
        self.reached = reached


def _call(url: str, *, data=None, headers=None, timeout: float = 20) -> tuple[int, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except ConnectionRefusedError as error:
        raise Answer(repr(error), reached=False) from None
    except urllib.error.URLError as error:
        reached = not isinstance(error.reason, ConnectionRefusedError)
        raise Answer(repr(error.reason), reached=reached) from None
    except (OSError, http.client.HTTPException) as error:  # reset, timed out, closed without an answer
        raise Answer(repr(error), reached=True) from None


class Client:
    """Sends to the web processes in turn; retries a refused or failed request on the next one."""

    def __init__(self, bases: list[str], token: str = ""):
        self.bases, self.token, self.turn = bases, token, 0
        self.problems: list[str] = []
        self.retries = 0

    def headers(self) -> dict:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def once(self, path: str, data=None, timeout: float = 20) -> tuple[int, bytes]:
        self.turn += 1
        base = self.bases[self.turn % len(self.bases)]
        return _call(base + path, data=data, headers=self.headers(), timeout=timeout)

    def get_json(self, path: str, deadline: float) -> dict:
        while time.monotonic() < deadline:
            try:
                status, body = self.once(path)
            except Answer:
                status, body = 0, b""
            if status == 200:
                return json.loads(body)
            time.sleep(0.5)
        raise AssertionError(f"GET {path} got no 200 before the deadline")


def send_alerts(
    client: Client,
    path: str,
    plan: list[str],
    hosts: dict,
    ok: collections.Counter,
    tried: collections.Counter,
    stop_at: float,
) -> None:
    """POST one alert per request; `ok` counts the 2xx per fingerprint, `tried` every attempt that may
    have reached the product."""
    for fingerprint in plan:
        body = _alertmanager(fingerprint, hosts[fingerprint])
        while time.monotonic() < stop_at:
            try:
                status, answer = client.once(path, data=body)
            except Answer as error:
                tried[fingerprint] += error.reached
                client.retries += 1
                time.sleep(0.3)
                continue
            tried[fingerprint] += 1
            if 200 <= status < 300:
                ok[fingerprint] += 1
                break
            if status < 500:
                client.problems.append(f"alert {fingerprint}: {status} {answer[:200]!r}")
                break
            client.retries += 1
            time.sleep(0.3)
        time.sleep(LOAD_GAP)


def report_incidents(
    client: Client, unit: int, titles: list[str], ok: list[str], found: list[str], stop_at: float
) -> None:
    """POST one incident report per title; `ok` the titles answered 2xx, `found` those whose answer was
    lost but which the product had stored (a lookup by title, as a careful client would do)."""
    for title in titles:
        maybe_stored = False
        while time.monotonic() < stop_at:
            if maybe_stored:
                try:
                    status, answer = client.once(f"/api/incidents/?search={urllib.parse.quote(title)}")
                except Answer:
                    time.sleep(0.5)
                    continue
                if status != 200:
                    time.sleep(0.5)
                    continue
                if json.loads(answer)["count"]:
                    found.append(title)
                    break
                maybe_stored = False
            data = {"unit": unit, "title": title, "description": "故障演练", "impact_scope": "one_user"}
            try:
                status, answer = client.once("/api/incidents/", data=data)
            except Answer as error:
                maybe_stored = error.reached
                client.retries += 1
                time.sleep(0.3)
                continue
            if 200 <= status < 300:
                ok.append(title)
                break
            if status < 500:
                client.problems.append(f"report {title}: {status} {answer[:200]!r}")
                break
            maybe_stored = True  # a 5xx may come from a commit whose answer failed: look first
            client.retries += 1
            time.sleep(0.3)
        time.sleep(LOAD_GAP)


def _alertmanager(fingerprint: str, host: str) -> dict:
    alert = {
        "status": "firing",
        "labels": {"alertname": "FaultDrill", "instance": f"{host}:9100", "job": "node", "fp": fingerprint},
        "annotations": {"summary": f"{host} drill"},
        "startsAt": "2026-12-07T01:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint,
    }
    return {"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "yunwei",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
            "truncatedAlerts": 0, "alerts": [alert]}  # fmt: skip


# -- the processes --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


class Product:
    def __init__(self, procs: Processes, cluster: Cluster):
        self.procs, self.cluster = procs, cluster
        self.ports = [_free_port(), _free_port()]
        self.bases = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.starts = collections.Counter()

    def start(self, name: str) -> subprocess.Popen:
        self.starts[name] += 1
        log = f"{name}-{self.starts[name]}"
        if name.startswith("web"):
            port = self.ports[int(name[-1]) - 1]
            proc = self.procs.start(log, "web", "--bind", f"127.0.0.1:{port}", "--workers", "2")
        elif name.startswith("worker"):
            node = f"faults-{name}@%h"
            proc = self.procs.start(log, "worker", "--hostname", node, "--concurrency", "2")
        else:
            proc = self.procs.start(log, "scheduler")
        return proc

    def proc(self, name: str) -> subprocess.Popen:
        return self.procs.procs[f"{name}-{self.starts[name]}"]

    def wait_answering(self, base: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.procs.check_alive()
            with contextlib.suppress(Answer):
                if _call(f"{base}/healthz", timeout=5)[0] == 200:
                    return
            time.sleep(0.3)
        raise AssertionError(f"{base} did not answer\n{self.procs.output()}")

    def forget(self, name: str) -> None:
        """A killed process leaves the list of those that must stay alive."""
        self.procs.procs.pop(f"{name}-{self.starts[name]}")


WAITING = (
    "SELECT id FROM notify_delivery WHERE state IN ('pending', 'sending') AND recipient_kind = 'channel'"
)
SENT = "SELECT id, event_key FROM notify_delivery WHERE recipient_kind = 'channel' AND state = 'sent'"


RUN_CHECKS = "yunwei.monitoring.tasks.run_checks"  # held until their slot: not work left behind


def _held_tasks(url: str) -> dict[str, tuple[str, list]]:
    """The tasks the workers hold (taken from the queue, not yet acknowledged: Celery acknowledges after
    the run), read from kombu's `unacked` hash: {task id: (name, args)}."""
    broker = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        held = {}
        for raw in broker.hvals("unacked"):
            message = json.loads(raw)[0]
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            held[message["headers"]["id"]] = (message["headers"]["task"], json.loads(body)[0])
        return held
    finally:
        broker.close()


def _holding_work_between_sends(proc: subprocess.Popen, cluster: Cluster, url: str) -> dict:
    """Bring the worker to a moment where it holds tasks it took from the queue but sends no message,
    and return the tasks the workers hold then.

    Its pool processes are stopped (SIGSTOP) while none of them is sending: a message in flight when its
    sender dies is handed back only after `STUCK_AFTER` (5 minutes) and may then go out twice (at least
    once, never lost: yunwei/notify/delivery.py), which is longer than this test. A delivery still
    'sending' a second after the stop is theirs (the other worker's sends take milliseconds): they go on
    a moment and are stopped again. Its main process goes on taking tasks for the stopped pool, up to
    its prefetch."""
    pool = _children(proc.pid)
    for _attempt in range(30):
        for pid in pool:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(1)
        if not cluster.rows("SELECT id FROM notify_delivery WHERE state = 'sending'"):
            break
        for pid in pool:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.3)
    else:
        raise AssertionError("the worker was always sending a message when stopped")
    # Held for a second: not one of the other worker's runs, which take milliseconds.
    deadline, before = time.monotonic() + 20, {}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        held = _held_tasks(url)
        if any(held[pk][0] != RUN_CHECKS for pk in held.keys() & before.keys()):
            return held
        before = held
    return before


def _outstanding(cluster: Cluster) -> dict:
    return {
        "outbox": cluster.rows("SELECT count(*) FROM alerts_pendingcorrelation")[0][0],
        "deliveries": len(cluster.rows(WAITING)),
    }


def _settled(cluster: Cluster, receiver: Receiver) -> bool:
    """Nothing left: the outbox drained, each channel delivery sent and received, no placed firing alert
    outside an incident."""
    try:
        left = _outstanding(cluster)
        unplaced = cluster.rows(
            "SELECT count(*) FROM alerts_alert WHERE item_id IS NOT NULL AND incident_id IS NULL"
        )[0][0]
        sent = {pk for pk, _key in cluster.rows(SENT)}
    except psycopg.OperationalError:
        return False
    with receiver.lock:
        received = {pk for pk, _key in receiver.got}
    return not left["outbox"] and not left["deliveries"] and not unplaced and sent <= received


def _wait_settled(product: Product, receiver: Receiver, what: str) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if _settled(product.cluster, receiver):
            return
        product.procs.check_alive()
        time.sleep(1)
    left = _outstanding(product.cluster)
    raise AssertionError(f"{what}: the background work did not settle: {left}\n{product.procs.output()}")


def _assert_nothing_twice(cluster: Cluster, receiver: Receiver) -> None:
    twice = cluster.rows("SELECT event_key FROM notify_notice GROUP BY event_key HAVING count(*) > 1")
    assert not twice, f"notices stored twice: {twice[:5]}"
    twice = cluster.rows(
        "SELECT event_key, recipient_kind, recipient FROM notify_delivery "
        "GROUP BY event_key, recipient_kind, recipient HAVING count(*) > 1"
    )
    assert not twice, f"deliveries stored twice: {twice[:5]}"
    with receiver.lock:
        got = list(receiver.got)
    counts = collections.Counter(pk for pk, _key in got)
    assert not [pk for pk, n in counts.items() if n > 1], f"received twice: {counts.most_common(5)}"
    by_key = collections.Counter(key for _pk, key in got)
    assert not [key for key, n in by_key.items() if n > 1], (
        f"one event received twice: {by_key.most_common(5)}"
    )
    sent = dict(cluster.rows(SENT))
    assert dict(got) == sent, "what the receiver got is not what the product recorded as sent"


def _assert_alerts_stored_once(
    cluster: Cluster, integration_token_ok: collections.Counter, tried: collections.Counter
) -> None:
    rows = cluster.rows("SELECT fingerprint, repeat_count, incident_id, item_id FROM alerts_alert")
    stored = collections.Counter(fingerprint for fingerprint, *_rest in rows)
    assert not [fp for fp, n in stored.items() if n > 1], "an alert stored twice"
    deliveries = {fingerprint: 1 + repeats for fingerprint, repeats, *_rest in rows}
    for fingerprint, answered in integration_token_ok.items():
        assert fingerprint in deliveries, f"alert {fingerprint} was answered 2xx but is not stored"
        # Each 2xx counted; a retried request whose first answer was lost may count once more.
        assert answered <= deliveries[fingerprint] <= tried[fingerprint], (fingerprint, answered, tried)
    unplaced = [fp for fp, _repeats, incident, item in rows if item is not None and incident is None]
    assert not unplaced, f"placed alerts in no incident: {unplaced[:5]}"


def _assert_reports_stored_once(cluster: Cluster, ok: list[str], found: list[str], all_titles: list[str]):
    titles = collections.Counter(
        title for (title,) in cluster.rows("SELECT title FROM incidents_incident WHERE source = 'manual'")
    )
    assert not [t for t, n in titles.items() if n > 1], f"incidents stored twice: {titles.most_common(3)}"
    missing = [title for title in ok + found if title not in titles]
    assert not missing, f"incidents answered 2xx but not stored: {missing[:5]}"
    assert set(titles) <= set(all_titles)
    reported = cluster.rows(
        "SELECT i.id FROM incidents_incident i LEFT JOIN notify_notice n "
        "ON n.event_key = 'incident:' || i.id || ':reported' WHERE n.id IS NULL"
    )
    assert not reported, f"incidents whose staff notice is missing: {reported[:5]}"


@pytest.fixture
def product(servers, tmp_path):
    cluster, redis_server = servers
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yunwei.settings",
        "YUNWEI_DATABASE_URL": cluster.url,
        "YUNWEI_BROKER_URL": redis_server.url,
        "YUNWEI_VAR_DIR": str(tmp_path / "var"),
        "YUNWEI_TASKS_EAGER": "false",
        "YUNWEI_DEBUG": "false",
        "YUNWEI_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        # The processes import this checkout's code, whichever checkout installed the `yunwei` script.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(DRIVER.parents[2]), os.environ.get("PYTHONPATH")])),
    }
    procs = Processes(env, tmp_path)
    try:
        yield Product(procs, cluster), redis_server, env
    finally:
        procs.stop()


def test_faults_lose_nothing_and_do_nothing_twice(product):
    product, redis_server, env = product
    cluster, procs = product.cluster, product.procs
    procs.run("migrate", "--noinput")
    with receiving() as receiver:
        setup = subprocess.run(
            [sys.executable, str(DRIVER), "setup", str(receiver.server_address[1]), str(ITEMS), str(CHECKS)],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert setup.returncode == 0, setup.stderr[-3000:]
        made = json.loads(setup.stdout.strip().splitlines()[-1])

        for name in ("web1", "web2", "worker1", "worker2", "scheduler"):
            product.start(name)
        for base in product.bases:
            product.wait_answering(base)
        status, answer = _call(
            f"{product.bases[0]}/api/auth/token/", data={"username": made["admin"], "password": PASSWORD}
        )
        assert status in (200, 201), answer
        token = json.loads(answer)["token"]

        # -- 1. load while faulting ------------------------------------------------------------------
        run = f"{time.time():.0f}"
        fingerprints = [f"drill{run}-{k:04d}" for k in range(ALERT_REQUESTS * 3 // 4)]
        plan = list(fingerprints)
        for k in range(ALERT_REQUESTS - len(fingerprints)):  # every fourth request repeats an earlier alert
            plan.insert(4 * k + 3, fingerprints[k])
        hosts = {fp: f"fault-{k % ITEMS:03d}" for k, fp in enumerate(fingerprints)}
        titles = [f"故障演练报告 {run}-{k:03d}" for k in range(REPORTS)]
        alert_ok, alert_tried = collections.Counter(), collections.Counter()
        report_ok, report_found = [], []
        alerts_client, reports_client = Client(product.bases), Client(product.bases, token)
        stop_at = time.monotonic() + 300
        clients = [
            threading.Thread(
                target=send_alerts,
                args=(alerts_client, f"/intake/alertmanager/{made['token']}/", plan, hosts, alert_ok,
                      alert_tried, stop_at),
            ),
            threading.Thread(
                target=report_incidents,
                args=(reports_client, made["unit"], titles, report_ok, report_found, stop_at),
            ),
        ]  # fmt: skip
        for thread in clients:
            thread.start()
        try:
            time.sleep(6)
            held = _holding_work_between_sends(product.proc("worker1"), cluster, redis_server.url)
            left_outbox = {pk for (pk,) in cluster.rows("SELECT id FROM alerts_pendingcorrelation")}
            left_deliveries = {pk for (pk,) in cluster.rows(WAITING)}
            _kill_group(product.proc("worker1"))  # the worker and its pool, as the OOM killer would
            product.forget("worker1")
            time.sleep(3)
            # Still unacknowledged after the other worker's runs ended: the killed worker's.
            still = _held_tasks(redis_server.url)
            orphaned = [held[pk] for pk in held if pk in still and held[pk][0] != RUN_CHECKS]
            left_deliveries |= {args[0] for name, args in orphaned if name == "yunwei.notify.tasks.deliver"}
            product.start("worker1")
            time.sleep(5)
            cluster.restart()
            time.sleep(6)
            gunicorn_children = _children(product.proc("web1").pid)
            assert gunicorn_children, "web1 has no gunicorn workers"
            os.kill(gunicorn_children[0], signal.SIGKILL)  # its master starts another
            time.sleep(4)
            master = product.proc("web2")
            orphans = _children(master.pid)
            os.kill(master.pid, signal.SIGKILL)
            master.wait(timeout=30)
            product.forget("web2")
            for pid in orphans:  # gunicorn workers whose master died stop by themselves; make sure
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            product.start("web2")
            product.wait_answering(product.bases[1])
            time.sleep(4)
            cluster.restart()
        finally:
            for thread in clients:
                thread.join(timeout=320)
        assert not alerts_client.problems and not reports_client.problems, (
            alerts_client.problems + reports_client.problems
        )
        assert len(report_ok) + len(report_found) == REPORTS, "a report was never answered"
        assert sum(alert_ok.values()) == ALERT_REQUESTS, "an alert request was never answered 2xx"

        _wait_settled(product, receiver, "after the faults")
        _assert_alerts_stored_once(cluster, alert_ok, alert_tried)
        _assert_reports_stored_once(cluster, report_ok, report_found, titles)
        _assert_nothing_twice(cluster, receiver)
        # What was waiting when the worker died is done: the outbox rows placed, the deliveries sent, those
        # of the tasks it held too (their messages are not handed out again before Redis's visibility
        # timeout, an hour: the sweeps find the rows).
        assert not cluster.rows(
            "SELECT id FROM alerts_pendingcorrelation WHERE id = ANY(%s)", list(left_outbox)
        )
        assert orphaned, "the killed worker held no task: nothing left behind was shown to be done"
        unsent = cluster.rows(
            "SELECT id FROM notify_delivery WHERE id = ANY(%s) AND state <> 'sent'", list(left_deliveries)
        )
        assert not unsent, f"deliveries waiting when the worker died, never sent: {unsent}"
        with receiver.lock:
            received_before_outage = len(receiver.got)

        # -- 2. Redis away ---------------------------------------------------------------------------
        redis_server.stop()
        outage_titles = [f"Redis 停止期间的报告 {run}-{k}" for k in range(3)]
        outage_fingerprints = [f"redis{run}-{k:02d}" for k in range(3)]
        reads = []
        for k in range(3):
            for base in product.bases:
                status, _answer = _call(
                    f"{base}/api/incidents/?page_size=5", headers={"Authorization": f"Token {token}"}
                )
                reads.append(status)
            data = {
                "unit": made["unit"],
                "title": outage_titles[k],
                "description": "Redis 停止",
                "impact_scope": "one_user",
            }
            status, answer = _call(
                f"{product.bases[k % 2]}/api/incidents/",
                data=data,
                headers={"Authorization": f"Token {token}"},
            )
            assert status == 201, f"an incident report while Redis is away: {status} {answer[:300]!r}"
            body = _alertmanager(outage_fingerprints[k], f"fault-{k:03d}")
            status, answer = _call(
                f"{product.bases[(k + 1) % 2]}/intake/alertmanager/{made['token']}/", data=body
            )
            assert status == 200, f"an alert while Redis is away: {status} {answer[:300]!r}"
            time.sleep(REDIS_DOWN / 3)
        assert reads == [200] * len(reads), reads
        procs.check_alive()
        redis_server.start()
        back_at = datetime.datetime.now(datetime.UTC)

        _wait_settled(product, receiver, "after Redis came back")
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:  # each check runs again
            ran = cluster.rows(
                "SELECT count(DISTINCT active_check_id) FROM monitoring_checkresult WHERE slot > %s", back_at
            )[0][0]
            if ran == CHECKS:
                break
            time.sleep(1)
        assert ran == CHECKS, f"{ran} of {CHECKS} checks ran after Redis came back\n{procs.output()}"
        _wait_settled(product, receiver, "after the checks ran")
        _assert_nothing_twice(cluster, receiver)
        twice = cluster.rows(
            "SELECT active_check_id, slot FROM monitoring_checkresult WHERE slot IS NOT NULL "
            "GROUP BY active_check_id, slot HAVING count(*) > 1"
        )
        assert not twice, f"a check ran twice in a slot: {twice[:5]}"
        stored = {t for (t,) in cluster.rows("SELECT title FROM incidents_incident")}
        assert set(outage_titles) <= stored
        keys = {f"incident:{pk}:reported" for (pk,) in cluster.rows(
            "SELECT id FROM incidents_incident WHERE title = ANY(%s)", outage_titles)}  # fmt: skip
        with receiver.lock:
            after = receiver.got[received_before_outage:]
        assert keys <= {key for _pk, key in after}, "a notice due while Redis was away never arrived"
        placed = cluster.rows(
            "SELECT count(*) FROM alerts_alert WHERE fingerprint = ANY(%s) AND incident_id IS NOT NULL",
            outage_fingerprints,
        )[0][0]
        assert placed == len(outage_fingerprints)
        with receiver.lock:
            received = len(receiver.got)
        figures = {
            "alert_requests_2xx": sum(alert_ok.values()),
            "alert_attempts": sum(alert_tried.values()),
            "reports_2xx": len(report_ok),
            "reports_found_after_a_lost_answer": len(report_found),
            "client_retries": alerts_client.retries + reports_client.retries,
            "tasks_left_by_the_killed_worker": sorted(name for name, _args in orphaned),
            "deliveries_received": received,
            "deliveries_received_after_redis_returned": received - received_before_outage,
        }
        print(json.dumps(figures))  # shown with -s
