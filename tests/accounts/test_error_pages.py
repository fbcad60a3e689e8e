"""Error pages: JSON under /api/, styled and translated pages elsewhere; the 500 page needs nothing."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from yunwei import urls

pytestmark = pytest.mark.django_db


def test_unknown_api_address_answers_json(client, unit_user_a):
    client.force_login(unit_user_a)
    response = client.get("/api/no-such-thing/", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_unknown_page_is_the_styled_404(client, unit_user_a):
    client.force_login(unit_user_a)
    response = client.get("/no-such-page/", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.text
    assert "Page not found" in response.text
    assert 'data-testid="language-switch"' in response.text  # the base layout


def test_forbidden_page_is_the_styled_403(client, unit_user_a, unit_a):
    client.force_login(unit_user_a)
    response = client.get("/org/units/new/")
    assert response.status_code == 403
    assert 'data-testid="error-403"' in response.text


def test_500_page_renders_without_request_or_database():
    with translation.override("en"):
        html = render_to_string("500.html")
    assert "Server error" in html
    assert "{%" not in html


@pytest.mark.django_db(databases=[])
def test_api_server_error_is_json():
    response = urls.server_error(RequestFactory().get("/api/org/units/"))
    assert response.status_code == 500
    assert b'"detail"' in response.content
