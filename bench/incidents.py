"""Benchmark: the incident list, search and transitions at scale, against reading the same rows by key.

    python bench/incidents.py --scale small|full

Generates a group of 12 units, their inventory items and incidents (full: 1,000,000; small: 20,000) spread
over two years, states, grades, causes and units, each with its timeline and one affected item, in its own
database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else a temporary SQLite file.
The data is bulk-inserted (COPY on PostgreSQL, batched INSERTs on SQLite): this measures reads and the
transition, and the service write path is not what generates the history.

Then it measures, through the product's API as a client sees it (`/api/incidents/`, token auth, the
first page with its count, as served by the whole middleware stack in-process; no network, no gunicorn):

- the list filtered by state, unit and grade (random combinations), as a unit admin (their own unit) and
  as a group admin (any unit), and the unfiltered first page of a group admin;
- full-text search (`?search=`, DRF's search over title and description), half common words, half host
  names that occur in a few rows;
- the transition reported → acknowledged (`POST /api/incidents/{id}/transition/`) from 8 concurrent
  clients, each a process of its own with its own token and database connection. Processes, not
  threads, because a deployment runs several web processes: threads of one process share its
  interpreter lock, so their Python work ran one at a time and the figure measured one core.

Baselines in the same run: for the list and search, reading the rows the page answered by primary key
(`Incident.objects.filter(pk__in=ids)`); for the transition, a committed one-row UPDATE of the same
incident by primary key from the same client under the same concurrency. Prints the figures and, as its
last line, one JSON object.

SQLite allows one writer at a time: there the 8 clients queue on the database lock and the transition
figures measure that queue. Every transition also writes an audit event, unnumbered and without taking
any lock; the chain's head is locked only by the sealer that numbers and chains events just after their
commit, in a short transaction of its own (yunwei.audit.services.seal), so on PostgreSQL the transitions
no longer queue on one lock until commit. bench/audit.py measures that path alone, against the former one.
"""

import argparse
import datetime
import itertools
import json
import random
import statistics
import time

from common import Clients, migrate_empty, ms, p95, report, setup_django, start_together

SCALES = {"small": 20_000, "full": 1_000_000}
UNITS = 12
ITEMS_PER_UNIT = 20
HOSTS = 2_000
DAYS = 730
RECENT_DAYS = 30
CHUNK = 20_000
LIST_SAMPLES = 100  # per persona
DEFAULT_SAMPLES = 50
SEARCHES = 100
CLIENTS = 8
TRANSITIONS_PER_CLIENT = 25

FLOW = ["reported", "acknowledged", "diagnosing", "repairing", "verifying", "restored", "closed"]
# Minutes each step takes after the one before it (low, high).
STEP_MINUTES = [(2, 60), (5, 60), (10, 120), (10, 240), (5, 60), (60, 2880)]
# Incidents of the last month are mostly still open; older ones are nearly all closed.
RECENT_STATES = [0.40, 0.10, 0.10, 0.10, 0.05, 0.10, 0.15]
OLD_STATES = [0.001, 0.001, 0.001, 0.001, 0.001, 0.02, 0.975]
GRADES = (["I", "II", "III"], [0.02, 0.20, 0.78])
SLA_MINUTES = {"II": (15, 240), "III": (30, 1440)}  # the shipped targets; Ⅰ has none until a group adds it
CAUSES = ["power", "server", "storage", "network", "application", "other"]
SCOPES = ["one_user", "one_department", "one_unit", "several_units", "whole_group"]
SYSTEMS = [
    "OA 协同办公",
    "邮件系统",
    "财务系统",
    "人力资源系统",
    "门户网站",
    "核心交换机",
    "汇聚交换机",
    "存储阵列",
    "数据库服务器",
    "虚拟化平台",
    "UPS 电源",
    "精密空调",
    "VPN 网关",
    "防火墙",
    "备份系统",
    "视频会议",
]
SYMPTOMS = [
    "无法登录",
    "响应缓慢",
    "服务中断",
    "端口故障",
    "证书过期",
    "磁盘空间不足",
    "断电告警",
    "网络丢包",
    "数据同步失败",
    "页面报错",
    "温度过高",
    "备份作业失败",
]
DETAILS = [
    "用户反映业务办理受影响",
    "监控告警后值班人员确认",
    "多名用户同时报告",
    "日志中出现大量超时错误",
    "已通知厂家工程师远程协助",
    "机房巡检时发现",
    "影响范围待确认",
]
# Search terms: words of the vocabulary (each in some per cent of the incidents) and host names (each in
# a few hundred of a million).
COMMON_TERMS = ["交换机", "登录", "存储", "证书过期", "备份", "timeout"]


