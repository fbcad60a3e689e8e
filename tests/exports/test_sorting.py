"""Sortable columns (issue 25): every offered column sorts both ways by an indexed column; anything else
falls back to the list's default order."""

import pytest

from yunwei.audit import services as audit
from yunwei.audit.models import AuditEvent
from yunwei.changes.models import Change
from yunwei.changes.views import SORTING as CHANGE_SORTING
from yunwei.incidents.models import Incident
from yunwei.incidents.views import SORTING as INCIDENT_SORTING
from yunwei.problems.models import Problem
from yunwei.problems.views import SORTING as PROBLEM_SORTING

pytestmark = pytest.mark.django_db


def _shown(content: str, codes: list[str]) -> list[str]:
    """The codes in the order the page shows them."""
    return sorted(codes, key=content.index)


def _indexed_leads(model) -> set[str]:
    """The columns an index of the model starts with (and the primary key)."""
    leads = {"id"}
    for index in model._meta.indexes:
        if index.fields:  # an index on expressions leads with no column
            leads.add(index.fields[0].lstrip("-"))
    for field in model._meta.fields:
        if field.db_index or field.unique:
            leads.add(field.attname)
    return leads


@pytest.mark.parametrize(
    ("model", "sorting"),
    [(Incident, INCIDENT_SORTING), (Problem, PROBLEM_SORTING), (Change, CHANGE_SORTING)],
)
def test_every_sortable_column_leads_an_index(model, sorting):
    for key, fields in sorting.columns.items():
        assert fields[0] in _indexed_leads(model), (model.__name__, key)


@pytest.mark.parametrize("key", sorted(INCIDENT_SORTING.columns))
@pytest.mark.parametrize("direction", ["", "-"])
def test_incidents_sort_by_each_offered_column(client, group_admin, incidents_ab, key, direction):
    client.force_login(group_admin)
    response = client.get("/incidents/", {"sort": f"{direction}{key}"})
    assert response.status_code == 200
    fields = INCIDENT_SORTING.columns[key]
    ordered = Incident.objects.order_by(*[f"{direction}{f}" for f in fields])
    codes = [i.code for i in ordered]
    assert _shown(response.content.decode(), codes) == codes
    assert f'data-testid="sort-{key}"' in response.content.decode()


@pytest.mark.parametrize("key", sorted(PROBLEM_SORTING.columns))
@pytest.mark.parametrize("direction", ["", "-"])
def test_problems_sort_by_each_offered_column(client, group_admin, problems_ab, key, direction):
    client.force_login(group_admin)
    response = client.get("/problems/", {"sort": f"{direction}{key}"})
    assert response.status_code == 200
    fields = PROBLEM_SORTING.columns[key]
    codes = [p.code for p in Problem.objects.order_by(*[f"{direction}{f}" for f in fields])]
    assert _shown(response.content.decode(), codes) == codes


@pytest.mark.parametrize("key", sorted(CHANGE_SORTING.columns))
@pytest.mark.parametrize("direction", ["", "-"])
def test_changes_sort_by_each_offered_column(client, group_admin, changes_ab, key, direction):
    client.force_login(group_admin)
    response = client.get("/changes/", {"sort": f"{direction}{key}"})
    assert response.status_code == 200
    fields = CHANGE_SORTING.columns[key]
    codes = [c.code for c in Change.objects.order_by(*[f"{direction}{f}" for f in fields])]
    assert _shown(response.content.decode(), codes) == codes


@pytest.mark.parametrize("sort", ["number", "-number", "time", "-time"])
def test_the_audit_log_sorts_by_number_and_time(client, group_admin, incidents_ab, sort):
    audit.seal()  # as just after the commits: the page links events by number
    client.force_login(group_admin)
    response = client.get("/audit/", {"sort": sort})
    assert response.status_code == 200
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    if sort.startswith("-"):
        seqs.reverse()
    links = [f'href="/audit/{seq}/"' for seq in seqs[:50]]
    content = response.content.decode()
    assert sorted(links, key=content.index) == links


def test_an_unknown_sort_falls_back_to_the_default_order(client, group_admin, incidents_ab):
    client.force_login(group_admin)
    response = client.get("/incidents/", {"sort": "description; drop table"})
    assert response.status_code == 200
    codes = [i.code for i in Incident.objects.order_by("-reported_at", "-id")]
    assert _shown(response.content.decode(), codes) == codes


def test_the_sort_header_toggles_and_keeps_the_filters(client, group_admin, incidents_ab):
    client.force_login(group_admin)
    content = client.get("/incidents/", {"sort": "grade", "state": "reported", "page": "1"}).content.decode()
    assert (
        'href="?sort=-grade&amp;state=reported"' in content
        or 'href="?state=reported&amp;sort=-grade"' in content
    )
    assert "bi-sort-up" in content


@pytest.mark.parametrize("sort", ["domain", "-domain", "status", "-status", "ip", "-ip"])
def test_the_inventory_sorts_by_its_indexed_columns_and_keeps_its_order_otherwise(
    client, group_admin, app_a, app_b, sort
):
    from yunwei.cmdb.models import Item
    from yunwei.cmdb.views import SORTING as ITEM_SORTING

    client.force_login(group_admin)
    content = client.get("/cmdb/", {"sort": sort}).content.decode()
    fields = ITEM_SORTING.columns[sort.lstrip("-")]
    direction = "-" if sort.startswith("-") else ""
    for key, sorted_fields in ITEM_SORTING.columns.items():
        assert sorted_fields[0] in _indexed_leads(Item), key
    codes = [
        f'data-testid="item-row-{i.code}"'
        for i in Item.objects.order_by(*[f"{direction}{f}" for f in fields])
    ]
    assert sorted(codes, key=content.index) == codes
    content = client.get("/cmdb/").content.decode()
    codes = [f'data-testid="item-row-{i.code}"' for i in Item.objects.order_by("unit__code", "code")]
    assert sorted(codes, key=content.index) == codes


@pytest.mark.parametrize(
    ("path", "model_path"), [("/monitoring/", "Heartbeat"), ("/monitoring/checks/", "Check")]
)
def test_monitoring_lists_sort_by_their_indexed_next_moment(client, group_admin, path, model_path):
    from yunwei.monitoring import models
    from yunwei.monitoring.views import CHECK_SORTING, HEARTBEAT_SORTING

    model = getattr(models, model_path)
    sorting = HEARTBEAT_SORTING if model_path == "Heartbeat" else CHECK_SORTING
    assert sorting.columns["due"][0] in _indexed_leads(model)
    client.force_login(group_admin)
    for sort in ("due", "-due", "nonsense"):
        response = client.get(path, {"sort": sort})
        assert response.status_code == 200
        assert 'data-testid="sort-due"' in response.content.decode()
