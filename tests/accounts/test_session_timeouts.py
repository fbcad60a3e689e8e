"""Idle and absolute session time-outs: the session's stamps are moved back, nobody sleeps."""

import pytest
from django.contrib.sessions.models import Session

from yunwei.accounts import services
from yunwei.accounts.models import LoginSession
from yunwei.audit.models import AuditEvent

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client):
    assert client.post("/accounts/login/", {"username": "a-user", "password": PASSWORD}).status_code == 302


def _move_stamps(client, *, started_ago: float | None = None, seen_ago: float | None = None):
    session = client.session
    now = services.time.time()
    if started_ago is not None:
        session[services.SESSION_STARTED] = now - started_ago
    if seen_ago is not None:
        session[services.SESSION_SEEN] = now - seen_ago
    session.save()


def test_log_in_stamps_the_session(client, unit_user_a):
    _log_in(client)
    session = client.session
    assert session[services.SESSION_STARTED] == session[services.SESSION_SEEN]


def test_a_session_used_within_the_idle_limit_goes_on(client, unit_user_a, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    _log_in(client)
    _move_stamps(client, seen_ago=1700)
    asked_at = int(services.time.time())
    assert client.get("/").status_code == 200
    # The request counted as use: the last-used stamp moved to the time of the request.
    assert client.session[services.SESSION_SEEN] >= asked_at


def test_an_idle_session_ends_on_its_next_request(client, unit_user_a, settings):
    settings.SESSION_IDLE_SECONDS = 1800
    _log_in(client)
    key = client.session.session_key
    _move_stamps(client, seen_ago=1801)
    response = client.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/incidents/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not LoginSession.objects.filter(user=unit_user_a).exists()
    event = AuditEvent.objects.filter(action="logout").latest("pk")
    assert event.comment == "session idle time-out"
    assert client.get("/").status_code == 302  # still out


def test_the_absolute_limit_ends_even_a_busy_session(client, unit_user_a, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    _log_in(client)
    _move_stamps(client, started_ago=12 * 3600 - 60, seen_ago=0)
    assert client.get("/").status_code == 200
    _move_stamps(client, started_ago=12 * 3600 + 1, seen_ago=0)
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="logout").latest("pk").comment == "session absolute time-out"


def test_the_api_answers_403_for_an_expired_session(client, unit_user_a, settings):
    settings.SESSION_IDLE_SECONDS = 600
    _log_in(client)
    assert client.get("/api/auth/me/").status_code == 200
    _move_stamps(client, seen_ago=601)
    response = client.get("/api/auth/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "log in again" in response.json()["detail"]
    assert client.get("/api/auth/me/").status_code == 401  # logged out: no session any more


def test_the_login_page_says_why(client, unit_user_a, settings):
    settings.LANGUAGE_CODE = "en"
    _log_in(client)
    _move_stamps(client, seen_ago=settings.SESSION_IDLE_SECONDS + 5)
    page = client.get("/", follow=True)
    assert page.request["PATH_INFO"] == "/accounts/login/"
    assert "after a time without use" in page.content.decode()


def test_token_requests_are_not_sessions(api_client_for, unit_user_a):
    from rest_framework.test import APIClient

    key, _token = services.issue_token(unit_user_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/auth/me/").status_code == 200


def test_an_htmx_request_of_an_expired_session_sends_the_whole_page_to_log_in(client, unit_user_a, settings):
    _log_in(client)
    _move_stamps(client, seen_ago=settings.SESSION_IDLE_SECONDS + 5)
    response = client.get("/incidents/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?next=/incidents/")
