"""Audit pages: list with filters and pages, htmx table, detail, chain verification; group admins only."""

import pytest
from django.urls import reverse

from yunwei.audit import services

from .sealing import record_sealed
from .tampering import alter, triggers_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, group_admin):
    client.force_login(group_admin)
    return client


def test_group_admin_sees_the_log(admin_client, unit_a):
    record_sealed("update", obj=unit_a, comment="改名")
    response = admin_client.get(reverse("audit:event-list"))
    assert response.status_code == 200
    assert "改名" in response.text
    assert unit_a.name in response.text


def test_filter_and_search(admin_client, unit_a):
    record_sealed("login", comment="first")
    record_sealed("update", obj=unit_a, comment="second")
    response = admin_client.get(reverse("audit:event-list"), {"action": "update", "search": "sec"})
    assert [event.seq for event in response.context["page_obj"]] == [2]


def test_pages_of_fifty_keep_the_filter(admin_client):
    for _ in range(60):
        record_sealed("login")
    response = admin_client.get(reverse("audit:event-list"), {"action": "login"})
    assert len(response.context["page_obj"]) == 50
    assert "?action=login&page=2" in response.text
    second = admin_client.get(reverse("audit:event-list"), {"action": "login", "page": 2})
    assert [event.seq for event in second.context["page_obj"]] == list(range(10, 0, -1))


def test_htmx_gets_only_the_table(admin_client):
    record_sealed("login")
    response = admin_client.get(reverse("audit:event-list"), headers={"HX-Request": "true"})
    assert [t.name for t in response.templates][0] == "audit/partials/event_table.html"
    assert "<html" not in response.text


def test_htmx_history_restore_gets_the_whole_page(admin_client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = admin_client.get(reverse("audit:event-list"), headers=headers)
    assert "<html" in response.text


def test_a_bad_date_is_shown_not_a_500(admin_client):
    response = admin_client.get(reverse("audit:event-list"), {"since": "not a date"})
    assert response.status_code == 200
    assert "since" in response.context["filter"].form.errors


def test_detail_shows_before_and_after(admin_client, unit_a):
    event = record_sealed("update", obj=unit_a, before={"name": "旧名"}, after={"name": "新名"})
    response = admin_client.get(reverse("audit:event-detail", args=[event.seq]))
    assert response.status_code == 200
    assert "旧名" in response.text and "新名" in response.text
    assert admin_client.get(reverse("audit:event-detail", args=[99])).status_code == 404


def test_verify_reports_an_intact_chain(admin_client):
    record_sealed("login")
    response = admin_client.post(reverse("audit:verify"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("audit:event-list")
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_verify_names_the_broken_event(admin_client):
    for _ in range(3):
        record_sealed("login")
    with triggers_off():
        alter(2)
    response = admin_client.post(reverse("audit:verify"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "alert-danger" in response.text
    assert "#2" in response.text


@pytest.mark.parametrize("persona", ["unit_admin_a", "unit_user_a"])
def test_others_get_404_everywhere(persona, request, client):
    event = record_sealed("login")
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("audit:event-list")).status_code == 404
    assert client.get(reverse("audit:event-detail", args=[event.seq])).status_code == 404
    assert client.post(reverse("audit:verify")).status_code == 404


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("audit:event-list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_page_speaks_chinese_by_default_and_english_on_request(admin_client):
    record_sealed("login")
    chinese = admin_client.get(reverse("audit:event-list")).text
    assert "审计日志" in chinese and "校验审计链" in chinese and "登录" in chinese
    english = admin_client.get(reverse("audit:event-list"), headers={"Accept-Language": "en"}).text
    assert "Audit log" in english and "Verify chain" in english and "Log-in" in english


def test_the_page_shows_how_fresh_the_seal_is_in_both_languages(admin_client, settings):
    record_sealed("login")
    page = admin_client.get(reverse("audit:event-list")).text
    assert "每个事件都已封存进审计链。" in page
    services.record("logout")  # its commit's seal has not run yet
    page = admin_client.get(reverse("audit:event-list")).text
    assert "1 个事件等待封存进审计链" in page
    assert 'data-testid="unsealed"' in page  # listed, without a number yet
    english = admin_client.get(reverse("audit:event-list"), headers={"Accept-Language": "en"}).text
    assert "1 event is waiting to be sealed into the chain" in english
    services.seal()
    english = admin_client.get(reverse("audit:event-list"), headers={"Accept-Language": "en"}).text
    assert "Every event is sealed into the chain." in english
    assert 'data-testid="unsealed"' not in english
