"""Benchmark: every page and list a person opens, at a million incidents (issue 27).

    python bench/pages.py --scale tiny|small|full [--samples 30] [--reuse] [--url http://host:port ...]

In its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own; the figures are meant
for PostgreSQL), else a temporary SQLite file — it generates the incidents of bench/incidents.py (full:
1,000,000; small: 20,000, over two years, with their timelines and affected items), the day's work of
bench/mywork.py around them (a technician and a lead, problems, changes, the log books, notices), and in
proportion: problems (one per 50 incidents), changes (one per 20), inventory items (one per 100, with a
relation each), service desk requests (one per 20), knowledge articles (one per 500) and alerts (one per
10). All bulk-inserted: this measures reads. `--reuse` measures again the data a previous run left in the
database (after a fix, its migrations applied), instead of generating it anew.

Then, in-process through the whole middleware stack (Django's test client, a signed-in session; no
network), each page `--samples` times with varying filters, as (a) the admin of the largest unit and (b) a
group admin, so a cliff only scoped users meet cannot hide (p50, p95; target p95 ≤ 300 ms each):

- the incident list: default, filtered (state, grade, unit), searched (`?q=`, common words, host
  names and now and then a two-character word found nowhere), a deep page (`?page=20000` at full
  scale: offset 500,000);
- the duty view, the dashboard, the inventory list;
- the detail pages a person opens most: an item (its incidents and impact), an incident (its timeline,
  notices and deliveries), a problem, a change and a service request, each drawn from the persona's own;
- the problem and change lists; the alerts, log books (index, rectifications), service desk (list, queue),
  knowledge and reports lists.

Baseline in the same run: the same client GETting a signed-in page that reads nothing (the password change
form): the fixed cost of a page through the stack; each p95 is printed beside it as a ratio. On PostgreSQL
every query a page ran (once per page and persona) is read with EXPLAIN: `seq_scans` names each page whose
plan reads one of the large tables by sequential scan, with the table's rows (on a table of a few thousand
rows that is the planner's choice, not a fault), and `slowest_queries` the three slowest queries of each
page that missed its target. Prints a table, `missed_targets` (pages over 300 ms p95), `not_200` (the
pages that answered anything else, a few of their requests each; the run then exits non-zero) and, as its
last line, one JSON object (with `pages` and `personas`: what was measured).

`--url` (given once per web process): the same pages, in the same order and with the same parameters,
over HTTP against a Yunwei already running on the database of `YUNWEI_DATABASE_URL` (scale mode: its
`yunwei web` processes), instead of in-process. The bench gives each persona a password of this run
(and, when the product asks for the second factor, a TOTP device whose codes it computes), signs in
through the log-in form as a browser does (CSRF token, session cookie) and then takes the URLs in turn,
as a load balancer in front of them would, one kept-alive connection to each; the session lives in the
database, so each web process honours it. Times are what the client sees, the network included, beside
a baseline fetched the same way. No EXPLAIN in this mode: the queries run in the servers; the in-process
run on the same database shows the plans. `--scale tiny` (500 incidents) is for a test to run the bench.

The machine this was written on has 2 cores shared with other people's work: figures vary by ±20 % or
more from run to run; compare a run's pages with its own baseline.
"""

import argparse
import datetime
import http.client
import random
import re
import secrets
import time
import types
import urllib.parse

from common import ms, p95, report, setup_django

SCALES = {"tiny": 500, "small": 20_000, "full": 1_000_000}
TARGET_MS = 300
RARE_SHORT_TERMS = ["卡纸", "漏水", "鼠害"]
PAGE_SIZE = 25
SAMPLED_RECORDS = 2_000  # the records a detail page's samples are drawn from, per persona
# The tables a sequential scan must not read on a page (the rest are small: units, types, roles).
BIG_TABLES = [
    "incidents_incident",
    "incidents_incidentevent",
    "incidents_incident_affected_items",
    "problems_problem",
    "changes_change",
    "cmdb_item",
    "cmdb_relation",
    "servicedesk_servicerequest",
    "alerts_alert",
    "knowledge_article",
    "notify_notice",
    "notify_inboxitem",
    "logbook_round",
]


