"""Benchmark: a unit's month of the log books (Art. 5), the page the system management lead reviews.

    python bench/logbook.py --scale small|full

Generates a group of units, each with backup jobs and their runs (a start and a finish a day), inspection
round templates walked every day with six readings each, handover notes and problems with their timeline,
for a year (full: 12 units, 20 round templates and 10 backup jobs each — about 88,000 rounds, 525,000
readings, 88,000 backup runs and 200,000 problem events; small: 2 units, 3 templates, 2 jobs, 90 days), in
its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else a temporary SQLite
file. The history is bulk-inserted: this measures the reads.

Then it measures, in-process through the whole middleware stack as a signed-in lead sees them (Django's
test client; no network, no gunicorn): the month's log-book page (`/logbook/units/{id}/?month=`) and the
month's review page, for random units and months; p50 and p95 in ms; and the month page as a group
system admin and as a user of one unit sees it. `--explain` (PostgreSQL) prints the plans of the month
page's slowest queries.

Baseline in the same run: reading the same month's rows the page lists, by the unit and occurred-at index
(rounds, notes, backup runs, problem events) as plain ORM queries, with no page around them. Prints the
figures and, as its last line, one JSON object.
"""

import argparse
import datetime
import random
import statistics
import time

from common import migrate_empty, ms, p95, report, setup_django

SCALES = {
    "small": {"units": 2, "templates": 3, "jobs": 2, "days": 90, "problems": 200, "samples": 20},
    "full": {"units": 12, "templates": 20, "jobs": 10, "days": 365, "problems": 20_000, "samples": 50},
}
READINGS = 6
BATCH = 5000


