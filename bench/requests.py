"""Benchmark: the service desk's queue, list and the portal's "my requests" at scale, against reading the
same rows by key.

    python bench/requests.py --scale small|full

Generates a group of 12 units with 40 users each and their service requests (full: 1,000,000; small:
20,000) over two years, of every kind and state (old ones nearly all closed, recent ones open and waiting
on somebody), in its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else a
temporary SQLite file. The rows are bulk-inserted (COPY on PostgreSQL): this measures reads, and the
service write path is not what generates the history.

Then it measures the pages as a browser gets them (the Django test client, the whole middleware stack,
templates rendered; no network, no gunicorn):

- the queue (`/servicedesk/queue/`) of a unit admin and of a group admin, plain and with filters;
- the list (`/servicedesk/requests/`) of a group admin, unfiltered and by state, kind and unit;
- the portal (`/servicedesk/`) of a user, with their own requests.

Baseline in the same run: reading the rows the page showed by primary key as model instances. Prints the
figures and, as its last line, one JSON object.
"""

import argparse
import datetime
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

from common import migrate_empty, ms, p95, report, setup_django
from incidents import _columns, _insert

# This file's name is the HTTP library's, which DRF's test module imports: with this folder off the path
# the library is imported now, under its name, so no later import finds this file instead.
HERE = Path(__file__).resolve().parent
_path = sys.path[:]
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
try:
    sys.modules.pop("requests", None)
    import requests as _library  # noqa: F401
except ImportError:
    sys.modules["requests"] = None  # DRF then does without it
sys.path[:] = _path

SCALES = {"small": 20_000, "full": 1_000_000}
UNITS = 12
USERS_PER_UNIT = 40
DAYS = 730
RECENT_DAYS = 30
CHUNK = 20_000
SAMPLES = 60
# (kind, type code, the open states a recent request may be in, and whom each waits on)
KINDS = [
    (
        "requirement",
        "requirement",
        [("submitted", "unit_admin"), ("triaged", "group_admin"), ("accepted", "group_admin")],
    ),
    (
        "support",
        "support",
        [
            ("submitted", "unit_admin"),
            ("in_progress", "unit_admin"),
            ("escalated", "tech_staff"),
            ("waiting_requester", "requester"),
            ("resolved", "requester"),
        ],
    ),
    (
        "usage",
        "open-account",
        [("submitted", "unit_admin"), ("approved", "unit_admin"), ("resolved", "requester")],
    ),
]
FINAL = ["closed", "closed", "closed", "closed", "rejected", "merged", "incident", "cancelled"]
TITLES = ["如何设置代理人", "公文批量打印", "开通账号", "流程不显示下一步", "附件上传失败", "门户栏目设置"]
ROW = re.compile(rb'data-testid="request-row-(\d+)"')


def _organisation() -> dict:
    from django.contrib.auth import get_user_model

    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, RoleAssignment, Unit

    User = get_user_model()
    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    Unit.objects.bulk_create(
        [Unit(code=f"bench-{k:02d}", name=f"第{k + 1}单位", parent=group) for k in range(UNITS)]
    )
    units = list(Unit.objects.filter(parent=group).order_by("code"))

    def account(username: str, unit, role: str):
        user = User.objects.create_user(username, "", None)
        person = Person.objects.create(unit=unit, name=username, account=user)
        RoleAssignment.objects.create(person=person, unit=unit, role=role)
        return user

    group_admin = account("bench-group-admin", group, Role.GROUP_ADMIN)
    unit_admin = account("bench-unit-admin", units[0], Role.UNIT_ADMIN)
    users = {
        unit.pk: [account(f"bench-{unit.code}-u{k:02d}", unit, Role.USER).pk for k in range(USERS_PER_UNIT)]
        for unit in units
    }
    return {
        "unit_ids": [unit.pk for unit in units],
        "users": users,
        "group_admin": group_admin,
        "unit_admin": unit_admin,
        "portal_user_id": users[units[0].pk][0],
    }


