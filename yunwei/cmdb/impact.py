"""Impact analysis (Art. 2, 3, 13): what breaks when an item fails, and where an item's fault may come from.

Direction, in terms of a dependency relation `S → T` (S runs on / depends on / is powered by … T):

* **downstream** of X: every item that depends on X, transitively, i.e. walk relations from their
  target to their source (T = X gives S, then relations whose target is S, …). This is "what breaks if
  X fails" and a change's blast radius.
* **upstream** of X: everything X depends on, transitively: walk from source to target. This is
  "where a fault of X may come from".

Only relation types with `is_dependency` are followed. The walk is one recursive query (`WITH
RECURSIVE`, the same SQL on SQLite and PostgreSQL), never the graph loaded into Python:

1. `reach(item_id, depth)` — every item reachable within the depth limit, with each distance at which
   it is reachable. `UNION` (not `UNION ALL`) keeps each (item, depth) pair once, so the work grows
   with items × distinct distances, not with the number of paths (which explodes on a dense graph).
2. `best` — the shortest distance of each item; `parent` — one predecessor at distance − 1 (the
   smallest id, so the answer is deterministic).
3. `tree(item_id, depth, path)` — walks that shortest-path tree from the start(s), building each
   item's path as a `/`-delimited string of ids with `||`.

Results are scoped: the walk crosses every unit (a unit's application may run on a group server),
but only items the user may see are returned, and ids of items they may not see are blanked out of
the paths.
"""

from dataclasses import dataclass, field

from django.db import connection

from yunwei.core import scoping
from yunwei.org.models import Unit

from .choices import Direction
from .models import Item

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


def _walk_sql(direction: str, n_starts: int, scope_sql: str = "") -> str:
    here, nxt = _COLUMNS[Direction(direction)]
    starts = ", ".join(["%s"] * n_starts)
    # Only fixed column names and placeholders are formatted in; every value is a parameter.
    return f"""
WITH RECURSIVE reach(item_id, depth) AS (
    SELECT id, 0 FROM cmdb_item WHERE id IN ({starts})
  UNION
    SELECT r.{nxt}, reach.depth + 1
    FROM reach
    JOIN cmdb_relation r ON r.{here} = reach.item_id
    JOIN cmdb_relationtype t ON t.id = r.type_id
    WHERE t.is_dependency AND reach.depth < %s
),
best(item_id, depth) AS (
    SELECT item_id, MIN(depth) FROM reach GROUP BY item_id
),
parent(item_id, parent_id) AS (
    SELECT b.item_id, MIN(p.item_id)
    FROM best b
    JOIN cmdb_relation r ON r.{nxt} = b.item_id
    JOIN cmdb_relationtype t ON t.id = r.type_id
    JOIN best p ON p.item_id = r.{here} AND p.depth = b.depth - 1
    WHERE t.is_dependency AND b.depth > 0
    GROUP BY b.item_id
),
tree(item_id, depth, path) AS (
    SELECT item_id, 0, CAST(item_id AS TEXT) FROM best WHERE depth = 0
  UNION ALL
    SELECT parent.item_id, tree.depth + 1, tree.path || '/' || CAST(parent.item_id AS TEXT)
    FROM tree JOIN parent ON parent.parent_id = tree.item_id
)
SELECT i.id, tree.depth, tree.path, i.code, i.name, i.unit_id, i.type_id, i.domain
FROM tree JOIN cmdb_item i ON i.id = tree.item_id
WHERE tree.depth > 0 {scope_sql}
ORDER BY tree.depth, i.id
"""  # noqa: S608


def _limit(depth: int | None) -> int:
    return MAX_DEPTH if depth is None or depth <= 0 else min(int(depth), MAX_DEPTH)


def walk(start_ids, direction: str = Direction.DOWN, depth: int | None = None, user=None) -> list[Reached]:
    """Items reached from `start_ids` (not including them), nearest first, each with its shortest path.

    With `user`, only the items that user may see are returned (paths keep the start and visible ids;
    the rest are None). Without, the whole graph answers (for the services' own rules).
    """
    start_ids = sorted({int(pk) for pk in start_ids})
    if not start_ids:
        return []
    scope_sql, scope_params = "", []
    if user is not None:
        visible = scoping.visible(Item.objects.all(), user)
        if visible.query.where:  # a group admin sees every unit: no filter to add
            inner, scope_params = visible.values("pk").query.sql_with_params()
            scope_sql = f"AND i.id IN ({inner})"
    sql = _walk_sql(direction, len(start_ids), scope_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start_ids, _limit(depth), *scope_params])
        rows = cursor.fetchall()
    reached = [
        Reached(
            id=pk,
            depth=d,
            path=[int(x) for x in path.split("/")],
            code=code,
            name=name,
            unit_id=unit_id,
            type_id=type_id,
            domain=domain,
        )
        for pk, d, path, code, name, unit_id, type_id, domain in rows
    ]
    if user is not None:
        shown = {r.id for r in reached} | set(start_ids)
        for r in reached:
            r.path = [pk if pk in shown else None for pk in r.path]
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
