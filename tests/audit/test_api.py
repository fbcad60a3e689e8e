"""The audit API: group admins read and filter every event; everyone else sees nothing."""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import make_user
from yunwei.audit import services

from .sealing import sealed

pytestmark = pytest.mark.django_db

URL = "/api/audit/events/"


@pytest.fixture
def events(unit_a, unit_b, unit_admin_a):
    return sealed(
        services.record("login", actor=unit_admin_a, obj=unit_admin_a, unit_id=unit_a.pk),
        services.record(
            "update", actor=unit_admin_a, obj=unit_a, before={"name": "甲"}, after={"name": "甲单位"}
        ),
        services.record("unmask", obj=unit_b, comment="phone, email"),
    )


def test_group_admin_lists_events_newest_first(group_admin, events, api_client_for):
    body = api_client_for(group_admin).get(URL).json()
    assert body["count"] == 3
    assert [row["seq"] for row in body["results"]] == [3, 2, 1]
    first = body["results"][-1]
    assert first["action"] == "login"
    assert first["actor_name"] == "a-admin"
    assert {"before", "after", "hash", "prev_hash", "object_repr", "unit_id", "action_label"} <= first.keys()
    assert first["sealed"] is True


def test_an_event_not_yet_sealed_is_listed_without_a_number(group_admin, events, api_client_for):
    services.record("logout", actor=group_admin)
    http = api_client_for(group_admin)
    waiting = [row for row in http.get(URL).json()["results"] if not row["sealed"]]
    assert [(row["action"], row["seq"], row["hash"]) for row in waiting] == [("logout", None, "")]
    services.seal()
    assert http.get(f"{URL}4/").json()["action"] == "logout"


def test_superuser_counts_as_group_admin(events, api_client_for):
    assert api_client_for(make_user("root", None, superuser=True)).get(URL).json()["count"] == 3


def test_group_admin_retrieves_one_event_by_number(group_admin, events, unit_a, api_client_for):
    body = api_client_for(group_admin).get(f"{URL}2/").json()
    assert (body["seq"], body["object_type"], body["unit_id"]) == (2, "org.unit", unit_a.pk)
    assert (body["before"], body["after"]) == ({"name": "甲"}, {"name": "甲单位"})


@pytest.mark.parametrize(
    ("params", "seqs"),
    [
        ({"action": "update"}, [2]),
        ({"object_type": "org.unit"}, [3, 2]),
        ({"search": "phone"}, [3]),
        ({"search": "a-admin"}, [2, 1]),
        ({"ordering": "seq"}, [1, 2, 3]),
    ],
)
def test_group_admin_filters(group_admin, events, api_client_for, params, seqs):
    body = api_client_for(group_admin).get(URL, params).json()
    assert [row["seq"] for row in body["results"]] == seqs


def test_filters_by_actor_unit_object_and_time(group_admin, unit_admin_a, unit_b, events, api_client_for):
    http = api_client_for(group_admin)

    def seqs(**params):
        return [row["seq"] for row in http.get(URL, params).json()["results"]]

    assert seqs(actor=unit_admin_a.pk) == [2, 1]
    assert seqs(unit_id=unit_b.pk) == [3]
    assert seqs(object_type="org.unit", object_id=str(unit_b.pk)) == [3]
    later = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    assert seqs(since=later) == []
    assert seqs(until=later) == [3, 2, 1]


def test_a_bad_filter_is_a_400_naming_the_field(group_admin, api_client_for):
    response = api_client_for(group_admin).get(URL, {"since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["field"] == "since"


@pytest.mark.parametrize("persona", ["unit_admin_a", "unit_user_a"])
def test_others_see_an_empty_list_and_404(persona, request, events, api_client_for):
    http = api_client_for(request.getfixturevalue(persona))
    body = http.get(URL).json()
    assert (body["count"], body["results"]) == (0, [])
    assert http.get(f"{URL}1/").status_code == 404


def test_anonymous_is_refused(events, api_client_for):
    assert api_client_for(None).get(URL).status_code in (401, 403)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(method, group_admin, events, api_client_for):
    http = api_client_for(group_admin)
    url = URL if method == "post" else f"{URL}1/"
    assert getattr(http, method)(url, {}, format="json").status_code == 405
    assert services.verify_chain().ok


@pytest.mark.parametrize("value", ["-1.4e37", "99999999999999999999", "0", "x"])
def test_a_number_filter_out_of_range_is_bad_input_naming_the_field(
    group_admin, events, api_client_for, value
):
    response = api_client_for(group_admin).get(URL, {"actor": value})
    assert response.status_code == 400
    assert "actor" in response.json()["errors"]