def generate(n: int, rng: random.Random) -> dict:
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from yunwei.servicedesk.models import RequestType, ServiceRequest

    org = _organisation()
    types = {t.code: t for t in RequestType.objects.all()}
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    when = (
        (lambda moment: moment)
        if connection.vendor == "postgresql"
        else (lambda moment: None if moment is None else connection.ops.adapt_datetimefield_value(moment))
    )
    values = {
        "id", "version", "created_at", "updated_at", "unit_id", "type_id", "kind", "title", "description",
        "values", "policy", "state", "waiting_on", "requester_id", "submitted_at", "clock_started_at",
        "answer_due_at", "complete_due_at", "first_answered_at", "completed_at", "closed_at", "rating",
        "hold_started_at", "held_from",
    }  # fmt: skip
    columns, constants = _columns(ServiceRequest, values)
    policies = {
        code: json.dumps({"answer_minutes": t.answer_minutes, "complete_minutes": t.complete_minutes})
        for code, t in types.items()
    }
    unit_ids = org["unit_ids"]
    weights = [3 - 2 * k / (UNITS - 1) for k in range(UNITS)]
    ages = sorted((rng.random() * DAYS * 86400 for _ in range(n)), reverse=True)
    counts = {"requests": 0, "open": 0}
    for start in range(0, n, CHUNK):
        rows = []
        for pk in range(start + 1, min(n, start + CHUNK) + 1):
            age = ages[pk - 1]
            submitted = now - datetime.timedelta(seconds=age)
            kind, code, open_states = rng.choice(KINDS)
            is_open = age < RECENT_DAYS * 86400 and rng.random() < 0.7 or rng.random() < 0.002
            if is_open:
                state, waiting = rng.choice(open_states)
                counts["open"] += 1
            else:
                state, waiting = rng.choice(FINAL), ""
            unit_id = rng.choices(unit_ids, weights)[0]
            done = None if is_open else submitted + datetime.timedelta(hours=rng.uniform(1, 200))
            record = {
                "id": pk,
                "version": 3,
                "created_at": when(submitted),
                "updated_at": when(done or submitted),
                "unit_id": unit_id,
                "type_id": types[code].pk,
                "kind": kind,
                "title": rng.choice(TITLES),
                "description": "",
                "values": "{}",
                "policy": policies[code],
                "state": state,
                "waiting_on": waiting,
                "held_from": "in_progress" if state == "waiting_requester" else "",
                "hold_started_at": when(submitted + datetime.timedelta(hours=2))
                if state == "waiting_requester"
                else None,
                "requester_id": rng.choice(org["users"][unit_id]),
                "submitted_at": when(submitted),
                "clock_started_at": when(submitted),
                "answer_due_at": when(submitted + datetime.timedelta(hours=4)),
                "complete_due_at": when(submitted + datetime.timedelta(days=rng.choice([2, 5, 20]))),
                "first_answered_at": when(submitted + datetime.timedelta(hours=1))
                if state != "submitted"
                else None,
                "completed_at": when(done),
                "closed_at": when(done),
                "rating": rng.choice([None, 3, 4, 5]) if state == "closed" else None,
            }
            rows.append(tuple(record.get(c, k) for c, k in zip(columns, constants, strict=True)))
        with transaction.atomic():
            _insert(ServiceRequest._meta.db_table, columns, rows)
        counts["requests"] += len(rows)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [ServiceRequest]):
            cursor.execute(sql)
        cursor.execute(
            "VACUUM ANALYZE servicedesk_servicerequest" if connection.vendor == "postgresql" else "ANALYZE"
        )
    return {**org, **counts}


def _by_key(ids: list[int]) -> float:
    from django.db import connection

    from yunwei.servicedesk.models import ServiceRequest

    connection.ensure_connection()
    began = time.perf_counter()
    rows = list(ServiceRequest.objects.filter(pk__in=ids))
    elapsed = time.perf_counter() - began
    assert len(rows) == len(ids)
    return elapsed


def _page(client, url: str, params: dict) -> tuple[float, list[int]]:
    began = time.perf_counter()
    response = client.get(url, params)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"GET {url} {params} answered {response.status_code}")
    return elapsed, [int(pk) for pk in ROW.findall(response.content)]


PORTAL_ROW = re.compile(rb'href="/servicedesk/(\d+)/"')


