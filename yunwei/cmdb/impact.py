"""Impact analysis (Art. 2, 3, 13): what breaks when an item fails, and where an item's fault may come from.

Direction, in terms of a dependency relation `S → T` (S runs on / depends on / is powered by … T):

* **downstream** of X: every item that depends on X, transitively, i.e. walk relations from their
  target to their source (T = X gives S, then relations whose target is S, …). This is "what breaks if
  X fails" and a change's blast radius.
* **upstream** of X: everything X depends on, transitively: walk from source to target. This is
  "where a fault of X may come from".

Only relation types with `is_dependency` are followed. The walk is one recursive query (`WITH
RECURSIVE`, the same SQL on SQLite and PostgreSQL), never the graph loaded into Python:

1. `reach(item_id, depth, parent_id)` — every item reachable within the depth limit, at each distance
   at which it is reachable, with the item it was reached from. `UNION` (not `UNION ALL`) keeps each
   triple once, so the work grows with the edges walked × distinct distances, not with the number of
   paths (which explodes on a dense graph). The dependency type ids are read first and passed as
   parameters, so each step is one index range on `(target, type, source)` / `(source, type, target)`
   with no join.
2. `ranked` — per item, its shortest distance and the smallest parent at that distance
   (`ROW_NUMBER() OVER (PARTITION BY item ORDER BY depth, parent)`). A parent seen at distance d − 1 of
   an item whose shortest distance is d is itself at its shortest distance d − 1 (else the item would
   be nearer), so these parents form a shortest-path tree and the answer is deterministic.
3. Paths are read off that tree in Python, over the result rows only: O(items reached).

Results are scoped: the walk crosses every unit (a unit's application may run on a group server),
but only items the user may see are returned, and ids of items they may not see are blanked out of
the paths.
"""

from dataclasses import dataclass, field

from django.db import connection

from yunwei.core import memo, scoping
from yunwei.org.models import Unit

from .choices import Direction
from .models import Item, RelationType

# "Unlimited" depth: dependency cycles are refused, so real chains are far shorter; the bound keeps a
# cycle that slipped in (data loaded around the services) from running the query for ever.
MAX_DEPTH = 64

_COLUMNS = {
    # direction: (column of the current item, column of the next item)
    Direction.DOWN: ("target_id", "source_id"),
    Direction.UP: ("source_id", "target_id"),
}


@dataclass
class Reached:
    """An item reached from the start(s): its distance and the shortest path (start first, item last)."""

    id: int
    depth: int
    path: list[int | None]
    code: str = ""
    name: str = ""
    unit_id: int | None = None
    type_id: int | None = None
    domain: str = ""
    extra: dict = field(default_factory=dict)


def _walk_sql(direction: str, n_starts: int, n_types: int, scope_sql: str = "") -> str:
    here, nxt = _COLUMNS[Direction(direction)]
    starts = ", ".join(["%s"] * n_starts)
    types = ", ".join(["%s"] * n_types)
    # Only fixed column names, placeholders and the scope test (placeholders too) are formatted in;
    # every value is a parameter.
    return f"""
WITH RECURSIVE reach(item_id, depth, parent_id) AS (
    SELECT id, 0, id FROM cmdb_item WHERE id IN ({starts})
  UNION
    SELECT r.{nxt}, reach.depth + 1, reach.item_id
    FROM reach
    JOIN cmdb_relation r ON r.{here} = reach.item_id
    WHERE r.type_id IN ({types}) AND reach.depth < %s
),
ranked(item_id, depth, parent_id, n) AS (
    SELECT item_id, depth, parent_id,
           ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY depth, parent_id)
    FROM reach
)
SELECT i.id, ranked.depth, ranked.parent_id, i.code, i.name, i.unit_id, i.type_id, i.domain,
       {scope_sql or "1"}
FROM ranked JOIN cmdb_item i ON i.id = ranked.item_id
WHERE ranked.n = 1 AND ranked.depth > 0
ORDER BY ranked.depth, i.id
"""  # noqa: S608


def _limit(depth: int | None) -> int:
    return MAX_DEPTH if depth is None or depth <= 0 else min(int(depth), MAX_DEPTH)


def _dependency_type_ids() -> list[int]:
    # A handful of rows; reading them first keeps the recursive step a plain index range. Asked once per
    # unit of work (a delivery of alerts walks for each of them): yunwei.core.memo.
    return memo.remember(
        "cmdb.dependency_type_ids",
        lambda: list(
            RelationType.objects.filter(is_dependency=True).order_by("pk").values_list("pk", flat=True)
        ),
    )


