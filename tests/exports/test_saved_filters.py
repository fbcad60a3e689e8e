"""Saved filters (issue 25): a person saves a list's filters under a name; nobody else sees or uses them."""

import pytest

from yunwei.core import saved_filters
from yunwei.core.models import SavedFilter

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def test_saving_filters_opens_the_list_with_them_and_lists_them_for_their_owner(client, tech_a, incidents_ab):
    client.force_login(tech_a)
    response = client.post(
        "/saved-filters/",
        {
            "list_name": "incidents:incident-list",
            "name": "网络故障",
            "query": "cause=network&sort=-grade&page=3",
        },
    )
    saved = SavedFilter.objects.get()
    assert (saved.owner, saved.name, saved.query) == (tech_a, "网络故障", "cause=network&sort=-grade")
    assert response.status_code == 302 and response["Location"] == "/incidents/?cause=network&sort=-grade"
    page = client.get("/incidents/").content.decode()
    assert f'data-testid="saved-filter-{saved.pk}"' in page and "网络故障" in page


def test_the_same_name_replaces_the_filters(tech_a):
    first = saved_filters.save(
        owner=tech_a, list_name="changes:change-list", name="本周", query="state=draft"
    )
    again = saved_filters.save(
        owner=tech_a, list_name="changes:change-list", name="本周", query="state=approved"
    )
    assert first.pk == again.pk and SavedFilter.objects.get().query == "state=approved"


def test_another_person_neither_sees_nor_deletes_anothers_saved_filter(
    client, tech_a, unit_admin_a, incidents_ab
):
    saved = saved_filters.save(
        owner=tech_a, list_name="incidents:incident-list", name="我的筛选", query="grade=II"
    )
    colleague = make_user("a-tech-2", tech_a.person.unit, "tech_staff")
    for other in (colleague, unit_admin_a):
        client.force_login(other)
        page = client.get("/incidents/").content.decode()
        assert "我的筛选" not in page and f"saved-filter-{saved.pk}" not in page
        assert client.post(f"/saved-filters/{saved.pk}/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    client.force_login(tech_a)
    response = client.post(f"/saved-filters/{saved.pk}/delete/")
    assert response.status_code == 302 and not SavedFilter.objects.exists()


def test_saving_filters_of_an_unknown_list_answers_400_naming_the_field(client, tech_a):
    client.force_login(tech_a)
    response = client.post("/saved-filters/", {"list_name": "org:person-list", "name": "x", "query": ""})
    assert response.status_code == 400 and b"list_name" in response.content
    assert not SavedFilter.objects.exists()


def test_a_saved_filter_without_a_name_is_refused_with_the_reason(client, tech_a):
    client.force_login(tech_a)
    response = client.post(
        "/saved-filters/", {"list_name": "problems:problem-list", "name": " ", "query": ""}, follow=True
    )
    assert "Give the saved filter a name." in response.content.decode()
    assert not SavedFilter.objects.exists()


def test_a_saved_filter_shows_only_what_its_user_may_see(client, unit_admin_a, incidents_ab):
    """Saved by a unit admin with another unit's number in it, it still lists only their unit's rows."""
    saved = saved_filters.save(
        owner=unit_admin_a,
        list_name="incidents:incident-list",
        name="乙单位",
        query=f"unit={incidents_ab['b'].unit_id}",
    )
    client.force_login(unit_admin_a)
    page = client.get(saved_filters.url_of(saved)).content.decode()
    assert incidents_ab["b"].code not in page and "乙单位机密故障" not in page


def test_the_demo_gives_the_technician_the_lead_and_the_admin_their_saved_filters(client, group):
    from yunwei.web import demo

    for username in ("tech", "lead", "admin"):
        make_user(username, group, "group_admin" if username == "admin" else "tech_staff")
    assert demo.load() == {"saved_filters": len(demo.SAVED)}
    for username, list_name, name, query in demo.SAVED:
        saved = SavedFilter.objects.get(owner__username=username, name=name)
        assert (saved.list_name, saved.query) == (list_name, query)
        client.force_login(saved.owner)
        assert client.get(saved_filters.url_of(saved)).status_code == 200