def _summary(prefix: str, times: list[float], baseline: list[float]) -> dict:
    return {
        f"{prefix}_p50_ms": ms(statistics.median(times)),
        f"{prefix}_p95_ms": ms(p95(times)),
        f"{prefix}_baseline_p95_ms": ms(p95(baseline)),
        f"{prefix}_ratio_p95": round(p95(times) / max(p95(baseline), 1e-9), 2),
    }


def measure(data: dict, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from yunwei.servicedesk.choices import Kind, State

    def client_of(user):
        client = Client(SERVER_NAME="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client

    unit_admin, group_admin = client_of(data["unit_admin"]), client_of(data["group_admin"])
    portal_user = get_user_model().objects.get(pk=data["portal_user_id"])
    portal = client_of(portal_user)
    cases = {
        "queue_unit_admin": lambda: (
            unit_admin,
            "/servicedesk/queue/",
            rng.choice([{}, {"kind": rng.choice(Kind.values)}, {"overdue": "1"}]),
        ),
        "queue_group_admin": lambda: (
            group_admin,
            "/servicedesk/queue/",
            rng.choice([{}, {"all": "1"}, {"unit": rng.choice(data["unit_ids"])}]),
        ),
        "list_group_admin": lambda: (
            group_admin,
            "/servicedesk/requests/",
            rng.choice(
                [
                    {},
                    {"page": 3},
                    {"state": rng.choice(State.values)},
                    {"kind": rng.choice(Kind.values), "unit": rng.choice(data["unit_ids"])},
                ]
            ),
        ),
        "list_unit_admin": lambda: (
            unit_admin,
            "/servicedesk/requests/",
            rng.choice([{}, {"state": "open"}, {"overdue": "1"}]),
        ),
    }
    figures, every, every_baseline = {}, [], []
    for prefix, case in cases.items():
        client, url, _params = case()
        _page(client, url, {})  # warm up, as a running server is
        times, baseline = [], []
        for _ in range(SAMPLES):
            client, url, params = case()
            elapsed, ids = _page(client, url, params)
            times.append(elapsed)
            baseline.append(_by_key(ids) if ids else 0.0)
        figures.update(_summary(prefix, times, baseline))
        every += times
        every_baseline += baseline
    times, baseline = [], []
    portal.get("/servicedesk/")
    for sample in range(SAMPLES):
        began = time.perf_counter()
        response = portal.get("/servicedesk/", {"page": 1 + sample % 3})
        times.append(time.perf_counter() - began)
        ids = sorted({int(pk) for pk in PORTAL_ROW.findall(response.content)})
        baseline.append(_by_key(ids) if ids else 0.0)
    figures.update(_summary("portal_my_requests", times, baseline))
    figures["portal_user_requests"] = portal_user.service_requests.count()
    every += times
    every_baseline += baseline
    figures.update(_summary("all_pages", every, every_baseline))
    # Title search (a LIKE over the unit's rows, no index can serve a substring) is apart from the pages'
    # figure: a word in one title of six, and one in none, which reads every row of the unit.
    times, baseline = [], []
    for sample in range(SAMPLES // 2):
        elapsed, ids = _page(unit_admin, "/servicedesk/requests/", {"q": "打印" if sample % 2 else "不存在"})
        times.append(elapsed)
        baseline.append(_by_key(ids) if ids else 0.0)
    figures.update(_summary("search_unit_admin", times, baseline))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=26)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection

    from yunwei.servicedesk.models import ServiceRequest

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # Pages render from the source folders: the manifest of collectstatic belongs to a deployment.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    migrate_empty(ServiceRequest, "service requests")
    rng = random.Random(args.seed)
    began = time.perf_counter()
    data = generate(SCALES[args.scale], rng)
    generated = time.perf_counter() - began
    print(
        f"generated {data['requests']} requests ({data['open']} open) "
        f"in {generated:.1f} s ({connection.vendor})"
    )
    figures = {"backend": connection.vendor, **measure(data, rng)}
    summary = {
        "bench": "requests",
        "scale": args.scale,
        "requests": data["requests"],
        "generate_s": round(generated, 1),
    }
    report(figures, 34, summary)


if __name__ == "__main__":
    main()
