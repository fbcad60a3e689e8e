"""A requirement that became a change links both ways on the pages (Art. 17, issue 26 item 1): the change
page says which request it came from, the request page shows its change and the change's state; each link
only where the reader may see the other record."""

import pytest
from django.urls import reverse

from yunwei.changes.models import Change
from yunwei.core import scoping
from yunwei.servicedesk import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def became_change(unit_user_a, unit_admin_a, group_admin, make_request):
    request = make_request(unit_user_a, "requirement", title="公文增加批量打印", data={"module": "公文"})
    request = services.transition(request, to="triaged", actor=unit_admin_a)
    request = services.transition(
        request, to="accepted", actor=group_admin, priority="high", target_release="v3.2"
    )
    return services.make_change(request, actor=group_admin)


def test_the_change_page_names_the_request_it_came_from(became_change, group_admin, unit_admin_a, client):
    change = Change.objects.get(pk=became_change.change_id)
    detail = reverse("servicedesk:request-detail", args=[became_change.pk])
    for reader in (group_admin, unit_admin_a):
        client.force_login(reader)
        page = client.get(reverse("changes:change-detail", args=[change.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-testid="change-from-request"' in html
        assert became_change.code in html and f'href="{detail}"' in html


def test_the_request_page_shows_its_change_and_the_changes_state(became_change, unit_user_a, client):
    change = Change.objects.get(pk=became_change.change_id)
    client.force_login(unit_user_a)
    html = client.get(reverse("servicedesk:request-detail", args=[became_change.pk])).content.decode()
    assert 'data-testid="linked-change"' in html and change.code in html
    assert f'data-testid="change-state">{change.get_state_display()}<' in html
    # The change's page is linked only for a reader who may open it.
    may_open = scoping.visible(Change.objects.filter(pk=change.pk), unit_user_a).exists()
    assert (reverse("changes:change-detail", args=[change.pk]) in html) == may_open


def test_the_api_gives_the_changes_state(became_change, unit_user_a, api_client_for):
    change = Change.objects.get(pk=became_change.change_id)
    body = api_client_for(unit_user_a).get(f"/api/servicedesk/requests/{became_change.pk}/").json()
    assert (body["change"], body["change_state"]) == (change.pk, change.state)


def test_another_units_admin_sees_neither_side(became_change, unit_admin_b, client):
    client.force_login(unit_admin_b)
    change_page = client.get(reverse("changes:change-detail", args=[became_change.change_id]))
    request_page = client.get(reverse("servicedesk:request-detail", args=[became_change.pk]))
    assert (change_page.status_code, request_page.status_code) == (404, 404)
