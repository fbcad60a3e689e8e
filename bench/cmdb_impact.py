"""Benchmark: impact analysis on a large inventory (issue 3), against reading the same rows by key.

    python bench/cmdb_impact.py --scale small|full
    python bench/cmdb_impact.py --size 1000000

Generates items and dependency relations (full: 100,000 / 300,000; small: 5,000 / 15,000; `--size N`:
N items and about 3·N relations, e.g. the 1,000,000 of issue 27) in its own
database — `YUNWEI_DATABASE_URL` when set (an empty database of its own), else a temporary SQLite file —
then measures downstream impact (unlimited depth) from 50 start items (p50/p95) and a 20-item blast
radius, and, as the baseline in the same run, reading the same result rows by primary key. Prints the
figures and, as its last line, one JSON object.

Impact is measured as the pages and the API run it: unscoped (a group admin, who sees every unit) and
scoped (a user of one of the two units, whose walk flags and blanks the other unit's items); the blast
radius goes through `impact.blast_radius()`, the function behind `POST /api/cmdb/impact/`. Items
alternate between the two units, so half of every result is hidden from the unit user.

The graph is layered like an inventory: core items (0.2 %), then ever more items each depending on three
of the seven items of the layer below nearest their position, so an impact from a core item reaches a
band of the graph (hundreds to a few thousand items, at most about 5,000 at either scale) rather than
all of it. The data is bulk-inserted: this measures reads, and the
service write path is not what is timed.
"""

import argparse
import random
import statistics
import time

from common import migrate_empty, ms, p95, report, setup_django

SCALES = {"small": 5_000, "full": 100_000}
LAYER_SHARES = [0.002, 0.008, 0.04, 0.2]  # the rest is the top layer (applications and the like)
PARENTS = 3
WINDOW = 3
STARTS = 50
BLAST_ITEMS = 20


def _layers(n: int) -> list[int]:
    sizes = [max(2, round(n * share)) for share in LAYER_SHARES]
    sizes.append(n - sum(sizes))
    return sizes