def _p(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50_ms": ms(ordered[len(ordered) // 2]), "p95_ms": ms(p95(values))}


# -- data -----------------------------------------------------------------------------------------


def _extra(data: dict, rng: random.Random, n: int) -> dict:
    """What the pages beyond incidents read, in proportion to the `n` incidents."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from yunwei.alerts.models import Alert, Integration
    from yunwei.changes.models import Change
    from yunwei.cmdb.models import Item, ItemType, Relation, RelationType
    from yunwei.knowledge.models import Article
    from yunwei.problems.models import Problem
    from yunwei.servicedesk.models import RequestType, ServiceRequest

    User = get_user_model()
    now = timezone.now()
    units = data["unit_ids"]
    weights = [3 - 2 * k / (len(units) - 1) for k in range(len(units))]

    def unit():
        return rng.choices(units, weights)[0]

    def ago(days):
        return now - datetime.timedelta(seconds=rng.random() * days * 86400)

    counts = {}
    with transaction.atomic():
        states = ["registered", "classified", "in_progress", "solved", "archived"]
        counts["problems"] = max(0, n // 50 - 2_000) + 2_000
        Problem.objects.bulk_create(
            (
                Problem(
                    unit_id=unit(),
                    title=f"问题{k} {rng.choice(['交换机', '存储', '登录'])}",
                    state=rng.choices(states, [1, 1, 1, 1, 16])[0],
                    deadline=(now + datetime.timedelta(days=rng.randint(-300, 60))).date(),
                    registered_at=ago(730),
                )
                for k in range(counts["problems"] - 2_000)
            ),
            batch_size=5000,
        )
        change_states = ["draft", "submitted", "approved", "completed", "reviewed", "reviewed", "reviewed"]
        counts["changes"] = max(0, n // 20 - 2_000) + 2_000
        for start in range(0, counts["changes"] - 2_000, 20_000):
            rows = []
            for k in range(start, min(counts["changes"] - 2_000, start + 20_000)):
                planned = ago(730)
                rows.append(
                    Change(
                        unit_id=unit(),
                        title=f"变更{k}",
                        change_type="configuration",
                        state=rng.choice(change_states),
                        approval_round=1,
                        planned_start=planned,
                        planned_end=planned + datetime.timedelta(hours=2),
                    )
                )
            Change.objects.bulk_create(rows, batch_size=5000)
        item_type = ItemType.objects.get(code="application")
        items = [
            Item(
                unit_id=unit(),
                type=item_type,
                domain=item_type.domain,
                code=f"BENCH-{k}",
                name=f"服务器{k}",
            )
            for k in range(n // 100)
        ]
        items = Item.objects.bulk_create(items, batch_size=5000)
        counts["items"] = len(items) + sum(len(v) for v in data["items"].values())
        relation_type = RelationType.objects.first()
        # Each incident bench item (the ones incidents name) depends on a few of the new ones, and those
        # on each other: an item page's impact has something to walk.
        by_unit: dict[int, list] = {}
        for item in items:
            by_unit.setdefault(item.unit_id, []).append(item)
        relations = []
        for unit_id, ids in data["items"].items():
            pool = by_unit.get(unit_id, [])
            for pk in ids:
                for target in rng.sample(pool, min(3, len(pool))):
                    relations.append(
                        Relation(source_id=pk, target=target, type=relation_type, unit_id=unit_id)
                    )
        for pool in by_unit.values():
            for a, b in zip(pool, pool[1:], strict=False):
                relations.append(Relation(source=a, target=b, type=relation_type, unit_id=a.unit_id))
        Relation.objects.bulk_create(relations, batch_size=5000, ignore_conflicts=True)
        types = list(RequestType.objects.all())
        requesters = {
            u: list(User.objects.filter(person__unit_id=u).values_list("pk", flat=True)) for u in units
        }
        counts["requests"] = n // 20
        for start in range(0, counts["requests"], 20_000):
            rows = []
            for _k in range(start, min(counts["requests"], start + 20_000)):
                u, kind = unit(), rng.choice(types)
                submitted = ago(730)
                rows.append(
                    ServiceRequest(
                        unit_id=u,
                        type=kind,
                        kind=kind.kind,
                        title=rng.choice(["开通账号", "附件上传失败", "公文批量打印", "流程不显示下一步"]),
                        state=rng.choice(["submitted", "closed", "closed", "closed", "cancelled"]),
                        requester_id=rng.choice(requesters[u]),
                        submitted_at=submitted,
                        clock_started_at=submitted,
                        answer_due_at=submitted + datetime.timedelta(hours=4),
                        complete_due_at=submitted + datetime.timedelta(days=5),
                    )
                )
            ServiceRequest.objects.bulk_create(rows, batch_size=5000)
        counts["articles"] = n // 500
        Article.objects.bulk_create(
            (
                Article(
                    unit_id=unit(),
                    title=f"知识{k} {rng.choice(['交换机', '存储', '登录', '证书'])}",
                    body="处理步骤……",
                    state=rng.choice(["draft", "published", "published", "published"]),
                    published_at=ago(730),
                )
                for k in range(counts["articles"])
            ),
            batch_size=5000,
        )
        integrations = {
            # A placeholder token: nothing posts to these integrations, the lists only read their alerts.
            u: Integration.objects.create(
                unit_id=u,
                kind="generic",
                name=f"监控{u}",
                token_hash=f"bench-{u}",
                token_hint="bench",  # noqa: S106
            )
            for u in units
        }
        counts["alerts"] = n // 10
        item_ids = {u: [item.pk for item in by_unit.get(u, [])] or [None] for u in units}
        for start in range(0, counts["alerts"], 20_000):
            rows = []
            for k in range(start, min(counts["alerts"], start + 20_000)):
                u = unit()
                seen = ago(730)
                rows.append(
                    Alert(
                        integration=integrations[u],
                        unit_id=u,
                        fingerprint=f"fp-{k}",
                        name=f"srv-{k % 2000:04d} {rng.choice(['磁盘空间不足', 'CPU 过高', '端口故障'])}",
                        severity=rng.choice(["critical", "warning"]),
                        status=rng.choice(["firing", "resolved", "resolved", "resolved", "stale"]),
                        first_seen_at=seen,
                        last_seen_at=seen,
                        match=rng.choice(["matched", "unmatched"]),
                        item_id=rng.choice(item_ids[u]),
                    )
                )
            Alert.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "VACUUM ANALYZE problems_problem, changes_change, cmdb_item, cmdb_relation, "
                "servicedesk_servicerequest, knowledge_article, alerts_alert"
            )
        else:
            cursor.execute("ANALYZE")
    return counts


def _found(n: int) -> dict:
    """The organisation a previous run generated (`--reuse`)."""
    from django.contrib.auth import get_user_model

    from yunwei.incidents.models import Incident
    from yunwei.org.models import Unit

    User = get_user_model()
    unit_ids = list(Unit.objects.filter(code__startswith="bench-", parent__isnull=False).order_by("code"))
    return {
        "unit_ids": [u.pk for u in unit_ids],
        "unit_admin_unit": unit_ids[0].pk,
        "group_admin_id": User.objects.get(username="bench-group-admin").pk,
        "incidents": Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or n,
    }


# -- measuring ------------------------------------------------------------------------------------


def _client(user):
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


class HttpClient:
    """A browser of one persona over HTTP: one kept-alive connection to each base URL, the requests taking
    them in turn (as behind a load balancer), one cookie jar for all of them."""

    def __init__(self, bases: list[str]):
        self.bases = [urllib.parse.urlsplit(base) for base in bases]
        self.connections: list = [None] * len(self.bases)
        self.cookies: dict[str, str] = {}
        self.turn = 0

    def _connection(self, index: int):
        if self.connections[index] is None:
            base = self.bases[index]
            kind = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
            self.connections[index] = kind(base.netloc, timeout=60)
        return self.connections[index]

    def request(self, method: str, path: str, params=None, form=None):
        """One request on the next connection in turn; the answer's status, Location and body."""
        index, self.turn = self.turn, (self.turn + 1) % len(self.bases)
        target = f"{path}?{urllib.parse.urlencode(params)}" if params else path
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = urllib.parse.urlunsplit(self.bases[index][:2] + (path, "", ""))
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile is opened again
            connection = self._connection(index)
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                self.connections[index] = None
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return types.SimpleNamespace(
            status_code=response.status, location=response.headers.get("Location", ""), content=content
        )

    def get(self, path: str, params=None):
        return self.request("GET", path, params)

    def post_form(self, path: str, fields: dict):
        """The form at `path` as a browser sends it: fetched first for its CSRF token."""
        page = self.get(path, {"next": fields.get("next", "/")})
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
        if page.status_code != 200 or not found:
            raise SystemExit(f"{path} answered {page.status_code} without a form to sign in with")
        return self.request("POST", path, form={**fields, "csrfmiddlewaretoken": found.group(1).decode()})


def _signed_in_over_http(user, bases: list[str]) -> HttpClient:
    """`user` signed in through the log-in form. The bench's personas have no password: it sets one of
    this run. When the product asks for the second factor, the persona gets a TOTP device (unless it
    has one) whose code the bench computes, as a phone would."""
    from django.urls import reverse
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    password = secrets.token_urlsafe(24)
    user.set_password(password)
    user.save(update_fields=["password"])
    client = HttpClient(bases)
    login, otp = reverse("accounts:login"), reverse("accounts:otp")
    answer = client.post_form(login, {"username": user.username, "password": password, "next": "/"})
    if answer.status_code == 302 and urllib.parse.urlsplit(answer.location).path == otp:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        code = (
            f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
        )
        answer = client.post_form(otp, {"code": code, "next": "/"})
    if answer.status_code != 302 or urllib.parse.urlsplit(answer.location).path != "/":
        raise SystemExit(f"signing in as {user.username} answered {answer.status_code} {answer.location}")
    return client


def _timed(client, url: str, params=None, refused: list | None = None) -> float:
    """Seconds one GET took; an answer other than 200 is noted in `refused` (else it ends the run)."""
    began = time.perf_counter()
    response = client.get(url, params or {})
    spent = time.perf_counter() - began
    if response.status_code != 200:
        said = f"{url} {params} answered {response.status_code}"
        if refused is None:
            raise SystemExit(said)
        refused.append(said)
    return spent


def _explain(client, url: str, params: dict) -> dict:
    """The plans of every query one request ran: the big tables read by sequential scan, and the three
    slowest queries (PostgreSQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    seq, slowest = set(), []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            slowest.append((float(query["time"]), sql[:160]))
            try:
                cursor.execute(f"EXPLAIN {sql}")
            except Exception:  # a query the captured text cannot replay (none known); not a plan to judge
                connection.rollback() if not connection.get_autocommit() else None
                continue
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in BIG_TABLES:
                if f"Seq Scan on {table} " in plan or plan.count(f"Seq Scan on {table}\n"):
                    seq.add(table)
    slowest.sort(reverse=True)
    with (
        connection.cursor() as cursor
    ):  # the planner's own row estimate: a scan of a small table is its choice
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)", [sorted(seq)]
        )
        sizes = dict(cursor.fetchall())
    seq = {f"{table} ({sizes.get(table, 0)} rows)" for table in seq}
    return {
        "queries": len(captured.captured_queries),
        "seq_scan": sorted(seq),
        "slowest": [f"{ms(t)} ms {sql}" for t, sql in slowest[:3]],
    }


def _pages(data: dict, rng: random.Random, n: int, unit_admin_unit: int) -> dict:
    """Each page: (url, a function of the persona giving the sample's parameters)."""
    import incidents as incident_bench
    from django.urls import reverse

    from yunwei.changes.models import Change
    from yunwei.cmdb.models import Item
    from yunwei.incidents.choices import Grade, State
    from yunwei.incidents.models import Incident
    from yunwei.problems.models import Problem
    from yunwei.servicedesk.models import ServiceRequest

    def records(model, route: str, **only) -> dict:
        """A detail page's sample paths for each persona: records of the unit admin's unit, of any unit."""
        rows = model.objects.filter(**only).order_by()
        paths = {}
        for who, scoped in (("unit", rows.filter(unit_id=unit_admin_unit)), ("group", rows)):
            pks = list(scoped.values_list("pk", flat=True))
            paths[who] = [reverse(route, args=[pk]) for pk in rng.sample(pks, min(len(pks), SAMPLED_RECORDS))]
        return paths

    details = {
        "item_detail": records(Item, "cmdb:item-detail", code__startswith="APP-"),
        "incident_detail": records(Incident, "incidents:incident-detail"),
        "problem_detail": records(Problem, "problems:problem-detail"),
        "change_detail": records(Change, "changes:change-detail"),
        "request_detail": records(ServiceRequest, "servicedesk:request-detail"),
    }
    deep = 20_000 if n >= 1_000_000 else max(2, n // PAGE_SIZE // 2)
    shallowest = max(1, deep - 50)

    def unit_param(who):
        return {"unit": rng.choice(data["unit_ids"])} if who == "group" else {}

    def term():
        """Common words, host names in a few hundred rows, and now and then a two-character word in none
        (too short for a trigram: the case that once read the whole table)."""
        draw = rng.random()
        if draw < 0.45:
            return rng.choice(incident_bench.COMMON_TERMS)
        if draw < 0.9:
            return f"srv-{rng.randrange(incident_bench.HOSTS):04d}"
        return rng.choice(RARE_SHORT_TERMS)

    incident_list = reverse("incidents:incident-list")
    pages = {
        "incident_list": (incident_list, lambda who: {}),
        "incident_list_filtered": (
            incident_list,
            lambda who: {
                "state": rng.choice(State.values),
                "grade": rng.choice(Grade.values),
                **unit_param(who),
            },
        ),
        "incident_list_search": (incident_list, lambda who: {"q": term()}),
        "incident_list_deep": (incident_list, lambda who: {"page": rng.randint(shallowest, deep)}),
        "duty": (reverse("incidents:duty"), lambda who: {}),
        "dashboard": (reverse("web:dashboard"), lambda who: {}),
        **{name: (None, lambda who, paths=paths: rng.choice(paths[who])) for name, paths in details.items()},
        "item_list": (reverse("cmdb:item-list"), lambda who: {}),
        "problem_list": (reverse("problems:problem-list"), lambda who: {}),
        "change_list": (reverse("changes:change-list"), lambda who: {}),
        "alert_list": (reverse("alerts:alert-list"), lambda who: {}),
        "logbook_index": (reverse("logbook:index"), lambda who: {}),
        "rectification_list": (reverse("logbook:rectification-list"), lambda who: {}),
        "request_list": (reverse("servicedesk:request-list"), lambda who: {}),
        "request_queue": (reverse("servicedesk:queue"), lambda who: {}),
        "knowledge_list": (reverse("knowledge:article-list"), lambda who: {}),
        "report_archive": (reverse("reports:archive"), lambda who: {}),
    }
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--reuse", action="store_true", help="measure the data a previous run left")
    parser.add_argument("--only", default="", help="comma-separated page names to measure")
    parser.add_argument(
        "--url",
        action="append",
        default=[],
        help="a web process of a Yunwei running on the same database (once per process): measure over HTTP",
    )
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    # Pages render from the source folders: the manifest of collectstatic belongs to a deployment.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    import incidents as incident_bench
    import mywork as mywork_bench
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from yunwei.incidents.models import Incident

    rng = random.Random(args.seed)
    n = SCALES[args.scale]
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    if Incident.objects.exists():
        if not args.reuse:
            raise SystemExit(
                "The benchmark needs an empty database of its own (YUNWEI_DATABASE_URL holds incidents); "
                "--reuse measures the data a previous run of it left."
            )
        data = _found(n)
        counts = {}
        print(f"reusing {data['incidents']} incidents ({connection.vendor})")
    else:
        data = incident_bench.generate(n, rng)
        mywork_bench._work(data, rng, n // 10)
        counts = _extra(data, rng, n)
        print(f"generated {data['incidents']} incidents and {counts} in {time.perf_counter() - began:.1f} s")
    generated = time.perf_counter() - began

    User = get_user_model()
    usernames = {"unit": "bench-unit-admin", "group": "bench-group-admin"}
    if args.url:
        personas = {
            who: _signed_in_over_http(User.objects.get(username=name), args.url)
            for who, name in usernames.items()
        }
    else:
        personas = {who: _client(User.objects.get(username=name)) for who, name in usernames.items()}
    pages = _pages(data, rng, n, data["unit_admin_unit"])
    if args.only:
        pages = {name: page for name, page in pages.items() if name in args.only.split(",")}
    baseline_url = reverse("accounts:password-change")
    for client in personas.values():  # warm up, as a running server is (each connection of each URL)
        for _ in args.url or [None]:
            client.get(baseline_url)
            client.get(reverse("web:dashboard"))
    baseline = [_timed(personas["unit"], baseline_url) for _ in range(args.samples)]
    base = p95(baseline)
    figures: dict = {"backend": connection.vendor, "over": "http" if args.url else "in-process"}
    figures["baseline"] = _p(baseline)
    plans, rows, not_200 = {}, [], {}
    for name, (url, params_of) in pages.items():
        for who, client in personas.items():
            times, refused = [], []
            for _ in range(args.samples):
                params = params_of(who)
                if url is None:  # a detail page: the sample is the record's path
                    target, params = params, {}
                else:
                    target = url
                times.append(_timed(client, target, params, refused))
            key = f"{name}_{who}"
            if refused:
                not_200[key] = refused[:3]
            figures[key] = {**_p(times), "ratio_p95": round(p95(times) / base, 2)}
            rows.append((key, p95(times)))
            if connection.vendor == "postgresql" and not args.url:
                plans[key] = _explain(client, target, params)
            print(
                f"  {key:<32} p50 {figures[key]['p50_ms']:>8} ms  p95 {figures[key]['p95_ms']:>8} ms",
                flush=True,
            )
    missed = [key for key, value in rows if value * 1000 > TARGET_MS]
    if not args.url:  # over HTTP the queries ran in the servers: no plans
        figures["seq_scans"] = {key: plan["seq_scan"] for key, plan in plans.items() if plan["seq_scan"]}
        figures["slowest_queries"] = {key: plans[key]["slowest"] for key in missed if key in plans}
    figures["missed_targets"] = missed
    figures["not_200"] = not_200
    summary = {
        "bench": "pages",
        "scale": args.scale,
        "incidents": data["incidents"],
        **counts,
        "samples": args.samples,
        "generate_s": round(generated, 1),
        "target_p95_ms": TARGET_MS,
        "urls": args.url,
        "pages": list(pages),
        "personas": list(personas),
    }
    report(figures, 32, summary)
    if not_200:
        raise SystemExit(f"{len(not_200)} page(s) answered other than 200: {sorted(not_200)}")


if __name__ == "__main__":
    main()
