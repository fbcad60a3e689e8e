"""Benchmark: My work, the inbox and the dashboard's charts at a million incidents and 100,000 notices.

    python bench/mywork.py --scale small|full

In its own database — `YUNWEI_DATABASE_URL` when set (an empty database of its own; the figures are meant
for PostgreSQL), else a temporary SQLite file — it generates the incidents of bench/incidents.py (full:
1,000,000; small: 20,000, over two years, with their timelines), then the day's work around them: one
incident in 200 assigned to a technician of the largest unit or to their team, 2,000 problems (some owned
by the technician, some solved and waiting for the group admin's verification), 2,000 changes (some
submitted and waiting for the system management lead), the log books (round templates walked daily
for two years, two years of monthly reviews, 2,000 rectifications; `_logbook`) and the notices (full:
100,000; small: 10,000), each in the inbox of one of 50 people, a fifth of them the technician's, most
read. All bulk-inserted: this measures reads.

Then, in-process through the whole middleware stack (Django's test client, a signed-in session; no
network), 50 requests each (p50, p95; targets p95 ≤ 200 ms for My work and the inbox, ≤ 300 ms for a chart):

- My work of the technician, of the system management lead and of the group admin (`/my/`);
- the technician's inbox, its first page and a page deep in it by keyset (`/inbox/?before=<id>`), which
  also draws the top bar's unread count;
- each chart's JSON (`/charts/<name>.json`) as the group admin (every unit) and as the unit admin.

Baseline in the same run: the same client GETting a signed-in page that reads nothing (the password
change form): the fixed cost of a page through the stack. Each figure is printed beside the baseline as a
ratio. On PostgreSQL the plans of the inbox page, the unread count, the technician's incidents and the
charts' 12-week ranges and My work's log-book sections are read with EXPLAIN and the indexes they use
named (`plans`): no sequential scan of the big tables.
Prints the figures and, as its last line, one JSON object; exits non-zero when a p95 misses its target
on PostgreSQL at full scale.
"""

import argparse
import datetime
import random
import re
import sys
import time

from common import migrate_empty, ms, p95, report, setup_django

SCALES = {"small": (20_000, 10_000), "full": (1_000_000, 100_000)}  # incidents, notices
SAMPLES = 50
PEOPLE = 50
TARGETS = {"my_work": 200, "inbox": 200, "chart": 300}


