"""Impact analysis: the recursive query against a brute-force traversal, scoping, the shipped chain."""

from collections import deque

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yunwei.cmdb import impact
from yunwei.cmdb.models import Item, Relation

pytestmark = pytest.mark.django_db


def _bfs(n, edges, starts, direction, limit):
    """Shortest distances by plain BFS over the dependency edges (source depends on target)."""
    step = {}
    for source, target, dependency in edges:
        if not dependency:
            continue
        here, nxt = (target, source) if direction == "down" else (source, target)
        step.setdefault(here, set()).add(nxt)
    dist = {s: 0 for s in starts}
    queue = deque(starts)
    while queue:
        node = queue.popleft()
        if dist[node] >= limit:
            continue
        for nxt in step.get(node, ()):
            if nxt not in dist:
                dist[nxt] = dist[node] + 1
                queue.append(nxt)
    return {node: d for node, d in dist.items() if node not in starts}


graphs = st.integers(min_value=2, max_value=14).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.booleans()).filter(
                lambda e: e[0] != e[1]
            ),
            max_size=3 * n,
            unique_by=lambda e: (e[0], e[1], e[2]),
        ),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True),
        st.sampled_from(["down", "up"]),
        st.one_of(st.none(), st.integers(1, 4)),
    )
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(graph=graphs)
def test_walk_matches_brute_force_bfs_on_random_graphs(graph, unit_a, item_types, relation_types):
    n, edges, starts, direction, depth = graph
    with transaction.atomic():
        items = Item.objects.bulk_create(
            Item(unit=unit_a, code=f"N{i}", name=f"N{i}", type=item_types["server"], domain="hardware")
            for i in range(n)
        )
        ids = [item.pk for item in items]
        index = {pk: i for i, pk in enumerate(ids)}
        dep, other = relation_types["depends-on"], relation_types["backs-up"]
        Relation.objects.bulk_create(
            Relation(source_id=ids[s], target_id=ids[t], type=dep if d else other, unit=unit_a)
            for s, t, d in edges
        )
        reached = impact.walk([ids[s] for s in starts], direction, depth)
        transaction.set_rollback(True)

    expected = _bfs(n, edges, set(starts), direction, depth or impact.MAX_DEPTH)
    assert {index[r.id]: r.depth for r in reached} == expected
    dependency_edges = {(s, t) for s, t, d in edges if d}
    for r in reached:
        path = [index[pk] for pk in r.path]
        assert path[0] in starts and path[-1] == index[r.id]
        assert len(path) == r.depth + 1
        for a, b in zip(path, path[1:], strict=False):
            assert ((b, a) if direction == "down" else (a, b)) in dependency_edges


def test_core_switch_impact_reaches_the_application(chain, group_admin):
    down = impact.downstream(chain["sw"], user=group_admin)
    by_id = {r.id: r for r in down}
    oa = by_id[chain["oa"].pk]
    assert oa.depth == 4
    assert oa.path == [chain["sw"].pk, chain["srv"].pk, chain["os"].pk, chain["mw"].pk, chain["oa"].pk]
    assert chain["san"].pk not in by_id  # storage does not depend on the switch


def test_upstream_names_where_a_fault_may_come_from(chain, group_admin):
    up = {r.id: r.depth for r in impact.upstream(chain["oa"], user=group_admin)}
    assert up == {
        chain["mw"].pk: 1,
        chain["os"].pk: 2,
        chain["srv"].pk: 3,
        chain["san"].pk: 4,
        chain["sw"].pk: 4,
        chain["ups"].pk: 4,
    }
    limited = {r.id for r in impact.upstream(chain["oa"], user=group_admin, depth=2)}
    assert limited == {chain["mw"].pk, chain["os"].pk}


def test_results_are_scoped_and_hidden_ids_blanked_from_paths(unit_a, unit_b, group, make_item, relate):
    from tests.conftest import make_user

    core = make_item(group, "switch", "CORE")
    access_a = make_item(unit_a, "switch", "A-SW")
    app_b = make_item(unit_b, "oa-application", "B-OA")
    server_b = make_item(unit_b, "server", "B-SRV")
    relate(access_a, "connected-via", core)
    relate(server_b, "connected-via", access_a)  # unit B's server hangs off unit A's switch
    relate(app_b, "runs-on", server_b)
    admin_b = make_user("b-admin-x", unit_b, "unit_admin")
    seen = impact.walk([core.pk], "down", user=admin_b)
    assert {r.id for r in seen} == {server_b.pk, app_b.pk}
    server_row = next(r for r in seen if r.id == server_b.pk)
    assert server_row.path == [core.pk, None, server_b.pk]
    app_row = next(r for r in seen if r.id == app_b.pk)
    assert app_row.path == [core.pk, None, server_b.pk, app_b.pk]  # the path runs on through the hidden item


def test_blast_radius_groups_by_unit_and_application(unit_a, unit_b, make_item, relate, group_admin):
    srv_a, srv_b = make_item(unit_a, "server", "SRV-A"), make_item(unit_b, "server", "SRV-B")
    oa_a, oa_b = make_item(unit_a, "oa-application", "OA-A"), make_item(unit_b, "oa-application", "OA-B")
    relate(oa_a, "runs-on", srv_a)
    relate(oa_b, "runs-on", srv_b)
    result = impact.blast_radius([srv_a, srv_b], user=group_admin)
    assert result["count"] == 2
    by_unit = {g["unit"]: g for g in result["units"]}
    assert [a["code"] for a in by_unit[unit_a.pk]["applications"]] == ["OA-A"]
    assert by_unit[unit_b.pk]["applications"][0]["via"] == srv_b.pk


def test_cycle_slipped_in_around_the_services_does_not_hang(unit_a, make_item, relation_types):
    a, b = make_item(unit_a, "server", "A"), make_item(unit_a, "server", "B")
    dep = relation_types["depends-on"]
    Relation.objects.create(source=a, target=b, type=dep, unit=unit_a)
    Relation.objects.create(source=b, target=a, type=dep, unit=unit_a)
    assert [(r.id, r.depth) for r in impact.walk([a.pk], "down")] == [(b.pk, 1)]