def _build(scale: dict, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from yunwei.logbook.models import Checkpoint, LogNote, Reading, Round, RoundTemplate
    from yunwei.monitoring.models import Heartbeat, HeartbeatRun
    from yunwei.org.choices import Role, UnitKind
    from yunwei.org.models import Person, RoleAssignment, Team, Unit
    from yunwei.problems.models import Problem, ProblemEvent

    group = Unit.objects.create(code="bench-group", name="集团公司", kind=UnitKind.GROUP)
    units = [
        Unit.objects.create(code=f"bench-{k:02d}", name=f"第{k + 1}单位", parent=group)
        for k in range(scale["units"])
    ]
    lead = get_user_model().objects.create_user("bench-lead", "", None)
    lead_person = Person.objects.create(unit=group, name="负责人", account=lead)
    RoleAssignment.objects.create(person=lead_person, unit=group, role=Role.SYSTEM_LEAD)
    # The two other readers of the target: a group system admin (sees every unit) and a user of the first
    # unit (sees only it: the problems' events are scoped on top).
    admin = get_user_model().objects.create_user("bench-admin", "", None)
    RoleAssignment.objects.create(
        person=Person.objects.create(unit=group, name="集团管理员", account=admin),
        unit=group,
        role=Role.GROUP_ADMIN,
    )
    team = Team.objects.create(unit=group, code="cable", name="有线科")
    zone = timezone.get_default_timezone()
    today = timezone.localdate()
    first = today - datetime.timedelta(days=scale["days"])
    for unit in units:
        jobs = Heartbeat.objects.bulk_create(
            [
                Heartbeat(unit=unit, name=f"{unit.name}备份{j}", kind="backup", period=86400)
                for j in range(scale["jobs"])
            ]
        )
        runs = []
        for job in jobs:
            for d in range(scale["days"]):
                if rng.random() < 0.01:
                    continue  # a gap now and then
                end = datetime.datetime.combine(
                    first + datetime.timedelta(days=d), datetime.time(2, 20), tzinfo=zone
                )
                start = end - datetime.timedelta(minutes=15)
                runs.append(HeartbeatRun(heartbeat=job, kind="start", received_at=start))
                runs.append(
                    HeartbeatRun(
                        heartbeat=job,
                        kind="success",
                        received_at=end,
                        started_at=start,
                        run_time=end - start,
                        succeeded=True,
                        size=10**9,
                    )
                )
        HeartbeatRun.objects.bulk_create(runs, batch_size=BATCH)
        templates = RoundTemplate.objects.bulk_create(
            [
                RoundTemplate(
                    unit=unit, team=team, name=f"巡检{t}", weekdays=list(range(7)), active_from=first
                )
                for t in range(scale["templates"])
            ]
        )
        Checkpoint.objects.bulk_create(
            [
                Checkpoint(template=t, position=p, label=f"读数{p}", kind="number", low=0, high=100)
                for t in templates
                for p in range(1, READINGS + 1)
            ]
        )
        points = {t.pk: list(Checkpoint.objects.filter(template=t).order_by("position")) for t in templates}
        for template in templates:
            rounds = Round.objects.bulk_create(
                [
                    Round(
                        unit=unit,
                        template=template,
                        occurred_at=datetime.datetime.combine(
                            first + datetime.timedelta(days=d),
                            datetime.time(9, rng.randint(0, 59)),
                            tzinfo=zone,
                        ),
                        recorded_at=timezone.now(),
                        performed_by=lead_person,
                    )
                    for d in range(scale["days"])
                    if rng.random() > 0.005
                ],
                batch_size=BATCH,
            )
            Reading.objects.bulk_create(
                [
                    Reading(round=r, checkpoint=c, value=str(v), out_of_limits=v > 100)
                    for r in rounds
                    for c, v in ((c, rng.randint(10, 103)) for c in points[template.pk])
                ],
                batch_size=BATCH,
            )
        LogNote.objects.bulk_create(
            [
                LogNote(
                    unit=unit,
                    kind="handover",
                    text="交接班：运行正常",
                    occurred_at=datetime.datetime.combine(
                        first + datetime.timedelta(days=d), datetime.time(h), tzinfo=zone
                    ),
                    recorded_at=timezone.now(),
                )
                for d in range(scale["days"])
                for h in (8, 20)
            ],
            batch_size=BATCH,
        )
        problems = Problem.objects.bulk_create(
            [
                Problem(unit=unit, title=f"问题{k}", registered_at=timezone.now())
                for k in range(scale["problems"] // scale["units"])
            ],
            batch_size=BATCH,
        )
        ProblemEvent.objects.bulk_create(
            [
                ProblemEvent(
                    problem=p,
                    at=datetime.datetime.combine(
                        first + datetime.timedelta(days=rng.randrange(scale["days"])),
                        datetime.time(10),
                        tzinfo=zone,
                    ),
                    kind="registered",
                    to_state="registered",
                    actor_name="bench",
                )
                for p in problems
                for _ in range(10)
            ],
            batch_size=BATCH,
        )
    unit_user = get_user_model().objects.create_user("bench-user", "", None)
    RoleAssignment.objects.create(
        person=Person.objects.create(unit=units[0], name="单位用户", account=unit_user),
        unit=units[0],
        role=Role.USER,
    )
    months = sorted({(first + datetime.timedelta(days=d)).replace(day=1) for d in range(scale["days"])})
    return {
        "units": units,
        "lead": lead,
        "admin": admin,
        "unit_user": unit_user,
        "months": months[1:] or months,
    }


def _explain(client, path: str, count: int = 4) -> None:
    """EXPLAIN ANALYZE of the page's slowest queries (PostgreSQL), to see each one use its index."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    print(f"{len(captured.captured_queries)} queries for {path}")
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:count]
    with connection.cursor() as cursor:
        for query in slowest:
            print(f"-- {query['time']} s: {query['sql'][:300]}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def _baseline(unit, month) -> None:
    from yunwei.logbook import facts
    from yunwei.logbook.models import LogNote, Round
    from yunwei.monitoring.models import HeartbeatRun
    from yunwei.problems.models import ProblemEvent

    start, end = facts.month_bounds(month)
    list(Round.objects.filter(unit=unit, occurred_at__gte=start, occurred_at__lt=end)[:200])
    list(LogNote.objects.filter(unit=unit, occurred_at__gte=start, occurred_at__lt=end))
    list(HeartbeatRun.objects.filter(heartbeat__unit=unit, received_at__gte=start, received_at__lt=end)[:40])
    list(ProblemEvent.objects.filter(problem__unit=unit, at__gte=start, at__lt=end)[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="small")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plans of the month page's slowest queries (PostgreSQL)",
    )
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    from yunwei.logbook.models import Round

    migrate_empty(Round, "log-book rounds")

    from django.conf import settings
    from django.test import override_settings

    # The pages' static links from the source folders: collectstatic's manifest belongs to a deployment.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    scale = SCALES[args.scale]
    rng = random.Random(7)
    started = time.perf_counter()
    data = _build(scale, rng)
    from django.db import connection

    # A database in service has its planner statistics; a bulk load has none until autovacuum comes by,
    # and without them PostgreSQL joins the problems' events in a nested loop of seconds.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    client = Client(SERVER_NAME="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(data["lead"])
    samples = [(rng.choice(data["units"]), rng.choice(data["months"])) for _ in range(scale["samples"])]
    client.get(f"/logbook/units/{samples[0][0].pk}/?month={samples[0][1]:%Y-%m}")  # warm up
    readers = {}
    for key in ("admin", "unit_user"):
        readers[key] = Client(SERVER_NAME="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
        readers[key].force_login(data[key])
    timings = {"month": [], "review": [], "baseline": [], "admin": [], "unit_user": []}
    # The time this process spent on the CPU for each page (on SQLite the queries too): what the page
    # costs, apart from waiting for a CPU on a shared machine.
    cpu_times: dict[str, list[float]] = {}
    for unit, month in samples:
        pages = [("month", client, unit, ""), ("review", client, unit, "review/")]
        pages += [
            ("admin", readers["admin"], unit, ""),
            ("unit_user", readers["unit_user"], data["units"][0], ""),
        ]
        for key, reader, shown, path in pages:
            t, cpu = time.perf_counter(), time.process_time()
            response = reader.get(f"/logbook/units/{shown.pk}/{path}?month={month:%Y-%m}")
            timings[key].append(time.perf_counter() - t)
            cpu_times.setdefault(key, []).append(time.process_time() - cpu)
            assert response.status_code == 200, response.status_code
        t = time.perf_counter()
        _baseline(unit, month)
        timings["baseline"].append(time.perf_counter() - t)
    if args.explain and connection.vendor == "postgresql":
        unit, month = samples[0]
        for reader in (client, readers["unit_user"]):
            _explain(reader, f"/logbook/units/{data['units'][0].pk}/?month={month:%Y-%m}")
    figures = {
        "month page p50 ms": ms(statistics.median(timings["month"])),
        "month page p95 ms": ms(p95(timings["month"])),
        "review page p95 ms": ms(p95(timings["review"])),
        "month page p95 ms, group admin": ms(p95(timings["admin"])),
        "month page p95 ms, unit user": ms(p95(timings["unit_user"])),
        "month page p95 CPU ms": ms(p95(cpu_times["month"])),
        "review page p95 CPU ms": ms(p95(cpu_times["review"])),
        "baseline p95 ms": ms(p95(timings["baseline"])),
        "month page / baseline (p95)": round(p95(timings["month"]) / max(p95(timings["baseline"]), 1e-6), 1),
        "target p95 ms": 300,
    }
    summary = {
        "benchmark": "logbook",
        "scale": args.scale,
        "database": connection.vendor,
        "rounds": Round.objects.count(),
        "build seconds": round(built, 1),
        "samples": len(samples),
    }
    report(figures, 32, summary)


if __name__ == "__main__":
    main()