def _p(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50_ms": ms(ordered[len(ordered) // 2]), "p95_ms": ms(p95(values))}


def _work(data: dict, rng: random.Random, notices: int) -> dict:
    """The technician, the lead, their records and the notices, bulk-inserted."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from yunwei.changes.models import Change
    from yunwei.incidents.models import Incident
    from yunwei.notify.models import InboxItem, Notice
    from yunwei.org.choices import Role
    from yunwei.org.models import Person, RoleAssignment, Team, Unit
    from yunwei.problems.models import Problem

    User = get_user_model()
    unit = Unit.objects.get(pk=data["unit_admin_unit"])
    group = unit.parent
    team = Team.objects.create(unit=unit, code="bench-ops", name="运维班")

    def account(username, at, role, team=None):
        user = User.objects.create_user(username, f"{username}@example.cn", None)
        person = Person.objects.create(unit=at, name=username, account=user, team=team)
        RoleAssignment.objects.create(person=person, unit=at, role=role)
        return user

    tech = account("bench-tech", unit, Role.TECH_STAFF, team)
    lead = account("bench-lead", group, Role.SYSTEM_LEAD)
    others = [account(f"bench-reader-{k:02d}", unit, Role.USER) for k in range(PEOPLE - 2)]
    now = timezone.now()
    with transaction.atomic():
        ids = Incident.objects.filter(unit=unit).values_list("pk", flat=True)
        Incident.objects.filter(pk__in=[pk for pk in ids.iterator() if pk % 200 == 0]).update(
            assignee=tech.person
        )
        Incident.objects.filter(pk__in=[pk for pk in ids.iterator() if pk % 200 == 100]).update(team=team)
        states = ["registered", "classified", "in_progress", "solved", "archived"]
        Problem.objects.bulk_create(
            [
                Problem(
                    unit_id=rng.choice(data["unit_ids"]),
                    title=f"问题{k}",
                    state=states[k % 5],
                    owner=tech.person if k % 10 == 0 else None,
                    deadline=(now + datetime.timedelta(days=rng.randint(-30, 60))).date(),
                    registered_at=now - datetime.timedelta(days=rng.randint(0, 400)),
                )
                for k in range(2_000)
            ],
            batch_size=1000,
        )
        outcomes = [
            "draft",
            "submitted",
            "approved",
            "scheduled",
            "completed",
            "failed",
            "rolled_back",
            "reviewed",
        ]
        Change.objects.bulk_create(
            [
                Change(
                    unit_id=rng.choice(data["unit_ids"]),
                    title=f"变更{k}",
                    change_type="configuration",
                    state=outcomes[k % len(outcomes)],
                    requester=tech if k % 7 == 0 else None,
                    approval_round=1,
                    planned_start=now + datetime.timedelta(days=rng.randint(-60, 30)),
                    planned_end=now + datetime.timedelta(days=rng.randint(-60, 30), hours=2),
                    finished_at=now - datetime.timedelta(days=rng.randint(0, 90)) if k % 8 >= 4 else None,
                )
                for k in range(2_000)
            ],
            batch_size=1000,
        )
        _logbook(data, rng, unit, team, tech, lead, now)
        people = [tech, lead, *others]
        batch = 5_000
        for start in range(0, notices, batch):
            rows = Notice.objects.bulk_create(
                [
                    Notice(
                        event_key=f"incident:{rng.randint(1, data['incidents'])}:bench:{k}",
                        unit_id=unit.pk,
                        subject_zh=f"故障通知 {k}",
                        subject_en=f"Fault notice {k}",
                        body_zh="正文",
                    )
                    for k in range(start, min(notices, start + batch))
                ]
            )
            InboxItem.objects.bulk_create(
                [
                    InboxItem(
                        user=tech if rng.random() < 0.2 else rng.choice(people),
                        notice=notice,
                        unit_id=unit.pk,
                        read_at=None if rng.random() < 0.02 else now,
                    )
                    for notice in rows
                ]
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "VACUUM ANALYZE notify_notice, notify_inboxitem, problems_problem, changes_change, "
                "incidents_incident, logbook_roundtemplate, logbook_round, logbook_rectification, "
                "logbook_monthlyreview"
            )
        else:
            cursor.execute("ANALYZE")
    group_admin = User.objects.get(pk=data["group_admin_id"])
    unit_admin = User.objects.get(username="bench-unit-admin")
    return {"tech": tech, "lead": lead, "group_admin": group_admin, "unit_admin": unit_admin}


def _logbook(data, rng, unit, team, tech, lead, now) -> None:
    """The log books around the technician and the lead: 10 round templates of the technician's team and 5
    of every other unit's, each walked daily for two years (today's not yet for half of the team's); a
    monthly review per unit and month for two years, signed but last month's in half the units; 2,000
    rectifications across the units in every state, a tenth owned by the technician."""
    from django.utils import timezone

    from yunwei.logbook.models import Finding, MonthlyReview, Rectification, Round, RoundTemplate
    from yunwei.org.models import Team, Unit

    today = timezone.localdate(now)
    start = today - datetime.timedelta(days=730)
    templates = [
        RoundTemplate(unit=unit, team=team, name=f"巡检{k}", weekdays=list(range(7)), active_from=start)
        for k in range(10)
    ]
    for unit_id in data["unit_ids"]:
        if unit_id == unit.pk:
            continue
        other = Team.objects.create(unit_id=unit_id, code=f"bench-{unit_id}", name="机房班")
        templates += [
            RoundTemplate(unit_id=unit_id, team=other, name=f"巡检{k}", weekdays=[0, 2, 4], active_from=start)
            for k in range(5)
        ]
    templates = RoundTemplate.objects.bulk_create(templates)
    zone = timezone.get_default_timezone()
    rounds = []
    for template in templates:
        for back in range(0 if template.pk % 2 else 1, 730):
            day = today - datetime.timedelta(days=back)
            at = datetime.datetime.combine(day, datetime.time(9), tzinfo=zone)
            rounds.append(
                Round(
                    unit_id=template.unit_id,
                    template=template,
                    occurred_at=at,
                    recorded_at=at,
                    performed_by=tech.person,
                )
            )
        if len(rounds) > 20_000:
            Round.objects.bulk_create(rounds, batch_size=5000)
            rounds = []
    Round.objects.bulk_create(rounds, batch_size=5000)
    units = list(Unit.objects.filter(pk__in=data["unit_ids"]))
    reviews = []
    for k, each in enumerate(units):
        for back in range(1, 25):
            month = (today.replace(day=1) - datetime.timedelta(days=28 * back)).replace(day=1)
            signed = back > 1 or k % 2 == 0
            reviews.append(
                MonthlyReview(
                    unit=each,
                    month=month,
                    due_on=month + datetime.timedelta(days=40),
                    state="signed" if signed else "open",
                    signed_at=now if signed else None,
                )
            )
    reviews = MonthlyReview.objects.bulk_create(reviews, ignore_conflicts=True)
    reviews = list(MonthlyReview.objects.all())
    findings = Finding.objects.bulk_create(
        [
            Finding(review=rng.choice(reviews), log="daily", text=f"发现{k}", recorded_at=now)
            for k in range(2_000)
        ],
        batch_size=1000,
    )
    states = ["open", "in_progress", "done", "verified", "cancelled"]
    Rectification.objects.bulk_create(
        [
            Rectification(
                unit_id=finding.review.unit_id,
                finding=finding,
                title=f"整改{k}",
                owner=tech.person if k % 10 == 0 else lead.person,
                deadline=today + datetime.timedelta(days=rng.randint(-30, 30)),
                state=states[k % 5],
            )
            for k, finding in enumerate(findings)
        ],
        batch_size=1000,
    )


def _timed(client, url: str, params=None) -> float:
    began = time.perf_counter()
    response = client.get(url, params or {})
    spent = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return spent


def _client(user):
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _plans() -> dict:
    """The plans of the inbox page, the unread count, the technician's incidents and the charts' week ranges
    (PostgreSQL)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from yunwei.incidents.models import Incident
    from yunwei.notify import services as notify
    from yunwei.notify.models import InboxItem
    from yunwei.web import charts, work

    if connection.vendor != "postgresql":
        return {}
    tech = get_user_model().objects.get(username="bench-tech")
    lead = get_user_model().objects.get(username="bench-lead")
    queries = {
        "inbox": notify.inbox(tech)[:26],
        "unread": InboxItem.objects.filter(user=tech, read_at__isnull=True).values_list("pk")[:100],
        "my_incidents": work.incidents_on(tech).order_by("restore_due_at", "acknowledge_due_at", "-id")[:21],
        "rounds_due": work.rounds_not_walked_today(tech)[: work.ROUND_TEMPLATES_READ],
        "rectifications_owned": work.rectifications_owned(tech).order_by("deadline", "id")[:21],
        "rectifications_to_verify": work.rectifications_to_verify(lead).order_by("deadline", "id")[:21],
        "reviews_to_sign": work.reviews_to_sign(lead).order_by("code", "id")[:21],
        "restore_time_weeks": Incident.objects.filter(
            restored_at__gte=timezone.now() - datetime.timedelta(weeks=charts.WEEKS)
        ).values("restored_at", "started_at"),
        "incidents_by_grade_weeks": Incident.objects.filter(
            reported_at__gte=timezone.now() - datetime.timedelta(weeks=charts.WEEKS)
        ).values("reported_at", "grade"),
    }
    plans = {}
    for name, queryset in queries.items():
        plan = queryset.explain()
        plans[name] = {
            "indexes": sorted(
                set(
                    re.findall(
                        r"(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\S+)", plan
                    )
                )
            ),
            "seq_scan": "Seq Scan" in plan,
        }
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    # Pages render from the source folders: the manifest of collectstatic belongs to a deployment.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    import incidents as incident_bench
    from django.db import connection
    from django.urls import reverse

    from yunwei.incidents.models import Incident
    from yunwei.web import charts

    migrate_empty(Incident, "incidents")
    rng = random.Random(args.seed)
    n_incidents, n_notices = SCALES[args.scale]
    began = time.perf_counter()
    data = incident_bench.generate(n_incidents, rng)
    people = _work(data, rng, n_notices)
    generated = time.perf_counter() - began
    what = f"{data['incidents']} incidents and {n_notices} notices"
    print(f"generated {what} in {generated:.1f} s ({connection.vendor})")

    clients = {name: _client(user) for name, user in people.items()}
    baseline_url = reverse("accounts:password-change")
    for client in clients.values():  # warm up, as a running server is
        client.get(baseline_url)
        client.get(reverse("web:my-work"))
    baseline = [_timed(clients["tech"], baseline_url) for _ in range(SAMPLES)]
    figures: dict = {"backend": connection.vendor, "baseline": _p(baseline)}
    base = p95(baseline)
    checks = []

    def measure(name: str, kind: str, client, url: str, params=None):
        times = [_timed(client, url, params) for _ in range(SAMPLES)]
        figures[name] = {**_p(times), "ratio_p95": round(p95(times) / base, 2)}
        checks.append((name, kind, p95(times)))

    my_work = reverse("web:my-work")
    for persona in ("tech", "lead", "group_admin"):
        measure(f"my_work_{persona}", "my_work", clients[persona], my_work)
    inbox = reverse("web:inbox")
    measure("inbox_first_page", "inbox", clients["tech"], inbox)
    from yunwei.notify.models import InboxItem

    deep = InboxItem.objects.filter(user=people["tech"]).order_by("-id").values_list("pk", flat=True)
    middle = deep[max(0, deep.count() // 2)]
    measure("inbox_deep_page", "inbox", clients["tech"], inbox, {"before": middle})
    for name in charts.CHARTS:
        url = reverse("web:chart-data", args=[name])
        measure(f"chart_{name}_group", "chart", clients["group_admin"], url)
        measure(f"chart_{name}_unit", "chart", clients["unit_admin"], url)
    figures["plans"] = _plans()
    missed = [name for name, kind, value in checks if value * 1000 > TARGETS[kind]]
    figures["missed_targets"] = missed
    summary = {
        "bench": "mywork",
        "scale": args.scale,
        "incidents": data["incidents"],
        "notices": n_notices,
        "generate_s": round(generated, 1),
        "targets_ms": TARGETS,
    }
    report(figures, 34, summary)
    if missed and connection.vendor == "postgresql" and args.scale == "full":
        sys.exit(1)


if __name__ == "__main__":
    main()