# -- data -----------------------------------------------------------------------------------------


def _insert(table: str, columns: list[str], rows) -> None:
    """Bulk-insert `rows` (tuples in `columns` order): COPY on PostgreSQL, batched INSERTs elsewhere."""
    from django.db import connection

    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"
            rows = iter(rows)
            while batch := list(itertools.islice(rows, 5000)):
                cursor.executemany(sql, batch)


def _columns(model, values: dict) -> tuple[list[str], list]:
    """The model's columns, with `values` given by column name and every other column at its default.

    Defaults are read from the model, so a field added later does not break the benchmark."""
    from django.db import connection

    columns, constants = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.column in values:
            constants.append(None)
        else:
            default = field.get_default()
            constants.append(field.get_db_prep_save(default, connection) if default is not None else None)
    return columns, constants


def _organisation() -> dict:
    from django.contrib.auth import get_user_model

    from yunwei.accounts.models import ApiToken
    from yunwei.cmdb.models import Item, ItemType
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
    reporters = [account(f"bench-user-{k:02d}", unit, Role.USER) for k, unit in enumerate(units)]

    def token(user) -> str:
        key = ApiToken.new_key()
        ApiToken.objects.create(
            user=user,
            key_hash=ApiToken.hash_key(key),
            prefix=key[:8],
            expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1),
        )
        return key

    item_type = ItemType.objects.get(code="application")
    Item.objects.bulk_create(
        [
            Item(
                unit=unit,
                type=item_type,
                domain=item_type.domain,
                code=f"APP-{k}",
                name=f"{unit.name}应用{k}",
            )
            for unit in units
            for k in range(ITEMS_PER_UNIT)
        ]
    )
    items = {unit.pk: list(Item.objects.filter(unit=unit).values_list("pk", flat=True)) for unit in units}
    return {
        "unit_ids": [unit.pk for unit in units],
        "items": items,
        "reporters": {unit.pk: user.pk for unit, user in zip(units, reporters, strict=True)},
        "group_admin_id": group_admin.pk,
        "unit_admin_unit": units[0].pk,
        "group_admin_key": token(group_admin),
        "unit_admin_key": token(unit_admin),
        "client_keys": [token(group_admin) for _ in range(CLIENTS)],
    }