def generate(n: int, rng: random.Random) -> tuple[list[list[int]], int]:
    from django.db import connection, transaction

    from yunwei.cmdb.models import Item, ItemType, Relation, RelationType
    from yunwei.org.choices import UnitKind
    from yunwei.org.models import Unit

    tag = rng.randrange(10**6)
    group = Unit.objects.create(code=f"bench-group-{tag}", name="bench group", kind=UnitKind.GROUP)
    units = [Unit.objects.create(code=f"bench-{tag}-{n}", name=f"bench {n}", parent=group) for n in (1, 2)]
    item_type = ItemType.objects.get(code="server")
    depends = RelationType.objects.get(code="depends-on")
    layers, relations = [], 0
    with transaction.atomic():
        for depth, size in enumerate(_layers(n)):
            batch = [
                Item(
                    unit=units[i % 2],
                    type=item_type,
                    domain=item_type.domain,
                    code=f"L{depth}-{i}",
                    name=f"L{depth}-{i}",
                )
                for i in range(size)
            ]
            created = Item.objects.bulk_create(batch, batch_size=5000)
            ids = [item.pk for item in created]
            if None in ids:  # backends that do not return keys from bulk inserts
                ids = list(
                    Item.objects.filter(unit__in=units, code__startswith=f"L{depth}-")
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            if layers:
                below = layers[-1]
                rows = []
                unit_of = dict(Item.objects.filter(pk__in=ids).values_list("pk", "unit_id"))
                for position, source in enumerate(ids):
                    centre = position * len(below) // len(ids)
                    window = below[max(0, centre - WINDOW) : centre + WINDOW + 1]
                    for target in rng.sample(window, min(PARENTS, len(window))):
                        rows.append(
                            Relation(
                                source_id=source, target_id=target, type=depends, unit_id=unit_of[source]
                            )
                        )
                Relation.objects.bulk_create(rows, batch_size=5000)
                relations += len(rows)
            layers.append(ids)
    if connection.vendor == "postgresql":
        # What autovacuum does on a running server a little after a bulk load: planner statistics,
        # and the visibility map that lets index-only scans skip the table.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cmdb_item, cmdb_relation")
    return layers, relations, group, units[0]


def _users(group, unit):
    """A group system admin (sees every unit: the unscoped walk) and a plain user of one unit."""
    from django.contrib.auth import get_user_model

    from yunwei.org.choices import Role
    from yunwei.org.models import Person

    users = []
    for username, home, role in (("bench-admin", group, Role.GROUP_ADMIN), ("bench-user", unit, Role.USER)):
        user = get_user_model().objects.create_user(username, "", None)
        person = Person.objects.create(unit=home, name=username, account=user)
        person.role_assignments.create(unit=home, role=role)
        users.append(get_user_model().objects.get(pk=user.pk))
    return users


def measure(layers: list[list[int]], rng: random.Random, admin, unit_user) -> dict:
    from django.db import connection

    from yunwei.cmdb import impact
    from yunwei.cmdb.models import Item

    def by_key(ids):
        started = time.perf_counter()
        rows = list(
            Item.objects.filter(pk__in=ids).values_list("id", "code", "name", "unit_id", "type_id", "domain")
        )
        return time.perf_counter() - started, len(rows)

    starts = rng.sample(layers[0] + layers[1], min(STARTS, len(layers[0]) + len(layers[1])))
    impact_times, scoped_times, baseline_times, sizes, scoped_sizes = [], [], [], [], []
    impact.walk([starts[0]], "down", user=admin)  # warm the caches once, as a running server would be
    for start in starts:
        began = time.perf_counter()
        reached = impact.walk([start], "down", user=admin)
        impact_times.append(time.perf_counter() - began)
        sizes.append(len(reached))
        elapsed, _count = by_key([r.id for r in reached])
        baseline_times.append(elapsed)
        began = time.perf_counter()
        scoped = impact.walk([start], "down", user=unit_user)
        scoped_times.append(time.perf_counter() - began)
        scoped_sizes.append(len(scoped))
    # What POST /api/cmdb/impact/ runs: the items are read (scoped) first, then blast_radius().
    blast_items = list(Item.objects.filter(pk__in=rng.sample(layers[1] + layers[2], BLAST_ITEMS)))
    began = time.perf_counter()
    blast = impact.blast_radius(blast_items, user=admin)
    blast_time = time.perf_counter() - began
    blast_baseline, _count = by_key([row["id"] for unit in blast["units"] for row in unit["items"]])
    own_items = [item for item in blast_items if item.unit_id == unit_user.access.unit_id]
    began = time.perf_counter()
    blast_scoped = impact.blast_radius(own_items, user=unit_user)
    blast_scoped_time = time.perf_counter() - began
    return {
        "backend": connection.vendor,
        "impact_p50_ms": ms(statistics.median(impact_times)),
        "impact_p95_ms": ms(p95(impact_times)),
        "baseline_p50_ms": ms(statistics.median(baseline_times)),
        "baseline_p95_ms": ms(p95(baseline_times)),
        "ratio_p95": round(p95(impact_times) / max(p95(baseline_times), 1e-9), 2),
        "reached_median": int(statistics.median(sizes)),
        "reached_max": max(sizes),
        "impact_unit_user_p50_ms": ms(statistics.median(scoped_times)),
        "impact_unit_user_p95_ms": ms(p95(scoped_times)),
        "ratio_unit_user_p95": round(p95(scoped_times) / max(p95(baseline_times), 1e-9), 2),
        "reached_unit_user_median": int(statistics.median(scoped_sizes)),
        "blast_radius_ms": ms(blast_time),
        "blast_radius_items": blast["count"],
        "blast_baseline_ms": ms(blast_baseline),
        "blast_ratio": round(blast_time / max(blast_baseline, 1e-9), 2),
        "blast_radius_unit_user_ms": ms(blast_scoped_time),
        "blast_radius_unit_user_starts": len(own_items),
        "blast_radius_unit_user_items": blast_scoped["count"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--size", type=int, default=0, help="number of items (overrides --scale)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    if args.size and args.size < 1000:
        parser.error("--size: at least 1000 items")
    size = args.size or SCALES[args.scale]
    setup_django()

    from yunwei.cmdb.models import Item

    migrate_empty(Item, "items")
    rng = random.Random(args.seed)
    began = time.perf_counter()
    layers, relations, group, unit = generate(size, rng)
    generated = time.perf_counter() - began
    print(f"generated {sum(map(len, layers))} items and {relations} relations in {generated:.1f} s")
    admin, unit_user = _users(group, unit)
    figures = measure(layers, rng, admin, unit_user)
    summary = {
        "bench": "cmdb_impact",
        "scale": "custom" if args.size else args.scale,
        "items": sum(map(len, layers)),
        "relations": relations,
    }
    report(figures, 30, summary)


if __name__ == "__main__":
    main()