def walk(start_ids, direction: str = Direction.DOWN, depth: int | None = None, user=None) -> list[Reached]:
    """Items reached from `start_ids` (not including them), nearest first, each with its shortest path.

    With `user`, only the items that user may see are returned (paths keep the start and visible ids;
    the rest are None). Without, the whole graph answers (for the services' own rules).
    """
    start_ids = sorted({int(pk) for pk in start_ids})
    type_ids = _dependency_type_ids()
    if not start_ids or not type_ids:
        return []
    scope_sql, scope_params = "", []
    if user is not None:
        unit_ids = scoping.visible_unit_ids(Item, user)
        if unit_ids is not None:  # None: a group admin sees every unit, no filter to add
            # Hidden items stay in the rows (their parents carry the paths through them), flagged. The
            # test is on the item's own unit column against constants: a subquery of the unit's items
            # (`i.id IN (…)`) is re-run for every row once it outgrows PostgreSQL's work_mem.
            scope_params = sorted(unit_ids)
            units = ", ".join(["%s"] * len(scope_params))
            scope_sql = f"CASE WHEN i.unit_id IN ({units}) THEN 1 ELSE 0 END" if scope_params else "0"
    sql = _walk_sql(direction, len(start_ids), len(type_ids), scope_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_ids, *type_ids, _limit(depth), *scope_params])
        rows = cursor.fetchall()
    # Rows come nearest first, so each parent's path is known before its children's.
    paths: dict[int, list[int]] = {pk: [pk] for pk in start_ids}
    reached = []
    for pk, d, parent, code, name, unit_id, type_id, domain, shown in rows:
        paths[pk] = [*paths[parent], pk]
        if shown:
            reached.append(
                Reached(
                    id=pk,
                    depth=d,
                    path=paths[pk],
                    code=code,
                    name=name,
                    unit_id=unit_id,
                    type_id=type_id,
                    domain=domain,
                )
            )
    if scope_sql:
        shown_ids = {r.id for r in reached} | set(start_ids)
        for r in reached:
            r.path = [pk if pk in shown_ids else None for pk in r.path]
    return reached


def downstream(item: Item, *, user, depth: int | None = None) -> list[Reached]:
    """What depends on `item`, transitively: what breaks if it fails."""
    return walk([item.pk], Direction.DOWN, depth, user)


def upstream(item: Item, *, user, depth: int | None = None) -> list[Reached]:
    """What `item` depends on, transitively: where its fault may come from."""
    return walk([item.pk], Direction.UP, depth, user)


def cycle_path(source_id: int, target_id: int) -> list[int] | None:
    """If a dependency `source → target` would close a cycle: the cycle as ids, source first and last.

    The cycle exists when `source` is already upstream of `target` (target depends on … on source).
    Unscoped: a cycle through items the actor cannot see is still a cycle.
    """
    if source_id == target_id:
        return [source_id, source_id]
    for reached in walk([target_id], Direction.UP):
        if reached.id == source_id:
            return [source_id, *reached.path]
    return None


def blast_radius(items, *, user, depth: int | None = None) -> dict:
    """The union of the downstream impact of `items`, grouped by unit and, in each, by application.

    `items` are Item instances the user may see. Each affected item says through which of the given
    items it is reached (`via`, the start of its shortest path).
    """
    starts = {item.pk: item for item in items}
    reached = walk(starts, Direction.DOWN, depth, user)
    unit_names = dict(Unit.objects.filter(pk__in={r.unit_id for r in reached}).values_list("pk", "name"))
    groups: dict[int, dict] = {}
    for r in reached:
        group = groups.setdefault(
            r.unit_id,
            {"unit": r.unit_id, "unit_name": unit_names.get(r.unit_id, ""), "applications": [], "items": []},
        )
        row = {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "domain": r.domain,
            "depth": r.depth,
            "via": r.path[0],
        }
        group["items"].append(row)
        if r.domain == "application":
            group["applications"].append({"id": r.id, "code": r.code, "name": r.name, "via": r.path[0]})
    return {
        "items": sorted(starts),
        "count": len(reached),
        "units": sorted(groups.values(), key=lambda g: (g["unit_name"], g["unit"] or 0)),
    }


def upstream_of_each(start_ids, depth: int = 16) -> dict[int, list[tuple[int, str, str, int]]]:
    """For each start, the items it depends on transitively (bounded by `depth`): start id → a list of
    (item id, code, name, unit id). One recursive query whatever the number of starts (the duty-room
    wall reads the chain of every application at once). Unscoped: the caller decides what to show."""
    start_ids = sorted({int(pk) for pk in start_ids})
    type_ids = _dependency_type_ids()
    result: dict[int, list[tuple[int, str, str, int]]] = {pk: [] for pk in start_ids}
    if not start_ids or not type_ids:
        return result
    starts = ", ".join(["%s"] * len(start_ids))
    types = ", ".join(["%s"] * len(type_ids))
    # Each row carries its start, so the walks of several starts never mix; UNION keeps each
    # (start, item, depth) once, and the depth bound ends a cycle that slipped in.
    sql = f"""
WITH RECURSIVE reach(start_id, item_id, depth) AS (
    SELECT id, id, 0 FROM cmdb_item WHERE id IN ({starts})
  UNION
    SELECT reach.start_id, r.target_id, reach.depth + 1
    FROM reach
    JOIN cmdb_relation r ON r.source_id = reach.item_id
    WHERE r.type_id IN ({types}) AND reach.depth < %s
)
SELECT DISTINCT reach.start_id, i.id, i.code, i.name, i.unit_id
FROM reach JOIN cmdb_item i ON i.id = reach.item_id
WHERE reach.item_id <> reach.start_id
ORDER BY reach.start_id, i.id
"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_ids, *type_ids, _limit(depth)])
        for start, pk, code, name, unit_id in cursor.fetchall():
            result[start].append((pk, code, name, unit_id))
    return result