def generate(n: int, rng: random.Random) -> dict:
    """The organisation, then `n` incidents with their timelines and affected items, in chunks."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from yunwei.incidents.models import Incident, IncidentEvent

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    when = (
        (lambda moment: moment)
        if connection.vendor == "postgresql"
        else (lambda moment: None if moment is None else connection.ops.adapt_datetimefield_value(moment))
    )
    org = _organisation()
    # Units differ in size: the largest has about three times the incidents of the smallest, and the unit
    # admin's unit is the largest.
    unit_ids = org["unit_ids"]
    unit_weights = [3 - 2 * k / (UNITS - 1) for k in range(UNITS)]
    # Reported moments, oldest first, so ids follow time as they do in a running product.
    ages = sorted((rng.random() * DAYS * 86400 for _ in range(n)), reverse=True)

    incident_values = {
        "id",
        "version",
        "created_at",
        "updated_at",
        "unit_id",
        "title",
        "description",
        "impact_scope",
        "started_at",
        "reported_at",
        "cause_category",
        "grade",
        "grade_reason",
        "state",
        "reporter_id",
        "resolution_summary",
        "fixed_for_good",
        "acknowledged_at",
        "restored_at",
        "closed_at",
        "acknowledge_due_at",
        "restore_due_at",
    }
    incident_columns, incident_constants = _columns(Incident, incident_values)
    # The order of the event tuples below; the model's own column order follows its abstract base.
    event_columns = [
        "id", "incident_id", "at", "actor_id", "actor_name",
        "kind", "from_state", "to_state", "comment", "data",
    ]  # fmt: skip
    assert sorted(event_columns) == sorted(field.column for field in IncidentEvent._meta.concrete_fields)
    through = Incident.affected_items.through
    admin_id, admin_name = org["group_admin_id"], "bench-group-admin"
    counts = {"incidents": 0, "events": 0, "by_state": dict.fromkeys(FLOW, 0)}
    event_id = 0

    def incident_row(values: dict) -> tuple:
        return tuple(
            values.get(column, constant)
            for column, constant in zip(incident_columns, incident_constants, strict=True)
        )

    for start in range(0, n, CHUNK):
        incidents, events, links = [], [], []
        for pk in range(start + 1, min(n, start + CHUNK) + 1):
            age = ages[pk - 1]
            reported = now - datetime.timedelta(seconds=age)
            shares = RECENT_STATES if age < RECENT_DAYS * 86400 else OLD_STATES
            state = rng.choices(range(len(FLOW)), shares)[0]
            moments = [reported]
            for low, high in STEP_MINUTES[:state]:
                moments.append(moments[-1] + datetime.timedelta(minutes=rng.uniform(low, high)))
            late = moments[-1] - (now - datetime.timedelta(seconds=30))
            if late > datetime.timedelta():  # a recent incident's history must not lie in the future
                moments = [moment - late for moment in moments]
                reported = moments[0]
            unit_id = rng.choices(unit_ids, unit_weights)[0]
            item_id = rng.choice(org["items"][unit_id])
            grade = rng.choices(*GRADES)[0]
            system, symptom = rng.choice(SYSTEMS), rng.choice(SYMPTOMS)
            host = f"srv-{rng.randrange(HOSTS):04d}"
            description = f"{host} {system}{symptom}，{rng.choice(DETAILS)}。{rng.choice(DETAILS)}。"
            if rng.random() < 0.1:
                description += " connection timeout"
            acknowledge_minutes, restore_minutes = SLA_MINUTES.get(grade, (None, None))
            at = dict(zip(FLOW, moments, strict=False))
            incidents.append(
                incident_row(
                    {
                        "id": pk,
                        "version": state + 1,
                        "created_at": when(reported),
                        "updated_at": when(moments[-1]),
                        "unit_id": unit_id,
                        "title": f"{system}{symptom}",
                        "description": description,
                        "impact_scope": rng.choice(SCOPES),
                        "started_at": when(reported - datetime.timedelta(minutes=rng.uniform(0, 120))),
                        "reported_at": when(reported),
                        "cause_category": rng.choice(CAUSES) if state >= 3 else "",
                        "grade": grade,
                        "grade_reason": "From the grading matrix",
                        "state": FLOW[state],
                        "reporter_id": org["reporters"][unit_id],
                        "resolution_summary": "更换故障部件后恢复" if state == 6 else "",
                        "fixed_for_good": True if state == 6 else None,
                        "acknowledged_at": when(at.get("acknowledged")),
                        "restored_at": when(at.get("restored")),
                        "closed_at": when(at.get("closed")),
                        "acknowledge_due_at": when(
                            acknowledge_minutes and reported + datetime.timedelta(minutes=acknowledge_minutes)
                        ),
                        "restore_due_at": when(
                            restore_minutes and reported + datetime.timedelta(minutes=restore_minutes)
                        ),
                    }
                )
            )
            links.append((pk, item_id))
            event_id += 1
            events.append(
                (
                    event_id,
                    pk,
                    when(reported),
                    org["reporters"][unit_id],
                    f"bench-user-{unit_ids.index(unit_id):02d}",
                    "reported",
                    "",
                    "reported",
                    "",
                    json.dumps({"grade": grade, "items": [item_id]}),
                )
            )
            for step in range(1, state + 1):
                event_id += 1
                events.append(
                    (
                        event_id,
                        pk,
                        when(moments[step]),
                        admin_id,
                        admin_name,
                        "transition",
                        FLOW[step - 1],
                        FLOW[step],
                        "",
                        "{}",
                    )
                )
            counts["by_state"][FLOW[state]] += 1
        with transaction.atomic():
            _insert(Incident._meta.db_table, incident_columns, incidents)
            _insert(IncidentEvent._meta.db_table, event_columns, events)
            _insert(through._meta.db_table, ["incident_id", "item_id"], links)
        counts["incidents"] += len(incidents)
        counts["events"] += len(events)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Incident, IncidentEvent]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            # What autovacuum does on a running server a little after a bulk load: planner statistics,
            # and the visibility map that lets index-only scans (the counts) skip the table.
            tables = "incidents_incident, incidents_incidentevent, incidents_incident_affected_items"
            cursor.execute(f"VACUUM ANALYZE {tables}")
        else:
            cursor.execute("ANALYZE")
    return {**org, **counts}


# -- measuring ------------------------------------------------------------------------------------


def _client(key: str):
    from rest_framework.test import APIClient

    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _timed_get(client, params: dict) -> tuple[float, dict]:
    began = time.perf_counter()
    response = client.get("/api/incidents/", params)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(
            f"GET /api/incidents/ {params} answered {response.status_code}: {response.content[:300]}"
        )
    return elapsed, response.json()


def _by_key(ids: list[int]) -> float:
    """The baseline: the same rows, read by primary key as model instances."""
    from django.db import connection

    from yunwei.incidents.models import Incident

    connection.ensure_connection()  # SQLite closes the connection after each request; do not time a connect
    began = time.perf_counter()
    rows = list(Incident.objects.filter(pk__in=ids))
    elapsed = time.perf_counter() - began
    assert len(rows) == len(ids)
    return elapsed


def _summary(prefix: str, times: list[float], baseline: list[float]) -> dict:
    return {
        f"{prefix}_p50_ms": ms(statistics.median(times)),
        f"{prefix}_p95_ms": ms(p95(times)),
        f"{prefix}_baseline_p50_ms": ms(statistics.median(baseline)),
        f"{prefix}_baseline_p95_ms": ms(p95(baseline)),
        f"{prefix}_ratio_p95": round(p95(times) / max(p95(baseline), 1e-9), 2),
    }


def measure_list(data: dict, rng: random.Random) -> dict:
    from yunwei.incidents.choices import Grade

    personas = {
        "list_unit_admin": (_client(data["unit_admin_key"]), lambda: data["unit_admin_unit"]),
        "list_group_admin": (_client(data["group_admin_key"]), lambda: rng.choice(data["unit_ids"])),
    }
    figures, every, every_baseline, counts = {}, [], [], []
    for prefix, (client, unit) in personas.items():
        _timed_get(client, {"state": "closed", "unit": unit(), "grade": "III"})  # warm up, as a server is
        times, baseline = [], []
        for _ in range(LIST_SAMPLES):
            params = {"state": rng.choice(FLOW), "unit": unit(), "grade": rng.choice(Grade.values)}
            elapsed, body = _timed_get(client, params)
            times.append(elapsed)
            counts.append(body["count"])
            ids = [row["id"] for row in body["results"]]
            baseline.append(_by_key(ids) if ids else 0.0)
        figures.update(_summary(prefix, times, baseline))
        every += times
        every_baseline += baseline
    figures.update(_summary("list", every, every_baseline))
    figures["list_count_median"] = int(statistics.median(counts))
    figures["list_count_max"] = max(counts)

    client = personas["list_group_admin"][0]
    times, baseline = [], []
    for _ in range(DEFAULT_SAMPLES):
        elapsed, body = _timed_get(client, {})
        times.append(elapsed)
        baseline.append(_by_key([row["id"] for row in body["results"]]))
    figures.update(_summary("list_unfiltered", times, baseline))
    figures["list_unfiltered_count"] = body["count"]
    return figures


def measure_search(data: dict, rng: random.Random) -> dict:
    clients = [_client(data["unit_admin_key"]), _client(data["group_admin_key"])]
    _timed_get(clients[1], {"search": "交换机"})
    times, baseline, counts = [], [], []
    for sample in range(SEARCHES):
        term = rng.choice(COMMON_TERMS) if sample % 4 < 2 else f"srv-{rng.randrange(HOSTS):04d}"
        elapsed, body = _timed_get(clients[sample % 2], {"search": term})
        times.append(elapsed)
        counts.append(body["count"])
        ids = [row["id"] for row in body["results"]]
        baseline.append(_by_key(ids) if ids else 0.0)
    return {
        **_summary("search", times, baseline),
        "search_count_median": int(statistics.median(counts)),
        "search_count_max": max(counts),
    }


def _transition_client(key: str, warm_up: int, pks: list[int]) -> tuple[list[float], list[float], list[str]]:
    """One transition client, in a process of its own: each transition's time, each baseline update's
    time, and what failed. Its first transition (`warm_up`) is not timed: a new process loads the URLs,
    views and serializers on its first request, as a server does once, not per request."""
    from django.db import connections
    from django.db.models import F

    from yunwei.incidents.models import Incident

    client = _client(key)
    times, baseline = [], []
    response = client.post(
        f"/api/incidents/{warm_up}/transition/", {"to": "acknowledged", "comment": "bench"}, format="json"
    )
    if response.status_code != 200:
        return times, baseline, [f"{warm_up}: {response.status_code} {response.content[:200]}"]
    start_together()
    for pk in pks:
        began = time.perf_counter()
        response = client.post(
            f"/api/incidents/{pk}/transition/", {"to": "acknowledged", "comment": "bench"}, format="json"
        )
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            return times, baseline, [f"{pk}: {response.status_code} {response.content[:200]}"]
        connections["default"].ensure_connection()
        began = time.perf_counter()
        Incident.objects.filter(pk=pk).update(updated_at=F("updated_at"))
        baseline.append(time.perf_counter() - began)
    return times, baseline, []


def measure_transitions(data: dict, rng: random.Random) -> dict:
    from yunwei.incidents.models import Incident

    reported = list(Incident.objects.filter(state="reported").values_list("pk", flat=True))
    wanted = CLIENTS * TRANSITIONS_PER_CLIENT
    if len(reported) < wanted + CLIENTS:
        raise SystemExit(f"only {len(reported)} reported incidents; the transitions need {wanted + CLIENTS}")
    chosen = rng.sample(reported, wanted + CLIENTS)
    chosen, warm_ups = chosen[:wanted], chosen[wanted:]
    jobs = [(data["client_keys"][index], warm_ups[index], chosen[index::CLIENTS]) for index in range(CLIENTS)]
    with Clients(CLIENTS) as clients:
        results, wall = clients.run(_transition_client, jobs)
    failures = [failure for _, _, client_failures in results for failure in client_failures]
    if failures:
        raise SystemExit(f"transitions failed: {failures[:3]}")
    times = [value for result in results for value in result[0]]
    baseline = [value for result in results for value in result[1]]
    acknowledged = Incident.objects.filter(pk__in=chosen, state="acknowledged").count()
    assert acknowledged == wanted, f"{acknowledged} of {wanted} acknowledged"
    return {
        **_summary("transition", times, baseline),
        "transition_clients": CLIENTS,
        "transitions": len(times),
        "transitions_per_s": round(len(times) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from yunwei.incidents.models import Incident

    migrate_empty(Incident, "incidents")
    rng = random.Random(args.seed)
    began = time.perf_counter()
    data = generate(SCALES[args.scale], rng)
    generated = time.perf_counter() - began
    print(
        f"generated {data['incidents']} incidents with {data['events']} timeline entries "
        f"in {generated:.1f} s ({connection.vendor}); by state: {data['by_state']}"
    )
    figures = {"backend": connection.vendor}
    figures.update(measure_list(data, rng))
    figures.update(measure_search(data, rng))
    figures.update(measure_transitions(data, rng))
    if connection.vendor == "sqlite":
        figures["note"] = (
            "SQLite: one writer at a time, so the 8 transition clients queue on the database lock; "
            "the concurrent figure that counts is PostgreSQL's"
        )
    summary = {
        "bench": "incidents",
        "scale": args.scale,
        "incidents": data["incidents"],
        "events": data["events"],
        "generate_s": round(generated, 1),
    }
    report(figures, 32, summary)


if __name__ == "__main__":
    main()
